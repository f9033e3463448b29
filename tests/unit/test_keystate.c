/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * policy/keystate: the RFC 7583 state machine, table-driven.
 *
 * A small driver runs the pure step through time with the parent confirming
 * DS changes after a delay, checks the safety invariant after every step and
 * remembers when each (key, record) first reached each state, so the order
 * each rollover kind demands can be asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/examples.h"
#include "policy/keystate.h"
#include "tests/tap/tap.h"

#define T0 1795255200LL
#define DAY 86400LL
#define MAXK 16

struct driver {
	struct tld_policy pol;
	struct tld_keystate keys[MAXK];
	size_t n;
	tld_time_t now;
	int64_t parent_delay;          /* -1: the parent never acts */
	tld_time_t ds_due[MAXK];       /* per key: when the parent's change lands */
	bool ds_due_gone[MAXK];
	tld_time_t reached[MAXK][TLD_KR_COUNT][4]; /* first time in each state */
	unsigned unsafe_steps;
	char unsafe_why[256];
	char notes[2048];
	int64_t next_id;
};

static void record_reached(struct driver *d)
{
	for (size_t i = 0; i < d->n; i++) {
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			enum tld_kstate st = d->keys[i].st[r];
			if (st <= TLD_KS_UNRETENTIVE && d->reached[i][r][st] == 0) {
				d->reached[i][r][st] = d->now;
			}
		}
	}
}

static int add_key(struct driver *d, uint8_t role, uint8_t alg, int64_t successor_of)
{
	struct tld_key_need need = { role, alg, successor_of };
	size_t idx = d->n;
	int64_t id = ++d->next_id;
	int ret = tld_keystate_add_successor(d->keys, &d->n, &need, id, (uint16_t)(20000 + id), d->now);
	if (ret == TLD_OK) {
		memset(d->reached[idx], 0, sizeof(d->reached[idx]));
	}
	return ret;
}

/* One step at d->now with due parent confirmations; returns the step's code. */
static int drive_step(struct driver *d, tld_time_t *next)
{
	struct tld_ds_confirm conf[MAXK];
	size_t nc = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (d->ds_due[i] != 0 && d->ds_due[i] <= d->now) {
			conf[nc++] = (struct tld_ds_confirm){ d->keys[i].key_id, d->ds_due_gone[i], d->now };
			d->ds_due[i] = 0;
		}
	}
	struct tld_keystep st;
	memset(&st, 0, sizeof(st));
	int ret = tld_keystate_step(&d->pol, d->keys, d->n, conf, nc, d->now, &st);
	if (ret != TLD_OK) {
		snprintf(d->notes, sizeof(d->notes), "%s", st.notes);
		return ret;
	}
	memcpy(d->keys, st.keys, d->n * sizeof(*d->keys));
	if (st.notes[0]) {
		size_t len = strlen(d->notes);
		snprintf(d->notes + len, sizeof(d->notes) - len, "%s; ", st.notes);
	}
	char why[256];
	if (!tld_keystate_safe(d->keys, d->n, why, sizeof(why))) {
		if (d->unsafe_steps++ == 0) {
			snprintf(d->unsafe_why, sizeof(d->unsafe_why), "%s", why);
		}
	}
	for (size_t i = 0; i < d->n && d->parent_delay >= 0; i++) {
		if (d->ds_due[i] != 0) {
			continue;
		}
		if (st.uses[i].ds_submit) {
			d->ds_due[i] = d->now + d->parent_delay;
			d->ds_due_gone[i] = false;
		} else if (st.uses[i].ds_remove) {
			d->ds_due[i] = d->now + d->parent_delay;
			d->ds_due_gone[i] = true;
		}
	}
	record_reached(d);
	*next = st.next_event;
	for (size_t i = 0; i < d->n; i++) {
		if (d->ds_due[i] != 0 && (*next == 0 || d->ds_due[i] < *next)) {
			*next = d->ds_due[i] > d->now ? d->ds_due[i] : d->now + 1;
		}
	}
	/* lifetimes are long in these tests; needs are ignored */
	tld_keystep_clear(&st);
	return TLD_OK;
}

/* Runs until `until` or until nothing is left to happen. */
static int drive_until(struct driver *d, tld_time_t until)
{
	for (int i = 0; i < 1000 && d->now <= until; i++) {
		tld_time_t next = 0;
		int ret = drive_step(d, &next);
		if (ret != TLD_OK) {
			return ret;
		}
		if (next == 0 || next > until) {
			d->now = until;
			next = 0;
			ret = drive_step(d, &next);
			return ret;
		}
		d->now = next;
	}
	return TLD_OK;
}

static void driver_init(struct driver *d, const char *policy, int64_t parent_delay)
{
	memset(d, 0, sizeof(*d));
	tld_policy_example(policy, &d->pol);
	d->pol.ksk_lifetime = d->pol.zsk_lifetime = d->pol.csk_lifetime = 0; /* rollovers by hand */
	d->now = T0;
	d->parent_delay = parent_delay;
	if (d->pol.use_csk) {
		add_key(d, TLD_ROLE_CSK, (uint8_t)d->pol.algorithm, 0);
	} else {
		add_key(d, TLD_ROLE_KSK, (uint8_t)d->pol.algorithm, 0);
		add_key(d, TLD_ROLE_ZSK, (uint8_t)d->pol.algorithm, 0);
	}
	drive_until(d, T0 + 10 * DAY);
}

static bool all_in(const struct tld_keystate *k, enum tld_kstate want)
{
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		if (k->st[r] != TLD_KS_NA && k->st[r] != want) {
			return false;
		}
	}
	return true;
}

static int start_rollover(struct driver *d, enum tld_rollover_kind kind)
{
	struct tld_key_need needs[3];
	size_t nn = 0;
	int ret = tld_keystate_plan_rollover(&d->pol, d->keys, d->n, kind, needs, &nn);
	for (size_t i = 0; i < nn && ret == TLD_OK; i++) {
		ret = add_key(d, needs[i].role, needs[i].algorithm, needs[i].successor_of);
	}
	return ret;
}

#define AT(d, k, rec, st) ((d)->reached[k][rec][st])

/* ---- the table: every rollover kind, with the order it must respect ---- */

struct rollover_case {
	const char *name;
	const char *policy;
	enum tld_rollover_kind kind;
	int new_alg;
};

static const struct rollover_case rollover_cases[] = {
	{ "ZSK pre-publication", "ecdsa-double-ds", TLD_ROLL_ZSK, 0 },
	{ "KSK double-DS", "ecdsa-double-ds", TLD_ROLL_KSK, 0 },
	{ "KSK double-KSK", "ecdsa-double-ksk", TLD_ROLL_KSK, 0 },
	{ "CSK", "csk", TLD_ROLL_CSK, 0 },
	{ "algorithm KSK+ZSK 13 -> 8", "ecdsa-double-ds", TLD_ROLL_ALGORITHM, TLD_ALG_RSASHA256 },
	{ "algorithm CSK 13 -> 15", "csk", TLD_ROLL_ALGORITHM, TLD_ALG_ED25519 },
	{ "RSA ZSK pre-publication", "rsa", TLD_ROLL_ZSK, 0 },
	{ "RSA KSK double-KSK", "rsa", TLD_ROLL_KSK, 0 },
};

static void check_rollover(const struct rollover_case *rc)
{
	struct driver d;
	driver_init(&d, rc->policy, DAY);
	size_t n_old = d.n;
	ok(all_in(&d.keys[0], TLD_KS_OMNIPRESENT), "%s: initial keys omnipresent", rc->name);
	if (rc->new_alg) {
		d.pol.algorithm = (enum tld_algorithm)rc->new_alg;
	}
	is_int(TLD_OK, start_rollover(&d, rc->kind), "%s: rollover starts", rc->name);
	ok(d.n > n_old, "%s: new key(s) added", rc->name);
	is_int(TLD_EPOLICY, start_rollover(&d, rc->kind), "%s: a second start is refused", rc->name);
	tld_time_t start = d.now;
	is_int(TLD_OK, drive_until(&d, start + 60 * DAY), "%s: runs", rc->name);
	is_int(0, d.unsafe_steps, "%s: safe at every step %s", rc->name, d.unsafe_why);
	for (size_t i = 0; i < d.n; i++) {
		const struct tld_keystate *k = &d.keys[i];
		if (k->goal) {
			ok(all_in(k, TLD_KS_OMNIPRESENT), "%s: key %u ends omnipresent", rc->name, k->key_tag);
		} else {
			ok(all_in(k, TLD_KS_HIDDEN), "%s: key %u ends hidden", rc->name, k->key_tag);
		}
	}
	/* order checks: i = old key, j = its successor */
	for (size_t j = n_old; j < d.n; j++) {
		const struct tld_keystate *nk = &d.keys[j];
		size_t i = 0;
		while (i < n_old && d.keys[i].key_id != nk->successor_of) {
			i++;
		}
		if (i == n_old) {
			ok(0, "%s: successor %u has a predecessor", rc->name, nk->key_tag);
			continue;
		}
		bool ksk_like = nk->role != TLD_ROLE_ZSK;
		bool zsk_like = nk->role != TLD_ROLE_KSK;
		if (rc->new_alg) {
			/* RFC 6781 §4.1.4: new signatures before the new DNSKEY; old signatures last */
			if (zsk_like) {
				ok(AT(&d, j, TLD_KR_ZRRSIG, TLD_KS_OMNIPRESENT) <= AT(&d, j, TLD_KR_DNSKEY, TLD_KS_RUMOURED),
				   "%s: %u signs the zone everywhere before its DNSKEY appears", rc->name, nk->key_tag);
				ok(AT(&d, i, TLD_KR_ZRRSIG, TLD_KS_UNRETENTIVE) >= AT(&d, i, TLD_KR_DNSKEY, TLD_KS_HIDDEN),
				   "%s: old signatures of %u removed after its DNSKEY is gone", rc->name, d.keys[i].key_tag);
			}
			if (ksk_like) {
				ok(AT(&d, j, TLD_KR_DS, TLD_KS_RUMOURED) >= AT(&d, j, TLD_KR_DNSKEY, TLD_KS_OMNIPRESENT),
				   "%s: new DS only once the new DNSKEY is omnipresent", rc->name);
				ok(AT(&d, i, TLD_KR_DNSKEY, TLD_KS_UNRETENTIVE) >= AT(&d, i, TLD_KR_DS, TLD_KS_HIDDEN),
				   "%s: old KSK material stays until the old DS is gone from caches", rc->name);
			}
			continue;
		}
		if (nk->role == TLD_ROLE_ZSK || nk->role == TLD_ROLE_CSK) {
			ok(AT(&d, j, TLD_KR_ZRRSIG, TLD_KS_RUMOURED) >= AT(&d, j, TLD_KR_DNSKEY, TLD_KS_OMNIPRESENT),
			   "%s: pre-publication (DNSKEY omnipresent before signing)", rc->name);
			ok(AT(&d, i, TLD_KR_DNSKEY, TLD_KS_UNRETENTIVE) >= AT(&d, i, TLD_KR_ZRRSIG, TLD_KS_HIDDEN),
			   "%s: old DNSKEY stays until its signatures left every cache", rc->name);
		}
		if (nk->role == TLD_ROLE_KSK && d.pol.ksk_rollover == TLD_KSK_DOUBLE_DS) {
			ok(AT(&d, j, TLD_KR_DNSKEY, TLD_KS_RUMOURED) >= AT(&d, j, TLD_KR_DS, TLD_KS_OMNIPRESENT),
			   "%s: double-DS (new DS omnipresent before the new DNSKEY)", rc->name);
			ok(AT(&d, i, TLD_KR_DNSKEY, TLD_KS_UNRETENTIVE) == AT(&d, j, TLD_KR_DNSKEY, TLD_KS_RUMOURED),
			   "%s: DNSKEYs swapped in one version", rc->name);
			ok(AT(&d, i, TLD_KR_DS, TLD_KS_UNRETENTIVE) >= AT(&d, i, TLD_KR_DNSKEY, TLD_KS_HIDDEN),
			   "%s: old DS withdrawn after the old DNSKEY left every cache", rc->name);
		} else if (ksk_like) {
			ok(AT(&d, j, TLD_KR_DS, TLD_KS_RUMOURED) >= AT(&d, j, TLD_KR_DNSKEY, TLD_KS_OMNIPRESENT),
			   "%s: double-KSK (new DNSKEY omnipresent before the DS change)", rc->name);
			ok(AT(&d, i, TLD_KR_DNSKEY, TLD_KS_UNRETENTIVE) >= AT(&d, i, TLD_KR_DS, TLD_KS_HIDDEN),
			   "%s: old DNSKEY stays until the old DS left every cache", rc->name);
		}
	}
}

/* ---- special cases ---- */

static void test_clock_backwards(void)
{
	struct driver d;
	driver_init(&d, "ecdsa-double-ds", DAY);
	struct tld_keystep st;
	memset(&st, 0, sizeof(st));
	is_int(TLD_ETIME, tld_keystate_step(&d.pol, d.keys, d.n, NULL, 0, d.now - 3600, &st),
	       "clock one hour backwards is refused");
	ok(st.keys == NULL, "nothing written on refusal");
	struct tld_ds_confirm c = { d.keys[0].key_id, false, d.now + 60 };
	is_int(TLD_ETIME, tld_keystate_step(&d.pol, d.keys, d.n, &c, 1, d.now, &st),
	       "a confirmation from the future is refused");
	is_int(TLD_OK, tld_keystate_step(&d.pol, d.keys, d.n, NULL, 0, d.now, &st), "same instant is fine");
	tld_keystep_clear(&st);
}

static void test_ds_seen_late(void)
{
	struct driver d;
	driver_init(&d, "ecdsa-double-ds", DAY);
	d.parent_delay = -1; /* the parent is silent */
	start_rollover(&d, TLD_ROLL_KSK);
	drive_until(&d, d.now + 120 * DAY);
	is_int(0, d.unsafe_steps, "ds seen late: safe while waiting %s", d.unsafe_why);
	ok(all_in(&d.keys[0], TLD_KS_OMNIPRESENT), "ds seen late: old KSK untouched after 120 days");
	is_int(TLD_KS_HIDDEN, d.keys[2].st[TLD_KR_DNSKEY], "ds seen late: new KSK not published (double-DS)");
	ok(d.keys[2].ds_requested != 0, "ds seen late: DS still asked for");
	/* now the operator confirms, late */
	d.parent_delay = DAY;
	d.ds_due[2] = d.now;
	drive_until(&d, d.now + 30 * DAY);
	is_int(0, d.unsafe_steps, "ds seen late: safe after %s", d.unsafe_why);
	ok(all_in(&d.keys[2], TLD_KS_OMNIPRESENT), "ds seen late: rollover completes");
	ok(all_in(&d.keys[0], TLD_KS_HIDDEN), "ds seen late: old KSK retired");
}

static void test_ds_gone_before_seen(void)
{
	struct driver d;
	driver_init(&d, "ecdsa-double-ksk", DAY);
	d.parent_delay = -1;
	start_rollover(&d, TLD_ROLL_KSK);
	drive_until(&d, d.now + 5 * DAY);
	ok(d.keys[2].ds_requested != 0, "gone-before-seen: new DS asked for");
	ok(d.keys[0].ds_withdraw != 0, "gone-before-seen: old DS removal asked (swap)");
	struct tld_ds_confirm c = { d.keys[2].key_id, true, d.now };
	struct tld_keystep st;
	memset(&st, 0, sizeof(st));
	is_int(TLD_OK, tld_keystate_step(&d.pol, d.keys, d.n, &c, 1, d.now, &st), "gone-before-seen: accepted");
	ok(strstr(st.notes, "before ds seen") != NULL, "gone-before-seen: noted (%s)", st.notes);
	is_int(TLD_KS_HIDDEN, st.keys[2].st[TLD_KR_DS], "gone-before-seen: DS stays hidden");
	ok(tld_keystate_safe(st.keys, st.n_keys, NULL, 0), "gone-before-seen: states safe");
	is_int(TLD_KS_OMNIPRESENT, st.keys[0].st[TLD_KR_DNSKEY], "gone-before-seen: old KSK kept");
	tld_keystep_clear(&st);
	/* a `ds gone` for the current KSK the parent removed unasked is reality: noted and unsafe */
	struct driver e;
	driver_init(&e, "ecdsa-double-ds", DAY);
	struct tld_ds_confirm g = { e.keys[0].key_id, true, e.now };
	memset(&st, 0, sizeof(st));
	is_int(TLD_OK, tld_keystate_step(&e.pol, e.keys, e.n, &g, 1, e.now, &st), "unasked ds gone: recorded");
	ok(strstr(st.notes, "WARNING") != NULL, "unasked ds gone: warns that validators are at risk");
	tld_keystep_clear(&st);
}

static void test_policy_change_mid_rollover(void)
{
	struct driver a, b;
	driver_init(&a, "ecdsa-double-ds", DAY);
	start_rollover(&a, TLD_ROLL_ZSK);
	drive_until(&a, a.now + 3600 * 4);
	b = a;
	b.pol.algorithm = TLD_ALG_ED448;
	b.pol.ksk_rollover = TLD_KSK_DOUBLE_KSK;
	drive_until(&a, a.now + 30 * DAY);
	drive_until(&b, b.now + 30 * DAY);
	ok(memcmp(a.keys, b.keys, a.n * sizeof(a.keys[0])) == 0,
	   "policy change mid-rollover: the running rollover continues unchanged");
	is_int(0, b.unsafe_steps, "policy change mid-rollover: safe");
	for (size_t i = 0; i < b.n; i++) {
		ok(b.keys[i].algorithm == TLD_ALG_ECDSAP256SHA256, "policy change: key %zu keeps algorithm 13", i);
	}
	is_int(TLD_OK, start_rollover(&b, TLD_ROLL_ALGORITHM), "policy change: takes effect through a rollover");
	drive_until(&b, b.now + 60 * DAY);
	is_int(0, b.unsafe_steps, "policy change: algorithm rollover safe %s", b.unsafe_why);
}

static void test_key_missing(void)
{
	struct driver d;
	driver_init(&d, "ecdsa-double-ds", DAY);
	start_rollover(&d, TLD_ROLL_ZSK);
	drive_until(&d, d.now + 3600);
	d.keys[2].in_token = false; /* the new ZSK vanished before signing */
	is_int(TLD_OK, drive_until(&d, d.now + 10 * DAY), "missing successor: step succeeds");
	ok(strstr(d.notes, "cancelled") != NULL, "missing successor: rollover cancelled (%s)", d.notes);
	ok(d.keys[1].goal && all_in(&d.keys[1], TLD_KS_OMNIPRESENT), "missing successor: old ZSK stays");
	ok(all_in(&d.keys[2], TLD_KS_HIDDEN), "missing successor: withdrawn");
	is_int(0, d.unsafe_steps, "missing successor: safe");

	struct driver e;
	driver_init(&e, "ecdsa-double-ds", DAY);
	e.keys[1].in_token = false; /* the only ZSK */
	struct tld_keystep st;
	memset(&st, 0, sizeof(st));
	is_int(TLD_EKEY, tld_keystate_step(&e.pol, e.keys, e.n, NULL, 0, e.now, &st),
	       "only signing ZSK missing: refused with TLD_EKEY");
	ok(strstr(st.notes, "missing") != NULL, "only signing ZSK missing: explained (%s)", st.notes);
}

static void test_safety_examples(void)
{
	struct tld_keystate k[2];
	tld_keystate_init(&k[0], 1, 100, 13, TLD_ROLE_CSK, T0);
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		k[0].st[r] = TLD_KS_OMNIPRESENT;
	}
	ok(tld_keystate_safe(k, 1, NULL, 0), "one omnipresent CSK is safe");
	k[0].st[TLD_KR_ZRRSIG] = TLD_KS_UNRETENTIVE;
	char why[256];
	ok(!tld_keystate_safe(k, 1, why, sizeof(why)), "CSK removing its signatures is unsafe");
	ok(strstr(why, "signatures") != NULL, "reason names signatures: %s", why);
	k[0].st[TLD_KR_ZRRSIG] = TLD_KS_OMNIPRESENT;
	tld_keystate_init(&k[1], 2, 200, 13, TLD_ROLE_CSK, T0);
	k[1].st[TLD_KR_DNSKEY] = k[1].st[TLD_KR_KRRSIG] = TLD_KS_OMNIPRESENT;
	k[1].st[TLD_KR_ZRRSIG] = TLD_KS_RUMOURED;
	k[1].changed[TLD_KR_ZRRSIG] = T0 + 10;
	k[0].st[TLD_KR_ZRRSIG] = TLD_KS_UNRETENTIVE;
	k[0].changed[TLD_KR_ZRRSIG] = T0 + 10;
	ok(tld_keystate_safe(k, 2, NULL, 0), "signatures swapped in one version are safe");
	k[0].changed[TLD_KR_ZRRSIG] = T0 + 5;
	ok(!tld_keystate_safe(k, 2, NULL, 0), "old signatures gone before the new ones came is unsafe");
	k[0].changed[TLD_KR_ZRRSIG] = T0 + 10;
	k[0].st[TLD_KR_DS] = TLD_KS_UNRETENTIVE;
	k[0].changed[TLD_KR_DS] = T0 + 20;
	ok(!tld_keystate_safe(k, 2, why, sizeof(why)), "the last DS leaving is unsafe (insecure)");
	k[1].st[TLD_KR_DS] = TLD_KS_RUMOURED;
	k[1].changed[TLD_KR_DS] = T0 + 20;
	ok(tld_keystate_safe(k, 2, NULL, 0), "DS swapped in one version is safe");
	k[1].algorithm = 8;
	ok(!tld_keystate_safe(k, 2, why, sizeof(why)), "a second algorithm without zone signatures is unsafe");
}

static void test_waits(void)
{
	struct tld_policy pol;
	tld_policy_example("ecdsa-double-ds", &pol);
	is_int(3600 + 3600 + 3600, tld_keystate_wait(&pol, TLD_KR_DNSKEY, false), "DNSKEY wait");
	is_int(172800 + 3600 + 3600, tld_keystate_wait(&pol, TLD_KR_ZRRSIG, true), "ZRRSIG wait");
	is_int(86400 + 3600 + 3600, tld_keystate_wait(&pol, TLD_KR_DS, false), "DS wait");
	is_str("omnipresent", tld_kstate_name(TLD_KS_OMNIPRESENT), "state name");
	is_str("zrrsig", tld_krec_name(TLD_KR_ZRRSIG), "record name");
}

static void test_cds(void)
{
	struct driver d;
	driver_init(&d, "ecdsa-double-ksk", DAY);
	d.pol.parent.cds = TLD_CDS_ALWAYS;
	struct tld_keystep st;
	memset(&st, 0, sizeof(st));
	tld_keystate_step(&d.pol, d.keys, d.n, NULL, 0, d.now, &st);
	ok(st.uses[0].publish_cds, "cds always: KSK's CDS published");
	ok(!st.uses[1].publish_cds, "cds always: not for the ZSK");
	tld_keystep_clear(&st);
	d.pol.parent.cds = TLD_CDS_ROLLOVER;
	tld_keystate_step(&d.pol, d.keys, d.n, NULL, 0, d.now, &st);
	ok(!st.uses[0].publish_cds, "cds rollover: none outside a rollover");
	tld_keystep_clear(&st);
	d.pol.parent.cds = TLD_CDS_NONE;
	start_rollover(&d, TLD_ROLL_KSK);
	tld_keystate_step(&d.pol, d.keys, d.n, NULL, 0, d.now, &st);
	ok(!st.uses[0].publish_cds && !st.uses[2].publish_cds, "cds none: never");
	tld_keystep_clear(&st);
}

int main(void)
{
	plan_lazy();
	for (size_t i = 0; i < sizeof(rollover_cases) / sizeof(rollover_cases[0]); i++) {
		check_rollover(&rollover_cases[i]);
	}
	test_clock_backwards();
	test_ds_seen_late();
	test_ds_gone_before_seen();
	test_policy_change_mid_rollover();
	test_key_missing();
	test_safety_examples();
	test_waits();
	test_cds();
	return exit_status();
}
