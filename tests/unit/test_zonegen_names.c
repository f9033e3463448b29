/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Name rules: A-labels, LDH, lengths, lower case, zone membership, canonical order. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "tests/tap/tap.h"
#include "zonegen/ds.h"
#include "zonegen/name.h"

static void norm_ok(const char *in, const char *want)
{
	char out[TLD_NAME_MAX_TEXT];
	const char *why = NULL;
	size_t len = tld_name_normalize(in, strlen(in), out, &why);
	ok(len > 0 && strcmp(out, want) == 0 && len == strlen(want), "'%s' -> '%s' (%s)", in, want,
	   len ? out : why);
}

static void norm_bad(const char *in, const char *why_part)
{
	char out[TLD_NAME_MAX_TEXT];
	const char *why = "";
	size_t len = tld_name_normalize(in, strlen(in), out, &why);
	ok(len == 0 && strstr(why, why_part) != NULL, "'%.40s' rejected: %s", in, why);
}

static int cmp_key(const void *a, const void *b)
{
	unsigned char ka[512], kb[512];
	size_t la = tld_name_canon_key(*(const char *const *)a, ka);
	size_t lb = tld_name_canon_key(*(const char *const *)b, kb);
	int c = memcmp(ka, kb, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

int main(void)
{
	plan_lazy();
	norm_ok("Example.TEST", "example.test.");
	norm_ok("example.test.", "example.test.");
	norm_ok("xn--bcher-kva.test", "xn--bcher-kva.test.");
	norm_ok("a-b.test", "a-b.test.");
	norm_ok("0.test", "0.test.");
	norm_bad("", "empty");
	norm_bad(".", "empty");
	norm_bad("a..test", "empty label");
	norm_bad("b\xc3\xbc" "cher.test", "U-label");
	norm_bad("under_score.test", "not allowed");
	norm_bad("sp ace.test", "not allowed");
	norm_bad("-lead.test", "hyphen");
	norm_bad("trail-.test", "hyphen");
	norm_bad("ab--cd.test", "positions 3 and 4");
	char label[80];
	memset(label, 'a', 64);
	strcpy(label + 64, ".test");
	norm_bad(label, "63");
	memset(label, 'a', 63);
	strcpy(label + 63, ".test");
	char want63[sizeof(label) + 1];
	snprintf(want63, sizeof(want63), "%s.", label);
	norm_ok(label, want63);
	char longname[400] = "";
	for (int i = 0; i < 5; i++) {
		strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	}
	strcat(longname, "test");
	norm_bad(longname, "255");
	/* each rule in the first, a middle and the last label, upper and lower case */
	norm_ok("NS1.Provider-9.NET.", "ns1.provider-9.net.");
	norm_ok("XN--BCHER-KVA.xn--p1ai", "xn--bcher-kva.xn--p1ai.");
	norm_bad("a-.b.test", "hyphen");
	norm_bad("a.b.test-", "hyphen");
	norm_bad("a.-b.test", "hyphen");
	norm_bad("xn--", "hyphen");
	norm_bad("a.AB--cd", "positions 3 and 4");
	norm_ok("ab-c.ab-cd.abc--d.test", "ab-c.ab-cd.abc--d.test.");
	norm_bad("a.b..", "empty label");
	norm_bad(".a.test", "empty label");
	norm_bad("a.test..", "empty label");
	norm_bad("a/b.test", "not allowed");
	norm_bad("a.b\x7f", "not allowed");
	char nul[] = "ab\0c.test";
	char nout[TLD_NAME_MAX_TEXT];
	const char *nwhy = "";
	ok(tld_name_normalize(nul, sizeof(nul) - 1, nout, &nwhy) == 0 && strstr(nwhy, "not allowed"),
	   "a NUL byte inside the name rejected: %s", nwhy);
	/* 253 octets of text (255 in wire form) is the longest name */
	char name253[260];
	memset(name253, 'a', 253);
	for (int i = 63; i < 253; i += 64) {
		name253[i] = '.';
	}
	name253[253] = '\0';
	char want253[sizeof(name253) + 1];
	snprintf(want253, sizeof(want253), "%s.", name253);
	norm_ok(name253, want253);
	name253[253] = 'b';
	name253[254] = '\0';
	norm_bad(name253, "255");
	/* every byte value inside a name, at every offset of the words it is
	 * checked in: accepted (lower-cased) exactly when LDH or a dot */
	int right = 0, cases = 0;
	for (int pos = 1; pos < 22; pos++) {
		for (int b = 0; b < 256; b++) {
			char in[24], out[TLD_NAME_MAX_TEXT];
			memcpy(in, "abcdefghijklmnopqrstuvw", 23);
			in[pos] = (char)b;
			const char *why = "";
			size_t len = tld_name_normalize(in, 23, out, &why);
			bool ldh = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
			           (b >= '0' && b <= '9') || b == '-' || b == '.';
			char want = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
			cases++;
			right += ldh ? len == 24 && out[pos] == want && out[23] == '.' &&
			                       memcmp(out, in, (size_t)pos) == 0
			             : len == 0 && (strstr(why, "not allowed") || strstr(why, "U-label"));
		}
	}
	is_int(cases, right, "every byte at every offset: accepted exactly when LDH or a dot");
	/* the most labels a name can have, and a name of dots only */
	for (int i = 0; i < 253; i++) {
		name253[i] = i % 2 ? '.' : 'a';
	}
	name253[253] = '\0';
	snprintf(want253, sizeof(want253), "%s.", name253);
	norm_ok(name253, want253);
	memset(name253, '.', 253);
	norm_bad(name253, "empty");

	ok(tld_name_under("a.test.", 7, "test.", 5, true), "a.test. strictly under test.");
	ok(!tld_name_under("test.", 5, "test.", 5, true), "apex not strictly under itself");
	ok(tld_name_under("test.", 5, "test.", 5, false), "apex at or under itself");
	ok(!tld_name_under("atest.", 6, "test.", 5, false), "atest. not under test.");
	ok(!tld_name_under("a.example.", 10, "test.", 5, false), "other TLD not under");
	is_int(2, tld_name_labels("a.test."), "label count");

	ok(tld_name_wire_cmp("ns2.a.", "ns10.a.") < 0, "wire order: shorter label first");
	ok(tld_name_wire_cmp("a.b.", "a.b.") == 0, "wire order: equal");
	ok(tld_name_wire_cmp("a.", "a.b.") < 0, "wire order: name ends first");

	/* RFC 4034 section 6.1 example, in canonical order */
	const char *want[] = { "example.", "a.example.", "yljkjljk.a.example.", "z.a.example.",
		               "zabc.a.example.", "z.example.", "\001.z.example.",
		               "*.z.example.", "\\200.z.example." };
	/* the escaped ones are not LDH text; check the LDH subset plus the wire variant */
	const char *ldh[] = { "z.example.", "zabc.a.example.", "example.", "yljkjljk.a.example.",
		              "z.a.example.", "a.example." };
	qsort(ldh, 6, sizeof(ldh[0]), cmp_key);
	ok(strcmp(ldh[0], want[0]) == 0 && strcmp(ldh[1], want[1]) == 0 &&
	   strcmp(ldh[2], want[2]) == 0 && strcmp(ldh[3], want[3]) == 0 &&
	   strcmp(ldh[4], want[4]) == 0 && strcmp(ldh[5], want[5]) == 0,
	   "RFC 4034 6.1 example order");
	const unsigned char w1[] = { 1, 0x01, 1, 'z', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	const unsigned char w2[] = { 1, '*', 1, 'z', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	const unsigned char w3[] = { 1, 0xc8, 1, 'z', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	const unsigned char w0[] = { 1, 'Z', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	unsigned char k0[64], k1[64], k2[64], k3[64];
	size_t l0 = tld_name_canon_key_wire(w0, k0), l1 = tld_name_canon_key_wire(w1, k1);
	size_t l2 = tld_name_canon_key_wire(w2, k2), l3 = tld_name_canon_key_wire(w3, k3);
	ok(memcmp(k0, k1, l0 < l1 ? l0 : l1) < 0 || (memcmp(k0, k1, l0) == 0 && l0 < l1),
	   "Z.example. before \\001.z.example. (case-insensitive)");
	ok(memcmp(k1, k2, l1 < l2 ? l1 : l2) < 0, "\\001 before *");
	ok(memcmp(k2, k3, l2 < l3 ? l2 : l3) < 0, "* before \\200");
	unsigned char kt[64];
	size_t lt = tld_name_canon_key("z.example.", kt);
	ok(lt == l0 && memcmp(kt, k0, lt) == 0, "text and wire keys agree");

	uint8_t wire[256];
	size_t wl = tld_name_to_wire("ab.test.", wire);
	ok(wl == 9 && memcmp(wire, "\002ab\004test\000", 9) == 0, "name to wire");
	/* tld_name_canon_cmp agrees with memcmp of the canonical keys */
	static const char alphabet[] = "abyzAZ09-";
	uint32_t seed = 12345;
	bool agree = true;
	for (int t = 0; t < 20000 && agree; t++) {
		char names[2][64];
		for (int k = 0; k < 2; k++) {
			size_t p = 0;
			seed = seed * 1103515245u + 12345u;
			int labels = 1 + (int)(seed >> 16) % 4;
			for (int l = 0; l < labels; l++) {
				seed = seed * 1103515245u + 12345u;
				int ll = 1 + (int)(seed >> 16) % 3;
				for (int c = 0; c < ll; c++) {
					seed = seed * 1103515245u + 12345u;
					names[k][p++] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
				}
				names[k][p++] = '.';
			}
			names[k][p] = '\0';
		}
		unsigned char rk0[512], rk1[512];
		size_t rl0 = tld_name_canon_key(names[0], rk0), rl1 = tld_name_canon_key(names[1], rk1);
		int c = memcmp(rk0, rk1, rl0 < rl1 ? rl0 : rl1);
		int rwant = c != 0 ? (c < 0 ? -1 : 1) : (rl0 < rl1 ? -1 : rl0 > rl1);
		int got = tld_name_canon_cmp(names[0], strlen(names[0]), names[1], strlen(names[1]));
		got = got < 0 ? -1 : got > 0;
		if (got != rwant) {
			diag("%s vs %s: canon_cmp %d, keys %d", names[0], names[1], got, rwant);
			agree = false;
		}
	}
	ok(agree, "tld_name_canon_cmp orders 20000 random name pairs as their canonical keys");
	is_int(0, tld_name_canon_cmp(".", 1, ".", 1), "canon_cmp: root equals root");
	ok(tld_name_canon_cmp(".", 1, "a.", 2) < 0, "canon_cmp: root first");
	ok(tld_name_canon_cmp("a.b.", 4, "B.", 2) > 0, "canon_cmp: a.b. after B. (case folded)");
	return exit_status();
}
