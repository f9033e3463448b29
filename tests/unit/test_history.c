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
	tld_statedb_close(db);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		diag("cleanup");
	}
	return exit_status();
}
