/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/publish.h"
#include "publish/versions_db.h"

/*
 * The publish tables of the state store: versions and journal entries
 * (publish/publish.h, publish/versions_db.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"


int tld_versions_init(tld_statedb_t *db)
{
	int r = tld_statedb_exec(db,
		"CREATE TABLE IF NOT EXISTS publish_versions ("
		" id INTEGER PRIMARY KEY AUTOINCREMENT, serial INTEGER NOT NULL,"
		" digest TEXT NOT NULL, file TEXT NOT NULL, image TEXT NOT NULL,"
		" records INTEGER NOT NULL, time INTEGER NOT NULL, image_check TEXT, text_check TEXT);"
		"CREATE TABLE IF NOT EXISTS publish_journal ("
		" id INTEGER PRIMARY KEY AUTOINCREMENT, from_serial INTEGER NOT NULL,"
		" to_serial INTEGER NOT NULL, file TEXT NOT NULL, bytes INTEGER NOT NULL,"
		" time INTEGER NOT NULL);");
	if (r != TLD_OK) {
		return r;
	}
	/* a state store made before the checks: each column added (NULL: not recorded) */
	const char *added[] = { "image_check", "text_check" };
	for (size_t k = 0; k < sizeof(added) / sizeof(added[0]) && r == TLD_OK; k++) {
		r = tld_statedb_add_column(db, "publish_versions", added[k], "TEXT");
	}
	return r;
}

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

int tld_versions_current(tld_statedb_t *db, struct tld_version_info *out)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *h = tld_statedb_handle(db);
	int r = tld_versions_init(db);
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(h, "SELECT id, serial, file, image, digest, time, image_check, text_check"
	                       " FROM publish_versions ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading the current version");
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->serial = (uint32_t)sqlite3_column_int64(st, 1);
		copy_text(out->file, sizeof(out->file), sqlite3_column_text(st, 2));
		copy_text(out->image, sizeof(out->image), sqlite3_column_text(st, 3));
		copy_text(out->digest, sizeof(out->digest), sqlite3_column_text(st, 4));
		out->time = sqlite3_column_int64(st, 5);
		copy_text(out->image_check, sizeof(out->image_check), sqlite3_column_text(st, 6));
		copy_text(out->text_check, sizeof(out->text_check), sqlite3_column_text(st, 7));
		r = TLD_OK;
	} else if (rc == SQLITE_DONE) {
		r = TLD_ENOENT;
	} else {
		r = tld_statedb_error(db, "reading the current version");
	}
	sqlite3_finalize(st);
	return r;
}

int tld_journal_list(tld_statedb_t *db, struct tld_journal_info **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct tld_journal_info *arr = NULL;
	size_t cnt = 0, cap = 0;
	int r = tld_versions_init(db), rc;
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT from_serial, to_serial, file, bytes FROM publish_journal ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading the journal");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			struct tld_journal_info *a = realloc(arr, cap * sizeof(*a));
			if (a == NULL) {
				r = TLD_ENOMEM;
				goto fail;
			}
			arr = a;
		}
		arr[cnt].from_serial = (uint32_t)sqlite3_column_int64(st, 0);
		arr[cnt].to_serial = (uint32_t)sqlite3_column_int64(st, 1);
		copy_text(arr[cnt].file, sizeof(arr[cnt].file), sqlite3_column_text(st, 2));
		arr[cnt].bytes = (uint64_t)sqlite3_column_int64(st, 3);
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		r = tld_statedb_error(db, "reading the journal");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = arr;
	*n = cnt;
	return TLD_OK;
fail:
	sqlite3_finalize(st);
	free(arr);
	return r;
}

/* -- internal API (publish/versions_db.h) -- */

/* Whether path is a file right in dir. */
static bool right_in(const char *path, const char *dir)
{
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/') {
		dl--;
	}
	return strncmp(path, dir, dl) == 0 && path[dl] == '/' && path[dl + 1] != 0 &&
	       strchr(path + dl + 1, '/') == NULL;
}

/*
 * Renames a pruned file in the output or journal directory NAME.pruned, for
 * tld_publish_remove_pruned().  \return false when it is elsewhere or was
 * not renamed (the caller removes it)
 */
static bool renamed_pruned(const struct tld_config *cfg, const char *path)
{
	char pruned[4096 + 8], jdir[4096 + 8];
	int n = snprintf(jdir, sizeof(jdir), "%s/journal", cfg->state_dir);
	bool jdir_ok = n > 0 && (size_t)n < sizeof(jdir);
	if ((!right_in(path, cfg->output.dir) && !(jdir_ok && right_in(path, jdir))) ||
	    snprintf(pruned, sizeof(pruned), "%s.pruned", path) >= (int)sizeof(pruned)) {
		return false;
	}
	return rename(path, pruned) == 0 || errno == ENOENT;
}

int tld_versions_prune(const struct tld_config *cfg, tld_statedb_t *db, bool defer)
{
	sqlite3 *h = tld_statedb_handle(db);
	sqlite3_stmt *st = NULL;
	char **victims = NULL;
	size_t nv = 0, cap = 0;
	unsigned keep = cfg->output.keep ? cfg->output.keep : 1;
	int r = TLD_ESTATE;
	uint64_t total = 0;
	int64_t cut_id = -1;
	unsigned count = 0;

	/* journal: newest first; stop at count or size bound */
	if (sqlite3_prepare_v2(h, "SELECT id, bytes FROM publish_journal ORDER BY id DESC", -1, &st,
	                       NULL) != SQLITE_OK) {
		goto fail;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		total += (uint64_t)sqlite3_column_int64(st, 1);
		if (++count > TLD_JOURNAL_MAX_ENTRIES || total > TLD_JOURNAL_MAX_BYTES) {
			cut_id = sqlite3_column_int64(st, 0);
			break;
		}
	}
	sqlite3_finalize(st);
	st = NULL;

	char sql[512];
	snprintf(sql, sizeof(sql),
	         "SELECT file FROM publish_versions WHERE id <= (SELECT id FROM publish_versions"
	         " ORDER BY id DESC LIMIT 1 OFFSET %u)"
	         " UNION ALL SELECT image FROM publish_versions WHERE id <= (SELECT id FROM"
	         " publish_versions ORDER BY id DESC LIMIT 1 OFFSET %u)"
	         " UNION ALL SELECT file FROM publish_journal WHERE id <= %lld",
	         keep, keep, (long long)cut_id);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		goto fail;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			char **v = realloc(victims, cap * sizeof(*v));
			if (v == NULL) {
				r = TLD_ENOMEM;
				goto fail;
			}
			victims = v;
		}
		victims[nv] = strdup((const char *)sqlite3_column_text(st, 0));
		if (victims[nv] == NULL) {
			r = TLD_ENOMEM;
			goto fail;
		}
		nv++;
	}
	sqlite3_finalize(st);
	st = NULL;
	snprintf(sql, sizeof(sql),
	         "DELETE FROM publish_versions WHERE id <= (SELECT id FROM publish_versions"
	         " ORDER BY id DESC LIMIT 1 OFFSET %u); DELETE FROM publish_journal WHERE id <= %lld;",
	         keep, (long long)cut_id);
	r = tld_statedb_begin(db);
	if (r == TLD_OK) {
		r = tld_statedb_exec(db, sql);
	}
	if (r == TLD_OK) {
		r = tld_statedb_commit(db);
	}
	if (r != TLD_OK) {
		tld_statedb_rollback(db);
		goto fail;
	}
	for (size_t i = 0; i < nv; i++) {
		if (defer && renamed_pruned(cfg, victims[i])) {
			continue;
		}
		if (unlink(victims[i]) != 0 && errno != ENOENT) {
			tld_warning("%s: cannot remove old version file: %s", victims[i], strerror(errno));
		}
	}
	r = TLD_OK;
fail:
	if (r == TLD_ESTATE) {
		tld_statedb_error(db, "pruning old versions");
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < nv; i++) {
		free(victims[i]);
	}
	free(victims);
	return r;
}

int tld_versions_record(tld_statedb_t *db, const struct tld_publish_result *res, const char *image,
                        const char *journal_file)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *h = tld_statedb_handle(db);
	int r = tld_statedb_begin(db);
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(h, "INSERT INTO publish_versions (serial, digest, file, image, records,"
	                       " time, image_check, text_check) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		goto fail;
	}
	sqlite3_bind_int64(st, 1, res->serial);
	sqlite3_bind_text(st, 2, res->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, res->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, image, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)res->records);
	sqlite3_bind_int64(st, 6, tld_now());
	const char *checks[2] = { res->image_check, res->text_check };
	for (int k = 0; k < 2; k++) {
		if (checks[k][0] != 0) {
			sqlite3_bind_text(st, 7 + k, checks[k], -1, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(st, 7 + k);
		}
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (journal_file != NULL) {
		if (sqlite3_prepare_v2(h, "INSERT INTO publish_journal (from_serial, to_serial, file,"
		                       " bytes, time) VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
			goto fail;
		}
		sqlite3_bind_int64(st, 1, res->previous_serial);
		sqlite3_bind_int64(st, 2, res->serial);
		sqlite3_bind_text(st, 3, journal_file, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)res->journal_bytes);
		sqlite3_bind_int64(st, 5, tld_now());
		if (sqlite3_step(st) != SQLITE_DONE) {
			goto fail;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	return tld_statedb_commit(db);
fail:
	r = tld_statedb_error(db, "recording the published version");
	sqlite3_finalize(st);
	tld_statedb_rollback(db);
	return r;
}
