/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The patch run's name sets (signer/patch_internal.h, patch_names.c): names
 * added once, found, not found when absent (a prefix, a longer name, one
 * byte off, one length off); the slot of a name its copy, of an absent one
 * an empty slot; the set grown many times with every name still found and
 * the absent ones not; the copy patch_names_intern() gives, stable as the
 * set grows; the lengths refused (0, above 255); the empty set.
 * Checked against a plain list (the tag kept per slot must never hide a
 * name, nor let a different name match).  The merge walk over hash-sorted
 * arrays (patch_hash_seek()) against the binary search, with its ends and
 * hashes sought out of order.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/patch_internal.h"
#include "tests/tap/tap.h"

/* A wire name <label>.test. of label "n<i>" padded with 'x' to width (1..63). */
static size_t make_name(unsigned i, unsigned width, uint8_t *w)
{
	char label[64];
	int n = snprintf(label, sizeof(label), "n%u", i);
	while ((unsigned)n < width && n < 63) {
		label[n++] = 'x';
	}
	w[0] = (uint8_t)n;
	memcpy(w + 1, label, (size_t)n);
	memcpy(w + 1 + n, "\4test\0", 6);
	return (size_t)n + 7;
}

static void test_small(void)
{
	struct patch_names s = { 0 };
	uint8_t a[64], b[64];
	size_t al = make_name(1, 1, a);
	ok(!patch_names_has(&s, a, al), "empty set: nothing found");
	ok(patch_names_add(&s, a, al) == TLD_OK && s.count == 1 && patch_names_has(&s, a, al), "a name added and found");
	ok(patch_names_add(&s, a, al) == TLD_OK && s.count == 1, "the same name again: still one");
	size_t slot = patch_names_slot(&s, a, al);
	ok(s.slot[slot] != NULL && s.slot[slot][0] == al && memcmp(s.slot[slot] + 1, a, al) == 0 && s.tag[slot] != 0,
	   "its slot holds its copy (length first) and a tag");
	memcpy(b, a, al);
	b[1] = 'm';
	ok(!patch_names_has(&s, b, al), "one byte off: not found");
	ok(!patch_names_has(&s, a, al - 1) && !patch_names_has(&s, a + 1 + a[0], al - 1 - a[0]),
	   "a shorter name, the parent: not found");
	size_t slot_b = patch_names_slot(&s, b, al);
	ok(s.slot[slot_b] == NULL && s.tag[slot_b] == 0, "an absent name's slot: empty");
	ok(patch_names_add(&s, a, 0) == TLD_EINVAL && patch_names_add(&s, a, 256) == TLD_EINVAL && s.count == 1,
	   "lengths 0 and 256 refused");
	ok(!patch_names_has(&s, a, 256), "a length above 255 is never found");
	uint8_t longest[255];
	memset(longest, 0, sizeof(longest));
	for (size_t at = 0; at + 64 <= 254; at += 64) { /* 3 labels of 63, one of 61, the root */
		longest[at] = 63;
		memset(longest + at + 1, 'q', 63);
	}
	longest[192] = 61;
	memset(longest + 193, 'q', 61);
	longest[254] = 0;
	ok(patch_names_add(&s, longest, 255) == TLD_OK && patch_names_has(&s, longest, 255) &&
	   !patch_names_has(&s, longest, 254),
	   "a name of 255 bytes added and found, its first 254 bytes not");
	patch_names_free(&s);
	ok(s.slot == NULL && s.tag == NULL && s.count == 0 && !patch_names_has(&s, a, al), "freed: empty again");
}

/* Many names of few lengths (every tag compared often), the set grown from 1024 slots to 2^17. */
static void test_many(void)
{
	enum { N = 40000 };
	struct patch_names s = { 0 };
	uint8_t w[64];
	bool good = true;
	for (unsigned i = 0; i < N && good; i += 2) {
		size_t l = make_name(i, 1 + i % 7, w);
		good = patch_names_add(&s, w, l) == TLD_OK;
	}
	ok(good && s.count == N / 2 && s.mask + 1 >= N, "%u names added (%zu slots)", N / 2, s.mask + 1);
	size_t found = 0, absent_found = 0, bad_slots = 0;
	for (unsigned i = 0; i < N; i++) {
		size_t l = make_name(i, 1 + i % 7, w);
		bool has = patch_names_has(&s, w, l);
		if (i % 2 == 0) {
			found += has;
			size_t at = patch_names_slot(&s, w, l);
			bad_slots += s.slot[at] == NULL || s.slot[at][0] != l || memcmp(s.slot[at] + 1, w, l) != 0;
		} else {
			absent_found += has;
		}
		l = make_name(i, 9, w); /* an odd number's label padded otherwise: never added either */
		absent_found += i % 2 == 1 && patch_names_has(&s, w, l);
	}
	ok(found == N / 2 && bad_slots == 0, "every name added found in its slot (%zu, %zu wrong)", found, bad_slots);
	ok(absent_found == 0, "no absent name found (%zu)", absent_found);
	size_t tagged = 0, filled = 0;
	for (size_t i = 0; i <= s.mask; i++) {
		filled += s.slot[i] != NULL;
		tagged += (s.slot[i] != NULL) == (s.tag[i] != 0);
	}
	ok(filled == N / 2 && tagged == s.mask + 1, "a tag exactly where a name is, after growing");
	/* adding them all again: no new entries */
	for (unsigned i = 0; i < N && good; i += 2) {
		size_t l = make_name(i, 1 + i % 7, w);
		good = patch_names_add(&s, w, l) == TLD_OK;
	}
	ok(good && s.count == N / 2, "the names added again: still %u", N / 2);
	patch_names_free(&s);
}

/* The copy patch_names_intern() gives: the name, the same one again, where it was as the set grows. */
static void test_intern(void)
{
	struct patch_names s = { 0 };
	uint8_t w[64];
	size_t l = make_name(7, 3, w);
	const uint8_t *first = NULL, *again = NULL, *after = NULL;
	ok(patch_names_intern(&s, w, l, &first) == TLD_OK && first != NULL && first != w && first[-1] == l &&
	   memcmp(first, w, l) == 0, "interned: the set's copy of the name, its length before it");
	ok(patch_names_intern(&s, w, l, &again) == TLD_OK && again == first && s.count == 1,
	   "interned again: the same copy, one name");
	bool good = true;
	for (unsigned i = 100; i < 5100 && good; i++) { /* grown from 1024 slots to 16384 */
		uint8_t x[64];
		size_t xl = make_name(i, 4, x);
		good = patch_names_add(&s, x, xl) == TLD_OK;
	}
	ok(good && s.mask + 1 >= 10000 && patch_names_intern(&s, w, l, &after) == TLD_OK && after == first &&
	   memcmp(first, w, l) == 0, "the copy stays where it was as the set grows");
	ok(patch_names_intern(&s, w, 0, &after) == TLD_EINVAL, "interning length 0 refused");
	patch_names_free(&s);
}

/* An element of a hash-sorted array: the hash first (as patch_link, the chain items). */
struct hashed {
	uint8_t hash[SIGNER_NSEC3_HASH_LEN];
	uint32_t value;
};

static void make_hash(unsigned i, uint8_t *h)
{
	memset(h, 0, SIGNER_NSEC3_HASH_LEN);
	h[0] = (uint8_t)(i >> 16); /* ascending in i; the other bytes vary */
	h[1] = (uint8_t)(i >> 8);
	h[2] = (uint8_t)i;
	h[19] = (uint8_t)(i * 37);
}

/* patch_hash_seek() against patch_hash_find(): walks dense and sparse, absent hashes, ends, out of order. */
static void test_seek(void)
{
	enum { N = 3000 };
	static struct hashed v[N];
	for (unsigned i = 0; i < N; i++) {
		make_hash(2 * i + 1, v[i].hash); /* odd numbers present, even ones absent */
		v[i].value = i;
	}
	size_t wrong = 0;
	for (unsigned stride = 1; stride <= 700; stride = stride * 3 + 1) { /* 1, 4, 13, 40, 121, 364 */
		size_t cursor = 0;
		for (unsigned x = 0; x < 2 * N + 2; x += stride) {
			uint8_t h[SIGNER_NSEC3_HASH_LEN];
			make_hash(x, h);
			size_t got = patch_hash_seek(v, N, sizeof(v[0]), &cursor, h);
			size_t want = patch_hash_find(v, N, sizeof(v[0]), h);
			wrong += got != want || cursor != patch_hash_lower(v, N, sizeof(v[0]), h);
		}
	}
	ok(wrong == 0, "seek: walks of strides 1 to 364 over present and absent hashes as the search finds (%zu wrong)",
	   wrong);
	uint8_t first[SIGNER_NSEC3_HASH_LEN], last[SIGNER_NSEC3_HASH_LEN], before[SIGNER_NSEC3_HASH_LEN],
	        after[SIGNER_NSEC3_HASH_LEN];
	make_hash(1, first);
	make_hash(2 * N - 1, last);
	make_hash(0, before);
	make_hash(2 * N + 5, after);
	size_t c = 0;
	ok(patch_hash_seek(v, N, sizeof(v[0]), &c, before) == SIZE_MAX && c == 0 &&
	   patch_hash_seek(v, N, sizeof(v[0]), &c, first) == 0 && c == 0,
	   "seek: before the first element not found, then the first found");
	ok(patch_hash_seek(v, N, sizeof(v[0]), &c, last) == N - 1 && c == N - 1 &&
	   patch_hash_seek(v, N, sizeof(v[0]), &c, last) == N - 1, "seek: the last element, and again");
	ok(patch_hash_seek(v, N, sizeof(v[0]), &c, after) == SIZE_MAX && c == N &&
	   patch_hash_seek(v, N, sizeof(v[0]), &c, after) == SIZE_MAX && c == N,
	   "seek: past the last element: not found, the cursor at the end");
	c = N / 2;
	ok(patch_hash_seek(v, N, sizeof(v[0]), &c, first) == SIZE_MAX,
	   "seek: a hash before the cursor's place (out of order) is not found");
	c = N / 2;
	ok(patch_hash_seek(v, N, sizeof(v[0]), &c, v[N / 2 - 1].hash) == SIZE_MAX,
	   "seek: the element just before the cursor is not found either");
	c = N + 7;
	ok(patch_hash_seek(v, N, sizeof(v[0]), &c, last) == SIZE_MAX, "seek: a cursor beyond the end finds nothing");
	c = 0;
	ok(patch_hash_seek(v, 0, sizeof(v[0]), &c, first) == SIZE_MAX && c == 0, "seek: an empty array");
}

int main(void)
{
	plan_lazy();
	test_small();
	test_many();
	test_intern();
	test_seek();
	return exit_status();
}
