/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Session loss and token removal mid-run, at unit level, through the real
 * fault-injecting PKCS#11 module tests/p11fault/p11fault.c (built here with
 * cc into the token directory) in front of SoftHSM2:
 *  - tld_hsm_sign: a lost session is TLD_EAGAIN and not recorded;
 *    tld_hsm_reopen() makes the retry work; tld_hsm_lost_error() names it;
 *  - the pool: one transient loss per kind is re-opened and retried once,
 *    every signature verifies (ldns); a persistent loss fails every item the
 *    worker could not sign, with "C_Sign on key N (zsk): CKR_..." as the
 *    pool's first error;
 *  - the same through workers started early (hsm/signpool.h): no parent
 *    log-in, the re-open once per worker and batch, the same first error;
 *  - CKR_PIN_INCORRECT reaches the module exactly once (counted by it),
 *    also with workers started early (the others do not try, and the
 *    pool does not try again with forked workers);
 *  - session key copies: a lost session takes its copy along and the
 *    re-opened one copies again; a token that refuses the copy
 *    (CKR_FUNCTION_NOT_SUPPORTED, CKR_ACTION_PROHIBITED) or hands out a copy
 *    that is extractable or not sensitive is signed with through the token
 *    object (the weak copy destroyed at once), with no error; every copy
 *    made is destroyed (counted by the module across the workers).
 */
#include <ldns/ldns.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/algorithm.h"
#include "hsm/hsm.h"
#include "hsm/keys.h"
#include "hsm/signpool.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/hsm_test_verify.h"

#define FAULT_SRC "tests/p11fault/p11fault.c"
enum { N = 700 };

static char log_path[400];
static uint8_t msgs[N][100];
static struct tld_sign_req reqs[N];

/* Lines of the module's log that start with prefix. */
static long log_count(const char *prefix)
{
	char line[256];
	long n = 0;
	FILE *f = fopen(log_path, "r");
	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	}
	fclose(f);
	return n;
}

static void reset_faults(void)
{
	char once[420];
	snprintf(once, sizeof(once), "%s.once", log_path);
	unlink(log_path);
	unlink(once);
	unsetenv("P11FAULT_SIGN_N");
	unsetenv("P11FAULT_SIGN_RV");
	unsetenv("P11FAULT_SIGN_MODE");
	unsetenv("P11FAULT_LOGIN_RV");
	unsetenv("P11FAULT_COPY_RV");
	unsetenv("P11FAULT_COPY_UNSAFE");
}

static void set_sign_fault(const char *n, const char *rv, const char *mode)
{
	reset_faults();
	setenv("P11FAULT_SIGN_N", n, 1);
	setenv("P11FAULT_SIGN_RV", rv, 1);
	setenv("P11FAULT_SIGN_MODE", mode, 1);
}

/* A signature against the key record's DNSKEY (tests/unit/hsm_test_verify.h). */
static bool verify_rec(const uint8_t *sig, size_t slen, const uint8_t *msg, size_t mlen,
                       const struct tld_key_record *rec)
{
	return verify_p256(sig, slen, msg, mlen, rec->dnskey + 4, rec->dnskey_len - 4);
}

/*
 * The pool as the fault cases use it: opened the usual way (fork per
 * batch), or early: through 2 workers started before (hsm/signpool.h),
 * which close_pool() stops.  early adds to what a case says the word "early".
 */
struct pool_use {
	bool early;
	tld_signpool_workers_t *ws;
	tld_signpool_t *pool;
	const char *how;
};

static int open_pool(struct pool_use *u, const struct tld_config *cfg, const struct tld_signpool_key *key)
{
	u->how = u->early ? " (early)" : "";
	u->pool = NULL;
	u->ws = NULL;
	if (u->early && (tld_signpool_workers_start(cfg, 2, &u->ws) != TLD_OK ||
	                 tld_signpool_workers_ready(u->ws) != TLD_OK)) {
		diag("workers started early: not ready");
	}
	return tld_signpool_open_started(u->ws, cfg, key, 1, 2, &u->pool);
}

static void close_pool(struct pool_use *u)
{
	if (u->pool != NULL && u->early) {
		struct tld_signpool_stats st;
		tld_signpool_get_stats(u->pool, &st);
		is_int((long long)st.batches, (long long)st.started_batches, "early: every batch by the started workers");
	}
	tld_signpool_close(u->pool);
	tld_signpool_workers_stop(u->ws);
	u->pool = NULL;
	u->ws = NULL;
}

static void pool_transient(const struct tld_config *cfg, const struct tld_signpool_key *key,
                           const struct tld_key_record *rec, const char *rv, bool early)
{
	struct pool_use u = { .early = early };
	struct tld_sign_result *res = NULL;
	set_sign_fault("30", rv, "once");
	if (!is_int(TLD_OK, open_pool(&u, cfg, key), "%s once%s: pool opens", rv, u.how)) {
		close_pool(&u);
		return;
	}
	tld_signpool_t *pool = u.pool;
	if (is_int(TLD_OK, tld_signpool_sign(pool, reqs, N, &res), "%s once: batch signed", rv)) {
		is_int(0, (long long)res->failed, "%s once: no item failed", rv);
		size_t good = 0;
		for (size_t i = 0; i < N; i++) {
			good += res->err[i] == TLD_OK &&
			        verify_rec(res->sig + res->offset[i], res->len[i], reqs[i].msg, reqs[i].len, rec);
		}
		is_int(N, (long long)good, "%s once: all %d signatures verify with ldns", rv, N);
	}
	is_int(1, log_count("FAULT C_Sign"), "%s once: the module injected exactly one fault", rv);
	/* parent + 2 workers + 1 re-open; early: no parent */
	is_int(early ? 3 : 4, log_count("C_Login"), "%s once%s: one extra login (the re-open)", rv, u.how);
	is_str("", tld_signpool_error(pool), "%s once: no error kept", rv);
	struct tld_signpool_stats st;
	tld_signpool_get_stats(pool, &st);
	/* the lost session took its copy along; the re-opened one copied again */
	is_int(3, (long long)st.key_copies, "%s once: 3 session copies (2 workers + the re-open)", rv);
	is_int(3, log_count("C_CopyObject"), "%s once: the module made 3 copies", rv);
	is_int(2, (long long)st.key_copies_destroyed, "%s once: the 2 living copies destroyed at the end", rv);
	is_int(2, log_count("C_DestroyObject"), "%s once: the module destroyed 2 objects", rv);
	is_int(0, (long long)st.copies_left, "%s once: only the token key is left", rv);
	tld_sign_result_free(res);
	close_pool(&u);
}

/* The token will not copy, or copies unsafely: the pool signs with the token object. */
static void pool_no_copy(const struct tld_config *cfg, const struct tld_signpool_key *key,
                         const struct tld_key_record *rec, const char *env, const char *value)
{
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	reset_faults();
	setenv(env, value, 1);
	if (!is_int(TLD_OK, tld_signpool_open(cfg, key, 1, 2, &pool), "%s: pool opens", value)) {
		return;
	}
	if (is_int(TLD_OK, tld_signpool_sign(pool, reqs, N, &res), "%s: batch signed", value)) {
		is_int(0, (long long)res->failed, "%s: no item failed", value);
		size_t good = 0;
		for (size_t i = 0; i < N; i++) {
			good += res->err[i] == TLD_OK &&
			        verify_rec(res->sig + res->offset[i], res->len[i], reqs[i].msg, reqs[i].len, rec);
		}
		is_int(N, (long long)good, "%s: all %d signatures verify with ldns", value, N);
	}
	struct tld_signpool_stats st;
	tld_signpool_get_stats(pool, &st);
	is_int(2, log_count("FAULT C_CopyObject"), "%s: each worker's copy was refused or made weak", value);
	is_int(0, (long long)st.key_copies, "%s: no copy used", value);
	is_int(2, (long long)st.token_key_uses, "%s: both workers signed with the token object", value);
	is_int(log_count("C_CopyObject"), log_count("C_DestroyObject"), "%s: every copy made was destroyed", value);
	is_str("", tld_signpool_error(pool), "%s: no error kept", value);
	tld_sign_result_free(res);
	tld_signpool_close(pool);
}

static void pool_persistent(const struct tld_config *cfg, const struct tld_signpool_key *key,
                            const char *rv, bool early)
{
	struct pool_use u = { .early = early };
	struct tld_sign_result *res = NULL;
	char want[128];
	set_sign_fault("10", rv, "always");
	if (!is_int(TLD_OK, open_pool(&u, cfg, key), "%s always%s: pool opens", rv, u.how)) {
		close_pool(&u);
		return;
	}
	tld_signpool_t *pool = u.pool;
	if (is_int(TLD_OK, tld_signpool_sign(pool, reqs, N, &res), "%s always: the call itself works", rv)) {
		/* each worker signed 9 items, then lost the session twice */
		is_int(N - 2 * 9, (long long)res->failed, "%s always: every item after the fault failed", rv);
		size_t bad_ok = 0;
		for (size_t i = 0; i < N; i++) {
			bad_ok += res->err[i] != TLD_OK && res->len[i] != 0;
		}
		is_int(0, (long long)bad_ok, "%s always: failed items carry no signature", rv);
	}
	snprintf(want, sizeof(want), "C_Sign on key %u (zsk): %s", key->key_tag, rv);
	is_str(want, tld_signpool_error(pool), "%s always: first error names action, key and code", rv);
	/* parent + 2 workers + one re-open each; early: no parent */
	is_int(early ? 4 : 5, log_count("C_Login"), "%s always%s: one re-open per worker, then given up", rv, u.how);
	tld_sign_result_free(res);
	close_pool(&u);
}

static void direct(const struct tld_config *cfg, const struct tld_signpool_key *key)
{
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t priv;
	uint8_t sig[TLD_SIG_MAX];
	size_t slen = 0;
	set_sign_fault("2", "CKR_SESSION_HANDLE_INVALID", "once");
	if (!is_int(TLD_OK, tld_hsm_open(cfg, &hsm), "direct: token opens through the fault module")) {
		return;
	}
	is_int(TLD_OK, tld_hsm_find_id(hsm, true, key->id, key->id_len, &priv), "direct: key found");
	is_int(TLD_OK, tld_hsm_sign(hsm, priv, 13, "key x (zsk)", msgs[0], 50, sig, &slen), "direct: 1st sign");
	is_int(TLD_EAGAIN, tld_hsm_sign(hsm, priv, 13, "key x (zsk)", msgs[0], 50, sig, &slen),
	       "direct: session lost is TLD_EAGAIN");
	is_str("", tld_hsm_error(hsm), "direct: a retryable loss is not recorded");
	is_int(TLD_EAGAIN, tld_hsm_sign(hsm, priv, 13, "key x (zsk)", msgs[0], 50, sig, &slen),
	       "direct: the session is really gone (no retry without re-open)");
	is_int(TLD_OK, tld_hsm_reopen(hsm), "direct: re-open");
	is_int(TLD_OK, tld_hsm_find_id(hsm, true, key->id, key->id_len, &priv), "direct: key found again");
	is_int(TLD_OK, tld_hsm_sign(hsm, priv, 13, "key x (zsk)", msgs[0], 50, sig, &slen),
	       "direct: retry after re-open signs");
	is_int(TLD_EHSM, tld_hsm_lost_error(hsm), "direct: giving up is TLD_EHSM");
	is_str("C_SignInit on key x (zsk): CKR_SESSION_HANDLE_INVALID", tld_hsm_error(hsm),
	       "direct: the loss as first error");
	tld_hsm_close(hsm);
}

static void pin_incorrect(const struct tld_config *cfg, const struct tld_signpool_key *key)
{
	tld_signpool_t *pool = NULL;
	tld_hsm_t *hsm = NULL;
	reset_faults();
	setenv("P11FAULT_LOGIN_RV", "CKR_PIN_INCORRECT", 1);
	is_int(TLD_EPIN, tld_signpool_open(cfg, key, 1, 2, &pool), "PIN incorrect: pool refuses (TLD_EPIN)");
	ok(pool == NULL, "PIN incorrect: no pool");
	is_int(1, log_count("C_Login"), "PIN incorrect: exactly one C_Login reached the module");
	is_int(TLD_EPIN, tld_hsm_open(cfg, &hsm), "PIN incorrect: tld_hsm_open is TLD_EPIN");
	is_int(2, log_count("C_Login"), "PIN incorrect: again exactly one C_Login");
	reset_faults();
}

/* Workers started early with a PIN the token refuses: one log-in in all, no pool. */
static void pin_incorrect_early(const struct tld_config *cfg, const struct tld_signpool_key *key)
{
	tld_signpool_workers_t *ws = NULL;
	tld_signpool_t *pool = NULL;
	reset_faults();
	setenv("P11FAULT_LOGIN_RV", "CKR_PIN_INCORRECT", 1);
	if (is_int(TLD_OK, tld_signpool_workers_start(cfg, 3, &ws), "PIN incorrect (early): 3 workers start")) {
		is_int(TLD_EPIN, tld_signpool_workers_ready(ws), "PIN incorrect (early): not ready, TLD_EPIN");
		pid_t pids[4];
		is_int(0, (long long)tld_signpool_workers_pids(ws, pids, 4), "PIN incorrect (early): every worker ended");
		is_int(TLD_EPIN, tld_signpool_open_started(ws, cfg, key, 1, 2, &pool),
		       "PIN incorrect (early): the pool refuses (TLD_EPIN), not tried again forked");
		ok(pool == NULL, "PIN incorrect (early): no pool");
		is_int(1, log_count("C_Login"), "PIN incorrect (early): exactly one C_Login reached the module");
	}
	tld_signpool_workers_stop(ws);
	reset_faults();
}

int main(void)
{
	struct test_token t;
	tld_statedb_t *db = NULL;
	struct tld_key_record rec;
	char so[400], cmd[1200];
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	if (access(FAULT_SRC, R_OK) != 0 || system("command -v cc >/dev/null") != 0) {
		skip_all("needs %s and cc (run from the top directory)", FAULT_SRC);
	}
	test_token_make(&t, "unit-fault");
	snprintf(so, sizeof(so), "%s/p11fault.so", t.dir);
	snprintf(log_path, sizeof(log_path), "%s/fault.log", t.dir);
	snprintf(cmd, sizeof(cmd), "cc -std=c11 -D_GNU_SOURCE -shared -fPIC -I. %s -o %s -ldl", FAULT_SRC, so);
	if (!is_int(0, system(cmd), "fault module builds") ||
	    !is_int(TLD_OK, tld_statedb_open(t.dir, &db), "state store") ||
	    !is_int(TLD_OK, tld_key_generate(&t.cfg, db, TLD_ROLE_ZSK, 13, 0, &rec), "P-256 ZSK generated")) {
		return exit_status();
	}
	struct tld_signpool_key key = { .algorithm = 13, .key_tag = rec.key_tag, .role = "zsk" };
	memcpy(key.id, rec.cka_id_raw, rec.cka_id_len);
	key.id_len = rec.cka_id_len;
	RAND_bytes(&msgs[0][0], sizeof(msgs));
	for (size_t i = 0; i < N; i++) {
		reqs[i] = (struct tld_sign_req){ .key = 0, .len = (uint32_t)(20 + i % 80), .msg = msgs[i] };
	}
	setenv("P11FAULT_MODULE", t.module, 1);
	setenv("P11FAULT_LOG", log_path, 1);
	struct tld_config cfg = t.cfg;
	cfg.hsm.module = so;

	direct(&cfg, &key);
	for (int early = 0; early <= 1; early++) {
		pool_transient(&cfg, &key, &rec, "CKR_SESSION_HANDLE_INVALID", early);
		pool_transient(&cfg, &key, &rec, "CKR_DEVICE_REMOVED", early);
		pool_transient(&cfg, &key, &rec, "CKR_TOKEN_NOT_PRESENT", early);
		pool_persistent(&cfg, &key, "CKR_DEVICE_REMOVED", early);
		pool_persistent(&cfg, &key, "CKR_TOKEN_NOT_PRESENT", early);
	}
	pin_incorrect(&cfg, &key);
	pin_incorrect_early(&cfg, &key);
	pool_no_copy(&cfg, &key, &rec, "P11FAULT_COPY_RV", "CKR_FUNCTION_NOT_SUPPORTED");
	pool_no_copy(&cfg, &key, &rec, "P11FAULT_COPY_RV", "CKR_ACTION_PROHIBITED");
	pool_no_copy(&cfg, &key, &rec, "P11FAULT_COPY_UNSAFE", "extractable");
	pool_no_copy(&cfg, &key, &rec, "P11FAULT_COPY_UNSAFE", "not-sensitive");

	tld_statedb_close(db);
	test_token_remove(&t);
	return exit_status();
}
