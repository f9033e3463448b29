/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Linear-time sorts of the zone builder.  Every comparison used with them is
 * a total order (ties end on the source line), so the result is exactly that
 * of a comparison sort, whatever the input order.
 */
#include <stdint.h>
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
/* Items ahead of the runs sorted whose data is fetched (touch). */
#define TOUCH_AHEAD 32
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

/* Items out of their group's place (rows added at the end of a sorted file,
 * hosts.csv's hosts that nameservers.csv does not name, listed among the
 * others) up to this part of all: taken out, sorted and merged back in. */
#define FEW_OUT_PART 8
/* Runs ahead that a run's key must not pass to stay in place. */
#define LOOKAHEAD_RUNS 4

/* The end of the run of items with the key of base[i]. */
static size_t run_end(const unsigned char *base, size_t i, size_t count, size_t size,
                      size_t key_off)
{
	uint32_t k = key_at(base, i, size, key_off);
	size_t j = i + 1;
	while (j < count && key_at(base, j, size, key_off) == k) {
		j++;
	}
	return j;
}

/* Whether the run base[i .. j) stays in place after the runs kept so far
 * (their last key last, if have_last): its key not below last, nor above
 * any of the next LOOKAHEAD_RUNS runs' keys that are not below last.  Any
 * choice keeps the result exact (the runs kept are in key order, the
 * others sorted and merged in); this one takes out what a few added items
 * look like. */
static bool run_stays(const unsigned char *base, size_t i, size_t j, size_t count, size_t size,
                      size_t key_off, uint32_t last, bool have_last)
{
	uint32_t k = key_at(base, i, size, key_off);
	if (have_last && k < last) {
		return false;
	}
	size_t at = j;
	for (unsigned w = 0; w < LOOKAHEAD_RUNS && at < count;) {
		uint32_t nk = key_at(base, at, size, key_off);
		if (!have_last || nk >= last) {
			if (nk < k) {
				return false;
			}
			w++;
		}
		at = run_end(base, at, count, size, key_off);
	}
	return true;
}

/* The items run_stays() takes out of base[0 .. count): their number, or
 * SIZE_MAX once more than max. */
static size_t count_out(const unsigned char *base, size_t count, size_t size, size_t key_off,
                        size_t max)
{
	size_t out = 0;
	uint32_t last = 0;
	bool have_last = false;
	for (size_t i = 0; i < count && out <= max;) {
		size_t j = run_end(base, i, count, size, key_off);
		if (run_stays(base, i, j, count, size, key_off, last, have_last)) {
			last = key_at(base, i, size, key_off);
			have_last = true;
		} else {
			out += j - i;
		}
		i = j;
	}
	return out <= max ? out : SIZE_MAX;
}

/*
 * base[0 .. count) with n items (count_out()) out of their group's place:
 * those taken out into a buffer (the others moved up, in order), the groups
 * kept sorted by cmp, the buffer sorted by cmp, then the two merged from
 * the end.  cmp orders by the key first and is a total order, so each part
 * is sorted by cmp and their merge is the one order of all the items by
 * cmp: that of the counting sort by key with each group sorted, without
 * its arrays over the whole key range and the items.
 */
static int sort_merging_out(unsigned char *base, size_t count, size_t n, size_t size,
                            size_t key_off, int (*cmp)(const void *, const void *))
{
	unsigned char *out = malloc(n * size);
	if (out == NULL) {
		return TLD_ENOMEM;
	}
	/* the same choices as count_out(): a run is judged before anything at
	 * or after it moves (the kept ones move down to w <= i) */
	size_t w = 0, o = 0;
	uint32_t last = 0;
	bool have_last = false;
	for (size_t i = 0; i < count;) {
		size_t j = run_end(base, i, count, size, key_off);
		if (run_stays(base, i, j, count, size, key_off, last, have_last)) {
			last = key_at(base, i, size, key_off);
			have_last = true;
			if (w != i) {
				memmove(base + w * size, base + i * size, (j - i) * size);
			}
			w += j - i;
		} else {
			memcpy(out + o * size, base + i * size, (j - i) * size);
			o += j - i;
		}
		i = j;
	}
	sort_runs(base, w, size, key_off, cmp);
	qsort(out, o, size, cmp);
	size_t i = w, j = o, k = count;
	while (j > 0) {
		k--;
		if (i > 0 && cmp(base + (i - 1) * size, out + (j - 1) * size) > 0) {
			i--;
			memcpy(base + k * size, base + i * size, size);
		} else {
			j--;
			memcpy(base + k * size, out + j * size, size);
		}
	}
	free(out);
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
	/* not grouped: at least one item out of place */
	size_t moved = head < count ? count_out(base, count, size, key_off, count / FEW_OUT_PART)
	                            : SIZE_MAX;
	if (moved > 0 && moved != SIZE_MAX) {
		return sort_merging_out(base, count, moved, size, key_off, cmp);
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
                     int (*cmp)(const void *, const void *),
                     void (*touch)(const struct zg_prefixed *, int stage))
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
	/* every page of tmp is written by the first pass, in no order, so no
	 * write order to run ahead of: the whole table made present before it,
	 * chunk by chunk (common/prefault.h), which measured cheaper here than
	 * taking its faults scattered through the pass */
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
	/* equal prefixes: the full comparison decides (what it reads of the
	 * items of such runs fetched TOUCH_AHEAD items before) */
	size_t run = 0;
	for (size_t i = 1; i <= count; i++) {
		for (int stage = 0; stage < 2 && touch != NULL; stage++) {
			size_t a = i + (TOUCH_AHEAD >> stage);
			if (a < count && items[a].prefix == items[a - 1].prefix) {
				touch(&items[a - 1], stage);
				touch(&items[a], stage);
			}
		}
		if (i == count || items[i].prefix != items[run].prefix) {
			sort_run((unsigned char *)(items + run), i - run, sizeof(*items), cmp);
			run = i;
		}
	}
	return TLD_OK;
}
