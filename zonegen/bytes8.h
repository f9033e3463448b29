/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Eight bytes at a time in a uint64_t (read with memcpy()): per-byte tests
 * whose result is the high bit of each byte, for the CSV reader's plain
 * lines and the name check; and the equality of two short texts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BYTES8_ONES 0x0101010101010101ULL
#define BYTES8_HIGHS 0x8080808080808080ULL

/*! The high bit of each byte of v that is 0; exact for the lowest such
 *  byte only (a borrow may mark bytes above it). */
static inline uint64_t bytes8_zero(uint64_t v)
{
	return (v - BYTES8_ONES) & ~v & BYTES8_HIGHS;
}

/*! The high bit of each byte b of x with b >= c, given x_high = x | BYTES8_HIGHS;
 *  exact for the bytes b < 0x80 ((0x80 | b) - c cannot borrow), meaningless
 *  for the others (mask them with ~x & BYTES8_HIGHS). */
static inline uint64_t bytes8_at_least(uint64_t x_high, unsigned char c)
{
	return (x_high - BYTES8_ONES * c) & BYTES8_HIGHS;
}

/*! The same for lo <= b <= hi (hi < 0x7f). */
static inline uint64_t bytes8_between(uint64_t x_high, unsigned char lo, unsigned char hi)
{
	return bytes8_at_least(x_high, lo) & ~bytes8_at_least(x_high, (unsigned char)(hi + 1));
}

/*! Whether a[0 .. len) equals b[0 .. len): memcmp() == 0 without a call, for
 *  the short texts of names and fields (eight bytes at a time, the last
 *  word overlapping the one before; reads no byte outside either range). */
static inline bool bytes8_equal(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	if (len >= 8) {
		uint64_t u, v;
		for (size_t i = 0; i + 8 < len; i += 8) {
			memcpy(&u, x + i, 8);
			memcpy(&v, y + i, 8);
			if (u != v) {
				return false;
			}
		}
		memcpy(&u, x + len - 8, 8);
		memcpy(&v, y + len - 8, 8);
		return u == v;
	}
	if (len >= 4) {
		uint32_t u1, v1, u2, v2;
		memcpy(&u1, x, 4);
		memcpy(&v1, y, 4);
		memcpy(&u2, x + len - 4, 4);
		memcpy(&v2, y + len - 4, 4);
		return u1 == v1 && u2 == v2;
	}
	for (size_t i = 0; i < len; i++) {
		if (x[i] != y[i]) {
			return false;
		}
	}
	return true;
}
