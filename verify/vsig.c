/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signature checks: every authoritative RRset signed by every algorithm of
 * the DNSKEY set (RFC 4035 §2.2), every RRSIG verifying against a published
 * key (ldns does the cryptography), validity times, nothing signed that must
 * not be (delegation NS, glue).
 */
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

struct sig_ctx {
	const struct vfy_zone *z;
	const struct tld_verify_opts *opts;
	struct vfy_issue_list *fails;
	struct vfy_counts *counts;
	ldns_rr_list *rrset;
	struct vfy_crypto *crypto;
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

static void check_times(struct sig_ctx *c, size_t idx, const ldns_rr *sig)
{
	char a[32], b[32], w[32];
	tld_time_t now = c->opts->now;
	tld_time_t exp = serial_time(now, ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(sig)));
	tld_time_t inc = serial_time(now, ldns_rdf2native_time_t(ldns_rr_rrsig_inception(sig)));

	if (inc > now) {
		vfy_issue_add(c->fails, c->z, idx, sig, "signature not yet valid: inception %s is after now (%s)",
		              tld_time_format(inc, a, sizeof(a)), tld_time_format(now, b, sizeof(b)));
	}
	if (exp < now) {
		vfy_issue_add(c->fails, c->z, idx, sig, "signature expired at %s (now %s)",
		              tld_time_format(exp, a, sizeof(a)), tld_time_format(now, b, sizeof(b)));
	} else if (exp < now + c->opts->refresh_window) {
		vfy_issue_add(c->fails, c->z, idx, sig,
		              "signature expires at %s, within the refresh window (%s) ending %s",
		              tld_time_format(exp, a, sizeof(a)),
		              tld_duration_format(c->opts->refresh_window, w, sizeof(w)),
		              tld_time_format(now + c->opts->refresh_window, b, sizeof(b)));
	}
}

static bool signer_is_apex(const struct vfy_zone *z, const ldns_rr *sig)
{
	const ldns_rdf *signer = ldns_rr_rrsig_signame(sig);
	uint8_t key[VFY_NAME_MAX];
	size_t klen;

	return signer != NULL &&
	       vfy_name_key(ldns_rdf_data(signer), ldns_rdf_size(signer), key, &klen) == TLD_OK &&
	       klen == z->apex_klen && memcmp(key, z->apex_key, klen) == 0;
}

/* Verifies one RRSIG; sets good[alg] (and sep_good[alg] for a SEP key). */
static void check_one_sig(struct sig_ctx *c, size_t idx, bool good[256], bool sep_good[256])
{
	const struct vfy_zone *z = c->z;
	ldns_rr *sig = z->recs[idx].rr;
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	bool found = false;
	ldns_status last = LDNS_STATUS_CRYPTO_BOGUS;

	check_times(c, idx, sig);
	if (!signer_is_apex(z, sig)) {
		vfy_issue_add(c->fails, z, idx, sig, "signer name is not the zone apex");
		return;
	}
	for (size_t k = 0; k < ldns_rr_list_rr_count(z->dnskeys); k++) {
		ldns_rr *key = ldns_rr_list_rr(z->dnskeys, k);
		if (z->key_tags[k] != tag || ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) != alg) {
			continue;
		}
		found = true;
		bool valid;
		if (z->keys[k].pkey != NULL) {
			int v = vfy_rrsig_verify(c->crypto, (ldns_rr *const *)c->rrset->_rrs,
			                         ldns_rr_list_rr_count(c->rrset), sig, &z->keys[k]);
			if (v != TLD_OK && v != TLD_EVERIFY) {
				c->fails->err = v;
				return;
			}
			valid = v == TLD_OK;
			last = valid ? LDNS_STATUS_OK : LDNS_STATUS_CRYPTO_BOGUS;
		} else {
			time_t at = (time_t)ldns_rdf2native_time_t(ldns_rr_rrsig_inception(sig));
			last = ldns_verify_rrsig_time(c->rrset, sig, key, at);
			valid = last == LDNS_STATUS_OK;
		}
		if (valid) {
			good[alg] = true;
			if (ldns_rdf2native_int16(ldns_rr_rdf(key, 0)) & LDNS_KEY_SEP_KEY) {
				sep_good[alg] = true;
			}
			c->counts->rrsigs_verified++;
			return;
		}
	}
	if (!found) {
		vfy_issue_add(c->fails, z, idx, sig,
		              "signed by key tag %u algorithm %u, which is not in the published DNSKEY set",
		              tag, alg);
	} else {
		vfy_issue_add(c->fails, z, idx, sig, "signature does not verify: %s",
		              ldns_get_errorstr_by_id(last));
	}
}

static void check_rrset(struct sig_ctx *c, const struct vfy_name *n, size_t data, size_t n_data,
                        size_t sigs, size_t n_sigs)
{
	const struct vfy_zone *z = c->z;
	uint16_t type = z->recs[n_data ? data : sigs].type;
	bool good[256] = { false }, sep_good[256] = { false };

	if (n_data == 0) {
		for (size_t i = sigs; i < sigs + n_sigs; i++) {
			vfy_issue_add(c->fails, z, i, z->recs[i].rr,
			              "RRSIG covers a type that has no RRset at this name");
		}
		return;
	}
	if (!is_authoritative(n, type)) {
		for (size_t i = sigs; i < sigs + n_sigs; i++) {
			vfy_issue_add(c->fails, z, i, z->recs[i].rr, "%s",
			              (n->flags & VFY_OCCLUDED)
			                      ? "glue (below a zone cut) must not be signed"
			                      : "delegation NS must not be signed");
		}
		return;
	}
	c->counts->rrsets_signed++;
	if (n_sigs == 0) {
		vfy_issue_add(c->fails, z, data, z->recs[data].rr,
		              "authoritative RRset is not signed");
		return;
	}
	ldns_rr_list_set_rr_count(c->rrset, 0);
	for (size_t i = data; i < data + n_data; i++) {
		if (!ldns_rr_list_push_rr(c->rrset, z->recs[i].rr)) {
			c->fails->err = TLD_ENOMEM;
			return;
		}
	}
	for (size_t i = sigs; i < sigs + n_sigs; i++) {
		check_one_sig(c, i, good, sep_good);
	}
	for (unsigned alg = 0; alg < 256; alg++) {
		if (!z->alg_present[alg]) {
			continue;
		}
		if (!good[alg]) {
			vfy_issue_add(c->fails, z, data, z->recs[data].rr,
			              "no valid signature of algorithm %u over this %s RRset "
			              "(RFC 4035 2.2: each algorithm of the DNSKEY set signs every RRset)",
			              alg, ldns_rr_descript(type) ? ldns_rr_descript(type)->_name : "?");
		} else if (type == LDNS_RR_TYPE_DNSKEY && !sep_good[alg]) {
			vfy_issue_add(c->fails, z, data, z->recs[data].rr,
			              "DNSKEY RRset is not signed by a SEP key (KSK) of algorithm %u", alg);
		}
	}
}

void vfy_check_signatures(const struct vfy_zone *z, size_t from, size_t to,
                          const struct tld_verify_opts *opts, struct vfy_issue_list *fails,
                          struct vfy_counts *counts)
{
	struct sig_ctx c = { .z = z, .opts = opts, .fails = fails, .counts = counts };

	c.rrset = ldns_rr_list_new();
	c.crypto = vfy_crypto_new();
	if (c.rrset == NULL || c.crypto == NULL) {
		ldns_rr_list_free(c.rrset);
		vfy_crypto_free(c.crypto);
		fails->err = TLD_ENOMEM;
		return;
	}
	for (size_t ni = from; ni < to; ni++) {
		const struct vfy_name *n = &z->names[ni];
		if (n->flags & VFY_ENT) {
			continue;
		}
		if (n->flags & VFY_OUTSIDE) {
			for (size_t i = n->first; i < n->first + n->count; i++) {
				vfy_issue_add(fails, z, i, z->recs[i].rr, "record is outside the zone");
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
			check_rrset(&c, n, data, sigs - data, sigs, i - sigs);
		}
	}
	ldns_rr_list_set_rr_count(c.rrset, 0);
	ldns_rr_list_free(c.rrset);
	vfy_crypto_free(c.crypto);
}
