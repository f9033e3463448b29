/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy/policy.c: the sample etc/policy.yaml, defaults, names, cross-field checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/yaml_doc.h"
#include "policy/policy.h"
#include "tests/tap/tap.h"

/* Parses text; expects err; when want is not NULL, expects exactly that one message. */
static struct tld_policy *check(const char *text, int want_err, const char *want, const char *what)
{
	struct tld_diag d = { 0 };
	struct tld_policy *pol = NULL;
	int err = tld_policy_parse("p.yaml", text, strlen(text), &d, &pol);
	is_int(want_err, err, "%s: result", what);
	if (want != NULL) {
		is_int(1, (long long)d.count, "%s: one problem", what);
		is_str(want, d.count > 0 ? d.msgs[0] : "", "%s: message", what);
	}
	for (size_t i = 0; i < d.count && (want == NULL || d.count != 1); i++) {
		diag("%s", d.msgs[i]);
	}
	tld_diag_clear(&d);
	return pol;
}

static void test_sample(void)
{
	struct tld_policy *pol = NULL;
	is_int(TLD_OK, tld_policy_load("etc/policy.yaml", &pol), "etc/policy.yaml loads");
	if (pol == NULL) {
		return;
	}
	is_str("etc/policy.yaml", pol->path, "path kept");
	is_int(TLD_ALG_ECDSAP256SHA256, pol->algorithm, "algorithm");
	ok(!pol->use_csk, "ksk + zsk");
	is_int(365 * 86400, pol->ksk_lifetime, "ksk lifetime 1y");
	is_int(90 * 86400, pol->zsk_lifetime, "zsk lifetime 90d");
	is_int(2048, pol->rsa_bits, "rsa-bits default");
	is_int(TLD_KSK_DOUBLE_DS, pol->ksk_rollover, "ksk rollover");
	is_int(TLD_ZSK_PRE_PUBLISH, pol->zsk_rollover, "zsk rollover");
	is_int(TLD_DENIAL_NSEC3, pol->denial.type, "nsec3");
	ok(pol->denial.opt_out, "opt-out");
	is_int(0, pol->denial.iterations, "iterations");
	is_int(0, pol->denial.salt_len, "no salt");
	is_int(14 * 86400, pol->signatures.validity, "validity");
	is_int(21 * 86400, pol->signatures.dnskey_validity, "dnskey-validity");
	is_int(7 * 86400, pol->signatures.refresh, "refresh");
	is_int(12 * 3600, pol->signatures.jitter, "jitter");
	is_int(3600, pol->signatures.inception_offset, "inception-offset");
	is_int(TLD_SERIAL_UNIXTIME, pol->serial, "serial");
	is_int(3600, pol->ttl.dnskey, "ttl dnskey");
	is_int(172800, pol->ttl.max_zone, "ttl max-zone");
	is_int(86400, pol->parent.ds_ttl, "ds-ttl");
	is_int(3600, pol->parent.propagation_delay, "parent propagation-delay");
	is_int(2, pol->parent.ds_digest, "ds-digest sha256 = 2");
	is_int(TLD_CDS_ROLLOVER, pol->parent.cds, "cds");
	is_int(0, pol->parent.nameservers_count, "no parent nameservers");
	is_int(3600, pol->timing.propagation_delay, "timing propagation-delay");
	is_int(3600, pol->timing.publish_safety, "publish-safety");
	is_int(3600, pol->timing.retire_safety, "retire-safety");
	tld_policy_free(pol);
}

static void test_defaults(void)
{
	struct tld_policy *pol = check("serial: counter\n", TLD_OK, NULL, "one key");
	if (pol != NULL) {
		is_int(TLD_ALG_ECDSAP256SHA256, pol->algorithm, "default algorithm");
		ok(!pol->use_csk, "default ksk + zsk");
		is_int(365 * 86400, pol->ksk_lifetime, "default ksk lifetime");
		is_int(90 * 86400, pol->zsk_lifetime, "default zsk lifetime");
		is_int(TLD_DENIAL_NSEC3, pol->denial.type, "default nsec3");
		ok(pol->denial.opt_out, "default opt-out");
		is_int(TLD_SERIAL_COUNTER, pol->serial, "serial counter");
		is_int(TLD_CDS_ROLLOVER, pol->parent.cds, "default cds");
		is_int(12 * 3600, pol->signatures.jitter, "default jitter");
	}
	tld_policy_free(pol);

	pol = check("algorithm: RSASHA256\nkeys: {csk: {lifetime: 0}, rsa-bits: 4096}\n"
	            "denial: {salt: 'AABBcc', iterations: 5}\n"
	            "parent: {ds-digest: sha384, nameservers: ['192.0.2.53', '::1@5353']}\n",
	            TLD_OK, NULL, "csk rsa");
	if (pol != NULL) {
		is_int(TLD_ALG_RSASHA256, pol->algorithm, "algorithm by name, any case");
		ok(pol->use_csk, "csk alone");
		is_int(0, pol->csk_lifetime, "csk lifetime 0 = unlimited");
		is_int(4096, pol->rsa_bits, "rsa-bits");
		is_mem("\xaa\xbb\xcc", 3, pol->denial.salt, pol->denial.salt_len, "hex salt decoded");
		is_int(5, pol->denial.iterations, "iterations");
		is_int(4, pol->parent.ds_digest, "sha384 = 4");
		is_int(2, pol->parent.nameservers_count, "two parent servers");
		is_str("::1@5353", pol->parent.nameservers_count == 2 ? pol->parent.nameservers[1] : "", "kept as written");
	}
	tld_policy_free(pol);

	pol = check("algorithm: 15\n", TLD_OK, NULL, "algorithm by number");
	is_int(TLD_ALG_ED25519, pol ? (int)pol->algorithm : 0, "15 = ed25519");
	tld_policy_free(pol);
}

static void test_names(void)
{
	is_str("ecdsap256sha256", tld_algorithm_name(13), "name of 13");
	is_str("ed448", tld_algorithm_name(16), "name of 16");
	ok(tld_algorithm_name(5) == NULL, "RSASHA1 unsupported");
	is_int(8, tld_algorithm_from_name("rsasha256"), "rsasha256");
	is_int(14, tld_algorithm_from_name("ECDSAP384SHA384"), "upper case");
	is_int(10, tld_algorithm_from_name("10"), "by number");
	is_int(0, tld_algorithm_from_name("7"), "unsupported number");
	is_int(0, tld_algorithm_from_name("dsa"), "unknown name");
	is_int(0, tld_algorithm_from_name(""), "empty");
	is_str("ksk", tld_role_name(TLD_ROLE_KSK), "ksk");
	is_str("csk", tld_role_name(TLD_ROLE_CSK), "csk");
	is_int(TLD_ROLE_ZSK, tld_role_from_name("zsk"), "zsk");
	is_int(0, tld_role_from_name("xsk"), "unknown role");
}

int main(void)
{
	plan_lazy();
	test_sample();
	test_defaults();
	test_names();
	return exit_status();
}
