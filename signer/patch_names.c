/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lookups of a patch run (patch_internal.h): name sets (open addressing over owned copies), hash-sorted arrays. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/error.h"
#include "common/hash64.h"
#include "signer/patch_internal.h"

/*
 * The set's hash (common/hash64.h) from its random seed: registrants pick
 * names, so which names share a bucket must not be known ahead (no run
 * slowed by names made to collide).
 */
static uint64_t name_hash(uint64_t seed, const uint8_t *w, size_t len)
{
	return tld_hash64(seed, w, len);
}

/* The tag of a hash: its upper 32 bits, never 0 (0 marks an empty slot). */
static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

/* The slot of a name of hash h: where it is, else the empty slot it would take. */
static size_t find(const struct patch_names *s, uint64_t h, const uint8_t *wire, size_t len)
{
	uint32_t tag = tag_of(h);
	size_t i = (size_t)h & s->mask;
	while (s->tag[i] != 0 &&
	       !(s->tag[i] == tag && s->slot[i][0] == len && memcmp(s->slot[i] + 1, wire, len) == 0)) {
		i = (i + 1) & s->mask;
	}
	return i;
}

size_t patch_names_slot(const struct patch_names *s, const uint8_t *wire, size_t len)
{
	return find(s, name_hash(s->seed, wire, len), wire, len);
}

int patch_names_add(struct patch_names *s, const uint8_t *wire, size_t len)
{
	const uint8_t *copy = NULL;
	return patch_names_intern(s, wire, len, &copy);
}

int patch_names_intern(struct patch_names *s, const uint8_t *wire, size_t len, const uint8_t **out)
{
	if (len == 0 || len > 255) {
		return TLD_EINVAL;
	}
	if (s->slot == NULL || (s->count + 1) * 2 > s->mask + 1) {
		size_t cap = s->slot == NULL ? 1024 : (s->mask + 1) * 2;
		struct patch_names n = { .slot = calloc(cap, sizeof(uint8_t *)), .tag = calloc(cap, sizeof(uint32_t)),
		                         .mask = cap - 1, .seed = s->seed };
		if (n.slot == NULL || n.tag == NULL) {
			free(n.slot);
			free(n.tag);
			return TLD_ENOMEM;
		}
		if (s->slot == NULL && getrandom(&n.seed, sizeof(n.seed), 0) != (ssize_t)sizeof(n.seed)) {
			n.seed = (uint64_t)(uintptr_t)n.slot * 0x9e3779b97f4a7c15ULL; /* no entropy: still not fixed */
		}
		for (size_t i = 0; s->slot != NULL && i <= s->mask; i++) {
			if (s->slot[i] != NULL) {
				uint64_t h = name_hash(n.seed, s->slot[i] + 1, s->slot[i][0]);
				size_t at = find(&n, h, s->slot[i] + 1, s->slot[i][0]);
				n.slot[at] = s->slot[i];
				n.tag[at] = tag_of(h);
				n.count++;
			}
		}
		free(s->slot);
		free(s->tag);
		*s = n;
	}
	uint64_t h = name_hash(s->seed, wire, len);
	size_t i = find(s, h, wire, len);
	if (s->slot[i] != NULL) {
		*out = s->slot[i] + 1;
		return TLD_OK;
	}
	uint8_t *copy = malloc(len + 1);
	if (copy == NULL) {
		return TLD_ENOMEM;
	}
	copy[0] = (uint8_t)len;
	memcpy(copy + 1, wire, len);
	s->slot[i] = copy;
	s->tag[i] = tag_of(h);
	s->count++;
	*out = copy + 1;
	return TLD_OK;
}

bool patch_names_has(const struct patch_names *s, const uint8_t *wire, size_t len)
{
	return s->slot != NULL && len <= 255 && s->slot[patch_names_slot(s, wire, len)] != NULL;
}

void patch_names_free(struct patch_names *s)
{
	for (size_t i = 0; s->slot != NULL && i <= s->mask; i++) {
		free(s->slot[i]);
	}
	free(s->slot);
	free(s->tag);
	memset(s, 0, sizeof(*s));
}


size_t patch_hash_lower(const void *base, size_t n, size_t stride, const uint8_t *hash)
{
	const uint8_t *b = base;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(b + mid * stride, hash, SIGNER_NSEC3_HASH_LEN) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

size_t patch_hash_find(const void *base, size_t n, size_t stride, const uint8_t *hash)
{
	size_t at = patch_hash_lower(base, n, stride, hash);
	return at < n && memcmp((const uint8_t *)base + at * stride, hash, SIGNER_NSEC3_HASH_LEN) == 0 ? at : SIZE_MAX;
}

size_t patch_hash_seek(const void *base, size_t n, size_t stride, size_t *cursor, const uint8_t *hash)
{
	const uint8_t *b = base;
	size_t lo = *cursor < n ? *cursor : n, step = 1;
	if (lo > 0 && memcmp(b + (lo - 1) * stride, hash, SIGNER_NSEC3_HASH_LEN) >= 0) {
		return SIZE_MAX; /* out of order: the element before the cursor is at or after hash */
	}
	size_t hi = lo; /* gallop: [lo, hi) before hash */
	while (hi < n && memcmp(b + hi * stride, hash, SIGNER_NSEC3_HASH_LEN) < 0) {
		lo = hi + 1;
		hi = step < n - hi ? hi + step : n;
		step *= 2;
	}
	size_t at = lo + patch_hash_lower(b + lo * stride, hi - lo, stride, hash);
	*cursor = at;
	return at < n && memcmp(b + at * stride, hash, SIGNER_NSEC3_HASH_LEN) == 0 ? at : SIZE_MAX;
}

/* The arrays patch_hash_lower() is used on begin with their hash. */
_Static_assert(offsetof(struct patch_link, hash) == 0, "patch_link: hash first");
_Static_assert(offsetof(struct signer_nsec3, hash) == 0, "signer_nsec3: hash first");
_Static_assert(offsetof(struct signer_sigfile_chain_item, hash) == 0, "chain item: hash first");
