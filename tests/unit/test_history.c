/* SPDX-License-Identifier: GPL-3.0-or-later */
/* run/history: last published figures and last run time survive reopening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/statedb.h"
#include "run/history.h"
#include "tests/tap/tap.h"

int main(void)
{
	plan_lazy();
	char dir[] = "/tmp/tldsign-history.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		skip_all("mkdtemp");
	}
	tld_statedb_t *db = NULL;
	is_int(TLD_OK, tld_statedb_open(dir, &db), "state store opens");
	is_int(TLD_OK, tld_history_init(db), "table created");
	is_int(TLD_OK, tld_history_init(db), "init is idempotent");

	struct tld_zone_stats s = { 0 };
	bool found = true;
	is_int(TLD_OK, tld_history_last_published(db, "test.", &s, &found), "query on empty history");
	ok(!found, "nothing published yet");
	tld_time_t t = -1;
	is_int(TLD_OK, tld_history_last_run_start(db, "test.", &t), "last run on empty history");
	is_int(0, t, "no last run");

	struct tld_run_report r = { .zone = "test.", .started = 1000, .published = true,
	                            .result = TLD_OK };
	struct tld_zone_stats pub = { .delegations = 500, .ds_records = 50, .rows_total = 900,
	                              .rows_bad = 1, .serial = 77, .has_serial = true };
	strcpy(pub.apex_digest, "abc");
	is_int(TLD_OK, tld_history_record(db, &r, &pub), "published run recorded");
	struct tld_run_report failed = { .zone = "test.", .started = 2000, .result = TLD_EGUARD };
	struct tld_zone_stats other = { .delegations = 1 };
	is_int(TLD_OK, tld_history_record(db, &failed, &other), "failed run recorded");
	struct tld_run_report elsewhere = { .zone = "other.", .started = 3000, .published = true };
	is_int(TLD_OK, tld_history_record(db, &elsewhere, &other), "other zone recorded");
	tld_statedb_close(db);

	is_int(TLD_OK, tld_statedb_open(dir, &db), "reopened");
	is_int(TLD_OK, tld_history_last_published(db, "test.", &s, &found), "query");
	ok(found && s.delegations == 500 && s.ds_records == 50 && s.serial == 77 && s.has_serial &&
	   strcmp(s.apex_digest, "abc") == 0, "last published figures (failed run ignored)");
	is_int(TLD_OK, tld_history_last_run_start(db, "test.", &t), "last run");
	is_int(2000, t, "last run includes failed runs, not other zones");
	is_int(TLD_OK, tld_history_last_full_verify(db, "test.", &t), "last verification from scratch");
	is_int(0, t, "none yet (no run verified)");
	struct tld_run_report full = { .zone = "test.", .started = 4000, .result = TLD_OK,
	                               .verify_mode = TLD_RUN_VERIFY_FULL };
	struct tld_run_report delta = { .zone = "test.", .started = 5000, .result = TLD_OK,
	                                .verify_mode = TLD_RUN_VERIFY_DELTA };
	struct tld_run_report refused = { .zone = "test.", .started = 6000, .result = TLD_EVERIFY,
	                                  .verify_mode = TLD_RUN_VERIFY_FULL };
	is_int(TLD_OK, tld_history_record(db, &full, &pub), "a run verified from scratch");
	is_int(TLD_OK, tld_history_record(db, &delta, &pub), "a run verified by its changes");
	is_int(TLD_OK, tld_history_record(db, &refused, &pub), "a run whose verification failed");
	is_int(TLD_OK, tld_history_last_full_verify(db, "test.", &t), "last verification from scratch");
	is_int(4000, t, "the one that verified from scratch and passed");
	tld_statedb_close(db);

	/* a state store of an earlier release: run_history without verify_full */
	char old_dir[] = "/tmp/tldsign-history-old.XXXXXX";
	if (mkdtemp(old_dir) != NULL && tld_statedb_open(old_dir, &db) == TLD_OK) {
		is_int(TLD_OK, tld_statedb_exec(db, "CREATE TABLE run_history (id INTEGER PRIMARY KEY AUTOINCREMENT,"
		       " zone TEXT NOT NULL, started INTEGER NOT NULL, duration REAL NOT NULL,"
		       " exit_code INTEGER NOT NULL, published INTEGER NOT NULL, serial INTEGER,"
		       " delegations INTEGER NOT NULL, ds_records INTEGER NOT NULL, rows_total INTEGER NOT NULL,"
		       " rows_bad INTEGER NOT NULL, apex_digest TEXT NOT NULL, sigs_new INTEGER NOT NULL,"
		       " sigs_reused INTEGER NOT NULL, forced_reason TEXT,"
		       " earliest_expiration INTEGER NOT NULL DEFAULT 0, unsigned_digest TEXT NOT NULL DEFAULT '');"
		       "INSERT INTO run_history (zone, started, duration, exit_code, published, delegations,"
		       " ds_records, rows_total, rows_bad, apex_digest, sigs_new, sigs_reused)"
		       " VALUES ('test.', 100, 1, 0, 1, 5, 1, 9, 0, 'x', 1, 0);"), "an earlier release's table");
		is_int(TLD_OK, tld_history_init(db), "init adds the verify_full column");
		is_int(TLD_OK, tld_history_init(db), "and again: nothing to add");
		is_int(TLD_OK, tld_history_last_full_verify(db, "test.", &t), "last verification from scratch");
		is_int(0, t, "the earlier release's runs do not count as verified from scratch");
		is_int(TLD_OK, tld_history_record(db, &full, &pub), "a new run is recorded in the old table");
		is_int(TLD_OK, tld_history_last_full_verify(db, "test.", &t), "and found");
		is_int(4000, t, "with its time");
		tld_statedb_close(db);
		char rm[256];
		snprintf(rm, sizeof(rm), "rm -rf %s", old_dir);
		if (system(rm) != 0) {
			diag("cleanup");
		}
	}

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		diag("cleanup");
	}
	return exit_status();
}
