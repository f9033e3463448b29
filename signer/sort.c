/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/sort.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INSERTION_MAX 16
/* Parallel sort: ranges below this are sorted by one thread; the pivot is the median of SAMPLE elements. */
#define PARALLEL_MIN 65536
#define SAMPLE 31

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

static unsigned depth_of(size_t n)
{
	unsigned depth = 0;
	for (size_t m = n; m > 0; m >>= 1) {
		depth += 2;
	}
	return depth;
}

/*
 * Splits [lo, hi) around the median of SAMPLE evenly spaced elements (copied
 * out, so the pivot is a value): afterwards [lo, *mid) <= pivot <= [*mid, hi),
 * both sides non-empty for any n >= 2 * SAMPLE.  Returns false when the split is
 * too lopsided to be worth a thread (then nothing needs undoing: a partition
 * keeps the elements, only their order changed).
 */
static bool split(const struct sorter *s, size_t lo, size_t hi, size_t *mid)
{
	uint8_t sample[SAMPLE * 256], tmp[256], pivot[256];
	size_t n = hi - lo;
	for (size_t k = 0; k < SAMPLE; k++) {
		memcpy(sample + k * s->size, at(s, lo + (n - 1) * k / (SAMPLE - 1)), s->size);
	}
	for (size_t i = 1; i < SAMPLE; i++) { /* insertion sort of the sample */
		memcpy(tmp, sample + i * s->size, s->size);
		size_t j = i;
		while (j > 0 && s->cmp(sample + (j - 1) * s->size, tmp, s->ctx) > 0) {
			memcpy(sample + j * s->size, sample + (j - 1) * s->size, s->size);
			j--;
		}
		memcpy(sample + j * s->size, tmp, s->size);
	}
	memcpy(pivot, sample + (SAMPLE / 2) * s->size, s->size);
	/* Hoare partition against the pivot value (it is in the range, so both scans stop) */
	size_t i = lo, j = hi;
	for (;;) {
		while (i < hi && s->cmp(at(s, i), pivot, s->ctx) < 0) {
			i++;
		}
		while (j > lo && s->cmp(at(s, j - 1), pivot, s->ctx) > 0) {
			j--;
		}
		if (i + 1 >= j) {
			break;
		}
		swap(s, i, j - 1);
		i++;
		j--;
	}
	/* [lo, i) <= pivot, [j, hi) >= pivot, and [i, j) (at most one element) equal to it */
	*mid = i;
	return i - lo >= n / 8 && hi - i >= n / 8;
}

struct par_job {
	struct sorter s;
	size_t lo, hi;
	unsigned threads;
};

static void par_sort(struct par_job *job);

static void *par_thread(void *arg)
{
	par_sort(arg);
	return NULL;
}

static void par_sort(struct par_job *job)
{
	size_t lo = job->lo, hi = job->hi, mid = 0;
	if (job->threads < 2 || hi - lo < PARALLEL_MIN || !split(&job->s, lo, hi, &mid)) {
		if (hi - lo >= 2) {
			intro(&job->s, lo, hi, depth_of(hi - lo));
		}
		return;
	}
	unsigned left_threads = job->threads / 2;
	struct par_job left = { job->s, lo, mid, left_threads };
	struct par_job right = { job->s, mid, hi, job->threads - left_threads };
	pthread_t tid;
	if (pthread_create(&tid, NULL, par_thread, &left) != 0) {
		left.threads = right.threads = 1;
		par_sort(&left);
		par_sort(&right);
		return;
	}
	par_sort(&right);
	pthread_join(tid, NULL);
}

/*
 * Whether [0, n) is already in order: one pass, stopping at the first pair
 * out of order.  A zone file written in canonical order (zonegen's) then
 * costs n - 1 comparisons instead of a sort.
 */
static bool in_order(const struct sorter *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (cmp(s, i - 1, i) > 0) {
			return false;
		}
	}
	return true;
}

/* -- public API -- */

void signer_sort(void *base, size_t n, size_t size, signer_cmp_fn cmp_fn, void *ctx)
{
	if (n < 2 || size == 0 || size > 256) {
		return;
	}
	struct sorter s = { base, size, cmp_fn, ctx };
	intro(&s, 0, n, depth_of(n));
}

void signer_sort_parallel(void *base, size_t n, size_t size, signer_cmp_fn cmp_fn, void *ctx, unsigned threads)
{
	if (n < 2 || size == 0 || size > 256) {
		return;
	}
	struct par_job job = { { base, size, cmp_fn, ctx }, 0, n, threads == 0 ? 1 : threads };
	if (in_order(&job.s, n)) {
		return;
	}
	par_sort(&job);
}
