/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/keystore.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS key_state ("
	" key_id INTEGER PRIMARY KEY REFERENCES keys(id),"
	" zone TEXT NOT NULL,"
	" key_tag INTEGER NOT NULL,"
	" algorithm INTEGER NOT NULL,"
	" role INTEGER NOT NULL,"
	" goal INTEGER NOT NULL,"
	" in_token INTEGER NOT NULL,"
	" successor_of INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" active INTEGER NOT NULL,"
	" dnskey INTEGER NOT NULL, dnskey_changed INTEGER NOT NULL,"
	" krrsig INTEGER NOT NULL, krrsig_changed INTEGER NOT NULL,"
	" zrrsig INTEGER NOT NULL, zrrsig_changed INTEGER NOT NULL,"
	" ds INTEGER NOT NULL, ds_changed INTEGER NOT NULL,"
	" ds_requested INTEGER NOT NULL,"
	" ds_withdraw INTEGER NOT NULL,"
	" last_step INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ds_confirm ("
	" id INTEGER PRIMARY KEY,"
	" key_id INTEGER NOT NULL REFERENCES key_state(key_id),"
	" gone INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" applied INTEGER NOT NULL DEFAULT 0);";

int tld_keystore_init(tld_statedb_t *db)
{
	return tld_statedb_exec(db, schema);
}

int tld_keystore_load(tld_statedb_t *db, const char *zone, struct tld_keystate **keys, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct tld_keystate *arr = NULL;
	size_t cnt = 0, cap = 0;
	int ret = tld_keystore_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT key_id, key_tag, algorithm, role, goal, in_token, successor_of, created,"
	                       " active, dnskey, dnskey_changed, krrsig, krrsig_changed, zrrsig, zrrsig_changed,"
	                       " ds, ds_changed, ds_requested, ds_withdraw, last_step"
	                       " FROM key_state WHERE zone = ?1 ORDER BY key_id", -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading key states");
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			struct tld_keystate *na = realloc(arr, cap * sizeof(*na));
			if (na == NULL) {
				ret = TLD_ENOMEM;
				goto fail;
			}
			arr = na;
		}
		struct tld_keystate *k = &arr[cnt++];
		memset(k, 0, sizeof(*k));
		k->key_id = sqlite3_column_int64(st, 0);
		k->key_tag = (uint16_t)sqlite3_column_int(st, 1);
		k->algorithm = (uint8_t)sqlite3_column_int(st, 2);
		k->role = (uint8_t)sqlite3_column_int(st, 3);
		k->goal = sqlite3_column_int(st, 4) != 0;
		k->in_token = sqlite3_column_int(st, 5) != 0;
		k->successor_of = sqlite3_column_int64(st, 6);
		k->created = sqlite3_column_int64(st, 7);
		k->active = sqlite3_column_int64(st, 8);
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			int v = sqlite3_column_int(st, 9 + 2 * r);
			if (v < TLD_KS_HIDDEN || v > TLD_KS_NA) {
				ret = tld_statedb_error(db, "key state out of range");
				goto fail;
			}
			k->st[r] = (enum tld_kstate)v;
			k->changed[r] = sqlite3_column_int64(st, 10 + 2 * r);
		}
		k->ds_requested = sqlite3_column_int64(st, 17);
		k->ds_withdraw = sqlite3_column_int64(st, 18);
		k->last_step = sqlite3_column_int64(st, 19);
	}
	if (rc != SQLITE_DONE) {
		ret = tld_statedb_error(db, "reading key states");
		goto fail;
	}
	sqlite3_finalize(st);
	*keys = arr;
	*n = cnt;
	return TLD_OK;
fail:
	sqlite3_finalize(st);
	free(arr);
	return ret;
}

int tld_keystore_save(tld_statedb_t *db, const char *zone, const struct tld_keystate *keys, size_t n)
{
	sqlite3_stmt *st = NULL;
	int ret = tld_keystore_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "INSERT OR REPLACE INTO key_state (key_id, zone, key_tag, algorithm, role, goal,"
	                       " in_token, successor_of, created, active, dnskey, dnskey_changed, krrsig,"
	                       " krrsig_changed, zrrsig, zrrsig_changed, ds, ds_changed, ds_requested,"
	                       " ds_withdraw, last_step) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	                       " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)", -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "preparing key state update");
	}
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &keys[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, k->key_id);
		sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, k->key_tag);
		sqlite3_bind_int(st, 4, k->algorithm);
		sqlite3_bind_int(st, 5, k->role);
		sqlite3_bind_int(st, 6, k->goal);
		sqlite3_bind_int(st, 7, k->in_token);
		sqlite3_bind_int64(st, 8, k->successor_of);
		sqlite3_bind_int64(st, 9, k->created);
		sqlite3_bind_int64(st, 10, k->active);
		for (int r = 0; r < TLD_KR_COUNT; r++) {
			sqlite3_bind_int(st, 11 + 2 * r, (int)k->st[r]);
			sqlite3_bind_int64(st, 12 + 2 * r, k->changed[r]);
		}
		sqlite3_bind_int64(st, 19, k->ds_requested);
		sqlite3_bind_int64(st, 20, k->ds_withdraw);
		sqlite3_bind_int64(st, 21, k->last_step);
		if (sqlite3_step(st) != SQLITE_DONE) {
			ret = tld_statedb_error(db, "writing key state");
			break;
		}
	}
	sqlite3_finalize(st);
	return ret;
}

int tld_keystore_add_confirm(tld_statedb_t *db, int64_t key_id, bool gone, tld_time_t when)
{
	sqlite3_stmt *st = NULL;
	int ret = tld_keystore_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "INSERT INTO ds_confirm (key_id, gone, time) VALUES (?1, ?2, ?3)",
	                       -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "preparing a DS confirmation");
	}
	sqlite3_bind_int64(st, 1, key_id);
	sqlite3_bind_int(st, 2, gone);
	sqlite3_bind_int64(st, 3, when);
	if (sqlite3_step(st) != SQLITE_DONE) {
		ret = tld_statedb_error(db, "recording a DS confirmation");
	}
	sqlite3_finalize(st);
	return ret;
}

int tld_keystore_pending(tld_statedb_t *db, const char *zone, struct tld_ds_confirm **conf, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct tld_ds_confirm *arr = NULL;
	size_t cnt = 0, cap = 0;
	int ret = tld_keystore_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT c.key_id, c.gone, c.time FROM ds_confirm c JOIN key_state k"
	                       " ON k.key_id = c.key_id WHERE k.zone = ?1 AND c.applied = 0 ORDER BY c.id",
	                       -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading DS confirmations");
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 4;
			struct tld_ds_confirm *na = realloc(arr, cap * sizeof(*na));
			if (na == NULL) {
				sqlite3_finalize(st);
				free(arr);
				return TLD_ENOMEM;
			}
			arr = na;
		}
		arr[cnt].key_id = sqlite3_column_int64(st, 0);
		arr[cnt].gone = sqlite3_column_int(st, 1) != 0;
		arr[cnt].when = sqlite3_column_int64(st, 2);
		cnt++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(arr);
		return tld_statedb_error(db, "reading DS confirmations");
	}
	*conf = arr;
	*n = cnt;
	return TLD_OK;
}

int tld_keystore_confirms_applied(tld_statedb_t *db, const char *zone)
{
	sqlite3_stmt *st = NULL;
	int ret = TLD_OK;
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "UPDATE ds_confirm SET applied = 1 WHERE applied = 0 AND key_id IN"
	                       " (SELECT key_id FROM key_state WHERE zone = ?1)", -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "preparing confirmation update");
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		ret = tld_statedb_error(db, "marking confirmations applied");
	}
	sqlite3_finalize(st);
	return ret;
}
