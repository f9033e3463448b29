/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal data of the zone builder, shared by the files of zonegen/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/config.h"
#include "common/hash64.h"
#include "common/prefault.h"
#include "zonegen/ds.h"
#include "zonegen/name.h"
#include "zonegen/zonegen.h"

#define ZG_NONE UINT32_MAX

enum zg_flags {
	ZG_DOMAIN = 1u << 0,      /*!< a valid row in domains.csv */
	ZG_HELD = 1u << 1,        /*!< clientHold or serverHold */
	ZG_DELEGATED = 1u << 2,   /*!< published with NS */
	ZG_IN_ZONE = 1u << 3,     /*!< strictly below the zone */
	ZG_NS_USED = 1u << 4,     /*!< used as NS by a delegated domain */
	ZG_GLUE = 1u << 5,        /*!< its addresses are published as glue */
	ZG_APEX_DATA = 1u << 6,   /*!< owns data from apex.records */
	ZG_REJECTED = 1u << 7,    /*!< its domain row was rejected (nested) */
	ZG_BELOW_DELEG = 1u << 8, /*!< at or below a delegated domain */
	ZG_NS_HOST = 1u << 9,     /*!< named as a host in nameservers.csv (in ns_hosts) */
};

/*! An interned name (absolute, lower case). */
struct zg_name {
	const char *text;
	uint32_t len;
	uint32_t flags;
	uint32_t domain_line;      /*!< line in domains.csv */
	uint32_t parent;           /*!< the name one label up, when known (else ZG_NONE) */
	uint32_t ns_first, ns_count;
	uint32_t ds_first, ds_count;
	uint32_t addr_first, addr_count;
};

struct zg_ns {
	uint32_t domain, host;
	uint32_t line;
};

struct zg_addr {
	uint32_t host;
	uint32_t line;
	uint8_t family;            /*!< 4 or 6 */
	uint8_t addr[16];
};

struct zg_ds {
	uint32_t domain;
	uint32_t line;
	bool from_keydata;
	struct tld_ds ds;
};

/*! A record of apex.records: owner, type, and text after the owner. */
struct zg_extra {
	uint32_t owner;
	uint16_t type;
	uint8_t *rdata;            /*!< wire, for RDATA order */
	size_t rdata_len;
	uint32_t ttl;
	uint16_t rclass;
	char *text;                /*!< "TTL\tIN\tTYPE\tRDATA" */
};

/*! A host field as written, and the name it was accepted as. */
#define ZG_RAW_HOST_MAX 58
#define ZG_HOST_CACHE_SIZE 4096 /* entries, a power of 2 */
struct zg_raw_host {
	uint32_t id;
	uint8_t len;               /*!< 0: empty entry */
	uint8_t used;              /*!< found again since it came or was last spared */
	char raw[ZG_RAW_HOST_MAX];
};

struct zg_problem {
	char *text;                /*!< "file:line: reason" or a sentence */
};

struct zg_list {
	struct zg_problem *items;
	size_t count, cap;
};

struct tld_zonegen {
	const struct tld_config *cfg;
	char *zone;                /*!< normalised zone name */
	size_t zone_len;

	/* the name table: open addressing over names[] */
	struct zg_name *names;
	size_t name_count, name_cap;
	uint64_t *slots;           /*!< hash bits | name id */
	size_t slot_mask;
	char **arena;              /*!< blocks of name text */
	size_t arena_count, arena_used;
	/* fresh pages made present ahead of the appends (common/prefault.h) */
	struct tld_prefault names_pf, arena_pf, ns_pf, addrs_pf, ds_pf, ns_names_pf;

	struct zg_ns *ns;
	size_t ns_count, ns_cap;
	uint32_t *ns_hosts;        /*!< the hosts of ns[], each once */
	uint32_t *ns_packed;       /*!< per ns[] entry: its host's entry in ns_names (after the rules) */
	uint8_t *ns_names;         /*!< NS hosts packed: wire length, wire, text length, text */
	size_t ns_names_len, ns_names_cap;
	size_t ns_host_count, ns_host_cap;
	struct zg_addr *addrs;
	size_t addr_count, addr_cap;
	struct zg_ds *ds;
	size_t ds_count, ds_cap;
	struct zg_extra *extra;
	size_t extra_count, extra_cap;

	uint32_t apex_id;          /*!< the zone apex in the name table, or ZG_NONE */
	uint32_t *order;           /*!< owners below the apex, canonical order */
	size_t order_count;

	struct zg_list rejected;   /*!< bad rows */
	struct zg_list orphans;    /*!< dropped glue */
	struct zg_list lame;       /*!< lame delegations */
	struct tld_zonegen_stats stats;
	unsigned logged;           /*!< bad rows logged so far (bounded) */
	struct zg_raw_host *host_cache; /*!< row_nameserver(): host field text -> name */
	uint32_t last_domain;      /*!< known_domain() cache: consecutive rows share a domain */
	uint32_t last_host;        /*!< row_host(): the previous row's host, or ZG_NONE */
	uint32_t last_raw_id;      /*!< the known domain whose field text is last_raw */
	size_t last_raw_len;       /*!< 0: no such field */
	char last_raw[TLD_NAME_MAX_TEXT]; /*!< the field as written (not normalised) */
};

/* The host cache entry of a host field whose text has hash h (zg_hash()). */
static inline struct zg_raw_host *zg_host_cache_entry(const struct tld_zonegen *zg, uint64_t h)
{
	return &zg->host_cache[h & (ZG_HOST_CACHE_SIZE - 1)];
}

/* nametab.c */
/* The name table's hash (common/hash64.h), unseeded: the export is the registry's own. */
static inline uint64_t zg_hash(const char *s, size_t len)
{
	return tld_hash64(0, s, len);
}

int zg_intern(struct tld_zonegen *zg, const char *text, size_t len, uint32_t *id);
uint32_t zg_lookup(const struct tld_zonegen *zg, const char *text, size_t len);
/* The same with h = zg_hash(text, len) already known. */
int zg_intern_hashed(struct tld_zonegen *zg, const char *text, size_t len, uint64_t h,
                     uint32_t *id);
uint32_t zg_lookup_hashed(const struct tld_zonegen *zg, const char *text, size_t len, uint64_t h);

/* Fetches the first slot a name of hash h probes into the cache. */
static inline void zg_prefetch_slot(const struct tld_zonegen *zg, uint64_t h)
{
	if (zg->slots != NULL) {
		__builtin_prefetch(&zg->slots[(h >> 32) & zg->slot_mask]);
	}
}
/* Most entries reserved ahead from the manifest's row counts (a hint). */
#define ZG_RESERVE_MAX (1u << 26)
/* Makes room for count names in all: the slots and the array need not
 * grow while they come.  Only a hint: too
 * large a count, or no memory for it, changes nothing. */
void zg_names_reserve(struct tld_zonegen *zg, size_t count);
void zg_names_free(struct tld_zonegen *zg);

/* report.c */
int zg_reject(struct tld_zonegen *zg, const char *file, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int zg_list_add(struct zg_list *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void zg_list_free(struct zg_list *list);

/* load.c: the files of the manifest named in files[], in that order (read
 * ahead by a thread), each checked against the manifest; TLD_EEXPORT refuses
 * the export */
struct tld_manifest;
int zg_load_export(struct tld_zonegen *zg, const char *dir, const struct tld_manifest *m,
                   const char *const *files, size_t count);

/* rules.c: the owners' canonical order is sorted on a thread of its own
 * beside the other rules (the in-zone names, a superset; see rules.c) and
 * the NS hosts' packing (zg_pack_ns_hosts()) */
int zg_apply_rules(struct tld_zonegen *zg);

/* nshosts.c: each NS host's wire form and text packed once (ns_packed,
 * ns_names) for the walks, once ns[] is final (zg_apply_rules() calls it);
 * TLD_OK, TLD_ENOMEM, TLD_ERANGE */
int zg_pack_ns_hosts(struct tld_zonegen *zg);

/* The wire form of the host of ns[k] (its length in *len). */
static inline const uint8_t *zg_ns_wire(const struct tld_zonegen *zg, size_t k, size_t *len)
{
	const uint8_t *p = zg->ns_names + zg->ns_packed[k];
	*len = p[0];
	return p + 1;
}

/* The text of the host of ns[k] (its length in *len), as its name entry has it. */
static inline const char *zg_ns_text(const struct tld_zonegen *zg, size_t k, size_t *len)
{
	const uint8_t *p = zg->ns_names + zg->ns_packed[k];
	*len = p[1 + p[0]];
	return (const char *)p + 2 + p[0];
}

/*
 * Reads, for owners order[from..to), the entries their records are made of
 * -- the name's entry and text, its NS hosts' packed entries, its first DS
 * row and address -- and returns a value made of them (the caller keeps it,
 * so that the reads are made).  A loop that does nothing else keeps many of
 * these cache misses in flight at once; a walk whose branches and copies
 * depend on each entry (the text's format, the records handed out) takes
 * them one at a time when it meets them.  Walks go by batches of
 * ZG_TOUCH_OWNERS: read ahead, then handled (measured at 1M delegations:
 * the format of the whole text 0.46 -> 0.26 CPU s).
 */
#define ZG_TOUCH_OWNERS 32
static inline size_t zg_touch_owners(const struct tld_zonegen *zg, size_t from, size_t to)
{
	size_t sum = 0;
	for (size_t i = from; i < to; i++) {
		const struct zg_name *n = &zg->names[zg->order[i]];
		sum += (unsigned char)n->text[0] + (unsigned char)n->text[n->len - 1];
		if (n->flags & ZG_DELEGATED) {
			for (uint32_t k = 0; k < n->ns_count; k++) {
				size_t len;
				const char *host = zg_ns_text(zg, n->ns_first + k, &len);
				sum += (unsigned char)host[len - 1];
			}
			if (n->ds_count > 0) {
				sum += zg->ds[n->ds_first].ds.digest_len;
			}
		}
		if ((n->flags & ZG_GLUE) && n->addr_count > 0) {
			sum += zg->addrs[n->addr_first].family;
		}
	}
	return sum;
}

/*
 * Fetches ahead, into the cache, what owners a walk in order over
 * order[..to) will read -- three dependent steps, each started a distance
 * ahead of the owner being handled: the name's entry (ZG_AHEAD_ENTRY
 * owners ahead), then from it the name's text, its NS offsets, its first
 * and last DS row and address (ZG_AHEAD_DATA), then from the NS offsets
 * the NS hosts' packed entries (ZG_AHEAD_HOST).  Call it before handling
 * owner i.  Hints only (__builtin_prefetch() never faults, and only
 * entries of owners before to are read): the walk's output does not
 * depend on it.  A rolling pipeline keeps about ZG_AHEAD_ENTRY misses in
 * flight all along, where zg_touch_owners() (a batch read ahead, then
 * handled) waits for each batch's chain of misses before handling it.
 * Always inlined: as a function of its own it has no effect the compiler
 * counts (prefetches do not), and GCC drops the call.
 */
#define ZG_AHEAD_ENTRY 24
#define ZG_AHEAD_DATA 12
#define ZG_AHEAD_HOST 6
__attribute__((always_inline)) static inline void zg_fetch_range(const void *first, const void *last)
{
	__builtin_prefetch(first);
	__builtin_prefetch(last);
}
__attribute__((always_inline)) static inline void zg_prefetch_ahead(const struct tld_zonegen *zg, size_t i,
                                                                     size_t to)
{
	if (i + ZG_AHEAD_ENTRY < to) {
		const struct zg_name *n = &zg->names[zg->order[i + ZG_AHEAD_ENTRY]];
		zg_fetch_range(n, (const char *)(n + 1) - 1);
	}
	if (i + ZG_AHEAD_DATA < to) {
		const struct zg_name *n = &zg->names[zg->order[i + ZG_AHEAD_DATA]];
		zg_fetch_range(n->text, n->text + n->len - 1);
		if ((n->flags & ZG_DELEGATED) && n->ns_count > 0) {
			zg_fetch_range(&zg->ns_packed[n->ns_first], &zg->ns_packed[n->ns_first + n->ns_count - 1]);
		}
		if ((n->flags & ZG_DELEGATED) && n->ds_count > 0) {
			zg_fetch_range(&zg->ds[n->ds_first], (const char *)&zg->ds[n->ds_first + n->ds_count] - 1);
		}
		if ((n->flags & ZG_GLUE) && n->addr_count > 0) {
			zg_fetch_range(&zg->addrs[n->addr_first],
			               (const char *)&zg->addrs[n->addr_first + n->addr_count] - 1);
		}
	}
	if (i + ZG_AHEAD_HOST < to) {
		const struct zg_name *n = &zg->names[zg->order[i + ZG_AHEAD_HOST]];
		if (n->flags & ZG_DELEGATED) {
			for (uint32_t k = 0; k < n->ns_count; k++) {
				const uint8_t *p = zg->ns_names + zg->ns_packed[n->ns_first + k];
				/* the entry's next line too (an address only: a hint never faults) */
				zg_fetch_range(p, (const void *)((uintptr_t)p + 63));
			}
		}
	}
}

/* apex.c */
int zg_load_apex_records(struct tld_zonegen *zg);
void zg_extra_free(struct tld_zonegen *zg);

/* sort.c */
#define ZG_SORT_MAX_ELEM 128

/*! A sort item: 8 big-endian bytes of a key, and what it sorts. */
struct zg_prefixed {
	uint64_t prefix;
	uint32_t id;
};

/*
 * Sorts items (size bytes each, at most ZG_SORT_MAX_ELEM) into the total order
 * cmp, whose first key is the uint32_t at key_off (values < key_range):
 * grouped by that key in linear time (nothing moves when the items are
 * already grouped; items grouped but for a short tail, rows added at the
 * end of a sorted file, have the tail sorted and merged in), each group
 * then sorted by cmp.
 * Returns TLD_OK or TLD_ENOMEM (items unchanged).
 */
int zg_sort_grouped(void *items, size_t count, size_t size, size_t key_off, size_t key_range,
                    int (*cmp)(const void *, const void *));

/*
 * Sorts items into the total order cmp, whose first key is the prefix
 * (radix sort on the prefix: of many items the top 16 bits first, then each
 * bucket in the cache; cmp only within runs of equal prefixes).  touch,
 * unless NULL, is called for the items of such runs before cmp compares
 * them, to fetch what cmp reads of them (it must not change anything):
 * with stage 0 some items ahead, then with stage 1 half as many ahead (for
 * what the first fetch leads to).
 * Returns TLD_OK or TLD_ENOMEM (items unchanged).
 */
int zg_sort_prefixed(struct zg_prefixed *items, size_t count,
                     int (*cmp)(const void *, const void *),
                     void (*touch)(const struct zg_prefixed *, int stage));

/* write.c: qsort order of apex.records data (owner id, type, RDATA) */
int zg_cmp_extra(const void *a, const void *b);
/* write.c: the first of the (sorted) apex.records data of owner, or extra_count */
size_t zg_extra_first(const struct tld_zonegen *zg, uint32_t owner);
/* write.c: whether x repeats prev (same type and RDATA): written once */
bool zg_extra_repeats(const struct zg_extra *prev, const struct zg_extra *x);
/* write.c: the text of the apex, then of owner order[i], appended to t
 * (tld_zonegen_records_part() with a text); t->failed once out of memory */
void zg_text_apex(struct tld_zonegen_text *t, const struct tld_zonegen *zg);
void zg_text_owner(struct tld_zonegen_text *t, const struct tld_zonegen *zg, size_t i);
/* write.c: the apex NS names in RDATA order, repeats left in (caller frees the array) */
int zg_apex_ns_sorted(const struct tld_zonegen *zg, char ***out);
