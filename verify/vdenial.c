/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Denial of existence: the NSEC3 chain (RFC 5155: one NSEC3PARAM, parameters,
 * closed ring in hash order, no duplicates, every name matched or covered by
 * an opt-out span only when it is an insecure delegation, bitmaps, TTL) or
 * the plain NSEC chain (RFC 4034).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

static uint32_t denial_ttl(const struct vfy_zone *z)
{
	uint32_t ttl = ldns_rr_ttl(z->soa);
	uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(z->soa, 6));
	return ttl < min ? ttl : min;
}

static void name_text(const uint8_t *key, size_t klen, char *buf, size_t size)
{
	uint8_t wire[VFY_NAME_MAX + 1];
	size_t wlen = vfy_key_to_wire(key, klen, wire);
	ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wlen, wire);
	char *s = rdf ? ldns_rdf2str(rdf) : NULL;
	snprintf(buf, size, "%s", s ? s : "?");
	free(s);
	ldns_rdf_deep_free(rdf);
}

static int nsec3_cmp(const void *pa, const void *pb)
{
	const struct vfy_nsec3 *a = pa, *b = pb;
	int c = memcmp(a->hash, b->hash, a->hash_len < b->hash_len ? a->hash_len : b->hash_len);
	if (c != 0) {
		return c;
	}
	return a->hash_len < b->hash_len ? -1 : a->hash_len > b->hash_len;
}

void vfy_name_types(const struct vfy_zone *z, const struct vfy_name *n, struct vfy_typeset *s)
{
	vfy_typeset_clear(s);
	for (size_t i = n->first; i < n->first + n->count; i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (r->type == LDNS_RR_TYPE_NSEC3) {
			continue;
		}
		vfy_typeset_add(s, r->is_sig ? LDNS_RR_TYPE_RRSIG : r->type);
	}
}

static int add_nsec3(struct vfy_zone *z, size_t idx, size_t *cap, struct vfy_issue_list *fails)
{
	const struct vfy_rec *r = &z->recs[idx];
	ldns_rr *rr = r->rr;
	struct vfy_nsec3 n3 = { .rec = idx };

	/* owner: one base32hex label directly below the apex */
	size_t label_len = r->klen - z->apex_klen - 1;
	if (!vfy_key_is_prefix(z->apex_key, z->apex_klen, r->key, r->klen) ||
	    r->klen <= z->apex_klen || memchr(r->key + z->apex_klen, 0, label_len) != NULL ||
	    label_len > 103) {
		vfy_issue_add(fails, z, idx, rr, "NSEC3 owner is not one label below the apex");
		return TLD_OK;
	}
	int hl = vfy_base32hex_decode((const char *)r->key + z->apex_klen, label_len, n3.hash);
	if (hl <= 0) {
		vfy_issue_add(fails, z, idx, rr, "NSEC3 owner label is not base32hex");
		return TLD_OK;
	}
	n3.hash_len = (uint8_t)hl;
	if (ldns_rr_rd_count(rr) < 5) {
		vfy_issue_add(fails, z, idx, rr, "malformed NSEC3 RDATA");
		return TLD_OK;
	}
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
	n3.flags = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	uint16_t iter = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
	const ldns_rdf *salt = ldns_rr_rdf(rr, 3);
	const ldns_rdf *next = ldns_rr_rdf(rr, 4);
	const uint8_t *sd = ldns_rdf_data(salt);
	if (alg != z->n3_alg || iter != z->n3_iterations || ldns_rdf_size(salt) < 1 ||
	    ldns_rdf_size(salt) < 1u + sd[0] || sd[0] != z->n3_salt_len || memcmp(sd + 1, z->n3_salt, z->n3_salt_len) != 0) {
		vfy_issue_add(fails, z, idx, rr,
		              "NSEC3 parameters (algorithm, iterations, salt) differ from the "
		              "NSEC3PARAM (%u %u)", z->n3_alg, z->n3_iterations);
	}
	if (n3.flags & ~1u) {
		vfy_issue_add(fails, z, idx, rr, "NSEC3 flags %u: unknown flag bits", n3.flags);
	}
	const uint8_t *nd = ldns_rdf_data(next);
	if (ldns_rdf_size(next) < 1 || nd[0] != ldns_rdf_size(next) - 1 || nd[0] > VFY_HASH_MAX ||
	    nd[0] != n3.hash_len) {
		vfy_issue_add(fails, z, idx, rr, "NSEC3 next hashed owner has the wrong length");
		return TLD_OK;
	}
	n3.next_len = nd[0];
	memcpy(n3.next, nd + 1, nd[0]);
	if (ldns_rr_ttl(rr) != denial_ttl(z)) {
		vfy_issue_add(fails, z, idx, rr,
		              "NSEC3 TTL %u, must be min(SOA TTL, SOA MINIMUM) = %u (RFC 9077)",
		              ldns_rr_ttl(rr), denial_ttl(z));
	}
	if (z->n_nsec3 == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		struct vfy_nsec3 *p = realloc(z->nsec3, ncap * sizeof(*p));
		if (p == NULL) {
			return TLD_ENOMEM;
		}
		z->nsec3 = p;
		*cap = ncap;
	}
	z->nsec3[z->n_nsec3++] = n3;
	return TLD_OK;
}

int vfy_denial_prepare(struct vfy_zone *z, struct vfy_issue_list *fails)
{
	const struct vfy_name *apex = &z->names[z->apex_name];
	size_t n_param = 0, cap = 0;
	bool any_nsec3 = false;
	int ret;

	for (size_t i = apex->first; i < apex->first + apex->count; i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (r->type != LDNS_RR_TYPE_NSEC3PARAM || r->is_sig) {
			continue;
		}
		if (++n_param > 1) {
			vfy_issue_add(fails, z, i, r->rr, "more than one NSEC3PARAM at the apex");
			continue;
		}
		const ldns_rdf *salt_rdf = ldns_rr_rdf(r->rr, 3);
		const uint8_t *salt = ldns_rdf_data(salt_rdf);
		if (ldns_rdf_size(salt_rdf) < 1u + salt[0]) {
			vfy_issue_add(fails, z, i, r->rr, "malformed NSEC3PARAM salt");
			continue;
		}
		z->n3_alg = ldns_rdf2native_int8(ldns_rr_rdf(r->rr, 0));
		z->n3_iterations = ldns_rdf2native_int16(ldns_rr_rdf(r->rr, 2));
		z->n3_salt_len = salt[0];
		memcpy(z->n3_salt, salt + 1, salt[0]);
		if (ldns_rdf2native_int8(ldns_rr_rdf(r->rr, 1)) != 0) {
			vfy_issue_add(fails, z, i, r->rr, "NSEC3PARAM flags must be 0");
		}
		if (z->n3_alg != LDNS_SHA1) {
			vfy_issue_add(fails, z, i, r->rr, "NSEC3 hash algorithm %u is not supported",
			              z->n3_alg);
		}
	}
	for (size_t i = 0; i < z->n_recs; i++) {
		if (z->recs[i].is_sig) {
			continue;
		}
		if (z->recs[i].type == LDNS_RR_TYPE_NSEC) {
			z->uses_nsec = true;
		} else if (z->recs[i].type == LDNS_RR_TYPE_NSEC3) {
			if (!any_nsec3 && n_param == 0) {
				vfy_issue_add(fails, z, i, z->recs[i].rr,
				              "NSEC3 records but no NSEC3PARAM at the apex");
				ldns_rr *rr = z->recs[i].rr;
				const ldns_rdf *salt_rdf = ldns_rr_rdf(rr, 3);
				const uint8_t *salt = ldns_rdf_data(salt_rdf);
				if (ldns_rdf_size(salt_rdf) >= 1u + salt[0]) {
					z->n3_alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
					z->n3_iterations = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
					z->n3_salt_len = salt[0];
					memcpy(z->n3_salt, salt + 1, salt[0]);
				}
			}
			any_nsec3 = true;
			if ((ret = add_nsec3(z, i, &cap, fails)) != TLD_OK) {
				return ret;
			}
		}
	}
	z->uses_nsec3 = (any_nsec3 || n_param > 0) && z->n3_alg == LDNS_SHA1;
	if (!any_nsec3 && n_param > 0) {
		vfy_issue_add(fails, z, apex->first, NULL, "NSEC3PARAM at the apex but no NSEC3 chain");
	}
	if (!any_nsec3 && n_param == 0 && !z->uses_nsec) {
		vfy_issue_add(fails, z, apex->first, z->soa, "zone has neither an NSEC nor an NSEC3 chain");
	}
	if (z->n_nsec3 > 0) {
		qsort(z->nsec3, z->n_nsec3, sizeof(*z->nsec3), nsec3_cmp);
	}
	return TLD_OK;
}

static bool hashable(const struct vfy_name *n)
{
	return !(n->flags & (VFY_OUTSIDE | VFY_DENIAL_ONLY | VFY_OCCLUDED));
}

int vfy_hash_names(struct vfy_zone *z, size_t from, size_t to)
{
	EVP_MD_CTX *ctx;
	uint8_t wire[VFY_NAME_MAX + 1];
	int ret = TLD_OK;

	if (!z->uses_nsec3) {
		return TLD_OK;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = from; i < to && ret == TLD_OK; i++) {
		struct vfy_name *n = &z->names[i];
		if (!hashable(n)) {
			continue;
		}
		size_t wlen = vfy_key_to_wire(n->key, n->klen, wire);
		ret = vfy_nsec3_hash(ctx, EVP_sha1(), wire, wlen, z->n3_salt, z->n3_salt_len,
		                     z->n3_iterations, n->hash);
	}
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* Index of the NSEC3 whose hash equals h, or of the one covering it (*exact false). */
static size_t nsec3_find(const struct vfy_zone *z, const uint8_t *h, bool *exact)
{
	size_t lo = 0, hi = z->n_nsec3;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(z->nsec3[mid].hash, h, 20);
		if (c == 0) {
			*exact = true;
			return mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	*exact = false;
	return lo == 0 ? z->n_nsec3 - 1 : lo - 1; /* before the first: the last wraps */
}

static void check_bitmap(struct vfy_zone *z, const struct vfy_name *n, size_t rec,
                         const ldns_rdf *bitmap, struct vfy_issue_list *fails)
{
	struct vfy_typeset want, have;
	char nb[VFY_NAME_MAX * 4 + 8], wb[512], hb[512];
	ldns_rr *rr = z->recs[rec].rr;

	if (n->flags & VFY_ENT) {
		vfy_typeset_clear(&want);
	} else {
		vfy_name_types(z, n, &want);
	}
	if (bitmap == NULL) {
		vfy_typeset_clear(&have);
	} else if (vfy_bitmap_decode(ldns_rdf_data(bitmap), ldns_rdf_size(bitmap), &have) != TLD_OK) {
		vfy_issue_add(fails, z, rec, rr, "malformed type bitmap");
		return;
	}
	if (!vfy_typeset_equal(&want, &have)) {
		name_text(n->key, n->klen, nb, sizeof(nb));
		vfy_typeset_format(&have, hb, sizeof(hb));
		vfy_typeset_format(&want, wb, sizeof(wb));
		vfy_issue_add(fails, z, rec, rr,
		              "type bitmap [%s] does not match the data at %s [%s]", hb, nb, wb);
	}
}

static void check_nsec3_chain(struct vfy_zone *z, struct vfy_issue_list *fails)
{
	char nb[VFY_NAME_MAX * 4 + 8], hb[128], xb[128];

	for (size_t i = 0; i < z->n_nsec3; i++) {
		struct vfy_nsec3 *a = &z->nsec3[i];
		struct vfy_nsec3 *b = &z->nsec3[(i + 1) % z->n_nsec3];
		if (i + 1 < z->n_nsec3 && nsec3_cmp(a, b) == 0) {
			vfy_issue_add(fails, z, b->rec, z->recs[b->rec].rr,
			              "duplicate NSEC3 owner hash (also line %u)", z->recs[a->rec].line);
			continue;
		}
		if (a->next_len != b->hash_len || memcmp(a->next, b->hash, a->next_len) != 0) {
			vfy_base32hex_encode(b->hash, b->hash_len, hb);
			vfy_issue_add(fails, z, a->rec, z->recs[a->rec].rr,
			              "NSEC3 chain broken: next hashed owner is not the next hash in "
			              "order (%s)", hb);
		}
	}
	for (size_t i = 0; i < z->n_names; i++) {
		struct vfy_name *n = &z->names[i];
		if (!hashable(n)) {
			continue;
		}
		size_t pos = (n->flags & VFY_ENT) ? (i + 1 < z->n_names ? z->names[i + 1].first : 0)
		                                  : n->first;
		bool exact = false;
		if (z->n_nsec3 == 0) {
			break;
		}
		size_t k = nsec3_find(z, n->hash, &exact);
		struct vfy_nsec3 *n3 = &z->nsec3[k];
		if (exact) {
			n3->matched = true;
			check_bitmap(z, n, n3->rec, ldns_rr_rdf(z->recs[n3->rec].rr, 5), fails);
			continue;
		}
		name_text(n->key, n->klen, nb, sizeof(nb));
		vfy_base32hex_encode(n->hash, 20, hb);
		vfy_base32hex_encode(n3->hash, n3->hash_len, xb);
		const ldns_rr *named = (n->flags & VFY_ENT) ? NULL : z->recs[n->first].rr;
		if (n->flags & VFY_NEEDS_DENIAL) {
			const char *what = (n->flags & VFY_SECURE) ? "secure delegation"
			                   : (n->flags & VFY_ENT) ? "empty non-terminal"
			                                          : "authoritative name";
			vfy_issue_add(fails, z, pos, named,
			              "%s %s has no NSEC3 (hash %s); it falls in the %sspan of NSEC3 %s%s",
			              what, nb, hb, (n3->flags & 1) ? "opt-out " : "", xb,
			              (n3->flags & 1) ? " (an opt-out span may cover only insecure delegations)"
			                              : "");
		} else if (!(n3->flags & 1)) {
			vfy_issue_add(fails, z, pos, named,
			              "%s (hash %s) has no NSEC3 and the covering NSEC3 %s has no "
			              "opt-out flag", nb, hb, xb);
		}
	}
	for (size_t i = 0; i < z->n_nsec3; i++) {
		if (!z->nsec3[i].matched) {
			vfy_issue_add(fails, z, z->nsec3[i].rec, z->recs[z->nsec3[i].rec].rr,
			              "NSEC3 matches no name of the zone");
		}
	}
}

static void check_nsec_chain(struct vfy_zone *z, struct vfy_issue_list *fails)
{
	size_t first = (size_t)-1, prev = (size_t)-1, prev_nsec = (size_t)-1;
	char nb[VFY_NAME_MAX * 4 + 8];

	for (size_t i = 0; i <= z->n_names; i++) {
		struct vfy_name *n = i < z->n_names ? &z->names[i] : NULL;
		if (n != NULL && (n->flags & (VFY_ENT | VFY_OUTSIDE | VFY_DENIAL_ONLY))) {
			continue;
		}
		size_t nsec = (size_t)-1;
		if (n != NULL) {
			for (size_t r = n->first; r < n->first + n->count; r++) {
				if (z->recs[r].type != LDNS_RR_TYPE_NSEC || z->recs[r].is_sig) {
					continue;
				}
				if (n->flags & VFY_OCCLUDED) {
					vfy_issue_add(fails, z, r, z->recs[r].rr, "NSEC below a zone cut");
				} else if (nsec != (size_t)-1) {
					vfy_issue_add(fails, z, r, z->recs[r].rr, "a second NSEC at this name");
				} else {
					nsec = r;
				}
			}
			if (n->flags & VFY_OCCLUDED) {
				continue;
			}
			if (nsec == (size_t)-1) {
				name_text(n->key, n->klen, nb, sizeof(nb));
				vfy_issue_add(fails, z, n->first, z->recs[n->first].rr,
				              "name %s has no NSEC", nb);
			} else {
				check_bitmap(z, n, nsec, ldns_rr_rdf(z->recs[nsec].rr, 1), fails);
				if (ldns_rr_ttl(z->recs[nsec].rr) != denial_ttl(z)) {
					vfy_issue_add(fails, z, nsec, z->recs[nsec].rr,
					              "NSEC TTL %u, must be min(SOA TTL, SOA MINIMUM) = %u",
					              ldns_rr_ttl(z->recs[nsec].rr), denial_ttl(z));
				}
			}
		}
		size_t cur = n != NULL ? i : first;
		if (prev_nsec != (size_t)-1 && cur != (size_t)-1) {
			const ldns_rdf *next = ldns_rr_rdf(z->recs[prev_nsec].rr, 0);
			uint8_t key[VFY_NAME_MAX];
			size_t klen = 0;
			const struct vfy_name *want = &z->names[cur];
			if (vfy_name_key(ldns_rdf_data(next), ldns_rdf_size(next), key, &klen) != TLD_OK ||
			    klen != want->klen || memcmp(key, want->key, klen) != 0) {
				name_text(want->key, want->klen, nb, sizeof(nb));
				vfy_issue_add(fails, z, prev_nsec, z->recs[prev_nsec].rr,
				              "NSEC chain broken: the next name in canonical order is %s", nb);
			}
		}
		if (n == NULL) {
			break;
		}
		if (first == (size_t)-1) {
			first = i;
		}
		prev = i;
		prev_nsec = nsec;
	}
	(void)prev;
}

void vfy_check_denial(struct vfy_zone *z, struct vfy_issue_list *fails)
{
	if (z->uses_nsec3) {
		check_nsec3_chain(z, fails);
	} else if (z->uses_nsec) {
		check_nsec_chain(z, fails);
	}
}
