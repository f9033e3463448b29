/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/grow.h"
#include "signer/rrtype.h"
#include "signer/sort.h"

/* Problems listed before the rest is only counted. */
#define MAX_LISTED_PROBLEMS 50
/* Records out of order at the end of a zone otherwise in order that the build merges in (merge_rr_tail()) */
#define RR_TAIL_MAX 64
/* Threads for the node sort at most */
#define SORT_THREADS_MAX 8

int signer_zone_new(const uint8_t *origin, const char *source, struct signer_zone **out)
{
	size_t len = signer_dname_len(origin, SIGNER_DNAME_MAX);
	if (len == 0) {
		return TLD_EINVAL;
	}
	struct signer_zone *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		return TLD_ENOMEM;
	}
	memcpy(z->origin, origin, len);
	z->origin_len = len;
	signer_dname_lower(z->origin);
	z->source = strdup(source != NULL ? source : "(zone)");
	if (z->source == NULL) {
		free(z);
		return TLD_ENOMEM;
	}
	*out = z;
	return TLD_OK;
}

void signer_zone_free(struct signer_zone *zone)
{
	if (zone == NULL) {
		return;
	}
	free(zone->source);
	free(zone->rrs);
	free(zone->rdata);
	free(zone->nodes);
	free(zone->node_arena);
	free(zone);
}

void signer_zone_reserve(struct signer_zone *z, size_t rrs, size_t rdata_bytes, size_t nodes,
                         size_t name_bytes)
{
	/* each node's arena entry is its wire name and its sort key, as long again at most */
	if (z->built || rrs >= UINT32_MAX || rdata_bytes >= UINT32_MAX || nodes >= UINT32_MAX ||
	    name_bytes >= UINT32_MAX / 2) {
		return;
	}
	(void)signer_grow((void **)&z->rrs, &z->rrs_cap, rrs, sizeof(*z->rrs));
	(void)signer_grow((void **)&z->rdata, &z->rdata_cap, rdata_bytes + 1, 1);
	(void)signer_grow((void **)&z->nodes, &z->nodes_cap, nodes, sizeof(*z->nodes));
	(void)signer_grow((void **)&z->node_arena, &z->node_arena_cap, 2 * name_bytes, 1);
}

/* Lower-cases and checks the names inside RDATA where RFC 4034 6.2 / RFC 6840 5.1 say so. */
static int lower_rdata_names(uint16_t type, uint8_t *rd, size_t len)
{
	size_t skip = 0;
	unsigned names = 0;
	if (!signer_rrtype_rdata_names(type, &skip, &names)) {
		return TLD_OK;
	}
	size_t pos = skip;
	if (type == SIGNER_T_NAPTR) { /* order, preference, then three <character-string>s */
		for (int i = 0; i < 3; i++) {
			if (pos >= len) {
				return TLD_EINVAL;
			}
			pos += 1 + (size_t)rd[pos];
		}
	}
	for (unsigned i = 0; i < names; i++) {
		if (pos >= len) {
			return TLD_EINVAL;
		}
		size_t nl = signer_dname_len(rd + pos, len - pos);
		if (nl == 0) {
			return TLD_EINVAL;
		}
		signer_dname_copy_lower(rd + pos, rd + pos, nl);
		pos += nl;
	}
	if (pos > len || (type != SIGNER_T_SOA && pos != len && names > 0 && type != SIGNER_T_NAPTR &&
	                  type != SIGNER_T_PX && type != SIGNER_T_MINFO && type != SIGNER_T_RP)) {
		return TLD_EINVAL;
	}
	if (type == SIGNER_T_SOA && len - pos != 20) {
		return TLD_EINVAL;
	}
	return TLD_OK;
}

/* Appends a node (wire name + its sort key) to the arenas; id goes into parent. */
static int append_node(struct signer_zone *z, const uint8_t *wire, size_t wl, const uint8_t *key, size_t kl,
                       uint32_t id)
{
	if (z->nnodes >= UINT32_MAX - 1 || z->node_arena_len + wl + kl > UINT32_MAX) {
		return TLD_ERANGE;
	}
	if (signer_grow((void **)&z->node_arena, &z->node_arena_cap, z->node_arena_len + wl + kl, 1) != TLD_OK ||
	    signer_grow((void **)&z->nodes, &z->nodes_cap, z->nnodes + 1, sizeof(*z->nodes)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	memcpy(z->node_arena + z->node_arena_len, wire, wl);
	memcpy(z->node_arena + z->node_arena_len + wl, key, kl);
	z->nodes[z->nnodes++] = (struct signer_node){ .name_off = (uint32_t)z->node_arena_len,
	                                              .wire_len = (uint16_t)wl,
	                                              .key_len = (uint16_t)kl,
	                                              .parent = id };
	z->node_arena_len += wl + kl;
	return TLD_OK;
}

int signer_zone_add(struct signer_zone *z, const uint8_t *owner, uint16_t type, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	if (z->built) {
		return TLD_EINVAL;
	}
	size_t ol = signer_dname_len(owner, SIGNER_DNAME_MAX);
	if (ol == 0) {
		return TLD_EINVAL;
	}
	/* zone files repeat owners back to back: share the previous node.  An
	 * owner byte for byte the previous node's (lower-case) name is that
	 * name lower-cased too: no copy to lower-case then. */
	const struct signer_node *last = z->nnodes > 0 ? &z->nodes[z->nnodes - 1] : NULL;
	bool same = last != NULL && last->wire_len == ol && memcmp(signer_node_wire(z, last), owner, ol) == 0;
	uint8_t tmp[SIGNER_DNAME_MAX];
	if (!same) {
		signer_dname_copy_lower(tmp, owner, ol);
		same = last != NULL && last->wire_len == ol && memcmp(signer_node_wire(z, last), tmp, ol) == 0;
	}
	if (!same) {
		uint8_t key[SIGNER_KEY_MAX];
		size_t kl = signer_dname_key(tmp, key);
		/* still in order (as zonegen gives them): the build need not check these nodes again */
		bool in_order = z->nodes_in_order == z->nnodes &&
		                (last == NULL || signer_key_cmp(signer_node_key(z, last), last->key_len, key, kl) < 0);
		int ret = append_node(z, tmp, ol, key, kl, (uint32_t)z->nnodes);
		if (ret != TLD_OK) {
			return ret;
		}
		if (in_order) {
			z->nodes_in_order = z->nnodes;
		}
	}
	uint32_t id = (uint32_t)(z->nnodes - 1);
	if (z->rdata_len + rdlen > UINT32_MAX) {
		return TLD_ERANGE;
	}
	if (signer_grow((void **)&z->rrs, &z->rrs_cap, z->nrrs + 1, sizeof(struct signer_rr)) != TLD_OK ||
	    signer_grow((void **)&z->rdata, &z->rdata_cap, z->rdata_len + rdlen + 1, 1) != TLD_OK) {
		return TLD_ENOMEM;
	}
	uint8_t *rd = z->rdata + z->rdata_len;
	if (rdlen > 0) {
		memcpy(rd, rdata, rdlen);
	}
	int ret = lower_rdata_names(type, rd, rdlen);
	if (ret != TLD_OK) {
		return ret;
	}
	struct signer_rr *rr = &z->rrs[z->nrrs++];
	rr->node = id;
	rr->type = type;
	rr->rdlen = rdlen;
	rr->ttl = ttl;
	rr->line = line;
	rr->rdoff = (uint32_t)z->rdata_len;
	z->rdata_len += rdlen;
	return TLD_OK;
}

/* Offsets of the appended zone's records, nodes and lines in the whole. */
struct append_fix {
	uint32_t node0, rd0, name0, line0;
};

static void fix_rr(void *e, const struct append_fix *f)
{
	struct signer_rr *rr = e;
	rr->node += f->node0; /* owner ids: node indexes before the build */
	rr->rdoff += f->rd0;
	rr->line += f->line0;
}

static void fix_node(void *e, const struct append_fix *f)
{
	struct signer_node *n = e;
	n->name_off += f->name0;
	n->parent += f->node0; /* the owner id before the build */
}

/* Bytes moved per step of move_back() */
#define APPEND_STEP (4u << 20)

/*
 * Moves n bytes of the array *src to dst, from the end backwards, shrinking
 * *src after each step: its memory is given back as the copy grows, so the
 * two never take twice the room.  fix adjusts each element moved.
 */
static void move_back(uint8_t *dst, void **src, size_t n, size_t elem,
                      void (*fix)(void *e, const struct append_fix *f), const struct append_fix *f)
{
	size_t step = APPEND_STEP / elem * elem;
	while (n > 0) {
		size_t k = n > step ? step : n;
		memcpy(dst + n - k, (uint8_t *)*src + n - k, k);
		for (size_t i = n - k; fix != NULL && i < n; i += elem) {
			fix(dst + i, f);
		}
		n -= k;
		void *shrunk = realloc(*src, n > 0 ? n : 1);
		if (shrunk != NULL) {
			*src = shrunk;
		}
	}
}

/* signer_zone_append() with tail's lines moved by line0. */
static int append(struct signer_zone *z, struct signer_zone *tail, uint32_t line0)
{
	int ret = TLD_OK;
	if (z->built || tail->built) {
		ret = TLD_EINVAL;
	} else if (z->nnodes + tail->nnodes >= UINT32_MAX - 1 || z->nrrs + tail->nrrs >= UINT32_MAX ||
	           z->rdata_len + tail->rdata_len > UINT32_MAX ||
	           z->node_arena_len + tail->node_arena_len > UINT32_MAX) {
		ret = TLD_ERANGE;
	} else if (signer_grow((void **)&z->rrs, &z->rrs_cap, z->nrrs + tail->nrrs, sizeof(*z->rrs)) != TLD_OK ||
	           signer_grow((void **)&z->rdata, &z->rdata_cap, z->rdata_len + tail->rdata_len + 1, 1) != TLD_OK ||
	           signer_grow((void **)&z->nodes, &z->nodes_cap, z->nnodes + tail->nnodes, sizeof(*z->nodes)) != TLD_OK ||
	           signer_grow((void **)&z->node_arena, &z->node_arena_cap, z->node_arena_len + tail->node_arena_len, 1) !=
	                   TLD_OK) {
		ret = TLD_ENOMEM;
	}
	if (ret != TLD_OK) {
		signer_zone_free(tail);
		return ret;
	}
	/* all of z's nodes in order and the tail's first after z's last: the tail's nodes in order stay so */
	size_t in_order = z->nodes_in_order;
	if (z->nodes_in_order == z->nnodes && tail->nodes_in_order > 0 &&
	    (z->nnodes == 0 || signer_key_cmp(signer_node_key(z, &z->nodes[z->nnodes - 1]), z->nodes[z->nnodes - 1].key_len,
	                                      signer_node_key(tail, &tail->nodes[0]), tail->nodes[0].key_len) < 0)) {
		in_order = z->nnodes + tail->nodes_in_order;
	}
	struct append_fix fix = { (uint32_t)z->nnodes, (uint32_t)z->rdata_len, (uint32_t)z->node_arena_len, line0 };
	move_back((uint8_t *)(z->rrs + z->nrrs), (void **)&tail->rrs, tail->nrrs * sizeof(*z->rrs), sizeof(*z->rrs),
	          fix_rr, &fix);
	move_back((uint8_t *)(z->nodes + z->nnodes), (void **)&tail->nodes, tail->nnodes * sizeof(*z->nodes),
	          sizeof(*z->nodes), fix_node, &fix);
	move_back(z->rdata + z->rdata_len, (void **)&tail->rdata, tail->rdata_len, 1, NULL, NULL);
	move_back(z->node_arena + z->node_arena_len, (void **)&tail->node_arena, tail->node_arena_len, 1, NULL, NULL);
	z->nrrs += tail->nrrs;
	z->nnodes += tail->nnodes;
	z->rdata_len += tail->rdata_len;
	z->node_arena_len += tail->node_arena_len;
	z->nodes_in_order = in_order;
	signer_zone_free(tail);
	return TLD_OK;
}

int signer_zone_append(struct signer_zone *z, struct signer_zone *tail)
{
	return append(z, tail, 0);
}

int signer_zone_append_lines(struct signer_zone *z, struct signer_zone *tail, uint32_t line0)
{
	return append(z, tail, line0);
}

/* ---- build ---- */

/* Canonical order; real owners (by id) before empty non-terminals (id UINT32_MAX) of the same name. */
static int node_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct signer_node *a = pa, *b = pb;
	const struct signer_zone *sort_zone = ctx;
	int c = signer_key_cmp(signer_node_key(sort_zone, a), a->key_len, signer_node_key(sort_zone, b), b->key_len);
	if (c != 0) {
		return c;
	}
	return (a->parent > b->parent) - (a->parent < b->parent);
}

static int rr_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct signer_rr *a = pa, *b = pb;
	const struct signer_zone *sort_zone = ctx;
	if (a->node != b->node) {
		return a->node < b->node ? -1 : 1;
	}
	if (a->type != b->type) {
		return a->type < b->type ? -1 : 1;
	}
	/* RFC 4034 6.3: canonical RDATA order, shorter first on a common prefix */
	return signer_key_cmp(sort_zone->rdata + a->rdoff, a->rdlen, sort_zone->rdata + b->rdoff, b->rdlen);
}

static void problem(const struct signer_zone *z, size_t *count, const struct signer_node *n,
                    const struct signer_rr *rr, uint16_t type, const char *why)
{
	if (++*count > MAX_LISTED_PROBLEMS) {
		return;
	}
	char name[1024], tname[32];
	signer_dname_to_text(signer_node_wire(z, n), name, sizeof(name));
	tld_error("%s:%u: %s %s: %s", z->source, rr != NULL ? rr->line : 0, name,
	          signer_type_name(type, tname, sizeof(tname)), why);
}

static unsigned sort_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > SORT_THREADS_MAX ? SORT_THREADS_MAX : (unsigned)n;
}

/*
 * Sorts the nodes appended after the sorted [0, nsorted) (the empty
 * non-terminals) and merges them in: O(n + m log m) instead of sorting all
 * again.  Only the appended ones are copied aside.
 */
static int merge_appended(struct signer_zone *z, size_t nsorted)
{
	size_t m = z->nnodes - nsorted;
	signer_sort(z->nodes + nsorted, m, sizeof(*z->nodes), node_cmp, z);
	struct signer_node *tail = malloc(m * sizeof(*tail));
	if (tail == NULL) {
		return TLD_ENOMEM;
	}
	memcpy(tail, z->nodes + nsorted, m * sizeof(*tail));
	/* from the back: the larger of the two last ones goes to the end */
	size_t a = nsorted, b = m, out = z->nnodes;
	while (b > 0) {
		if (a > 0 && node_cmp(&z->nodes[a - 1], &tail[b - 1], z) > 0) {
			z->nodes[--out] = z->nodes[--a];
		} else {
			z->nodes[--out] = tail[--b];
		}
	}
	free(tail);
	return TLD_OK;
}

/* Whether a sort key is among the sorted nodes [0, n). */
static bool find_key(const struct signer_zone *z, size_t n, const uint8_t *key, size_t kl)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct signer_node *m = &z->nodes[mid];
		int c = signer_key_cmp(signer_node_key(z, m), m->key_len, key, kl);
		if (c == 0) {
			return true;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return false;
}

/* First source line of the records of an owner id (for messages only). */
static uint32_t first_line_of(const struct signer_zone *z, uint32_t id)
{
	for (size_t i = 0; i < z->nrrs; i++) {
		if (z->rrs[i].node == id) {
			return z->rrs[i].line;
		}
	}
	return 0;
}

/*
 * Turns the owners (nodes as added, parent = owner id) into the sorted node
 * array in place: out-of-zone check, sort, empty non-terminals appended and
 * sorted in, duplicates merged.  *id_to_node maps owner ids to nodes.
 */
static int make_nodes(struct signer_zone *z, uint32_t **id_to_node)
{
	unsigned apex_labels = signer_dname_labels(z->origin);
	size_t nowners = z->nnodes, bad = 0;

	for (size_t id = 0; id < nowners; id++) {
		const uint8_t *w = signer_node_wire(z, &z->nodes[id]);
		if (!signer_dname_is_sub(w, z->origin)) {
			char name[1024];
			signer_dname_to_text(w, name, sizeof(name));
			if (++bad <= MAX_LISTED_PROBLEMS) {
				tld_error("%s:%u: %s: out of zone (not below the origin)", z->source,
				          first_line_of(z, (uint32_t)id), name);
			}
		}
	}
	if (bad > 0) {
		tld_error("%s: %zu names out of zone", z->source, bad);
		return TLD_EZONE;
	}
	uint32_t *map = malloc((nowners ? nowners : 1) * sizeof(uint32_t));
	if (map == NULL) {
		return TLD_ENOMEM;
	}
	/*
	 * A zone file in canonical order (zonegen's) gives the owners in order
	 * but for the apex records the signer adds at the end (DNSKEY, CDS,
	 * NSEC3PARAM): a short unsorted tail is sorted alone and merged in.
	 */
	size_t in_order = z->nodes_in_order > 1 ? z->nodes_in_order : 1; /* signer_zone_add(), _append() compared these */
	while (in_order < nowners && node_cmp(&z->nodes[in_order - 1], &z->nodes[in_order], z) < 0) {
		in_order++;
	}
	if (in_order < nowners && nowners - in_order <= nowners / 8) {
		int ret = merge_appended(z, in_order);
		if (ret != TLD_OK) {
			free(map);
			return ret;
		}
	} else if (in_order < nowners) {
		signer_sort_parallel(z->nodes, nowners, sizeof(*z->nodes), node_cmp, z, sort_threads());
	}

	/* empty non-terminals: missing ancestors, walking up until one exists */
	uint8_t last_ent[SIGNER_KEY_MAX]; /* the lowest one the previous owner added */
	size_t last_ent_len = 0;
	uint8_t apex_key[SIGNER_KEY_MAX];
	size_t apex_key_len = signer_dname_key(z->origin, apex_key);
	bool have_apex = find_key(z, nowners, apex_key, apex_key_len); /* then most parents need no search */
	for (size_t i = 0; i < nowners; i++) {
		bool first = true;
		uint8_t wire[SIGNER_DNAME_MAX];
		memcpy(wire, signer_node_wire(z, &z->nodes[i]), z->nodes[i].wire_len); /* the arena may move */
		const uint8_t *w = wire;
		unsigned labels = signer_dname_labels(w);
		for (unsigned l = labels; l > apex_labels; l--) {
			w += 1 + *w;
			if (l == apex_labels + 1 && have_apex) {
				break;
			}
			uint8_t key[SIGNER_KEY_MAX];
			size_t kl = signer_dname_key(w, key);
			if (find_key(z, nowners, key, kl) || (kl == last_ent_len && memcmp(key, last_ent, kl) == 0)) {
				break; /* exists, or added with its ancestors already */
			}
			int ret = append_node(z, w, signer_dname_len(w, SIGNER_DNAME_MAX), key, kl, UINT32_MAX);
			if (ret != TLD_OK) {
				free(map);
				return ret;
			}
			if (first) {
				memcpy(last_ent, key, kl);
				last_ent_len = kl;
				first = false;
			}
		}
	}
	if (z->nnodes > nowners) {
		int ret = merge_appended(z, nowners);
		if (ret != TLD_OK) {
			free(map);
			return ret;
		}
	}

	/* merge nodes of one name (an owner seen twice, ENTs added twice) */
	size_t n = 0;
	for (size_t i = 0; i < z->nnodes; i++) {
		struct signer_node c = z->nodes[i];
		const struct signer_node *p = n > 0 ? &z->nodes[n - 1] : NULL;
		if (p == NULL || signer_key_cmp(signer_node_key(z, p), p->key_len, signer_node_key(z, &c), c.key_len) != 0) {
			uint32_t id = c.parent;
			c.rr_first = 0;
			c.rr_count = 0;
			c.flags = SIGNER_NODE_ENT;
			z->nodes[n++] = c;
			c.parent = id;
		}
		if (c.parent != UINT32_MAX) {
			map[c.parent] = (uint32_t)(n - 1);
			z->nodes[n - 1].flags &= ~(uint32_t)SIGNER_NODE_ENT;
		}
	}
	z->nnodes = n;
	struct signer_node *shrunk = realloc(z->nodes, (n ? n : 1) * sizeof(*z->nodes));
	if (shrunk != NULL) {
		z->nodes = shrunk;
		z->nodes_cap = n ? n : 1;
	}
	*id_to_node = map;
	return TLD_OK;
}

/* Whether a node's records are in order already (as zonegen gives them): then they need no sort. */
static bool rrs_in_order(const struct signer_zone *z, const struct signer_rr *rrs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (rr_cmp(&rrs[i - 1], &rrs[i], (void *)z) > 0) {
			return false;
		}
	}
	return true;
}

/* Whether rrs[0, n) holds two records equal in rr_cmp(); n <= RR_TAIL_MAX.  Sorts a copy. */
static bool has_tie(const struct signer_zone *z, const struct signer_rr *rrs, size_t n)
{
	struct signer_rr copy[RR_TAIL_MAX];
	memcpy(copy, rrs, n * sizeof(*copy));
	signer_sort(copy, n, sizeof(*copy), rr_cmp, (void *)z);
	for (size_t i = 1; i < n; i++) {
		if (rr_cmp(&copy[i - 1], &copy[i], (void *)z) == 0) {
			return true;
		}
	}
	return false;
}

/* Whether the run rrs[r0, r1) (one node's) holds a record equal to x; sorted: the run is in rr_cmp() order. */
static bool run_holds(const struct signer_zone *z, size_t r0, size_t r1, bool sorted, const struct signer_rr *x)
{
	const struct signer_rr *rrs = z->rrs;
	while (sorted && r0 < r1) {
		size_t mid = r0 + (r1 - r0) / 2;
		int c = rr_cmp(&rrs[mid], x, (void *)z);
		if (c == 0) {
			return true;
		}
		if (c < 0) {
			r0 = mid + 1;
		} else {
			r1 = mid;
		}
	}
	for (size_t i = r0; !sorted && i < r1; i++) {
		if (rr_cmp(&rrs[i], x, (void *)z) == 0) {
			return true;
		}
	}
	return false;
}

/* The end of node k's records among rrs[0, m), whose nodes do not decrease. */
static size_t run_end(const struct signer_rr *rrs, size_t m, uint32_t k)
{
	size_t lo = 0, hi = m;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rrs[mid].node <= k) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * The records in node order but for a short tail (zonegen's records, then
 * the DNSKEY, CDS, CDNSKEY and NSEC3PARAM records the signer adds at the
 * apex): the tail moved in (the records before it moved up once, in
 * stretches) and the records of the nodes not in rr_cmp() order yet sorted,
 * instead of the bucket placement and the check of every node.  Only when no
 * two records of the zone compare equal in rr_cmp() (same node, type and
 * RDATA): then the order sorted by rr_cmp() is the only one, and it is the
 * order the placement and the sort of each node's records give too -- the
 * same records in the same places.  Checked before anything moves: each
 * node's records before the tail strictly increasing in rr_cmp() (or at most
 * RR_TAIL_MAX of them, without two equal; at most RR_TAIL_MAX such nodes),
 * the tail's records distinct from each other and from those of their node
 * before the tail.  false: nothing moved (tail too long, ties, ...).
 * Merged, the zone has no duplicates to drop and each node's rr_first and
 * rr_count from sort_rrs() are final: the build skips drop_duplicates().
 */
static bool merge_rr_tail(struct signer_zone *z)
{
	struct signer_rr *rrs = z->rrs;
	size_t n = z->nrrs, m = 1;
	while (m < n && rrs[m - 1].node <= rrs[m].node) {
		m++;
	}
	size_t t = n > m ? n - m : 0, nunsorted = 0;
	uint32_t unsorted[RR_TAIL_MAX]; /* nodes whose records before the tail are not in order */
	if (n == 0 || t > RR_TAIL_MAX) {
		return false;
	}
	for (size_t r0 = 0, r1; r0 < m; r0 = r1) {
		bool sorted = true;
		for (r1 = r0 + 1; r1 < m && rrs[r1].node == rrs[r0].node; r1++) {
			sorted = sorted && rr_cmp(&rrs[r1 - 1], &rrs[r1], z) < 0;
		}
		if (!sorted && (nunsorted == RR_TAIL_MAX || r1 - r0 > RR_TAIL_MAX || has_tie(z, rrs + r0, r1 - r0))) {
			return false;
		}
		if (!sorted) {
			unsorted[nunsorted++] = rrs[r0].node;
		}
	}
	struct signer_rr tail[RR_TAIL_MAX];
	size_t at[RR_TAIL_MAX]; /* where tail[b] goes among the records before the tail: after its node's */
	memcpy(tail, rrs + m, t * sizeof(*tail));
	if (t > 1 && has_tie(z, tail, t)) {
		return false;
	}
	signer_sort(tail, t, sizeof(*tail), rr_cmp, z);
	for (size_t b = 0; b < t; b++) {
		uint32_t k = tail[b].node;
		at[b] = run_end(rrs, m, k);
		bool sorted = true;
		for (size_t u = 0; u < nunsorted; u++) {
			sorted = sorted && unsorted[u] != k;
		}
		size_t r0 = at[b];
		while (r0 > 0 && rrs[r0 - 1].node == k) {
			r0--;
		}
		if (run_holds(z, r0, at[b], sorted, &tail[b])) {
			return false;
		}
	}
	size_t a = m; /* records [0, a) not moved yet */
	for (size_t b = t; b-- > 0;) {
		memmove(rrs + at[b] + b + 1, rrs + at[b], (a - at[b]) * sizeof(*rrs));
		rrs[at[b] + b] = tail[b];
		a = at[b];
	}
	for (size_t u = 0; u < nunsorted + t; u++) {
		const struct signer_node *nd = &z->nodes[u < nunsorted ? unsorted[u] : tail[u - nunsorted].node];
		if (!rrs_in_order(z, rrs + nd->rr_first, nd->rr_count)) {
			signer_sort(rrs + nd->rr_first, nd->rr_count, sizeof(*rrs), rr_cmp, z);
		}
	}
	return true;
}

/*
 * Records into node order by bucket placement (each record moves once:
 * O(n), no extra memory: rr_first/rr_count/parent of the nodes serve as
 * bucket start, size and fill pointer), then each node's few records by
 * type and canonical RDATA; or, the records being in that order already but
 * for a short tail, by merge_rr_tail().
 */
static void sort_rrs(struct signer_zone *z)
{
	struct signer_node *nodes = z->nodes;
	struct signer_rr *rrs = z->rrs;
	for (size_t k = 0; k < z->nnodes; k++) {
		nodes[k].rr_count = 0;
	}
	for (size_t i = 0; i < z->nrrs; i++) {
		nodes[rrs[i].node].rr_count++;
	}
	uint32_t at = 0;
	for (size_t k = 0; k < z->nnodes; k++) {
		nodes[k].rr_first = at;
		nodes[k].parent = at; /* next free place in the bucket */
		at += nodes[k].rr_count;
	}
	const char *env = getenv("TLDSIGN_BUILD_RR_MERGE"); /* "0": always the placement (tests) */
	z->rrs_merged = (env == NULL || strcmp(env, "0") != 0) && merge_rr_tail(z);
	if (z->rrs_merged) {
		for (size_t k = 0; k < z->nnodes; k++) {
			nodes[k].parent = nodes[k].rr_first + nodes[k].rr_count; /* as the placement leaves it */
		}
		return;
	}
	for (size_t k = 0; k < z->nnodes; k++) {
		uint32_t end = nodes[k].rr_first + nodes[k].rr_count;
		while (nodes[k].parent < end) {
			uint32_t d = rrs[nodes[k].parent].node;
			if (d == k) {
				nodes[k].parent++;
				continue;
			}
			struct signer_rr tmp = rrs[nodes[d].parent];
			rrs[nodes[d].parent++] = rrs[nodes[k].parent];
			rrs[nodes[k].parent] = tmp;
		}
	}
	for (size_t k = 0; k < z->nnodes; k++) {
		if (nodes[k].rr_count > 1 && !rrs_in_order(z, rrs + nodes[k].rr_first, nodes[k].rr_count)) {
			signer_sort(rrs + nodes[k].rr_first, nodes[k].rr_count, sizeof(*rrs), rr_cmp, z);
		}
	}
}

/* Drops exact duplicates (same owner, type, RDATA; sorted records) and counts each node's records again. */
static void drop_duplicates(struct signer_zone *z)
{
	for (size_t i = 0; i < z->nnodes; i++) {
		z->nodes[i].rr_count = 0; /* counted again below, without duplicates */
	}
	size_t w = 0, dups = 0;
	for (size_t i = 0; i < z->nrrs; i++) {
		if (w > 0 && z->rrs[w - 1].node == z->rrs[i].node && z->rrs[w - 1].type == z->rrs[i].type &&
		    z->rrs[w - 1].rdlen == z->rrs[i].rdlen &&
		    memcmp(z->rdata + z->rrs[w - 1].rdoff, z->rdata + z->rrs[i].rdoff, z->rrs[i].rdlen) == 0) {
			dups++;
			continue;
		}
		z->rrs[w++] = z->rrs[i];
	}
	if (dups > 0) {
		tld_notice("%s: %zu duplicate records dropped", z->source, dups);
	}
	z->nrrs = w;
	for (size_t i = 0; i < z->nrrs; i++) {
		struct signer_node *n = &z->nodes[z->rrs[i].node];
		if (n->rr_count == 0) {
			n->rr_first = (uint32_t)i;
		}
		n->rr_count++;
	}
}

/* parent links: ancestors precede descendants and all exist */
static void link_parents(struct signer_zone *z)
{
	uint32_t stack[130];
	unsigned apex_labels = signer_dname_labels(z->origin);
	for (size_t i = 0; i < z->nnodes; i++) {
		struct signer_node *n = &z->nodes[i];
		unsigned l = signer_dname_labels(signer_node_wire(z, n)) - apex_labels;
		stack[l] = (uint32_t)i;
		n->parent = l == 0 ? UINT32_MAX : stack[l - 1];
	}
}

static size_t check_node(struct signer_zone *z, uint32_t idx, size_t problems)
{
	struct signer_node *n = &z->nodes[idx];
	const struct signer_rr *rrs = z->rrs + n->rr_first;
	size_t soa = 0, cname = 0, dname = 0, other = 0;
	bool ns = false;
	for (uint32_t i = 0; i < n->rr_count; i++) {
		const struct signer_rr *rr = &rrs[i];
		switch (rr->type) {
		case SIGNER_T_SOA:
			soa++;
			if (!(n->flags & SIGNER_NODE_APEX)) {
				problem(z, &problems, n, rr, rr->type, "SOA away from the zone apex");
			} else if (soa == 2) {
				problem(z, &problems, n, rr, rr->type, "second SOA record");
			} else {
				z->soa_rr = n->rr_first + i;
			}
			break;
		case SIGNER_T_CNAME:
			if (++cname == 2) {
				problem(z, &problems, n, rr, rr->type, "second CNAME record at one name");
			}
			break;
		case SIGNER_T_DNAME:
			if (++dname == 2) {
				problem(z, &problems, n, rr, rr->type, "second DNAME record at one name");
			}
			other++;
			break;
		case SIGNER_T_NS:
			ns = true;
			other++;
			break;
		case SIGNER_T_DS:
			if (n->flags & SIGNER_NODE_APEX) {
				problem(z, &problems, n, rr, rr->type, "DS at the zone apex (it belongs in the parent)");
			}
			other++;
			break;
		default:
			other++;
			break;
		}
		if (i > 0 && rrs[i - 1].type == rr->type && rrs[i - 1].ttl != rr->ttl) {
			problem(z, &problems, n, rr, rr->type, "records of one RRset with different TTLs");
		}
		if (rr->type == SIGNER_T_SOA || rr->type == SIGNER_T_CNAME) {
			if (rr->rdlen == 0) {
				problem(z, &problems, n, rr, rr->type, "empty RDATA");
			}
		}
	}
	if (cname > 0 && other > 0) {
		problem(z, &problems, n, rrs, SIGNER_T_CNAME, "CNAME beside other data");
	}
	if (n->flags & SIGNER_NODE_APEX) {
		if (soa == 0) {
			problem(z, &problems, n, rrs, SIGNER_T_SOA, "no SOA record at the zone apex");
		}
		if (!ns) {
			problem(z, &problems, n, rrs, SIGNER_T_NS, "no NS RRset at the zone apex");
		}
		if (cname > 0) {
			problem(z, &problems, n, rrs, SIGNER_T_CNAME, "CNAME at the zone apex");
		}
	} else if (!(n->flags & SIGNER_NODE_OCCLUDED)) {
		bool ds = signer_node_has_type(z, n, SIGNER_T_DS);
		if (ds && !ns) {
			problem(z, &problems, n, rrs, SIGNER_T_DS, "DS without NS: not a delegation");
		}
	}
	return problems;
}

int signer_zone_build(struct signer_zone *z)
{
	uint32_t *map = NULL;
	if (z->built) {
		return TLD_EINVAL;
	}
	if (z->nrrs == 0) {
		tld_error("%s: no records", z->source);
		return TLD_EZONE;
	}
	int ret = make_nodes(z, &map);
	if (ret != TLD_OK) {
		return ret;
	}
	for (size_t i = 0; i < z->nrrs; i++) {
		z->rrs[i].node = map[z->rrs[i].node];
	}
	free(map);

	sort_rrs(z);
	if (!z->rrs_merged) { /* merged: no two records equal, the nodes' ranges already right */
		drop_duplicates(z);
	}
	link_parents(z);

	/* the one flagging pass: parents come before children */
	size_t problems = 0;
	z->soa_rr = UINT32_MAX;
	for (size_t i = 0; i < z->nnodes; i++) {
		struct signer_node *n = &z->nodes[i];
		const uint8_t *wire = signer_node_wire(z, n);
		if (i == 0) {
			n->flags |= SIGNER_NODE_APEX;
		} else {
			const struct signer_node *p = &z->nodes[n->parent];
			if (p->flags & (SIGNER_NODE_OCCLUDED | SIGNER_NODE_DELEG)) {
				n->flags |= SIGNER_NODE_OCCLUDED;
			}
			if (p->flags & SIGNER_NODE_DNAME) {
				n->flags |= SIGNER_NODE_DNAME | SIGNER_NODE_OCCLUDED; /* data below a DNAME */
				if (n->rr_count > 0) {
					problem(z, &problems, n, &z->rrs[n->rr_first], z->rrs[n->rr_first].type,
					        "data below a DNAME");
				}
			}
			if (signer_node_has_type(z, n, SIGNER_T_NS)) {
				n->flags |= SIGNER_NODE_DELEG;
				if (signer_node_has_type(z, n, SIGNER_T_DS)) {
					n->flags |= SIGNER_NODE_SECURE;
				}
			}
		}
		if (signer_node_has_type(z, n, SIGNER_T_DNAME)) {
			n->flags |= SIGNER_NODE_DNAME;
		}
		if (signer_dname_is_wildcard(wire)) {
			n->flags |= SIGNER_NODE_WILDCARD;
		}
		problems = check_node(z, (uint32_t)i, problems);
	}
	if (z->nnodes == 0 || z->soa_rr == UINT32_MAX) {
		if (z->nnodes == 0) {
			tld_error("%s: no records", z->source);
		}
		problems += z->nnodes == 0;
	}
	if (problems > MAX_LISTED_PROBLEMS) {
		tld_error("%s: %zu more problems not listed", z->source, problems - MAX_LISTED_PROBLEMS);
	}
	z->built = true;
	return problems > 0 ? TLD_EZONE : TLD_OK;
}

uint32_t signer_zone_find(const struct signer_zone *z, const uint8_t *wire)
{
	uint8_t key[SIGNER_KEY_MAX];
	size_t kl = signer_dname_key(wire, key);
	size_t lo = 0, hi = z->nnodes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct signer_node *n = &z->nodes[mid];
		int c = signer_key_cmp(signer_node_key(z, n), n->key_len, key, kl);
		if (c == 0) {
			return (uint32_t)mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return UINT32_MAX;
}

bool signer_node_has_type(const struct signer_zone *z, const struct signer_node *n, uint16_t type)
{
	for (uint32_t i = 0; i < n->rr_count; i++) {
		uint16_t t = z->rrs[n->rr_first + i].type;
		if (t == type) {
			return true;
		}
		if (t > type) {
			return false;
		}
	}
	return false;
}

const char *signer_type_name(uint16_t type, char *buf, size_t size)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d != NULL && d->_name != NULL && type != 0) {
		snprintf(buf, size, "%s", d->_name);
	} else {
		snprintf(buf, size, "TYPE%u", type);
	}
	return buf;
}
