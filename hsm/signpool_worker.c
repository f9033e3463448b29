/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What one signing worker does with a batch (hsm/signpool_internal.h), the
 * same in a worker forked for the batch and in one started early: find
 * every key (and copy it into the session, hsm/signpool.h), claim chunks of
 * items from the area's counter and write each signature at its item's
 * index, re-open a lost session once per batch, destroy the copies at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/signpool_internal.h"

int signpool_worker_room(struct worker *wk, size_t nkeys)
{
	size_t nk = nkeys ? nkeys : 1;
	if (nk <= wk->cap) {
		return TLD_OK;
	}
	signpool_worker_free(wk);
	wk->handles = calloc(nk, sizeof(*wk->handles));
	wk->token = calloc(nk, sizeof(*wk->token));
	wk->copied = calloc(nk, sizeof(*wk->copied));
	wk->found = calloc(nk, sizeof(*wk->found));
	if (wk->handles == NULL || wk->token == NULL || wk->copied == NULL || wk->found == NULL) {
		signpool_worker_free(wk);
		return TLD_ENOMEM;
	}
	wk->cap = nk;
	return TLD_OK;
}

void signpool_worker_free(struct worker *wk)
{
	free(wk->handles);
	free(wk->token);
	free(wk->copied);
	free(wk->found);
	wk->handles = wk->token = NULL;
	wk->copied = NULL;
	wk->found = NULL;
	wk->cap = 0;
}

/*
 * Finds key k in the token and, unless hsm.session-key-copies is false,
 * copies it into the session to sign with (see signpool.h); a token that
 * will not copy it (or gives a copy that is not private, sensitive and
 * non-extractable) leaves the token object in use, with a debug line.
 */
static int find_key(struct worker *wk, size_t k)
{
	const struct tld_signpool_key *key = &wk->k->keys[k];
	struct worker_stats *st = &wk->a->wstat[wk->w];
	wk->copied[k] = false;
	int ret = tld_hsm_find_id(wk->hsm, true, key->id, key->id_len, &wk->token[k]);
	if (ret != TLD_OK) {
		return ret;
	}
	wk->handles[k] = wk->token[k];
	if (!wk->k->copies) {
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
		          wk->k->whats[k], why);
	}
	return TLD_OK;
}

/* Re-opens the session (a log-in: one worker at a time, held from the parent's death signal when started early). */
static int reopen(struct worker *wk)
{
	signpool_lock(wk->open_lock);
	if (wk->login_guard != NULL) {
		wk->login_guard(true);
	}
	int ret = tld_hsm_reopen(wk->hsm);
	if (wk->login_guard != NULL) {
		wk->login_guard(false);
	}
	pthread_mutex_unlock(wk->open_lock);
	return ret;
}

int signpool_worker_begin(struct worker *wk)
{
	memset(wk->found, 0, wk->cap * sizeof(*wk->found));
	memset(wk->copied, 0, wk->cap * sizeof(*wk->copied));
	int ret = TLD_OK;
	if (wk->given_up) { /* the last batch lost its session twice: this one starts on a fresh one */
		ret = reopen(wk);
	}
	wk->reopened = false;
	wk->given_up = ret != TLD_OK;
	for (size_t k = 0; ret == TLD_OK && k < wk->k->nkeys; k++) {
		int r = find_key(wk, k);
		wk->found[k] = r == TLD_OK ? 1 : r;
	}
	return ret;
}

/*
 * Destroys the worker's session copies (they would vanish with the session
 * anyway) and counts what C_FindObjects still finds beyond the token
 * object of each key: 0 when nothing was left behind.
 */
static void drop_copies(struct worker *wk)
{
	struct worker_stats *st = &wk->a->wstat[wk->w];
	for (size_t k = 0; k < wk->k->nkeys; k++) {
		if (wk->found[k] != 1 || !wk->copied[k]) {
			continue;
		}
		wk->copied[k] = false;
		if (tld_hsm_destroy(wk->hsm, wk->handles[k]) != TLD_OK) {
			tld_debug("signing worker %u: %s: destroying the session copy failed (%s); it goes with the session",
			          wk->w, wk->k->whats[k], tld_hsm_error(wk->hsm));
			continue;
		}
		st->destroyed++;
		tld_hsm_obj_t obj;
		const struct tld_signpool_key *key = &wk->k->keys[k];
		st->left += tld_hsm_find_id(wk->hsm, true, key->id, key->id_len, &obj) != TLD_OK;
	}
}

/* Signs item i, re-opening the session once per worker and batch if it is lost. */
static int sign_item(struct worker *wk, uint32_t k, const uint8_t *msg, size_t len, size_t i)
{
	int ret = TLD_EINVAL;
	if (k >= wk->k->nkeys) {
		return TLD_EINVAL;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (wk->found[k] == 0) {
			int r = find_key(wk, k);
			wk->found[k] = r == TLD_OK ? 1 : r;
		}
		if (wk->found[k] != 1) {
			return wk->found[k];
		}
		size_t slen = 0;
		ret = tld_hsm_sign(wk->hsm, wk->handles[k], wk->k->keys[k].algorithm, wk->k->whats[k], msg, len,
		                   wk->a->sig + i * wk->a->hdr->max_sig, &slen);
		if (ret == TLD_OK) {
			wk->a->len[i] = (uint16_t)slen;
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
		memset(wk->found, 0, wk->cap * sizeof(*wk->found));
		memset(wk->copied, 0, wk->cap * sizeof(*wk->copied));
		ret = reopen(wk);
		if (ret != TLD_OK) {
			wk->given_up = true;
			return ret;
		}
	}
	return ret;
}

/* Item i of the batch: from reqs, or from the area's table (checked to lie inside its messages). */
static int sign_nth(struct worker *wk, const struct tld_sign_req *reqs, size_t i)
{
	if (reqs != NULL) {
		return sign_item(wk, reqs[i].key, reqs[i].msg, reqs[i].len, i);
	}
	const struct signpool_area_req *r = &wk->a->req[i];
	if (r->off > wk->a->hdr->msg_len || r->len > wk->a->hdr->msg_len - r->off) {
		return TLD_EINVAL;
	}
	return sign_item(wk, r->key, wk->a->msg + r->off, r->len, i);
}

size_t signpool_worker_claim(struct worker *wk, const struct tld_sign_req *reqs, size_t n)
{
	struct signpool_area *a = wk->a;
	size_t chunk = (size_t)a->hdr->chunk, done = 0;
	while (!wk->given_up) {
		size_t from = __atomic_fetch_add(a->next, chunk, __ATOMIC_RELAXED);
		if (from >= n) {
			break;
		}
		size_t to = from + chunk < n ? from + chunk : n;
		for (size_t i = from; i < to && !wk->given_up; i++) {
			a->err[i] = sign_nth(wk, reqs, i);
			done += a->err[i] == TLD_OK;
		}
	}
	return done;
}

void signpool_worker_end(struct worker *wk, size_t done)
{
	snprintf(wk->a->werr[wk->w], SIGNPOOL_ERR_TEXT, "%s", tld_hsm_error(wk->hsm));
	drop_copies(wk); /* after the error text: a failed destroy is no signing error */
	wk->a->wstat[wk->w].done = done;
}
