/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The name table: every name of the export interned once (open addressing). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/error.h"
#include "common/prefault.h"
#include "zonegen/bytes8.h"
#include "zonegen/zg_internal.h"

#define ARENA_BLOCK (1u << 20)
#define HUGE_PAGE (2u << 20)

/* -- internal API -- */

/* A slot holds the upper 32 bits of the hash and the name id: most misses
 * are decided without touching the name. */
#define SLOT_EMPTY UINT64_MAX
#define SLOT(h, id) (((h) & 0xffffffff00000000ULL) | (id))

/* Slots for count names: at most three in four slots used.  Linear probing
 * stays short at that load (eight slots to a cache line), and the table,
 * written over once when made, is half what a load of one half needs at
 * the counts of a large export. */
#define SLOTS_FOR(count) ((count) + (count) / 3 + 1)

/* Doubles the slots, or makes them at least min_slots (a power of 2). */
static int grow_slots_to(struct tld_zonegen *zg, size_t min_slots)
{
	size_t n = zg->slot_mask ? (zg->slot_mask + 1) * 2 : 1u << 16;
	while (n < min_slots) {
		n *= 2;
	}
	uint64_t *slots = NULL;
	if (n * sizeof(*slots) >= HUGE_PAGE) {
		/* random probes over tens of MiB: huge pages spare a TLB miss each */
		slots = aligned_alloc(HUGE_PAGE, n * sizeof(*slots));
		if (slots != NULL) {
			madvise(slots, n * sizeof(*slots), MADV_HUGEPAGE);
		}
	} else {
		slots = malloc(n * sizeof(*slots));
	}
	if (slots == NULL) {
		return TLD_ENOMEM;
	}
	memset(slots, 0xff, n * sizeof(*slots));
	for (size_t i = 0; zg->slots != NULL && i <= zg->slot_mask; i++) {
		/* the position comes from the stored hash bits: no rehash of the text */
		uint64_t old = zg->slots[i];
		if (old == SLOT_EMPTY) {
			continue;
		}
		size_t s = (old >> 32) & (n - 1);
		while (slots[s] != SLOT_EMPTY) {
			s = (s + 1) & (n - 1);
		}
		slots[s] = old;
	}
	free(zg->slots);
	zg->slots = slots;
	zg->slot_mask = n - 1;
	return TLD_OK;
}

static char *arena_copy(struct tld_zonegen *zg, const char *text, size_t len)
{
	if (zg->arena_count == 0 || zg->arena_used + len + 1 > ARENA_BLOCK) {
		char **blocks = realloc(zg->arena, (zg->arena_count + 1) * sizeof(*blocks));
		if (blocks == NULL) {
			return NULL;
		}
		zg->arena = blocks;
		blocks[zg->arena_count] = malloc(ARENA_BLOCK);
		if (blocks[zg->arena_count] == NULL) {
			return NULL;
		}
		zg->arena_count++;
		zg->arena_used = 0;
	}
	char *block = zg->arena[zg->arena_count - 1];
	tld_prefault_ahead(&zg->arena_pf, block, ARENA_BLOCK, zg->arena_used,
	                   zg->arena_used + len + 1);
	char *p = block + zg->arena_used;
	memcpy(p, text, len);
	p[len] = '\0';
	zg->arena_used += len + 1;
	return p;
}

static uint32_t lookup_hashed(const struct tld_zonegen *zg, const char *text, size_t len,
                              uint64_t h)
{
	size_t s = (h >> 32) & zg->slot_mask;
	for (;;) {
		uint64_t slot = zg->slots[s];
		if (slot == SLOT_EMPTY) {
			return ZG_NONE;
		}
		uint32_t id = (uint32_t)slot;
		if ((slot ^ h) >> 32 == 0 && zg->names[id].len == len &&
		    bytes8_equal(zg->names[id].text, text, len)) {
			return id;
		}
		s = (s + 1) & zg->slot_mask;
	}
}

/* -- public API -- */

uint32_t zg_lookup(const struct tld_zonegen *zg, const char *text, size_t len)
{
	return zg_lookup_hashed(zg, text, len, zg_hash(text, len));
}

uint32_t zg_lookup_hashed(const struct tld_zonegen *zg, const char *text, size_t len, uint64_t h)
{
	if (zg->slots == NULL) {
		return ZG_NONE;
	}
	return lookup_hashed(zg, text, len, h);
}

int zg_intern(struct tld_zonegen *zg, const char *text, size_t len, uint32_t *id)
{
	return zg_intern_hashed(zg, text, len, zg_hash(text, len), id);
}

int zg_intern_hashed(struct tld_zonegen *zg, const char *text, size_t len, uint64_t h,
                     uint32_t *id)
{
	uint32_t found = zg->slots ? lookup_hashed(zg, text, len, h) : ZG_NONE;
	if (found != ZG_NONE) {
		*id = found;
		return TLD_OK;
	}
	if (zg->slots == NULL || SLOTS_FOR(zg->name_count + 1) > zg->slot_mask + 1) {
		int ret = grow_slots_to(zg, 0);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	if (zg->name_count == zg->name_cap) {
		size_t cap = zg->name_cap ? zg->name_cap * 2 : 4096;
		struct zg_name *names = realloc(zg->names, cap * sizeof(*names));
		if (names == NULL) {
			return TLD_ENOMEM;
		}
		zg->names = names;
		zg->name_cap = cap;
	}
	const char *copy = arena_copy(zg, text, len);
	if (copy == NULL) {
		return TLD_ENOMEM;
	}
	tld_prefault_ahead(&zg->names_pf, zg->names, zg->name_cap * sizeof(*zg->names),
	                   zg->name_count * sizeof(*zg->names),
	                   (zg->name_count + 1) * sizeof(*zg->names));
	uint32_t n = (uint32_t)zg->name_count++;
	zg->names[n] = (struct zg_name){ .text = copy, .len = (uint32_t)len, .parent = ZG_NONE };
	size_t s = (h >> 32) & zg->slot_mask;
	while (zg->slots[s] != SLOT_EMPTY) {
		s = (s + 1) & zg->slot_mask;
	}
	zg->slots[s] = SLOT(h, n);
	*id = n;
	return TLD_OK;
}

void zg_names_reserve(struct tld_zonegen *zg, size_t count)
{
	if (count == 0 || count > ZG_RESERVE_MAX) {
		return;
	}
	if (count > zg->name_cap) {
		struct zg_name *names = realloc(zg->names, count * sizeof(*names));
		if (names == NULL) {
			return; /* a hint: the table grows as it goes */
		}
		zg->names = names;
		zg->name_cap = count;
	}
	if (zg->slots == NULL || SLOTS_FOR(count) > zg->slot_mask + 1) {
		(void)grow_slots_to(zg, SLOTS_FOR(count));
	}
}

void zg_names_free(struct tld_zonegen *zg)
{
	for (size_t i = 0; i < zg->arena_count; i++) {
		free(zg->arena[i]);
	}
	free(zg->arena);
	free(zg->slots);
	free(zg->names);
}
