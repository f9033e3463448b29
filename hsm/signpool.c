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
 * index (so the result does not depend on which worker signed what;
 * hsm/signpool_worker.c).  Every item starts as "not signed" (TLD_EHSM), so
 * a worker that dies or gives up leaves only the items it had claimed and
 * not finished failed.  A pool opened with tld_signpool_open_started() signs
 * through workers started before instead (hsm/signpool_started.c), with the
 * same area, worker code and results.
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
#include "hsm/signpool_internal.h"

/* Below this many items per worker a fork costs more than it saves. */
#define MIN_ITEMS_PER_WORKER 256
/*
 * Work is claimed in chunks from a shared counter (not split in fixed
 * shares): on a shared or uneven machine a fixed share makes the batch as
 * slow as its slowest worker.  About 32 chunks per worker, 8 to 128 items.
 */
#define CHUNKS_PER_WORKER 32
#define MIN_CHUNK 8
#define MAX_CHUNK 128
#define AREA_MAGIC 0x746c64706f6f6c31ULL /* "tldpool1" */

void signpool_set_error(tld_signpool_t *pool, const char *text)
{
	if (pool->error[0] == '\0' && text != NULL && text[0] != '\0') {
		/* read no further than it keeps: a worker's text in the batch area may lack its NUL */
		snprintf(pool->error, sizeof(pool->error), "%.*s", (int)sizeof(pool->error) - 1, text);
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

double signpool_seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
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
	signpool_started_release(pool->started);
	free(pool->cfg.hsm.module);
	free(pool->cfg.hsm.token);
	free(pool->cfg.hsm.pin_file);
	free(pool->cfg.hsm.pin_env);
	free(pool->cfg.hsm.softhsm_conf);
	free(pool->k.keys);
	free(pool->k.whats);
	free(pool);
}

/* Signature size bound of a key (RSA: modulus bytes; read from the token). */
static size_t key_max_sig(const struct tld_alg_info *ai)
{
	return ai->sig_len != 0 ? ai->sig_len : TLD_SIG_MAX;
}

/* A pool with copies of the config's hsm: section and of the keys; nothing checked yet. */
static int pool_new(const struct tld_config *cfg, const struct tld_signpool_key *keys, size_t nkeys,
                    unsigned workers, tld_signpool_t **out)
{
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
	pool->k.copies = cfg->hsm.session_key_copies;
	pool->k.keys = calloc(nkeys ? nkeys : 1, sizeof(*keys));
	pool->k.whats = calloc(nkeys ? nkeys : 1, sizeof(*pool->k.whats));
	if (pool->k.keys == NULL || pool->k.whats == NULL ||
	    (cfg->hsm.module && !pool->cfg.hsm.module) || (cfg->hsm.token && !pool->cfg.hsm.token) ||
	    (cfg->hsm.pin_file && !pool->cfg.hsm.pin_file) ||
	    (cfg->hsm.pin_env && !pool->cfg.hsm.pin_env) ||
	    (cfg->hsm.softhsm_conf && !pool->cfg.hsm.softhsm_conf)) {
		tld_signpool_close(pool);
		return TLD_ENOMEM;
	}
	if (nkeys > 0) {
		memcpy(pool->k.keys, keys, nkeys * sizeof(*keys));
	}
	pool->k.nkeys = nkeys;
	for (size_t i = 0; i < nkeys; i++) {
		snprintf(pool->k.whats[i], sizeof(pool->k.whats[i]), "key %u (%s)", keys[i].key_tag,
		         keys[i].role ? keys[i].role : "?");
		pool->k.keys[i].role = NULL; /* not owned; whats[] keeps the text */
		const struct tld_alg_info *ai = tld_alg_info(keys[i].algorithm);
		size_t ms = ai != NULL ? key_max_sig(ai) : 0;
		if (ms > pool->k.max_sig) {
			pool->k.max_sig = ms;
		}
	}
	if (pool->k.max_sig == 0) {
		pool->k.max_sig = 64;
	}
	if (workers == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		workers = c > 0 ? (unsigned)c : 1;
	}
	pool->workers = workers > SIGNPOOL_MAX_WORKERS ? SIGNPOOL_MAX_WORKERS : workers;
	*out = pool;
	return TLD_OK;
}

/* The parent's check of module, token, PIN, mechanisms and every key (its context finalised after). */
static int pool_check(tld_signpool_t *pool, const struct tld_config *cfg)
{
	tld_hsm_t *hsm = NULL;
	int ret = tld_hsm_open(cfg, &hsm);
	if (ret != TLD_OK) {
		signpool_set_error(pool, tld_hsm_error(hsm));
		return ret;
	}
	for (size_t i = 0; i < pool->k.nkeys; i++) {
		const struct tld_signpool_key *key = &pool->k.keys[i];
		const struct tld_alg_info *ai = tld_alg_info(key->algorithm);
		tld_hsm_obj_t obj;
		if (ai == NULL) {
			tld_error("signing pool: %s has unsupported algorithm %u", pool->k.whats[i], key->algorithm);
			ret = TLD_EKEY;
			break;
		}
		if (!tld_hsm_supports(hsm, ai->number)) {
			tld_error("signing pool: token \"%s\" cannot sign with algorithm %u (%s)", cfg->hsm.token,
			          ai->number, ai->name);
			ret = TLD_EKEY;
			break;
		}
		ret = tld_hsm_find_id(hsm, true, key->id, key->id_len, &obj);
		if (ret != TLD_OK) {
			tld_error("signing pool: %s: %s", pool->k.whats[i], tld_hsm_error(hsm));
			signpool_set_error(pool, tld_hsm_error(hsm));
			break;
		}
	}
	tld_hsm_close(hsm); /* children C_Initialize on their own */
	return ret;
}

int tld_signpool_open(const struct tld_config *cfg, const struct tld_signpool_key *keys,
                      size_t nkeys, unsigned workers, tld_signpool_t **out)
{
	return tld_signpool_open_started(NULL, cfg, keys, nkeys, workers, out);
}

int tld_signpool_open_started(tld_signpool_workers_t *started, const struct tld_config *cfg,
                              const struct tld_signpool_key *keys, size_t nkeys, unsigned workers,
                              tld_signpool_t **out)
{
	tld_signpool_t *pool = NULL;
	int ret = pool_new(cfg, keys, nkeys, workers, &pool);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = started != NULL ? signpool_started_take(started, pool) : TLD_EAGAIN;
	if (ret != TLD_OK && ret != TLD_EPIN) {
		ret = pool_check(pool, cfg); /* without started workers: today's fork per batch */
	}
	if (ret != TLD_OK) {
		tld_signpool_close(pool);
		return ret;
	}
	*out = pool;
	return TLD_OK;
}

/* Locks the process-shared mutex, recovering it from a worker that died holding it. */
void signpool_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD) {
		pthread_mutex_consistent(m);
	}
}

int signpool_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	int mret = pthread_mutex_init(m, &ma);
	pthread_mutexattr_destroy(&ma);
	return mret == 0 ? TLD_OK : TLD_ENOMEM;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

void signpool_area_layout(struct signpool_area_hdr *h, size_t n, unsigned nw, size_t max_sig, size_t msg_len)
{
	memset(h, 0, sizeof(*h));
	h->magic = AREA_MAGIC;
	h->n = n;
	h->nw = nw;
	h->max_sig = max_sig;
	h->msg_len = msg_len;
	size_t chunk = n / ((size_t)nw * CHUNKS_PER_WORKER);
	h->chunk = chunk < MIN_CHUNK ? MIN_CHUNK : chunk > MAX_CHUNK ? MAX_CHUNK : chunk;
	h->off_err = align_up(sizeof(*h), 64);
	h->off_len = h->off_err + n * sizeof(int32_t);
	h->off_werr = align_up(h->off_len + n * sizeof(uint16_t), 8);
	h->off_wstat = align_up(h->off_werr + (uint64_t)nw * SIGNPOOL_ERR_TEXT, 8);
	h->off_lock = align_up(h->off_wstat + nw * sizeof(struct worker_stats), 64);
	h->off_next = align_up(h->off_lock + sizeof(pthread_mutex_t), 64);
	h->off_req = align_up(h->off_next + sizeof(size_t), 64);
	h->off_msg = h->off_req + (msg_len > 0 ? n * sizeof(struct signpool_area_req) : 0);
	h->off_sig = align_up(h->off_msg + msg_len, 64);
	h->size = h->off_sig + n * max_sig;
}

int signpool_area_bind(struct signpool_area *a, void *base, size_t size)
{
	struct signpool_area_hdr *h = base;
	struct signpool_area_hdr want;
	if (size < sizeof(*h) || h->magic != AREA_MAGIC || h->nw == 0 || h->nw > SIGNPOOL_MAX_WORKERS ||
	    h->max_sig == 0 || h->max_sig > TLD_SIG_MAX || h->n > size || h->msg_len > size) {
		return TLD_EINVAL;
	}
	signpool_area_layout(&want, (size_t)h->n, (unsigned)h->nw, (size_t)h->max_sig, (size_t)h->msg_len);
	if (memcmp(&want, h, sizeof(want)) != 0 || want.size > size) {
		return TLD_EINVAL; /* every offset as this build lays it out, the last part inside the mapping */
	}
	char *b = base;
	a->hdr = h;
	a->err = (int32_t *)(b + h->off_err);
	a->len = (uint16_t *)(b + h->off_len);
	a->werr = (char(*)[SIGNPOOL_ERR_TEXT])(b + h->off_werr);
	a->wstat = (struct worker_stats *)(b + h->off_wstat);
	a->lock = (pthread_mutex_t *)(b + h->off_lock);
	a->next = (size_t *)(b + h->off_next);
	a->req = h->msg_len > 0 ? (struct signpool_area_req *)(b + h->off_req) : NULL;
	a->msg = h->msg_len > 0 ? (uint8_t *)(b + h->off_msg) : NULL;
	a->sig = (uint8_t *)(b + h->off_sig);
	a->base = base;
	a->size = size;
	return TLD_OK;
}

unsigned signpool_batch_workers(size_t n, unsigned nw)
{
	return n / MIN_ITEMS_PER_WORKER + 1 < nw ? (unsigned)(n / MIN_ITEMS_PER_WORKER + 1) : nw;
}

void signpool_note_status(tld_signpool_t *pool, unsigned w, int status)
{
	if (WIFSIGNALED(status)) {
		char text[128];
		snprintf(text, sizeof(text), "signing worker %u died of signal %d", w, WTERMSIG(status));
		tld_error("%s", text);
		signpool_set_error(pool, text);
	}
}

/*
 * One worker forked for the batch: opens its own context (the workers one
 * at a time: SoftHSM rewrites token files during C_Initialize/C_Login; two
 * processes doing it at once read a half-written file), signs what it
 * claims, and exits.  Runs in the child; never returns.
 */
static void forked_worker(const tld_signpool_t *pool, unsigned w, const struct tld_sign_req *reqs, size_t n,
                          struct signpool_area *a)
{
	struct worker wk = { .k = &pool->k, .a = a, .open_lock = a->lock, .w = w };
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	signpool_lock(a->lock);
	int ret = signpool_worker_room(&wk, pool->k.nkeys);
	if (ret == TLD_OK) {
		ret = tld_hsm_open(&pool->cfg, &wk.hsm);
	}
	pthread_mutex_unlock(a->lock);
	if (ret == TLD_OK) {
		ret = signpool_worker_begin(&wk);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret != TLD_OK) {
		snprintf(a->werr[w], SIGNPOOL_ERR_TEXT, "%s", wk.hsm ? tld_hsm_error(wk.hsm) : tld_strerror(ret));
		_exit(1); /* it claimed nothing: the other workers sign everything */
	}
	size_t done = signpool_worker_claim(&wk, reqs, n);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	signpool_worker_end(&wk, done);
	const struct worker_stats *st = &a->wstat[w];
	tld_debug("signing worker %u: login %.3f s, %zu items %.3f s, %u session key copies (%u destroyed), "
	          "%u keys on the token object%s",
	          w, signpool_seconds(&t0, &t1), done, signpool_seconds(&t1, &t2), st->copies, st->destroyed,
	          st->fallbacks, wk.given_up ? ", then gave up" : "");
	tld_hsm_close(wk.hsm);
	_exit(0);
}

/* tld_signpool_sign() with workers forked for the batch. */
static int forked_sign(tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n,
                       struct tld_sign_result **out)
{
	struct signpool_area_hdr h;
	struct signpool_area a;
	pid_t pids[SIGNPOOL_MAX_WORKERS];
	unsigned nw = signpool_batch_workers(n, pool->workers);
	signpool_area_layout(&h, n, nw, pool->k.max_sig, 0);
	void *base = mmap(NULL, h.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		return TLD_ENOMEM;
	}
	memcpy(base, &h, sizeof(h));
	if (signpool_area_bind(&a, base, h.size) != TLD_OK || signpool_mutex_init(a.lock) != TLD_OK) {
		munmap(base, h.size);
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		a.err[i] = TLD_EHSM; /* not signed until a worker says so */
	}
	fflush(NULL);
	struct timespec b0, b1;
	clock_gettime(CLOCK_MONOTONIC, &b0);
	unsigned started = 0;
	for (unsigned w = 0; w < nw; w++) {
		pid_t pid = fork();
		if (pid < 0) {
			signpool_set_error(pool, "fork of a signing worker failed");
			break;
		}
		if (pid == 0) {
			forked_worker(pool, w, reqs, n, &a);
		}
		pids[started++] = pid;
	}
	for (unsigned w = 0; w < started; w++) {
		int status = 0;
		while (waitpid(pids[w], &status, 0) < 0) {
			;
		}
		signpool_set_error(pool, a.werr[w]);
		signpool_note_status(pool, w, status);
	}
	pthread_mutex_destroy(a.lock);
	clock_gettime(CLOCK_MONOTONIC, &b1);
	pool->stats.batches++;
	pool->stats.seconds += signpool_seconds(&b0, &b1);
	int ret = started == 0 ? TLD_EHSM : signpool_collect(pool, &a, n, started, out);
	munmap(base, h.size);
	return ret;
}

int tld_signpool_sign(tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n,
                      struct tld_sign_result **out)
{
	if (pool->started != NULL) {
		int ret = signpool_started_sign(pool, reqs, n, out);
		if (ret != TLD_EAGAIN) {
			return ret;
		}
		tld_debug("signing pool: no started worker is left; forking the workers for the batch");
	}
	return forked_sign(pool, reqs, n, out);
}

int signpool_collect(tld_signpool_t *pool, const struct signpool_area *a, size_t n, unsigned nw,
                     struct tld_sign_result **out)
{
	size_t max_sig = pool->k.max_sig; /* n and this the caller's, not the area header's: workers can write it */
	for (unsigned w = 0; w < nw; w++) {
		const struct worker_stats *ws = &a->wstat[w];
		pool->stats.signatures += ws->done;
		pool->stats.key_copies += ws->copies;
		pool->stats.key_copies_destroyed += ws->destroyed;
		pool->stats.token_key_uses += ws->fallbacks;
		pool->stats.copies_left += ws->left;
	}
	struct tld_sign_result *res = calloc(1, sizeof(*res));
	if (res == NULL) {
		return TLD_ENOMEM;
	}
	res->offset = calloc(n ? n : 1, sizeof(*res->offset));
	res->len = calloc(n ? n : 1, sizeof(*res->len));
	res->err = calloc(n ? n : 1, sizeof(*res->err));
	if (res->offset == NULL || res->len == NULL || res->err == NULL) {
		tld_sign_result_free(res);
		return TLD_ENOMEM;
	}
	/* each item's result read once from the area; a length beyond its slot is no signature */
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		res->err[i] = a->err[i];
		res->len[i] = a->len[i];
		if (res->err[i] == TLD_OK && res->len[i] > max_sig) {
			res->err[i] = TLD_EHSM;
		}
		if (res->err[i] != TLD_OK) {
			res->len[i] = 0;
		}
		total += res->len[i];
	}
	res->sig = malloc(total ? total : 1);
	if (res->sig == NULL) {
		tld_sign_result_free(res);
		return TLD_ENOMEM;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		res->offset[i] = o;
		if (res->err[i] == TLD_OK) {
			memcpy(res->sig + o, a->sig + i * max_sig, res->len[i]);
			o += res->len[i];
		} else {
			res->failed++;
		}
	}
	res->count = n;
	*out = res;
	return TLD_OK;
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
