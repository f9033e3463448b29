/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tld_keystate_step(): the pure RFC 7583 state machine.
 *
 * Order of one step:
 *   1. refuse any recorded time after "now" (the clock went backwards);
 *   2. apply the parent confirmations (ds seen / ds gone), noting anomalies;
 *   3. keys missing from the token stop signing (if that is safe; otherwise
 *      TLD_EKEY) and a rollover towards a missing key is cancelled;
 *   4. a key with a successor gets the goal "leave";
 *   5. until nothing changes: time-driven moves (rumoured -> omnipresent,
 *      unretentive -> hidden after the policy's waits), then for each RRset
 *      class the largest set of wanted moves (hidden -> rumoured,
 *      omnipresent -> unretentive) that keeps tld_keystate_safe() true;
 *   6. what each key does, lifetime rollovers due, and the next event.
 *
 * The ordering rules that make the rollover kinds (policy approval, in
 * BIND's words) are in wanted_intro(); everything else follows from the
 * safety check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/keystate.h"

#define MAX_KEYS 64
#define MAX_ROUNDS 16
#define MAX_CANDIDATES 10

const char *tld_kstate_name(enum tld_kstate st)
{
	switch (st) {
	case TLD_KS_HIDDEN: return "hidden";
	case TLD_KS_RUMOURED: return "rumoured";
	case TLD_KS_OMNIPRESENT: return "omnipresent";
	case TLD_KS_UNRETENTIVE: return "unretentive";
	case TLD_KS_NA: return "-";
	}
	return "?";
}

const char *tld_krec_name(enum tld_krec rec)
{
	static const char *names[] = { "dnskey", "krrsig", "zrrsig", "ds" };
	return (unsigned)rec < TLD_KR_COUNT ? names[rec] : "?";
}

const char *tld_keystate_role_name(uint8_t role)
{
	switch (role) {
	case TLD_ROLE_KSK: return "ksk";
	case TLD_ROLE_ZSK: return "zsk";
	case TLD_ROLE_CSK: return "csk";
	default: return "?";
	}
}

const char *tld_rollover_kind_name(enum tld_rollover_kind kind)
{
	switch (kind) {
	case TLD_ROLL_KSK: return "ksk";
	case TLD_ROLL_ZSK: return "zsk";
	case TLD_ROLL_CSK: return "csk";
	case TLD_ROLL_ALGORITHM: return "algorithm";
	}
	return "?";
}

bool tld_krec_applies(uint8_t role, enum tld_krec rec)
{
	switch (rec) {
	case TLD_KR_DNSKEY:
		return true;
	case TLD_KR_KRRSIG:
	case TLD_KR_DS:
		return role == TLD_ROLE_KSK || role == TLD_ROLE_CSK;
	case TLD_KR_ZRRSIG:
		return role == TLD_ROLE_ZSK || role == TLD_ROLE_CSK;
	default:
		return false;
	}
}

void tld_keystate_init(struct tld_keystate *ks, int64_t key_id, uint16_t key_tag,
                       uint8_t algorithm, uint8_t role, tld_time_t created)
{
	memset(ks, 0, sizeof(*ks));
	ks->key_id = key_id;
	ks->key_tag = key_tag;
	ks->algorithm = algorithm;
	ks->role = role;
	ks->goal = true;
	ks->in_token = true;
	ks->created = created;
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		ks->st[r] = tld_krec_applies(role, (enum tld_krec)r) ? TLD_KS_HIDDEN : TLD_KS_NA;
		ks->changed[r] = created;
	}
}

int64_t tld_keystate_wait(const struct tld_policy *pol, enum tld_krec rec, bool retire)
{
	int64_t safety = retire ? pol->timing.retire_safety : pol->timing.publish_safety;
	switch (rec) {
	case TLD_KR_DNSKEY:
	case TLD_KR_KRRSIG:
		return (int64_t)pol->ttl.dnskey + pol->timing.propagation_delay + safety;
	case TLD_KR_ZRRSIG:
		return (int64_t)pol->ttl.max_zone + pol->timing.propagation_delay + safety;
	case TLD_KR_DS:
		return (int64_t)pol->parent.ds_ttl + pol->parent.propagation_delay + safety;
	default:
		return 0;
	}
}

static void note(struct tld_keystep *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct tld_keystep *out, const char *fmt, ...)
{
	size_t len = strlen(out->notes);
	if (len + 4 >= sizeof(out->notes)) {
		return;
	}
	if (len > 0) {
		len += (size_t)snprintf(out->notes + len, sizeof(out->notes) - len, "; ");
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->notes + len, sizeof(out->notes) - len, fmt, ap);
	va_end(ap);
}

static struct tld_keystate *find_key(struct tld_keystate *ks, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ks[i].key_id == id) {
			return &ks[i];
		}
	}
	return NULL;
}

static int check_times(const struct tld_keystate *keys, size_t n, const struct tld_ds_confirm *conf,
                       size_t n_conf, tld_time_t now)
{
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &keys[i];
		tld_time_t latest = k->created;
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			if (k->changed[r] > latest) {
				latest = k->changed[r];
			}
		}
		if (k->ds_requested > latest) {
			latest = k->ds_requested;
		}
		if (k->ds_withdraw > latest) {
			latest = k->ds_withdraw;
		}
		if (k->active > latest) {
			latest = k->active;
		}
		if (k->last_step > latest) {
			latest = k->last_step;
		}
		if (latest > now) {
			return TLD_ETIME;
		}
	}
	for (size_t i = 0; i < n_conf; i++) {
		if (conf[i].when > now) {
			return TLD_ETIME;
		}
	}
	return TLD_OK;
}

static void apply_seen(struct tld_keystate *k, tld_time_t when, struct tld_keystep *out)
{
	switch (k->st[TLD_KR_DS]) {
	case TLD_KS_HIDDEN:
		if (k->ds_requested == 0) {
			note(out, "ds seen for key %u whose DS was never asked for; taken as published",
			     k->key_tag);
			k->ds_requested = when;
		}
		k->st[TLD_KR_DS] = TLD_KS_RUMOURED;
		k->changed[TLD_KR_DS] = when;
		break;
	case TLD_KS_UNRETENTIVE:
		note(out, "ds seen for key %u whose DS is being withdrawn; ignored", k->key_tag);
		break;
	default:
		break; /* rumoured or omnipresent already */
	}
}

static void apply_gone(struct tld_keystate *k, tld_time_t when, struct tld_keystep *out)
{
	switch (k->st[TLD_KR_DS]) {
	case TLD_KS_HIDDEN:
		if (k->ds_requested != 0) {
			note(out, "ds gone for key %u before ds seen: the DS is not at the parent; "
			     "it will be asked for again", k->key_tag);
			k->ds_requested = 0;
		} else {
			note(out, "ds gone for key %u whose DS was never published; ignored", k->key_tag);
		}
		break;
	case TLD_KS_RUMOURED:
	case TLD_KS_OMNIPRESENT:
		if (k->ds_withdraw == 0) {
			note(out, "ds gone for key %u although its withdrawal was never asked for", k->key_tag);
			k->ds_withdraw = when;
		}
		k->st[TLD_KR_DS] = TLD_KS_UNRETENTIVE;
		k->changed[TLD_KR_DS] = when;
		break;
	default:
		break;
	}
}

/*
 * A withdrawal asked for as half of a swap whose other half did not happen
 * (`ds gone` before `ds seen`) must not go ahead alone: ask to keep the DS.
 */
static void keep_unsafe_withdrawals(struct tld_keystate *ks, size_t n, struct tld_keystep *out)
{
	for (size_t i = 0; i < n && !tld_keystate_safe(ks, n, NULL, 0); i++) {
		struct tld_keystate *k = &ks[i];
		if (k->ds_withdraw != 0 &&
		    (k->st[TLD_KR_DS] == TLD_KS_RUMOURED || k->st[TLD_KR_DS] == TLD_KS_OMNIPRESENT)) {
			k->ds_withdraw = 0;
			note(out, "the parent must keep the DS of key %u: its withdrawal is cancelled", k->key_tag);
		}
	}
}

static bool any_dnskey_in_zone(const struct tld_keystate *ks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ks[i].st[TLD_KR_DNSKEY] != TLD_KS_HIDDEN) {
			return true;
		}
	}
	return false;
}

/* Is algorithm `alg` already in the zone through another key's DNSKEY? */
static bool algorithm_in_zone(const struct tld_keystate *ks, size_t n, const struct tld_keystate *self)
{
	for (size_t i = 0; i < n; i++) {
		if (&ks[i] != self && ks[i].algorithm == self->algorithm &&
		    ks[i].st[TLD_KR_DNSKEY] == TLD_KS_OMNIPRESENT) {
			return true;
		}
	}
	return false;
}

static bool algorithm_signs_zone(const struct tld_keystate *ks, size_t n, uint8_t alg)
{
	for (size_t i = 0; i < n; i++) {
		if (ks[i].algorithm == alg && ks[i].goal && ks[i].st[TLD_KR_ZRRSIG] == TLD_KS_OMNIPRESENT) {
			return true;
		}
	}
	return false;
}

static const struct tld_keystate *predecessor(const struct tld_keystate *ks, size_t n,
                                              const struct tld_keystate *k)
{
	for (size_t i = 0; i < n; i++) {
		if (k->successor_of != 0 && ks[i].key_id == k->successor_of) {
			return &ks[i];
		}
	}
	return NULL;
}

/* Policy approval of hidden -> rumoured: the order that makes each rollover kind. */
static bool wanted_intro(const struct tld_policy *pol, const struct tld_keystate *ks, size_t n,
                         const struct tld_keystate *k, enum tld_krec rec)
{
	bool bootstrap = !any_dnskey_in_zone(ks, n);
	bool new_alg = !bootstrap && !algorithm_in_zone(ks, n, k);
	const struct tld_keystate *pred = predecessor(ks, n, k);
	bool double_ds = k->role == TLD_ROLE_KSK && pol->ksk_rollover == TLD_KSK_DOUBLE_DS &&
	                 pred != NULL && pred->algorithm == k->algorithm && !new_alg;

	switch (rec) {
	case TLD_KR_DNSKEY:
		if (bootstrap) {
			return true;
		}
		if (new_alg) {
			/* RFC 6781 §4.1.4: the new algorithm signs the zone before its DNSKEYs appear */
			return algorithm_signs_zone(ks, n, k->algorithm);
		}
		if (double_ds) {
			return k->st[TLD_KR_DS] == TLD_KS_OMNIPRESENT;
		}
		return true;
	case TLD_KR_ZRRSIG:
		if (bootstrap || new_alg) {
			return true;
		}
		/* pre-publication: the DNSKEY is in every cache before its signatures */
		return k->st[TLD_KR_DNSKEY] == TLD_KS_OMNIPRESENT;
	case TLD_KR_DS:
		if (double_ds) {
			return true;
		}
		return k->st[TLD_KR_DNSKEY] == TLD_KS_OMNIPRESENT &&
		       k->st[TLD_KR_KRRSIG] == TLD_KS_OMNIPRESENT;
	default:
		return false;
	}
}

struct move {
	size_t key;
	enum tld_krec rec;
	bool intro;
};

static void apply_move(struct tld_keystate *ks, const struct move *m, tld_time_t now)
{
	struct tld_keystate *k = &ks[m->key];
	if (m->rec == TLD_KR_DS) {
		if (m->intro) {
			k->ds_requested = now;
		} else {
			k->ds_withdraw = now;
		}
		return;
	}
	enum tld_kstate to = m->intro ? TLD_KS_RUMOURED : TLD_KS_UNRETENTIVE;
	if (m->rec == TLD_KR_DNSKEY && k->st[TLD_KR_KRRSIG] == k->st[TLD_KR_DNSKEY]) {
		/* the DNSKEY and its RRSIG over the DNSKEY RRset travel together */
		k->st[TLD_KR_KRRSIG] = to;
		k->changed[TLD_KR_KRRSIG] = now;
	}
	k->st[m->rec] = to;
	k->changed[m->rec] = now;
}

static size_t collect_moves(const struct tld_policy *pol, const struct tld_keystate *ks, size_t n,
                            enum tld_krec rec, struct move *moves)
{
	size_t nm = 0;
	for (size_t i = 0; i < n && nm < MAX_CANDIDATES; i++) {
		const struct tld_keystate *k = &ks[i];
		if (k->st[rec] == TLD_KS_NA) {
			continue;
		}
		if (rec == TLD_KR_DS) {
			if (k->goal && k->st[rec] == TLD_KS_HIDDEN && k->ds_requested == 0 &&
			    wanted_intro(pol, ks, n, k, rec)) {
				moves[nm++] = (struct move){ i, rec, true };
			} else if (!k->goal && k->st[rec] == TLD_KS_OMNIPRESENT && k->ds_withdraw == 0) {
				moves[nm++] = (struct move){ i, rec, false };
			}
			continue;
		}
		if (k->goal && k->st[rec] == TLD_KS_HIDDEN && k->in_token &&
		    wanted_intro(pol, ks, n, k, rec)) {
			moves[nm++] = (struct move){ i, rec, true };
		} else if (!k->goal && k->st[rec] == TLD_KS_OMNIPRESENT) {
			moves[nm++] = (struct move){ i, rec, false };
		}
	}
	return nm;
}

/* Applies the largest safe subset of moves; returns the number applied. */
static unsigned apply_safe_subset(struct tld_keystate *ks, size_t n, const struct move *moves,
                                  size_t nm, tld_time_t now, struct tld_keystate *scratch)
{
	for (int size = (int)nm; size >= 1; size--) {
		for (uint32_t mask = 1; mask < (UINT32_C(1) << nm); mask++) {
			if (__builtin_popcount(mask) != size) {
				continue;
			}
			memcpy(scratch, ks, n * sizeof(*ks));
			for (size_t m = 0; m < nm; m++) {
				if (mask & (UINT32_C(1) << m)) {
					apply_move(scratch, &moves[m], now);
				}
			}
			if (tld_keystate_safe(scratch, n, NULL, 0)) {
				memcpy(ks, scratch, n * sizeof(*ks));
				return (unsigned)size;
			}
		}
	}
	return 0;
}

static unsigned timed_moves(const struct tld_policy *pol, struct tld_keystate *ks, size_t n, tld_time_t now)
{
	unsigned changes = 0;
	for (size_t i = 0; i < n; i++) {
		struct tld_keystate *k = &ks[i];
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			enum tld_krec rec = (enum tld_krec)r;
			if (k->st[r] == TLD_KS_RUMOURED && now >= k->changed[r] + tld_keystate_wait(pol, rec, false)) {
				k->st[r] = TLD_KS_OMNIPRESENT;
				k->changed[r] = now;
				changes++;
			} else if (k->st[r] == TLD_KS_UNRETENTIVE &&
			           now >= k->changed[r] + tld_keystate_wait(pol, rec, true)) {
				k->st[r] = TLD_KS_HIDDEN;
				k->changed[r] = now;
				if (rec == TLD_KR_DS) {
					k->ds_requested = 0;
					k->ds_withdraw = 0;
				}
				changes++;
			}
		}
	}
	return changes;
}

static bool fully_in(const struct tld_keystate *k)
{
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		if (k->st[r] != TLD_KS_NA && k->st[r] != TLD_KS_OMNIPRESENT) {
			return false;
		}
	}
	return true;
}

static bool fully_out(const struct tld_keystate *k)
{
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		if (k->st[r] != TLD_KS_NA && k->st[r] != TLD_KS_HIDDEN) {
			return false;
		}
	}
	return k->ds_requested == 0;
}

static int64_t role_lifetime(const struct tld_policy *pol, uint8_t role)
{
	switch (role) {
	case TLD_ROLE_KSK: return pol->ksk_lifetime;
	case TLD_ROLE_ZSK: return pol->zsk_lifetime;
	case TLD_ROLE_CSK: return pol->csk_lifetime;
	default: return 0;
	}
}

static bool has_successor(const struct tld_keystate *ks, size_t n, const struct tld_keystate *k)
{
	for (size_t i = 0; i < n; i++) {
		if (ks[i].goal && ks[i].successor_of == k->key_id) {
			return true;
		}
	}
	return false;
}

static bool rollover_under_way(const struct tld_keystate *ks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ks[i].goal && !fully_out(&ks[i])) {
			return true;
		}
		if (ks[i].goal && !fully_in(&ks[i])) {
			return true;
		}
	}
	return false;
}

static int handle_missing(struct tld_keystate *ks, size_t n, tld_time_t now, struct tld_keystep *out)
{
	bool forced = false;
	for (size_t i = 0; i < n; i++) {
		struct tld_keystate *k = &ks[i];
		if (k->in_token) {
			continue;
		}
		if (k->goal) {
			k->goal = false;
			struct tld_keystate *pred = find_key(ks, n, k->successor_of);
			if (pred != NULL && pred->in_token) {
				pred->goal = true;
				note(out, "key %u is missing from the token: rollover from key %u cancelled",
				     k->key_tag, pred->key_tag);
			} else {
				note(out, "key %u is missing from the token", k->key_tag);
			}
		}
		static const enum tld_krec sig_recs[] = { TLD_KR_KRRSIG, TLD_KR_ZRRSIG };
		for (size_t s = 0; s < 2; s++) {
			enum tld_krec r = sig_recs[s];
			if (k->st[r] == TLD_KS_RUMOURED || k->st[r] == TLD_KS_OMNIPRESENT) {
				k->st[r] = TLD_KS_UNRETENTIVE;
				k->changed[r] = now;
				forced = true;
			}
		}
	}
	if (forced) {
		char why[256];
		if (!tld_keystate_safe(ks, n, why, sizeof(why))) {
			note(out, "a key needed for signing is missing from the token: %s", why);
			return TLD_EKEY;
		}
	}
	return TLD_OK;
}

static void compute_uses(const struct tld_policy *pol, const struct tld_keystate *ks, size_t n,
                         struct tld_key_use *uses)
{
	bool rolling = rollover_under_way(ks, n);
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &ks[i];
		struct tld_key_use *u = &uses[i];
		memset(u, 0, sizeof(*u));
		u->key_id = k->key_id;
		u->key_tag = k->key_tag;
		u->algorithm = k->algorithm;
		u->role = k->role;
		u->publish_dnskey = k->st[TLD_KR_DNSKEY] == TLD_KS_RUMOURED ||
		                    k->st[TLD_KR_DNSKEY] == TLD_KS_OMNIPRESENT;
		u->sign_dnskey = k->in_token && (k->st[TLD_KR_KRRSIG] == TLD_KS_RUMOURED ||
		                                 k->st[TLD_KR_KRRSIG] == TLD_KS_OMNIPRESENT);
		u->sign_zone = k->in_token && (k->st[TLD_KR_ZRRSIG] == TLD_KS_RUMOURED ||
		                               k->st[TLD_KR_ZRRSIG] == TLD_KS_OMNIPRESENT);
		enum tld_kstate ds = k->st[TLD_KR_DS];
		bool ds_wanted = (ds == TLD_KS_HIDDEN && k->ds_requested != 0) ||
		                 ((ds == TLD_KS_RUMOURED || ds == TLD_KS_OMNIPRESENT) && k->ds_withdraw == 0);
		u->ds_at_parent = ds_wanted || (ds != TLD_KS_HIDDEN && ds != TLD_KS_NA);
		u->ds_submit = ds == TLD_KS_HIDDEN && k->ds_requested != 0;
		u->ds_remove = (ds == TLD_KS_RUMOURED || ds == TLD_KS_OMNIPRESENT) && k->ds_withdraw != 0;
		bool cds_mode = pol->parent.cds == TLD_CDS_ALWAYS ||
		                (pol->parent.cds == TLD_CDS_ROLLOVER && rolling);
		u->publish_cds = cds_mode && ds_wanted && u->publish_dnskey &&
		                 k->st[TLD_KR_DNSKEY] == TLD_KS_OMNIPRESENT;
	}
}

static tld_time_t min_future(tld_time_t cur, tld_time_t t, tld_time_t now)
{
	if (t <= now) {
		return cur;
	}
	return (cur == 0 || t < cur) ? t : cur;
}

static void compute_next(const struct tld_policy *pol, struct tld_keystep *out, tld_time_t now)
{
	const struct tld_keystate *ks = out->keys;
	size_t n = out->n_keys;
	tld_time_t next = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &ks[i];
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			if (k->st[r] == TLD_KS_RUMOURED) {
				next = min_future(next, k->changed[r] + tld_keystate_wait(pol, (enum tld_krec)r, false), now);
			} else if (k->st[r] == TLD_KS_UNRETENTIVE) {
				next = min_future(next, k->changed[r] + tld_keystate_wait(pol, (enum tld_krec)r, true), now);
			}
		}
		int64_t life = role_lifetime(pol, k->role);
		if (k->goal && k->active != 0 && life > 0 && !has_successor(ks, n, k)) {
			next = min_future(next, k->active + life, now);
		}
	}
	out->next_event = next;
}

static void compute_needs(const struct tld_policy *pol, struct tld_keystep *out, tld_time_t now)
{
	const struct tld_keystate *ks = out->keys;
	size_t n = out->n_keys;
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &ks[i];
		int64_t life = role_lifetime(pol, k->role);
		if (!k->goal || k->active == 0 || life <= 0 || now < k->active + life || has_successor(ks, n, k)) {
			continue;
		}
		if (out->n_needs >= sizeof(out->needs) / sizeof(out->needs[0])) {
			break;
		}
		/* a lifetime rollover keeps the role; a changed algorithm needs "rollover start algorithm" */
		out->needs[out->n_needs++] = (struct tld_key_need){ k->role, k->algorithm, k->key_id };
	}
}

int tld_keystate_step(const struct tld_policy *pol, const struct tld_keystate *keys, size_t n,
                      const struct tld_ds_confirm *conf, size_t n_conf, tld_time_t now,
                      struct tld_keystep *out)
{
	struct tld_keystep res;
	struct tld_keystate *scratch = NULL;
	int ret;

	memset(&res, 0, sizeof(res));
	if (pol == NULL || out == NULL || (n > 0 && keys == NULL) || (n_conf > 0 && conf == NULL)) {
		return TLD_EINVAL;
	}
	if (n > MAX_KEYS) {
		return TLD_EINVAL;
	}
	ret = check_times(keys, n, conf, n_conf, now);
	if (ret != TLD_OK) {
		return ret;
	}
	res.keys = calloc(n ? n : 1, sizeof(*res.keys));
	res.uses = calloc(n ? n : 1, sizeof(*res.uses));
	scratch = calloc(n ? n : 1, sizeof(*scratch));
	if (res.keys == NULL || res.uses == NULL || scratch == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	if (n > 0) {
		memcpy(res.keys, keys, n * sizeof(*keys));
	}
	res.n_keys = n;
	struct tld_keystate *ks = res.keys;

	for (size_t c = 0; c < n_conf; c++) {
		struct tld_keystate *k = find_key(ks, n, conf[c].key_id);
		if (k == NULL || k->st[TLD_KR_DS] == TLD_KS_NA) {
			note(&res, "confirmation for unknown key or key without DS (id %lld) ignored",
			     (long long)conf[c].key_id);
			continue;
		}
		if (conf[c].gone) {
			apply_gone(k, conf[c].when, &res);
		} else {
			apply_seen(k, conf[c].when, &res);
		}
	}
	if (n_conf > 0) {
		keep_unsafe_withdrawals(ks, n, &res);
		char why[256];
		if (!tld_keystate_safe(ks, n, why, sizeof(why))) {
			note(&res, "WARNING: the parent's DS change leaves validators at risk: %s", why);
		}
	}

	ret = handle_missing(ks, n, now, &res);
	if (ret != TLD_OK) {
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ks[i].goal) {
			continue;
		}
		struct tld_keystate *pred = find_key(ks, n, ks[i].successor_of);
		if (pred != NULL && pred->goal) {
			pred->goal = false;
		}
	}

	static const enum tld_krec order[] = { TLD_KR_DNSKEY, TLD_KR_ZRRSIG, TLD_KR_DS };
	for (int round = 0; round < MAX_ROUNDS; round++) {
		unsigned changes = timed_moves(pol, ks, n, now);
		for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
			struct move moves[MAX_CANDIDATES];
			size_t nm = collect_moves(pol, ks, n, order[o], moves);
			if (nm > 0) {
				changes += apply_safe_subset(ks, n, moves, nm, now, scratch);
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (ks[i].goal && ks[i].active == 0 && fully_in(&ks[i])) {
				ks[i].active = now;
				changes++;
			}
		}
		res.changes += changes;
		if (changes == 0) {
			break;
		}
	}

	for (size_t i = 0; i < n; i++) {
		ks[i].last_step = now;
	}
	compute_uses(pol, ks, n, res.uses);
	compute_next(pol, &res, now);
	compute_needs(pol, &res, now);
	free(scratch);
	*out = res;
	return TLD_OK;
fail:
	free(scratch);
	tld_keystep_clear(&res);
	if (ret == TLD_EKEY) {
		memcpy(out->notes, res.notes, sizeof(out->notes)); /* the explanation, see keystate.h */
	}
	return ret;
}

void tld_keystep_clear(struct tld_keystep *step)
{
	if (step == NULL) {
		return;
	}
	free(step->keys);
	free(step->uses);
	step->keys = NULL;
	step->uses = NULL;
	step->n_keys = 0;
}

int tld_keystate_plan_rollover(const struct tld_policy *pol, const struct tld_keystate *keys,
                               size_t n, enum tld_rollover_kind kind,
                               struct tld_key_need *needs, size_t *n_needs)
{
	size_t nn = 0;
	struct tld_key_need tmp[3];

	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &keys[i];
		if (!k->goal) {
			continue;
		}
		bool pick = false;
		switch (kind) {
		case TLD_ROLL_KSK: pick = k->role == TLD_ROLE_KSK; break;
		case TLD_ROLL_ZSK: pick = k->role == TLD_ROLE_ZSK; break;
		case TLD_ROLL_CSK: pick = k->role == TLD_ROLE_CSK; break;
		case TLD_ROLL_ALGORITHM: pick = true; break;
		}
		if (!pick) {
			continue;
		}
		if (k->successor_of != 0 && !fully_in(k)) {
			return TLD_EPOLICY; /* this role is already rolling */
		}
		if (kind == TLD_ROLL_ALGORITHM && k->algorithm == (uint8_t)pol->algorithm) {
			return TLD_EPOLICY; /* nothing to change */
		}
		if (nn >= 3) {
			return TLD_EPOLICY;
		}
		uint8_t alg = kind == TLD_ROLL_ALGORITHM ? (uint8_t)pol->algorithm : k->algorithm;
		tmp[nn++] = (struct tld_key_need){ k->role, alg, k->key_id };
	}
	if (nn == 0) {
		return TLD_EPOLICY;
	}
	memcpy(needs, tmp, nn * sizeof(*tmp));
	*n_needs = nn;
	return TLD_OK;
}

int tld_keystate_add_successor(struct tld_keystate *keys, size_t *n, const struct tld_key_need *need,
                               int64_t key_id, uint16_t key_tag, tld_time_t now)
{
	struct tld_keystate *pred = NULL;
	if (need->successor_of != 0) {
		pred = find_key(keys, *n, need->successor_of);
		if (pred == NULL) {
			return TLD_EINVAL;
		}
	}
	struct tld_keystate *k = &keys[*n];
	tld_keystate_init(k, key_id, key_tag, need->algorithm, need->role, now);
	k->successor_of = need->successor_of;
	if (pred != NULL) {
		pred->goal = false;
	}
	(*n)++;
	return TLD_OK;
}
