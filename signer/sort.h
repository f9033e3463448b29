/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * In-place sort with a context argument: introsort (quicksort with a
 * median-of-three pivot, heapsort below a depth limit, insertion sort for
 * short runs).  Unlike qsort() it needs no comparator in a file-level
 * variable (so concurrent sorts are safe) and no scratch copy of the array
 * (glibc's qsort allocates one as large as the input).  Not stable.
 */
#pragma once

#include <stddef.h>

/*! Compares two elements: <0, 0, >0. */
typedef int (*signer_cmp_fn)(const void *a, const void *b, void *ctx);

/*!
 * \brief Sorts n elements of size bytes (size at most 256) in place.
 * \param[in] ctx  passed to cmp
 */
void signer_sort(void *base, size_t n, size_t size, signer_cmp_fn cmp, void *ctx);

/*!
 * \brief signer_sort() on up to threads threads: a range of 64Ki elements
 *        or more is split around the median of a sample (one partition
 *        pass), and the two sides are sorted at the same time, recursively
 *        while threads remain.  cmp must be safe to call concurrently (it
 *        only reads).  Input already in order costs one pass of n - 1
 *        comparisons and is left as it is.  Elements that compare equal may end up in another
 *        order than signer_sort() leaves them (neither is stable); with a
 *        total order the result is the same.
 */
void signer_sort_parallel(void *base, size_t n, size_t size, signer_cmp_fn cmp, void *ctx, unsigned threads);
