/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internal: the signing pool's state and its batch area, shared by
 * hsm/signpool.c (open, close, the fork-per-batch path, the results),
 * hsm/signpool_worker.c (what one worker does with a batch, in either path)
 * and hsm/signpool_started.c (the workers started early).  Nothing outside
 * these three uses it.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hsm/hsm.h"
#include "hsm/signpool.h"

#define SIGNPOOL_ERR_TEXT 512
#define SIGNPOOL_WHAT 48
#define SIGNPOOL_MAX_WORKERS 256

/* The keys of a pool as a worker needs them. */
struct signpool_keys {
	struct tld_signpool_key *keys;   /* role NULL: whats[] has the text */
	char (*whats)[SIGNPOOL_WHAT];    /* "key 12345 (ksk)" per key */
	size_t nkeys;
	size_t max_sig;                  /* bytes of each item's signature slot in the batch area */
	bool copies;                     /* hsm.session-key-copies */
};

struct tld_signpool {
	struct tld_config cfg;           /* only hsm.* is set; strings owned */
	struct signpool_keys k;
	unsigned workers;
	tld_signpool_workers_t *started; /* not owned: the early-started workers it signs with, or NULL */
	struct tld_signpool_stats stats;
	char error[SIGNPOOL_ERR_TEXT];
};

/* What one worker reports of its batch, besides the signatures. */
struct worker_stats {
	uint32_t copies;             /* session copies made (re-opens included) */
	uint32_t destroyed;          /* of those, destroyed at the end */
	uint32_t fallbacks;          /* keys signed with the token object: copy refused or off */
	uint32_t left;               /* keys whose CKA_ID C_FindObjects does not find exactly once after the destroy */
	uint64_t done;               /* items signed */
};

/*
 * Where a batch's parts lie in its area, as offsets from its start: the
 * fork-per-batch workers inherit the area's mapping, the started workers
 * get it as a file (memfd) and find its parts from this header, which they
 * check against the file's size before they use it.
 */
struct signpool_area_hdr {
	uint64_t magic;
	uint64_t n, nw, max_sig, chunk, msg_len, size;
	uint64_t off_err, off_len, off_werr, off_wstat, off_lock, off_next, off_sig, off_req, off_msg;
};

/* A request in the area (started workers): its message at msg + off. */
struct signpool_area_req {
	uint32_t key;
	uint32_t len;
	uint64_t off;
};

/* One batch's shared area: results, per-worker texts and figures, the claim counter (and requests). */
struct signpool_area {
	struct signpool_area_hdr *hdr;
	int32_t *err;                    /* per item; TLD_EHSM until a worker signed it */
	uint16_t *len;
	uint8_t *sig;                    /* n * max_sig */
	char (*werr)[SIGNPOOL_ERR_TEXT]; /* first error text per worker */
	struct worker_stats *wstat;      /* per worker */
	pthread_mutex_t *lock;           /* process-shared: log-ins one at a time (fork-per-batch path) */
	size_t *next;                    /* next unclaimed item, taken atomically in chunks */
	struct signpool_area_req *req;   /* n (started workers), else NULL */
	uint8_t *msg;                    /* msg_len bytes of messages (started workers), else NULL */
	void *base;
	size_t size;
};

/*!
 * \brief Lays out a batch area of n items for nw workers (msg_len bytes of
 *        messages with their request table when msg_len > 0) into h.
 */
void signpool_area_layout(struct signpool_area_hdr *h, size_t n, unsigned nw, size_t max_sig, size_t msg_len);

/*!
 * \brief Points a's parts into the mapping base of size bytes, whose header
 *        it checks (every part inside the mapping).
 * \return TLD_OK or TLD_EINVAL
 */
int signpool_area_bind(struct signpool_area *a, void *base, size_t size);

/*! Workers for a batch of n items: at most nw, and no more than one per 256 items (+1). */
unsigned signpool_batch_workers(size_t n, unsigned nw);

/*! Initialises a process-shared robust mutex.  \return TLD_OK or TLD_ENOMEM */
int signpool_mutex_init(pthread_mutex_t *m);

/*! Locks a process-shared mutex, recovering it from a worker that died holding it. */
void signpool_lock(pthread_mutex_t *m);

/*! Records text as the pool's first error (later ones are dropped). */
void signpool_set_error(tld_signpool_t *pool, const char *text);

/*! Logs and records "signing worker W died of signal S" when status says so. */
void signpool_note_status(tld_signpool_t *pool, unsigned w, int status);

/*!
 * \brief Adds the batch's per-worker figures (nw workers) to the pool's and
 *        copies the n signatures out of the area (n and the slot size the
 *        caller's, not the area header's, which workers can write; an item
 *        whose length exceeds its slot fails with TLD_EHSM).
 * \param[out] out  written only on success
 * \return TLD_OK, TLD_ENOMEM
 */
int signpool_collect(tld_signpool_t *pool, const struct signpool_area *a, size_t n, unsigned nw,
                     struct tld_sign_result **out);

/*! Seconds from a to b. */
double signpool_seconds(const struct timespec *a, const struct timespec *b);

/* -- one worker (hsm/signpool_worker.c), in the worker process -- */

/* One worker's PKCS#11 context and key handles. */
struct worker {
	const struct signpool_keys *k;
	struct signpool_area *a;     /* this batch's */
	pthread_mutex_t *open_lock;  /* process-shared: workers (re-)open one at a time */
	void (*login_guard)(bool on); /* started early: around a re-open's log-in (signpool_started.c), else NULL */
	unsigned w;                  /* its slot in the batch area (werr, wstat) */
	tld_hsm_t *hsm;
	tld_hsm_obj_t *handles;      /* per key: what C_SignInit gets (the session copy, or the token object) */
	tld_hsm_obj_t *token;        /* per key: the token object */
	bool *copied;                /* per key: handles[k] is a session copy of this session */
	int *found;                  /* per key: 0 not looked up, 1 found, else the error */
	size_t cap;                  /* keys the arrays have room for */
	bool reopened;               /* its one re-open of this batch is used */
	bool given_up;               /* session lost again, or the re-open failed */
};

/*! Makes room for nkeys keys in wk's arrays (kept when big enough).  \return TLD_OK, TLD_ENOMEM */
int signpool_worker_room(struct worker *wk, size_t nkeys);

/*! Frees wk's arrays (not its context). */
void signpool_worker_free(struct worker *wk);

/*!
 * \brief Starts a batch: forgets the last batch's handles, re-opens a session
 *        the last batch gave up (once), finds every key (and makes its session copy).
 * \return TLD_OK or the re-open's error (the worker then claims nothing)
 */
int signpool_worker_begin(struct worker *wk);

/*!
 * \brief Claims chunks of the batch's items until none is left or it gives
 *        up; reqs NULL: the requests in the area (each checked against it).
 * \return the items it signed
 */
size_t signpool_worker_claim(struct worker *wk, const struct tld_sign_req *reqs, size_t n);

/*! Ends a batch: its error text and figures into the area, session copies destroyed. */
void signpool_worker_end(struct worker *wk, size_t done);

/* -- the early-started workers (hsm/signpool_started.c), in the parent -- */

/*!
 * \brief Hands the pool's keys to the started workers, which find each of
 *        them in the token.
 * \return TLD_OK (pool->started set); TLD_EPIN (their log-in was refused:
 *         logged; not to be tried again in this process); another code: sign
 *         without them (fork per batch)
 */
int signpool_started_take(tld_signpool_workers_t *ws, tld_signpool_t *pool);

/*! tld_signpool_sign() through the started workers.  \return as tld_signpool_sign(); TLD_EAGAIN: none is left */
int signpool_started_sign(tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n,
                          struct tld_sign_result **out);

/*! The pool is closed: the started workers are free for another. */
void signpool_started_release(tld_signpool_workers_t *ws);
