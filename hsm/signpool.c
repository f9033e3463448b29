/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Batch signing over worker processes; see hsm/signpool.h.
 *
 * tld_signpool_open() checks everything in the parent (module, token, PIN,
 * every key by CKA_ID, the token's mechanisms), then finalises its PKCS#11
 * context so that forked children start clean.  tld_signpool_sign() maps one
 * MAP_SHARED result area, forks the workers (the batch is visible to them
 * copy-on-write), each opens its own PKCS#11 context and session
 * (C_Initialize after fork) and claims chunks of items from a shared
 * atomic counter until none is left, writing each signature at its item's
 * index (so the result does not depend on which worker signed what).
 * Every item starts as "not signed" (TLD_EHSM), so a worker that dies or
 * gives up leaves only the items it had claimed and not finished failed.
 */
#include "hsm/signpool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/algorithm.h"
#include "hsm/hsm.h"

/* Below this many items per worker a fork costs more than it saves. */
#define MIN_ITEMS_PER_WORKER 256
#define ERR_TEXT 512
/*
 * Work is claimed in chunks from a shared counter (not split in fixed
 * shares): on a shared or uneven machine a fixed share makes the batch as
 * slow as its slowest worker.  About 32 chunks per worker, 8 to 128 items.
 */
#define CHUNKS_PER_WORKER 32
#define MIN_CHUNK 8
#define MAX_CHUNK 128

struct tld_signpool {
	struct tld_config cfg;       /* only hsm.* and zone are set; strings owned */
	struct tld_signpool_key *keys;
	char (*whats)[48];           /* "key 12345 (ksk)" per key */
	size_t nkeys;
	unsigned workers;
	size_t max_sig;
	struct tld_signpool_stats stats;
	char error[ERR_TEXT];
};

/* What one worker reports of its batch, besides the signatures. */
struct worker_stats {
	uint32_t copies;             /* session copies made (re-opens included) */
	uint32_t destroyed;          /* of those, destroyed at the end */
	uint32_t fallbacks;          /* keys signed with the token object: copy refused or off */
	uint32_t left;               /* keys whose CKA_ID C_FindObjects does not find exactly once after the destroy */
	uint64_t done;               /* items signed */
};

/* The shared result area of one batch. */
struct shared {
	int32_t *err;
	uint16_t *len;
	uint8_t *sig;                /* n * max_sig */
	char (*werr)[ERR_TEXT];      /* first error text per worker */
	struct worker_stats *wstat;  /* per worker */
	pthread_mutex_t *open_lock;  /* process-shared: workers log in one at a time */
	size_t *next;                /* next unclaimed item, taken atomically in chunks */
	size_t chunk;
	void *base;
	size_t size;
};

static void set_error(tld_signpool_t *pool, const char *text)
{
	if (pool->error[0] == '\0' && text != NULL && text[0] != '\0') {
		snprintf(pool->error, sizeof(pool->error), "%s", text);
	}
}

const char *tld_signpool_error(const tld_signpool_t *pool)
{
	return pool == NULL ? "" : pool->error;
}

void tld_signpool_get_stats(const tld_signpool_t *pool, struct tld_signpool_stats *out)
{
	static const struct tld_signpool_stats none;
	*out = pool == NULL ? none : pool->stats;
}

static char *dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

void tld_signpool_close(tld_signpool_t *pool)
{
	if (pool == NULL) {
		return;
	}
	free(pool->cfg.hsm.module);
	free(pool->cfg.hsm.token);
	free(pool->cfg.hsm.pin_file);
	free(pool->cfg.hsm.pin_env);
	free(pool->cfg.hsm.softhsm_conf);
	free(pool->keys);
	free(pool->whats);
	free(pool);
}

/* Signature size bound of a key (RSA: modulus bytes; read from the token). */
static size_t key_max_sig(const struct tld_alg_info *ai)
{
	return ai->sig_len != 0 ? ai->sig_len : TLD_SIG_MAX;
}

int tld_signpool_open(const struct tld_config *cfg, const struct tld_signpool_key *keys,
                      size_t nkeys, unsigned workers, tld_signpool_t **out)
{
	tld_hsm_t *hsm = NULL;
	int ret = TLD_ENOMEM;
	tld_signpool_t *pool = calloc(1, sizeof(*pool));
	if (pool == NULL) {
		return TLD_ENOMEM;
	}
	pool->cfg.hsm.module = dup_or_null(cfg->hsm.module);
	pool->cfg.hsm.token = dup_or_null(cfg->hsm.token);
	pool->cfg.hsm.pin_file = dup_or_null(cfg->hsm.pin_file);
	pool->cfg.hsm.pin_env = dup_or_null(cfg->hsm.pin_env);
	pool->cfg.hsm.softhsm_conf = dup_or_null(cfg->hsm.softhsm_conf);
	pool->cfg.hsm.session_key_copies = cfg->hsm.session_key_copies;
	pool->keys = calloc(nkeys ? nkeys : 1, sizeof(*keys));
	pool->whats = calloc(nkeys ? nkeys : 1, sizeof(*pool->whats));
	if (pool->keys == NULL || pool->whats == NULL ||
	    (cfg->hsm.module && !pool->cfg.hsm.module) || (cfg->hsm.token && !pool->cfg.hsm.token) ||
	    (cfg->hsm.pin_file && !pool->cfg.hsm.pin_file) ||
	    (cfg->hsm.pin_env && !pool->cfg.hsm.pin_env) ||
	    (cfg->hsm.softhsm_conf && !pool->cfg.hsm.softhsm_conf)) {
		goto fail;
	}
	if (nkeys > 0) {
		memcpy(pool->keys, keys, nkeys * sizeof(*keys));
	}
	pool->nkeys = nkeys;
	if (workers == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		workers = c > 0 ? (unsigned)c : 1;
	}
	pool->workers = workers > 256 ? 256 : workers;
	ret = tld_hsm_open(cfg, &hsm);
	if (ret != TLD_OK) {
		set_error(pool, tld_hsm_error(hsm));
		goto fail;
	}
	for (size_t i = 0; i < nkeys; i++) {
		const struct tld_alg_info *ai = tld_alg_info(keys[i].algorithm);
		tld_hsm_obj_t obj;
		snprintf(pool->whats[i], sizeof(pool->whats[i]), "key %u (%s)", keys[i].key_tag,
		         keys[i].role ? keys[i].role : "?");
		pool->keys[i].role = NULL; /* not owned; whats[] keeps the text */
		if (ai == NULL) {
			tld_error("signing pool: %s has unsupported algorithm %u", pool->whats[i],
			          keys[i].algorithm);
			ret = TLD_EKEY;
			goto fail;
		}
		if (!tld_hsm_supports(hsm, ai->number)) {
			tld_error("signing pool: token \"%s\" cannot sign with algorithm %u (%s)",
			          cfg->hsm.token, ai->number, ai->name);
			ret = TLD_EKEY;
			goto fail;
		}
		ret = tld_hsm_find_id(hsm, true, keys[i].id, keys[i].id_len, &obj);
		if (ret != TLD_OK) {
			tld_error("signing pool: %s: %s", pool->whats[i], tld_hsm_error(hsm));
			set_error(pool, tld_hsm_error(hsm));
			goto fail;
		}
		size_t ms = key_max_sig(ai);
		if (ms > pool->max_sig) {
			pool->max_sig = ms;
		}
	}
	if (pool->max_sig == 0) {
		pool->max_sig = 64;
	}
	tld_hsm_close(hsm); /* children C_Initialize on their own */
	*out = pool;
	return TLD_OK;
fail:
	tld_hsm_close(hsm);
	tld_signpool_close(pool);
	return ret;
}

/* Locks the process-shared mutex, recovering it from a worker that died holding it. */
static void lock_shared(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD) {
		pthread_mutex_consistent(m);
	}
}

/* One worker's PKCS#11 context and key handles (in the child). */
struct worker {
	tld_signpool_t *pool;
	struct shared *sh;
	unsigned w;
	tld_hsm_t *hsm;
	tld_hsm_obj_t *handles;      /* per key: what C_SignInit gets (the session copy, or the token object) */
	tld_hsm_obj_t *token;        /* per key: the token object */
	bool *copied;                /* per key: handles[k] is a session copy of this session */
	int *found;                  /* per key: 0 not looked up, 1 found, else the error */
	bool reopened;               /* its one re-open is used */
	bool given_up;               /* session lost again, or the re-open failed */
};

/*
 * Finds key k in the token and, unless hsm.session-key-copies is false,
 * copies it into the session to sign with (see signpool.h); a token that
 * will not copy it (or gives a copy that is not private, sensitive and
 * non-extractable) leaves the token object in use, with a debug line.
 */
static int worker_find_key(struct worker *wk, size_t k)
{
	tld_signpool_t *pool = wk->pool;
	const struct tld_signpool_key *key = &pool->keys[k];
	struct worker_stats *st = &wk->sh->wstat[wk->w];
	wk->copied[k] = false;
	int ret = tld_hsm_find_id(wk->hsm, true, key->id, key->id_len, &wk->token[k]);
	if (ret != TLD_OK) {
		return ret;
	}
	wk->handles[k] = wk->token[k];
	if (!pool->cfg.hsm.session_key_copies) {
		st->fallbacks++;
		return TLD_OK;
	}
	char why[256];
	tld_hsm_obj_t copy;
	int r = tld_hsm_session_copy(wk->hsm, wk->token[k], &copy, why, sizeof(why));
	if (r == TLD_OK) {
		wk->handles[k] = copy;
		wk->copied[k] = true;
		st->copies++;
	} else {
		st->fallbacks++;
		tld_debug("signing worker %u: %s: no session copy (%s); signing with the token object", wk->w,
		          pool->whats[k], why);
	}
	return TLD_OK;
}

/*
 * Destroys the worker's session copies (they would vanish with the session
 * anyway) and counts what C_FindObjects still finds beyond the token
 * object of each key: 0 when nothing was left behind.
 */
static void worker_drop_copies(struct worker *wk)
{
	tld_signpool_t *pool = wk->pool;
	struct worker_stats *st = &wk->sh->wstat[wk->w];
	for (size_t k = 0; k < pool->nkeys; k++) {
		if (wk->found[k] != 1 || !wk->copied[k]) {
			continue;
		}
		wk->copied[k] = false;
		if (tld_hsm_destroy(wk->hsm, wk->handles[k]) != TLD_OK) {
			tld_debug("signing worker %u: %s: destroying the session copy failed (%s); it goes with the session",
			          wk->w, pool->whats[k], tld_hsm_error(wk->hsm));
			continue;
		}
		st->destroyed++;
		tld_hsm_obj_t obj;
		const struct tld_signpool_key *key = &pool->keys[k];
		st->left += tld_hsm_find_id(wk->hsm, true, key->id, key->id_len, &obj) != TLD_OK;
	}
}

/* Signs item i, re-opening the session once per worker if it is lost. */
static int sign_item(struct worker *wk, const struct tld_sign_req *req, size_t i)
{
	tld_signpool_t *pool = wk->pool;
	uint32_t k = req->key;
	int ret = TLD_EINVAL;
	if (k >= pool->nkeys) {
		return TLD_EINVAL;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (wk->found[k] == 0) {
			int r = worker_find_key(wk, k);
			wk->found[k] = r == TLD_OK ? 1 : r;
		}
		if (wk->found[k] != 1) {
			return wk->found[k];
		}
		size_t slen = 0;
		ret = tld_hsm_sign(wk->hsm, wk->handles[k], pool->keys[k].algorithm, pool->whats[k], req->msg,
		                   req->len, wk->sh->sig + i * pool->max_sig, &slen);
		if (ret == TLD_OK) {
			wk->sh->len[i] = (uint16_t)slen;
			return TLD_OK;
		}
		if (ret != TLD_EAGAIN) {
			return ret;
		}
		if (wk->reopened) {
			wk->given_up = true;
			return tld_hsm_lost_error(wk->hsm); /* "C_Sign on key N (zsk): CKR_..." */
		}
		/* Session closed or token removed: re-open and retry once (the session copies went with it). */
		wk->reopened = true;
		memset(wk->found, 0, pool->nkeys * sizeof(*wk->found));
		memset(wk->copied, 0, pool->nkeys * sizeof(*wk->copied));
		lock_shared(wk->sh->open_lock);
		ret = tld_hsm_reopen(wk->hsm);
		pthread_mutex_unlock(wk->sh->open_lock);
		if (ret != TLD_OK) {
			wk->given_up = true;
			return ret;
		}
	}
	return ret;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/*
 * One worker: claims chunks of items from the shared counter until none is
 * left, or until it gives up (session lost again after its one re-open; the
 * rest is left to the other workers).  Runs in the child; never returns.
 */
static void worker_run(tld_signpool_t *pool, unsigned w, const struct tld_sign_req *reqs, size_t n,
                       struct shared *sh)
{
	struct worker wk = { .pool = pool, .sh = sh, .w = w };
	size_t nk = pool->nkeys ? pool->nkeys : 1;
	wk.handles = calloc(nk, sizeof(*wk.handles));
	wk.token = calloc(nk, sizeof(*wk.token));
	wk.copied = calloc(nk, sizeof(*wk.copied));
	wk.found = calloc(nk, sizeof(*wk.found));
	/*
	 * SoftHSM rewrites token files during C_Initialize/C_Login; two processes
	 * doing it at once read a half-written file (CKR_GENERAL_ERROR, or the
	 * token seems absent).  So the workers open and log in one at a time.
	 */
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lock_shared(sh->open_lock);
	int ret = wk.handles && wk.token && wk.copied && wk.found ? tld_hsm_open(&pool->cfg, &wk.hsm) : TLD_ENOMEM;
	for (size_t k = 0; ret == TLD_OK && k < pool->nkeys; k++) {
		int r = worker_find_key(&wk, k);
		wk.found[k] = r == TLD_OK ? 1 : r;
	}
	pthread_mutex_unlock(sh->open_lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret != TLD_OK) {
		snprintf(sh->werr[w], ERR_TEXT, "%s", wk.hsm ? tld_hsm_error(wk.hsm) : tld_strerror(ret));
		_exit(1); /* it claimed nothing: the other workers sign everything */
	}
	size_t done = 0;
	while (!wk.given_up) {
		size_t from = __atomic_fetch_add(sh->next, sh->chunk, __ATOMIC_RELAXED);
		if (from >= n) {
			break;
		}
		size_t to = from + sh->chunk < n ? from + sh->chunk : n;
		for (size_t i = from; i < to && !wk.given_up; i++) {
			sh->err[i] = sign_item(&wk, &reqs[i], i);
			done += sh->err[i] == TLD_OK;
		}
	}
	snprintf(sh->werr[w], ERR_TEXT, "%s", tld_hsm_error(wk.hsm));
	clock_gettime(CLOCK_MONOTONIC, &t2);
	worker_drop_copies(&wk); /* after the error text: a failed destroy is no signing error */
	struct worker_stats *st = &sh->wstat[w];
	st->done = done;
	tld_debug("signing worker %u: login %.3f s, %zu items %.3f s, %u session key copies (%u destroyed), "
	          "%u keys on the token object%s",
	          w, seconds_between(&t0, &t1), done, seconds_between(&t1, &t2), st->copies, st->destroyed,
	          st->fallbacks, wk.given_up ? ", then gave up" : "");
	tld_hsm_close(wk.hsm);
	_exit(0);
}

int tld_signpool_sign(tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n,
                      struct tld_sign_result **out)
{
	struct shared sh = { 0 };
	struct tld_sign_result *res = NULL;
	pid_t pids[256];
	unsigned nw = pool->workers;
	int ret = TLD_ENOMEM;

	if (n / MIN_ITEMS_PER_WORKER + 1 < nw) {
		nw = (unsigned)(n / MIN_ITEMS_PER_WORKER + 1);
	}
	size_t off_err = 0, off_len = off_err + n * sizeof(int32_t);
	size_t off_werr = (off_len + n * sizeof(uint16_t) + 7) & ~(size_t)7;
	size_t off_wstat = (off_werr + nw * ERR_TEXT + 7) & ~(size_t)7;
	size_t off_lock = (off_wstat + nw * sizeof(struct worker_stats) + 63) & ~(size_t)63;
	size_t off_next = (off_lock + sizeof(pthread_mutex_t) + 63) & ~(size_t)63;
	size_t off_sig = (off_next + sizeof(size_t) + 63) & ~(size_t)63;
	sh.size = off_sig + n * pool->max_sig;
	sh.base = mmap(NULL, sh.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh.base == MAP_FAILED) {
		return TLD_ENOMEM;
	}
	sh.err = (int32_t *)((char *)sh.base + off_err);
	sh.len = (uint16_t *)((char *)sh.base + off_len);
	sh.werr = (char(*)[ERR_TEXT])((char *)sh.base + off_werr);
	sh.wstat = (struct worker_stats *)((char *)sh.base + off_wstat);
	sh.sig = (uint8_t *)sh.base + off_sig;
	sh.open_lock = (pthread_mutex_t *)((char *)sh.base + off_lock);
	sh.next = (size_t *)((char *)sh.base + off_next); /* 0: zero-filled mapping */
	sh.chunk = n / ((size_t)nw * CHUNKS_PER_WORKER);
	sh.chunk = sh.chunk < MIN_CHUNK ? MIN_CHUNK : sh.chunk > MAX_CHUNK ? MAX_CHUNK : sh.chunk;
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	int mret = pthread_mutex_init(sh.open_lock, &ma);
	pthread_mutexattr_destroy(&ma);
	if (mret != 0) {
		munmap(sh.base, sh.size);
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		sh.err[i] = TLD_EHSM; /* not signed until a worker says so */
	}
	fflush(NULL);
	struct timespec b0, b1;
	clock_gettime(CLOCK_MONOTONIC, &b0);
	unsigned started = 0;
	for (unsigned w = 0; w < nw; w++) {
		pid_t pid = fork();
		if (pid < 0) {
			set_error(pool, "fork of a signing worker failed");
			break;
		}
		if (pid == 0) {
			worker_run(pool, w, reqs, n, &sh);
		}
		pids[started++] = pid;
	}
	for (unsigned w = 0; w < started; w++) {
		int status = 0;
		while (waitpid(pids[w], &status, 0) < 0) {
			;
		}
		set_error(pool, sh.werr[w]);
		if (WIFSIGNALED(status)) {
			char text[128];
			snprintf(text, sizeof(text), "signing worker %u died of signal %d", w,
			         WTERMSIG(status));
			tld_error("%s", text);
			set_error(pool, text);
		}
	}
	pthread_mutex_destroy(sh.open_lock);
	for (unsigned w = 0; w < started; w++) {
		const struct worker_stats *ws = &sh.wstat[w];
		pool->stats.signatures += ws->done;
		pool->stats.key_copies += ws->copies;
		pool->stats.key_copies_destroyed += ws->destroyed;
		pool->stats.token_key_uses += ws->fallbacks;
		pool->stats.copies_left += ws->left;
	}
	clock_gettime(CLOCK_MONOTONIC, &b1);
	pool->stats.batches++;
	pool->stats.seconds += seconds_between(&b0, &b1);
	if (started == 0) {
		ret = TLD_EHSM;
		goto fail;
	}
	res = calloc(1, sizeof(*res));
	if (res == NULL) {
		goto fail;
	}
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += sh.err[i] == TLD_OK ? sh.len[i] : 0;
	}
	res->sig = malloc(total ? total : 1);
	res->offset = calloc(n ? n : 1, sizeof(*res->offset));
	res->len = calloc(n ? n : 1, sizeof(*res->len));
	res->err = calloc(n ? n : 1, sizeof(*res->err));
	if (res->sig == NULL || res->offset == NULL || res->len == NULL || res->err == NULL) {
		goto fail;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		res->offset[i] = o;
		res->err[i] = sh.err[i];
		if (sh.err[i] == TLD_OK) {
			res->len[i] = sh.len[i];
			memcpy(res->sig + o, sh.sig + i * pool->max_sig, sh.len[i]);
			o += sh.len[i];
		} else {
			res->failed++;
		}
	}
	res->count = n;
	munmap(sh.base, sh.size);
	*out = res;
	return TLD_OK;
fail:
	munmap(sh.base, sh.size);
	tld_sign_result_free(res);
	return ret;
}

void tld_sign_result_free(struct tld_sign_result *res)
{
	if (res == NULL) {
		return;
	}
	free(res->sig);
	free(res->offset);
	free(res->len);
	free(res->err);
	free(res);
}
