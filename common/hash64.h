/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A fast 64-bit hash of a byte string for in-memory hash tables (zonegen's
 * name table, the signer's patch name sets): eight bytes at a time, then
 * the 64-bit finaliser of MurmurHash3; tables take their slot and tag from
 * the upper half.  Not cryptographic: a table whose keys an outsider picks
 * (registrants pick names) passes a random seed, so which keys share a
 * bucket cannot be known ahead.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t tld_hash64(uint64_t seed, const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	/* the last 0-7 bytes in the order memcpy() puts them (little-endian),
	 * without a copy of variable length */
	size_t r = len - i;
	uint64_t w = 0;
	if (r >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s + i, 4);
		memcpy(&hi, s + i + r - 4, 4);
		w = lo | (uint64_t)hi << (8 * (r - 4));
	} else if (r > 0) {
		w = (uint64_t)s[i] | (uint64_t)s[i + r / 2] << (8 * (r / 2)) | (uint64_t)s[i + r - 1] << (8 * (r - 1));
	}
	h ^= w;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}
