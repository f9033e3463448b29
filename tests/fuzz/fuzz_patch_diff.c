/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer, differential: signer_text_diff() and signer_text_find_owner()
 * (signer/patch_diff.c) against the plain way (tests/unit/patch_diff_naive.h).
 * An input is both texts at once, as a unified diff writes them: a line
 * that begins with '-' is in the old text only, '+' in the new text only
 * (without that byte), any other line in both.  max_changes comes from the
 * input's size (a quarter of the sizes: 0 to 7, else no limit).  Whenever
 * the plain way accepts both texts, the diff must give exactly its changes
 * (TLD_ERANGE exactly when there are more than max_changes) and find_owner
 * every changed group; otherwise only TLD_EPARSE, TLD_ERANGE or TLD_OK, and
 * TLD_OK with no change only for identical texts; split in two halves
 * (signer_text_diff_at()) at 2 places of the new text, the same verdict,
 * reason and changes as one pass.  Anything else aborts.
 * The mutator works on lines half of the time: a line moved to one side,
 * a changed copy of a line (one byte of its last field), a line deleted,
 * a byte of an owner changed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_lines.h"
#include "tests/unit/patch_diff_naive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	srand(seed);
	size_t n = count_lines(data, size);
	if (rand() % 2 == 0 || n == 0) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	size_t a, alen;
	if (!line_at(data, size, (size_t)rand() % n, &a, &alen) || alen < 2) {
		return size;
	}
	uint8_t copy[4096];
	switch (rand() % 4) {
	case 0: /* in one text only, or in both */
		if (data[a] == '-' || data[a] == '+') {
			memmove(data + a, data + a + 1, size - a - 1);
			return size - 1;
		}
		if (size + 1 > max_size) {
			return size;
		}
		return insert(data, size, a, (const uint8_t *)(rand() % 2 ? "-" : "+"), 1);
	case 1: { /* "-line" then "+line" with one byte of its last field changed */
		if (alen + 1 > sizeof(copy) || size + alen + 2 > max_size || data[a] == '-' || data[a] == '+') {
			return size;
		}
		copy[0] = '+';
		memcpy(copy + 1, data + a, alen);
		size_t end = alen - (copy[alen] == '\n'), last = end;
		while (last > 1 && copy[last] != '\t') {
			last--;
		}
		if (end <= last) {
			return size;
		}
		copy[last + 1 + (size_t)rand() % (end - last)] ^= 1;
		size = insert(data, size, a + alen, copy, alen + 1);
		return insert(data, size, a, (const uint8_t *)"-", 1);
	}
	case 2: /* delete the line */
		memmove(data + a, data + a + alen, size - a - alen);
		return size - alen;
	default: { /* a byte of the owner field */
		static const char bytes[] = "ab0A.\\-\t";
		const uint8_t *tab = memchr(data + a, '\t', alen);
		size_t olen = tab != NULL ? (size_t)(tab - (data + a)) : alen - 1;
		if (olen > 0) {
			data[a + (size_t)rand() % olen] = (uint8_t)bytes[rand() % (sizeof(bytes) - 1)];
		}
		return size;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size copies, so that ASan sees any read past a text */
	char *old_text = malloc(size + 1), *new_text = malloc(size + 1);
	size_t ol = 0, nl = 0, i = 0;
	if (old_text == NULL || new_text == NULL) {
		abort();
	}
	while (i < size) {
		const uint8_t *e = memchr(data + i, '\n', size - i);
		size_t end = e != NULL ? (size_t)(e - data) + 1 : size;
		const uint8_t *s = data + i;
		size_t len = end - i;
		if (s[0] != '+') {
			size_t skip = s[0] == '-';
			memcpy(old_text + ol, s + skip, len - skip);
			ol += len - skip;
		}
		if (s[0] != '-') {
			size_t skip = s[0] == '+';
			memcpy(new_text + nl, s + skip, len - skip);
			nl += len - skip;
		}
		i = end;
	}
	char *o = malloc(ol ? ol : 1), *n = malloc(nl ? nl : 1);
	if (o == NULL || n == NULL) {
		abort();
	}
	memcpy(o, old_text, ol);
	memcpy(n, new_text, nl);
	free(old_text);
	free(new_text);
	size_t max = size % 4 == 0 ? (size / 4) % 8 : SIZE_MAX, changes;
	const char *verdict = patch_diff_check(o, ol, n, nl, max, &changes);
	if (verdict != NULL) {
		fprintf(stderr, "fuzz_patch_diff: %s (max_changes %zu)\n", verdict, max);
		abort();
	}
	free(o);
	free(n);
	return 0;
}
