/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tld_init_hsm(): own token, PIN files 0600, the policy's keys, no re-init. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "hsm/init.h"
#include "hsm/keydb.h"
#include "policy/audit.h"
#include "tests/tap/tap.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"

static int mode_of(const char *dir, const char *name)
{
	char p[600];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static size_t count_keys(const char *dir, const char *zone, enum tld_key_role *roles)
{
	char state[600];
	tld_statedb_t *db = NULL;
	struct tld_key_record *recs = NULL;
	size_t n = 0;
	snprintf(state, sizeof(state), "%s/state", dir);
	if (tld_statedb_open(state, &db) == TLD_OK && tld_keydb_list(db, zone, false, &recs, &n) == TLD_OK) {
		for (size_t i = 0; i < n && i < 2; i++) {
			roles[i] = recs[i].role;
		}
	}
	tld_key_records_free(recs, n);
	tld_statedb_close(db);
	return n;
}

/* The audit log: key generate entries, a DS on KSK/CSK entries only, chain intact. */
struct audit_seen {
	int generate, with_ds, zsk_with_ds;
};

static int on_entry(const struct tld_audit_entry *e, void *ctx)
{
	struct audit_seen *s = ctx;
	if (strcmp(e->operation, "key generate") == 0) {
		s->generate++;
		s->with_ds += e->ds[0] != '\0';
		s->zsk_with_ds += e->ds[0] != '\0' && strstr(e->detail, "zsk key") != NULL;
	}
	return 0;
}

static void check_audit(const char *dir, int keys, const char *what)
{
	char state[600], head[TLD_AUDIT_HASH_HEX], why[256];
	tld_statedb_t *db = NULL;
	struct audit_seen seen = { 0 };
	int64_t entries = 0;
	snprintf(state, sizeof(state), "%s/state", dir);
	if (!is_int(TLD_OK, tld_statedb_open(state, &db), "%s: state store", what)) {
		return;
	}
	is_int(TLD_OK, tld_audit_foreach(db, on_entry, &seen), "%s: audit log readable", what);
	is_int(keys, seen.generate, "%s: one key generate entry per key", what);
	is_int(1, seen.with_ds, "%s: the KSK/CSK entry carries its DS", what);
	is_int(0, seen.zsk_with_ds, "%s: no DS on a ZSK entry", what);
	is_int(TLD_OK, tld_audit_verify(db, &entries, head, why, sizeof(why)), "%s: chain verifies", what);
	tld_statedb_close(db);
}

int main(void)
{
	char dir[256], dir2[256];
	enum tld_key_role roles[2] = { 0, 0 };
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	if (access(MODULE, R_OK) != 0) {
		skip_all("SoftHSM2 not installed");
	}
	snprintf(dir, sizeof(dir), "/tmp/tldsign-init.XXXXXX");
	snprintf(dir2, sizeof(dir2), "/tmp/tldsign-init.XXXXXX");
	if (mkdtemp(dir) == NULL || mkdtemp(dir2) == NULL) {
		skip_all("mkdtemp");
	}
	struct tld_policy pol = { .algorithm = TLD_ALG_ECDSAP256SHA256, .use_csk = false };
	is_int(TLD_OK, tld_init_hsm(dir, "test.", &pol, NULL, NULL), "init: token and KSK + ZSK");
	is_int(0600, mode_of(dir, "hsm/pin"), "PIN file mode 0600");
	is_int(0600, mode_of(dir, "hsm/so-pin"), "SO PIN file mode 0600");
	ok(mode_of(dir, "hsm/softhsm2.conf") >= 0, "own softhsm2.conf");
	is_int(2, (long long)count_keys(dir, "test.", roles), "two keys recorded");
	ok(roles[0] == TLD_ROLE_KSK && roles[1] == TLD_ROLE_ZSK, "KSK then ZSK");
	check_audit(dir, 2, "KSK + ZSK");
	is_int(TLD_EEXIST, tld_init_hsm(dir, "test.", &pol, NULL, NULL), "second init refused");

	struct tld_policy csk = { .algorithm = TLD_ALG_ED25519, .use_csk = true };
	is_int(TLD_OK, tld_init_hsm(dir2, "example.", &csk, NULL, NULL), "init with a CSK policy");
	is_int(1, (long long)count_keys(dir2, "example.", roles), "one key");
	is_int(TLD_ROLE_CSK, roles[0], "a CSK");
	check_audit(dir2, 1, "CSK");
	if (getenv("KEEP_TMP") == NULL) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, dir2);
		if (system(cmd) != 0) {
			diag("cleanup failed");
		}
	}
	return exit_status();
}
