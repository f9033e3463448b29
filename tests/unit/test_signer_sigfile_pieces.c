/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A side file written in pieces at their offsets (signer_sigfile_prepare()
 * for the layout, each piece from a stream of common/pwrite_stream.h, in
 * any order: signer/sign_patch_side.c) against the same file written in one
 * piece down a stdio stream (signer_sigfile_write(), _write_text(),
 * _write_patch()): equal byte for byte, for counts and lengths around the
 * padding of each piece (entries, blob, text index, names), items unsorted
 * and with repeated hashes; and the file so made opens.  Then the streams
 * themselves: a write at an offset leaves the bytes around it alone, pieces
 * larger than the stream's buffer go whole, and a failing write (a
 * descriptor open for reading) is told at the close.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/pwrite_stream.h"
#include "signer/sigfile.h"
#include "tests/tap/tap.h"
#include "tests/unit/test_tmpdir.h"

/* The signatures: sig i is bytes of i's pattern, of length sig_len[i]. */
#define MAX_SIGS 64
static uint8_t sig_data[MAX_SIGS][300];
static uint16_t sig_len[MAX_SIGS];

static const uint8_t *sig_at(void *ctx, size_t i, uint16_t *len)
{
	(void)ctx;
	*len = sig_len[i];
	return sig_data[i];
}

struct case_ {
	size_t nitems;
	size_t nblocks;
	size_t names_len;
	unsigned seed;
	bool dup;                  /* two items with one hash */
};

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

struct content {
	struct signer_sigfile_item items[16];
	size_t n;
	struct signer_sigfile_block blocks[8];
	uint64_t text_size;
	struct signer_sigfile_patch hdr;
	struct signer_sigfile_chain_item chain[2];
	struct signer_sigfile_slot slots[3];
	uint8_t names[64];
};

static void make(const struct case_ *c, struct content *m)
{
	unsigned s = c->seed;
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < MAX_SIGS; i++) {
		sig_len[i] = (uint16_t)(rnd(&s) % 7 + (i % 3 == 0 ? 0 : 90));
		for (size_t k = 0; k < sig_len[i]; k++) {
			sig_data[i][k] = (uint8_t)(i * 31 + k);
		}
	}
	m->n = c->nitems;
	for (size_t i = 0; i < m->n; i++) {
		for (size_t k = 0; k < SIGNER_SIGFILE_HASH; k++) {
			m->items[i].hash[k] = (uint8_t)rnd(&s);
		}
		m->items[i].sig_first = (uint32_t)(i * 3);
		m->items[i].nsigs = (uint32_t)(rnd(&s) % 4);
	}
	if (c->dup && m->n >= 2) {
		memcpy(m->items[m->n - 1].hash, m->items[0].hash, SIGNER_SIGFILE_HASH);
	}
	for (size_t i = 0; i < c->nblocks; i++) {
		memset(m->blocks[i].digest, (int)(i + 1), SIGNER_SIGFILE_HASH);
		m->blocks[i].len = 10 + (uint32_t)i;
		m->text_size += m->blocks[i].len;
	}
	m->hdr = (struct signer_sigfile_patch){ .now = 1767225600, .nchain = 2, .nslots = 3,
	                                        .names_len = c->names_len, .flags = SIGNER_SIGFILE_PATCHED };
	memset(m->hdr.keys_digest, 7, sizeof(m->hdr.keys_digest));
	/* one wire name: a label of names_len - 2 bytes (none for 1) and the root; every item names it */
	if (c->names_len >= 2) {
		m->names[0] = (uint8_t)(c->names_len - 2);
		for (size_t i = 1; i + 1 < c->names_len; i++) {
			m->names[i] = (uint8_t)('a' + i % 26);
		}
	}
	for (size_t i = 0; i < 3; i++) {
		memset(m->slots[i].hash, (int)(0x40 + i), SIGNER_SIGFILE_HASH);
		m->slots[i].type = (uint16_t)(i + 1);
		m->slots[i].kind = i == 0 ? SIGNER_SIGFILE_ZONE : SIGNER_SIGFILE_NSEC3; /* the last nchain: NSEC3 */
		m->slots[i].exp_min = (uint32_t)(100 + i);
	}
	memset(m->chain[0].hash, 1, sizeof(m->chain[0].hash));
	memset(m->chain[1].hash, 2, sizeof(m->chain[1].hash));
}

static const uint8_t origin[] = { 4, 't', 'e', 's', 't', 0 };

/* In one piece, down a stdio stream. */
static bool write_whole(const char *path, const struct case_ *c)
{
	struct content m;
	make(c, &m);
	FILE *f = fopen(path, "wb");
	uint8_t none[32] = { 0 };
	bool good = f != NULL &&
	            signer_sigfile_write(f, origin, sizeof(origin), 7, none, m.items, m.n, sig_at, NULL) == TLD_OK &&
	            signer_sigfile_write_text(f, m.text_size, m.blocks, c->nblocks) == TLD_OK &&
	            signer_sigfile_write_patch(f, &m.hdr, m.chain, m.slots, m.names) == TLD_OK;
	return f != NULL && fclose(f) == 0 && good;
}

/* In pieces at their offsets, the last first. */
static bool write_pieces(const char *path, const struct case_ *c, uint64_t *sigs_end)
{
	struct content m;
	make(c, &m);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		return false;
	}
	uint8_t none[32] = { 0 };
	size_t n = m.n;
	uint64_t text_at = signer_sigfile_prepare(m.items, &n, sig_at, NULL);
	uint64_t patch_at = text_at + signer_sigfile_text_bytes(c->nblocks);
	struct tld_pwrite_stream p, t, s;
	uint64_t pe = 0, te = 0, se = 0;
	bool good = tld_pwrite_stream_open(&p, fd, patch_at) == TLD_OK &&
	            signer_sigfile_write_patch(p.f, &m.hdr, m.chain, m.slots, m.names) == TLD_OK;
	good = tld_pwrite_stream_close(&p, &pe) == TLD_OK && good;
	good = good && tld_pwrite_stream_open(&t, fd, text_at) == TLD_OK &&
	       signer_sigfile_write_text(t.f, m.text_size, m.blocks, c->nblocks) == TLD_OK;
	good = good && tld_pwrite_stream_close(&t, &te) == TLD_OK;
	good = good && tld_pwrite_stream_open(&s, fd, 0) == TLD_OK &&
	       signer_sigfile_write(s.f, origin, sizeof(origin), 7, none, m.items, n, sig_at, NULL) == TLD_OK;
	good = good && tld_pwrite_stream_close(&s, &se) == TLD_OK;
	close(fd);
	*sigs_end = se;
	return good && te == patch_at && se == text_at && pe > patch_at;
}

static void test_equal(void)
{
	int cases = 0, equal = 0, openable = 0, opened = 0;
	static const size_t items[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16 };
	static const size_t blocks[] = { 0, 1, 2, 3, 4, 7 };
	static const size_t names[] = { 1, 7, 8, 9, 16, 17 };
	for (size_t i = 0; i < sizeof(items) / sizeof(*items); i++) {
		for (size_t b = 0; b < sizeof(blocks) / sizeof(*blocks); b++) {
			for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
				for (int dup = 0; dup < 2; dup++) {
					struct case_ c = { .nitems = items[i], .nblocks = blocks[b], .names_len = names[k],
					                   .seed = (unsigned)(i * 100 + b * 10 + k), .dup = dup != 0 };
					const char *a = tmp_path("whole.sigs"), *p = tmp_path("pieces.sigs");
					uint64_t sigs_end = 0;
					bool w = write_whole(a, &c), q = write_pieces(p, &c, &sigs_end);
					cases++;
					if (w && q && tap_same_files(a, p)) {
						equal++;
					} else {
						diag("%zu items, %zu blocks, %zu bytes of names, dup %d: whole %d, pieces %d, differ",
						     c.nitems, c.nblocks, c.names_len, dup, w, q);
					}
					struct signer_sigfile *sf = NULL;
					openable += c.nblocks > 0; /* a text of no blocks is refused */
					if (c.nblocks > 0 && signer_sigfile_open(p, &sf) == TLD_OK && sf->patch != NULL &&
					    sf->hdr->nentries == (c.dup && c.nitems >= 2 ? c.nitems - 1 : c.nitems) &&
					    sf->text != NULL && sf->text->nblocks == c.nblocks) {
						opened++;
					}
					signer_sigfile_close(sf);
				}
			}
		}
	}
	ok(cases > 0 && equal == cases, "a side file in pieces at their offsets equals the one in one piece (%d of %d)",
	   equal, cases);
	ok(openable > 0 && opened == openable,
	   "every such file of a text opens, with its entries, text index and patch index (%d of %d)", opened, openable);
}

/* signer_sigfile_prepare(): the offset at which signer_sigfile_write() ends, items made unique. */
static void test_prepare(void)
{
	struct case_ c = { .nitems = 5, .nblocks = 3, .names_len = 6, .seed = 9, .dup = true };
	struct content m;
	make(&c, &m);
	FILE *f = fopen(tmp_path("prepare.sigs"), "wb");
	uint8_t none[32] = { 0 };
	size_t n = m.n;
	uint64_t at = signer_sigfile_prepare(m.items, &n, sig_at, NULL);
	bool good = f != NULL && signer_sigfile_write(f, origin, sizeof(origin), 7, none, m.items, n, sig_at, NULL) == TLD_OK;
	long pos = f != NULL ? ftell(f) : -1;
	good = good && signer_sigfile_write_text(f, m.text_size, m.blocks, c.nblocks) == TLD_OK &&
	       signer_sigfile_write_patch(f, &m.hdr, m.chain, m.slots, m.names) == TLD_OK;
	good = f != NULL && fclose(f) == 0 && good;
	ok(good && pos >= 0 && (uint64_t)pos == at, "signer_sigfile_prepare() gives where the text index starts (%lld, %llu)",
	   (long long)pos, (unsigned long long)at);
	is_int(4, (long long)n, "signer_sigfile_prepare() makes two items of one hash one");
}

static void test_stream(void)
{
	const char *path = tmp_path("stream");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	static char big[(3u << 20) + 5];
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (char)('a' + i % 26);
	}
	ok(fd >= 0 && tld_pwrite_all(fd, "0123456789", 10, 0) == TLD_OK, "tld_pwrite_all() at offset 0");
	struct tld_pwrite_stream s;
	uint64_t end = 0;
	ok(tld_pwrite_stream_open(&s, fd, 3) == TLD_OK && fwrite("abc", 1, 3, s.f) == 3 &&
	   tld_pwrite_stream_close(&s, &end) == TLD_OK && end == 6, "a stream from offset 3: 3 bytes, ends at 6");
	ok(tld_pwrite_stream_open(&s, fd, 10) == TLD_OK && fwrite("x", 1, 1, s.f) == 1 &&
	   fwrite(big, 1, sizeof(big), s.f) == sizeof(big) && fwrite("y", 1, 1, s.f) == 1 &&
	   tld_pwrite_stream_close(&s, &end) == TLD_OK && end == 10 + 2 + sizeof(big),
	   "a stream: a piece larger than its buffer between two small ones");
	close(fd);
	size_t len = 0;
	char *got = tap_read_file(path, &len);
	ok(got != NULL && len == 12 + sizeof(big) && memcmp(got, "012abc6789x", 11) == 0 &&
	   memcmp(got + 11, big, sizeof(big)) == 0 && got[len - 1] == 'y',
	   "the file holds every piece at its offset, the bytes around them as they were");
	free(got);
	/* a failing write: told at the close, whatever was buffered */
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && tld_pwrite_stream_open(&s, fd, 0) == TLD_OK, "a stream on a descriptor open for reading");
	(void)fwrite("abc", 1, 3, s.f);
	int ret = tld_pwrite_stream_close(&s, NULL);
	ok(ret != TLD_OK, "its close tells the failed write (%s)", tld_strerror(ret));
	ok(tld_pwrite_all(fd, "x", 1, 0) != TLD_OK, "tld_pwrite_all() tells it too");
	close(fd);
	struct tld_pwrite_stream none = { .f = NULL, .err = TLD_OK };
	is_int(TLD_OK, tld_pwrite_stream_close(&none, NULL), "closing a stream never opened: a no-op");
}

int main(void)
{
	plan_lazy();
	tmpdir_make("test_signer_sigfile_pieces");
	test_equal();
	test_prepare();
	test_stream();
	tmpdir_remove();
	return exit_status();
}
