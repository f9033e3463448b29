/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The validation invariant over key states (tld_keystate_safe).
 *
 * Each record is present in the published RRsets during an interval derived
 * from its state: omnipresent [-inf, +inf), rumoured [changed, +inf),
 * unretentive [-inf, changed), hidden nowhere.  A DS asked of the parent but
 * not yet seen counts as present from the request; a DS whose withdrawal was
 * asked counts as absent from the request.  The versions of an RRset that a
 * validator may hold are its contents before the first change point and at
 * each change point; records that changed at the same instant changed in one
 * version (a swap).  Every combination of DS, DNSKEY and zone-RRSIG versions
 * must validate.
 */
#include <stdio.h>
#include <string.h>

#include "policy/keystate.h"
#include "policy/validity.h"

#define NEG_INF INT64_MIN
#define POS_INF INT64_MAX
#define MAX_KEYS 64
#define MAX_POINTS (2 * MAX_KEYS + 1)

enum rrset_class { CLASS_DS, CLASS_DNSKEY, CLASS_ZSIG, CLASS_COUNT };

struct interval {
	tld_time_t from;
	tld_time_t to;
};

static struct interval record_interval(const struct tld_keystate *k, enum tld_krec rec)
{
	struct interval none = { 0, 0 };
	enum tld_kstate st = k->st[rec];
	tld_time_t from = NEG_INF, to = POS_INF;

	switch (st) {
	case TLD_KS_NA:
		return none;
	case TLD_KS_HIDDEN:
		if (rec == TLD_KR_DS && k->ds_requested != 0) {
			from = k->ds_requested;
			break;
		}
		return none;
	case TLD_KS_RUMOURED:
		from = k->changed[rec];
		if (rec == TLD_KR_DS && k->ds_requested != 0 && k->ds_requested < from) {
			from = k->ds_requested;
		}
		break;
	case TLD_KS_OMNIPRESENT:
		break;
	case TLD_KS_UNRETENTIVE:
		to = k->changed[rec];
		if (rec == TLD_KR_DS && k->ds_withdraw != 0 && k->ds_withdraw < to) {
			to = k->ds_withdraw;
		}
		break;
	}
	if (rec == TLD_KR_DS && k->ds_withdraw != 0 && k->ds_withdraw < to) {
		to = k->ds_withdraw;
	}
	struct interval iv = { from, to };
	return iv;
}

static bool present_at(struct interval iv, tld_time_t x)
{
	return iv.from < iv.to && x >= iv.from && x < iv.to;
}

/* One version of the RRsets of a class: bit i = key i present. */
struct version {
	uint64_t present;   /* DS: has DS; DNSKEY: published; ZSIG: signs */
	uint64_t signers;   /* DNSKEY class only: signs the DNSKEY RRset */
};

static size_t add_point(tld_time_t *pts, size_t n, tld_time_t x)
{
	if (x == NEG_INF || x == POS_INF) {
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		if (pts[i] == x) {
			return n;
		}
	}
	pts[n] = x;
	return n + 1;
}

static size_t class_versions(const struct tld_keystate *keys, size_t n, enum rrset_class cls,
                             struct version *out)
{
	enum tld_krec main_rec = cls == CLASS_DS ? TLD_KR_DS
	                       : cls == CLASS_DNSKEY ? TLD_KR_DNSKEY : TLD_KR_ZRRSIG;
	struct interval iv_main[MAX_KEYS], iv_sig[MAX_KEYS];
	tld_time_t pts[MAX_POINTS * 2];
	size_t np = 0;

	pts[np++] = NEG_INF;
	for (size_t i = 0; i < n; i++) {
		iv_main[i] = record_interval(&keys[i], main_rec);
		np = add_point(pts, np, iv_main[i].from);
		np = add_point(pts, np, iv_main[i].to);
		if (cls == CLASS_DNSKEY) {
			iv_sig[i] = record_interval(&keys[i], TLD_KR_KRRSIG);
			np = add_point(pts, np, iv_sig[i].from);
			np = add_point(pts, np, iv_sig[i].to);
		}
	}
	/* versions in time order (NEG_INF first) */
	for (size_t i = 1; i < np; i++) {
		for (size_t j = i; j > 0 && pts[j] < pts[j - 1]; j--) {
			tld_time_t t = pts[j];
			pts[j] = pts[j - 1];
			pts[j - 1] = t;
		}
	}
	size_t nv = 0;
	for (size_t p = 0; p < np; p++) {
		struct version v = { 0, 0 };
		for (size_t i = 0; i < n; i++) {
			if (present_at(iv_main[i], pts[p])) {
				v.present |= UINT64_C(1) << i;
			}
			if (cls == CLASS_DNSKEY && present_at(iv_sig[i], pts[p])) {
				v.signers |= UINT64_C(1) << i;
			}
		}
		bool dup = false;
		for (size_t j = 0; j < nv; j++) {
			if (out[j].present == v.present && out[j].signers == v.signers) {
				dup = true;
				break;
			}
		}
		if (!dup) {
			out[nv++] = v;
		}
	}
	return nv;
}

static void format_mask(const struct tld_keystate *keys, size_t n, uint64_t mask, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 8 < size; i++) {
		if (mask & (UINT64_C(1) << i)) {
			len += (size_t)snprintf(buf + len, size - len, "%s%u", len ? "," : "", keys[i].key_tag);
		}
	}
	if (len == 0) {
		snprintf(buf, size, "none");
	}
}

bool tld_validation_combo_ok(const uint8_t *algs, size_t n, uint64_t ds, uint64_t dk,
                             uint64_t dk_signers, uint64_t zs, char *why, size_t why_size)
{
	if (ds == 0) {
		return true; /* no DS: the zone is insecure for this validator */
	}
	for (size_t i = 0; i < n; i++) {
		if (!(ds & (UINT64_C(1) << i))) {
			continue;
		}
		bool path = false;
		for (size_t j = 0; j < n; j++) {
			uint64_t b = UINT64_C(1) << j;
			if (algs[j] == algs[i] && (ds & b) && (dk & b) && (dk_signers & b)) {
				path = true;
			}
		}
		if (!path) {
			if (why) {
				snprintf(why, why_size, "DS of algorithm %u has no published DNSKEY of that "
				         "algorithm signing the DNSKEY RRset", algs[i]);
			}
			return false;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!(dk & (UINT64_C(1) << i))) {
			continue;
		}
		bool ksig = false, zsig = false;
		for (size_t j = 0; j < n; j++) {
			uint64_t b = UINT64_C(1) << j;
			if (algs[j] != algs[i] || !(dk & b)) {
				continue;
			}
			ksig |= (dk_signers & b) != 0;
			zsig |= (zs & b) != 0;
		}
		if (!ksig) {
			if (why) {
				snprintf(why, why_size, "algorithm %u is in the DNSKEY RRset but does not sign it",
				         algs[i]);
			}
			return false;
		}
		if (!zsig) {
			if (why) {
				snprintf(why, why_size, "algorithm %u is in the DNSKEY RRset but zone data "
				         "lacks its signatures", algs[i]);
			}
			return false;
		}
	}
	return true;
}

bool tld_keystate_safe(const struct tld_keystate *keys, size_t n, char *why, size_t why_size)
{
	struct version ds[MAX_POINTS * 2], dk[MAX_POINTS * 2], zs[MAX_POINTS * 2];
	uint8_t algs[MAX_KEYS];

	if (n > MAX_KEYS) {
		if (why) {
			snprintf(why, why_size, "more than %d keys", MAX_KEYS);
		}
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		algs[i] = keys[i].algorithm;
	}
	size_t nds = class_versions(keys, n, CLASS_DS, ds);
	/* a secure zone never goes insecure: after the first DS, some DS always remains */
	bool had_ds = false;
	for (size_t a = 0; a < nds; a++) {
		if (ds[a].present != 0) {
			had_ds = true;
		} else if (had_ds) {
			if (why) {
				snprintf(why, why_size, "the DS RRset would become empty: the zone would go insecure");
			}
			return false;
		}
	}
	size_t ndk = class_versions(keys, n, CLASS_DNSKEY, dk);
	size_t nzs = class_versions(keys, n, CLASS_ZSIG, zs);
	for (size_t a = 0; a < nds; a++) {
		for (size_t b = 0; b < ndk; b++) {
			for (size_t c = 0; c < nzs; c++) {
				char reason[160];
				if (tld_validation_combo_ok(algs, n, ds[a].present, dk[b].present, dk[b].signers,
				                            zs[c].present, reason, sizeof(reason))) {
					continue;
				}
				if (why) {
					char m1[64], m2[64], m3[64];
					format_mask(keys, n, ds[a].present, m1, sizeof(m1));
					format_mask(keys, n, dk[b].present, m2, sizeof(m2));
					format_mask(keys, n, zs[c].present, m3, sizeof(m3));
					snprintf(why, why_size, "%s (cached DS {%s}, DNSKEY {%s}, zone signed by {%s})",
					         reason, m1, m2, m3);
				}
				return false;
			}
		}
	}
	return true;
}
