/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the differential fuzz targets of zone versions (fuzz_verify_delta,
 * fuzz_publish_delta): a mutator that works on whole lines of a zone file
 * half of the time (delete a line, an RRset with its RRSIGs or a whole
 * owner; duplicate, move, swap lines; cross over a line of another input)
 * and leaves the other half to libFuzzer's byte mutations.  Versions made
 * from a signed zone by line operations keep valid signatures, so they reach
 * the whole-zone logic instead of failing at the first changed signature.
 * A target defines LLVMFuzzerCustomMutator/CustomCrossOver as calls of
 * fuzz_lines_mutate()/fuzz_lines_crossover().  fuzz_lines_mutate_ordered()
 * and fuzz_lines_crossover_ordered() keep the lines in their order
 * (deletions, one character of a line's last field changed within its
 * class or to its other case, two lines of one owner swapped, a line replaced by another
 * input's line of the same owner), for
 * code that refuses any other order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* The start and length of the k-th line (of n) of data; false when there is none. */
static inline bool line_at(const uint8_t *data, size_t size, size_t k, size_t *start, size_t *len)
{
	size_t i = 0, line = 0;
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl != NULL ? (size_t)(nl - data) + 1 : size;
		if (line++ == k) {
			*start = i;
			*len = end - i;
			return true;
		}
		i = end;
	}
	return false;
}

static inline size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < size; i++) {
		n += data[i] == '\n';
	}
	return n + (size > 0 && data[size - 1] != '\n');
}

/* Inserts len bytes at pos (the room is there: checked by the caller). */
static inline size_t insert(uint8_t *data, size_t size, size_t pos, const uint8_t *what, size_t len)
{
	memmove(data + pos + len, data + pos, size - pos);
	memcpy(data + pos, what, len);
	return size + len;
}

/* The n-th blank-separated field of a line (0 = owner). */
static inline bool field(const uint8_t *line, size_t len, unsigned n, const uint8_t **f, size_t *flen)
{
	size_t i = 0;
	for (unsigned k = 0;; k++) {
		while (i < len && (line[i] == ' ' || line[i] == '\t')) {
			i++;
		}
		size_t st = i;
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\n') {
			i++;
		}
		if (i == st) {
			return false;
		}
		if (k == n) {
			*f = line + st;
			*flen = i - st;
			return true;
		}
	}
}

static inline bool field_is(const uint8_t *line, size_t len, unsigned n, const uint8_t *want, size_t wlen)
{
	const uint8_t *f;
	size_t fl;
	return field(line, len, n, &f, &fl) && fl == wlen && memcmp(f, want, wlen) == 0;
}

/*
 * Deletes every line with line a's owner and, when rrset, with its type (an
 * RRSIG line: the type it covers) or an RRSIG covering it.
 */
static inline size_t delete_owner(uint8_t *data, size_t size, size_t a, size_t alen, bool rrset)
{
	uint8_t owner[256], type[32];
	const uint8_t *f;
	size_t olen, tlen;
	if (!field(data + a, alen, 0, &f, &olen) || olen > sizeof(owner)) {
		return size;
	}
	memcpy(owner, f, olen);
	if (!field(data + a, alen, 3, &f, &tlen) || tlen > sizeof(type)) {
		return size;
	}
	memcpy(type, f, tlen);
	if (tlen == 5 && memcmp(type, "RRSIG", 5) == 0) {
		if (!field(data + a, alen, 4, &f, &tlen) || tlen > sizeof(type)) {
			return size;
		}
		memcpy(type, f, tlen);
	}
	size_t out = 0, i = 0;
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl != NULL ? (size_t)(nl - data) + 1 : size, len = end - i;
		bool drop = field_is(data + i, len, 0, owner, olen) &&
		            (!rrset || field_is(data + i, len, 3, type, tlen) ||
		             (field_is(data + i, len, 3, (const uint8_t *)"RRSIG", 5) &&
		              field_is(data + i, len, 4, type, tlen)));
		if (!drop) {
			memmove(data + out, data + i, len);
			out += len;
		}
		i = end;
	}
	return out;
}

/* Line a (alen bytes) and the next line change places (only when they have one owner, if asked). */
static inline size_t swap_with_next(uint8_t *data, size_t size, size_t a, size_t alen, bool same_owner)
{
	uint8_t copy[4096];
	size_t c, clen, la, lc;
	const uint8_t *oa, *oc;
	if (a + alen >= size || alen > sizeof(copy) || !line_at(data + a + alen, size - a - alen, 0, &c, &clen)) {
		return size;
	}
	if (same_owner && (!field(data + a, alen, 0, &oa, &la) || !field(data + a + alen, clen, 0, &oc, &lc) ||
	                   la != lc || memcmp(oa, oc, la) != 0)) {
		return size;
	}
	memcpy(copy, data + a, alen);
	memmove(data + a, data + a + alen, clen);
	memcpy(data + a + clen, copy, alen);
	return size;
}

static inline size_t fuzz_lines_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	srand(seed);
	size_t n = count_lines(data, size);
	if (rand() % 2 == 0 || n < 2) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	size_t a, alen, b, blen;
	if (!line_at(data, size, (size_t)rand() % n, &a, &alen) ||
	    !line_at(data, size, (size_t)rand() % n, &b, &blen)) {
		return size;
	}
	uint8_t copy[4096];
	/* deletions twice as likely: they keep the canonical order that versions have */
	switch (rand() % 9) {
	case 6:
	case 4: /* delete line a's RRset with its RRSIGs */
		return delete_owner(data, size, a, alen, true);
	case 7:
	case 5: /* delete every line of line a's owner */
		return delete_owner(data, size, a, alen, false);
	case 8:
	case 0: /* delete line a */
		memmove(data + a, data + a + alen, size - a - alen);
		return size - alen;
	case 1: /* duplicate line a before line b */
		if (alen > sizeof(copy) || size + alen > max_size) {
			return size;
		}
		memcpy(copy, data + a, alen);
		return insert(data, size, b, copy, alen);
	case 2: /* move line a before line b */
		if (alen > sizeof(copy)) {
			return size;
		}
		memcpy(copy, data + a, alen);
		memmove(data + a, data + a + alen, size - a - alen);
		size -= alen;
		if (b > a) {
			b -= alen < b - a ? alen : b - a;
		}
		return insert(data, size, b, copy, alen);
	default: /* line a and the next one change places */
		return swap_with_next(data, size, a, alen, false);
	}
}

/* d1 with its line at a (alen bytes) replaced by src (slen bytes), into out; returns the size. */
static inline size_t replace_line_into(const uint8_t *d1, size_t s1, size_t a, size_t alen, const uint8_t *src,
                                       size_t slen, uint8_t *out)
{
	memcpy(out, d1, a);
	memcpy(out + a, src, slen);
	memcpy(out + a + slen, d1 + a + alen, s1 - a - alen);
	return s1 - alen + slen;
}

static inline size_t fuzz_lines_crossover(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                           uint8_t *out, size_t max_out, unsigned int seed)
{
	/* d1 with one line of d2 put in the place of one of its own */
	srand(seed);
	size_t n1 = count_lines(d1, s1), n2 = count_lines(d2, s2);
	size_t a, alen, b, blen;
	if (n1 == 0 || n2 == 0 || !line_at(d1, s1, (size_t)rand() % n1, &a, &alen) ||
	    !line_at(d2, s2, (size_t)rand() % n2, &b, &blen) || s1 - alen + blen > max_out) {
		return 0;
	}
	return replace_line_into(d1, s1, a, alen, d2 + b, blen, out);
}


/*
 * Order-keeping mutations: delete a line, an RRset with its RRSIGs or an
 * owner, or change one character of a line's last field (base64, hex or a
 * number) to another of its class; a tenth of the time libFuzzer's own.
 */
static inline size_t fuzz_lines_mutate_ordered(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	srand(seed);
	size_t n = count_lines(data, size);
	if (rand() % 10 == 0 || n < 2) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	size_t a, alen;
	if (!line_at(data, size, (size_t)rand() % n, &a, &alen)) {
		return size;
	}
	switch (rand() % 5) {
	case 4: /* line a and the next change places when they have one owner */
		return swap_with_next(data, size, a, alen, true);
	case 0:
		memmove(data + a, data + a + alen, size - a - alen);
		return size - alen;
	case 1:
		return delete_owner(data, size, a, alen, true);
	case 2:
		return delete_owner(data, size, a, alen, false);
	default: {
		size_t end = alen;
		while (end > 0 && (data[a + end - 1] == '\n' || data[a + end - 1] == '\r')) {
			end--;
		}
		size_t st = end;
		while (st > 0 && data[a + st - 1] != ' ' && data[a + st - 1] != '\t') {
			st--;
		}
		if (st == end) {
			return size;
		}
		uint8_t *c = data + a + st + (size_t)rand() % (end - st);
		static const char digits[] = "0123456789", upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
		                  lower[] = "abcdefghijklmnopqrstuvwxyz";
		if (((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')) && rand() % 3 == 0) {
			*c ^= 0x20; /* the other case: the same name in a name field */
		} else if (*c >= '0' && *c <= '9') {
			*c = (uint8_t)digits[rand() % 10];
		} else if (*c >= 'A' && *c <= 'Z') {
			*c = (uint8_t)upper[rand() % 26];
		} else if (*c >= 'a' && *c <= 'z') {
			*c = (uint8_t)lower[rand() % 26];
		}
		return size;
	}
	}
}

/* d1 with one of its lines replaced by a line of d2 with the same owner (0: none found). */
static inline size_t fuzz_lines_crossover_ordered(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                                  uint8_t *out, size_t max_out, unsigned int seed)
{
	srand(seed);
	size_t n1 = count_lines(d1, s1), n2 = count_lines(d2, s2);
	size_t a, alen, b, blen;
	const uint8_t *oa, *ob;
	size_t la, lb;
	if (n1 == 0 || n2 == 0 || !line_at(d1, s1, (size_t)rand() % n1, &a, &alen) ||
	    !field(d1 + a, alen, 0, &oa, &la)) {
		return 0;
	}
	for (size_t k = 0, start = (size_t)rand() % n2; k < n2; k++) {
		if (line_at(d2, s2, (start + k) % n2, &b, &blen) && field(d2 + b, blen, 0, &ob, &lb) &&
		    la == lb && memcmp(oa, ob, la) == 0 && s1 - alen + blen <= max_out) {
			return replace_line_into(d1, s1, a, alen, d2 + b, blen, out);
		}
	}
	return 0;
}
