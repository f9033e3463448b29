/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The slots in the order of their hashes (sign_internal.h), made once after
 * the hashes are final, and used twice: the previous side file's entries
 * (sorted by hash too) are matched to the slots in one pass over both
 * instead of a search per slot, and the side file is written in that order
 * without sorting its items again.
 *
 * The hashes are the first bytes of SHA-256, so uniform: the slots are put
 * into 2^16 buckets by their first two bytes (a counting sort) and each
 * bucket (about one slot at a million slots ... a few at most) is sorted by
 * the whole hash with insertion sort.  A bucket of equal or adversarial
 * hashes only costs time (quadratic in that bucket), never the order.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/sign_internal.h"

#define BUCKETS 65536u

/* -- internal API -- */

static size_t bucket_of(const uint8_t *hash)
{
	return (size_t)hash[0] << 8 | hash[1];
}

static int hash_cmp(const struct sign_run *run, uint32_t a, uint32_t b)
{
	return memcmp(run->slots[a].hash, run->slots[b].hash, SIGNER_SIGFILE_HASH);
}

/* -- public API -- */

int sign_order_slots(struct sign_run *run)
{
	size_t n = run->nslots;
	uint32_t *start = calloc(BUCKETS + 1, sizeof(*start));
	free(run->order);
	run->order = malloc((n ? n : 1) * sizeof(*run->order));
	if (start == NULL || run->order == NULL || n >= UINT32_MAX) {
		free(start);
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		start[bucket_of(run->slots[i].hash) + 1]++;
	}
	for (size_t b = 0; b < BUCKETS; b++) {
		start[b + 1] += start[b];
	}
	for (size_t i = 0; i < n; i++) { /* start[b] moves to the end of bucket b */
		run->order[start[bucket_of(run->slots[i].hash)]++] = (uint32_t)i;
	}
	for (size_t b = 0, from = 0; b < BUCKETS; from = start[b++]) {
		for (size_t i = from + 1; i < start[b]; i++) {
			uint32_t v = run->order[i];
			size_t k = i;
			for (; k > from && hash_cmp(run, run->order[k - 1], v) > 0; k--) {
				run->order[k] = run->order[k - 1];
			}
			run->order[k] = v;
		}
	}
	free(start);
	return TLD_OK;
}

int sign_match_previous(struct sign_run *run)
{
	free(run->match);
	run->match = NULL;
	if (run->prev == NULL) {
		return TLD_OK;
	}
	run->match = calloc(run->nslots ? run->nslots : 1, sizeof(*run->match));
	if (run->match == NULL) {
		return TLD_ENOMEM;
	}
	const struct signer_sigfile_entry *e = run->prev->entries;
	size_t ne = (size_t)run->prev->hdr->nentries, k = 0;
	for (size_t i = 0; i < run->nslots; i++) {
		const uint8_t *h = run->slots[run->order[i]].hash;
		int c = -1;
		while (k < ne && (c = memcmp(e[k].hash, h, SIGNER_SIGFILE_HASH)) < 0) {
			k++;
		}
		if (k < ne && c == 0) {
			run->match[run->order[i]] = &e[k]; /* k stays: slots of one hash share the entry */
		}
	}
	return TLD_OK;
}
