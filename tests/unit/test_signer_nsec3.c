/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NSEC3 chain: RFC 5155 Appendix A known answers (vectors/rfc5155), hashing,
 * base32hex, type bitmaps (RFC 4034 section 4.3), opt-out variants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "signer/dname.h"
#include "signer/nsec3.h"
#include "signer/rrtype.h"
#include "signer/typebitmap.h"
#include "signer/zone.h"
#include "signer/zone_read.h"
#include "tests/tap/tap.h"

static const struct signer_nsec3_params rfc_params = {
	.algorithm = 1, .opt_out = true, .iterations = 12,
	.salt = { 0xaa, 0xbb, 0xcc, 0xdd }, .salt_len = 4,
};

static struct signer_zone *load_rfc_zone(void)
{
	char path[4096];
	struct signer_zone *z = NULL;
	snprintf(path, sizeof(path), "%s/rfc5155/unsigned.zone", tap_vectors_dir());
	if (signer_zone_read(path, NULL, &z) != TLD_OK) {
		return NULL;
	}
	/* the signer adds the DNSKEY RRset before building the chain */
	static const uint8_t apex[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static const uint8_t dnskey[] = { 1, 0, 3, 7, 3, 1, 0, 1, 0xaa, 0xbb };
	if (signer_zone_add(z, apex, SIGNER_T_DNSKEY, 3600, dnskey, sizeof(dnskey), 0) != TLD_OK ||
	    signer_zone_build(z) != TLD_OK) {
		signer_zone_free(z);
		return NULL;
	}
	return z;
}

static int type_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Expected bitmap from the vector's type list ("MX DNSKEY NS ..."). */
static size_t expected_bitmap(char *list, uint8_t *out)
{
	uint16_t types[64];
	size_t n = 0;
	for (char *tok = strtok(list, " "); tok != NULL && n < 64; tok = strtok(NULL, " ")) {
		types[n++] = (uint16_t)ldns_get_rr_type_by_name(tok);
	}
	qsort(types, n, sizeof(types[0]), type_cmp);
	return signer_bitmap_encode(types, n, out);
}

static void test_rfc5155_chain(void)
{
	struct signer_zone *z = load_rfc_zone();
	ok(z != NULL, "RFC 5155 unsigned.zone loads and builds");
	if (z == NULL) {
		return;
	}
	struct signer_nsec3_chain *c = NULL;
	is_int(TLD_OK, signer_nsec3_chain_build(z, &rfc_params, &c), "chain builds");
	if (c == NULL) {
		signer_zone_free(z);
		return;
	}
	is_int(3600, c->ttl, "NSEC3 TTL = min(SOA TTL, SOA MINIMUM) = 3600");

	char path[4096];
	snprintf(path, sizeof(path), "%s/rfc5155/nsec3-chain.tsv", tap_vectors_dir());
	FILE *fp = fopen(path, "r");
	ok(fp != NULL, "nsec3-chain.tsv opens");
	size_t row = 0;
	char line[1024];
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		char *f[7] = { 0 };
		char *p = line;
		for (int i = 0; i < 7; i++) {
			f[i] = p;
			char *tab = p != NULL ? strchr(p, '\t') : NULL;
			if (tab != NULL) {
				*tab = 0;
				p = tab + 1;
			} else {
				p = NULL;
			}
		}
		if (row >= c->count) {
			ok(0, "expected NSEC3 for %s missing (chain has %zu)", f[1], c->count);
			row++;
			continue;
		}
		uint8_t owner[256], rd[300 + SIGNER_BITMAP_MAX], exp_bm[SIGNER_BITMAP_MAX];
		char text[1100], b32[40], oname[1100];
		size_t ol = signer_nsec3_owner(z, c, row, owner);
		ok(ol > 0, "owner built");
		signer_dname_to_text(owner, text, sizeof(text));
		snprintf(oname, sizeof(oname), "%s.example.", f[0]);
		is_str(oname, text, "row %zu owner (%s)", row, f[1]);
		signer_dname_to_text(signer_node_wire(z, &z->nodes[c->items[row].node]), text, sizeof(text));
		is_str(f[1], text, "row %zu original name", row);
		size_t rl = signer_nsec3_rdata(z, c, row, rd);
		is_int(1, rd[0], "%s hash algorithm", f[1]);
		is_int(atoi(f[2]), rd[1], "%s flags", f[1]);
		is_int(atoi(f[3]), rd[2] << 8 | rd[3], "%s iterations", f[1]);
		is_int(4, rd[4], "%s salt length", f[1]);
		ok(memcmp(rd + 5, "\xaa\xbb\xcc\xdd", 4) == 0, "%s salt %s", f[1], f[4]);
		is_int(20, rd[9], "%s hash length", f[1]);
		signer_base32hex(rd + 10, 20, b32);
		is_str(f[5], b32, "%s next hashed owner", f[1]);
		size_t el = expected_bitmap(f[6] != NULL ? f[6] : (char *)"", exp_bm);
		is_mem(exp_bm, el, rd + 30, rl - 30, "%s type bitmap (%s)", f[1], f[6] ? f[6] : "");
		row++;
	}
	if (fp != NULL) {
		fclose(fp);
	}
	is_int(12, row, "12 NSEC3 rows in the vector");
	is_int(row, c->count, "chain has exactly the RFC's NSEC3 records");
	ok(signer_zone_find(z, (const uint8_t *)"\1c\7example") != UINT32_MAX, "c.example exists");

	uint8_t prd[300];
	size_t pl = signer_nsec3param_rdata(&rfc_params, prd);
	is_mem("\x01\x00\x00\x0c\x04\xaa\xbb\xcc\xdd", 9, prd, pl, "NSEC3PARAM 1 0 12 aabbccdd");

	/* without opt-out: c.example. gets its NSEC3 (flags 0) */
	struct signer_nsec3_params no_opt = rfc_params;
	no_opt.opt_out = false;
	struct signer_nsec3_chain *c2 = NULL;
	is_int(TLD_OK, signer_nsec3_chain_build(z, &no_opt, &c2), "chain without opt-out");
	if (c2 != NULL) {
		is_int(13, c2->count, "13 NSEC3 records without opt-out (c.example. added)");
		uint8_t rd[300 + SIGNER_BITMAP_MAX];
		signer_nsec3_rdata(z, c2, 0, rd);
		is_int(0, rd[1], "flags 0 without opt-out");
	}
	signer_nsec3_chain_free(c2);
	signer_nsec3_chain_free(c);
	signer_zone_free(z);
}

static void test_hashes(void)
{
	char path[4096], line[512];
	snprintf(path, sizeof(path), "%s/rfc5155/hashes.tsv", tap_vectors_dir());
	FILE *fp = fopen(path, "r");
	ok(fp != NULL, "hashes.tsv opens");
	int n = 0;
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#') {
			continue;
		}
		char name[256], want[64];
		if (sscanf(line, "%255s %63s", name, want) != 2) {
			continue;
		}
		ldns_rdf *rdf = NULL;
		ldns_str2rdf_dname(&rdf, name);
		uint8_t h[20];
		char got[40];
		is_int(TLD_OK, signer_nsec3_hash(&rfc_params, ldns_rdf_data(rdf), h), "hash %s", name);
		signer_base32hex(h, 20, got);
		is_str(want, got, "H(%s)", name);
		ldns_rdf_deep_free(rdf);
		n++;
	}
	if (fp != NULL) {
		fclose(fp);
	}
	is_int(12, n, "12 hash vectors");
	struct signer_nsec3_params bad = rfc_params;
	bad.algorithm = 2;
	uint8_t h[20];
	is_int(TLD_EINVAL, signer_nsec3_hash(&bad, (const uint8_t *)"", h), "unknown hash algorithm refused");
}

static void test_bitmap(void)
{
	/* RFC 4034 section 4.3: A MX RRSIG NSEC TYPE1234 */
	const uint16_t types[] = { 1, 15, 46, 47, 1234 };
	const uint8_t want[] = { 0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03,
	                         0x04, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20 };
	uint8_t out[SIGNER_BITMAP_MAX];
	size_t l = signer_bitmap_encode(types, 5, out);
	is_mem(want, sizeof(want), out, l, "RFC 4034 4.3 bitmap");
	is_int(0, signer_bitmap_encode(types, 0, out), "empty bitmap");
	const uint16_t hi[] = { 65535 };
	l = signer_bitmap_encode(hi, 1, out);
	is_int(34, l, "type 65535: window 255, 32 octets");
	is_int(0x01, out[33], "last bit set");
}

static void test_base32(void)
{
	char out[16];
	signer_base32hex((const uint8_t *)"f", 1, out);
	is_str("co", out, "base32hex(f) (RFC 4648 section 10, unpadded, lower)");
	signer_base32hex((const uint8_t *)"foobar", 6, out);
	is_str("cpnmuoj1e8", out, "base32hex(foobar)");
}

int main(void)
{
	plan_lazy();
	test_base32();
	test_bitmap();
	test_hashes();
	test_rfc5155_chain();
	return exit_status();
}
