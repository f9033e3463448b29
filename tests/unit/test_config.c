/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/config.c: the sample etc/tldsign.yaml, defaults, normalisation, cross-field checks. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/error.h"
#include "common/yaml_doc.h"
#include "tests/tap/tap.h"

/* Parses text; returns the error and leaves the first message (or "") in first. */
static int parse(const char *text, struct tld_config **cfg, char *first, size_t size)
{
	struct tld_diag d = { 0 };
	struct tld_config *c = NULL;
	int err = tld_config_parse("t.yaml", "/etc/tld", text, strlen(text), &d, &c);
	snprintf(first, size, "%s", d.count > 0 ? d.msgs[0] : "");
	for (size_t i = 0; i < d.count; i++) {
		diag("%s", d.msgs[i]);
	}
	tld_diag_clear(&d);
	if (cfg != NULL) {
		*cfg = c;
	} else {
		tld_config_free(c);
	}
	return err;
}

#define MINIMAL \
	"zone: Example\n" \
	"hsm: {token: t, pin-env: PIN}\n" \
	"apex:\n" \
	"  soa: {mname: ns1.nic.example, rname: HostMaster.nic.example.}\n" \
	"  ns: [ns1.nic.example]\n"

/* PATH under the working directory, as the loader makes config-relative paths absolute */
static const char *in_cwd(const char *path)
{
	static char buf[8][4096];
	static int next;
	char cwd[2048];
	char *b = buf[next++ % 8];
	snprintf(b, sizeof(buf[0]), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", path);
	return b;
}

static void test_sample(void)
{
	struct tld_config *cfg = NULL;
	int err = tld_config_load("etc/tldsign.yaml", &cfg);
	is_int(TLD_OK, err, "etc/tldsign.yaml loads");
	if (cfg == NULL) {
		return;
	}
	is_str("test.", cfg->zone, "zone");
	is_str(in_cwd("etc/export"), cfg->export_dir, "export resolved against the config dir");
	is_str(in_cwd("etc/state"), cfg->state_dir, "state-dir");
	is_str(in_cwd("etc/policy.yaml"), cfg->policy_path, "policy");
	is_str("/usr/lib/softhsm/libsofthsm2.so", cfg->hsm.module, "absolute module path kept");
	is_str("tldsign", cfg->hsm.token, "token");
	is_str(in_cwd("etc/hsm/pin"), cfg->hsm.pin_file, "pin-file");
	ok(cfg->hsm.pin_env == NULL, "pin-env unset");
	is_str(in_cwd("etc/hsm/softhsm2.conf"), cfg->hsm.softhsm_conf, "softhsm-conf");
	ok(cfg->hsm.session_key_copies, "session-key-copies");
	ok(cfg->hsm.early_workers, "early-workers");
	is_str("ns1.nic.test.", cfg->apex.soa.mname, "soa mname");
	is_str("hostmaster.nic.test.", cfg->apex.soa.rname, "soa rname");
	is_int(1800, cfg->apex.soa.refresh, "soa refresh");
	is_int(900, cfg->apex.soa.retry, "soa retry");
	is_int(1209600, cfg->apex.soa.expire, "soa expire");
	is_int(3600, cfg->apex.soa.minimum, "soa minimum");
	is_int(3600, cfg->apex.soa.ttl, "soa ttl");
	is_int(2, cfg->apex.ns_count, "two apex NS");
	is_str("ns2.nic.test.", cfg->apex.ns_count > 1 ? cfg->apex.ns[1] : NULL, "second NS");
	ok(cfg->apex.records == NULL, "records unset");
	is_int(172800, cfg->ttl.delegation_ns, "ttl delegation-ns");
	is_int(86400, cfg->ttl.ds, "ttl ds");
	is_int(172800, cfg->ttl.glue, "ttl glue");
	is_int(6, cfg->zonegen.ds_algorithms_count, "six DS algorithms");
	is_int(16, cfg->zonegen.ds_algorithms_count == 6 ? cfg->zonegen.ds_algorithms[5] : 0, "last is 16");
	is_int(2, cfg->zonegen.ds_digest_types_count, "two digest types");
	is_int(TLD_DIGEST_SHA256, cfg->zonegen.keydata_digest, "keydata-digest");
	is_str(in_cwd("etc/zones"), cfg->output.dir, "output dir");
	is_int(10, cfg->output.keep, "keep");
	ok(cfg->output.after_publish == NULL, "empty after-publish is NULL");
	is_int(1, cfg->publish.listen_count, "one listen address");
	if (cfg->publish.listen_count == 1) {
		const struct sockaddr_in *in = (const void *)&cfg->publish.listen[0].ss;
		is_int(AF_INET, in->sin_family, "listen is IPv4");
		is_int(5300, ntohs(in->sin_port), "listen port");
		is_str("127.0.0.1@5300", cfg->publish.listen[0].text, "listen text kept");
	}
	is_int(1, cfg->publish.tsig_count, "one TSIG key");
	const struct tld_tsig_key *k = tld_config_tsig_key(cfg, "XFR");
	ok(k != NULL, "TSIG key found case-insensitively without the dot");
	if (k != NULL) {
		is_str("xfr.", k->name, "TSIG name normalised");
		is_int(TLD_TSIG_HMAC_SHA256, k->algorithm, "TSIG algorithm");
		is_mem("secret-for-testing-only-32-bytes", 32, k->secret, k->secret_len, "secret decoded");
	}
	ok(tld_config_tsig_key(cfg, "other") == NULL, "absent TSIG key is NULL");
	is_int(1, cfg->publish.acl_count, "one ACL entry");
	if (cfg->publish.acl_count == 1) {
		is_str("xfr.", cfg->publish.acl[0].key, "ACL key");
		is_int(2, cfg->publish.acl[0].from_count, "two prefixes");
		is_int(AF_INET, cfg->publish.acl[0].from[0].family, "v4 prefix");
		is_int(8, cfg->publish.acl[0].from[0].bits, "/8");
		is_int(AF_INET6, cfg->publish.acl[0].from[1].family, "v6 prefix");
		is_int(128, cfg->publish.acl[0].from[1].bits, "/128");
	}
	is_int(1, cfg->publish.secondaries_count, "one secondary");
	if (cfg->publish.secondaries_count == 1) {
		const struct sockaddr_in *in = (const void *)&cfg->publish.secondaries[0].address.ss;
		is_int(5301, ntohs(in->sin_port), "secondary port");
		is_str("xfr.", cfg->publish.secondaries[0].key, "secondary key");
	}
	is_int(30, cfg->publish.notify_timeout, "notify-timeout 30s");
	is_int(60, cfg->publish.confirm_timeout, "confirm-timeout 60s");
	ok(cfg->guards.max_delegation_drop > 0.0499 && cfg->guards.max_delegation_drop < 0.0501, "5%% -> 0.05");
	ok(cfg->guards.max_ds_drop > 0.0499 && cfg->guards.max_ds_drop < 0.0501, "max-ds-drop");
	ok(cfg->guards.max_bad_rows > 0.00499 && cfg->guards.max_bad_rows < 0.00501, "0.5%% -> 0.005");
	is_int(7200, cfg->guards.max_export_age, "2h");
	tld_config_free(cfg);
}

static void test_defaults(void)
{
	struct tld_config *cfg = NULL;
	char first[512];
	is_int(TLD_OK, parse(MINIMAL, &cfg, first, sizeof(first)), "minimal config loads");
	if (cfg == NULL) {
		return;
	}
	is_str("example.", cfg->zone, "zone lower-cased, dot added");
	is_str("hostmaster.nic.example.", cfg->apex.soa.rname, "rname normalised");
	is_str("/etc/tld/export", cfg->export_dir, "default export");
	is_str("/etc/tld/state", cfg->state_dir, "default state-dir");
	is_str("/etc/tld/policy.yaml", cfg->policy_path, "default policy");
	is_str("/etc/tld/zones", cfg->output.dir, "default output dir");
	is_str("/usr/lib/softhsm/libsofthsm2.so", cfg->hsm.module, "default module");
	is_str("PIN", cfg->hsm.pin_env, "pin-env");
	ok(cfg->hsm.pin_file == NULL && cfg->hsm.softhsm_conf == NULL, "optional paths NULL");
	ok(cfg->hsm.session_key_copies, "session-key-copies defaults to true");
	ok(cfg->hsm.early_workers, "early-workers defaults to true");
	is_int(1800, cfg->apex.soa.refresh, "default soa refresh");
	is_int(1209600, cfg->apex.soa.expire, "default soa expire");
	is_int(172800, cfg->ttl.delegation_ns, "default ttl delegation-ns");
	is_int(86400, cfg->ttl.ds, "default ttl ds");
	is_int(172800, cfg->ttl.glue, "default ttl glue");
	is_int(6, cfg->zonegen.ds_algorithms_count, "default ds-algorithms count");
	if (cfg->zonegen.ds_algorithms_count == 6) {
		static const uint8_t want[] = { 8, 10, 13, 14, 15, 16 };
		is_mem(want, 6, cfg->zonegen.ds_algorithms, 6, "default ds-algorithms");
	}
	is_int(2, cfg->zonegen.ds_digest_types_count, "default digest types");
	if (cfg->zonegen.ds_digest_types_count == 2) {
		is_int(4, cfg->zonegen.ds_digest_types[1], "second digest type 4");
	}
	is_int(TLD_DIGEST_SHA256, cfg->zonegen.keydata_digest, "default keydata-digest");
	is_int(10, cfg->output.keep, "default keep");
	is_int(0, cfg->publish.listen_count, "no listen by default");
	is_int(30, cfg->publish.notify_timeout, "default notify-timeout");
	is_int(60, cfg->publish.confirm_timeout, "default confirm-timeout");
	ok(cfg->guards.max_bad_rows > 0.00499 && cfg->guards.max_bad_rows < 0.00501, "default max-bad-rows");
	is_int(7200, cfg->guards.max_export_age, "default max-export-age");
	tld_config_free(cfg);

	is_int(TLD_OK, parse(MINIMAL "publish: {listen: ['::1@5300', '192.0.2.1']}\n", &cfg, first, sizeof(first)),
	       "listen addresses");
	if (cfg != NULL && cfg->publish.listen_count == 2) {
		const struct sockaddr_in6 *in6 = (const void *)&cfg->publish.listen[0].ss;
		const struct sockaddr_in *in = (const void *)&cfg->publish.listen[1].ss;
		is_int(AF_INET6, in6->sin6_family, "::1 is IPv6");
		is_int(5300, ntohs(in6->sin6_port), "::1@5300 port");
		is_int(53, ntohs(in->sin_port), "default port 53");
	}
	tld_config_free(cfg);

#define WITH_BOOL(k, v) \
	"zone: example\n" \
	"hsm: {token: t, pin-env: PIN, " k ": " v "}\n" \
	"apex:\n" \
	"  soa: {mname: ns1.nic.example, rname: hostmaster.nic.example.}\n" \
	"  ns: [ns1.nic.example]\n"
	is_int(TLD_OK, parse(WITH_BOOL("session-key-copies", "false"), &cfg, first, sizeof(first)),
	       "session-key-copies: false loads");
	ok(cfg != NULL && !cfg->hsm.session_key_copies && cfg->hsm.early_workers, "session-key-copies false is kept");
	tld_config_free(cfg);
	cfg = NULL;
	ok(parse(WITH_BOOL("session-key-copies", "maybe"), NULL, first, sizeof(first)) != TLD_OK,
	   "session-key-copies: maybe is refused");
	ok(strstr(first, "session-key-copies") != NULL, "the error names the key: %s", first);
	is_int(TLD_OK, parse(WITH_BOOL("early-workers", "false"), &cfg, first, sizeof(first)), "early-workers: false loads");
	ok(cfg != NULL && !cfg->hsm.early_workers && cfg->hsm.session_key_copies, "early-workers false is kept");
	tld_config_free(cfg);
	cfg = NULL;
	ok(parse(WITH_BOOL("early-workers", "1"), NULL, first, sizeof(first)) != TLD_OK, "early-workers: 1 is refused");
	ok(strstr(first, "early-workers") != NULL, "the error names the key: %s", first);
#undef WITH_BOOL
}

int main(void)
{
	plan_lazy();
	test_sample();
	test_defaults();
	return exit_status();
}
