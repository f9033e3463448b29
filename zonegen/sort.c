/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Linear-time sorts of the zone builder.  Every comparison used with them is
 * a total order (ties end on the source line), so the result is exactly that
 * of a comparison sort, whatever the input order.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/prefault.h"
#include "zonegen/zg_internal.h"

/* Groups up to this size are sorted by insertion; larger ones by qsort. */
#define SMALL_GROUP 16

/* -- internal API -- */

static inline uint32_t key_at(const unsigned char *base, size_t i, size_t size, size_t off)
{
	uint32_t k;
	memcpy(&k, base + i * size + off, sizeof(k));
	return k;
}

/* Insertion sort of a small run (elements up to ZG_SORT_MAX_ELEM bytes). */
static void insertion_sort(unsigned char *base, size_t n, size_t size,
                           int (*cmp)(const void *, const void *))
{
	unsigned char tmp[ZG_SORT_MAX_ELEM];
	for (size_t i = 1; i < n; i++) {
		if (cmp(base + (i - 1) * size, base + i * size) <= 0) {
			continue;
		}
		memcpy(tmp, base + i * size, size);
		size_t j = i;
		while (j > 0 && cmp(base + (j - 1) * size, tmp) > 0) {
			j--;
		}
		memmove(base + (j + 1) * size, base + j * size, (i - j) * size);
		memcpy(base + j * size, tmp, size);
	}
}

static void sort_run(unsigned char *base, size_t n, size_t size,
                     int (*cmp)(const void *, const void *))
{
	if (n <= 1) {
		return;
	}
	if (n <= SMALL_GROUP) {
		insertion_sort(base, n, size, cmp);
	} else {
		qsort(base, n, size, cmp);
	}
}

/*
 * LSD radix sort of src[0..n) on bytes [0, bytes) of the prefix, one byte a
 * pass (a pass in which every key has the same byte is skipped), through
 * dst; hist has room for bytes * 256 counts.  Returns where the sorted items
 * are: src or dst.
 */
static struct zg_prefixed *lsd_sort(struct zg_prefixed *src, struct zg_prefixed *dst, size_t n,
                                    unsigned bytes, size_t *hist)
{
	memset(hist, 0, bytes * 256 * sizeof(*hist));
	for (size_t i = 0; i < n; i++) {
		uint64_t p = src[i].prefix;
		for (unsigned b = 0; b < bytes; b++) {
			hist[b * 256 + ((p >> (8 * b)) & 0xff)]++;
		}
	}
	for (unsigned b = 0; b < bytes; b++) {
		size_t *h = hist + b * 256;
		if (h[(src[0].prefix >> (8 * b)) & 0xff] == n) {
			continue;
		}
		size_t pos = 0;
		for (unsigned v = 0; v < 256; v++) {
			size_t c = h[v];
			h[v] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++) {
			dst[h[(src[i].prefix >> (8 * b)) & 0xff]++] = src[i];
		}
		struct zg_prefixed *t = src;
		src = dst;
		dst = t;
	}
	return src;
}

/* Above this many items the top 16 bits go first (see zg_sort_prefixed()). */
#define MSD_MIN 8192
#define MSD_BUCKETS 65536

/* Sorts the groups of base[0 .. count) by cmp (their keys in order). */
static void sort_runs(unsigned char *base, size_t count, size_t size, size_t key_off,
                      int (*cmp)(const void *, const void *))
{
	size_t run = 0;
	for (size_t i = 1; i <= count; i++) {
		if (i == count || key_at(base, i, size, key_off) != key_at(base, run, size, key_off)) {
			sort_run(base + run * size, i - run, size, cmp);
			run = i;
		}
	}
}

/* A grouped prefix followed by at most this part of the items (rows added
 * at the end of a sorted file): the tail is sorted and merged in. */
#define SHORT_TAIL_PART 8

/*
 * base[0 .. head) grouped, base[head .. count) not: the prefix's groups
 * sorted by cmp, the tail sorted by cmp, then the two merged from the end
 * through a copy of the tail.  cmp orders by the key first and is a total
 * order, so each part is sorted by cmp and their merge is the one order of
 * all the items by cmp: that of the counting sort by key with each group
 * sorted, without its arrays over the whole key range and the items.
 */
static int sort_merging_tail(unsigned char *base, size_t count, size_t head, size_t size,
                             size_t key_off, int (*cmp)(const void *, const void *))
{
	size_t n = count - head;
	unsigned char *tail = malloc(n * size);
	if (tail == NULL) {
		return TLD_ENOMEM;
	}
	sort_runs(base, head, size, key_off, cmp);
	qsort(base + head * size, n, size, cmp);
	memcpy(tail, base + head * size, n * size);
	size_t i = head, j = n, k = count;
	while (j > 0) {
		k--;
		if (i > 0 && cmp(base + (i - 1) * size, tail + (j - 1) * size) > 0) {
			i--;
			memcpy(base + k * size, base + i * size, size);
		} else {
			j--;
			memcpy(base + k * size, tail + j * size, size);
		}
	}
	free(tail);
	return TLD_OK;
}

/* -- public API -- */

int zg_sort_grouped(void *items, size_t count, size_t size, size_t key_off, size_t key_range,
                    int (*cmp)(const void *, const void *))
{
	unsigned char *base = items;
	if (count == 0) {
		return TLD_OK;
	}
	/* the grouped prefix: items[0 .. head) */
	size_t head = 1;
	while (head < count &&
	       key_at(base, head - 1, size, key_off) <= key_at(base, head, size, key_off)) {
		head++;
	}
	if (head < count && count - head <= count / SHORT_TAIL_PART) {
		return sort_merging_tail(base, count, head, size, key_off, cmp);
	}
	if (head < count) {
		/* stable counting sort by the key */
		uint32_t *start = calloc(key_range + 1, sizeof(*start));
		unsigned char *out = malloc(count * size);
		if (start == NULL || out == NULL) {
			free(start);
			free(out);
			return TLD_ENOMEM;
		}
		for (size_t i = 0; i < count; i++) {
			start[key_at(base, i, size, key_off) + 1]++;
		}
		for (size_t k = 1; k <= key_range; k++) {
			start[k] += start[k - 1];
		}
		for (size_t i = 0; i < count; i++) {
			memcpy(out + (size_t)start[key_at(base, i, size, key_off)]++ * size,
			       base + i * size, size);
		}
		memcpy(base, out, count * size);
		free(out);
		free(start);
	}
	sort_runs(base, count, size, key_off, cmp);
	return TLD_OK;
}

int zg_sort_prefixed(struct zg_prefixed *items, size_t count,
                     int (*cmp)(const void *, const void *))
{
	if (count == 0) {
		return TLD_OK;
	}
	struct zg_prefixed *tmp = malloc(count * sizeof(*tmp));
	size_t *hist = malloc(8 * 256 * sizeof(*hist));
	size_t *start = count >= MSD_MIN ? calloc(MSD_BUCKETS + 1, sizeof(*start)) : NULL;
	if (tmp == NULL || hist == NULL || (count >= MSD_MIN && start == NULL)) {
		free(tmp);
		free(hist);
		free(start);
		return TLD_ENOMEM;
	}
	/* every page of tmp is written by the first pass, in no order: made
	 * present first, a chunk at a time (common/prefault.h) */
	struct tld_prefault pf = { 0 };
	for (size_t at = 0; at < count * sizeof(*tmp); at += TLD_PREFAULT_CHUNK) {
		tld_prefault_ahead(&pf, tmp, count * sizeof(*tmp), 0, at + 1);
	}
	if (start == NULL) {
		struct zg_prefixed *sorted = lsd_sort(items, tmp, count, 8, hist);
		if (sorted != items) {
			memcpy(items, sorted, count * sizeof(*items));
		}
	} else {
		/* many items: one pass into buckets by the top 16 bits, then each
		 * bucket (small enough to stay in the cache) by the other 48 bits;
		 * the same order as the radix sort of all 64 bits at once */
		for (size_t i = 0; i < count; i++) {
			start[(items[i].prefix >> 48) + 1]++;
		}
		for (size_t k = 1; k <= MSD_BUCKETS; k++) {
			start[k] += start[k - 1];
		}
		for (size_t i = 0; i < count; i++) {
			tmp[start[items[i].prefix >> 48]++] = items[i];
		}
		/* start[k] is now where bucket k ends */
		for (size_t k = 0, from = 0; k < MSD_BUCKETS; from = start[k++]) {
			size_t n = start[k] - from;
			if (n == 0) {
				continue;
			}
			struct zg_prefixed *sorted = n == 1 ? tmp + from
			                                    : lsd_sort(tmp + from, items + from, n, 6, hist);
			if (sorted != items + from) {
				memcpy(items + from, sorted, n * sizeof(*items));
			}
		}
	}
	free(tmp);
	free(hist);
	free(start);
	/* equal prefixes: the full comparison decides */
	size_t run = 0;
	for (size_t i = 1; i <= count; i++) {
		if (i == count || items[i].prefix != items[run].prefix) {
			sort_run((unsigned char *)(items + run), i - run, sizeof(*items), cmp);
			run = i;
		}
	}
	return TLD_OK;
}
