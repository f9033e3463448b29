/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "run/history.h"

/* -- internal API -- */

/* The one value of a "SELECT MAX(started) ... WHERE zone = ?1 ..." query into *started (0: none). */
static int max_started(tld_statedb_t *db, const char *zone, const char *sql, tld_time_t *started)
{
	sqlite3_stmt *st = NULL;
	*started = 0;
	int perr = tld_statedb_prepare(db, sql, zone, "reading the run history", &st);
	if (perr != TLD_OK) {
		return perr;
	}
	int rc = sqlite3_step(st);
	*started = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	int err = rc == SQLITE_ROW ? TLD_OK : tld_statedb_error(db, "reading the run history");
	sqlite3_finalize(st);
	return err;
}

/* -- public API -- */

int tld_history_init(tld_statedb_t *db)
{
	int err = tld_statedb_exec(db,
		"CREATE TABLE IF NOT EXISTS run_history ("
		" id INTEGER PRIMARY KEY AUTOINCREMENT,"
		" zone TEXT NOT NULL,"
		" started INTEGER NOT NULL,"
		" duration REAL NOT NULL,"
		" exit_code INTEGER NOT NULL,"
		" published INTEGER NOT NULL,"
		" serial INTEGER,"
		" delegations INTEGER NOT NULL,"
		" ds_records INTEGER NOT NULL,"
		" rows_total INTEGER NOT NULL,"
		" rows_bad INTEGER NOT NULL,"
		" apex_digest TEXT NOT NULL,"
		" sigs_new INTEGER NOT NULL,"
		" sigs_reused INTEGER NOT NULL,"
		" forced_reason TEXT,"
		" earliest_expiration INTEGER NOT NULL DEFAULT 0,"
		" unsigned_digest TEXT NOT NULL DEFAULT '',"
		" verify_full INTEGER NOT NULL DEFAULT 0);"
		"CREATE INDEX IF NOT EXISTS run_history_zone ON run_history(zone, id);"
		/* the clock guard's MAX(started) without a scan of years of cron runs */
		"CREATE INDEX IF NOT EXISTS run_history_started ON run_history(zone, started);");
	/* a state store of an earlier release: no run of it counts as verified from scratch */
	if (err == TLD_OK) {
		err = tld_statedb_add_column(db, "run_history", "verify_full", "INTEGER NOT NULL DEFAULT 0");
	}
	/* a store of an earlier release: no file identity known, the file is hashed */
	return err != TLD_OK ? err : tld_statedb_add_column(db, "run_history", "unsigned_ident",
	                                                    "TEXT NOT NULL DEFAULT ''");
}

int tld_history_last_published(tld_statedb_t *db, const char *zone, struct tld_zone_stats *stats,
                               bool *found)
{
	sqlite3_stmt *st = NULL;
	int perr = tld_statedb_prepare(db,
	                               "SELECT delegations, ds_records, rows_total, rows_bad, apex_digest, serial"
	                               " FROM run_history WHERE zone = ?1 AND published = 1"
	                               " ORDER BY id DESC LIMIT 1",
	                               zone, "reading the run history", &st);
	if (perr != TLD_OK) {
		return perr;
	}
	int rc = sqlite3_step(st);
	int err = TLD_OK;
	*found = false;
	if (rc == SQLITE_ROW) {
		memset(stats, 0, sizeof(*stats));
		stats->delegations = (uint64_t)sqlite3_column_int64(st, 0);
		stats->ds_records = (uint64_t)sqlite3_column_int64(st, 1);
		stats->rows_total = (uint64_t)sqlite3_column_int64(st, 2);
		stats->rows_bad = (uint64_t)sqlite3_column_int64(st, 3);
		const unsigned char *d = sqlite3_column_text(st, 4);
		if (d != NULL) {
			strncpy(stats->apex_digest, (const char *)d, sizeof(stats->apex_digest) - 1);
		}
		stats->has_serial = sqlite3_column_type(st, 5) != SQLITE_NULL;
		stats->serial = (uint32_t)sqlite3_column_int64(st, 5);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		err = tld_statedb_error(db, "reading the run history");
	}
	sqlite3_finalize(st);
	return err;
}

int tld_history_last_run_start(tld_statedb_t *db, const char *zone, tld_time_t *started)
{
	return max_started(db, zone, "SELECT MAX(started) FROM run_history WHERE zone = ?1", started);
}

int tld_history_record(tld_statedb_t *db, const struct tld_run_report *r,
                       const struct tld_zone_stats *stats)
{
	sqlite3_stmt *st = NULL;
	int perr = tld_statedb_prepare(db,
	                               "INSERT INTO run_history (zone, started, duration, exit_code, published,"
	                               " serial, delegations, ds_records, rows_total, rows_bad, apex_digest,"
	                               " sigs_new, sigs_reused, forced_reason, earliest_expiration, unsigned_digest,"
	                               " verify_full, unsigned_ident)"
	                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	                               " ?16, ?17, ?18)",
	                               NULL, "recording the run", &st);
	if (perr != TLD_OK) {
		return perr;
	}
	sqlite3_bind_text(st, 1, r->zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->started);
	sqlite3_bind_double(st, 3, r->duration);
	sqlite3_bind_int(st, 4, tld_exit_code(r->result));
	sqlite3_bind_int(st, 5, r->published);
	if (stats->has_serial) {
		sqlite3_bind_int64(st, 6, stats->serial);
	} else {
		sqlite3_bind_null(st, 6);
	}
	sqlite3_bind_int64(st, 7, (sqlite3_int64)stats->delegations);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)stats->ds_records);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)stats->rows_total);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)stats->rows_bad);
	sqlite3_bind_text(st, 11, stats->apex_digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)r->sigs_new);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)r->sigs_reused);
	if (r->forced_reason != NULL) {
		sqlite3_bind_text(st, 14, r->forced_reason, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 14);
	}
	sqlite3_bind_int64(st, 15, r->earliest_expiration);
	sqlite3_bind_text(st, 16, stats->unsigned_digest, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 17, r->verify_mode == TLD_RUN_VERIFY_FULL && r->result == TLD_OK);
	sqlite3_bind_text(st, 18, stats->unsigned_ident, -1, SQLITE_STATIC);
	int err = sqlite3_step(st) == SQLITE_DONE ? TLD_OK : tld_statedb_error(db, "recording the run");
	sqlite3_finalize(st);
	return err;
}

int tld_history_last(tld_statedb_t *db, const char *zone, struct tld_history_row *row, bool *found)
{
	sqlite3_stmt *st = NULL;
	int perr = tld_statedb_prepare(db,
	                               "SELECT started, duration, exit_code, published, serial, delegations,"
	                               " ds_records, rows_bad, sigs_new, sigs_reused, forced_reason,"
	                               " earliest_expiration FROM run_history WHERE zone = ?1"
	                               " ORDER BY id DESC LIMIT 1",
	                               zone, "reading the run history", &st);
	if (perr != TLD_OK) {
		return perr;
	}
	int rc = sqlite3_step(st);
	int err = TLD_OK;
	*found = false;
	if (rc == SQLITE_ROW) {
		memset(row, 0, sizeof(*row));
		row->started = sqlite3_column_int64(st, 0);
		row->duration = sqlite3_column_double(st, 1);
		row->exit_code = sqlite3_column_int(st, 2);
		row->published = sqlite3_column_int(st, 3) != 0;
		row->has_serial = sqlite3_column_type(st, 4) != SQLITE_NULL;
		row->serial = (uint32_t)sqlite3_column_int64(st, 4);
		row->delegations = (uint64_t)sqlite3_column_int64(st, 5);
		row->ds_records = (uint64_t)sqlite3_column_int64(st, 6);
		row->rows_bad = (uint64_t)sqlite3_column_int64(st, 7);
		row->sigs_new = (uint64_t)sqlite3_column_int64(st, 8);
		row->sigs_reused = (uint64_t)sqlite3_column_int64(st, 9);
		const unsigned char *f = sqlite3_column_text(st, 10);
		if (f != NULL) {
			snprintf(row->forced_reason, sizeof(row->forced_reason), "%s", (const char *)f);
		}
		row->earliest_expiration = sqlite3_column_int64(st, 11);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		err = tld_statedb_error(db, "reading the run history");
	}
	sqlite3_finalize(st);
	return err;
}

int tld_history_published_expiry(tld_statedb_t *db, const char *zone, tld_time_t *expiry)
{
	sqlite3_stmt *st = NULL;
	int perr = tld_statedb_prepare(db,
	                               "SELECT earliest_expiration FROM run_history WHERE zone = ?1"
	                               " AND earliest_expiration > 0 AND exit_code IN (0, 6)"
	                               " ORDER BY id DESC LIMIT 1",
	                               zone, "reading the run history", &st);
	if (perr != TLD_OK) {
		return perr;
	}
	int rc = sqlite3_step(st);
	int err = TLD_OK;
	*expiry = 0;
	if (rc == SQLITE_ROW) {
		*expiry = sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		err = tld_statedb_error(db, "reading the run history");
	}
	sqlite3_finalize(st);
	return err;
}

int tld_history_kept_unsigned_digest(tld_statedb_t *db, const char *zone, char hex[65], bool *found)
{
	return tld_history_kept_unsigned(db, zone, hex, NULL, found);
}

int tld_history_kept_unsigned(tld_statedb_t *db, const char *zone, char hex[65], char ident[96], bool *found)
{
	sqlite3_stmt *st = NULL;
	int perr = tld_statedb_prepare(db,
	                               "SELECT unsigned_digest, unsigned_ident FROM run_history WHERE zone = ?1"
	                               " AND exit_code IN (0, 6) AND serial IS NOT NULL"
	                               " ORDER BY id DESC LIMIT 1",
	                               zone, "reading the run history", &st);
	if (perr != TLD_OK) {
		return perr;
	}
	int rc = sqlite3_step(st);
	int err = TLD_OK;
	*found = false;
	hex[0] = '\0';
	if (ident != NULL) {
		ident[0] = '\0';
	}
	if (rc == SQLITE_ROW) {
		const unsigned char *d = sqlite3_column_text(st, 0);
		if (d != NULL && d[0] != '\0') {
			snprintf(hex, 65, "%s", (const char *)d);
			*found = true;
			const unsigned char *id = sqlite3_column_text(st, 1);
			if (ident != NULL && id != NULL) {
				snprintf(ident, 96, "%s", (const char *)id);
			}
		}
	} else if (rc != SQLITE_DONE) {
		err = tld_statedb_error(db, "reading the run history");
	}
	sqlite3_finalize(st);
	return err;
}

int tld_history_last_full_verify(tld_statedb_t *db, const char *zone, tld_time_t *started)
{
	return max_started(db, zone,
	                   "SELECT MAX(started) FROM run_history WHERE zone = ?1 AND verify_full = 1",
	                   started);
}
