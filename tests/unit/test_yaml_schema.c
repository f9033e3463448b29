/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * common/yaml_doc.c + common/yaml_schema.c: one test per error class, each
 * asserting the exact "file:line:column: problem"; plus the value parsers.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/error.h"
#include "common/yaml_doc.h"
#include "common/yaml_schema.h"
#include "policy/policy.h"
#include "tests/tap/tap.h"

#define HEAD "zone: test\nhsm: {token: t, pin-env: P}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n"

/* Parses a config; checks the error code and that the problems are exactly want[] (NULL-terminated). */
static void expect_cfg(const char *text, const char *const *want, const char *what)
{
	struct tld_diag d = { 0 };
	struct tld_config *cfg = NULL;
	int err = tld_config_parse("c.yaml", "", text, strlen(text), &d, &cfg);
	size_t n = 0;
	while (want[n] != NULL) {
		n++;
	}
	is_int(n == 0 ? TLD_OK : TLD_ECONFIG, err, "%s: result", what);
	ok((err == TLD_OK) == (cfg != NULL), "%s: out written only on success", what);
	is_int((long long)n, (long long)d.count, "%s: problem count", what);
	for (size_t i = 0; i < n && i < d.count; i++) {
		is_str(want[i], d.msgs[i], "%s: problem %zu", what, i);
	}
	if (n != d.count) {
		for (size_t i = 0; i < d.count; i++) {
			diag("got: %s", d.msgs[i]);
		}
	}
	tld_config_free(cfg);
	tld_diag_clear(&d);
}

static void expect_pol(const char *text, const char *const *want, const char *what)
{
	struct tld_diag d = { 0 };
	struct tld_policy *pol = NULL;
	int err = tld_policy_parse("p.yaml", text, strlen(text), &d, &pol);
	size_t n = 0;
	while (want[n] != NULL) {
		n++;
	}
	is_int(n == 0 ? TLD_OK : TLD_ECONFIG, err, "%s: result", what);
	ok((err == TLD_OK) == (pol != NULL), "%s: out written only on success", what);
	is_int((long long)n, (long long)d.count, "%s: problem count", what);
	for (size_t i = 0; i < n && i < d.count; i++) {
		is_str(want[i], d.msgs[i], "%s: problem %zu", what, i);
	}
	if (n != d.count) {
		for (size_t i = 0; i < d.count; i++) {
			diag("got: %s", d.msgs[i]);
		}
	}
	tld_policy_free(pol);
	tld_diag_clear(&d);
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

static void test_document_errors(void)
{
	expect_cfg("", W("c.yaml:1:1: empty file (expected a mapping of settings)"), "empty file");
	expect_cfg("# only a comment\n", W("c.yaml:1:1: empty file (expected a mapping of settings)"),
	           "comment-only file");
	expect_cfg("- a\n- b\n", W("c.yaml:1:1: expected a mapping of settings at the top level, got a sequence"),
	           "not a mapping");
	expect_cfg("just words\n", W("c.yaml:1:1: expected a mapping of settings at the top level, got a scalar"),
	           "scalar document");
	expect_cfg("zone: [\n", W("c.yaml:2:1: YAML syntax error: did not find expected node content while parsing a flow node"),
	           "syntax error with libyaml's mark");
	expect_cfg("zone: a\n  bad: indent\n",
	           W("c.yaml:2:6: YAML syntax error: mapping values are not allowed in this context"),
	           "bad indentation");
	expect_cfg("zone: a\n---\nzone: b\n", W("c.yaml:2:1: more than one YAML document in the file"),
	           "two documents");
	expect_cfg("zone: &z test\napex: *z\n", W("c.yaml:1:7: YAML anchors and aliases are not supported"),
	           "anchor refused");
	expect_cfg("zone: !!str test\n", W("c.yaml:1:7: YAML tags are not supported"), "tag refused");

	/* billion laughs: refused at the first anchor, no expansion, no memory blow-up */
	static const char laughs[] =
		"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	expect_cfg(laughs, W("c.yaml:1:4: YAML anchors and aliases are not supported"), "billion laughs");

	/* nesting depth bounded */
	char deep[200];
	memset(deep, '[', 100);
	memcpy(deep + 100, "\n", 2);
	char want[128];
	snprintf(want, sizeof(want), "c.yaml:1:%u: YAML nesting too deep", TLD_YAML_MAX_DEPTH + 1);
	expect_cfg(deep, W(want), "deep nesting");
}

static void test_key_errors(void)
{
	expect_cfg(HEAD "ttl: {ds: 1}\nttl: {glue: 2}\n", W("c.yaml:5:1: ttl: duplicate key (first at 4:1)"),
	           "duplicate top-level key");
	expect_cfg(HEAD "ttl: {ds: 1, ds: 2}\n", W("c.yaml:4:14: ttl.ds: duplicate key (first at 4:7)"),
	           "duplicate nested key");
	expect_cfg(HEAD "publish:\n  notfy-timeout: 30s\n",
	           W("c.yaml:5:3: publish.notfy-timeout: unknown key (did you mean 'notify-timeout'?)"),
	           "unknown key with suggestion");
	expect_cfg(HEAD "frobnicate: 1\n", W("c.yaml:4:1: frobnicate: unknown key"), "unknown key, no suggestion");
	expect_cfg("hsm: {token: t, pin-env: P}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:1:1: zone: missing required key"), "missing zone");
	expect_cfg("zone: t\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:1:1: hsm: missing required key"), "missing hsm");
	expect_cfg("zone: t\nhsm: {pin-env: P}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:2:6: hsm.token: missing required key"), "missing hsm.token");
	expect_cfg("zone: t\nhsm: {token: x}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:2:6: hsm: needs pin-file or pin-env"), "neither pin-file nor pin-env");
	expect_cfg("zone: t\nhsm: {token: x, pin-file: f, pin-env: E}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:2:39: hsm.pin-env: give pin-file or pin-env, not both"), "both pin sources");
	expect_cfg("zone: t\nhsm: {token: x, pin-env: E}\napex: {ns: [a]}\n",
	           W("c.yaml:3:7: apex.soa: missing required key"), "missing apex.soa");
	expect_cfg("zone: t\nhsm: {token: x, pin-env: E}\napex: {soa: {mname: a, rname: b}}\n",
	           W("c.yaml:3:7: apex.ns: missing required key"), "missing apex.ns");
	expect_cfg("zone: t\nhsm: {token: '', pin-env: E}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:2:14: hsm.token: must not be empty"), "empty required string");
	expect_cfg("zone: t\nhsm: {token: x, pin-env: E}\n",
	           W("c.yaml:1:1: apex: missing required key"), "missing apex");
}

static void test_value_errors(void)
{
	expect_cfg(HEAD "ttl: 5\n", W("c.yaml:4:6: ttl: expected a mapping, got a scalar"), "scalar for mapping");
	expect_cfg(HEAD "ttl: {ds: [1]}\n", W("c.yaml:4:11: ttl.ds: expected a single value, got a sequence"),
	           "sequence for scalar");
	expect_cfg(HEAD "zonegen: {ds-algorithms: 8}\n",
	           W("c.yaml:4:26: zonegen.ds-algorithms: expected a sequence, got a scalar"), "scalar for sequence");
	expect_cfg(HEAD "ttl: {ds: }\n", W("c.yaml:4:11: ttl.ds: missing value"), "null value");
	expect_cfg(HEAD "ttl: {ds: 12a}\n", W("c.yaml:4:11: ttl.ds: expected an integer, got '12a'"), "not an integer");
	expect_cfg(HEAD "ttl: {ds: 2147483648}\n", W("c.yaml:4:11: ttl.ds: 2147483648 out of range (0..2147483647)"),
	           "integer out of range");
	expect_cfg(HEAD "ttl: {ds: 99999999999999999999}\n",
	           W("c.yaml:4:11: ttl.ds: 99999999999999999999 out of range (0..2147483647)"), "integer overflow");
	expect_cfg(HEAD "output: {keep: 0}\n", W("c.yaml:4:16: output.keep: 0 out of range (1..100000)"), "below minimum");
	expect_cfg(HEAD "publish:\n  notify-timeout: 30x\n",
	           W("c.yaml:5:19: publish.notify-timeout: bad duration '30x' (use s, m, h, d, w, y)"), "bad duration");
	expect_cfg(HEAD "publish: {notify-timeout: 2d}\n",
	           W("c.yaml:4:27: publish.notify-timeout: duration '2d' out of range (1s..1d)"), "duration out of range");
	expect_cfg(HEAD "publish: {notify-timeout: 0}\n",
	           W("c.yaml:4:27: publish.notify-timeout: duration '0' out of range (1s..1d)"), "zero duration refused");
	expect_cfg(HEAD "guards: {max-ds-drop: 5}\n",
	           W("c.yaml:4:23: guards.max-ds-drop: bad share '5' (write a percentage from 0% to 100%, e.g. 5%)"),
	           "bare number share refused");
	expect_cfg(HEAD "guards: {max-ds-drop: 101%}\n",
	           W("c.yaml:4:23: guards.max-ds-drop: bad share '101%' (write a percentage from 0% to 100%, e.g. 5%)"),
	           "share over 100%");
	expect_cfg(HEAD "zonegen: {keydata-digest: md5}\n",
	           W("c.yaml:4:27: zonegen.keydata-digest: bad value 'md5' (allowed: sha256, sha384)"), "bad enum");
	expect_cfg("zone: 'bad name'\nhsm: {token: t, pin-env: P}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:1:7: zone: bad domain name 'bad name'"), "bad domain name");
	expect_cfg("zone: a..b\nhsm: {token: t, pin-env: P}\napex: {soa: {mname: a, rname: b}, ns: [a]}\n",
	           W("c.yaml:1:7: zone: bad domain name 'a..b'"), "empty label");
	expect_cfg(HEAD "zonegen: {ds-algorithms: [8, 256]}\n",
	           W("c.yaml:4:30: zonegen.ds-algorithms[1]: 256 out of range (1..255)"), "sequence element");
	expect_cfg("zone: t\nhsm: {token: t, pin-env: P}\napex: {soa: {mname: a, rname: b}, ns: []}\n",
	           W("c.yaml:3:39: apex.ns: needs 1 to 64 entries, has 0"), "empty ns list");
	expect_cfg(HEAD "publish: {listen: ['127.0.0.1@0']}\n",
	           W("c.yaml:4:20: publish.listen[0]: bad address '127.0.0.1@0' (use 192.0.2.1, 192.0.2.1@5300, ::1@5300)"),
	           "port 0");
	expect_cfg(HEAD "publish: {listen: ['localhost@53']}\n",
	           W("c.yaml:4:20: publish.listen[0]: bad address 'localhost@53' (use 192.0.2.1, 192.0.2.1@5300, ::1@5300)"),
	           "host name instead of address");
	expect_cfg(HEAD "publish: {acl: [{from: ['127.0.0.1/8']}]}\n",
	           W("c.yaml:4:25: publish.acl[0].from[0]: bad prefix '127.0.0.1/8' (use 127.0.0.0/8, ::1/128 or an address; host bits must be zero)"),
	           "prefix with host bits");
	expect_cfg(HEAD "publish: {acl: [{from: ['::/129']}]}\n",
	           W("c.yaml:4:25: publish.acl[0].from[0]: bad prefix '::/129' (use 127.0.0.0/8, ::1/128 or an address; host bits must be zero)"),
	           "prefix too long");
	expect_cfg(HEAD "publish: {tsig: [{name: k, secret: 'abc'}]}\n",
	           W("c.yaml:4:36: publish.tsig[0].secret: bad base64 value"), "bad base64");
	expect_cfg(HEAD "publish: {tsig: [{name: k}]}\n",
	           W("c.yaml:4:18: publish.tsig[0].secret: missing required key"), "TSIG without secret");
	expect_cfg(HEAD "ttl: {ds: 1}\n'ttl\\0x': 1\n", W("c.yaml:5:1: ttl\\0x: unknown key"), "escaped key stays text");
	expect_cfg(HEAD "publish: {tsig: [{name: k, algorithm: hmac-sha1, secret: 'AAAA'}]}\n",
	           W("c.yaml:4:39: publish.tsig[0].algorithm: bad value 'hmac-sha1' (allowed: hmac-sha256, hmac-sha512)"),
	           "TSIG algorithm");
}

static void test_cross_checks(void)
{
	expect_cfg(HEAD "publish: {acl: [{key: other, from: ['::1']}]}\n",
	           W("c.yaml:4:23: publish.acl[0].key: TSIG key 'other.' is not defined in publish.tsig"),
	           "ACL names an undefined key");
	expect_cfg(HEAD "publish: {secondaries: [{address: '::1@5301', key: nope}]}\n",
	           W("c.yaml:4:52: publish.secondaries[0].key: TSIG key 'nope.' is not defined in publish.tsig"),
	           "secondary names an undefined key");
	expect_cfg(HEAD "publish: {tsig: [{name: k, secret: 'AAAA'}, {name: K., secret: 'AAAA'}]}\n",
	           W("c.yaml:4:52: publish.tsig[1].name: TSIG key 'k.' defined twice (also publish.tsig[0])"),
	           "TSIG key defined twice");
	expect_cfg(HEAD "publish: {tsig: [{name: k, secret: 'AAAA'}], acl: [{key: K, from: ['::1']}],\n"
	           "  secondaries: [{address: '::1', key: k.}]}\n", NONE, "keys match case-insensitively");

	/* every problem is reported, not just the first */
	expect_cfg("zone: a..b\nhsm: {token: x}\napex: {soa: {mname: a}, ns: [a]}\nttl: {ds: x, glue: -5}\nbogus: 1\n",
	           W("c.yaml:1:7: zone: bad domain name 'a..b'",
	             "c.yaml:3:13: apex.soa.rname: missing required key",
	             "c.yaml:4:11: ttl.ds: expected an integer, got 'x'",
	             "c.yaml:4:20: ttl.glue: -5 out of range (0..2147483647)",
	             "c.yaml:5:1: bogus: unknown key",
	             "c.yaml:2:6: hsm: needs pin-file or pin-env"),
	           "all problems reported");
}

static void test_policy_errors(void)
{
	expect_pol("keys: {ksk: {lifetime: 1y}, csk: {lifetime: 1y}}\n",
	           W("p.yaml:1:34: keys.csk: use either ksk + zsk, or csk alone"), "ksk with csk");
	expect_pol("keys: {zsk: {lifetime: 1y}}\n",
	           W("p.yaml:1:13: keys: zsk without ksk (use either ksk + zsk, or csk alone)"), "zsk alone");
	expect_pol("keys: {rsa-bits: 2048}\n",
	           W("p.yaml:1:18: keys.rsa-bits: applies only to RSA algorithms (rsasha256, rsasha512), not ecdsap256sha256"),
	           "rsa-bits with ECDSA");
	expect_pol("algorithm: rsasha512\nkeys: {rsa-bits: 1024}\n",
	           W("p.yaml:2:18: keys.rsa-bits: 1024 out of range (2048..4096)"), "rsa-bits too small");
	expect_pol("algorithm: rsasha1\n",
	           W("p.yaml:1:12: algorithm: bad algorithm 'rsasha1' (allowed: rsasha256, rsasha512, ecdsap256sha256, ecdsap384sha384, ed25519, ed448)"),
	           "unsupported algorithm");
	expect_pol("signatures: {validity: 7d, refresh: 7d}\n",
	           W("p.yaml:1:37: signatures.refresh: refresh (7d) must be shorter than validity (7d)"),
	           "refresh not below validity");
	expect_pol("signatures: {dnskey-validity: 5d}\n",
	           W("p.yaml:1:13: signatures.refresh: refresh (7d) must be shorter than dnskey-validity (5d)"),
	           "refresh not below dnskey-validity (default refresh, placed at the section)");
	expect_pol("signatures: {validity: 14d, refresh: 7d, jitter: 7d}\n",
	           W("p.yaml:1:50: signatures.jitter: jitter (7d) must be shorter than validity - refresh (7d)"),
	           "jitter too large");
	expect_pol("signatures: {validity: 30m}\n",
	           W("p.yaml:1:24: signatures.validity: duration '30m' out of range (1h..100y)"), "validity too short");
	expect_pol("denial: {iterations: 101}\n", W("p.yaml:1:22: denial.iterations: 101 out of range (0..100)"),
	           "iterations capped");
	expect_pol("denial: {salt: abc}\n",
	           W("p.yaml:1:16: denial.salt: bad hex salt 'abc' (even number of 0-9, a-f; \"\" for none)"), "odd hex");
	char big[700];
	memcpy(big, "denial: {salt: ", 15);
	memset(big + 15, 'a', 512);
	memcpy(big + 527, "}\n", 3);
	expect_pol(big, W("p.yaml:1:16: denial.salt: salt longer than 255 bytes"), "salt too long");
	expect_pol("denial: {type: nsec, opt-out: true}\n",
	           W("p.yaml:1:31: denial.opt-out: opt-out applies only to nsec3"), "opt-out with nsec");
	expect_pol("denial: {opt-out: yes}\n", W("p.yaml:1:19: denial.opt-out: expected true or false, got 'yes'"),
	           "YAML 1.1 boolean refused");
	expect_pol("rollover: {ksk: double-signature}\n",
	           W("p.yaml:1:17: rollover.ksk: bad value 'double-signature' (allowed: double-ds, double-ksk)"),
	           "bad rollover");
	expect_pol("parent: {nameservers: ['ns.example']}\n",
	           W("p.yaml:1:24: parent.nameservers[0]: bad address 'ns.example' (use 192.0.2.1, 192.0.2.1@5300, ::1@5300)"),
	           "parent nameserver not an address");
	expect_pol("algorithm: ed448\nalgorithm: ed25519\n", W("p.yaml:2:1: algorithm: duplicate key (first at 1:1)"),
	           "duplicate policy key");
	expect_pol("signatures: {refesh: 1d}\n",
	           W("p.yaml:1:14: signatures.refesh: unknown key (did you mean 'refresh'?)"), "policy typo");
	expect_pol("denial: {type: nsec, opt-out: false}\nkeys: {csk: {}}\n", NONE, "nsec with csk is fine");
}

static void test_parsers(void)
{
	char *s = NULL;
	is_int(TLD_OK, tld_name_normalise("NIC.Test", &s), "name ok");
	is_str("nic.test.", s, "lower case, trailing dot");
	free(s);
	s = NULL;
	is_int(TLD_OK, tld_name_normalise(".", &s), "root");
	is_str(".", s, "root stays");
	free(s);
	is_int(TLD_EINVAL, tld_name_normalise("", &s), "empty name");
	is_int(TLD_EINVAL, tld_name_normalise(".a", &s), "leading dot");
	is_int(TLD_EINVAL, tld_name_normalise("a b", &s), "space");
	char lab[80];
	memset(lab, 'a', 64);
	lab[64] = '\0';
	is_int(TLD_EINVAL, tld_name_normalise(lab, &s), "64-character label");
	lab[63] = '\0';
	is_int(TLD_OK, tld_name_normalise(lab, &s), "63-character label");
	free(s);

	struct tld_sockaddr sa;
	is_int(TLD_OK, tld_sockaddr_parse("::1@5300", &sa), "v6 with port");
	is_int(5300, ntohs(((struct sockaddr_in6 *)&sa.ss)->sin6_port), "v6 port");
	is_int(sizeof(struct sockaddr_in6), sa.len, "v6 len");
	is_int(TLD_OK, tld_sockaddr_parse("192.0.2.1", &sa), "v4 default port");
	is_int(53, ntohs(((struct sockaddr_in *)&sa.ss)->sin_port), "port 53");
	is_int(TLD_EINVAL, tld_sockaddr_parse("192.0.2.1@", &sa), "empty port");
	is_int(TLD_EINVAL, tld_sockaddr_parse("192.0.2.1@65536", &sa), "port too large");
	is_int(TLD_EINVAL, tld_sockaddr_parse("192.0.2.1@-1", &sa), "negative port");
	is_int(TLD_EINVAL, tld_sockaddr_parse("@53", &sa), "no address");

	struct tld_prefix p;
	is_int(TLD_OK, tld_prefix_parse("127.0.0.0/8", &p), "v4 prefix");
	struct sockaddr_in in = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.9.9.9", &in.sin_addr);
	ok(tld_prefix_match(&p, (struct sockaddr *)&in), "127.9.9.9 in 127/8");
	inet_pton(AF_INET, "128.0.0.1", &in.sin_addr);
	ok(!tld_prefix_match(&p, (struct sockaddr *)&in), "128.0.0.1 not in 127/8");
	is_int(TLD_OK, tld_prefix_parse("::1", &p), "bare v6");
	is_int(128, p.bits, "bare v6 is /128");
	is_int(TLD_OK, tld_prefix_parse("0.0.0.0/0", &p), "/0");
	is_int(TLD_EINVAL, tld_prefix_parse("10.0.0.0/", &p), "empty length");
	is_int(TLD_EINVAL, tld_prefix_parse("10.0.0.1/24", &p), "host bits");

	uint8_t *b = NULL;
	size_t n = 0;
	is_int(TLD_OK, tld_base64_decode("aGVsbG8=", &b, &n), "base64 one pad");
	is_mem("hello", 5, b, n, "hello");
	free(b);
	is_int(TLD_OK, tld_base64_decode("aGk=", &b, &n), "base64");
	is_mem("hi", 2, b, n, "hi");
	free(b);
	is_int(TLD_OK, tld_base64_decode("aA==", &b, &n), "base64 two pads");
	is_int(1, n, "one byte");
	free(b);
	is_int(TLD_EINVAL, tld_base64_decode("aGVsbG8", &b, &n), "missing padding");
	is_int(TLD_EINVAL, tld_base64_decode("a=Vs", &b, &n), "pad in the middle");
	is_int(TLD_EINVAL, tld_base64_decode("aGVs bG8=", &b, &n), "space");
	is_int(TLD_EINVAL, tld_base64_decode("a===", &b, &n), "three pads");

	uint8_t buf[4];
	is_int(TLD_OK, tld_hex_decode("DEADbeef", buf, sizeof(buf), &n), "hex");
	is_mem("\xde\xad\xbe\xef", 4, buf, n, "hex value");
	is_int(TLD_ERANGE, tld_hex_decode("0011223344", buf, sizeof(buf), &n), "hex too long");
	is_int(TLD_EINVAL, tld_hex_decode("0g", buf, sizeof(buf), &n), "not hex");

	double d = 0;
	is_int(TLD_OK, tld_share_parse("0.5%", &d), "0.5%%");
	ok(d > 0.00499 && d < 0.00501, "0.5%% = 0.005");
	is_int(TLD_OK, tld_share_parse("100%", &d), "100%%");
	ok(d == 1.0, "100%% = 1");
	is_int(TLD_EINVAL, tld_share_parse("5", &d), "bare number");
	is_int(TLD_EINVAL, tld_share_parse("%", &d), "no digits");
	is_int(TLD_EINVAL, tld_share_parse("-1%", &d), "negative");
	is_int(TLD_EINVAL, tld_share_parse("1.%", &d), "trailing dot");
	is_int(TLD_EINVAL, tld_share_parse("1e2%", &d), "exponent");
}

static void test_unreadable(void)
{
	struct tld_diag d = { 0 };
	struct tld_config *cfg = NULL;
	is_int(TLD_ENOENT, tld_config_load_diag("/nonexistent/tldsign.yaml", &d, &cfg), "missing file");
	is_str("/nonexistent/tldsign.yaml: cannot read: No such file or directory",
	       d.count ? d.msgs[0] : "", "missing file named");
	ok(cfg == NULL, "no config");
	tld_diag_clear(&d);
}

int main(void)
{
	plan_lazy();
	test_document_errors();
	test_key_errors();
	test_value_errors();
	test_cross_checks();
	test_policy_errors();
	test_parsers();
	test_unreadable();
	return exit_status();
}
