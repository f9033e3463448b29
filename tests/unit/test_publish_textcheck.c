/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish/textcheck: the check recorded with each version is the value the
 * earlier releases computed (known answers, so that a recorded check stays
 * valid), whatever pieces it is fed in (random cuts, cuts inside a block,
 * repeated and backward positions); the digest and check in one pass are the
 * two computed apart (texts longer than one piece, lengths not a multiple of
 * 32); the digest and check streamed from pieces that lie anywhere (random
 * cuts, empty pieces, single bytes, pieces longer than the digest's, copies
 * in other buffers) are the one-pass values, with the check and without;
 * tld_image_index()'s check in its pass is tld_image_check(), its sparse
 * offsets those of every stride-th record; its checks made four at a time are
 * tld_image_record_check()'s one at a time, for records of every length from
 * the shortest on, in any number, up to the very end of data allocated
 * without a byte to spare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/textcheck.h"
#include "publish/zoneimage.h"
#include "tests/tap/tap.h"

#define TEXT_LEN 700001

/* The known answers (computed by the release before the check could be fed in pieces). */
static const struct {
	size_t len;
	uint64_t check;
} KAT[] = {
	{ 0, 0x41a0c140c3b92f88ull },      { 1, 0xc6aca4c001d7a89full },
	{ 7, 0x750441c181c0b5f3ull },      { 8, 0xb67af9f28c3a0ce1ull },
	{ 31, 0xad188dca3417e0deull },     { 32, 0x9b3898f8f0f6e8c3ull },
	{ 33, 0x4b24825c75b39709ull },     { 63, 0x8e05b761873dbb14ull },
	{ 64, 0x8d01e1ee09f774ceull },     { 100, 0xd6d4cd5515050da9ull },
	{ 1000, 0x15b7181c8cba35ebull },   { 300001, 0x27aa0628c93e1c2dull },
};

static char text[TEXT_LEN];
static unsigned rnd_state = 4711;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static void known_answers(void)
{
	for (size_t k = 0; k < sizeof(KAT) / sizeof(KAT[0]); k++) {
		ok(tld_zone_text_check(text, KAT[k].len) == KAT[k].check, "check of %zu bytes: the known answer",
		   KAT[k].len);
	}
	char hex[65];
	is_int(TLD_OK, tld_zone_text_digest(text, 300001, hex), "digest of 300001 bytes");
	is_str("03e03f680f4c8d899d3c12f9024d06bd427fe0a6053ed95cefc54e078f3f5416", hex,
	       "digest of 300001 bytes: the known answer (sha256sum)");
}

/* Fed at random positions (some inside a block, some repeated or behind): the one-shot value. */
static void pieces(void)
{
	int bad = 0;
	for (int round = 0; round < 200; round++) {
		size_t len = round < 100 ? rnd(2000) : rnd(TEXT_LEN);
		struct tld_text_check c;
		tld_text_check_init(&c);
		size_t at = 0;
		while (at < len) {
			size_t step = rnd(4) == 0 ? rnd(40) : rnd((unsigned)(len / 4 + 2));
			at = at + step > len ? len : at + step;
			tld_text_check_feed(&c, text, at);
			if (rnd(5) == 0) {
				tld_text_check_feed(&c, text, at / 2);  /* behind: feeds nothing */
			}
			if (c.done > at || c.done % 32 != 0 || at - c.done >= 32) {
				bad++;
			}
		}
		if (tld_text_check_end(&c, text, len) != tld_zone_text_check(text, len)) {
			diag("round %d: %zu bytes: the check fed in pieces differs", round, len);
			bad++;
		}
	}
	is_int(0, bad, "a check fed in pieces is the one-shot check (200 texts, random cuts)");
}

/* The digest and the check in one pass: each the one computed alone. */
static void digest_and_check(void)
{
	static const size_t lens[] = { 0, 1, 31, 32, 33, (size_t)256 << 10, ((size_t)256 << 10) + 17,
	                               TEXT_LEN };
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		char a[65], b[65];
		uint64_t check = 0;
		bool good = tld_zone_text_digest_check(text, lens[k], a, &check) == TLD_OK &&
		            tld_zone_text_digest(text, lens[k], b) == TLD_OK;
		ok(good && strcmp(a, b) == 0 && check == tld_zone_text_check(text, lens[k]),
		   "%zu bytes: digest and check in one pass are the two apart", lens[k]);
	}
}

/* tld_image_index() sums the records' checks in its pass: tld_image_check() of the image. */
static void index_check(void)
{
	static const char zone[] =
		"test.\t3600\tIN\tSOA\tns1.test. h.test. 7 1800 900 1209600 3600\n"
		"test.\t3600\tIN\tNS\tns1.test.\n"
		"a.test.\t86400\tIN\tNS\tns1.example.\n"
		"a.test.\t86400\tIN\tDS\t12345 13 2 0000000000000000000000000000000000000000000000000000000000000001\n"
		"b.test.\t86400\tIN\tNS\tns2.example.\n"
		"ns1.test.\t3600\tIN\tA\t192.0.2.1\n";
	struct tld_zone_image *img = NULL;
	if (!is_int(TLD_OK, tld_image_from_zone_text("index", zone, strlen(zone), &img), "image read")) {
		return;
	}
	size_t *rr = malloc(img->count * sizeof(*rr));
	uint64_t check = 0;
	/* the records in the image's order, one after another */
	uint8_t *flat = malloc(img->len);
	size_t flen = 0;
	for (size_t i = 0; i < img->count; i++) {
		size_t l = tld_image_record_len(img->data + img->rr[i]);
		memcpy(flat + flen, img->data + img->rr[i], l);
		flen += l;
	}
	is_int(TLD_OK, tld_image_index(flat, flen, rr, img->count, 1, &check), "indexed with its check");
	ok(check == tld_image_check(img), "the check summed in the index pass is tld_image_check()");
	/* sparse: every stride-th record's offset */
	for (size_t stride = 2; stride <= img->count + 1; stride++) {
		size_t marks[8] = { 0 }, bad = 0;
		uint64_t c2 = 0;
		int r = tld_image_index(flat, flen, marks, img->count, stride, &c2);
		for (size_t k = 0; k * stride < img->count; k++) {
			bad += marks[k] != rr[k * stride];
		}
		ok(r == TLD_OK && bad == 0 && c2 == check, "stride %zu: the offsets of every %zu-th record",
		   stride, stride);
	}
	uint64_t before = check;
	is_int(TLD_EPARSE, tld_image_index(flat, flen - 1, rr, img->count, 1, &check),
	       "a truncated image: refused");
	ok(check == before, "a refused index leaves the check alone");
	flat[0] = 0xC0;  /* the SOA owner's length byte: not its name's length */
	is_int(TLD_EPARSE, tld_image_index(flat, flen, rr, img->count, 1, &check), "a bad owner: refused");
	free(flat);
	free(rr);
	tld_image_free(img);
}

/* Appends a record of owner "x.<k>." (k < 10) with rdlen bytes of rdata; returns its length. */
static size_t put_record(uint8_t *p, unsigned k, size_t rdlen, unsigned seed)
{
	static const uint8_t owner[] = { 1, 'x', 1, '0', 0 };
	memcpy(p, (const uint8_t[]){ sizeof(owner) }, 1);
	memcpy(p + 1, owner, sizeof(owner));
	p[4] = (uint8_t)('0' + k % 10);
	uint8_t *f = p + 1 + sizeof(owner);
	memcpy(f, (const uint8_t[]){ 0, 2, 0, 1, 0, 0, 0x0e, 0x10, (uint8_t)(rdlen >> 8), (uint8_t)rdlen }, 10);
	for (size_t i = 0; i < rdlen; i++) {
		f[10 + i] = (uint8_t)(seed * 31 + i * 7 + k);
	}
	return 1 + sizeof(owner) + 10 + rdlen;
}

/* The checks four at a time against tld_image_record_check() one at a time. */
static void index_check_lanes(void)
{
	unsigned seed = 12345;
	size_t bad = 0, refused = 0, runs = 0;
	for (size_t count = 1; count <= 41; count++) {
		for (int shape = 0; shape < 4; shape++) {
			/* rdata lengths: all short, growing, one long among short, random */
			size_t rdl[41], total = 0;
			for (size_t i = 0; i < count; i++) {
				seed = seed * 1103515245u + 12345u;
				rdl[i] = shape == 0 ? i % 3
				         : shape == 1 ? i * 9
				         : shape == 2 ? (i % 5 == 2 ? 300 : 1)
				                      : (seed >> 16) % 200;
				total += 1 + 5 + 10 + rdl[i];
			}
			uint8_t *data = malloc(total);  /* not a byte to spare: the last ones checked alone */
			uint64_t want = 0, got = 0;
			size_t pos = 0, marks[41];
			for (size_t i = 0; i < count; i++) {
				size_t l = put_record(data + pos, (unsigned)i, rdl[i], seed);
				want += tld_image_record_check(data + pos);
				pos += l;
			}
			refused += tld_image_index(data, total, marks, count, 1, &got) != TLD_OK;
			bad += got != want;
			runs++;
			free(data);
		}
	}
	ok(refused == 0 && bad == 0, "%zu images of 1 to 41 records of 16 to 331 bytes: the checks "
	   "four at a time are those one at a time", runs);
}

/* A text streamed in random pieces, each from a copy of its own: the one-pass digest and check. */
static void stream(void)
{
	char want[65], hex[65], plain[65];
	uint64_t want_check = 0, check = 1;
	int bad = 0;
	for (int round = 0; round < 40; round++) {
		size_t len = round < 8 ? (size_t)round * 5 : round % 4 == 0 ? TEXT_LEN : rnd(TEXT_LEN);
		struct tld_text_stream s, t;
		if (tld_zone_text_digest_check(text, len, want, &want_check) != TLD_OK ||
		    tld_text_stream_init(&s, true) != TLD_OK || tld_text_stream_init(&t, false) != TLD_OK) {
			bad++;
			continue;
		}
		for (size_t at = 0; at < len;) {
			unsigned kind = rnd(8);
			size_t n = kind == 0 ? 0 : kind == 1 ? 1 : kind == 2 ? rnd(33) : kind == 3 ? 300000 : rnd(70000);
			n = n > len - at ? len - at : n;
			char *copy = malloc(n + 1);  /* the piece elsewhere, as the writer's pieces are */
			memcpy(copy, text + at, n);
			if (tld_text_stream_add(&s, copy, n) != TLD_OK || tld_text_stream_add(&t, copy, n) != TLD_OK) {
				bad++;
			}
			free(copy);
			at += n;
		}
		if (tld_text_stream_end(&s, hex, &check) != TLD_OK || tld_text_stream_end(&t, plain, NULL) != TLD_OK ||
		    strcmp(hex, want) != 0 || strcmp(plain, want) != 0 || check != want_check) {
			bad++;
			diag("%zu bytes: %s %s %016llx, want %s %016llx", len, hex, plain, (unsigned long long)check,
			     want, (unsigned long long)want_check);
		}
	}
	ok(bad == 0, "streamed in random pieces: the one-pass digest and check (40 texts)");
	struct tld_text_stream s;
	uint64_t untouched = 42;
	ok(tld_text_stream_init(&s, false) == TLD_OK && tld_text_stream_add(&s, text, 100) == TLD_OK &&
	   tld_text_stream_end(&s, hex, &untouched) == TLD_OK && untouched == 42,
	   "a stream without the check: the digest, *check untouched");
	ok(tld_text_stream_init(&s, true) == TLD_OK, "a stream started");
	tld_text_stream_free(&s);
	ok(s.md == NULL, "a stream freed unended: its context gone (ASan: nothing leaked)");
	tld_text_stream_free(&s);
	ok(s.md == NULL, "freed again: a no-op (ASan: no double free)");
}

int main(void)
{
	tld_log_init(getenv("TLDSIGN_TEST_VERBOSE") ? TLD_LOG_INFO : TLD_LOG_ERROR, false);
	for (size_t i = 0; i < sizeof(text); i++) {
		text[i] = (char)(32 + (i * 7 + 3) % 95);
	}
	known_answers();
	pieces();
	digest_and_check();
	stream();
	index_check();
	index_check_lanes();
	return exit_status();
}
