/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fast zone-file parser: every supported form gives the same owner, type,
 * TTL and RDATA as ldns's parser (differential), plus malformed input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/zparse.h"
#include "tests/tap/tap.h"

struct got {
	uint8_t owner[256];
	uint16_t type;
	uint32_t ttl;
	uint8_t rd[65536];
	uint16_t rdlen;
	uint32_t line;
	int count;
};

static int sink(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct got *g = ctx;
	(void)rclass;
	memcpy(g->owner, owner, signer_dname_len(owner, 255));
	g->type = type;
	g->ttl = ttl;
	memcpy(g->rd, rdata, rdlen);
	g->rdlen = rdlen;
	g->line = line;
	g->count++;
	return TLD_OK;
}

static const uint8_t origin[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };

static void same_as_ldns(const char *rr_text)
{
	static struct got g;
	memset(&g, 0, sizeof(g));
	int ret = signer_zparse("t", rr_text, strlen(rr_text), origin, sink, &g);
	ldns_rr *rr = NULL;
	ldns_rdf *orig = ldns_dname_new_frm_data(sizeof(origin), origin);
	ldns_status s = ldns_rr_new_frm_str(&rr, rr_text, 3600, orig, NULL);
	ldns_rdf_deep_free(orig);
	if (ret != TLD_OK || g.count != 1 || s != LDNS_STATUS_OK) {
		ok(0, "both parse: %s (ours %d, ldns %s)", rr_text, ret, ldns_get_errorstr_by_id(s));
		ldns_rr_free(rr);
		return;
	}
	ldns_buffer *b = ldns_buffer_new(1024);
	ldns_rr_rdata2buffer_wire(b, rr);
	ok(g.type == (uint16_t)ldns_rr_get_type(rr) && g.ttl == ldns_rr_ttl(rr) &&
	   memcmp(g.owner, ldns_rdf_data(ldns_rr_owner(rr)), ldns_rdf_size(ldns_rr_owner(rr))) == 0 &&
	   g.rdlen == ldns_buffer_position(b) && memcmp(g.rd, ldns_buffer_begin(b), g.rdlen) == 0,
	   "same as ldns: %s", rr_text);
	ldns_buffer_free(b);
	ldns_rr_free(rr);
}

static void test_differential(void)
{
	const char *rrs[] = {
		"a.example. 300 IN A 192.0.2.1",
		"a 300 IN AAAA 2001:db8::1",
		"a 300 NS ns1.a",
		"@ 300 IN NS ns.other.",
		"a 1h IN CNAME b",
		"a 300 IN DNAME target.net.",
		"a 300 IN PTR x\\.y.example.",
		"a 300 IN MX 10 mail",
		"a 300 IN SRV 1 2 3 t.example.",
		"@ 300 IN SOA ns1 host.master 2026112101 1h 15m 7d 300",
		"a 300 IN TXT \"hello world\" plain \"q\\\"uote\" \"\\065\\066\"",
		"a 300 IN HINFO \"KLH-10\" \"ITS\"",
		"a 300 IN DS 58470 5 1 3079F1593EBAD6DC121E202A8B766A6A4837206C",
		"a 300 IN DS 1 13 2 00112233445566778899AABBCCDDEEFF 00112233445566778899AABBCCDDEEFF",
		"@ 300 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
		"a 300 IN CAA 0 issue \"ca.example.net\"",
		"a 300 IN NAPTR 100 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.",
		"a 300 IN TYPE65000 \\# 3 abcdef",
		"a 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"a 300 IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567",
		"*.w 300 IN MX 1 ai",
		"a 300 IN A \\# 4 c0000201",
	};
	for (size_t i = 0; i < sizeof(rrs) / sizeof(rrs[0]); i++) {
		same_as_ldns(rrs[i]);
	}
	/*
	 * fuzz finding: an owner whose text passes 255 characters (escapes) made
	 * ldns refuse the RDATA of a type it parses for us; only the RDATA goes to ldns now
	 */
	{
		char line[1024] = "";
		for (int i = 0; i < 60; i++) {
			strcat(line, "\\000");
		}
		strcat(line, ".a 300 IN NSEC next.example. A");
		static struct got g;
		ok(signer_zparse("long", line, strlen(line), origin, sink, &g) == TLD_OK && g.type == 47,
		   "NSEC with a 240-character owner text parses");
	}
}

static void test_forms(void)
{
	static struct got g;
	const char *z = "$ORIGIN example.\n$TTL 1d\n"
	                "@ IN SOA ns1 h ( 1 ; serial\n 2 3 4\n 5 )\n"
	                "\tNS ns1\n"
	                "x 60 A 192.0.2.1\n";
	memset(&g, 0, sizeof(g));
	is_int(TLD_OK, signer_zparse("t", z, strlen(z), NULL, sink, &g), "multi-line SOA, owner omitted");
	is_int(3, g.count, "three records");
	is_int(7, g.line, "line of the last record");
	is_int(60, g.ttl, "explicit TTL");
	ok(memcmp(g.owner, "\1x\7example", 11) == 0, "relative owner");

	const char *z2 = "$ORIGIN example.\n$TTL 100\n@ SOA a b 1 2 3 4 5\n\tNS ns1\n";
	memset(&g, 0, sizeof(g));
	is_int(TLD_OK, signer_zparse("t", z2, strlen(z2), NULL, sink, &g), "leading tab keeps the owner");
	ok(memcmp(g.owner, origin, sizeof(origin)) == 0 && g.type == 2 && g.ttl == 100, "NS at the apex, $TTL");
}

static void test_malformed(void)
{
	const char *bad[] = {
		"x 300 IN A 192.0.2.1\n",                         /* relative without origin */
		"$ORIGIN example.\nx 300 IN A 1.2.3\n",
		"$ORIGIN example.\nx 300 IN A 1.2.3.4 5\n",
		"$ORIGIN example.\nx 300 IN MX 70000 y\n",
		"$ORIGIN example.\nx 300 IN TXT \"open\n",
		"$ORIGIN example.\nx 300 IN SOA ( a b 1 2 3 4 5\n",
		"$ORIGIN example.\nx 300 IN A 1.2.3.4 )\n",
		"$ORIGIN example.\nx 300 IN DS 1 13 2 abc\n",
		"$ORIGIN example.\nx 300 IN DNSKEY 257 3 13 a$$=\n",
		"$ORIGIN example.\nx 300 IN TYPE1 \\# 5 c0000201\n",
		"$ORIGIN example.\nx 99999999999 IN A 1.2.3.4\n",
		"$ORIGIN example.\nx 300 IN A\n",
		"$ORIGIN example.\n$TTL\n",
		"$ORIGIN example.\n$BOGUS x\n",
		"$ORIGIN example.\n\tA 1.2.3.4\n",
		"$ORIGIN example.\n0123456789012345678901234567890123456789012345678901234567890123456789 300 A 1.2.3.4\n",
		"$ORIGIN example.\nx 300 IN A 1.2.3.4\ny IN A 1.2.3.5\nz 300 IN NS \"quoted\"\n",
		"$ORIGIN example.\nx..y 300 IN A 1.2.3.4\n",
		"$ORIGIN example.\nx 300 IN TXT \"\\99\"\n",
		"$ORIGIN example.\nx 300 IN A 1.2.3.4\ny 300 IN WKS 1.2.3.4 nonsense\n",
		"$ORIGIN example.\n@ IN SOA \\# 0\n",                /* no TTL, and no MINIMUM to take it from */
		"$ORIGIN example.\n@ IN SOA \\# 3 000000\n",
	};
	tld_log_init(TLD_LOG_ERROR + 0, false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static struct got g;
		memset(&g, 0, sizeof(g));
		is_int(TLD_EPARSE, signer_zparse("bad", bad[i], strlen(bad[i]), NULL, sink, &g), "malformed %zu rejected", i);
	}
}

/* Records of every span, in order: owner, type, TTL and RDATA packed. */
struct all {
	uint8_t buf[8192];
	size_t len;
	int count;
};

static int sink_all(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct all *a = ctx;
	size_t ol = signer_dname_len(owner, 255);
	(void)rclass;
	if (a->len + ol + 12 + rdlen > sizeof(a->buf)) {
		return TLD_ERANGE;
	}
	memcpy(a->buf + a->len, owner, ol);
	a->len += ol;
	memcpy(a->buf + a->len, &type, 2);
	memcpy(a->buf + a->len + 2, &ttl, 4);
	memcpy(a->buf + a->len + 6, &line, 4);
	memcpy(a->buf + a->len + 10, &rdlen, 2);
	memcpy(a->buf + a->len + 12, rdata, rdlen);
	a->len += 12 + rdlen;
	a->count++;
	return TLD_OK;
}

/*
 * signer_zparser_span(): one parser for many spans, each as a parser made
 * anew parses it -- after a span it refused, after a $ORIGIN -- with its own
 * verdict and its own $ORIGIN flag.
 */
static void test_zparser(void)
{
	static const char text[] = "a 300 IN TXT \"a long one, to leave bytes behind in the RDATA buffer\"\n"
	                           "\tA 192.0.2.1\n"
	                           "$ORIGIN other.\nd 5 IN A 192.0.2.3\n"
	                           "c 7 IN TXT \"x\"\n";
	size_t l0 = strlen("a 300 IN TXT \"a long one, to leave bytes behind in the RDATA buffer\"\n");
	size_t l1 = strlen("\tA 192.0.2.1\n"), l2 = strlen("$ORIGIN other.\nd 5 IN A 192.0.2.3\n");
	size_t l3 = strlen("c 7 IN TXT \"x\"\n");
	/* span 1 refused (nothing to carry its owner from), span 2 moves the origin, span 3 back under origin */
	const struct {
		size_t off, len;
	} spans[] = { { 0, l0 }, { l0, l1 }, { l0 + l1, l2 }, { l0 + l1 + l2, l3 } };
	static const int want[] = { TLD_OK, TLD_EPARSE, TLD_OK, TLD_OK };
	static const bool moved[] = { false, false, true, false };
	struct signer_zparser *zp = NULL;
	is_int(TLD_OK, signer_zparser_new(&zp), "a parser for many spans");
	bool same = true;
	for (size_t i = 0; i < 4; i++) {
		static struct all kept, alone;
		memset(&kept, 0, sizeof(kept));
		memset(&alone, 0, sizeof(alone));
		struct signer_zparse_slice s1 = { .fresh = true, .quiet = true }, s2 = s1;
		int r1 = signer_zparser_span(zp, "t", text + spans[i].off, spans[i].len, origin, &s1, sink_all, &kept);
		int r2 = signer_zparse_slice("t", text + spans[i].off, spans[i].len, origin, &s2, sink_all, &alone);
		if (r1 != want[i] || r2 != r1 || s1.origin_changed != moved[i] || s2.origin_changed != s1.origin_changed ||
		    kept.count != alone.count || kept.len != alone.len || memcmp(kept.buf, alone.buf, kept.len) != 0) {
			diag("span %zu: %d (%d records) against %d (%d) parsed alone", i, r1, kept.count, r2, alone.count);
			same = false;
		}
	}
	ok(same, "each span's records, verdict and $ORIGIN as parsed alone, after a refused span and a $ORIGIN");
	signer_zparser_free(zp);
	signer_zparser_free(NULL);
}

int main(void)
{
	plan_lazy();
	test_differential();
	test_forms();
	test_malformed();
	test_zparser();
	return exit_status();
}
