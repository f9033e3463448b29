/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The slots in hash order and their entries in the previous side file
 * (signer/sign_order.c): uniform hashes, hashes all in one bucket
 * (adversarial), equal hashes; matches found for every hash the file has,
 * none for any other, and a file whose entries are out of order only loses
 * matches, never gives a wrong one.  Also the side file written from items
 * already in order (not sorted again) equal to the one written from the
 * same items shuffled.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/sign_internal.h"
#include "tests/tap/tap.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_hash(uint8_t *h)
{
	for (size_t i = 0; i < SIGNER_SIGFILE_HASH; i += 8) {
		uint64_t r = next_rand();
		memcpy(h + i, &r, 8);
	}
}

/* A run of n slots with random hashes; kind: 0 uniform, 1 one bucket, 2 a few hashes repeated */
static struct sign_run make_run(size_t n, int kind)
{
	struct sign_run run;
	memset(&run, 0, sizeof(run));
	run.slots = calloc(n ? n : 1, sizeof(*run.slots));
	run.nslots = n;
	for (size_t i = 0; i < n; i++) {
		random_hash(run.slots[i].hash);
		if (kind == 1) {
			run.slots[i].hash[0] = 0xab;
			run.slots[i].hash[1] = 0xcd;
		}
		if (kind == 2 && i % 3 != 0) {
			memcpy(run.slots[i].hash, run.slots[i - i % 3].hash, SIGNER_SIGFILE_HASH);
		}
	}
	return run;
}

static bool in_order(const struct sign_run *run)
{
	bool seen_all = true;
	bool *seen = calloc(run->nslots ? run->nslots : 1, 1);
	for (size_t i = 0; i < run->nslots; i++) {
		seen_all &= run->order[i] < run->nslots && !seen[run->order[i]];
		if (run->order[i] < run->nslots) {
			seen[run->order[i]] = true;
		}
		if (i > 0 && memcmp(run->slots[run->order[i - 1]].hash, run->slots[run->order[i]].hash,
		                    SIGNER_SIGFILE_HASH) > 0) {
			seen_all = false;
		}
	}
	free(seen);
	return seen_all;
}

static void test_order(void)
{
	static const struct {
		size_t n;
		int kind;
		const char *what;
	} cases[] = {
		{ 0, 0, "no slots" },        { 1, 0, "one slot" },           { 100000, 0, "100000 uniform hashes" },
		{ 3000, 1, "3000 hashes in one bucket" }, { 30000, 2, "30000 hashes, each three times" },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sign_run run = make_run(cases[c].n, cases[c].kind);
		ok(sign_order_slots(&run) == TLD_OK && in_order(&run), "order: %s: a permutation in hash order",
		   cases[c].what);
		free(run.order);
		free(run.slots);
	}
}

/* A side file in memory of the given hashes (one signature each: the entry's index as 4 bytes). */
struct mem_file {
	uint8_t *data;
	size_t size;
};

static const uint8_t *sig_index(void *ctx, size_t i, uint16_t *len)
{
	static uint32_t v[1];
	(void)ctx;
	v[0] = (uint32_t)i;
	*len = 4;
	return (const uint8_t *)v;
}

static struct mem_file side_file(const uint8_t (*hashes)[SIGNER_SIGFILE_HASH], size_t n)
{
	struct mem_file m = { 0 };
	const uint8_t origin[] = { 4, 't', 'e', 's', 't', 0 };
	uint8_t uh[32] = { 0 };
	struct signer_sigfile_item *items = calloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		memcpy(items[i].hash, hashes[i], SIGNER_SIGFILE_HASH);
		items[i].sig_first = (uint32_t)i;
		items[i].nsigs = 1;
	}
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (signer_sigfile_write(f, origin, sizeof(origin), 1, uh, items, n, sig_index, NULL) == TLD_OK) {
		signer_sigfile_write_text(f, 0, NULL, 0);
		signer_sigfile_write_patch(f, &(struct signer_sigfile_patch){ 0 }, NULL, NULL, NULL);
	}
	fclose(f);
	/* 8-byte aligned copy */
	m.data = aligned_alloc(8, (size + 7) & ~(size_t)7);
	memcpy(m.data, buf, size);
	m.size = size;
	free(buf);
	free(items);
	return m;
}

static void test_match(void)
{
	size_t n = 20000, nf = 0;
	struct sign_run run = make_run(n, 2);
	uint8_t(*hashes)[SIGNER_SIGFILE_HASH] = calloc(n, SIGNER_SIGFILE_HASH);
	for (size_t i = 0; i < n; i += 6) { /* every other hash of the slots is in the file, and some foreign ones */
		memcpy(hashes[nf++], run.slots[i].hash, SIGNER_SIGFILE_HASH);
		if (i % 10 == 0) {
			random_hash(hashes[nf++]);
		}
	}
	struct mem_file m = side_file((const uint8_t(*)[SIGNER_SIGFILE_HASH])hashes, nf);
	struct signer_sigfile *sf = NULL;
	ok(signer_sigfile_from_memory(m.data, m.size, &sf) == TLD_OK, "match: a side file of %zu entries", nf);
	run.prev = sf;
	bool same = sign_order_slots(&run) == TLD_OK && sign_match_previous(&run) == TLD_OK && run.match != NULL;
	size_t found = 0;
	for (size_t i = 0; same && i < n; i++) {
		const struct signer_sigfile_entry *want = signer_sigfile_find(sf, run.slots[i].hash);
		same = run.match[i] == want;
		found += want != NULL;
	}
	ok(same && found > 0 && found < n, "match: each slot's entry the one a search finds (%zu of %zu found)", found, n);
	free(run.match);
	run.match = NULL;

	/* entries out of order (a damaged file): matches lost, none wrong */
	struct signer_sigfile_entry *e = (struct signer_sigfile_entry *)sf->entries;
	size_t ne = (size_t)sf->hdr->nentries;
	struct signer_sigfile_entry t = e[10];
	e[10] = e[ne - 10];
	e[ne - 10] = t;
	bool none_wrong = sign_match_previous(&run) == TLD_OK;
	for (size_t i = 0; none_wrong && i < n; i++) {
		none_wrong = run.match[i] == NULL ||
		             memcmp(run.match[i]->hash, run.slots[i].hash, SIGNER_SIGFILE_HASH) == 0;
	}
	ok(none_wrong, "match: entries out of order: every match has the slot's hash");
	free(run.match);
	signer_sigfile_close(sf);
	run.prev = NULL;

	/* no previous side file: no matches */
	run.match = NULL;
	ok(sign_match_previous(&run) == TLD_OK && run.match == NULL, "match: without a previous side file, none");

	/* the side file of items in order equals that of the same items shuffled */
	for (size_t i = nf - 1; i > 0; i--) {
		size_t k = next_rand() % (i + 1);
		uint8_t tmp[SIGNER_SIGFILE_HASH];
		memcpy(tmp, hashes[i], sizeof(tmp));
		memcpy(hashes[i], hashes[k], sizeof(tmp));
		memcpy(hashes[k], tmp, sizeof(tmp));
	}
	struct mem_file shuffled = side_file((const uint8_t(*)[SIGNER_SIGFILE_HASH])hashes, nf);
	struct signer_sigfile *s1 = NULL, *s2 = NULL;
	bool equal_entries = signer_sigfile_from_memory(shuffled.data, shuffled.size, &s1) == TLD_OK &&
	                     signer_sigfile_from_memory(m.data, m.size, &s2) == TLD_OK &&
	                     s1->hdr->nentries == s2->hdr->nentries;
	for (size_t i = 1; equal_entries && i < s1->hdr->nentries; i++) {
		equal_entries = memcmp(s1->entries[i - 1].hash, s1->entries[i].hash, SIGNER_SIGFILE_HASH) < 0;
	}
	ok(equal_entries && shuffled.size == m.size, "side file: items shuffled, written sorted (%zu entries)", nf);
	signer_sigfile_close(s1);
	signer_sigfile_close(s2);
	free(shuffled.data);
	free(m.data);
	free(hashes);
	free(run.order);
	free(run.slots);
}

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_WARNING, false);
	test_order();
	test_match();
	return exit_status();
}
