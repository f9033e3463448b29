/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/sort.h"

/* Problems listed before the rest is only counted. */
#define MAX_LISTED_PROBLEMS 50

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
	free(zone->owners);
	free(zone->owner_off);
	free(zone->nodes);
	free(zone->node_arena);
	free(zone);
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) {
		return TLD_OK;
	}
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need) {
		ncap *= 2;
	}
	void *n = realloc(*buf, ncap * elem);
	if (n == NULL) {
		return TLD_ENOMEM;
	}
	*buf = n;
	*cap = ncap;
	return TLD_OK;
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
		signer_dname_lower(rd + pos);
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
	/* zone files repeat owners back to back: share the previous copy */
	uint32_t id;
	uint8_t tmp[SIGNER_DNAME_MAX];
	memcpy(tmp, owner, ol);
	signer_dname_lower(tmp);
	if (z->nowners > 0 && z->owners_len - z->owner_off[z->nowners - 1] == ol &&
	    memcmp(z->owners + z->owner_off[z->nowners - 1], tmp, ol) == 0) {
		id = (uint32_t)(z->nowners - 1);
	} else {
		if (z->nowners >= UINT32_MAX - 1 ||
		    grow((void **)&z->owners, &z->owners_cap, z->owners_len + ol, 1) != TLD_OK ||
		    grow((void **)&z->owner_off, &z->owner_cap, z->nowners + 1, sizeof(uint64_t)) != TLD_OK) {
			return TLD_ENOMEM;
		}
		memcpy(z->owners + z->owners_len, tmp, ol);
		z->owner_off[z->nowners] = z->owners_len;
		z->owners_len += ol;
		id = (uint32_t)z->nowners++;
	}
	if (grow((void **)&z->rrs, &z->rrs_cap, z->nrrs + 1, sizeof(struct signer_rr)) != TLD_OK ||
	    grow((void **)&z->rdata, &z->rdata_cap, z->rdata_len + rdlen + 1, 1) != TLD_OK) {
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
	rr->rdoff = z->rdata_len;
	z->rdata_len += rdlen;
	return TLD_OK;
}

/* ---- build ---- */

struct name_entry {
	uint64_t key_off;  /* into the key arena */
	const uint8_t *wire;
	uint16_t key_len;
	uint16_t wire_len;
	uint32_t id;       /* owner id, or UINT32_MAX for an empty non-terminal */
};

static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c != 0) {
		return c;
	}
	return (al > bl) - (al < bl);
}

static int name_entry_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct name_entry *a = pa, *b = pb;
	const uint8_t *sort_keys = ctx;
	int c = key_cmp(sort_keys + a->key_off, a->key_len, sort_keys + b->key_off, b->key_len);
	if (c != 0) {
		return c;
	}
	/* real owners before empty non-terminals of the same name */
	return (a->id > b->id) - (a->id < b->id);
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
	return key_cmp(sort_zone->rdata + a->rdoff, a->rdlen, sort_zone->rdata + b->rdoff, b->rdlen);
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

struct entries {
	struct name_entry *ent;
	size_t n, cap;
	uint8_t *keys;
	size_t keys_len, keys_cap;
};

static int add_entry(struct entries *e, const uint8_t *wire, uint32_t id)
{
	uint8_t key[SIGNER_KEY_MAX];
	size_t kl = signer_dname_key(wire, key);
	if (grow((void **)&e->ent, &e->cap, e->n + 1, sizeof(*e->ent)) != TLD_OK ||
	    grow((void **)&e->keys, &e->keys_cap, e->keys_len + kl, 1) != TLD_OK) {
		return TLD_ENOMEM;
	}
	memcpy(e->keys + e->keys_len, key, kl);
	e->ent[e->n++] = (struct name_entry){ e->keys_len, wire, (uint16_t)kl,
	                                      (uint16_t)signer_dname_len(wire, SIGNER_DNAME_MAX), id };
	e->keys_len += kl;
	return TLD_OK;
}

static bool find_entry(const struct entries *e, size_t n, const uint8_t *key, size_t kl)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct name_entry *m = &e->ent[mid];
		int c = key_cmp(e->keys + m->key_off, m->key_len, key, kl);
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

static int make_nodes(struct signer_zone *z, uint32_t **id_to_node)
{
	int ret = TLD_ENOMEM;
	struct entries e = { 0 };
	uint32_t *map = NULL;
	unsigned apex_labels = signer_dname_labels(z->origin);
	size_t bad = 0;

	/* first line of each owner id, for messages */
	uint32_t *first_line = calloc(z->nowners ? z->nowners : 1, sizeof(uint32_t));
	if (first_line == NULL) {
		goto fail;
	}
	for (size_t i = z->nrrs; i-- > 0;) {
		first_line[z->rrs[i].node] = z->rrs[i].line;
	}
	/* pass 1: one entry per owner */
	for (uint32_t id = 0; id < z->nowners; id++) {
		const uint8_t *w = z->owners + z->owner_off[id];
		if (!signer_dname_is_sub(w, z->origin)) {
			char name[1024];
			signer_dname_to_text(w, name, sizeof(name));
			if (++bad <= MAX_LISTED_PROBLEMS) {
				tld_error("%s:%u: %s: out of zone (not below the origin)", z->source,
				          first_line[id], name);
			}
			continue;
		}
		if (add_entry(&e, w, id) != TLD_OK) {
			goto fail;
		}
	}
	if (bad > 0) {
		tld_error("%s: %zu names out of zone", z->source, bad);
		ret = TLD_EZONE;
		goto fail;
	}
	signer_sort(e.ent, e.n, sizeof(*e.ent), name_entry_cmp, e.keys);

	/* pass 2: empty non-terminals: missing ancestors, walking up until one exists */
	size_t nreal = e.n;
	for (size_t i = 0; i < nreal; i++) {
		const uint8_t *w = e.ent[i].wire;
		unsigned labels = signer_dname_labels(w);
		for (unsigned l = labels; l > apex_labels; l--) {
			w += 1 + *w;
			uint8_t key[SIGNER_KEY_MAX];
			size_t kl = signer_dname_key(w, key);
			if (find_entry(&e, nreal, key, kl)) {
				break;
			}
			if (add_entry(&e, w, UINT32_MAX) != TLD_OK) {
				goto fail;
			}
		}
	}
	if (e.n > nreal) {
		signer_sort(e.ent, e.n, sizeof(*e.ent), name_entry_cmp, e.keys);
	}

	map = malloc((z->nowners ? z->nowners : 1) * sizeof(uint32_t));
	size_t nnodes = 0, arena = 0;
	for (size_t i = 0; i < e.n; i++) {
		const struct name_entry *c = &e.ent[i], *p = &e.ent[i - (i > 0)];
		if (i == 0 || key_cmp(e.keys + c->key_off, c->key_len, e.keys + p->key_off, p->key_len) != 0) {
			nnodes++;
			arena += c->key_len + c->wire_len;
		}
	}
	z->nodes = calloc(nnodes ? nnodes : 1, sizeof(struct signer_node));
	z->node_arena = malloc(arena ? arena : 1);
	if (map == NULL || z->nodes == NULL || z->node_arena == NULL) {
		goto fail;
	}
	size_t n = 0;
	arena = 0;
	for (size_t i = 0; i < e.n; i++) {
		const struct name_entry *c = &e.ent[i], *p = &e.ent[i - (i > 0)];
		bool same = i > 0 && key_cmp(e.keys + c->key_off, c->key_len, e.keys + p->key_off, p->key_len) == 0;
		if (!same) {
			struct signer_node *nd = &z->nodes[n++];
			nd->name_off = arena;
			nd->wire_len = c->wire_len;
			nd->key_len = c->key_len;
			memcpy(z->node_arena + arena, c->wire, c->wire_len);
			memcpy(z->node_arena + arena + c->wire_len, e.keys + c->key_off, c->key_len);
			arena += c->wire_len + c->key_len;
			nd->flags = SIGNER_NODE_ENT;
		}
		if (c->id != UINT32_MAX) {
			map[c->id] = (uint32_t)(n - 1);
			z->nodes[n - 1].flags &= ~(uint32_t)SIGNER_NODE_ENT;
		}
	}
	z->nnodes = n;
	z->node_arena_len = arena;
	*id_to_node = map;
	map = NULL;
	ret = TLD_OK;
fail:
	free(first_line);
	free(e.ent);
	free(e.keys);
	free(map);
	return ret;
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
	free(z->owners);
	free(z->owner_off);
	z->owners = NULL;
	z->owner_off = NULL;
	z->nowners = 0;

	signer_sort(z->rrs, z->nrrs, sizeof(*z->rrs), rr_cmp, z);

	/* drop exact duplicates (same owner, type, RDATA) */
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
		int c = key_cmp(signer_node_key(z, n), n->key_len, key, kl);
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
