/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"

struct tld_statedb {
	sqlite3 *handle;
	char *path;
};

/* -- internal API -- */

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
		return TLD_OK;
	}
	int err = tld_errno(errno);
	tld_error("cannot create state directory %s: %s", dir, strerror(errno));
	return err;
}

/* -- public API -- */

int tld_statedb_open(const char *state_dir, tld_statedb_t **out)
{
	int err = make_dir(state_dir);
	if (err != TLD_OK) {
		return err;
	}
	tld_statedb_t *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		return TLD_ENOMEM;
	}
	size_t len = strlen(state_dir) + sizeof("/state.db");
	db->path = malloc(len);
	if (db->path == NULL) {
		free(db);
		return TLD_ENOMEM;
	}
	snprintf(db->path, len, "%s/state.db", state_dir);

	if (sqlite3_open_v2(db->path, &db->handle,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	                    NULL) != SQLITE_OK) {
		tld_error("cannot open state store %s: %s", db->path,
		          db->handle ? sqlite3_errmsg(db->handle) : "out of memory");
		tld_statedb_close(db);
		return TLD_ESTATE;
	}
	sqlite3_busy_timeout(db->handle, 10000);
	err = tld_statedb_exec(db, "PRAGMA journal_mode=WAL;"
	                           "PRAGMA synchronous=FULL;"
	                           "PRAGMA foreign_keys=ON;");
	if (err != TLD_OK) {
		tld_statedb_close(db);
		return err;
	}
	*out = db;
	return TLD_OK;
}

void tld_statedb_close(tld_statedb_t *db)
{
	if (db == NULL) {
		return;
	}
	if (db->handle != NULL) {
		if (!sqlite3_get_autocommit(db->handle)) {
			sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
		}
		sqlite3_close_v2(db->handle);
	}
	free(db->path);
	free(db);
}

sqlite3 *tld_statedb_handle(tld_statedb_t *db)
{
	return db->handle;
}

int tld_statedb_error(tld_statedb_t *db, const char *what)
{
	tld_error("state store %s: %s: %s", db->path, what, sqlite3_errmsg(db->handle));
	return TLD_ESTATE;
}

int tld_statedb_prepare(tld_statedb_t *db, const char *sql, const char *zone, const char *what,
                        sqlite3_stmt **out)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->handle, sql, -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, what);
	}
	if (zone != NULL && sqlite3_bind_text(st, 1, zone, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_finalize(st);
		return tld_statedb_error(db, what);
	}
	*out = st;
	return TLD_OK;
}

int tld_statedb_add_column(tld_statedb_t *db, const char *table, const char *column, const char *decl)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->handle, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
	                       NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return tld_statedb_error(db, "reading a table's columns");
	}
	bool have = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (have) {
		return TLD_OK;
	}
	char sql[256];
	if (snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s;", table, column, decl) >= (int)sizeof(sql)) {
		return TLD_EINVAL;
	}
	return tld_statedb_exec(db, sql);
}

int tld_statedb_exec(tld_statedb_t *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db->handle, sql, NULL, NULL, &msg) != SQLITE_OK) {
		tld_error("state store %s: %s", db->path, msg ? msg : "error");
		sqlite3_free(msg);
		return TLD_ESTATE;
	}
	return TLD_OK;
}

int tld_statedb_begin(tld_statedb_t *db)
{
	return tld_statedb_exec(db, "BEGIN IMMEDIATE");
}

int tld_statedb_commit(tld_statedb_t *db)
{
	int err = tld_statedb_exec(db, "COMMIT");
	if (err != TLD_OK) {
		tld_statedb_rollback(db);
	}
	return err;
}

void tld_statedb_rollback(tld_statedb_t *db)
{
	if (!sqlite3_get_autocommit(db->handle)) {
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
	}
}
