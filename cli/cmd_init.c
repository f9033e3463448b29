/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tldsign init DIR --zone NAME
 *
 * Creates a working instance: DIR/tldsign.yaml, DIR/policy.yaml (ECDSA P-256,
 * NSEC3 opt-out, iterations 0), DIR/apex.zone, DIR/export/ (a small sample
 * export from zonegen/export_gen.c, stamped with "now"), DIR/state/ and
 * DIR/hsm/.  The HSM step (SoftHSM token, PIN file, keys) is the one call
 * init_hsm() at the end.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hsm/init.h"
#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "zonegen/export_gen.h"
#include "zonegen/name.h"

#define SAMPLE_DELEGATIONS 100

/* -- internal API -- */

static int make_dir(const char *path)
{
	if (mkdir(path, 0750) != 0 && errno != EEXIST) {
		tld_error("%s: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	return TLD_OK;
}

static int write_text(const char *dir, const char *name, const char *text, unsigned mode)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return tld_atomic_write(path, text, strlen(text), mode);
}

static int write_config(const char *dir, const char *zone)
{
	char text[4096];
	/* zone is "nic." form; the apex servers live under nic.ZONE */
	snprintf(text, sizeof(text),
	         "# tldsign instance made by `tldsign init` (see etc/tldsign.yaml for every key)\n"
	         "zone: %s\n"
	         "export: export/\n"
	         "state-dir: state/\n"
	         "policy: policy.yaml\n"
	         "hsm:\n"
	         "  module: /usr/lib/softhsm/libsofthsm2.so\n"
	         "  token: tldsign\n"
	         "  pin-file: hsm/pin\n"
	         "  softhsm-conf: hsm/softhsm2.conf\n"
	         "apex:\n"
	         "  soa: {mname: ns1.nic.%s, rname: hostmaster.nic.%s, refresh: 1800,\n"
	         "        retry: 900, expire: 1209600, minimum: 3600, ttl: 3600}\n"
	         "  ns: [ns1.nic.%s, ns2.nic.%s]\n"
	         "  records: apex.zone\n"
	         "ttl: {delegation-ns: 172800, ds: 86400, glue: 172800}\n"
	         "zonegen:\n"
	         "  ds-algorithms: [8, 10, 13, 14, 15, 16]\n"
	         "  ds-digest-types: [2, 4]\n"
	         "  keydata-digest: sha256\n"
	         "output:\n"
	         "  dir: zones/\n"
	         "  keep: 10\n"
	         "guards:\n"
	         "  max-delegation-drop: 5%%\n"
	         "  max-ds-drop: 5%%\n"
	         "  max-bad-rows: 0.5%%\n"
	         "  max-export-age: 2h\n",
	         zone, zone, zone, zone, zone);
	return write_text(dir, "tldsign.yaml", text, 0644);
}

static int write_policy(const char *dir)
{
	static const char text[] =
		"# signing and rollover policy made by `tldsign init` (see etc/policy.yaml)\n"
		"algorithm: ecdsap256sha256\n"
		"keys:\n"
		"  ksk: {lifetime: 1y}\n"
		"  zsk: {lifetime: 90d}\n"
		"rollover: {ksk: double-ds, zsk: pre-publish}\n"
		"denial:\n"
		"  type: nsec3\n"
		"  opt-out: true\n"
		"  iterations: 0\n"
		"  salt: \"\"\n"
		"signatures:\n"
		"  validity: 14d\n"
		"  dnskey-validity: 21d\n"
		"  refresh: 7d\n"
		"  jitter: 12h\n"
		"  inception-offset: 1h\n"
		"serial: unixtime\n"
		"ttl: {dnskey: 3600, max-zone: 172800}\n"
		"parent:\n"
		"  ds-ttl: 86400\n"
		"  propagation-delay: 1h\n"
		"  ds-digest: sha256\n"
		"  cds: rollover\n"
		"timing: {propagation-delay: 1h, publish-safety: 1h, retire-safety: 1h}\n";
	return write_text(dir, "policy.yaml", text, 0644);
}

static int write_apex(const char *dir, const char *zone)
{
	char text[1024];
	snprintf(text, sizeof(text),
	         "; apex data: addresses of the apex name servers (documentation addresses)\n"
	         "ns1.nic.%s 3600 IN A 192.0.2.53\n"
	         "ns1.nic.%s 3600 IN AAAA 2001:db8::53\n"
	         "ns2.nic.%s 3600 IN A 198.51.100.53\n",
	         zone, zone, zone);
	return write_text(dir, "apex.zone", text, 0644);
}

/*
 * THE HSM STEP (HSM engineer): create DIR/hsm/softhsm2.conf and the token
 * directory, the PIN file DIR/hsm/pin (mode 0600), initialise the token
 * "tldsign", and generate the keys policy.yaml asks for.  Replace the body
 * with one call into hsm/ (e.g. tld_hsm_init_instance(dir, cfg_path)).
 * Until then init stops after the files and says so.
 */
static int init_hsm(const char *dir)
{
	return tld_init_hsm_instance(dir); /* hsm/init.h */
}

/* -- public API -- */

int cmd_init(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	const char *zone_arg = NULL;
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'z') {
			return TLD_EUSAGE;
		}
		zone_arg = optarg;
	}
	if (optind + 1 != argc || zone_arg == NULL) {
		tld_error("usage: tldsign init DIR --zone NAME");
		return TLD_EUSAGE;
	}
	const char *dir = argv[optind];
	char zone[TLD_NAME_MAX_TEXT];
	const char *why = NULL;
	if (tld_name_normalize(zone_arg, strlen(zone_arg), zone, &why) == 0) {
		tld_error("--zone '%s': %s", zone_arg, why);
		return TLD_EUSAGE;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/tldsign.yaml", dir);
	if (access(path, F_OK) == 0) {
		tld_error("%s exists; init does not overwrite an instance", path);
		return TLD_EEXIST;
	}
	int ret = make_dir(dir);
	const char *subdirs[] = { "state", "hsm", "zones" };
	for (size_t i = 0; i < 3 && ret == TLD_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		ret = make_dir(path);
	}
	if (ret == TLD_OK) {
		ret = write_policy(dir);
	}
	if (ret == TLD_OK) {
		ret = write_apex(dir, zone);
	}
	if (ret == TLD_OK) {
		char stamp[32];
		struct tld_export_gen g = { .delegations = SAMPLE_DELEGATIONS, .ds_share = 0.2,
			                    .glue_share = 0.2, .seed = 1, .tld = zone,
			                    .exported_at = tld_time_format(tld_now(), stamp,
			                                                   sizeof(stamp)) };
		snprintf(path, sizeof(path), "%s/export", dir);
		ret = tld_export_generate(&g, path);
	}
	/* the config last: an instance with tldsign.yaml is a complete one */
	if (ret == TLD_OK) {
		ret = write_config(dir, zone);
	}
	if (ret == TLD_OK) {
		ret = init_hsm(dir);
	}
	return ret;
}
