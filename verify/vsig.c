/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signature checks: every authoritative RRset signed by every algorithm of
 * the DNSKEY set (RFC 4035 §2.2), every RRSIG verifying against a published
 * key (OpenSSL EVP in vcrypto.c; ldns for algorithms not handled there),
 * validity times, nothing signed that must not be (delegation NS, glue).
 */
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

struct sig_ctx {
	const struct vfy_zone *z;
	const struct tld_verify_opts *opts;
	struct vfy_issue_list *fails;
	struct vfy_counts *counts;
	struct vfy_crypto *crypto;
	const struct vfy_vcache *cache_in;
	struct vfy_hashvec *cache_out;
	bool count_only;           /* vfy_count_signatures(): the counts of a zone known to pass */
	bool hash_only;            /* vfy_cache_hits(): cache entries, no public-key operation */
	bool guess;                /* with hash_only, vfy_cache_guess(): every entry, as if it verified */
};

static tld_time_t serial_time(tld_time_t now, uint32_t t)
{
	return now + (int32_t)(t - (uint32_t)now);
}

static bool is_authoritative(const struct vfy_name *n, uint16_t type)
{
	if (n->flags & VFY_OCCLUDED) {
		return false;
	}
	if (n->flags & VFY_DELEG) {
		return type == LDNS_RR_TYPE_DS || type == LDNS_RR_TYPE_NSEC;
	}
	return true;
}

static void check_times(struct sig_ctx *c, size_t idx, const struct vfy_rrsig *sig)
{
	char a[32], b[32], w[32];
	tld_time_t now = c->opts->now;
	tld_time_t exp = serial_time(now, sig->expiration);
	tld_time_t inc = serial_time(now, sig->inception);

	if (inc > now) {
		vfy_issue_rec(c->fails, c->z, idx, "signature not yet valid: inception %s is after now (%s)",
		              tld_time_format(inc, a, sizeof(a)), tld_time_format(now, b, sizeof(b)));
	}
	if (exp < now) {
		vfy_issue_rec(c->fails, c->z, idx, "signature expired at %s (now %s)",
		              tld_time_format(exp, a, sizeof(a)), tld_time_format(now, b, sizeof(b)));
	} else if (exp < now + c->opts->refresh_window) {
		vfy_issue_rec(c->fails, c->z, idx,
		              "signature expires at %s, within the refresh window (%s) ending %s",
		              tld_time_format(exp, a, sizeof(a)),
		              tld_duration_format(c->opts->refresh_window, w, sizeof(w)),
		              tld_time_format(now + c->opts->refresh_window, b, sizeof(b)));
	}
}

static bool signer_is_apex(const struct vfy_zone *z, const struct vfy_rrsig *sig)
{
	uint8_t key[VFY_NAME_MAX];
	size_t klen;

	return vfy_name_key(sig->signer, sig->signer_len, key, &klen) == TLD_OK &&
	       klen == z->apex_klen && memcmp(key, z->apex_key, klen) == 0;
}

/* ldns's own verification, for keys vcrypto.c does not handle. */
static int verify_with_ldns(const struct vfy_zone *z, size_t data, size_t n_data, size_t sig_idx,
                            size_t key_index)
{
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr *sig = vfy_rec_to_ldns(&z->recs[sig_idx]);
	int ret = TLD_ENOMEM;

	if (set == NULL || sig == NULL) {
		goto out;
	}
	for (size_t i = data; i < data + n_data; i++) {
		ldns_rr *rr = vfy_rec_to_ldns(&z->recs[i]);
		if (rr == NULL || !ldns_rr_list_push_rr(set, rr)) {
			ldns_rr_free(rr);
			goto out;
		}
	}
	time_t at = (time_t)ldns_rdf2native_time_t(ldns_rr_rrsig_inception(sig));
	ldns_status st = ldns_verify_rrsig_time(set, sig, ldns_rr_list_rr(z->dnskeys, key_index), at);
	ret = st == LDNS_STATUS_OK ? TLD_OK : TLD_EVERIFY;
out:
	ldns_rr_list_deep_free(set);
	ldns_rr_free(sig);
	return ret;
}

/* Verifies one RRSIG; sets good[alg] (and sep_good[alg] for a SEP key). */
static void check_one_sig(struct sig_ctx *c, size_t data, size_t n_data, size_t idx,
                          bool good[256], bool sep_good[256])
{
	const struct vfy_zone *z = c->z;
	struct vfy_rrsig sig;
	size_t len;
	const uint8_t *rd = vfy_rdata(&z->recs[idx], &len);
	bool found = false;

	vfy_parse_rrsig(rd, len, &sig); /* checked at load */
	check_times(c, idx, &sig);
	if (!signer_is_apex(z, &sig)) {
		vfy_issue_rec(c->fails, z, idx, "signer name is not the zone apex");
		return;
	}
	for (size_t k = 0; k < ldns_rr_list_rr_count(z->dnskeys); k++) {
		size_t klen;
		const uint8_t *krd = vfy_rdata(&z->recs[z->dnskey_recs[k]], &klen);
		if (z->key_tags[k] != sig.tag || krd[3] != sig.alg) {
			continue;
		}
		found = true;
		struct vfy_cache_probe probe = { .in = c->cache_in, .key_rdata = krd, .key_rdlen = klen,
		                                 .hash_only = c->hash_only, .guess = c->guess };
		bool probed = z->keys[k].pkey != NULL && (c->cache_in != NULL || c->cache_out != NULL);
		if (c->hash_only && !probed) {
			continue;
		}
		int v = z->keys[k].pkey != NULL
		                ? vfy_rrsig_verify_probe(c->crypto, &z->recs[data], n_data, &z->recs[idx],
		                                         &z->keys[k], probed ? &probe : NULL)
		                : verify_with_ldns(z, data, n_data, idx, k);
		if (v != TLD_OK && v != TLD_EVERIFY) {
			c->fails->err = v;
			return;
		}
		if (v == TLD_OK) {
			good[sig.alg] = true;
			if (((krd[0] << 8) | krd[1]) & LDNS_KEY_SEP_KEY) {
				sep_good[sig.alg] = true;
			}
			c->counts->rrsigs_verified++;
			if (probed && probe.hit) {
				c->counts->rrsigs_cached++;
			}
			if (probed && c->cache_out != NULL) {
				vfy_hashvec_push(c->cache_out, probe.hash);
			}
			return;
		}
	}
	if (!found) {
		vfy_issue_rec(c->fails, z, idx,
		              "signed by key tag %u algorithm %u, which is not in the published DNSKEY set",
		              sig.tag, sig.alg);
	} else {
		vfy_issue_rec(c->fails, z, idx, "signature does not verify with DNSKEY %u", sig.tag);
	}
}

static const char *type_name(uint16_t type, char *buf, size_t size)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d != NULL && d->_name != NULL) {
		return d->_name;
	}
	snprintf(buf, size, "TYPE%u", type);
	return buf;
}

static void check_rrset(struct sig_ctx *c, const struct vfy_name *n, size_t data, size_t n_data,
                        size_t sigs, size_t n_sigs)
{
	const struct vfy_zone *z = c->z;
	uint16_t type = z->recs[n_data ? data : sigs].type;
	bool good[256], sep_good[256];
	char tb[16];

	if (n_data == 0) {
		for (size_t i = sigs; i < sigs + n_sigs; i++) {
			vfy_issue_rec(c->fails, z, i, "RRSIG covers a type that has no RRset at this name");
		}
		return;
	}
	if (!is_authoritative(n, type)) {
		for (size_t i = sigs; i < sigs + n_sigs; i++) {
			vfy_issue_rec(c->fails, z, i, "%s",
			              (n->flags & VFY_OCCLUDED)
			                      ? "glue (below a zone cut) must not be signed"
			                      : "delegation NS must not be signed");
		}
		return;
	}
	c->counts->rrsets_signed++;
	if (c->count_only) {
		c->counts->rrsigs_verified += n_sigs;
		return;
	}
	if (n_sigs == 0) {
		vfy_issue_rec(c->fails, z, data, "authoritative RRset is not signed");
		return;
	}
	/* cleared only here: most RRsets (delegation NS, glue) return above */
	memset(good, 0, sizeof(good));
	memset(sep_good, 0, sizeof(sep_good));
	for (size_t i = sigs; i < sigs + n_sigs; i++) {
		check_one_sig(c, data, n_data, i, good, sep_good);
	}
	for (size_t a = 0; a < z->n_algs; a++) {
		unsigned alg = z->algs[a];
		if (!good[alg]) {
			vfy_issue_rec(c->fails, z, data,
			              "no valid signature of algorithm %u over this %s RRset "
			              "(RFC 4035 2.2: each algorithm of the DNSKEY set signs every RRset)",
			              alg, type_name(type, tb, sizeof(tb)));
		} else if (type == LDNS_RR_TYPE_DNSKEY && !sep_good[alg]) {
			vfy_issue_rec(c->fails, z, data,
			              "DNSKEY RRset is not signed by a SEP key (KSK) of algorithm %u", alg);
		}
	}
}

/* Every RRset of the names [from, to), to check_rrset(). */
static void walk_rrsets(struct sig_ctx *c, size_t from, size_t to)
{
	const struct vfy_zone *z = c->z;

	for (size_t ni = from; ni < to; ni++) {
		const struct vfy_name *n = &z->names[ni];
		if (n->flags & VFY_ENT) {
			continue;
		}
		if (n->flags & VFY_OUTSIDE) {
			for (size_t i = n->first; i < n->first + n->count && !c->count_only; i++) {
				vfy_issue_rec(c->fails, z, i, "record is outside the zone");
			}
			continue;
		}
		size_t end = n->first + n->count;
		for (size_t i = n->first; i < end;) {
			uint16_t type = z->recs[i].type;
			size_t data = i;
			while (i < end && z->recs[i].type == type && !z->recs[i].is_sig) {
				i++;
			}
			size_t sigs = i;
			while (i < end && z->recs[i].type == type && z->recs[i].is_sig) {
				i++;
			}
			check_rrset(c, n, data, sigs - data, sigs, i - sigs);
		}
	}
}

static void check_signatures_mode(const struct vfy_zone *z, size_t from, size_t to,
                                  const struct tld_verify_opts *opts,
                                  const struct vfy_vcache *cache_in, struct vfy_hashvec *cache_out,
                                  struct vfy_issue_list *fails, struct vfy_counts *counts,
                                  struct vfy_crypto *crypto, bool hash_only, bool guess)
{
	struct sig_ctx c = { .z = z, .opts = opts, .fails = fails, .counts = counts,
	                     .cache_in = cache_in, .cache_out = cache_out, .crypto = crypto,
	                     .hash_only = hash_only, .guess = guess };

	if (c.crypto == NULL && (c.crypto = vfy_crypto_new()) == NULL) {
		fails->err = TLD_ENOMEM;
		return;
	}
	walk_rrsets(&c, from, to);
	if (crypto == NULL) {
		vfy_crypto_free(c.crypto);
	}
}

void vfy_check_signatures(const struct vfy_zone *z, size_t from, size_t to,
                          const struct tld_verify_opts *opts, const struct vfy_vcache *cache_in,
                          struct vfy_hashvec *cache_out, struct vfy_issue_list *fails,
                          struct vfy_counts *counts, struct vfy_crypto *crypto)
{
	check_signatures_mode(z, from, to, opts, cache_in, cache_out, fails, counts, crypto, false, false);
}

void vfy_cache_hits(const struct vfy_zone *z, size_t from, size_t to,
                    const struct tld_verify_opts *opts, const struct vfy_vcache *cache_in,
                    struct vfy_hashvec *out)
{
	struct vfy_issue_list ignored = { 0 };
	struct vfy_counts counts = { 0 };

	check_signatures_mode(z, from, to, opts, cache_in, out, &ignored, &counts, NULL, true, false);
	vfy_issue_list_clear(&ignored);
}

void vfy_cache_guess(const struct vfy_zone *z, size_t from, size_t to,
                     const struct tld_verify_opts *opts, struct vfy_hashvec *out)
{
	struct vfy_issue_list ignored = { 0 };
	struct vfy_counts counts = { 0 };

	check_signatures_mode(z, from, to, opts, NULL, out, &ignored, &counts, NULL, true, true);
	vfy_issue_list_clear(&ignored);
}

void vfy_count_signatures(const struct vfy_zone *z, size_t from, size_t to,
                          struct vfy_counts *counts)
{
	struct vfy_issue_list none = { 0 };
	struct sig_ctx c = { .z = z, .fails = &none, .counts = counts, .count_only = true };

	walk_rrsets(&c, from, to);
	vfy_issue_list_clear(&none);
}
