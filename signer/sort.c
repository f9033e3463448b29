/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/sort.h"

#include <stdint.h>
#include <string.h>

#define INSERTION_MAX 16

struct sorter {
	uint8_t *base;
	size_t size;
	signer_cmp_fn cmp;
	void *ctx;
};

/* -- internal API -- */

static inline uint8_t *at(const struct sorter *s, size_t i)
{
	return s->base + i * s->size;
}

static inline void swap(const struct sorter *s, size_t i, size_t j)
{
	uint8_t tmp[256];
	if (i == j) {
		return;
	}
	memcpy(tmp, at(s, i), s->size);
	memcpy(at(s, i), at(s, j), s->size);
	memcpy(at(s, j), tmp, s->size);
}

static inline int cmp(const struct sorter *s, size_t i, size_t j)
{
	return s->cmp(at(s, i), at(s, j), s->ctx);
}

static void insertion(const struct sorter *s, size_t lo, size_t hi)
{
	uint8_t tmp[256];
	for (size_t i = lo + 1; i < hi; i++) {
		if (cmp(s, i - 1, i) <= 0) {
			continue;
		}
		memcpy(tmp, at(s, i), s->size);
		size_t j = i;
		while (j > lo && s->cmp(at(s, j - 1), tmp, s->ctx) > 0) {
			j--;
		}
		memmove(at(s, j + 1), at(s, j), (i - j) * s->size);
		memcpy(at(s, j), tmp, s->size);
	}
}

static void sift_down(const struct sorter *s, size_t lo, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n) {
			return;
		}
		if (child + 1 < n && cmp(s, lo + child, lo + child + 1) < 0) {
			child++;
		}
		if (cmp(s, lo + root, lo + child) >= 0) {
			return;
		}
		swap(s, lo + root, lo + child);
		root = child;
	}
}

static void heapsort_range(const struct sorter *s, size_t lo, size_t hi)
{
	size_t n = hi - lo;
	for (size_t i = n / 2; i-- > 0;) {
		sift_down(s, lo, i, n);
	}
	for (size_t end = n; end-- > 1;) {
		swap(s, lo, lo + end);
		sift_down(s, lo, 0, end);
	}
}

static void intro(const struct sorter *s, size_t lo, size_t hi, unsigned depth)
{
	while (hi - lo > INSERTION_MAX) {
		if (depth-- == 0) {
			heapsort_range(s, lo, hi);
			return;
		}
		/* median of three to lo, then Hoare partition around it */
		size_t mid = lo + (hi - lo) / 2, last = hi - 1;
		if (cmp(s, mid, lo) < 0) {
			swap(s, mid, lo);
		}
		if (cmp(s, last, lo) < 0) {
			swap(s, last, lo);
		}
		if (cmp(s, last, mid) < 0) {
			swap(s, last, mid);
		}
		swap(s, lo, mid); /* pivot (the median) at lo */
		size_t i = lo, j = hi;
		for (;;) {
			do {
				i++;
			} while (i < hi && cmp(s, i, lo) < 0);
			do {
				j--;
			} while (cmp(s, j, lo) > 0);
			if (i >= j) {
				break;
			}
			swap(s, i, j);
		}
		swap(s, lo, j);
		/* recurse into the smaller side, loop on the larger */
		if (j - lo < hi - j - 1) {
			intro(s, lo, j, depth);
			lo = j + 1;
		} else {
			intro(s, j + 1, hi, depth);
			hi = j;
		}
	}
	insertion(s, lo, hi);
}

/* -- public API -- */

void signer_sort(void *base, size_t n, size_t size, signer_cmp_fn cmp_fn, void *ctx)
{
	if (n < 2 || size == 0 || size > 256) {
		return;
	}
	struct sorter s = { base, size, cmp_fn, ctx };
	unsigned depth = 0;
	for (size_t m = n; m > 0; m >>= 1) {
		depth += 2;
	}
	intro(&s, 0, n, depth);
}
