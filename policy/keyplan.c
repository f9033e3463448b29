/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "policy/audit.h"
#include "policy/keyplan.h"
#include "policy/keyplan_hsm.h"
#include "policy/keystore.h"
#include "policy/parentds.h"

#define ACTOR_AUTO "tldsign"

/* BEGIN unless the caller already holds a transaction; *owned says whether we did. */
static int begin_if_needed(tld_statedb_t *db, bool *owned)
{
	*owned = sqlite3_get_autocommit(tld_statedb_handle(db)) != 0;
	return *owned ? tld_statedb_begin(db) : TLD_OK;
}

static int end_tx(tld_statedb_t *db, bool owned, int ret)
{
	if (!owned) {
		return ret;
	}
	if (ret == TLD_OK) {
		return tld_statedb_commit(db);
	}
	tld_statedb_rollback(db);
	return ret;
}

static void audit_changes(tld_statedb_t *db, const struct tld_keystate *before, const struct tld_keystate *after,
                          size_t n, tld_time_t now, int *ret)
{
	for (size_t i = 0; i < n && *ret == TLD_OK; i++) {
		char detail[256], tag[8];
		size_t len = 0;
		detail[0] = '\0';
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			if (before[i].st[r] != after[i].st[r]) {
				len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%s%s %s -> %s",
				                        len ? ", " : "", tld_krec_name((enum tld_krec)r),
				                        tld_kstate_name(before[i].st[r]), tld_kstate_name(after[i].st[r]));
			}
		}
		if (!before[i].ds_requested && after[i].ds_requested && after[i].st[TLD_KR_DS] == TLD_KS_HIDDEN) {
			len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%sDS to be submitted to the parent",
			                        len ? ", " : "");
		}
		if (!before[i].ds_withdraw && after[i].ds_withdraw && after[i].st[TLD_KR_DS] != TLD_KS_UNRETENTIVE) {
			len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%sDS to be withdrawn at the parent",
			                        len ? ", " : "");
		}
		if (before[i].goal != after[i].goal) {
			len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%sgoal %s", len ? ", " : "",
			                        after[i].goal ? "omnipresent" : "hidden");
		}
		if (len == 0) {
			continue;
		}
		snprintf(tag, sizeof(tag), "%u", after[i].key_tag);
		*ret = tld_audit_append(db, now, ACTOR_AUTO, "state change", tag, NULL, detail, NULL);
	}
}

/* The parent DS check before the step (outside the step's transaction: it queries the network). */
static int parent_check(const struct tld_policy *pol, tld_statedb_t *db, const char *zone, tld_time_t now)
{
	struct tld_parent_result res;
	int ret = tld_parent_check(pol, db, zone, now, true, &res);
	switch (res.verdict) {
	case TLD_PARENT_IDLE:
		break;
	case TLD_PARENT_DONE:
		tld_notice("parent check: %s", res.words);
		break;
	case TLD_PARENT_NOT_YET:
		tld_info("parent check: %s", res.words);
		break;
	default:
		tld_warning("parent check (%s): %s", tld_parent_verdict_name(res.verdict), res.words);
		break;
	}
	return ret;
}

int tld_keyplan_now(const struct tld_policy *pol, tld_statedb_t *db, const char *zone, tld_time_t now,
                    struct tld_key_use **out, size_t *n, tld_time_t *next_event)
{
	struct tld_keystate *keys = NULL;
	struct tld_ds_confirm *conf = NULL;
	struct tld_key_use *uses = NULL;
	struct tld_keystep step;
	size_t nk = 0, nc = 0;
	int ret;

	memset(&step, 0, sizeof(step));
	ret = tld_keyplan_sync(db, zone, now, ACTOR_AUTO);
	if (ret == TLD_OK) {
		ret = parent_check(pol, db, zone, now);
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_begin(db);
	}
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_keystore_load(db, zone, &keys, &nk);
	if (ret == TLD_OK) {
		ret = tld_keystore_pending(db, zone, &conf, &nc);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_keystate_step(pol, keys, nk, conf, nc, now, &step);
	if (ret == TLD_ETIME) {
		char t[32];
		tld_error("key states: the clock went backwards (%s is before the last recorded key event); "
		          "refusing to change key states", tld_time_format(now, t, sizeof(t)));
		goto fail;
	}
	if (ret == TLD_EKEY) {
		tld_error("key states: %s", step.notes);
		goto fail;
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	if (step.notes[0]) {
		tld_warning("key states: %s", step.notes);
	}
	audit_changes(db, keys, step.keys, nk, now, &ret);
	if (ret == TLD_OK) {
		ret = tld_keystore_save(db, zone, step.keys, step.n_keys);
	}
	if (ret == TLD_OK && nc > 0) {
		ret = tld_keystore_confirms_applied(db, zone);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	uses = calloc(nk ? nk : 1, sizeof(*uses));
	if (uses == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	memcpy(uses, step.uses, nk * sizeof(*uses));
	ret = tld_statedb_commit(db);
	if (ret != TLD_OK) {
		goto fail_norollback;
	}
	*out = uses;
	*n = nk;
	if (next_event) {
		*next_event = step.next_event;
	}
	tld_keystep_clear(&step);
	free(keys);
	free(conf);
	return TLD_OK;
fail:
	tld_statedb_rollback(db);
fail_norollback:
	free(uses);
	tld_keystep_clear(&step);
	free(keys);
	free(conf);
	return ret;
}

int tld_keyplan_adopt(tld_statedb_t *db, const char *zone, int64_t key_id, uint16_t key_tag,
                      uint8_t algorithm, uint8_t role, int64_t successor_of, tld_time_t now,
                      const char *actor)
{
	struct tld_keystate *keys = NULL;
	size_t nk = 0;
	bool owned = false;
	int ret = tld_keystore_init(db);
	if (ret == TLD_OK) {
		ret = begin_if_needed(db, &owned);
	}
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_keystore_load(db, zone, &keys, &nk);
	if (ret != TLD_OK) {
		goto fail;
	}
	for (size_t i = 0; i < nk; i++) {
		if (keys[i].key_id == key_id) {
			ret = TLD_EEXIST;
			goto fail;
		}
	}
	struct tld_keystate *grown = realloc(keys, (nk + 1) * sizeof(*grown));
	if (grown == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	keys = grown;
	struct tld_key_need need = { role, algorithm, successor_of };
	ret = tld_keystate_add_successor(keys, &nk, &need, key_id, key_tag, now);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_keystore_save(db, zone, keys, nk);
	if (ret == TLD_OK) {
		char tags[16], detail[128];
		snprintf(tags, sizeof(tags), "%u", key_tag);
		snprintf(detail, sizeof(detail), "%s algorithm %u%s", tld_keystate_role_name(role), algorithm,
		         successor_of ? ", successor of an active key (rollover)" : "");
		ret = tld_audit_append(db, now, actor, "key adopt", tags, NULL, detail, NULL);
	}
fail:
	free(keys);
	return end_tx(db, owned, ret);
}

int tld_keyplan_ds_confirm(tld_statedb_t *db, const char *zone, uint16_t key_tag, bool gone,
                           tld_time_t now, const char *actor, const char *ds_text)
{
	struct tld_keystate *keys = NULL;
	size_t nk = 0;
	bool owned = false;
	int ret = begin_if_needed(db, &owned);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_keystore_load(db, zone, &keys, &nk);
	if (ret != TLD_OK) {
		goto fail;
	}
	const struct tld_keystate *k = NULL;
	for (size_t i = 0; i < nk; i++) {
		if (keys[i].key_tag == key_tag) {
			k = &keys[i];
		}
	}
	if (k == NULL) {
		tld_error("no key with tag %u in zone %s", key_tag, zone);
		ret = TLD_ENOENT;
		goto fail;
	}
	if (k->st[TLD_KR_DS] == TLD_KS_NA) {
		tld_error("key %u is a ZSK: it has no DS at the parent", key_tag);
		ret = TLD_EPOLICY;
		goto fail;
	}
	if (!gone && k->ds_requested == 0 && k->st[TLD_KR_DS] == TLD_KS_HIDDEN) {
		tld_warning("the DS of key %u was never asked for; recorded as published all the same", key_tag);
	}
	if (gone && k->ds_requested != 0 && k->st[TLD_KR_DS] == TLD_KS_HIDDEN) {
		tld_warning("ds gone for key %u before ds seen: its DS will be asked for again", key_tag);
	}
	if (gone && k->ds_withdraw == 0 && k->st[TLD_KR_DS] != TLD_KS_HIDDEN) {
		tld_warning("the withdrawal of the DS of key %u was never asked for", key_tag);
	}
	ret = tld_keystore_add_confirm(db, k->key_id, gone, now);
	if (ret == TLD_OK) {
		char tags[16];
		snprintf(tags, sizeof(tags), "%u", key_tag);
		ret = tld_audit_append(db, now, actor, gone ? "ds gone" : "ds seen", tags, ds_text, NULL, NULL);
	}
fail:
	free(keys);
	return end_tx(db, owned, ret);
}

static const char *role_word(uint8_t role)
{
	return role == TLD_ROLE_KSK ? "KSK" : role == TLD_ROLE_ZSK ? "ZSK" : "CSK";
}

unsigned tld_keyplan_describe(const struct tld_policy *pol, const struct tld_keystate *keys, size_t n,
                              tld_time_t now, int64_t warn_after, FILE *out)
{
	unsigned warnings = 0;
	char t[32], d[32];
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &keys[i];
		fprintf(out, "%s %u (algorithm %u): %s; DNSKEY %s", role_word(k->role), k->key_tag, k->algorithm,
		        k->goal ? (k->active ? "active" : "being introduced") : "being retired",
		        tld_kstate_name(k->st[TLD_KR_DNSKEY]));
		if (k->st[TLD_KR_ZRRSIG] != TLD_KS_NA) {
			fprintf(out, ", zone signatures %s", tld_kstate_name(k->st[TLD_KR_ZRRSIG]));
		}
		if (k->st[TLD_KR_DS] != TLD_KS_NA) {
			fprintf(out, ", DS %s", tld_kstate_name(k->st[TLD_KR_DS]));
		}
		fprintf(out, "\n");
		if (!k->in_token) {
			fprintf(out, "  WARNING: the private key is missing from the token\n");
			warnings++;
		}
		if (k->st[TLD_KR_DS] == TLD_KS_HIDDEN && k->ds_requested) {
			fprintf(out, "  waits for the parent: submit its DS, then run `tldsign ds seen %u` "
			        "(asked %s ago)\n", k->key_tag, tld_duration_format(now - k->ds_requested, d, sizeof(d)));
			if (warn_after > 0 && now - k->ds_requested > warn_after) {
				fprintf(out, "  WARNING: the parent has not published this DS for more than %s\n",
				        tld_duration_format(warn_after, d, sizeof(d)));
				warnings++;
			}
		}
		if ((k->st[TLD_KR_DS] == TLD_KS_OMNIPRESENT || k->st[TLD_KR_DS] == TLD_KS_RUMOURED) && k->ds_withdraw) {
			fprintf(out, "  waits for the parent: ask it to remove this DS, then run `tldsign ds gone %u` "
			        "(asked %s ago)\n", k->key_tag, tld_duration_format(now - k->ds_withdraw, d, sizeof(d)));
			if (warn_after > 0 && now - k->ds_withdraw > warn_after) {
				fprintf(out, "  WARNING: the parent has not removed this DS for more than %s\n",
				        tld_duration_format(warn_after, d, sizeof(d)));
				warnings++;
			}
		}
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			bool retire = k->st[r] == TLD_KS_UNRETENTIVE;
			if (k->st[r] != TLD_KS_RUMOURED && !retire) {
				continue;
			}
			if (r == TLD_KR_KRRSIG) {
				continue;
			}
			tld_time_t due = k->changed[r] + tld_keystate_wait(pol, (enum tld_krec)r, retire);
			fprintf(out, "  %s %s: caches %s until %s\n", tld_krec_name((enum tld_krec)r),
			        tld_kstate_name(k->st[r]), retire ? "may still hold it" : "may not have it yet",
			        tld_time_format(due, t, sizeof(t)));
		}
	}
	return warnings;
}

int64_t tld_keyplan_waiting_seconds(const struct tld_keystate *keys, size_t n, tld_time_t now)
{
	int64_t longest = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &keys[i];
		enum tld_kstate ds = k->st[TLD_KR_DS];
		tld_time_t since = 0;
		if (ds == TLD_KS_HIDDEN && k->ds_requested != 0) {
			since = k->ds_requested;
		} else if ((ds == TLD_KS_RUMOURED || ds == TLD_KS_OMNIPRESENT) && k->ds_withdraw != 0) {
			since = k->ds_withdraw;
		}
		if (since != 0 && now - since > longest) {
			longest = now - since;
		}
	}
	return longest;
}

bool tld_keyplan_cds_delete(const struct tld_policy *pol)
{
	return pol->parent.cds == TLD_CDS_DELETE;
}

const uint8_t *tld_cds_delete_rdata(size_t *len)
{
	static const uint8_t rdata[] = { 0, 0, 0, 0, 0 }; /* key tag 0, algorithm 0, digest type 0, digest 00 */
	*len = sizeof(rdata);
	return rdata;
}

const uint8_t *tld_cdnskey_delete_rdata(size_t *len)
{
	static const uint8_t rdata[] = { 0, 0, 3, 0, 0 }; /* flags 0, protocol 3, algorithm 0, key AA== */
	*len = sizeof(rdata);
	return rdata;
}
