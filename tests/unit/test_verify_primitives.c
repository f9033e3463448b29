/* SPDX-License-Identifier: GPL-3.0-or-later */
/* verify/: NSEC3 hash (RFC 5155 App. A), base32hex, canonical keys, type
 * bitmaps, the DNSKEY response size. */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "verify/internal.h"

static size_t to_wire(const char *name, uint8_t *wire)
{
	ldns_rdf *rdf = NULL;
	if (ldns_str2rdf_dname(&rdf, name) != LDNS_STATUS_OK) {
		return 0;
	}
	size_t n = ldns_rdf_size(rdf);
	memcpy(wire, ldns_rdf_data(rdf), n);
	ldns_rdf_deep_free(rdf);
	return n;
}

static void test_nsec3_vectors(void)
{
	char path[4096], line[512];
	static const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int n = 0;

	snprintf(path, sizeof(path), "%s/rfc5155/hashes.tsv", tap_vectors_dir());
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		skip("no vectors at %s", path);
		EVP_MD_CTX_free(ctx);
		return;
	}
	while (fgets(line, sizeof(line), fp)) {
		char name[256], want[64];
		if (line[0] == '#' || sscanf(line, "%255s %63s", name, want) != 2) {
			continue;
		}
		uint8_t wire[256], h[20];
		char got[64];
		size_t wl = to_wire(name, wire);
		ok(wl > 0 && vfy_nsec3_hash(ctx, EVP_sha1(), wire, wl, salt, 4, 12, h) == TLD_OK,
		   "hash %s", name);
		vfy_base32hex_encode(h, 20, got);
		is_str(want, got, "H(%s)", name);
		uint8_t back[20];
		is_int(20, vfy_base32hex_decode(want, strlen(want), back), "decode %s", want);
		ok(memcmp(back, h, 20) == 0, "round trip %s", want);
		n++;
	}
	fclose(fp);
	is_int(12, n, "all 12 RFC 5155 hashes checked");
	EVP_MD_CTX_free(ctx);
}

static void test_base32hex_bad(void)
{
	uint8_t out[64];
	is_int(-1, vfy_base32hex_decode("w0", 2, out), "'w' is not base32hex");
	is_int(-1, vfy_base32hex_decode("a", 1, out), "one character is not a byte");
	is_int(-1, vfy_base32hex_decode("01", 2, out), "non-zero trailing bits rejected");
	is_int(1, vfy_base32hex_decode("0G", 2, out), "upper case accepted");
}

static void test_keys(void)
{
	uint8_t w1[256], w2[256], k1[255], k2[255], back[256];
	size_t l1, l2;
	const char *order[] = { "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
	                        "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.",
	                        "*.z.example.", "\\200.z.example." };
	for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		size_t a = to_wire(order[i], w1), b = to_wire(order[i + 1], w2);
		ok(vfy_name_key(w1, a, k1, &l1) == TLD_OK && vfy_name_key(w2, b, k2, &l2) == TLD_OK,
		   "keys of %s, %s", order[i], order[i + 1]);
		ok(vfy_key_cmp(k1, l1, k2, l2) < 0, "RFC 4034 6.1: %s < %s", order[i], order[i + 1]);
	}
	size_t a = to_wire("Www.Example.", w1);
	vfy_name_key(w1, a, k1, &l1);
	is_int(3, vfy_key_labels(k1, l1) + 1, "two labels");
	size_t bl = vfy_key_to_wire(k1, l1, back);
	size_t el = to_wire("www.example.", w2);
	is_mem(w2, el, back, bl, "key back to lower-cased wire");
	size_t b = to_wire("example.", w2);
	vfy_name_key(w2, b, k2, &l2);
	ok(vfy_key_is_prefix(k2, l2, k1, l1), "example. is an ancestor of www.example.");
	b = to_wire("ample.", w2);
	vfy_name_key(w2, b, k2, &l2);
	ok(!vfy_key_is_prefix(k2, l2, k1, l1), "ample. is not an ancestor of www.example.");
	uint8_t bad[] = { 3, 'a', 0, 'b', 0 };
	ok(vfy_name_key(bad, sizeof(bad), k1, &l1) == TLD_EINVAL, "label with a 0 byte rejected");
	uint8_t trunc[] = { 5, 'a', 'b' };
	ok(vfy_name_key(trunc, sizeof(trunc), k1, &l1) == TLD_EINVAL, "truncated name rejected");
}

static void test_bitmaps(void)
{
	struct vfy_typeset s, t;
	char buf[256];
	/* RFC 4034 4.3: A MX RRSIG NSEC TYPE1234 */
	static const uint8_t rfc[] = { 0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03,
	                               0x04, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                               0x00, 0x00, 0x00, 0x00, 0x20 };
	ok(vfy_bitmap_decode(rfc, sizeof(rfc), &s) == TLD_OK, "RFC 4034 4.3 bitmap decodes");
	vfy_typeset_clear(&t);
	vfy_typeset_add(&t, LDNS_RR_TYPE_A);
	vfy_typeset_add(&t, LDNS_RR_TYPE_MX);
	vfy_typeset_add(&t, LDNS_RR_TYPE_RRSIG);
	vfy_typeset_add(&t, LDNS_RR_TYPE_NSEC);
	vfy_typeset_add(&t, 1234);
	ok(vfy_typeset_equal(&s, &t), "A MX RRSIG NSEC TYPE1234");
	vfy_typeset_format(&s, buf, sizeof(buf));
	is_str("A MX RRSIG NSEC TYPE1234", buf, "formatted");
	ok(vfy_bitmap_decode(NULL, 0, &s) == TLD_OK, "empty bitmap (ENT)");
	static const uint8_t unordered[] = { 0x04, 0x01, 0x20, 0x00, 0x01, 0x40 };
	ok(vfy_bitmap_decode(unordered, sizeof(unordered), &s) == TLD_EINVAL, "windows out of order");
	static const uint8_t zero_tail[] = { 0x00, 0x02, 0x40, 0x00 };
	ok(vfy_bitmap_decode(zero_tail, sizeof(zero_tail), &s) == TLD_EINVAL, "trailing zero octet");
	static const uint8_t short_len[] = { 0x00, 0x05, 0x40 };
	ok(vfy_bitmap_decode(short_len, sizeof(short_len), &s) == TLD_EINVAL, "length past the end");
	static const uint8_t zero_len[] = { 0x00, 0x00 };
	ok(vfy_bitmap_decode(zero_len, sizeof(zero_len), &s) == TLD_EINVAL, "zero-length window");
}

static void test_response_size(void)
{
	/* "example." DNSKEY: 2 keys (rdlen 68 and 100) + 1 RRSIG (rdlen 90):
	 * 12 + (9 + 4) + (12 + 68) + (12 + 100) + (12 + 90) + 11 = 330 */
	size_t rd[] = { 68, 100, 90 };
	is_int(330, (long long)vfy_dnskey_response_size(9, rd, 3), "DNSKEY response size");
	is_int(12 + 5 + 11, (long long)vfy_dnskey_response_size(1, NULL, 0), "empty answer at the root");
}

/* The formula against ldns's own packet encoder, on the RFC 5155 zone's keys. */
static void test_response_size_vs_ldns(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/rfc5155/signed.zone", tap_vectors_dir());
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		skip("no %s", path);
		return;
	}
	ldns_zone *zone = NULL;
	int line = 0;
	if (ldns_zone_new_frm_fp_l(&zone, fp, NULL, 0, LDNS_RR_CLASS_IN, &line) != LDNS_STATUS_OK) {
		fclose(fp);
		ok(0, "parse %s", path);
		return;
	}
	fclose(fp);
	ldns_rdf *apex = ldns_dname_new_frm_str("example.");
	ldns_pkt *pkt = ldns_pkt_query_new(ldns_rdf_clone(apex), LDNS_RR_TYPE_DNSKEY,
	                                   LDNS_RR_CLASS_IN, 0);
	size_t rdlens[16], n = 0;
	ldns_rr_list *rrs = ldns_zone_rrs(zone);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs) && n < 16; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		bool key = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY;
		bool sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		           ldns_rdf2native_int16(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_DNSKEY;
		if (!key && !sig) {
			continue;
		}
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
		size_t len = 0;
		for (size_t f = 0; f < ldns_rr_rd_count(rr); f++) {
			len += ldns_rdf_size(ldns_rr_rdf(rr, f));
		}
		rdlens[n++] = len;
	}
	ldns_pkt_set_edns_udp_size(pkt, 1232);
	uint8_t *wire = NULL;
	size_t wire_len = 0;
	ok(ldns_pkt2wire(&wire, pkt, &wire_len) == LDNS_STATUS_OK, "ldns encodes the response");
	is_int((long long)wire_len, (long long)vfy_dnskey_response_size(ldns_rdf_size(apex), rdlens, n),
	       "DNSKEY response size equals ldns's encoding (%zu records)", n);
	free(wire);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(apex);
	ldns_zone_deep_free(zone);
}

int main(void)
{
	plan_lazy();
	test_nsec3_vectors();
	test_base32hex_bad();
	test_keys();
	test_bitmaps();
	test_response_size();
	test_response_size_vs_ldns();
	return exit_status();
}
