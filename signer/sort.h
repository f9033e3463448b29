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
