/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zone rules of DESIGN.md section 4: nested delegations, holds,
 * duplicates, glue and orphan glue, lame delegations, and the canonical
 * order of the owners.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

_Static_assert(sizeof(struct zg_ns) <= ZG_SORT_MAX_ELEM, "zg_ns too large to sort");
_Static_assert(sizeof(struct zg_ds) <= ZG_SORT_MAX_ELEM, "zg_ds too large to sort");
_Static_assert(sizeof(struct zg_addr) <= ZG_SORT_MAX_ELEM, "zg_addr too large to sort");

/* qsort has no context argument; the builder being sorted. */
static const struct tld_zonegen *sort_zg;

/* -- internal API -- */

/* The length of p's first label and its dot: strcspn(p, ".") + 1 for the
 * text p of length l (NUL-terminated there, no NUL before). */
static inline size_t first_label_skip(const char *p, size_t l)
{
	const char *dot = memchr(p, '.', l);
	return (dot != NULL ? (size_t)(dot - p) : l) + 1;
}

/* The nearest name with any of the flags at or above name (below the zone). */
static uint32_t ancestor_with(const struct tld_zonegen *zg, const char *name, size_t len,
                              uint32_t flags, bool include_self)
{
	const char *p = name;
	size_t l = len;
	if (!include_self) {
		size_t skip = first_label_skip(p, l);
		p += skip;
		l -= skip;
	}
	while (l > zg->zone_len) {
		uint32_t id = zg_lookup(zg, p, l);
		if (id != ZG_NONE && (zg->names[id].flags & flags)) {
			return id;
		}
		size_t skip = first_label_skip(p, l);
		p += skip;
		l -= skip;
	}
	return ZG_NONE;
}

/* The NS hosts being ranked (rank_hosts()): by item, bytes 8-15 of its
 * host's wire form (wire_prefix()); the item's id is its index here. */
static const uint64_t *sort_wire_next;
static const uint32_t *sort_hosts;

/* Wire order of two hosts: the first 8 wire bytes, the next 8, then the
 * whole names.  The wire bytes compared as big-endian numbers (0-padded:
 * a name's wire form ends with its 0 root label) are the order of the
 * wire forms, which tld_name_wire_cmp() gives label by label. */
static int cmp_host_wire(const void *a, const void *b)
{
	const struct zg_prefixed *x = a, *y = b;
	if (x->prefix != y->prefix) {
		return x->prefix < y->prefix ? -1 : 1;
	}
	uint64_t nx = sort_wire_next[x->id], ny = sort_wire_next[y->id];
	if (nx != ny) {
		return nx < ny ? -1 : 1;
	}
	const struct zg_name *n = sort_zg->names;
	return tld_name_wire_cmp(n[sort_hosts[x->id]].text, n[sort_hosts[y->id]].text);
}

/* Bytes [0, 16) of a normalised name's wire form, 0-padded, as two
 * big-endian numbers: first[0] the first 8, first[1] the next 8. */
static void wire_prefix(const char *name, size_t len, uint64_t first[2])
{
	unsigned char w[16] = { 0 };
	size_t k = 0, label = 0;
	for (size_t i = 0; i < len && k < 16; i++) {
		if (i == label) {
			const char *dot = memchr(name + i, '.', len - i);
			w[k++] = (unsigned char)(dot != NULL ? (size_t)(dot - name) - i : len - i);
			if (k == 16) {
				break;
			}
		}
		if (name[i] == '.') {
			label = i + 1;
			continue;
		}
		w[k++] = (unsigned char)name[i];
	}
	for (size_t h = 0; h < 2; h++) {
		uint64_t p = 0;
		for (size_t i = 0; i < 8; i++) {
			p = p << 8 | w[8 * h + i];
		}
		first[h] = p;
	}
}

/* By name id: the wire-order rank of the NS hosts (rank_hosts()), for cmp_ns;
 * an array of its own, small enough to stay in the cache. */
static const uint32_t *sort_rank;

static int cmp_ns(const void *a, const void *b)
{
	const struct zg_ns *x = a, *y = b;
	if (x->domain != y->domain) {
		return x->domain < y->domain ? -1 : 1;
	}
	uint32_t rx = sort_rank[x->host], ry = sort_rank[y->host];
	if (rx != ry) {
		return rx < ry ? -1 : 1;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

/* DS RDATA order: key tag, algorithm, digest type, digest (wire octets). */
static int cmp_ds(const void *a, const void *b)
{
	const struct zg_ds *x = a, *y = b;
	if (x->domain != y->domain) {
		return x->domain < y->domain ? -1 : 1;
	}
	if (x->ds.key_tag != y->ds.key_tag) {
		return x->ds.key_tag < y->ds.key_tag ? -1 : 1;
	}
	if (x->ds.algorithm != y->ds.algorithm) {
		return x->ds.algorithm < y->ds.algorithm ? -1 : 1;
	}
	if (x->ds.digest_type != y->ds.digest_type) {
		return x->ds.digest_type < y->ds.digest_type ? -1 : 1;
	}
	size_t l = x->ds.digest_len < y->ds.digest_len ? x->ds.digest_len : y->ds.digest_len;
	int c = memcmp(x->ds.digest, y->ds.digest, l);
	if (c != 0) {
		return c;
	}
	if (x->ds.digest_len != y->ds.digest_len) {
		return x->ds.digest_len < y->ds.digest_len ? -1 : 1;
	}
	/* keep a dsData row before an equal keyData row, then by line */
	if (x->from_keydata != y->from_keydata) {
		return x->from_keydata ? 1 : -1;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct zg_addr *x = a, *y = b;
	if (x->host != y->host) {
		return x->host < y->host ? -1 : 1;
	}
	if (x->family != y->family) {
		return x->family < y->family ? -1 : 1;
	}
	int c = memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
	if (c != 0) {
		return c;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Rejects the domain n if it is nested below another (names in id order). */
static void reject_if_nested(struct tld_zonegen *zg, struct zg_name *n)
{
	if (!(n->flags & ZG_DOMAIN)) {
		return;
	}
	uint32_t up = ancestor_with(zg, n->text, n->len, ZG_DOMAIN | ZG_REJECTED, false);
	if (up == ZG_NONE) {
		return;
	}
	zg_reject(zg, "domains.csv", n->domain_line,
	          "%s is nested below the registered domain %s (not delegated)", n->text,
	          zg->names[up].text);
	n->flags = (n->flags & ~ZG_DOMAIN) | ZG_REJECTED;
	zg->stats.domains--;
}

/* *rank (caller frees): by name id, the wire-order rank of each NS host. */
static int rank_hosts(const struct tld_zonegen *zg, uint32_t **rank)
{
	size_t n = zg->ns_host_count;
	struct zg_prefixed *hosts = malloc((n ? n : 1) * sizeof(*hosts));
	uint64_t *next = malloc((n ? n : 1) * sizeof(*next));
	/* only the NS hosts' entries are set and read (cmp_ns()): the others
	 * stay 0, and calloc()'s fresh pages of them are never touched */
	uint32_t *r = calloc(zg->name_count ? zg->name_count : 1, sizeof(*r));
	if (hosts == NULL || next == NULL || r == NULL) {
		free(hosts);
		free(next);
		free(r);
		return TLD_ENOMEM;
	}
	/* most hosts share their first 8 wire bytes with others (ns1.xyz...):
	 * the next 8 decide without the names' text */
	struct tld_prefault pf_hosts = { 0 }, pf_next = { 0 };
	for (size_t i = 0; i < n; i++) {
		tld_prefault_ahead(&pf_hosts, hosts, n * sizeof(*hosts), i * sizeof(*hosts),
		                   (i + 1) * sizeof(*hosts));
		tld_prefault_ahead(&pf_next, next, n * sizeof(*next), i * sizeof(*next),
		                   (i + 1) * sizeof(*next));
		const struct zg_name *h = &zg->names[zg->ns_hosts[i]];
		uint64_t w[2];
		wire_prefix(h->text, h->len, w);
		hosts[i].prefix = w[0];
		hosts[i].id = (uint32_t)i;
		next[i] = w[1];
	}
	sort_wire_next = next;
	sort_hosts = zg->ns_hosts;
	int ret = zg_sort_prefixed(hosts, n, cmp_host_wire, NULL);
	sort_wire_next = NULL;
	sort_hosts = NULL;
	for (size_t i = 0; i < n && ret == TLD_OK; i++) {
		r[zg->ns_hosts[hosts[i].id]] = (uint32_t)i;
	}
	free(hosts);
	free(next);
	if (ret != TLD_OK) {
		free(r);
		return ret;
	}
	*rank = r;
	return TLD_OK;
}

static void index_ns(struct tld_zonegen *zg)
{
	size_t w = 0;
	for (size_t i = 0; i < zg->ns_count; i++) {
		struct zg_ns *r = &zg->ns[i];
		if (w > 0 && zg->ns[w - 1].domain == r->domain && zg->ns[w - 1].host == r->host) {
			zg->stats.duplicates++;
			continue;
		}
		struct zg_name *d = &zg->names[r->domain];
		if (!(d->flags & ZG_DOMAIN)) {
			continue; /* rejected (nested) domain: reported with its row */
		}
		if (d->ns_count == 0) {
			d->ns_first = (uint32_t)w;
		}
		d->ns_count++;
		zg->ns[w++] = *r;
	}
	zg->ns_count = w;
}

static void index_ds(struct tld_zonegen *zg)
{
	size_t w = 0;
	for (size_t i = 0; i < zg->ds_count; i++) {
		struct zg_ds *r = &zg->ds[i];
		if (w > 0 && zg->ds[w - 1].domain == r->domain) {
			const struct tld_ds *p = &zg->ds[w - 1].ds;
			if (p->key_tag == r->ds.key_tag && p->algorithm == r->ds.algorithm &&
			    p->digest_type == r->ds.digest_type && p->digest_len == r->ds.digest_len &&
			    memcmp(p->digest, r->ds.digest, p->digest_len) == 0) {
				zg->stats.duplicates++;
				continue;
			}
		}
		struct zg_name *d = &zg->names[r->domain];
		if (!(d->flags & ZG_DOMAIN)) {
			continue;
		}
		if (d->ds_count == 0) {
			d->ds_first = (uint32_t)w;
		}
		d->ds_count++;
		zg->ds[w++] = *r;
	}
	zg->ds_count = w;
}

static void index_addrs(struct tld_zonegen *zg)
{
	size_t w = 0;
	for (size_t i = 0; i < zg->addr_count; i++) {
		struct zg_addr *r = &zg->addrs[i];
		if (w > 0 && zg->addrs[w - 1].host == r->host && zg->addrs[w - 1].family == r->family &&
		    memcmp(zg->addrs[w - 1].addr, r->addr, 16) == 0) {
			zg->stats.duplicates++;
			continue;
		}
		struct zg_name *h = &zg->names[r->host];
		if (h->addr_count == 0) {
			h->addr_first = (uint32_t)w;
		}
		h->addr_count++;
		zg->addrs[w++] = *r;
	}
	zg->addr_count = w;
}

/* Whether decide_glue() decides if n is at or below a delegation: only
 * hosts and apex.records owners need to know (saves a lookup per domain). */
static bool below_deleg_needed(const struct zg_name *n)
{
	return (n->addr_count > 0 || (n->flags & (ZG_NS_USED | ZG_APEX_DATA))) &&
	       (n->flags & ZG_IN_ZONE);
}

/* Fetches n's parent, or the name-table slot where ancestor_with() looks it up. */
static void prefetch_parent(const struct tld_zonegen *zg, const struct zg_name *n)
{
	if (n->parent != ZG_NONE) {
		__builtin_prefetch(&zg->names[n->parent]);
		return;
	}
	size_t skip = first_label_skip(n->text, n->len);
	if (n->len > skip && n->len - skip > zg->zone_len) {
		zg_prefetch_slot(zg, zg_hash(n->text + skip, n->len - skip));
	}
}

/* Whether n is at or below a delegated domain: itself, its parent when
 * known (what ancestor_with() would find first), or an ancestor searched. */
static bool below_delegation(const struct tld_zonegen *zg, const struct zg_name *n)
{
	return (n->flags & ZG_DELEGATED) ||
	       (n->parent != ZG_NONE && (zg->names[n->parent].flags & ZG_DELEGATED)) ||
	       ancestor_with(zg, n->text, n->len, ZG_DELEGATED, false) != ZG_NONE;
}

/* Names ahead of the one decided whose parent's slot is fetched. */
#define GLUE_AHEAD 8

static int decide_glue(struct tld_zonegen *zg)
{
	int ret = TLD_OK;
	size_t ahead = 0;
	for (size_t i = 0; i < zg->name_count && ret == TLD_OK; i++) {
		for (; ahead < zg->name_count && ahead <= i + GLUE_AHEAD; ahead++) {
			const struct zg_name *a = &zg->names[ahead];
			if (below_deleg_needed(a) && !(a->flags & ZG_DELEGATED)) {
				prefetch_parent(zg, a);
			}
		}
		struct zg_name *n = &zg->names[i];
		if (below_deleg_needed(n) && below_delegation(zg, n)) {
			n->flags |= ZG_BELOW_DELEG;
		}
		if (n->addr_count == 0) {
			continue;
		}
		const char *why = NULL;
		if (!(n->flags & ZG_IN_ZONE)) {
			why = "host outside the zone (not glue)";
		} else if (!(n->flags & ZG_BELOW_DELEG)) {
			why = "host not at or below a delegated domain";
		} else if (!(n->flags & ZG_NS_USED)) {
			why = "host not used as NS by a delegated domain";
		}
		if (why == NULL) {
			n->flags |= ZG_GLUE;
			zg->stats.glue_records += n->addr_count;
			continue;
		}
		for (uint32_t a = 0; a < n->addr_count && ret == TLD_OK; a++) {
			zg->stats.orphan_glue++;
			ret = zg_list_add(&zg->orphans, "hosts.csv:%u: %s: address dropped: %s",
			                  zg->addrs[n->addr_first + a].line, n->text, why);
		}
	}
	return ret;
}

/* The lame NS of the domain d, if delegated (after decide_glue()). */
static int find_lame(struct tld_zonegen *zg, const struct zg_name *d)
{
	if (!(d->flags & ZG_DELEGATED)) {
		return TLD_OK;
	}
	for (uint32_t k = 0; k < d->ns_count; k++) {
		const struct zg_ns *r = &zg->ns[d->ns_first + k];
		const struct zg_name *h = &zg->names[r->host];
		if (!(h->flags & ZG_IN_ZONE)) {
			continue;
		}
		bool has = (h->flags & ZG_BELOW_DELEG) ? h->addr_count > 0
		                                      : (h->flags & ZG_APEX_DATA) != 0;
		if (has) {
			continue;
		}
		zg->stats.lame++;
		int ret = zg_list_add(&zg->lame,
		                      "nameservers.csv:%u: %s NS %s: in-zone host without "
		                      "address (lame)",
		                      r->line, d->text, h->text);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

/* Drops n's apex.records data if a delegation at or above it occludes it. */
static int drop_occluded(struct tld_zonegen *zg, struct zg_name *n)
{
	if (!(n->flags & ZG_APEX_DATA) || !(n->flags & ZG_BELOW_DELEG)) {
		return TLD_OK;
	}
	n->flags &= ~ZG_APEX_DATA;
	tld_warning("apex records: %s is at or below a delegated domain; dropped", n->text);
	zg->stats.bad_rows++;
	return zg_list_add(&zg->rejected,
	                   "apex records: %s is at or below a delegated domain; dropped", n->text);
}

static inline unsigned char lower_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* The label of text[0 .. end) that ends at end: its start. */
static inline size_t label_start(const char *text, size_t end)
{
	const char *dot = memrchr(text, '.', end);
	return dot != NULL ? (size_t)(dot - text) + 1 : 0;
}

/* By name id: bytes 8-15 of an owner's key after the zone's (canon_prefix()),
 * set for the names being sorted (owner_sort_main()), read by cmp_owner(). */
static const uint64_t *sort_owner_next;

/* Owners with equal prefixes: the next 8 bytes of their keys, then the
 * whole names decide.  A domain and the hosts below it share their first
 * 8 bytes whenever its label has 7 characters or more: the next 8 decide
 * most of those without reading the names (each a cache miss). */
static int cmp_owner(const void *a, const void *b)
{
	const struct zg_prefixed *x = a, *y = b;
	if (x->prefix != y->prefix) {
		return x->prefix < y->prefix ? -1 : 1;
	}
	uint64_t nx = sort_owner_next[x->id], ny = sort_owner_next[y->id];
	if (nx != ny) {
		return nx < ny ? -1 : 1;
	}
	const struct zg_name *n = sort_zg->names;
	return tld_name_canon_cmp(n[x->id].text, n[x->id].len, n[y->id].text, n[y->id].len);
}

/* Fetches what cmp_owner() reads of an owner beyond the item: its next key
 * bytes and its name entry (stage 0), then its name's text (stage 1, the
 * entry fetched by then). */
static void touch_owner(const struct zg_prefixed *x, int stage)
{
	const struct zg_name *n = &sort_zg->names[x->id];
	if (stage == 0) {
		__builtin_prefetch(&sort_owner_next[x->id]);
		__builtin_prefetch(n);
	} else {
		__builtin_prefetch(n->text);
		__builtin_prefetch(n->text + n->len - 1);
	}
}

/* Bytes [0, 16) of a name's canonical key that follow the zone's key: its
 * labels in front of the zone from the last, each lower-cased and ended by a
 * 0 byte, 0-padded, as two big-endian numbers (first[0] the first 8).  Their
 * order is that of tld_name_canon_cmp() as far as they go: a label holds no
 * 0 byte, so a 0 byte (end of label or padding) sorts a shorter label or
 * name first, as that function does; equal keys leave the names to it. */
static void canon_prefix(const struct tld_zonegen *zg, const struct zg_name *x, uint64_t first[2])
{
	/* the labels in front of the zone: text[0 .. end) */
	size_t cut = zg->zone_len + (zg->zone_len > 1 ? 1 : 0);
	size_t end = x->len > cut ? x->len - cut : 0;
	unsigned char key[16] = { 0 };
	size_t k = 0;
	bool more = end > 0;
	while (more && k < 16) {
		size_t s = label_start(x->text, end);
		for (size_t i = s; i < end && k < 16; i++) {
			key[k++] = lower_byte((unsigned char)x->text[i]);
		}
		if (k < 16) {
			key[k++] = 0;
		}
		more = s > 0;
		end = s - 1;
	}
	for (size_t h = 0; h < 2; h++) {
		uint64_t p = 0;
		for (size_t i = 0; i < 8; i++) {
			p = p << 8 | key[8 * h + i];
		}
		first[h] = p;
	}
}

static bool is_owner(const struct tld_zonegen *zg, const struct zg_name *x)
{
	return (x->flags & (ZG_DELEGATED | ZG_GLUE | ZG_APEX_DATA)) &&
	       !(x->len == zg->zone_len && memcmp(x->text, zg->zone, x->len) == 0);
}

/*
 * The owners' canonical order, sorted beside the other rules: every owner is
 * strictly below the zone (a domain row, glue, an apex.records name other
 * than the apex), so the names flagged ZG_IN_ZONE once the rows are read
 * include them all, and the rules only ever take flags away from a name that
 * has it.  Sorting those names (a total order: the names are distinct) and
 * keeping the owners gives the order a sort of the owners alone gives.  The
 * sort reads only the names' text and length, which the rules do not
 * change (the flags are read before it starts), and no name is added while
 * it runs.
 */
struct owner_sort {
	const struct tld_zonegen *zg;
	struct zg_prefixed *keys;  /*!< the in-zone names, sorted by the thread */
	size_t count;
	unsigned char *owner;      /*!< by name id: is_owner(), once the rules are done */
	uint64_t *next;            /*!< by name id: bytes 8-15 of the key (canon_prefix()) */
	int ret;
	pthread_t thread;
	bool threaded;
};

static void *owner_sort_main(void *arg)
{
	struct owner_sort *os = arg;
	/* every name here is below the zone: its key starts with the zone's key,
	 * which is skipped so that the prefix holds the distinguishing bytes */
	struct tld_prefault pf = { 0 };
	for (size_t i = 0; i < os->count; i++) {
		uint32_t id = os->keys[i].id;
		uint64_t first[2];
		canon_prefix(os->zg, &os->zg->names[id], first);
		os->keys[i].prefix = first[0];
		/* ids in order: next[] is written from its start to its end */
		tld_prefault_ahead(&pf, os->next, os->zg->name_count * sizeof(*os->next), 0,
		                   (id + 1) * sizeof(*os->next));
		os->next[id] = first[1];
	}
	os->ret = zg_sort_prefixed(os->keys, os->count, cmp_owner, touch_owner);
	return NULL;
}

/* The first pass over the names: the nested domains rejected, the in-zone
 * names listed, whose sort then starts (on a thread if one can be had). */
static int reject_nested_start_sort(struct tld_zonegen *zg, struct owner_sort *os)
{
	*os = (struct owner_sort){ .zg = zg };
	/* room for every name: what is not used is never touched */
	size_t room = zg->name_count ? zg->name_count : 1;
	os->keys = malloc(room * sizeof(*os->keys));
	os->owner = malloc(room);
	os->next = malloc(room * sizeof(*os->next));
	struct tld_prefault pf = { 0 };
	for (size_t i = 0; i < zg->name_count; i++) {
		reject_if_nested(zg, &zg->names[i]);
		if ((zg->names[i].flags & ZG_IN_ZONE) && os->keys != NULL) {
			tld_prefault_ahead(&pf, os->keys, room * sizeof(*os->keys),
			                   os->count * sizeof(*os->keys),
			                   (os->count + 1) * sizeof(*os->keys));
			os->keys[os->count++].id = (uint32_t)i;
		}
	}
	if (os->keys == NULL || os->owner == NULL || os->next == NULL) {
		return TLD_ENOMEM;
	}
	sort_owner_next = os->next;
	os->threaded = pthread_create(&os->thread, NULL, owner_sort_main, os) == 0;
	return TLD_OK;
}

/* Waits for the sort (or sorts here) and keeps the owners as zg->order;
 * with ret != TLD_OK only waits and frees. */
static int finish_owner_sort(struct tld_zonegen *zg, struct owner_sort *os, int ret)
{
	if (os->threaded) {
		pthread_join(os->thread, NULL);
	} else if (os->keys != NULL && ret == TLD_OK) {
		owner_sort_main(os);
	}
	if (ret == TLD_OK) {
		ret = os->ret;
	}
	if (ret == TLD_OK) {
		zg->order = malloc((os->count ? os->count : 1) * sizeof(*zg->order));
		ret = zg->order != NULL ? TLD_OK : TLD_ENOMEM;
	}
	size_t n = 0;
	struct tld_prefault pf = { 0 };
	for (size_t i = 0; i < os->count && ret == TLD_OK; i++) {
		uint32_t id = os->keys[i].id;
		if (os->owner[id]) {
			tld_prefault_ahead(&pf, zg->order, os->count * sizeof(*zg->order),
			                   n * sizeof(*zg->order), (n + 1) * sizeof(*zg->order));
			zg->order[n++] = id;
		}
	}
	zg->order_count = n;
	free(os->keys);
	free(os->owner);
	free(os->next);
	os->keys = NULL;
	os->owner = NULL;
	os->next = NULL;
	sort_owner_next = NULL;
	return ret;
}

/* -- public API -- */

int zg_apply_rules(struct tld_zonegen *zg)
{
	sort_zg = zg;
	struct owner_sort os;
	int ret = reject_nested_start_sort(zg, &os);
	uint32_t *rank = NULL;
	if (ret == TLD_OK) {
		ret = rank_hosts(zg, &rank);
	}
	if (ret == TLD_OK) {
		sort_rank = rank;
		ret = zg_sort_grouped(zg->ns, zg->ns_count, sizeof(*zg->ns),
		                      offsetof(struct zg_ns, domain), zg->name_count, cmp_ns);
		sort_rank = NULL;
		free(rank);
	}
	if (ret == TLD_OK) {
		index_ns(zg);
		ret = zg_sort_grouped(zg->ds, zg->ds_count, sizeof(*zg->ds),
		                      offsetof(struct zg_ds, domain), zg->name_count, cmp_ds);
	}
	if (ret == TLD_OK) {
		index_ds(zg);
		ret = zg_sort_grouped(zg->addrs, zg->addr_count, sizeof(*zg->addrs),
		                      offsetof(struct zg_addr, host), zg->name_count, cmp_addr);
	}
	if (ret != TLD_OK) {
		finish_owner_sort(zg, &os, ret);
		sort_zg = NULL;
		return ret;
	}
	index_addrs(zg);

	for (size_t i = 0; i < zg->name_count; i++) {
		struct zg_name *d = &zg->names[i];
		if (!(d->flags & ZG_DOMAIN)) {
			continue;
		}
		if (d->flags & ZG_HELD) {
			zg->stats.held++;
		} else if (d->ns_count == 0) {
			zg->stats.without_ns++;
		} else {
			d->flags |= ZG_DELEGATED;
			zg->stats.delegated++;
			zg->stats.ns_records += d->ns_count;
			zg->stats.ds_records += d->ds_count;
			for (uint32_t k = 0; k < d->ns_count; k++) {
				zg->names[zg->ns[d->ns_first + k].host].flags |= ZG_NS_USED;
			}
			for (uint32_t k = 0; k < d->ds_count; k++) {
				zg->stats.ds_from_keydata += zg->ds[d->ds_first + k].from_keydata;
			}
		}
	}
	ret = decide_glue(zg);
	/* one pass for the lame NS (which read the hosts' ZG_APEX_DATA only when
	 * not below a delegation) and the occluded apex.records data (dropped
	 * only below one): independent, each in the order of the names */
	for (size_t i = 0; i < zg->name_count && ret == TLD_OK; i++) {
		struct zg_name *n = &zg->names[i];
		ret = find_lame(zg, n);
		if (ret == TLD_OK) {
			ret = drop_occluded(zg, n);
		}
		os.owner[i] = is_owner(zg, n); /* its flags are final here */
	}
	/* no lookups after this point */
	zg->apex_id = zg_lookup(zg, zg->zone, zg->zone_len);
	free(zg->slots);
	zg->slots = NULL;
	/* while the owners are sorted: it reads only ns[] (final after
	 * index_ns()) and the names' text, which the sort only reads too */
	if (ret == TLD_OK) {
		ret = zg_pack_ns_hosts(zg);
	}
	ret = finish_owner_sort(zg, &os, ret);
	sort_zg = NULL;
	return ret;
}
