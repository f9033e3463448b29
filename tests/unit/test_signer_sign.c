/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signer_sign_file() end to end through a SoftHSM token: keys from the key
 * store (interim rule, then under the key plan), NSEC3 and NSEC, the output
 * checked by the independent verifier, signature reuse from the side file,
 * serials, refusals.  Also the pieces: the text writer (round trip through
 * the parser), the side file (round trip and damaged files), the NSEC chain
 * and the key-set checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "policy/keyplan.h"
#include "signer/dname.h"
#include "signer/keyset.h"
#include "signer/nsec.h"
#include "signer/rrtype.h"
#include "signer/sigfile.h"
#include "signer/sign.h"
#include "signer/sort.h"
#include "signer/textout.h"
#include "signer/zone.h"
#include "signer/zone_read.h"
#include "signer/zparse.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/signer_sigfile_older.h"
#include "tests/unit/signer_test_policy.h"
#include "tests/unit/test_tmpdir.h"
#include "verify/verify.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* ---- text writer: every record written reads back to the same wire form ---- */

struct collect {
	struct signer_textout *t;
	size_t n;
};

static int write_cb(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct collect *c = ctx;
	(void)rclass, (void)line;
	c->n++;
	return signer_textout_rr(c->t, owner, ttl, type, rdata, rdlen);
}

struct compare {
	FILE *wire;
	size_t n, same;
};

static void test_textout_roundtrip(void)
{
	static const char zone[] =
		"$ORIGIN example.\n$TTL 300\n"
		"@ SOA ns1 host.master 2026010100 1800 900 1209600 3600\n"
		"@ NS ns1\n@ MX 10 mail\n"
		"@ TXT \"a \\\"quoted\\\" \\\\ word\" \"\\007bell\" \"\"\n"
		"ns1 A 192.0.2.1\nns1 AAAA 2001:db8::1\n"
		"d DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
		"@ RRSIG SOA 13 1 300 20260201000000 20260101000000 12345 example. "
		"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\n"
		"@ NSEC a.example. NS SOA MX TXT RRSIG NSEC DNSKEY TYPE1234\n"
		"x NSEC3 1 1 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG\n"
		"@ NSEC3PARAM 1 0 12 aabbccdd\n"
		"srv SRV 0 5 5060 sip.example.\nw CNAME www.example.org.\n"
		"u TYPE65000 \\# 3 abcdef\n"
		"uri TYPE256 \\# 2 abcd\n"
		"e\\.dot TXT x\n";
	const uint8_t origin[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	char *text = NULL;
	size_t text_len = 0;
	FILE *mem = open_memstream(&text, &text_len);
	struct signer_textout t;
	ok(signer_textout_init(&t, mem, 0, NOW) == TLD_OK, "textout: init");
	struct collect c = { &t, 0 };
	ok(signer_zparse("rt", zone, strlen(zone), origin, write_cb, &c) == TLD_OK, "textout: source parses");
	ok(signer_textout_finish(&t) == TLD_OK, "textout: finish");
	fclose(mem);
	ok(strstr(text, "example.\t300\tIN\tSOA\tns1.example. host.master.example. 2026010100 1800 900 1209600 3600\n") != NULL,
	   "textout: SOA");
	ok(strstr(text, "\"a \\\"quoted\\\" \\\\ word\" \"\\007bell\" \"\"") != NULL, "textout: TXT escapes");
	ok(strstr(text, "RRSIG\tSOA 13 1 300 20260201000000 20260101000000 12345 example. aGVsbG8") != NULL,
	   "textout: RRSIG with dates");
	ok(strstr(text, "NSEC\ta.example. NS SOA MX TXT RRSIG NSEC DNSKEY TYPE1234\n") != NULL, "textout: NSEC bitmap");
	ok(strstr(text, "NSEC3\t1 1 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG\n") != NULL, "textout: NSEC3");
	ok(strstr(text, "NSEC3PARAM\t1 0 12 AABBCCDD\n") != NULL, "textout: NSEC3PARAM");
	ok(strstr(text, "SRV\t0 5 5060 sip.example.\n") != NULL, "textout: other types through ldns");
	ok(strstr(text, "TYPE65000\t\\# 3 abcdef\n") != NULL, "textout: unknown type as RFC 3597");
	/* fuzz finding: ldns printed this truncated URI as "43981", which does not read back */
	ok(strstr(text, "TYPE256\t\\# 2 ") != NULL, "textout: a URI ldns would print wrongly as RFC 3597");
	ok(strstr(text, "e\\.dot.example.") != NULL, "textout: escaped dot in a label");

	/* parse what was written and compare record by record in wire form */
	struct signer_zone *a = NULL, *b = NULL;
	write_file(tmp_path("rt-a.zone"), zone);
	write_file(tmp_path("rt-b.zone"), text);
	ok(signer_zone_read(tmp_path("rt-a.zone"), NULL, &a) == TLD_OK &&
	       signer_zone_read(tmp_path("rt-b.zone"), NULL, &b) == TLD_OK,
	   "textout: the output reads back");
	if (a != NULL && b != NULL) {
		bool same = a->nrrs == b->nrrs;
		for (size_t i = 0; same && i < a->nrrs; i++) {
			same = a->rrs[i].type == b->rrs[i].type && a->rrs[i].rdlen == b->rrs[i].rdlen &&
			       a->rrs[i].ttl == b->rrs[i].ttl &&
			       memcmp(a->rdata + a->rrs[i].rdoff, b->rdata + b->rrs[i].rdoff, a->rrs[i].rdlen) == 0;
		}
		ok(same, "textout: %zu records identical after the round trip", a->nrrs);
	} else {
		ok(false, "textout: round trip");
	}
	signer_zone_free(a);
	signer_zone_free(b);
	free(text);
}

/* ---- side file ---- */

static const uint8_t *sig_of(void *ctx, size_t i, uint16_t *len)
{
	static const uint8_t sigs[3][4] = { { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 9, 9, 9, 9 } };
	(void)ctx;
	*len = (uint16_t)(i == 2 ? 2 : 4);
	return sigs[i];
}

static void test_sigfile(void)
{
	const uint8_t origin[] = { 4, 't', 'e', 's', 't', 0 };
	uint8_t h0[32] = { 0 };
	struct signer_sigfile_item items[3];
	memset(items, 0, sizeof(items));
	memset(items[0].hash, 0xcc, 16);
	items[0].sig_first = 0;
	items[0].nsigs = 2;
	memset(items[1].hash, 0x11, 16);
	items[1].sig_first = 2;
	items[1].nsigs = 1;
	memset(items[2].hash, 0x77, 16);
	FILE *f = fopen(tmp_path("s.sigs"), "w");
	ok(signer_sigfile_write(f, origin, sizeof(origin), 42, h0, items, 3, sig_of, NULL) == TLD_OK, "sigfile: write");
	struct signer_sigfile_block blocks[2];
	memset(blocks, 0, sizeof(blocks));
	memset(blocks[0].digest, 0xaa, 16);
	blocks[0].len = 100;
	memset(blocks[1].digest, 0xbb, 16);
	blocks[1].len = 23;
	ok(signer_sigfile_write_text(f, 123, blocks, 2) == TLD_OK, "sigfile: text index written");
	struct signer_sigfile_patch ph = { .now = 1 };
	ok(signer_sigfile_write_patch(f, &ph, NULL, NULL, NULL) == TLD_OK, "sigfile: an empty patch index written");
	fclose(f);
	struct signer_sigfile *sf = NULL;
	ok(signer_sigfile_open(tmp_path("s.sigs"), &sf) == TLD_OK, "sigfile: open");
	if (sf == NULL) {
		return;
	}
	is_int(42, sf->hdr->serial, "sigfile: serial");
	is_int(SIGNER_SIGFILE_VERSION, sf->hdr->version, "sigfile: version 5 written");
	ok(sf->patch != NULL && sf->patch->now == 1 && sf->patch->nchain == 0 && sf->patch->nslots == 0,
	   "sigfile: the empty patch index read back");
	ok(sf->text != NULL && sf->text->text_size == 123 && sf->text->nblocks == 2 && sf->block_off[1] == 100 &&
	   sf->blocks[1].len == 23 && sf->blocks[1].digest[0] == 0xbb && sf->block_off[2] == 123,
	   "sigfile: text index read back");
	uint8_t dg[16];
	memset(dg, 0xbb, 16);
	size_t b1 = signer_sigfile_find_block(sf, dg);
	memset(dg, 0xaa, 16);
	size_t b0 = signer_sigfile_find_block(sf, dg);
	dg[15] = 0xab;
	ok(b1 == 1 && b0 == 0 && signer_sigfile_find_block(sf, dg) == SIZE_MAX,
	   "sigfile: text blocks found by digest, an absent digest not");
	struct signer_sigfile *lean = NULL;
	memset(dg, 0xbb, 16);
	ok(signer_sigfile_open_no_block_table(tmp_path("s.sigs"), &lean) == TLD_OK && lean->text != NULL &&
	           lean->text->nblocks == 2 && lean->block_off[1] == 100 && lean->block_off[2] == 123 &&
	           lean->patch != NULL && lean->dir != NULL && signer_sigfile_find_block(lean, dg) == SIZE_MAX,
	   "sigfile: opened without the block table: the text index and directory, no block found by digest");
	signer_sigfile_close(lean);
	lean = NULL;
	ok(signer_sigfile_open_no_block_table(tmp_path("none.sigs"), &lean) == TLD_ENOENT && lean == NULL,
	   "sigfile: opened without the block table: a missing file is TLD_ENOENT");
	uint8_t key[16];
	memset(key, 0xcc, 16);
	const struct signer_sigfile_entry *e = signer_sigfile_find(sf, key);
	ok(e != NULL && e->nsigs == 2, "sigfile: entry found with two signatures");
	size_t pos = 0, n = 0;
	const uint8_t *rd;
	uint16_t len;
	while (e != NULL && signer_sigfile_next(sf, e, &pos, &rd, &len)) {
		n++;
		if (n == 2) {
			ok(len == 4 && memcmp(rd, "\x05\x06\x07\x08", 4) == 0, "sigfile: second signature intact");
		}
	}
	is_int(2, (long long)n, "sigfile: iterates two signatures");
	memset(key, 0x11, 16);
	ok(signer_sigfile_find(sf, key) != NULL, "sigfile: second entry found");
	memset(key, 0x12, 16);
	ok(signer_sigfile_find(sf, key) == NULL, "sigfile: absent hash not found");
	signer_sigfile_close(sf);

	/* damaged: truncated, wrong magic, a blob offset pointing outside */
	FILE *in = fopen(tmp_path("s.sigs"), "rb");
	static uint8_t buf[65536];
	size_t size = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	FILE *o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size - 1, o);
	fclose(o);
	sf = NULL;
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_EPARSE && sf == NULL, "sigfile: truncated file refused");
	ok(signer_sigfile_open_no_block_table(tmp_path("t.sigs"), &sf) == TLD_EPARSE && sf == NULL,
	   "sigfile: truncated file refused when opened without the block table too");
	buf[0] ^= 1;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size, o);
	fclose(o);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_EPARSE, "sigfile: wrong magic refused");
	buf[0] ^= 1;
	struct signer_sigfile_entry *ent = (struct signer_sigfile_entry *)(buf + sizeof(struct signer_sigfile_header));
	ent[0].off = 1u << 30;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size, o);
	fclose(o);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_OK, "sigfile: bad offset opens (checked per entry)");
	if (sf != NULL) {
		pos = 0;
		ok(!signer_sigfile_next(sf, &sf->entries[0], &pos, &rd, &len), "sigfile: bad offset yields nothing");
		signer_sigfile_close(sf);
	}
	ent[0].off = 0;

	/* a text index whose blocks do not tile the text is refused: short of it, beyond it */
	struct signer_sigfile_block *bl =
		(struct signer_sigfile_block *)(buf + size - sizeof(struct signer_sigfile_patch) - 2 * sizeof(*bl));
	bl[1].len = 22;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size, o);
	fclose(o);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_EPARSE, "sigfile: text index short of the text refused");
	bl[1].len = UINT32_MAX;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size, o);
	fclose(o);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_EPARSE, "sigfile: text index beyond the text refused");
	bl[1].len = 23;

	/* a version 2 file: its text index (of another layout) ignored, its signatures used */
	((struct signer_sigfile_header *)buf)->version = 2;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size, o);
	fclose(o);
	memset(key, 0x11, 16);
	memset(dg, 0xbb, 16);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_OK && sf->text == NULL && sf->blocks == NULL &&
	   signer_sigfile_find(sf, key) != NULL && signer_sigfile_find_block(sf, dg) == SIZE_MAX,
	   "sigfile: version 2 file read for its signatures, text index ignored");
	signer_sigfile_close(sf);
	sf = NULL;
	/* a version 3 file (the layout of 4, another unsigned hash; no patch index): signatures and text index read */
	((struct signer_sigfile_header *)buf)->version = 3;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size - sizeof(struct signer_sigfile_patch), o);
	fclose(o);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_OK && sf->hdr->version == 3 && sf->text != NULL &&
	   signer_sigfile_find(sf, key) != NULL && signer_sigfile_find_block(sf, dg) == 1,
	   "sigfile: version 3 file read for its signatures and text index");
	signer_sigfile_close(sf);
	sf = NULL;
	((struct signer_sigfile_header *)buf)->version = SIGNER_SIGFILE_VERSION + 1;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, size, o);
	fclose(o);
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_EPARSE, "sigfile: a later version refused");
	((struct signer_sigfile_header *)buf)->version = SIGNER_SIGFILE_VERSION;
	memset(key, 0x12, 16);

	/* a version 1 file (no padding, no text index) is still read */
	struct signer_sigfile_header *hd = (struct signer_sigfile_header *)buf;
	size_t v1 = sizeof(*hd) + hd->nentries * sizeof(struct signer_sigfile_entry) + hd->blob_len;
	hd->version = 1;
	o = fopen(tmp_path("t.sigs"), "wb");
	fwrite(buf, 1, v1, o);
	fclose(o);
	sf = NULL;
	ok(signer_sigfile_open(tmp_path("t.sigs"), &sf) == TLD_OK && sf->text == NULL &&
	   signer_sigfile_find(sf, key) == NULL, "sigfile: version 1 file read, without a text index");
	signer_sigfile_close(sf);
	ok(signer_sigfile_open(tmp_path("none.sigs"), &sf) == TLD_ENOENT, "sigfile: missing file is TLD_ENOENT");
}

/* Many entries: each found through the directory of hash prefixes, absent hashes not; hashes at the edges too. */
static void test_sigfile_many(void)
{
	const uint8_t origin[] = { 4, 't', 'e', 's', 't', 0 };
	uint8_t h0[32] = { 0 };
	enum { N = 5000 };
	struct signer_sigfile_item *items = calloc(N, sizeof(*items));
	uint8_t (*want)[16] = calloc(N, 16);
	uint64_t x = 88172645463325252ULL;
	for (size_t i = 0; items != NULL && want != NULL && i < N; i++) {
		for (int k = 0; k < 16; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			items[i].hash[k] = (uint8_t)(i % 7 == 0 ? (x & 0x0f) : x); /* some crowd the first buckets */
		}
		if (i == 1) {
			memset(items[i].hash, 0x00, 16);
		} else if (i == 2) {
			memset(items[i].hash, 0xff, 16);
		}
		items[i].sig_first = 0;
		items[i].nsigs = 1;
		memcpy(want[i], items[i].hash, 16);
	}
	FILE *f = fopen(tmp_path("many.sigs"), "w");
	bool written = items != NULL && want != NULL && f != NULL &&
	               signer_sigfile_write(f, origin, sizeof(origin), 1, h0, items, N, sig_of, NULL) == TLD_OK &&
	               signer_sigfile_write_text(f, 0, NULL, 0) == TLD_OK &&
	               signer_sigfile_write_patch(f, &(struct signer_sigfile_patch){ 0 }, NULL, NULL, NULL) == TLD_OK;
	if (f != NULL) {
		fclose(f);
	}
	struct signer_sigfile *sf = NULL;
	ok(written && signer_sigfile_open(tmp_path("many.sigs"), &sf) == TLD_OK, "sigfile: %d entries written and opened",
	   N);
	size_t found = 0, absent = 0;
	for (size_t i = 0; sf != NULL && i < N; i++) {
		const struct signer_sigfile_entry *e = signer_sigfile_find(sf, want[i]);
		found += e != NULL && memcmp(e->hash, want[i], 16) == 0;
		uint8_t other[16];
		memcpy(other, want[i], 16);
		other[15] ^= 0x5a;
		absent += signer_sigfile_find(sf, other) == NULL;
	}
	ok(found == N && absent == N, "sigfile: every entry found (%zu), no absent hash found (%zu)", found, absent);
	signer_sigfile_close(sf);
	free(items);
	free(want);
}

/* ---- NSEC chain ---- */

static void test_nsec_chain(void)
{
	write_file(tmp_path("n.zone"), "$ORIGIN example.\n$TTL 600\n"
	                               "@ SOA ns1 host 1 2 3 4 300\n@ NS ns1\nns1 A 192.0.2.1\n"
	                               "b.a NS ns.b.a\nns.b.a A 192.0.2.2\nc DS 1 13 2 00\nc NS ns.other.\n");
	struct signer_zone *z = NULL;
	struct signer_nsec_chain *c = NULL;
	ok(signer_zone_read(tmp_path("n.zone"), NULL, &z) == TLD_OK && signer_zone_build(z) == TLD_OK,
	   "nsec: zone builds");
	ok(z != NULL && signer_nsec_chain_build(z, &c) == TLD_OK, "nsec: chain builds");
	if (c == NULL) {
		signer_zone_free(z);
		return;
	}
	/* example, b.a (delegation), c (secure delegation), ns1; not a (ENT), not ns.b.a (glue) */
	is_int(4, (long long)c->count, "nsec: apex, two delegations and ns1; no ENT, no glue");
	is_int(300, c->ttl, "nsec: TTL min(SOA TTL, MINIMUM)");
	uint8_t rd[SIGNER_DNAME_MAX + 8192];
	char text[1024];
	size_t len = signer_nsec_rdata(z, c, c->count - 1, rd);
	signer_dname_to_text(rd, text, sizeof(text));
	is_str("example.", text, "nsec: the last points back to the apex");
	ok(len > 0, "nsec: rdata written");
	len = signer_nsec_rdata(z, c, 2, rd); /* c.example: NS DS RRSIG NSEC */
	size_t nl = signer_dname_len(rd, len);
	static const uint8_t bitmap[] = { 0, 6, 0x20, 0, 0, 0, 0, 0x13 }; /* NS(2) DS(43) RRSIG(46) NSEC(47) */
	ok(len - nl == sizeof(bitmap) && memcmp(rd + nl, bitmap, sizeof(bitmap)) == 0,
	   "nsec: secure delegation lists NS DS RRSIG NSEC");
	signer_nsec_chain_free(c);
	signer_zone_free(z);
}

/* ---- key set checks ---- */

static void test_keyset_check(void)
{
	static const uint8_t dk[] = { 1, 1, 3, 13, 0xaa, 0xbb, 0xcc, 0xdd };
	static const uint8_t dz[] = { 1, 0, 3, 13, 0x12, 0x34, 0x56, 0x78 };
	struct signer_key keys[2] = {
		{ .algorithm = 13, .key_tag = tld_keytag(dk, sizeof(dk)), .role = TLD_ROLE_KSK, .dnskey = dk, .dnskey_len = 8 },
		{ .algorithm = 13, .key_tag = tld_keytag(dz, sizeof(dz)), .role = TLD_ROLE_ZSK, .dnskey = dz, .dnskey_len = 8 },
	};
	struct signer_key_use use[2] = { { true, true, false }, { true, false, true } };
	ok(signer_keyset_check(keys, use, 2) == TLD_OK, "keyset: KSK + ZSK accepted");
	use[0].sign_keys = false;
	ok(signer_keyset_check(keys, use, 2) == TLD_EKEY, "keyset: nothing signs the DNSKEY RRset");
	use[0] = (struct signer_key_use){ false, true, false };
	ok(signer_keyset_check(keys, use, 2) == TLD_EKEY, "keyset: a signing key must be published");
	use[0] = (struct signer_key_use){ true, true, false };
	keys[0].key_tag++;
	ok(signer_keyset_check(keys, use, 2) == TLD_EKEY, "keyset: DNSKEY not matching its key tag");
	keys[0].key_tag--;
	keys[1].algorithm = 8;
	ok(signer_keyset_check(keys, use, 2) == TLD_EKEY, "keyset: DNSKEY not matching its algorithm");
	keys[1].algorithm = 13;
	struct signer_key three[3] = { keys[0], keys[1], keys[1] };
	struct signer_key_use u3[3] = { use[0], use[1], { true, false, false } };
	ok(signer_keyset_check(three, u3, 3) == TLD_EKEYTAG, "keyset: two published keys with one tag");
}

/* ---- in-place sort ---- */

static int u32_cmp(const void *a, const void *b, void *ctx)
{
	uint32_t x, y;
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	++*(size_t *)ctx;
	return (x > y) - (x < y);
}

static int u32_qcmp(const void *a, const void *b)
{
	size_t dummy = 0;
	return u32_cmp(a, b, &dummy);
}

static void test_sort(void)
{
	static uint32_t a[20000], b[20000];
	uint64_t x = 88172645463325252ULL;
	const char *shapes[] = { "random", "sorted", "reversed", "few values", "all equal" };
	for (int shape = 0; shape < 5; shape++) {
		for (size_t n = 0; n <= 20000; n = n ? n * 5 : 1) {
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				a[i] = shape == 0 ? (uint32_t)x : shape == 1 ? (uint32_t)i : shape == 2 ? (uint32_t)(n - i)
				     : shape == 3 ? (uint32_t)(x % 3) : 7u;
			}
			memcpy(b, a, n * sizeof(*a));
			size_t calls = 0, lg = 1;
			for (size_t m = n; m > 1; m >>= 1) {
				lg++;
			}
			signer_sort(a, n, sizeof(*a), u32_cmp, &calls);
			qsort(b, n, sizeof(*b), u32_qcmp);
			ok(memcmp(a, b, n * sizeof(*a)) == 0 && calls <= 4 * n * lg + 16,
			   "sort: %s, %zu elements (%zu comparisons)", shapes[shape], n, calls);
		}
	}
}

/* the comparator of the parallel sort: called from several threads */
static int u32_cmp_mt(const void *a, const void *b, void *ctx)
{
	uint32_t x, y;
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	__atomic_fetch_add((size_t *)ctx, 1, __ATOMIC_RELAXED);
	return (x > y) - (x < y);
}

static void test_sort_parallel(void)
{
	enum { MAX = 300000 };
	uint32_t *a = malloc(MAX * sizeof(*a)), *b = malloc(MAX * sizeof(*b));
	uint64_t x = 88172645463325252ULL;
	static const size_t sizes[] = { 0, 1, 5000, 65536, 70001, MAX };
	static const unsigned threads[] = { 1, 2, 3, 8 };
	const char *shapes[] = { "random", "sorted", "reversed", "few values", "all equal", "one big outlier" };
	if (a == NULL || b == NULL) {
		ok(false, "parallel sort: memory");
		free(a);
		free(b);
		return;
	}
	for (int shape = 0; shape < 6; shape++) {
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			size_t n = sizes[si];
			for (size_t ti = 0; ti < sizeof(threads) / sizeof(threads[0]); ti++) {
				for (size_t i = 0; i < n; i++) {
					x ^= x << 13, x ^= x >> 7, x ^= x << 17;
					a[i] = shape == 0 ? (uint32_t)x : shape == 1 ? (uint32_t)i : shape == 2 ? (uint32_t)(n - i)
					     : shape == 3 ? (uint32_t)(x % 3) : shape == 4 ? 7u : (i == n / 2 ? UINT32_MAX : 5u);
				}
				memcpy(b, a, n * sizeof(*a));
				size_t calls = 0, lg = 1;
				for (size_t m = n; m > 1; m >>= 1) {
					lg++;
				}
				signer_sort_parallel(a, n, sizeof(*a), u32_cmp_mt, &calls, threads[ti]);
				qsort(b, n, sizeof(*b), u32_qcmp);
				ok(memcmp(a, b, n * sizeof(*a)) == 0 && calls <= 4 * n * lg + 64 * lg + 16,
				   "parallel sort: %s, %zu elements, %u threads (%zu comparisons)", shapes[shape], n,
				   threads[ti], calls);
			}
		}
	}
	/* input already in order: one pass; one pair out of order at the end: sorted all the same */
	for (size_t i = 0; i < MAX; i++) {
		a[i] = (uint32_t)i / 3;
	}
	size_t calls = 0;
	signer_sort_parallel(a, MAX, sizeof(*a), u32_cmp_mt, &calls, 2);
	ok(calls == MAX - 1, "parallel sort: input in order costs one pass (%zu comparisons)", calls);
	a[MAX - 1] = 0;
	memcpy(b, a, MAX * sizeof(*a));
	signer_sort_parallel(a, MAX, sizeof(*a), u32_cmp_mt, &calls, 2);
	qsort(b, MAX, sizeof(*b), u32_qcmp);
	ok(memcmp(a, b, MAX * sizeof(*a)) == 0, "parallel sort: in order but for the last element");
	free(a);
	free(b);
}

/* ---- end to end through SoftHSM ---- */

static bool verifies(const char *path, tld_time_t now)
{
	struct tld_verify_opts vo = { .now = now, .refresh_window = 86400, .threads = 1 };
	struct tld_verify_report *rep = NULL;
	int ret = tld_verify_zone_file(path, &vo, &rep);
	bool good = ret == TLD_OK && rep != NULL && rep->n_failures == 0;
	if (!good && rep != NULL) {
		tld_verify_report_print(stderr, rep);
	}
	tld_verify_report_free(rep);
	return good;
}

static void test_sign_end_to_end(void)
{
	struct test_token tok;
	test_token_make(&tok, "signer");
	tld_statedb_t *db = NULL;
	ok(tld_statedb_open(tok.dir, &db) == TLD_OK, "e2e: state store");
	struct tld_key_record ksk, zsk;
	ok(tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 13, 0, &ksk) == TLD_OK &&
	       tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 13, 0, &zsk) == TLD_OK,
	   "e2e: KSK and ZSK generated in the token");
	write_file(tmp_path("in.zone"),
	           "$ORIGIN test.\n$TTL 3600\n@ SOA ns1.nic hostmaster.nic 7 1800 900 1209600 3600\n"
	           "@ NS ns1.nic\n@ NS ns2.nic\nns1.nic A 192.0.2.1\nns2.nic AAAA 2001:db8::2\n"
	           "*.w TXT \"wild\"\nsec 86400 DS 1 13 2 0011223344556677889900112233445566778899001122334455667788990011\n"
	           "sec 172800 NS ns.sec\nns.sec 172800 A 198.51.100.1\nins 172800 NS ns.example.net.\n"
	           "a.b.c TXT \"deep\"\n");
	struct tld_policy pol = make_policy(TLD_DENIAL_NSEC3, true);
	static char in_path[512], out_path[512];
	snprintf(in_path, sizeof(in_path), "%s", tmp_path("in.zone"));
	snprintf(out_path, sizeof(out_path), "%s", tmp_path("out.zone"));
	struct signer_sign_opts o = {
		.cfg = &tok.cfg, .policy = &pol, .db = db, .input = in_path,
		.output = out_path, .previous = NULL, .now = NOW, .workers = 2,
	};
	struct signer_sign_stats st;
	memset(&st, 0, sizeof(st));
	int ret = signer_sign_file(&o, &st);
	is_int(TLD_OK, ret, "e2e: signed (NSEC3 opt-out)");
	is_int(7, st.serial, "e2e: counter serial without a previous version is the input's");
	ok(st.sigs_new > 0 && st.sigs_reused == 0, "e2e: %llu new signatures", (unsigned long long)st.sigs_new);
	ok(verifies(tmp_path("out.zone"), NOW), "e2e: the verifier accepts the zone");
	is_int((long long)st.sigs_new, (long long)st.hsm_signatures, "e2e: the HSM made every new signature");
	ok(st.hsm_batches >= 1 && st.seconds_hsm > 0 && st.seconds_hsm <= st.seconds_sign,
	   "e2e: HSM time reported (%zu batches, %.3f s of %.3f s signing)", st.hsm_batches, st.seconds_hsm,
	   st.seconds_sign);
	uint64_t first_new = st.sigs_new;

	/* again with the previous version: all but the SOA reused */
	o.previous = out_path;
	ret = signer_sign_file(&o, &st);
	is_int(TLD_OK, ret, "e2e: re-signed");
	is_int(8, st.serial, "e2e: counter serial previous + 1");
	is_int(1, (long long)st.sigs_new, "e2e: only the SOA signed anew");
	is_int((long long)first_new - 1, (long long)st.sigs_reused, "e2e: the rest reused");
	ok(verifies(tmp_path("out.zone"), NOW), "e2e: the verifier accepts the re-signed zone");

	ok(st.text_copied > 0 && st.text_formatted > 0,
	   "e2e: re-sign: %llu bytes of text copied from the previous version, %llu formatted (the SOA's block)",
	   (unsigned long long)st.text_copied, (unsigned long long)st.text_formatted);

	/*
	 * The copied text is byte for byte what formatting gives: the same next
	 * version made twice from this one, copying and formatting everything
	 * (TLDSIGN_SIGN_TEXT_COPY=0); only the new SOA signature may differ (ECDSA).
	 */
	{
		static char copied[512], formatted[512];
		snprintf(copied, sizeof(copied), "%s", tmp_path("copied.zone"));
		snprintf(formatted, sizeof(formatted), "%s", tmp_path("formatted.zone"));
		struct signer_sign_opts c = o, f = o;
		struct signer_sign_stats sc, sf;
		memset(&sc, 0, sizeof(sc));
		memset(&sf, 0, sizeof(sf));
		c.output = copied;
		f.output = formatted;
		int rc = signer_sign_file(&c, &sc);
		setenv("TLDSIGN_SIGN_TEXT_COPY", "0", 1);
		int rf = signer_sign_file(&f, &sf);
		unsetenv("TLDSIGN_SIGN_TEXT_COPY");
		ok(rc == TLD_OK && rf == TLD_OK && sc.serial == 9 && sf.serial == 9,
		   "e2e: the next version made twice from the same previous one");
		ok(sc.text_copied > 0 && sf.text_copied == 0 && sf.text_formatted > sc.text_formatted,
		   "e2e: once copying (%llu bytes copied), once formatting everything",
		   (unsigned long long)sc.text_copied);
		size_t lc = 0, lf = 0;
		char *tc = tap_read_file(copied, &lc), *tf = tap_read_file(formatted, &lf);
		bool same = tc != NULL && tf != NULL && lc == lf;
		for (char *x = tc, *y = tf; same && x < tc + lc;) {
			char *xe = memchr(x, '\n', (size_t)(tc + lc - x)), *ye = memchr(y, '\n', (size_t)(tf + lf - y));
			if (xe == NULL || ye == NULL) {
				same = xe == ye && memcmp(x, y, (size_t)(tc + lc - x)) == 0;
				break;
			}
			bool soa_sig = strstr(x, "\tRRSIG\tSOA ") != NULL && strstr(x, "\tRRSIG\tSOA ") < xe;
			same = xe - x == ye - y && (soa_sig || memcmp(x, y, (size_t)(xe - x)) == 0);
			x = xe + 1;
			y = ye + 1;
		}
		ok(same, "e2e: the copied text equals the formatted text, line for line (%zu bytes)", lc);
		free(tc);
		free(tf);
	}
	o.keep_serial_if_unchanged = true;
	ret = signer_sign_file(&o, &st);
	ok(ret == TLD_OK && st.unchanged && st.serial == 8 && st.sigs_new == 0, "e2e: nothing changed: unchanged, serial kept");
	ok(st.hsm_batches == 0 && st.hsm_signatures == 0 && st.seconds_hsm == 0, "e2e: unchanged: no HSM batch reported");

	/* only glue changed (nothing signed covers it): not unchanged, a new serial, only the SOA signed */
	{
		static char glue_path[512];
		snprintf(glue_path, sizeof(glue_path), "%s", tmp_path("glue.zone"));
		size_t len = 0;
		char *text = tap_read_file(in_path, &len), *at = text ? strstr(text, "198.51.100.1") : NULL;
		if (at != NULL) {
			at[11] = '2';
			write_file(glue_path, text);
		}
		free(text);
		o.input = glue_path;
		ret = signer_sign_file(&o, &st);
		ok(at != NULL && ret == TLD_OK && !st.unchanged && st.serial == 9 && st.sigs_new == 1,
		   "e2e: only glue changed: a new version (serial %u, %llu new signatures)", st.serial,
		   (unsigned long long)st.sigs_new);
		o.input = in_path;
		ret = signer_sign_file(&o, &st);
		ok(ret == TLD_OK && !st.unchanged && st.serial == 10, "e2e: glue back: a new version again");
		ret = signer_sign_file(&o, &st);
		ok(ret == TLD_OK && st.unchanged && st.serial == 10, "e2e: then nothing changed: unchanged");
	}
	/* a version 3 side file (its unsigned hash taken otherwise): its signatures reused, never "unchanged" */
	{
		static char side[600];
		snprintf(side, sizeof(side), "%s.sigs", out_path);
		bool patched = signer_sigfile_make_older(side, 3);
		ret = signer_sign_file(&o, &st);
		ok(patched && ret == TLD_OK && !st.unchanged && st.serial == 11 && st.sigs_new == 1 && st.sigs_reused > 0,
		   "e2e: version 3 side file: signatures reused (%llu), not unchanged: serial %u",
		   (unsigned long long)st.sigs_reused, st.serial);
		ret = signer_sign_file(&o, &st);
		ok(ret == TLD_OK && st.unchanged && st.serial == 11, "e2e: then, from this version, unchanged");
	}

	/* the keys are under the key plan (tld_keyplan_now adopts new keys of the key store); NSEC */
	struct tld_key_use *uses = NULL;
	size_t nuses = 0;
	ok(tld_keyplan_now(&pol, db, "test.", NOW, &uses, &nuses, NULL) == TLD_OK && nuses == 2 &&
	       uses[0].publish_dnskey && uses[1].publish_dnskey && (uses[0].sign_zone || uses[1].sign_zone),
	   "e2e: both keys under the key plan, published and signing");
	free(uses);
	ok(tld_keyplan_adopt(db, "test.", ksk.id, ksk.key_tag, 13, TLD_ROLE_KSK, 0, NOW, "test") == TLD_EEXIST,
	   "e2e: adopting again is refused (already adopted by the signing run)");
	(void)zsk;
	pol = make_policy(TLD_DENIAL_NSEC, false);
	o.keep_serial_if_unchanged = false;
	o.output = tmp_path("nsec.zone");
	ret = signer_sign_file(&o, &st);
	is_int(TLD_OK, ret, "e2e: signed with NSEC under the key plan");
	ok(st.nsec_records == 7, "e2e: %llu NSEC records (apex, 2 nic hosts, wildcard, 2 delegations, a.b.c; no ENT, no glue)",
	   (unsigned long long)st.nsec_records);
	ok(verifies(tmp_path("nsec.zone"), NOW), "e2e: the verifier accepts the NSEC zone");

	/* the unsigned zone handed over in memory instead of as a file */
	struct signer_zone *mz = NULL;
	ok(signer_zone_read(tmp_path("in.zone"), NULL, &mz) == TLD_OK, "e2e: zone in memory");
	o.zone = mz;
	o.output = tmp_path("mem.zone");
	o.previous = NULL;
	ret = signer_sign_file(&o, &st);
	o.zone = NULL;
	ok(ret == TLD_OK && st.records_in == 11 && verifies(tmp_path("mem.zone"), NOW),
	   "e2e: a zone in memory is signed like its file");
	mz = NULL;
	write_file(tmp_path("other.zone"), "other. 3600 IN SOA a. b. 1 2 3 4 5\nother. 3600 IN NS a.\n");
	ok(signer_zone_read(tmp_path("other.zone"), NULL, &mz) == TLD_OK, "e2e: another zone in memory");
	o.zone = mz; /* refused, and freed by the signer */
	is_int(TLD_EZONE, signer_sign_file(&o, &st), "e2e: a zone in memory of another name refused");
	o.zone = NULL;
	o.output = tmp_path("nsec.zone");

	/* refusals: wrong zone, bad input; the output stays */
	write_file(tmp_path("other.zone"), "other. 3600 IN SOA a. b. 1 2 3 4 5\nother. 3600 IN NS a.\n");
	o.input = tmp_path("other.zone");
	is_int(TLD_EZONE, signer_sign_file(&o, &st), "e2e: zone of another name refused");
	write_file(tmp_path("bad.zone"), "test. 3600 IN SOA a. b. 1 2 3 4 5\nx.test. 3600 IN A 1.2.3\n");
	o.input = tmp_path("bad.zone");
	is_int(TLD_EPARSE, signer_sign_file(&o, &st), "e2e: malformed input refused");
	ok(verifies(tmp_path("nsec.zone"), NOW), "e2e: the previous output is untouched");

	tld_statedb_close(db);
	test_token_remove(&tok);
}

/* ---- the copied text: node by node, equal to the text formatted anew ---- */

enum {
	MUT_FIRST = 1 << 0,   /* the first node after the apex: its NS */
	MUT_LAST = 1 << 1,    /* the last node: its NS */
	MUT_ADJACENT = 1 << 2, /* two adjacent delegations */
	MUT_DS_ADD = 1 << 3,  /* a DS added: an NSEC3 record comes, its neighbour's next hash moves */
	MUT_DS_DEL = 1 << 4,  /* a DS removed: an NSEC3 record goes */
	MUT_TTL = 1 << 5,     /* only a TTL */
	MUT_ADD_DEL = 1 << 6, /* a secure delegation added, another removed */
	MUT_GLUE = 1 << 7,    /* glue address */
	MUT_ALL = (1 << 8) - 1,
};

/* A zone of 40 delegations d00 .. d39 (glue under the even ones, DS at every third), mutated. */
static void write_mutated_zone(const char *path, unsigned mut)
{
	FILE *f = fopen(path, "w");
	fputs("$ORIGIN test.\n$TTL 3600\n@ SOA ns1.example.net. hostmaster.example.net. 7 1800 900 1209600 3600\n"
	      "@ NS ns1.example.net.\n@ NS ns2.example.net.\n", f);
	for (int i = 0; i < 40; i++) {
		if (i == 25 && (mut & MUT_ADD_DEL)) {
			continue;
		}
		bool changed = (i == 0 && (mut & MUT_FIRST)) || (i == 39 && (mut & MUT_LAST)) ||
		               ((i == 10 || i == 11) && (mut & MUT_ADJACENT));
		unsigned ttl = i == 30 && (mut & MUT_TTL) ? 86400 : 172800;
		fprintf(f, "d%02d %u NS ns1.d%02d\nd%02d %u NS %s\n", i, ttl, i, i, ttl,
		        changed ? "ns.changed.example." : "ns2.example.net.");
		if (i % 2 == 0) {
			fprintf(f, "ns1.d%02d 172800 A 198.51.100.%d\n", i, i == 12 && (mut & MUT_GLUE) ? 200 : i);
		}
		bool ds = (i % 3 == 0 && !(i == 3 && (mut & MUT_DS_DEL))) || (i == 20 && (mut & MUT_DS_ADD));
		if (ds) {
			fprintf(f, "d%02d 86400 DS %d 13 2 %064x\n", i, 1000 + i, i + 1);
		}
		if (i == 15 && (mut & MUT_ADD_DEL)) {
			fprintf(f, "d15x 172800 NS ns1.example.net.\nd15x 86400 DS 7 13 2 %064x\n", 99);
		}
	}
	fclose(f);
}

static bool same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *ta = tap_read_file(a, &la), *tb = tap_read_file(b, &lb);
	bool same = ta != NULL && tb != NULL && la == lb && memcmp(ta, tb, la) == 0;
	free(ta);
	free(tb);
	return same;
}

/*
 * Signs in from previous into out with the text copied (*st, *rc), then as
 * o2 says without copying (TLDSIGN_SIGN_TEXT_COPY=0: *st2, *rc2); parts of
 * part nodes when not NULL (TLDSIGN_SIGN_TEXT_PART).
 */
static void sign_copying_then_not(struct signer_sign_opts *o, const char *in, const char *previous, const char *out,
                                  struct signer_sign_stats *st, const struct signer_sign_opts *o2,
                                  struct signer_sign_stats *st2, const char *part, int *rc, int *rc2)
{
	memset(st, 0, sizeof(*st));
	memset(st2, 0, sizeof(*st2));
	if (part != NULL) {
		setenv("TLDSIGN_SIGN_TEXT_PART", part, 1);
	}
	o->input = in;
	o->previous = previous;
	o->output = out;
	*rc = signer_sign_file(o, st);
	setenv("TLDSIGN_SIGN_TEXT_COPY", "0", 1);
	*rc2 = signer_sign_file(o2, st2);
	unsetenv("TLDSIGN_SIGN_TEXT_COPY");
	unsetenv("TLDSIGN_SIGN_TEXT_PART");
}

/*
 * Signs the mutated zone once from the base version, copying its text, and
 * then formats the very same version anew: signed again from the copied one
 * with nothing to change (keep_serial_if_unchanged: every signature and the
 * serial reused) and TLDSIGN_SIGN_TEXT_COPY=0.  The two files must be equal
 * byte for byte.
 */
enum copy_expect { COPY_NONE, COPY_SOME, COPY_MOST };

static void check_copy(struct signer_sign_opts o, const char *base, unsigned mut, const char *part, const char *what,
                       enum copy_expect expect)
{
	static char in[512], copied[512], formatted[512];
	snprintf(in, sizeof(in), "%s", tmp_path("mut.zone"));
	snprintf(copied, sizeof(copied), "%s", tmp_path("mut-copied.zone"));
	snprintf(formatted, sizeof(formatted), "%s", tmp_path("mut-formatted.zone"));
	write_mutated_zone(in, mut);
	unlink(formatted);
	struct signer_sign_stats sc, sf;
	o.keep_serial_if_unchanged = false;
	struct signer_sign_opts f = o;
	f.input = in;
	f.previous = copied;
	f.output = formatted;
	f.keep_serial_if_unchanged = true;
	int rc, rf;
	sign_copying_then_not(&o, in, base, copied, &sc, &f, &sf, part, &rc, &rf);
	ok(rc == TLD_OK && rf == TLD_OK && sf.unchanged && sf.text_copied == 0 && sf.sigs_new == 0,
	   "text copy, %s: signed copying, then the same version formatted anew", what);
	if (expect == COPY_MOST) {
		ok(sc.text_copied > 0 && sc.text_formatted < sc.text_copied / 2,
		   "text copy, %s: %llu bytes copied, only %llu formatted", what, (unsigned long long)sc.text_copied,
		   (unsigned long long)sc.text_formatted);
	} else if (expect == COPY_SOME) {
		ok(sc.text_copied > 0, "text copy, %s: %llu bytes copied, %llu formatted", what,
		   (unsigned long long)sc.text_copied, (unsigned long long)sc.text_formatted);
	} else {
		ok(sc.text_copied == 0, "text copy, %s: nothing copied", what);
	}
	ok(same_file(copied, formatted), "text copy, %s: the copied text equals the formatted text byte for byte", what);
	ok(verifies(copied, NOW), "text copy, %s: the verifier accepts it", what);
}

static void test_text_copy(void)
{
	struct test_token tok;
	test_token_make(&tok, "textcopy");
	tld_statedb_t *db = NULL;
	struct tld_key_record ksk, zsk;
	ok(tld_statedb_open(tok.dir, &db) == TLD_OK && tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 13, 0, &ksk) == TLD_OK &&
	       tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 13, 0, &zsk) == TLD_OK,
	   "text copy: state store and keys");
	struct tld_policy pol = make_policy(TLD_DENIAL_NSEC3, true);
	static char base[512], in[512];
	snprintf(base, sizeof(base), "%s", tmp_path("base.zone"));
	snprintf(in, sizeof(in), "%s", tmp_path("base-in.zone"));
	write_mutated_zone(in, 0);
	struct signer_sign_opts o = { .cfg = &tok.cfg, .policy = &pol, .db = db, .input = in, .output = base,
	                              .now = NOW, .workers = 1 };
	struct signer_sign_stats st;
	ok(signer_sign_file(&o, &st) == TLD_OK && st.text_copied == 0, "text copy: base version signed");

	static const struct { unsigned mut; const char *what; } cases[] = {
		{ MUT_FIRST, "first node" }, { MUT_LAST, "last node" }, { MUT_ADJACENT, "adjacent nodes" },
		{ MUT_DS_ADD, "DS added (NSEC3 record added)" }, { MUT_DS_DEL, "DS removed (NSEC3 record removed)" },
		{ MUT_TTL, "TTL change" }, { MUT_ADD_DEL, "delegation added and removed" }, { MUT_GLUE, "glue changed" },
		{ MUT_ALL, "all of them" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_copy(o, base, cases[i].mut, NULL, cases[i].what, cases[i].mut == MUT_ALL ? COPY_SOME : COPY_MOST);
	}
	/* parts of 3 nodes on two threads: part boundaries among the changes, text written round by round */
	check_copy(o, base, MUT_ALL, "3", "all of them, parts of 3 nodes", COPY_SOME);
	check_copy(o, base, MUT_DS_ADD | MUT_LAST, "1", "DS added and last node, parts of 1 node", COPY_SOME);

	/* a previous text that is not the indexed file (grown by a byte): nothing copied, still right */
	FILE *f = fopen(base, "a");
	fputc('\n', f);
	fclose(f);
	check_copy(o, base, MUT_ALL, NULL, "previous file not the one indexed", COPY_NONE);

	/* the side file of another version (serial of another file): nothing copied */
	static char other[600], side_path[600];
	snprintf(other, sizeof(other), "%s%s", tmp_path("mut-copied.zone"), SIGNER_SIGFILE_SUFFIX);
	snprintf(side_path, sizeof(side_path), "%s%s", base, SIGNER_SIGFILE_SUFFIX);
	o.input = in;
	o.output = base;
	ok(signer_sign_file(&o, &st) == TLD_OK, "text copy: base signed again (the grown byte gone)");
	size_t len = 0;
	char *side = tap_read_file(other, &len);
	f = fopen(side_path, "w");
	if (side != NULL && f != NULL) {
		fwrite(side, 1, len, f);
	}
	if (f != NULL) {
		fclose(f);
	}
	free(side);
	check_copy(o, base, MUT_FIRST, NULL, "side file of another version", COPY_NONE);

	/* NSEC: the NSEC records are written with their nodes (a new name moves its predecessor's NSEC) */
	pol = make_policy(TLD_DENIAL_NSEC, false);
	o.previous = NULL;
	o.output = base;
	o.input = in;
	o.keep_serial_if_unchanged = false;
	ok(signer_sign_file(&o, &st) == TLD_OK, "text copy: base version signed with NSEC");
	check_copy(o, base, MUT_ADD_DEL, NULL, "NSEC, delegation added and removed", COPY_MOST);
	check_copy(o, base, MUT_ALL, "3", "NSEC, all of them, parts of 3 nodes", COPY_SOME);
	(void)ksk, (void)zsk;
	tld_statedb_close(db);
	test_token_remove(&tok);
}

/*
 * With Ed25519 (deterministic signatures) the fast path and a signing from
 * scratch must give the same files byte for byte, new signatures included:
 * the mutated zone signed from the base version (signatures reused, text
 * copied, the slots matched to the side file in one pass, the side file
 * written in hash order) and signed again without a previous version and
 * without copying -- zone file and side file compared.  Skipped when the
 * token offers no Ed25519.
 */
static void test_ed25519_exact(void)
{
	struct test_token tok;
	test_token_make(&tok, "ed25519");
	tld_statedb_t *db = NULL;
	struct tld_key_record ksk, zsk;
	if (tld_statedb_open(tok.dir, &db) != TLD_OK || tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 15, 0, &ksk) != TLD_OK ||
	    tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 15, 0, &zsk) != TLD_OK) {
		skip("no Ed25519 keys in this token");
		tld_statedb_close(db);
		test_token_remove(&tok);
		return;
	}
	static const struct {
		enum tld_denial_type denial;
		unsigned mut;
		const char *part;
		const char *what;
	} cases[] = {
		{ TLD_DENIAL_NSEC3, MUT_ALL, NULL, "NSEC3 opt-out, all changes" },
		{ TLD_DENIAL_NSEC3, MUT_DS_ADD | MUT_LAST, "1", "NSEC3 opt-out, DS added and last node, parts of 1 node" },
		{ TLD_DENIAL_NSEC, MUT_ALL, "3", "NSEC, all changes, parts of 3 nodes" },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct tld_policy pol = make_policy(cases[c].denial, cases[c].denial == TLD_DENIAL_NSEC3);
		static char base_in[512], in[512], base[512], fast[512], scratch[512], fs[600], ss[600];
		snprintf(base_in, sizeof(base_in), "%s", tmp_path("ed-base-in.zone"));
		snprintf(in, sizeof(in), "%s", tmp_path("ed-in.zone"));
		snprintf(base, sizeof(base), "%s", tmp_path("ed-base.zone"));
		snprintf(fast, sizeof(fast), "%s", tmp_path("ed-fast.zone"));
		snprintf(scratch, sizeof(scratch), "%s", tmp_path("ed-scratch.zone"));
		snprintf(fs, sizeof(fs), "%s%s", fast, SIGNER_SIGFILE_SUFFIX);
		snprintf(ss, sizeof(ss), "%s%s", scratch, SIGNER_SIGFILE_SUFFIX);
		write_mutated_zone(base_in, 0);
		write_mutated_zone(in, cases[c].mut);
		/* serial 8 in the input: what the base (serial 7) gives the next version under the counter scheme */
		size_t len = 0;
		char *text = tap_read_file(in, &len), *soa = text != NULL ? strstr(text, "net. 7 1800") : NULL;
		if (soa != NULL) {
			soa[5] = '8';
			write_file(in, text);
		}
		free(text);
		unlink(base);
		unlink(fast);
		unlink(scratch);
		struct signer_sign_opts o = { .cfg = &tok.cfg, .policy = &pol, .db = db, .input = base_in, .output = base,
		                              .now = NOW, .workers = 2 };
		struct signer_sign_stats sb, sf, sc;
		memset(&sb, 0, sizeof(sb));
		memset(&sf, 0, sizeof(sf));
		memset(&sc, 0, sizeof(sc));
		int rb = signer_sign_file(&o, &sb);
		struct signer_sign_opts from_scratch = o;
		from_scratch.input = in;
		from_scratch.previous = NULL;
		from_scratch.output = scratch;
		int rf, rs;
		sign_copying_then_not(&o, in, base, fast, &sf, &from_scratch, &sc, cases[c].part, &rf, &rs);
		ok(rb == TLD_OK && rf == TLD_OK && rs == TLD_OK && sf.sigs_reused > 0 && sf.text_copied > 0 &&
		       sc.sigs_reused == 0 && sc.text_copied == 0 && sf.serial == sc.serial,
		   "ed25519, %s: signed from the base (%llu reused, %llu bytes copied) and from scratch", cases[c].what,
		   (unsigned long long)sf.sigs_reused, (unsigned long long)sf.text_copied);
		ok(same_file(fast, scratch), "ed25519, %s: the zone files are equal byte for byte", cases[c].what);
		ok(same_file(fs, ss), "ed25519, %s: the side files are equal byte for byte", cases[c].what);
		if (c == 0) { /* no room left for the text index (TLDSIGN_SIGN_PATCH_ROOM=0): the same side file */
			static char again[512], as[600];
			snprintf(again, sizeof(again), "%s", tmp_path("ed-again.zone"));
			snprintf(as, sizeof(as), "%s%s", again, SIGNER_SIGFILE_SUFFIX);
			struct signer_sign_opts oa = from_scratch;
			oa.output = again;
			setenv("TLDSIGN_SIGN_PATCH_ROOM", "0", 1);
			int ra = signer_sign_file(&oa, &sc);
			unsetenv("TLDSIGN_SIGN_PATCH_ROOM");
			ok(ra == TLD_OK && same_file(again, scratch) && same_file(as, ss),
			   "ed25519, %s: the patch index written after the text index instead of before it: the same files",
			   cases[c].what);
		}
	}
	(void)ksk, (void)zsk;
	tld_statedb_close(db);
	test_token_remove(&tok);
}

int main(void)
{
	plan_lazy();
	tmpdir_make("test_signer_sign");
	test_textout_roundtrip();
	test_sigfile();
	test_sigfile_many();
	test_nsec_chain();
	test_keyset_check();
	test_sort();
	test_sort_parallel();
	test_sign_end_to_end();
	test_text_copy();
	test_ed25519_exact();
	tmpdir_remove();
	return exit_status();
}
