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
	return z->soa_ttl < z->soa_minimum ? z->soa_ttl : z->soa_minimum;
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
	/* at a delegation only NS and the parent's authoritative types (DS, NSEC)
	 * appear; other data at the cut is not the parent's (RFC 4034 4.1.2) */
	bool cut = (n->flags & VFY_DELEG) != 0;
	vfy_typeset_clear(s);
	for (size_t i = n->first; i < n->first + n->count; i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (r->type == LDNS_RR_TYPE_NSEC3) {
			continue;
		}
		bool parent_data = r->type == LDNS_RR_TYPE_DS || r->type == LDNS_RR_TYPE_NSEC;
		if (cut && !parent_data && (r->is_sig || r->type != LDNS_RR_TYPE_NS)) {
			continue;
		}
		vfy_typeset_add(s, r->is_sig ? LDNS_RR_TYPE_RRSIG : r->type);
	}
}

static int add_nsec3(struct vfy_zone *z, size_t idx, size_t *cap, struct vfy_issue_list *fails)
{
	const struct vfy_rec *r = &z->recs[idx];
	struct vfy_nsec3 n3 = { .rec = idx };
	struct vfy_nsec3_rdata rd;

	/* owner: one base32hex label directly below the apex (read from the wire
	 * form: build_names() may be rewriting the key pointers meanwhile) */
	size_t label_len = r->wire[0];
	if (label_len == 0 || r->owner_len != 1 + label_len + z->apex_wlen ||
	    memcmp(r->wire + 1 + label_len, z->apex_wire, z->apex_wlen) != 0) {
		vfy_issue_rec(fails, z, idx, "NSEC3 owner is not one label below the apex");
		return TLD_OK;
	}
	int hl = vfy_base32hex_decode((const char *)r->wire + 1, label_len, n3.hash);
	if (hl <= 0) {
		vfy_issue_rec(fails, z, idx, "NSEC3 owner label is not base32hex");
		return TLD_OK;
	}
	n3.hash_len = (uint8_t)hl;
	vfy_rec_nsec3(r, &rd); /* checked at load */
	n3.flags = rd.flags;
	if (rd.alg != z->n3_alg || rd.iterations != z->n3_iterations ||
	    rd.salt_len != z->n3_salt_len || memcmp(rd.salt, z->n3_salt, rd.salt_len) != 0) {
		vfy_issue_rec(fails, z, idx,
		              "NSEC3 parameters (algorithm, iterations, salt) differ from the "
		              "NSEC3PARAM (%u %u)", z->n3_alg, z->n3_iterations);
	}
	if (n3.flags & ~1u) {
		vfy_issue_rec(fails, z, idx, "NSEC3 flags %u: unknown flag bits", n3.flags);
	}
	if (rd.next_len > VFY_HASH_MAX || rd.next_len != n3.hash_len) {
		vfy_issue_rec(fails, z, idx, "NSEC3 next hashed owner has the wrong length");
		return TLD_OK;
	}
	n3.next_len = rd.next_len;
	memcpy(n3.next, rd.next, rd.next_len);
	if (vfy_rec_ttl(r) != denial_ttl(z)) {
		vfy_issue_rec(fails, z, idx,
		              "NSEC3 TTL %u, must be min(SOA TTL, SOA MINIMUM) = %u (RFC 9077)",
		              vfy_rec_ttl(r), denial_ttl(z));
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

static void take_params(struct vfy_zone *z, const struct vfy_nsec3_rdata *rd)
{
	z->n3_alg = rd->alg;
	z->n3_iterations = rd->iterations;
	z->n3_salt_len = rd->salt_len;
	memcpy(z->n3_salt, rd->salt, rd->salt_len);
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

/*
 * The lookup index of the sorted chain: the hashes' first 8 bytes in an array
 * of their own (a few MB that stay in cache, where the records are 150 bytes
 * each) and the range of records for each value of the first two bytes.
 */
static int build_index(struct vfy_zone *z)
{
	z->n3_prefix = malloc(z->n_nsec3 * sizeof(*z->n3_prefix));
	z->n3_bucket = malloc(65537 * sizeof(*z->n3_bucket));
	if (z->n3_prefix == NULL || z->n3_bucket == NULL || z->n_nsec3 > UINT32_MAX) {
		return TLD_ENOMEM;
	}
	size_t i = 0;
	for (uint32_t b = 0; b < 65536; b++) {
		z->n3_bucket[b] = (uint32_t)i;
		while (i < z->n_nsec3 && ((uint32_t)z->nsec3[i].hash[0] << 8 | z->nsec3[i].hash[1]) == b) {
			z->n3_prefix[i] = load_be64(z->nsec3[i].hash);
			i++;
		}
	}
	z->n3_bucket[65536] = (uint32_t)z->n_nsec3;
	return TLD_OK;
}

/* Whether a record is owned by the apex (by its wire form, not its key). */
static bool at_apex(const struct vfy_zone *z, const struct vfy_rec *r)
{
	return r->owner_len == z->apex_wlen && memcmp(r->wire, z->apex_wire, z->apex_wlen) == 0;
}

int vfy_denial_prepare(struct vfy_zone *z, struct vfy_issue_list *fails)
{
	size_t n_param = 0, cap = 0;
	bool any_nsec3 = false;
	int ret;

	/* the apex's records: the sorted run around the SOA (z->names may not be built yet) */
	size_t apex_first = z->soa, apex_end = z->soa + 1;
	while (apex_first > 0 && at_apex(z, &z->recs[apex_first - 1])) {
		apex_first--;
	}
	while (apex_end < z->n_recs && at_apex(z, &z->recs[apex_end])) {
		apex_end++;
	}
	for (size_t i = apex_first; i < apex_end; i++) {
		const struct vfy_rec *r = &z->recs[i];
		struct vfy_nsec3_rdata rd;
		if (r->type != LDNS_RR_TYPE_NSEC3PARAM || r->is_sig) {
			continue;
		}
		if (++n_param > 1) {
			vfy_issue_rec(fails, z, i, "more than one NSEC3PARAM at the apex");
			continue;
		}
		vfy_rec_nsec3param(r, &rd);
		take_params(z, &rd);
		if (rd.flags != 0) {
			vfy_issue_rec(fails, z, i, "NSEC3PARAM flags must be 0");
		}
		if (z->n3_alg != LDNS_SHA1) {
			vfy_issue_rec(fails, z, i, "NSEC3 hash algorithm %u is not supported", z->n3_alg);
		}
	}
	for (size_t i = 0; i < z->n_recs; i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (r->is_sig) {
			continue;
		}
		if (r->type == LDNS_RR_TYPE_NSEC) {
			z->uses_nsec = true;
			z->n_nsec++;
		} else if (r->type == LDNS_RR_TYPE_NSEC3) {
			if (!any_nsec3 && n_param == 0) {
				struct vfy_nsec3_rdata rd;
				vfy_issue_rec(fails, z, i, "NSEC3 records but no NSEC3PARAM at the apex");
				vfy_rec_nsec3(r, &rd);
				take_params(z, &rd);
			}
			any_nsec3 = true;
			if ((ret = add_nsec3(z, i, &cap, fails)) != TLD_OK) {
				return ret;
			}
		}
	}
	z->uses_nsec3 = (any_nsec3 || n_param > 0) && z->n3_alg == LDNS_SHA1;
	if (!any_nsec3 && n_param > 0 && !z->partial) {
		vfy_issue_add(fails, apex_first, NULL, "NSEC3PARAM at the apex but no NSEC3 chain");
	}
	if (!any_nsec3 && n_param == 0 && !z->uses_nsec && !z->partial) {
		vfy_issue_rec(fails, z, z->soa, "zone has neither an NSEC nor an NSEC3 chain");
	}
	if (z->n_nsec3 > 0) {
		qsort(z->nsec3, z->n_nsec3, sizeof(*z->nsec3), nsec3_cmp);
		return build_index(z);
	}
	return TLD_OK;
}

/* Index of the NSEC3 whose hash equals h, or of the one covering it (*exact false). */
static size_t nsec3_find(const struct vfy_zone *z, const uint8_t *h, bool *exact)
{
	/* only the records in h's bucket can equal it; all before are smaller */
	unsigned b = (unsigned)h[0] << 8 | h[1];
	size_t lo = z->n3_bucket[b], hi = z->n3_bucket[b + 1];
	uint64_t h8 = load_be64(h);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t m8 = z->n3_prefix[mid];
		int c = m8 < h8 ? -1 : m8 > h8 ? 1 : memcmp(z->nsec3[mid].hash + 8, h + 8, 12);
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

/*
 * Whether a type bitmap is exactly the canonical encoding of the name's types
 * (the types vfy_name_types() gives).  False also when it cannot tell (too
 * many types): check_bitmap() then compares type sets.
 */
static bool bitmap_is_canonical_types(const struct vfy_zone *z, const struct vfy_name *n,
                                      const uint8_t *bitmap, size_t bitmap_len)
{
	uint16_t types[64];
	uint8_t enc[64 * 34];
	size_t nty = 0, len = 0;
	bool cut = (n->flags & VFY_DELEG) != 0;

	for (size_t i = n->first; i < n->first + n->count && !(n->flags & VFY_ENT); i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (r->type == LDNS_RR_TYPE_NSEC3) {
			continue;
		}
		bool parent_data = r->type == LDNS_RR_TYPE_DS || r->type == LDNS_RR_TYPE_NSEC;
		if (cut && !parent_data && (r->is_sig || r->type != LDNS_RR_TYPE_NS)) {
			continue;
		}
		uint16_t t = r->is_sig ? LDNS_RR_TYPE_RRSIG : r->type;
		size_t j = nty;
		while (j > 0 && types[j - 1] > t) {
			j--;
		}
		if (j > 0 && types[j - 1] == t) {
			continue;
		}
		if (nty == 64) {
			return false;
		}
		memmove(types + j + 1, types + j, (nty - j) * sizeof(*types));
		types[j] = t;
		nty++;
	}
	for (size_t i = 0; i < nty;) {
		unsigned win = types[i] >> 8;
		size_t end = i;
		while (end < nty && (types[end] >> 8) == win) {
			end++;
		}
		size_t blen = ((types[end - 1] & 0xffu) >> 3) + 1;
		enc[len++] = (uint8_t)win;
		enc[len++] = (uint8_t)blen;
		memset(enc + len, 0, blen);
		for (; i < end; i++) {
			enc[len + ((types[i] & 0xffu) >> 3)] |= (uint8_t)(0x80u >> (types[i] & 7));
		}
		len += blen;
	}
	return len == bitmap_len && memcmp(enc, bitmap, len) == 0;
}

int vfy_hash_names(struct vfy_zone *z, size_t from, size_t to)
{
	EVP_MD_CTX *ctx;
	EVP_MD *sha1;
	uint8_t wire[VFY_NAME_MAX + 1];
	int ret = TLD_OK;

	if (!z->uses_nsec3) {
		return TLD_OK;
	}
	/* fetched once: EVP_sha1() would be looked up in the provider on every hash */
	ctx = EVP_MD_CTX_new();
	sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	if (ctx == NULL || sha1 == NULL) {
		EVP_MD_CTX_free(ctx);
		EVP_MD_free(sha1);
		return sha1 == NULL && ctx != NULL ? TLD_ECRYPTO : TLD_ENOMEM;
	}
	for (size_t i = from; i < to && ret == TLD_OK; i++) {
		struct vfy_name *n = &z->names[i];
		n->n3_found = 0;
		if (!vfy_name_hashable(n)) {
			continue;
		}
		size_t wlen = vfy_key_to_wire(n->key, n->klen, wire);
		ret = vfy_nsec3_hash(ctx, sha1, wire, wlen, z->n3_salt, z->n3_salt_len,
		                     z->n3_iterations, n->hash);
		if (ret != TLD_OK || z->n_nsec3 == 0) {
			continue;
		}
		bool exact = false;
		n->n3 = (uint32_t)nsec3_find(z, n->hash, &exact);
		n->n3_found = VFY_N3_LOOKED;
		if (exact) {
			struct vfy_nsec3_rdata rd;
			n->n3_found |= VFY_N3_EXACT;
			vfy_rec_nsec3(&z->recs[z->nsec3[n->n3].rec], &rd);
			if (bitmap_is_canonical_types(z, n, rd.bitmap, rd.bitmap_len)) {
				n->n3_found |= VFY_N3_BITMAP_OK;
			}
		}
	}
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(sha1);
	return ret;
}

static void check_bitmap(struct vfy_zone *z, const struct vfy_name *n, size_t rec,
                         const uint8_t *bitmap, size_t bitmap_len, struct vfy_issue_list *fails)
{
	struct vfy_typeset want, have;
	char nb[VFY_NAME_MAX * 4 + 8], wb[512], hb[512];

	if (n->flags & VFY_ENT) {
		vfy_typeset_clear(&want);
	} else {
		vfy_name_types(z, n, &want);
	}
	if (vfy_bitmap_decode(bitmap, bitmap_len, &have) != TLD_OK) {
		vfy_issue_rec(fails, z, rec, "malformed type bitmap");
		return;
	}
	if (!vfy_typeset_equal(&want, &have)) {
		name_text(n->key, n->klen, nb, sizeof(nb));
		vfy_typeset_format(&have, hb, sizeof(hb));
		vfy_typeset_format(&want, wb, sizeof(wb));
		vfy_issue_rec(fails, z, rec, "type bitmap [%s] does not match the data at %s [%s]", hb,
		              nb, wb);
	}
}

static void check_nsec3_chain(struct vfy_zone *z, struct vfy_issue_list *fails)
{
	char nb[VFY_NAME_MAX * 4 + 8], hb[128], xb[128], reason[2048];

	for (size_t i = 0; i < z->n_nsec3; i++) {
		struct vfy_nsec3 *a = &z->nsec3[i];
		struct vfy_nsec3 *b = &z->nsec3[(i + 1) % z->n_nsec3];
		if (i + 1 < z->n_nsec3 && nsec3_cmp(a, b) == 0) {
			vfy_issue_rec(fails, z, b->rec, "duplicate NSEC3 owner hash (also line %u)",
			              z->recs[a->rec].line);
			continue;
		}
		if (a->next_len != b->hash_len || memcmp(a->next, b->hash, a->next_len) != 0) {
			vfy_base32hex_encode(b->hash, b->hash_len, hb);
			vfy_issue_rec(fails, z, a->rec,
			              "NSEC3 chain broken: next hashed owner is not the next hash in "
			              "order (%s)", hb);
		}
	}
	for (size_t i = 0; i < z->n_names; i++) {
		struct vfy_name *n = &z->names[i];
		if (!vfy_name_hashable(n)) {
			continue;
		}
		size_t pos = (n->flags & VFY_ENT) ? (i + 1 < z->n_names ? z->names[i + 1].first : 0)
		                                  : n->first;
		bool exact = false;
		if (z->n_nsec3 == 0) {
			break;
		}
		size_t k = (n->n3_found & VFY_N3_LOOKED) ? n->n3 : nsec3_find(z, n->hash, &exact);
		exact = (n->n3_found & VFY_N3_LOOKED) ? (n->n3_found & VFY_N3_EXACT) != 0 : exact;
		struct vfy_nsec3 *n3 = &z->nsec3[k];
		if (exact) {
			n3->matched = true;
			if (n->n3_found & VFY_N3_BITMAP_OK) {
				continue; /* the bitmap is the name's types exactly */
			}
			struct vfy_nsec3_rdata rd;
			vfy_rec_nsec3(&z->recs[n3->rec], &rd);
			check_bitmap(z, n, n3->rec, rd.bitmap, rd.bitmap_len, fails);
			continue;
		}
		if (!(n->flags & VFY_NEEDS_DENIAL) && (n3->flags & 1)) {
			continue; /* an insecure delegation in an opt-out span: the common case */
		}
		name_text(n->key, n->klen, nb, sizeof(nb));
		vfy_base32hex_encode(n->hash, 20, hb);
		vfy_base32hex_encode(n3->hash, n3->hash_len, xb);
		if (n->flags & VFY_NEEDS_DENIAL) {
			const char *what = (n->flags & VFY_SECURE) ? "secure delegation"
			                   : (n->flags & VFY_ENT) ? "empty non-terminal"
			                                          : "authoritative name";
			snprintf(reason, sizeof(reason),
			         "%s %s has no NSEC3 (hash %s); it falls in the %sspan of NSEC3 %s%s",
			         what, nb, hb, (n3->flags & 1) ? "opt-out " : "", xb,
			         (n3->flags & 1) ? " (an opt-out span may cover only insecure delegations)"
			                         : "");
		} else if (!(n3->flags & 1)) {
			snprintf(reason, sizeof(reason),
			         "%s (hash %s) has no NSEC3 and the covering NSEC3 %s has no opt-out flag",
			         nb, hb, xb);
		} else {
			continue;
		}
		if (n->flags & VFY_ENT) {
			vfy_issue_add(fails, pos, NULL, "%s", reason);
		} else {
			vfy_issue_rec(fails, z, n->first, "%s", reason);
		}
	}
	for (size_t i = 0; i < z->n_nsec3; i++) {
		if (!z->nsec3[i].matched) {
			vfy_issue_rec(fails, z, z->nsec3[i].rec, "NSEC3 matches no name of the zone");
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
					vfy_issue_rec(fails, z, r, "NSEC below a zone cut");
				} else if (nsec != (size_t)-1) {
					vfy_issue_rec(fails, z, r, "a second NSEC at this name");
				} else {
					nsec = r;
				}
			}
			if (n->flags & VFY_OCCLUDED) {
				continue;
			}
			if (nsec == (size_t)-1) {
				name_text(n->key, n->klen, nb, sizeof(nb));
				vfy_issue_rec(fails, z, n->first, "name %s has no NSEC", nb);
			} else {
				const uint8_t *next, *bm;
				size_t next_len, bm_len;
				vfy_rec_nsec(&z->recs[nsec], &next, &next_len, &bm,
				               &bm_len);
				check_bitmap(z, n, nsec, bm, bm_len, fails);
				if (vfy_rec_ttl(&z->recs[nsec]) != denial_ttl(z)) {
					vfy_issue_rec(fails, z, nsec,
					              "NSEC TTL %u, must be min(SOA TTL, SOA MINIMUM) = %u",
					              vfy_rec_ttl(&z->recs[nsec]), denial_ttl(z));
				}
			}
		}
		size_t cur = n != NULL ? i : first;
		if (prev_nsec != (size_t)-1 && cur != (size_t)-1) {
			const uint8_t *next, *bm;
			size_t next_len, bm_len;
			uint8_t key[VFY_NAME_MAX];
			size_t klen = 0;
			const struct vfy_name *want = &z->names[cur];
			vfy_rec_nsec(&z->recs[prev_nsec], &next, &next_len, &bm,
			               &bm_len);
			if (vfy_name_key(next, next_len, key, &klen) != TLD_OK || klen != want->klen ||
			    memcmp(key, want->key, klen) != 0) {
				name_text(want->key, want->klen, nb, sizeof(nb));
				vfy_issue_rec(fails, z, prev_nsec,
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
