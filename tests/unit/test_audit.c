/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy/audit: the hash chain detects edited, removed and reordered entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/statedb.h"
#include "policy/audit.h"
#include "tests/tap/tap.h"

static tld_statedb_t *fresh_log(const char *dir)
{
	tld_statedb_t *db = NULL;
	char path[512];
	snprintf(path, sizeof(path), "%s/state.db", dir);
	unlink(path);
	if (tld_statedb_open(dir, &db) != TLD_OK) {
		return NULL;
	}
	static const char *ops[] = { "key generate", "key generate", "rollover start", "ds seen", "ds gone" };
	for (int i = 0; i < 5; i++) {
		char tags[16];
		snprintf(tags, sizeof(tags), "%d", 1000 + i);
		tld_audit_append(db, 1795255200LL + i * 60, "alice", ops[i], tags,
		                 i == 3 ? "test. IN DS 1003 13 2 ABCD" : NULL, "step", NULL);
	}
	return db;
}

static int verify(tld_statedb_t *db, char *why, size_t size)
{
	int64_t n = 0;
	char head[TLD_AUDIT_HASH_HEX];
	return tld_audit_verify(db, &n, head, why, size);
}

static int count_cb(const struct tld_audit_entry *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

int main(void)
{
	plan_lazy();
	char dir[] = "/tmp/tldsign-audit-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		skip_all("no temporary directory");
		return 0;
	}
	char why[512];
	tld_statedb_t *db = fresh_log(dir);
	ok(db != NULL, "log created");
	int64_t n = 0;
	char head[TLD_AUDIT_HASH_HEX];
	is_int(TLD_OK, tld_audit_verify(db, &n, head, why, sizeof(why)), "intact log verifies");
	is_int(5, n, "5 entries");
	is_int(64, (long long)strlen(head), "head is a SHA-256");
	int count = 0;
	tld_audit_foreach(db, count_cb, &count);
	is_int(5, count, "foreach walks 5 entries");

	struct { const char *name; const char *sql; const char *expect; } tamper[] = {
		{ "edited actor", "UPDATE audit SET actor = 'mallory' WHERE seq = 2", "edited" },
		{ "edited DS", "UPDATE audit SET ds = 'test. IN DS 1 13 2 00' WHERE seq = 4", "edited" },
		{ "edited time", "UPDATE audit SET time = time + 1 WHERE seq = 1", "edited" },
		{ "removed middle", "DELETE FROM audit WHERE seq = 3", "removed" },
		{ "removed last", "DELETE FROM audit WHERE seq = 5", "removed" },
		{ "removed first", "DELETE FROM audit WHERE seq = 1", "removed" },
		{ "reordered", "UPDATE audit SET seq = -seq WHERE seq IN (2, 3);"
		               "UPDATE audit SET seq = 5 - seq WHERE seq IN (-2, -3)", "reordered" },
		{ "head edited", "UPDATE audit_head SET seq = 4", "head" },
		{ "all rows removed", "DELETE FROM audit", "removed" },
	};
	tld_statedb_close(db);
	for (size_t i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		db = fresh_log(dir);
		is_int(TLD_OK, verify(db, why, sizeof(why)), "%s: intact before", tamper[i].name);
		is_int(TLD_OK, tld_statedb_exec(db, tamper[i].sql), "%s: tampered", tamper[i].name);
		is_int(TLD_EVERIFY, verify(db, why, sizeof(why)), "%s: detected", tamper[i].name);
		ok(strstr(why, tamper[i].expect) != NULL, "%s: explained: %s", tamper[i].name, why);
		tld_statedb_close(db);
	}
	/* inside a rolled-back transaction the entry disappears together with the chain head */
	db = fresh_log(dir);
	tld_statedb_begin(db);
	tld_audit_append(db, 1795259999LL, "bob", "key delete", "1001", NULL, NULL, NULL);
	tld_statedb_rollback(db);
	is_int(TLD_OK, verify(db, why, sizeof(why)), "rolled-back append leaves a valid chain");
	ok(strcmp(tld_audit_actor("carol"), "carol") == 0, "--actor wins");
	setenv("SUDO_USER", "dave", 1);
	is_str("dave", tld_audit_actor(NULL), "SUDO_USER next");
	tld_statedb_close(db);
	char path[600];
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0) {
		diag("could not remove %s", dir);
	}
	return exit_status();
}
