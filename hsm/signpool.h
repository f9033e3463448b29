/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Batch signing through the HSM, for the signer.  (Contract between hsm/ and
 * signer/; the hsm/ issue implements it, the signer issue consumes it.)
 *
 * The signer builds every message to sign first (RRSIG RDATA without the
 * signature, followed by the canonical RRset, RFC 4034 section 3.1.8.1), then
 * hands the whole batch to tld_signpool_sign().  The pool spreads the batch
 * over its workers, each with its own PKCS#11 session (worker processes, each
 * with its own PKCS#11 context, because SoftHSM serialises threads inside one
 * process), and returns one DNSSEC-format signature per message (ECDSA as
 * r||s, RSA PKCS#1 v1.5, EdDSA raw) or a per-item error.
 *
 * The signer never sees PKCS#11: it only names keys by their index in the
 * array given to tld_signpool_open().
 *
 * Implementation (hsm/signpool.c): tld_signpool_open() checks module, token,
 * PIN, mechanisms and every key in the parent, then finalises its PKCS#11
 * context.  Each tld_signpool_sign() forks the workers (one per CPU by
 * default, never more than n/256 + 1), each with its own C_Initialize,
 * session and login; the workers claim chunks of items from a shared
 * atomic counter (so a slow or busy worker does not hold up the batch) and
 * write each signature at its item's index in a MAP_SHARED area; the parent
 * copies the results out after waitpid().  A session lost mid-batch
 * (closed, token removed) is re-opened and the item retried once per
 * worker and batch; a worker that loses it again gives up and claims no
 * more.  Items no worker finished (it died or gave up) fail with TLD_EHSM.
 * Rules for callers: no hsm/hsm.h context (tld_hsm_t) may be open in the
 * calling process while the pool is opened or signs (one PKCS#11 context
 * per process); build the whole batch first -- each call costs a fork and a
 * login per worker (a few ms), so batch sizes in the thousands amortise it.
 * Key roles in tld_signpool_key are only read during tld_signpool_open().
 *
 * Workers started early (tld_signpool_workers_start(), hsm/signpool_started.c;
 * `tldsign run`): the fork above copies the page tables of the caller as it
 * is at the batch -- in a run, a process of over a gigabyte by then -- costs
 * the parent and the children copy-on-write faults, and costs each batch a
 * C_Initialize and log-in per worker plus the parent's own check.  A caller
 * that will sign later can start the workers while it is small instead.
 * Each forked worker at once:
 *  - sets PR_SET_PDEATHSIG and re-checks getppid(), so that a killed caller
 *    (kill -9 included) leaves no worker behind.  The signal is SIGTERM,
 *    blocked, until the worker's log-in is done, then SIGKILL: SoftHSM
 *    empties and rewrites token.object at every C_Login
 *    (hsm/softhsm_store.h), and a worker killed in that instant loses the
 *    token; so a worker whose caller dies while it logs in ends right after
 *    the log-in (getppid() is checked again there, and before its turn);
 *    the same around the log-in of a re-open of a lost session.
 *    The signal follows the death of the forking *thread*: start them from
 *    one that lives until tld_signpool_workers_stop();
 *  - closes every inherited fd but stderr and its socket (above all the
 *    state directory's lock: a worker never holds it) and puts stdin and
 *    stdout on /dev/null;
 * then opens its own PKCS#11 context, session and log-in (one at a time;
 * none after one failed, so that a PIN is tried once) and waits on its
 * socketpair.  tld_signpool_workers_ready() collects their log-ins; the
 * caller must have no PKCS#11 context open when it starts them, and must
 * call it before it uses the token itself (no log-in beside its own).
 * tld_signpool_open_started() hands the pool's keys to them (each finds
 * every key by CKA_ID and checks its mechanism, in place of the parent's
 * check), and each tld_signpool_sign() passes the batch in a memfd
 * (SCM_RIGHTS) that they map: the requests and messages and the result area
 * of the fork path, with the same chunk claiming, per-item errors, session
 * copies per batch, re-open of a lost session once per worker and batch,
 * and items no worker finished failing with TLD_EHSM (a worker that dies
 * mid-batch is reaped and named).  What the results rely on is the same
 * worker code (hsm/signpool_worker.c) over the same area layout, which each
 * worker checks against the file it got (signpool_area_bind()).  Fallbacks,
 * so that nothing depends on them: when they could not start or log in, do
 * not find a key, or are all gone before a batch, the pool checks and signs
 * as without them (fork per batch, the same messages); only a PIN that was
 * missing or refused is not tried again: the open fails with TLD_EPIN and
 * their message.  One pool at a time uses them (another is forked).
 *
 * Session copies of the keys (hsm.session-key-copies, default true): after
 * its login each worker copies every key of the pool into its own session
 * (C_CopyObject with CKA_TOKEN false) and signs with the copy.  Why: SoftHSM
 * keeps token objects in its file object store and, on every C_SignInit on
 * a token object, re-checks (stat, lock, re-read when changed) the object's
 * file -- about a fifth of the signing CPU as kernel time; a session object
 * lives in the process's memory only, so the same key signs ~50% faster
 * (19.0k vs 12.5k ECDSA P-256 signatures/s on one core here).  Real HSMs
 * keep session objects inside the HSM too, so the copy is as safe there.
 * The key never leaves the token: the copy is made by the token from the
 * token object, is checked with C_GetAttributeValue to be CKA_PRIVATE,
 * CKA_SENSITIVE and not CKA_EXTRACTABLE (destroyed and not used
 * otherwise), is destroyed at the end of the batch, and vanishes with the
 * session in any case (a worker that dies, a session that is lost).  A token
 * that refuses the copy (CKA_COPYABLE false: CKR_ACTION_PROHIBITED;
 * CKR_FUNCTION_NOT_SUPPORTED; ...) is used through the token object, with a
 * debug line; that is no error.  A re-opened session copies again.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"

typedef struct tld_signpool tld_signpool_t;

/*! A key the pool signs with: identified in the token by CKA_ID. */
struct tld_signpool_key {
	uint8_t algorithm;         /*!< DNSSEC algorithm number */
	uint16_t key_tag;          /*!< for error messages */
	const char *role;          /*!< "ksk", "zsk", "csk": for error messages */
	uint8_t id[64];            /*!< CKA_ID */
	size_t id_len;
};

/*! One message to sign. */
struct tld_sign_req {
	uint32_t key;              /*!< index into the keys given to tld_signpool_open() */
	uint32_t len;              /*!< length of msg */
	const uint8_t *msg;        /*!< RRSIG RDATA (without signature) + canonical RRset */
};

/*! Results of one batch: signature i is sig + offset[i], length len[i]. */
struct tld_sign_result {
	uint8_t *sig;              /*!< all signatures, back to back */
	size_t *offset;
	uint16_t *len;
	int *err;                  /*!< TLD_OK or the item's error (len 0 then) */
	size_t count;
	size_t failed;             /*!< number of items with err != TLD_OK */
};

/*!
 * \brief Opens the pool: loads the module, logs in, finds every key.
 * \param[in]  cfg      the config (hsm: section)
 * \param[in]  keys     the keys to sign with (copied)
 * \param[in]  nkeys    their number
 * \param[in]  workers  parallel workers (0 = one per CPU)
 * \param[out] out      caller frees with tld_signpool_close(); written only on success
 * \return TLD_OK, TLD_EHSM, TLD_EPIN, TLD_EKEY, TLD_ENOMEM
 */
int tld_signpool_open(const struct tld_config *cfg, const struct tld_signpool_key *keys,
                      size_t nkeys, unsigned workers, tld_signpool_t **out);

/*! Signing workers started before the pool is opened (see above). */
typedef struct tld_signpool_workers tld_signpool_workers_t;

/*!
 * \brief Forks the workers now (they log in beside the caller).  The caller
 *        has no PKCS#11 context open, and is best without threads.
 * \param[in]  cfg      the config (hsm: section); read by the workers only
 * \param[in]  workers  how many (0 = one per CPU)
 * \param[out] out      caller frees with tld_signpool_workers_stop(); written only on success
 * \return TLD_OK, TLD_EHSM (socketpair or fork failed; none left running),
 *         TLD_EINVAL (a tld_hsm_t of this process is open: nothing forked), TLD_ENOMEM
 */
int tld_signpool_workers_start(const struct tld_config *cfg, unsigned workers, tld_signpool_workers_t **out);

/*!
 * \brief Waits until every worker logged in (or failed to); once is enough.
 *        Failed: they are ended, and a pool opened with them signs without.
 * \return TLD_OK, or why they cannot be used (TLD_EPIN: the PIN was missing or refused)
 */
int tld_signpool_workers_ready(tld_signpool_workers_t *ws);

/*! Ends the workers (end of file on their sockets) and reaps them; NULL is a no-op.
 *  No pool opened with them may be used after. */
void tld_signpool_workers_stop(tld_signpool_workers_t *ws);

/*! The workers' process ids still running, at most max (for tests).  \return their number */
size_t tld_signpool_workers_pids(const tld_signpool_workers_t *ws, pid_t *pids, size_t max);

/*!
 * \brief tld_signpool_open() that signs through started workers when they
 *        can (one pool at a time); started NULL is tld_signpool_open().
 * \return as tld_signpool_open()
 */
int tld_signpool_open_started(tld_signpool_workers_t *started, const struct tld_config *cfg,
                              const struct tld_signpool_key *keys, size_t nkeys, unsigned workers,
                              tld_signpool_t **out);

/*!
 * \brief Signs a batch.  Items that fail have err set; the call itself fails
 *        only when the pool cannot work at all (then nothing in *out).
 * \param[out] out  caller frees with tld_sign_result_free(); written only on success
 * \return TLD_OK (check out->failed), TLD_EHSM, TLD_ENOMEM
 */
int tld_signpool_sign(tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n,
                      struct tld_sign_result **out);

/*! Releases a result; NULL is a no-op. */
void tld_sign_result_free(struct tld_sign_result *res);

/*! Closes sessions, logs out, stops workers; NULL is a no-op. */
void tld_signpool_close(tld_signpool_t *pool);

/*! What the pool did so far, over every batch (for -v output and tests). */
struct tld_signpool_stats {
	size_t batches;                /*!< tld_signpool_sign() calls that reached workers */
	size_t started_batches;        /*!< of those, signed by workers started early */
	uint64_t signatures;           /*!< items signed */
	double seconds;                /*!< wall time of those calls (forks, logins, copies included; with
	                                    started workers: the batch's area, copies and signing) */
	uint64_t key_copies;           /*!< session copies made (per worker, key, batch and re-open) */
	uint64_t key_copies_destroyed; /*!< of those, destroyed at the end of their batch */
	uint64_t token_key_uses;       /*!< keys a worker signed with through the token object */
	uint64_t copies_left;          /*!< copies after whose destroy C_FindObjects did not find exactly
	                                    one object (the token key) with the CKA_ID (should be 0) */
};

/*! Copies the pool's statistics into out (all zero for NULL). */
void tld_signpool_get_stats(const tld_signpool_t *pool, struct tld_signpool_stats *out);

/*! First HSM error of the pool, with the action that failed ("C_Sign on key 12345 (ksk): CKR_..."). */
const char *tld_signpool_error(const tld_signpool_t *pool);
