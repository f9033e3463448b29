/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Eight bytes at a time in a uint64_t (read with memcpy()): per-byte tests
 * whose result is the high bit of each byte, for the CSV reader's plain
 * lines and the name check.
 */
#pragma once

#include <stdint.h>

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
