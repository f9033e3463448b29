/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signing workers started early (hsm/signpool.h) with SoftHSM2:
 *  - they are not started while the caller has a PKCS#11 context open;
 *  - they sign what the fork-per-batch pool signs: every item, every
 *    signature verifying against its key's DNSKEY (ldns); a second batch,
 *    a second pool after the first closed; a pool opened while another uses
 *    them, a key they cannot find, and a key made after they started all
 *    sign too (without them where they cannot);
 *  - a bad item (key index out of range) fails alone;
 *  - a worker killed mid-batch: the call works, the items it had claimed
 *    and not finished fail with TLD_EHSM, the pool's error names its death,
 *    the next batch is signed by the worker left; one worker alone killed:
 *    the rest of the batch fails;
 *  - the caller killed (kill -9), also while they log in: no worker
 *    outlives it (reaped by this test as their subreaper within a bounded
 *    wait), and the token still opens after;
 *  - the state directory's lock fd is not inherited: a worker's fds are
 *    stdin and stdout on /dev/null, stderr and its socket, nothing else;
 *  - a batch area whose header does not hold (adversarial worker input) is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/lock.h"
#include "common/log.h"
#include "hsm/hsm.h"
#include "hsm/signpool.h"
#include "hsm/signpool_internal.h" /* the batch area, for the adversarial header */
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/hsm_test_verify.h"

enum { N = 3000, BIG = 30000 };
static uint8_t msgs[BIG][64];
static struct tld_sign_req reqs[BIG];

struct key {
	uint8_t pub[64];
	size_t pub_len;
	struct tld_signpool_key pk;
};

static bool make_key(const struct tld_config *cfg, const char *label, uint16_t tag, struct key *k)
{
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t pub = 0, priv = 0;
	k->pk = (struct tld_signpool_key){ .algorithm = 13, .key_tag = tag, .role = "zsk", .id_len = 20 };
	bool good = tld_hsm_open(cfg, &hsm) == TLD_OK && tld_hsm_random(hsm, k->pk.id, 20) == TLD_OK &&
	            tld_hsm_generate(hsm, 13, 0, k->pk.id, 20, label, &pub, &priv) == TLD_OK &&
	            tld_hsm_public_key(hsm, pub, 13, k->pub, sizeof(k->pub), &k->pub_len) == TLD_OK;
	tld_hsm_close(hsm);
	return good;
}

static void set_reqs(size_t n, uint32_t nkeys)
{
	for (size_t i = 0; i < n; i++) {
		reqs[i] = (struct tld_sign_req){ .key = (uint32_t)(i % 5 == 0 ? 0 : nkeys - 1),
			                         .len = (uint32_t)(16 + i % 48), .msg = msgs[i] };
	}
}

/* Signed items whose signature verifies against their key; *failed_ehsm: failed items that are TLD_EHSM. */
static size_t count_good(const struct tld_sign_result *res, const struct key *keys, size_t *failed_ehsm)
{
	size_t good = 0;
	*failed_ehsm = 0;
	for (size_t i = 0; i < res->count; i++) {
		const struct key *k = &keys[reqs[i].key];
		if (res->err[i] != TLD_OK) {
			*failed_ehsm += res->err[i] == TLD_EHSM && res->len[i] == 0;
			continue;
		}
		good += verify_p256(res->sig + res->offset[i], res->len[i], reqs[i].msg, reqs[i].len, k->pub, k->pub_len);
	}
	return good;
}

/* One batch of n items through pool; how many signatures verify (-1: the call failed). */
static long sign_batch(tld_signpool_t *pool, const struct key *keys, size_t n, size_t *failed)
{
	struct tld_sign_result *res = NULL;
	size_t ehsm = 0;
	if (tld_signpool_sign(pool, reqs, n, &res) != TLD_OK) {
		return -1;
	}
	long good = (long)count_good(res, keys, &ehsm);
	*failed = res->failed;
	tld_sign_result_free(res);
	return good;
}

static size_t started_batches(const tld_signpool_t *pool)
{
	struct tld_signpool_stats st;
	tld_signpool_get_stats(pool, &st);
	return st.started_batches;
}

static void same_as_forked(const struct tld_config *cfg, const struct key *keys)
{
	struct tld_signpool_key pk[2] = { keys[0].pk, keys[1].pk };
	tld_signpool_t *forked = NULL, *pool = NULL, *second = NULL;
	tld_signpool_workers_t *ws = NULL;
	size_t failed = 9;
	set_reqs(N, 2);
	if (is_int(TLD_OK, tld_signpool_open(cfg, pk, 2, 2, &forked), "fork per batch: pool opens")) {
		is_int(N, sign_batch(forked, keys, N, &failed), "fork per batch: %d signatures verify", N);
		is_int(0, (long long)started_batches(forked), "fork per batch: no started worker");
	}
	tld_signpool_close(forked);

	tld_hsm_t *hsm = NULL;
	if (is_int(TLD_OK, tld_hsm_open(cfg, &hsm), "early: a context of the caller open")) {
		is_int(TLD_EINVAL, tld_signpool_workers_start(cfg, 2, &ws), "early: no start while it is open");
		ok(ws == NULL, "early: nothing started");
	}
	tld_hsm_close(hsm);
	if (!is_int(TLD_OK, tld_signpool_workers_start(cfg, 2, &ws), "early: 2 workers start")) {
		return;
	}
	pid_t pids[4];
	is_int(2, (long long)tld_signpool_workers_pids(ws, pids, 4), "early: 2 worker processes");
	is_int(TLD_OK, tld_signpool_workers_ready(ws), "early: both logged in");
	if (is_int(TLD_OK, tld_signpool_open_started(ws, cfg, pk, 2, 2, &pool), "early: pool opens with them")) {
		is_int(N, sign_batch(pool, keys, N, &failed), "early: %d signatures verify", N);
		is_int(0, (long long)failed, "early: no item failed");
		is_int(N / 2, sign_batch(pool, keys, N / 2, &failed), "early: a second batch verifies too");
		is_int(2, (long long)started_batches(pool), "early: both batches by the started workers");
		struct tld_signpool_stats st;
		tld_signpool_get_stats(pool, &st);
		is_int(N + N / 2, (long long)st.signatures, "early: signatures counted");
		is_int(st.key_copies, (long long)st.key_copies_destroyed, "early: every session copy destroyed (%llu)",
		       (unsigned long long)st.key_copies);
		is_int(0, (long long)st.copies_left, "early: only the token keys are left");
		is_str("", tld_signpool_error(pool), "early: no error kept");
		/* a second pool while the first uses them: forked per batch */
		if (is_int(TLD_OK, tld_signpool_open_started(ws, cfg, pk, 2, 2, &second), "early: a 2nd pool opens beside")) {
			is_int(N, sign_batch(second, keys, N, &failed), "early: the 2nd pool signs (forked)");
			is_int(0, (long long)started_batches(second), "early: ... not through the workers in use");
		}
		tld_signpool_close(second);
		second = NULL;
		/* a bad item fails alone */
		struct tld_sign_req bad = reqs[1];
		reqs[1].key = 99;
		struct tld_sign_result *res = NULL;
		if (is_int(TLD_OK, tld_signpool_sign(pool, reqs, 300, &res), "early: batch with a bad key index")) {
			is_int(1, (long long)res->failed, "early: one item failed");
			is_int(TLD_EINVAL, res->err[1], "early: the bad item is TLD_EINVAL");
			ok(res->err[0] == TLD_OK && res->err[2] == TLD_OK, "early: its neighbours are signed");
		}
		tld_sign_result_free(res);
		reqs[1] = bad;
	}
	tld_signpool_close(pool);
	pool = NULL;
	/* the workers serve the next pool (the keys handed again), here with one key */
	struct key one[1] = { keys[1] };
	set_reqs(N, 1);
	if (is_int(TLD_OK, tld_signpool_open_started(ws, cfg, &one[0].pk, 1, 2, &pool), "early: a next pool opens")) {
		is_int(N, sign_batch(pool, one, N, &failed), "early: the next pool's signatures verify");
		is_int(1, (long long)started_batches(pool), "early: ... signed by the same workers");
	}
	tld_signpool_close(pool);
	tld_signpool_workers_stop(ws);
	for (int i = 0; i < 2; i++) {
		ok(kill(pids[i], 0) != 0 && errno == ESRCH, "early: worker %d is gone after the stop", i);
	}
}

/* A key they cannot find: the pool is checked and signs forked, with the usual error. */
static void missing_key(const struct tld_config *cfg, const struct key *keys)
{
	tld_signpool_workers_t *ws = NULL;
	tld_signpool_t *pool = NULL;
	struct tld_signpool_key pk[2] = { keys[0].pk, keys[1].pk };
	pk[1].id[0] ^= 0xff;
	if (!is_int(TLD_OK, tld_signpool_workers_start(cfg, 2, &ws), "missing key: workers start")) {
		return;
	}
	is_int(TLD_EKEY, tld_signpool_open_started(ws, cfg, pk, 2, 2, &pool), "missing key: TLD_EKEY as without them");
	ok(pool == NULL, "missing key: no pool");
	pid_t pids[4];
	is_int(0, (long long)tld_signpool_workers_pids(ws, pids, 4), "missing key: the started workers ended");
	/* a later pool with good keys signs forked */
	size_t failed = 0;
	set_reqs(N, 1);
	if (is_int(TLD_OK, tld_signpool_open_started(ws, cfg, pk, 1, 2, &pool), "missing key: a later pool opens")) {
		is_int(N / 2, sign_batch(pool, keys, N / 2, &failed), "missing key: it signs");
		is_int(0, (long long)started_batches(pool), "missing key: forked per batch");
	}
	tld_signpool_close(pool);
	tld_signpool_workers_stop(ws);
}

/* A key generated after the workers logged in (key management does that in a run). */
static void key_made_after(const struct tld_config *cfg, const struct key *keys)
{
	tld_signpool_workers_t *ws = NULL;
	tld_signpool_t *pool = NULL;
	struct key later[2] = { keys[0] };
	size_t failed = 0;
	if (!is_int(TLD_OK, tld_signpool_workers_start(cfg, 2, &ws), "key made after: workers start") ||
	    !is_int(TLD_OK, tld_signpool_workers_ready(ws), "key made after: logged in") ||
	    !ok(make_key(cfg, "later", 3333, &later[1]), "key made after: a new key generated by the caller")) {
		tld_signpool_workers_stop(ws);
		return;
	}
	struct tld_signpool_key pk[2] = { later[0].pk, later[1].pk };
	set_reqs(N, 2);
	if (is_int(TLD_OK, tld_signpool_open_started(ws, cfg, pk, 2, 2, &pool), "key made after: pool opens")) {
		is_int(N, sign_batch(pool, later, N, &failed), "key made after: every signature verifies");
		diag("key made after: %s", started_batches(pool) == 1 ? "signed by the started workers (they saw the key)"
		                                                        : "signed forked");
	}
	tld_signpool_close(pool);
	tld_signpool_workers_stop(ws);
}

struct killer {
	pid_t pid;
	unsigned delay_ms;
};

static void *kill_later(void *arg)
{
	const struct killer *k = arg;
	struct timespec ts = { .tv_sec = k->delay_ms / 1000, .tv_nsec = (long)(k->delay_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	kill(k->pid, SIGKILL);
	return NULL;
}

/* Worker 0 of nw killed 150 ms into a batch of BIG items (a few seconds of signing). */
static void killed_mid_batch(const struct tld_config *cfg, const struct key *keys, unsigned nw)
{
	tld_signpool_workers_t *ws = NULL;
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	struct tld_signpool_key pk[2] = { keys[0].pk, keys[1].pk };
	pid_t pids[4];
	set_reqs(BIG, 2);
	if (!is_int(TLD_OK, tld_signpool_workers_start(cfg, nw, &ws), "killed (%u workers): start", nw) ||
	    !is_int(TLD_OK, tld_signpool_open_started(ws, cfg, pk, 2, nw, &pool), "killed (%u workers): pool", nw) ||
	    !is_int(nw, (long long)tld_signpool_workers_pids(ws, pids, 4), "killed (%u workers): pids", nw)) {
		tld_signpool_close(pool);
		tld_signpool_workers_stop(ws);
		return;
	}
	struct killer k = { .pid = pids[0], .delay_ms = 150 };
	pthread_t t;
	pthread_create(&t, NULL, kill_later, &k);
	int ret = tld_signpool_sign(pool, reqs, BIG, &res);
	pthread_join(t, NULL);
	if (is_int(TLD_OK, ret, "killed (%u workers): the call itself works", nw)) {
		size_t ehsm = 0, good = count_good(res, keys, &ehsm);
		is_int(BIG, (long long)(good + res->failed), "killed (%u workers): every signed item verifies", nw);
		is_int(res->failed, (long long)ehsm, "killed (%u workers): every failed item is TLD_EHSM, no signature", nw);
		if (nw == 1) {
			ok(res->failed > 0, "killed (1 worker): the rest of the batch failed (%zu items)", res->failed);
		} else {
			ok(res->failed <= 128, "killed (%u workers): at most its chunk failed (%zu items), the other signed "
			   "the rest", nw, res->failed);
		}
	}
	tld_sign_result_free(res);
	ok(strstr(tld_signpool_error(pool), "died of signal 9") != NULL, "killed (%u workers): the error says: %s", nw,
	   tld_signpool_error(pool));
	is_int(nw - 1, (long long)tld_signpool_workers_pids(ws, pids, 4), "killed (%u workers): it was reaped", nw);
	size_t failed = 0;
	is_int(N, sign_batch(pool, keys, N, &failed), "killed (%u workers): the next batch signs (%s)", nw,
	       nw == 1 ? "forked: none is left" : "by the worker left");
	is_int(nw == 1 ? 1 : 2, (long long)started_batches(pool), "killed (%u workers): batches by started workers", nw);
	tld_signpool_close(pool);
	tld_signpool_workers_stop(ws);
}

/*
 * The caller killed with SIGKILL, after its workers logged in or (early)
 * right after it started them: its workers end with it (this test is their
 * subreaper) -- by the death signal (SIGKILL; SIGTERM held back while one
 * logs in), at the end of file on its socket, or as it finds its parent
 * gone (exit 1) -- and the token is intact after (a log-in cut short
 * would leave SoftHSM's token.object empty).
 */
static void caller_killed(const struct tld_config *cfg, bool early)
{
	const char *how = early ? "caller killed while they log in" : "caller killed";
	int fds[2];
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 || pipe(fds) != 0) {
		ok(false, "%s: subreaper and pipe", how);
		return;
	}
	fflush(NULL);
	pid_t caller = fork();
	if (caller == 0) {
		tld_signpool_workers_t *ws = NULL;
		pid_t pids[4] = { 0 };
		if (tld_signpool_workers_start(cfg, 2, &ws) == TLD_OK && (early || tld_signpool_workers_ready(ws) == TLD_OK)) {
			tld_signpool_workers_pids(ws, pids, 4);
		}
		if (write(fds[1], pids, sizeof(pids)) != (ssize_t)sizeof(pids)) {
			_exit(1);
		}
		for (;;) {
			pause();
		}
	}
	close(fds[1]);
	pid_t pids[4] = { 0 };
	bool got = read(fds[0], pids, sizeof(pids)) == (ssize_t)sizeof(pids) && pids[0] > 0 && pids[1] > 0;
	close(fds[0]);
	kill(caller, SIGKILL);
	waitpid(caller, NULL, 0);
	if (!ok(got, "%s: the caller started 2 workers", how)) {
		return;
	}
	int reaped = 0, ended = 0;
	for (int tries = 0; tries < 500 && reaped < 2; tries++) { /* at most 5 s */
		int status = 0;
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p == pids[0] || p == pids[1]) {
			reaped++;
			ended += WIFSIGNALED(status) ? WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM
			                             : WIFEXITED(status);
		} else if (p <= 0) {
			struct timespec ts = { 0, 10000000L };
			nanosleep(&ts, NULL);
		}
	}
	is_int(2, reaped, "%s: both workers ended within 5 s", how);
	is_int(2, ended, "%s: each by the death signal, its socket's end or its parent's absence", how);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	tld_hsm_t *hsm = NULL;
	is_int(TLD_OK, tld_hsm_open(cfg, &hsm), "%s: the token opens after (token.object intact)", how);
	tld_hsm_close(hsm);
}

/* The fds a worker holds: 0 and 1 on /dev/null, 2, its socket; not the state directory's lock. */
static void no_lock_inherited(const struct tld_config *cfg, const char *dir)
{
	tld_lock_t *lock = NULL;
	tld_signpool_workers_t *ws = NULL;
	char lockfile[400];
	snprintf(lockfile, sizeof(lockfile), "%s/lock", dir);
	if (!is_int(TLD_OK, tld_lock_acquire(dir, &lock), "lock: the state directory's lock taken") ||
	    !is_int(TLD_OK, tld_signpool_workers_start(cfg, 2, &ws), "lock: workers start under it")) {
		tld_lock_release(lock);
		return;
	}
	pid_t pids[4];
	size_t n = tld_signpool_workers_pids(ws, pids, 4);
	is_int(TLD_OK, tld_signpool_workers_ready(ws), "lock: workers ready");
	for (size_t i = 0; i < n; i++) {
		char fddir[64], path[400], target[512];
		int fds = 0, lockfd = 0, devnull = 0;
		snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", (long)pids[i]);
		DIR *d = opendir(fddir);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.') {
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s", fddir, de->d_name);
			ssize_t l = readlink(path, target, sizeof(target) - 1);
			target[l > 0 ? l : 0] = '\0';
			fds++;
			lockfd += strcmp(target, lockfile) == 0;
			devnull += (strcmp(de->d_name, "0") == 0 || strcmp(de->d_name, "1") == 0) &&
			           strcmp(target, "/dev/null") == 0;
		}
		if (d != NULL) {
			closedir(d);
		}
		ok(d != NULL, "lock: worker %zu's fds listed", i);
		is_int(0, lockfd, "lock: worker %zu does not hold the lock file", i);
		is_int(4, fds, "lock: worker %zu has 4 fds (stdin, stdout, stderr, its socket)", i);
		is_int(2, devnull, "lock: worker %zu's stdin and stdout are /dev/null", i);
	}
	tld_signpool_workers_stop(ws);
	tld_lock_release(lock);
}

/* signpool_area_bind() on headers that do not hold. */
static void adversarial_area(void)
{
	struct signpool_area_hdr h;
	struct signpool_area a;
	signpool_area_layout(&h, 100, 2, 64, 1000);
	size_t size = (size_t)h.size;
	void *base = calloc(1, size + 64);
	memcpy(base, &h, sizeof(h));
	is_int(TLD_OK, signpool_area_bind(&a, base, size), "area: a good header binds");
	ok(a.req != NULL && a.msg != NULL && (uint8_t *)a.sig + 100 * 64 <= (uint8_t *)base + size,
	   "area: every part inside it");
	is_int(TLD_EINVAL, signpool_area_bind(&a, base, size - 1), "area: one byte short is refused");
	is_int(TLD_EINVAL, signpool_area_bind(&a, base, sizeof(h) - 1), "area: shorter than its header is refused");
	struct {
		const char *what;
		size_t field;
		uint64_t value;
	} bad[] = {
		{ "wrong magic", offsetof(struct signpool_area_hdr, magic), 1 },
		{ "no worker", offsetof(struct signpool_area_hdr, nw), 0 },
		{ "too many workers", offsetof(struct signpool_area_hdr, nw), 100000 },
		{ "signature slots of 0 bytes", offsetof(struct signpool_area_hdr, max_sig), 0 },
		{ "huge signature slots", offsetof(struct signpool_area_hdr, max_sig), 1u << 30 },
		{ "more items than bytes", offsetof(struct signpool_area_hdr, n), (uint64_t)1 << 40 },
		{ "more items than laid out", offsetof(struct signpool_area_hdr, n), 101 },
		{ "messages beyond it", offsetof(struct signpool_area_hdr, msg_len), (uint64_t)size * 2 },
		{ "an offset moved", offsetof(struct signpool_area_hdr, off_sig), 64 },
		{ "the request table moved onto the results", offsetof(struct signpool_area_hdr, off_req), 64 },
		{ "a larger chunk", offsetof(struct signpool_area_hdr, chunk), 4096 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct signpool_area_hdr evil = h;
		memcpy((char *)&evil + bad[i].field, &bad[i].value, sizeof(uint64_t));
		memcpy(base, &evil, sizeof(evil));
		is_int(TLD_EINVAL, signpool_area_bind(&a, base, size), "area: %s is refused", bad[i].what);
	}
	free(base);
}

int main(void)
{
	struct test_token t;
	struct key keys[2];
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	adversarial_area();
	test_token_make(&t, "unit-started");
	RAND_bytes(&msgs[0][0], sizeof(msgs));
	if (!ok(make_key(&t.cfg, "ksk", 1111, &keys[0]) && make_key(&t.cfg, "zsk", 2222, &keys[1]),
	        "two P-256 keys generated")) {
		return exit_status();
	}
	same_as_forked(&t.cfg, keys);
	missing_key(&t.cfg, keys);
	key_made_after(&t.cfg, keys);
	killed_mid_batch(&t.cfg, keys, 2);
	killed_mid_batch(&t.cfg, keys, 1);
	caller_killed(&t.cfg, false);
	for (int i = 0; i < 5; i++) {
		caller_killed(&t.cfg, true);
	}
	no_lock_inherited(&t.cfg, t.dir);
	test_token_remove(&t);
	return exit_status();
}
