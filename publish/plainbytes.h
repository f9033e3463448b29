/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bytes that end the plain form of a zone line ("owner TTL IN TYPE rdata"
 * in printable ASCII): quotes, comments, parentheses, escapes and DEL, 16 at
 * a time (publish/zoneparse.c reads lines by them, publish/zonedelta.c
 * checks the lines it does not read).
 */
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>

/*! 0xff in each byte of v that is '"', ';', '(', ')', '\\' or DEL. */
static inline __m128i tld_plain_stops16(__m128i v)
{
	__m128i m = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(';')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('(')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(')')));
	return _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
}
#endif
