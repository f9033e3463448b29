/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * policy/keystore + keyplan: key states persist in the state store, the
 * signer's view (tld_keyplan_now) advances them, confirmations are applied
 * once, the clock going backwards is refused, everything is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "policy/audit.h"
#include "policy/examples.h"
#include "policy/keyplan.h"
#include "policy/keystore.h"
#include "tests/tap/tap.h"

#define T0 1795255200LL
#define DAY 86400LL

/* Records in the HSM key store's table (the token itself is not needed here). */
static int64_t record_key(tld_statedb_t *db, enum tld_key_role role, uint16_t tag, tld_time_t created)
{
	struct tld_key_record rec;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.zone, sizeof(rec.zone), "test.");
	rec.role = role;
	rec.algorithm = 13;
	rec.key_tag = tag;
	rec.flags = role == TLD_ROLE_ZSK ? 256 : 257;
	snprintf(rec.cka_id, sizeof(rec.cka_id), "%04x", tag);
	snprintf(rec.label, sizeof(rec.label), "test.-key-%u", tag);
	rec.dnskey[0] = (uint8_t)(rec.flags >> 8);
	rec.dnskey[1] = (uint8_t)rec.flags;
	rec.dnskey[2] = 3;
	rec.dnskey[3] = 13;
	rec.dnskey_len = 4 + 64;
	rec.created = created;
	if (tld_keydb_init(db) != TLD_OK || tld_keydb_insert(db, &rec) != TLD_OK) {
		return -1;
	}
	return rec.id;
}

static const struct tld_key_use *use_of(const struct tld_key_use *u, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (u[i].key_id == id) {
			return &u[i];
		}
	}
	return NULL;
}

static tld_time_t advance(const struct tld_policy *pol, tld_statedb_t *db, tld_time_t now, tld_time_t until)
{
	for (int i = 0; i < 50 && now < until; i++) {
		struct tld_key_use *u = NULL;
		size_t n = 0;
		tld_time_t next = 0;
		if (tld_keyplan_now(pol, db, "test.", now, &u, &n, &next) != TLD_OK) {
			return -1;
		}
		free(u);
		if (next == 0 || next > until) {
			break;
		}
		now = next;
	}
	return until;
}

int main(void)
{
	plan_lazy();
	char dir[] = "/tmp/tldsign-keystore-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		skip_all("no temporary directory");
		return 0;
	}
	tld_statedb_t *db = NULL;
	is_int(TLD_OK, tld_statedb_open(dir, &db), "state store opens");
	is_int(1, record_key(db, TLD_ROLE_KSK, 1111, T0), "KSK recorded as keys.id 1");
	is_int(2, record_key(db, TLD_ROLE_ZSK, 2222, T0), "ZSK recorded as keys.id 2");
	struct tld_policy pol;
	tld_policy_example("ecdsa-double-ds", &pol);
	pol.ksk_lifetime = pol.zsk_lifetime = 0;

	is_int(TLD_OK, tld_keyplan_adopt(db, "test.", 1, 1111, 13, TLD_ROLE_KSK, 0, T0, "alice"), "adopt KSK");
	is_int(TLD_OK, tld_keyplan_adopt(db, "test.", 2, 2222, 13, TLD_ROLE_ZSK, 0, T0, "alice"), "adopt ZSK");
	is_int(TLD_EEXIST, tld_keyplan_adopt(db, "test.", 2, 2222, 13, TLD_ROLE_ZSK, 0, T0, "alice"),
	       "adopting twice refused");

	struct tld_key_use *u = NULL;
	size_t n = 0;
	tld_time_t next = 0;
	is_int(TLD_OK, tld_keyplan_now(&pol, db, "test.", T0, &u, &n, &next), "first keyplan");
	is_int(2, n, "two keys");
	ok(use_of(u, n, 1)->publish_dnskey && use_of(u, n, 1)->sign_dnskey, "KSK published and signs DNSKEY");
	ok(use_of(u, n, 2)->publish_dnskey && use_of(u, n, 2)->sign_zone, "ZSK published and signs zone");
	ok(!use_of(u, n, 1)->sign_zone && !use_of(u, n, 2)->sign_dnskey, "roles kept apart");
	is_int(T0 + 3 * 3600, next, "next event when the DNSKEYs are omnipresent");
	free(u);

	/* walk to the DS request */
	advance(&pol, db, T0 + 3 * 3600, T0 + 5 * DAY);
	struct tld_keystate *ks = NULL;
	size_t nk = 0;
	is_int(TLD_OK, tld_keystore_load(db, "test.", &ks, &nk), "states load");
	ok(nk == 2 && ks[0].ds_requested != 0, "KSK DS asked for");
	is_int(TLD_KS_HIDDEN, ks[0].st[TLD_KR_DS], "DS hidden until seen");
	FILE *f = tmpfile();
	unsigned w = tld_keyplan_describe(&pol, ks, nk, T0 + 20 * DAY, 7 * DAY, f);
	rewind(f);
	char text[4096];
	size_t tl = fread(text, 1, sizeof(text) - 1, f);
	text[tl] = '\0';
	fclose(f);
	ok(strstr(text, "tldsign ds seen 1111") != NULL, "status says to run ds seen");
	is_int(1, w, "a DS waiting more than 7 days is a warning");
	free(ks);

	is_int(TLD_ENOENT, tld_keyplan_ds_confirm(db, "test.", 9999, false, T0 + 5 * DAY, "bob", NULL), "unknown tag");
	is_int(TLD_EPOLICY, tld_keyplan_ds_confirm(db, "test.", 2222, false, T0 + 5 * DAY, "bob", NULL), "ZSK has no DS");
	is_int(TLD_OK, tld_keyplan_ds_confirm(db, "test.", 1111, false, T0 + 5 * DAY, "bob", NULL), "ds seen recorded");
	is_int(TLD_OK, tld_keyplan_now(&pol, db, "test.", T0 + 5 * DAY, &u, &n, &next), "keyplan applies it");
	free(u);
	tld_keystore_load(db, "test.", &ks, &nk);
	is_int(TLD_KS_RUMOURED, ks[0].st[TLD_KR_DS], "DS rumoured after ds seen");
	free(ks);
	struct tld_ds_confirm *c = NULL;
	size_t nc = 9;
	tld_keystore_pending(db, "test.", &c, &nc);
	is_int(0, nc, "confirmation applied once");
	free(c);

	/* the clock going backwards is refused and changes nothing */
	is_int(TLD_ETIME, tld_keyplan_now(&pol, db, "test.", T0 + 4 * DAY, &u, &n, &next), "clock backwards refused");
	tld_keystore_load(db, "test.", &ks, &nk);
	is_int(TLD_KS_RUMOURED, ks[0].st[TLD_KR_DS], "state unchanged after refusal");
	free(ks);

	/* a ZSK rollover through adopt(successor_of) */
	advance(&pol, db, T0 + 5 * DAY, T0 + 10 * DAY);
	is_int(3, record_key(db, TLD_ROLE_ZSK, 3333, T0 + 10 * DAY), "successor recorded as keys.id 3");
	is_int(TLD_OK, tld_keyplan_adopt(db, "test.", 3, 3333, 13, TLD_ROLE_ZSK, 2, T0 + 10 * DAY, "alice"),
	       "successor ZSK adopted");
	is_int(TLD_OK, tld_keyplan_now(&pol, db, "test.", T0 + 10 * DAY, &u, &n, &next), "keyplan after adopt");
	ok(use_of(u, n, 3)->publish_dnskey && !use_of(u, n, 3)->sign_zone, "new ZSK pre-published, not signing");
	ok(use_of(u, n, 2)->sign_zone, "old ZSK still signs");
	free(u);
	advance(&pol, db, T0 + 10 * DAY, T0 + 20 * DAY);
	is_int(TLD_OK, tld_keyplan_now(&pol, db, "test.", T0 + 20 * DAY, &u, &n, &next), "keyplan at the end");
	ok(!use_of(u, n, 2)->publish_dnskey && !use_of(u, n, 2)->sign_zone, "old ZSK gone");
	ok(use_of(u, n, 3)->sign_zone, "new ZSK signs");
	free(u);

	/* a key recorded by `key generate` comes under the policy by itself; a deleted one stops signing */
	is_int(4, record_key(db, TLD_ROLE_KSK, 4444, T0 + 20 * DAY), "standby KSK recorded");
	is_int(TLD_OK, tld_keyplan_now(&pol, db, "test.", T0 + 20 * DAY, &u, &n, &next), "keyplan adopts it");
	ok(use_of(u, n, 4) && use_of(u, n, 4)->publish_dnskey, "standby KSK published");
	free(u);
	is_int(TLD_OK, tld_keydb_mark_deleted(db, 4, T0 + 21 * DAY), "standby KSK deleted from the store");
	is_int(TLD_OK, tld_keyplan_now(&pol, db, "test.", T0 + 21 * DAY, &u, &n, &next), "keyplan after deletion");
	ok(use_of(u, n, 4) && !use_of(u, n, 4)->sign_dnskey, "deleted key no longer signs");
	ok(use_of(u, n, 1)->sign_dnskey, "the active KSK still signs");
	free(u);

	int64_t entries = 0;
	char head[TLD_AUDIT_HASH_HEX], why[256];
	is_int(TLD_OK, tld_audit_verify(db, &entries, head, why, sizeof(why)), "audit chain intact");
	ok(entries > 10, "state changes audited (%lld entries)", (long long)entries);

	tld_statedb_close(db);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		diag("could not remove %s", dir);
	}
	return exit_status();
}
