/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The verifier's own zone index: every record read with ldns's parser, sorted
 * by canonical owner key, grouped into names, empty non-terminals inserted,
 * and one pass that flags apex, delegations, glue and what needs denial.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "verify/internal.h"

#define KEY_BLOCK_SIZE (1u << 20)

struct key_arena {
	struct vfy_zone *z;
	uint8_t *block;
	size_t used;
	size_t cap_blocks;
};

static uint8_t *arena_copy(struct key_arena *a, const uint8_t *key, size_t klen)
{
	if (a->block == NULL || a->used + klen > KEY_BLOCK_SIZE) {
		struct vfy_zone *z = a->z;
		if (z->n_key_blocks == a->cap_blocks) {
			size_t cap = a->cap_blocks ? a->cap_blocks * 2 : 16;
			uint8_t **b = realloc(z->key_blocks, cap * sizeof(*b));
			if (b == NULL) {
				return NULL;
			}
			z->key_blocks = b;
			a->cap_blocks = cap;
		}
		a->block = malloc(KEY_BLOCK_SIZE);
		if (a->block == NULL) {
			return NULL;
		}
		z->key_blocks[z->n_key_blocks++] = a->block;
		a->used = 0;
	}
	uint8_t *p = a->block + a->used;
	memcpy(p, key, klen);
	a->used += klen;
	return p;
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct vfy_rec *a = pa, *b = pb;
	int c = a->key == b->key ? 0 : vfy_key_cmp(a->key, a->klen, b->key, b->klen);
	if (c != 0) {
		return c;
	}
	if (a->type != b->type) {
		return a->type < b->type ? -1 : 1;
	}
	if (a->is_sig != b->is_sig) {
		return a->is_sig < b->is_sig ? -1 : 1;
	}
	return a->line < b->line ? -1 : a->line > b->line;
}

/* Fewest RDATA fields the checks read for each type they look into. */
static size_t min_rdata_fields(ldns_rr_type type)
{
	switch (type) {
	case LDNS_RR_TYPE_SOA: return 7;
	case LDNS_RR_TYPE_RRSIG: return 9;
	case LDNS_RR_TYPE_DNSKEY: return 4;
	case LDNS_RR_TYPE_DS: return 4;
	case LDNS_RR_TYPE_NSEC3: return 5;
	case LDNS_RR_TYPE_NSEC3PARAM: return 4;
	case LDNS_RR_TYPE_NSEC: return 1;
	default: return 0;
	}
}

static int add_record(struct vfy_zone *z, struct key_arena *arena, size_t *cap, ldns_rr *rr,
                      int line)
{
	if (ldns_rr_rd_count(rr) < min_rdata_fields(ldns_rr_get_type(rr))) {
		tld_error("%s:%d: malformed RDATA for its type", z->path, line);
		return TLD_EPARSE;
	}
	size_t checked = min_rdata_fields(ldns_rr_get_type(rr));
	for (size_t i = 0; i < checked; i++) {
		if (ldns_rr_rdf(rr, i) == NULL || ldns_rdf_size(ldns_rr_rdf(rr, i)) == 0) {
			tld_error("%s:%d: malformed RDATA (empty field)", z->path, line);
			return TLD_EPARSE;
		}
	}
	uint8_t wire[VFY_NAME_MAX + 1];
	uint8_t key[VFY_NAME_MAX];
	size_t klen = 0;
	const ldns_rdf *owner = ldns_rr_owner(rr);

	if (ldns_rdf_size(owner) > sizeof(wire) ||
	    vfy_name_key(ldns_rdf_data(owner), ldns_rdf_size(owner), key, &klen) != TLD_OK) {
		tld_error("%s:%d: unsupported owner name", z->path, line);
		return TLD_EPARSE;
	}
	if (z->n_recs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 65536;
		struct vfy_rec *r = realloc(z->recs, ncap * sizeof(*r));
		if (r == NULL) {
			return TLD_ENOMEM;
		}
		z->recs = r;
		*cap = ncap;
	}
	struct vfy_rec *rec = &z->recs[z->n_recs];
	struct vfy_rec *prev = z->n_recs ? &z->recs[z->n_recs - 1] : NULL;
	if (prev != NULL && prev->klen == klen && memcmp(prev->key, key, klen) == 0) {
		rec->key = prev->key;
	} else {
		rec->key = arena_copy(arena, key, klen);
		if (rec->key == NULL) {
			return TLD_ENOMEM;
		}
	}
	rec->klen = (uint16_t)klen;
	rec->rr = rr;
	rec->line = (uint32_t)line;
	rec->is_sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
	rec->type = (uint16_t)ldns_rr_get_type(rr);
	if (rec->is_sig) {
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(rr);
		if (covered == NULL || ldns_rdf_size(covered) != 2) {
			tld_error("%s:%d: RRSIG without a type covered", z->path, line);
			return TLD_EPARSE;
		}
		rec->type = ldns_rdf2native_int16(covered);
	}
	z->n_recs++;
	return TLD_OK;
}

static int read_records(struct vfy_zone *z, FILE *fp)
{
	struct key_arena arena = { .z = z };
	size_t cap = 0;
	uint32_t default_ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 1;
	int ret = TLD_OK;

	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		int start_line = line;
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &default_ttl, &origin, &prev, &line);
		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN) {
			continue;
		}
		if (s != LDNS_STATUS_OK) {
			if (feof(fp) && s == LDNS_STATUS_SYNTAX_ERR && rr == NULL) {
				/* ldns reports a trailing comment/blank as an error at EOF */
				break;
			}
			tld_error("%s:%d: %s", z->path, start_line, ldns_get_errorstr_by_id(s));
			ret = TLD_EPARSE;
			goto fail;
		}
		ret = add_record(z, &arena, &cap, rr, start_line);
		if (ret != TLD_OK) {
			ldns_rr_free(rr);
			goto fail;
		}
	}
fail:
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return ret;
}

static int find_apex(struct vfy_zone *z)
{
	size_t soa = (size_t)-1;

	for (size_t i = 0; i < z->n_recs; i++) {
		if (z->recs[i].type == LDNS_RR_TYPE_SOA && !z->recs[i].is_sig) {
			if (soa != (size_t)-1) {
				tld_error("%s:%u: a second SOA record (the first is on line %u)",
				          z->path, z->recs[i].line, z->recs[soa].line);
				return TLD_EZONE;
			}
			soa = i;
		}
	}
	if (soa == (size_t)-1) {
		tld_error("%s: no SOA record", z->path);
		return TLD_EZONE;
	}
	z->soa = z->recs[soa].rr;
	z->apex_klen = z->recs[soa].klen;
	memcpy(z->apex_key, z->recs[soa].key, z->apex_klen);
	z->apex_wlen = vfy_key_to_wire(z->apex_key, z->apex_klen, z->apex_wire);
	return TLD_OK;
}

static int push_name(struct vfy_name **names, size_t *n, size_t *cap, const struct vfy_name *v)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 65536;
		struct vfy_name *p = realloc(*names, ncap * sizeof(*p));
		if (p == NULL) {
			return TLD_ENOMEM;
		}
		*names = p;
		*cap = ncap;
	}
	(*names)[(*n)++] = *v;
	return TLD_OK;
}

/* Length of the longest common ancestor (label boundary) of two keys. */
static size_t common_ancestor_len(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	size_t last = 0;
	for (size_t i = 0; i < m && a[i] == b[i]; i++) {
		if (a[i] == 0) {
			last = i + 1;
		}
	}
	return last;
}

static int build_names(struct vfy_zone *z)
{
	struct vfy_name *names = NULL;
	size_t n = 0, cap = 0;
	size_t ent_stack[128];
	size_t n_ent = 0;
	const uint8_t *cut = NULL, *prev = NULL;
	size_t cut_len = 0, prev_len = 0;
	bool have_apex = false;
	int ret;

	for (size_t i = 0; i < z->n_recs;) {
		size_t j = i;
		bool has_ns = false, has_ds = false, denial_only = true;
		while (j < z->n_recs && z->recs[j].key == z->recs[i].key) {
			const struct vfy_rec *r = &z->recs[j];
			has_ns |= r->type == LDNS_RR_TYPE_NS && !r->is_sig;
			has_ds |= r->type == LDNS_RR_TYPE_DS && !r->is_sig;
			denial_only &= r->type == LDNS_RR_TYPE_NSEC3;
			j++;
		}
		/* records sort by key bytes: equal keys in different arena copies */
		while (j < z->n_recs && z->recs[j].klen == z->recs[i].klen &&
		       memcmp(z->recs[j].key, z->recs[i].key, z->recs[i].klen) == 0) {
			z->recs[j].key = z->recs[i].key;
			const struct vfy_rec *r = &z->recs[j];
			has_ns |= r->type == LDNS_RR_TYPE_NS && !r->is_sig;
			has_ds |= r->type == LDNS_RR_TYPE_DS && !r->is_sig;
			denial_only &= r->type == LDNS_RR_TYPE_NSEC3;
			j++;
		}
		struct vfy_name v = {
			.first = i, .count = (uint32_t)(j - i),
			.key = z->recs[i].key, .klen = z->recs[i].klen,
		};
		const uint8_t *key = v.key;
		size_t klen = v.klen;
		i = j;

		if (!vfy_key_is_prefix(z->apex_key, z->apex_klen, key, klen)) {
			v.flags = VFY_OUTSIDE;
			if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
				goto fail;
			}
			continue;
		}
		if (klen == z->apex_klen) {
			v.flags = VFY_APEX | VFY_NEEDS_DENIAL;
			have_apex = true;
			z->apex_name = n;
			prev = key;
			prev_len = klen;
			if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
				goto fail;
			}
			continue;
		}
		if (denial_only) {
			v.flags = VFY_DENIAL_ONLY;
			if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
				goto fail;
			}
			continue;
		}
		if (cut != NULL && vfy_key_is_prefix(cut, cut_len, key, klen)) {
			v.flags |= VFY_OCCLUDED;
		} else {
			cut = NULL;
			/* empty non-terminals between the previous name and this one */
			while (n_ent > 0 && !vfy_key_is_prefix(names[ent_stack[n_ent - 1]].key,
			                                       names[ent_stack[n_ent - 1]].klen,
			                                       key, klen)) {
				n_ent--;
			}
			size_t lca = prev ? common_ancestor_len(prev, prev_len, key, klen)
			                  : z->apex_klen;
			if (lca < z->apex_klen) {
				lca = z->apex_klen;
			}
			for (size_t p = lca; p < klen - 1; p++) {
				if (key[p] != 0) {
					continue;
				}
				struct vfy_name ent = { .flags = VFY_ENT, .key = v.key,
				                        .klen = (uint16_t)(p + 1) };
				if ((ret = push_name(&names, &n, &cap, &ent)) != TLD_OK) {
					goto fail;
				}
				if (n_ent < 128) {
					ent_stack[n_ent++] = n - 1;
				}
			}
			if (has_ns) {
				v.flags |= VFY_DELEG;
				cut = key;
				cut_len = klen;
				if (has_ds) {
					v.flags |= VFY_SECURE;
				}
			}
			if (!(v.flags & VFY_DELEG) || (v.flags & VFY_SECURE)) {
				v.flags |= VFY_NEEDS_DENIAL;
				for (size_t e = 0; e < n_ent; e++) {
					names[ent_stack[e]].flags |= VFY_NEEDS_DENIAL;
				}
			}
		}
		prev = key;
		prev_len = klen;
		if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
			goto fail;
		}
	}
	if (!have_apex) {
		tld_error("%s: no records at the apex", z->path);
		ret = TLD_EZONE;
		goto fail;
	}
	z->names = names;
	z->n_names = n;
	return TLD_OK;
fail:
	free(names);
	return ret;
}

static int collect_dnskeys(struct vfy_zone *z)
{
	const struct vfy_name *apex = &z->names[z->apex_name];

	z->dnskeys = ldns_rr_list_new();
	if (z->dnskeys == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = apex->first; i < apex->first + apex->count; i++) {
		if (z->recs[i].type == LDNS_RR_TYPE_DNSKEY && !z->recs[i].is_sig &&
		    !ldns_rr_list_push_rr(z->dnskeys, z->recs[i].rr)) {
			return TLD_ENOMEM;
		}
	}
	size_t nk = ldns_rr_list_rr_count(z->dnskeys);
	z->key_tags = calloc(nk ? nk : 1, sizeof(*z->key_tags));
	z->keys = calloc(nk ? nk : 1, sizeof(*z->keys));
	if (z->key_tags == NULL || z->keys == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < nk; i++) {
		ldns_rr *k = ldns_rr_list_rr(z->dnskeys, i);
		z->key_tags[i] = ldns_calc_keytag(k);
		if (ldns_rr_rd_count(k) == 4) {
			(void)vfy_key_build(k, &z->keys[i]); /* on failure ldns verifies this key */
		}
		if (ldns_rr_rd_count(k) == 4 &&
		    (ldns_rdf2native_int16(ldns_rr_rdf(k, 0)) & LDNS_KEY_ZONE_KEY)) {
			z->alg_present[ldns_rdf2native_int8(ldns_rr_rdf(k, 2))] = true;
		}
	}
	return TLD_OK;
}

int vfy_zone_load(const char *path, struct vfy_zone **out)
{
	struct vfy_zone *z = calloc(1, sizeof(*z));
	FILE *fp = NULL;
	int ret;

	if (z == NULL) {
		return TLD_ENOMEM;
	}
	z->path = path;
	fp = fopen(path, "r");
	if (fp == NULL) {
		ret = tld_errno(errno);
		tld_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((ret = read_records(z, fp)) != TLD_OK) {
		goto fail;
	}
	if ((ret = find_apex(z)) != TLD_OK) {
		goto fail;
	}
	qsort(z->recs, z->n_recs, sizeof(*z->recs), rec_cmp);
	if ((ret = build_names(z)) != TLD_OK || (ret = collect_dnskeys(z)) != TLD_OK) {
		goto fail;
	}
	fclose(fp);
	*out = z;
	return TLD_OK;
fail:
	if (fp != NULL) {
		fclose(fp);
	}
	vfy_zone_free(z);
	return ret;
}

void vfy_zone_free(struct vfy_zone *z)
{
	if (z == NULL) {
		return;
	}
	for (size_t i = 0; i < z->n_recs; i++) {
		ldns_rr_free(z->recs[i].rr);
	}
	free(z->recs);
	free(z->names);
	for (size_t i = 0; i < z->n_key_blocks; i++) {
		free(z->key_blocks[i]);
	}
	free(z->key_blocks);
	free(z->key_tags);
	if (z->keys != NULL) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(z->dnskeys); i++) {
			vfy_key_clear(&z->keys[i]);
		}
	}
	free(z->keys);
	ldns_rr_list_free(z->dnskeys);
	free(z->nsec3);
	free(z);
}
