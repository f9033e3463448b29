/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/secstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"

int tld_secondaries_init(tld_statedb_t *db)
{
	return tld_statedb_exec(db,
		"CREATE TABLE IF NOT EXISTS publish_secondaries ("
		" address TEXT PRIMARY KEY, expected INTEGER NOT NULL DEFAULT 0,"
		" acked INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
		" ack_ms INTEGER NOT NULL DEFAULT 0, have_serial INTEGER NOT NULL DEFAULT 0,"
		" serial INTEGER NOT NULL DEFAULT 0, confirmed INTEGER NOT NULL DEFAULT 0,"
		" lag_ms INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',"
		" notify_time INTEGER NOT NULL DEFAULT 0, check_time INTEGER NOT NULL DEFAULT 0);");
}

static const char SQL_NOTIFY[] =
	"INSERT INTO publish_secondaries (address, expected, acked, attempts, ack_ms, have_serial,"
	" serial, confirmed, lag_ms, error, notify_time) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, 0, 0, ?6, ?7)"
	" ON CONFLICT(address) DO UPDATE SET expected = ?2, acked = ?3, attempts = ?4, ack_ms = ?5,"
	" confirmed = (serial = ?2 AND have_serial), error = ?6, notify_time = ?7";

static const char SQL_CHECK[] =
	"INSERT INTO publish_secondaries (address, expected, have_serial, serial, confirmed, lag_ms,"
	" error, check_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	" ON CONFLICT(address) DO UPDATE SET acked = (acked AND expected = ?2), expected = ?2,"
	" have_serial = ?3, serial = ?4, confirmed = ?5, lag_ms = ?6, error = ?7, check_time = ?8";

int tld_secondaries_store(tld_statedb_t *db, uint32_t expected, const struct tld_secondary_status *st,
                          size_t n, bool notified)
{
	sqlite3_stmt *q = NULL;
	int r = tld_secondaries_init(db);
	if (r != TLD_OK) {
		return r;
	}
	r = tld_statedb_begin(db);
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db), notified ? SQL_NOTIFY : SQL_CHECK, -1, &q,
	                       NULL) != SQLITE_OK) {
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tld_secondary_status *s = &st[i];
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, s->address, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, expected);
		if (notified) {
			sqlite3_bind_int(q, 3, s->acked);
			sqlite3_bind_int64(q, 4, s->notify_attempts);
			sqlite3_bind_int64(q, 5, s->ack_ms);
			sqlite3_bind_text(q, 6, s->error, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 7, tld_now());
		} else {
			sqlite3_bind_int(q, 3, s->have_serial);
			sqlite3_bind_int64(q, 4, s->serial);
			sqlite3_bind_int(q, 5, s->confirmed);
			sqlite3_bind_int64(q, 6, s->lag_ms);
			sqlite3_bind_text(q, 7, s->error, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 8, tld_now());
		}
		if (sqlite3_step(q) != SQLITE_DONE) {
			goto fail;
		}
	}
	sqlite3_finalize(q);
	return tld_statedb_commit(db);
fail:
	r = tld_statedb_error(db, "recording the secondaries' state");
	sqlite3_finalize(q);
	tld_statedb_rollback(db);
	return r;
}

void tld_secondaries_store_cfg(const struct tld_config *cfg, uint32_t expected,
                               const struct tld_secondary_status *st, size_t n, bool notified)
{
	tld_statedb_t *db = NULL;
	if (n == 0 || cfg->state_dir == NULL) {
		return;
	}
	int r = tld_statedb_open(cfg->state_dir, &db);
	if (r == TLD_OK) {
		r = tld_secondaries_store(db, expected, st, n, notified);
	}
	tld_statedb_close(db);
	if (r != TLD_OK) {
		tld_warning("secondaries' state not recorded: %s", tld_strerror(r));
	}
}

int tld_secondaries_last(tld_statedb_t *db, struct tld_secondary_record **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	struct tld_secondary_record *arr = NULL;
	size_t cnt = 0, cap = 0;
	int r = tld_secondaries_init(db), rc;
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT address, expected, acked, attempts, ack_ms, have_serial, serial,"
	                       " confirmed, lag_ms, error, notify_time, check_time"
	                       " FROM publish_secondaries ORDER BY address", -1, &q, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading the secondaries' state");
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			struct tld_secondary_record *a = realloc(arr, cap * sizeof(*a));
			if (a == NULL) {
				r = TLD_ENOMEM;
				goto fail;
			}
			arr = a;
		}
		struct tld_secondary_record *s = &arr[cnt++];
		memset(s, 0, sizeof(*s));
		snprintf(s->address, sizeof(s->address), "%s", (const char *)sqlite3_column_text(q, 0));
		s->expected = (uint32_t)sqlite3_column_int64(q, 1);
		s->acked = sqlite3_column_int(q, 2) != 0;
		s->notify_attempts = (unsigned)sqlite3_column_int64(q, 3);
		s->ack_ms = sqlite3_column_int64(q, 4);
		s->have_serial = sqlite3_column_int(q, 5) != 0;
		s->serial = (uint32_t)sqlite3_column_int64(q, 6);
		s->confirmed = sqlite3_column_int(q, 7) != 0;
		s->lag_ms = sqlite3_column_int64(q, 8);
		snprintf(s->error, sizeof(s->error), "%s", (const char *)sqlite3_column_text(q, 9));
		s->notify_time = sqlite3_column_int64(q, 10);
		s->check_time = sqlite3_column_int64(q, 11);
	}
	if (rc != SQLITE_DONE) {
		r = tld_statedb_error(db, "reading the secondaries' state");
		goto fail;
	}
	sqlite3_finalize(q);
	*out = arr;
	*n = cnt;
	return TLD_OK;
fail:
	sqlite3_finalize(q);
	free(arr);
	return r;
}
