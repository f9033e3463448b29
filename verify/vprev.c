/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The previous version's side of a delta verification (verify/verify.h,
 * tld_verify_prev_start()): the previous file mapped, its verification state
 * read, and the previous file's tag under the state's key, on a thread of
 * its own.  None of it needs the new file, so `tldsign run` starts it ahead,
 * while it signs; vdelta.c starts it itself when it was not.
 *
 * What it relies on when started ahead: the previous file is not written in
 * place between the start and the verification (its mapping would show the
 * new bytes to the walk after the tag was taken of the old ones).  The run
 * replaces it and its state only after the verification, and by rename
 * (run/stage_gate.c); publish and the signer never write a published file
 * in place.  Replaced by rename in between, a file read already stays what
 * was read; one not read yet is read new, and a state that does not
 * describe the previous file mapped fails its tag check (the full path).
 * Nothing here is trusted before vdelta.c has checked it: the state's
 * seal, apex, digest and the previous file's tag, of the very mapping the
 * walk reads, as when it reads them itself.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "verify/internal.h"

/* The state, then the previous file's tag under its key (a thread of its own). */
static void *prev_run(void *arg)
{
	struct tld_verify_prev *p = arg;
	p->state_ret = vfy_vstate_load(p->state_in, NULL, 0, &p->state);
	tld_debug("verify: state read, thread cpu %.3f s", tld_thread_cpu_seconds());
	p->tag_ret = p->state_ret == TLD_OK
	                     ? vfy_filemac_tag(&p->state.file_mac, p->text.text, p->text.len, p->tag)
	                     : TLD_ECRYPTO; /* never used: the state is not */
	tld_debug("verify: the previous file's tag done, thread cpu %.3f s", tld_thread_cpu_seconds());
	return NULL;
}

int vfy_prev_open(const char *previous, const char *state_in, struct tld_verify_prev **out)
{
	struct tld_verify_prev *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL || (p->previous = strdup(previous)) == NULL ||
	    (p->state_in = strdup(state_in)) == NULL) {
		vfy_prev_free(p);
		return TLD_ENOMEM;
	}
	p->map_ret = vfy_text_map(previous, &p->text);
	if (p->map_ret == TLD_OK) {
		p->started = pthread_create(&p->thread, NULL, prev_run, p) == 0;
		if (!p->started) {
			prev_run(p);
		}
	}
	*out = p;
	return TLD_OK;
}

bool vfy_prev_is(const struct tld_verify_prev *p, const char *previous, const char *state_in)
{
	return p != NULL && strcmp(p->previous, previous) == 0 && strcmp(p->state_in, state_in) == 0;
}

void vfy_prev_wait(struct tld_verify_prev *p)
{
	if (p->started) {
		pthread_join(p->thread, NULL);
		p->started = false;
	}
}

void vfy_prev_free(struct tld_verify_prev *p)
{
	if (p == NULL) {
		return;
	}
	vfy_prev_wait(p);
	vfy_text_unmap(&p->text);
	vfy_facts_clear(&p->state);
	free(p->previous);
	free(p->state_in);
	free(p);
}

tld_verify_prev_t *tld_verify_prev_start(const char *previous, const char *state_in)
{
	struct tld_verify_prev *p = NULL;
	if (previous == NULL || state_in == NULL || access(previous, R_OK) != 0 ||
	    access(state_in, R_OK) != 0 || vfy_prev_open(previous, state_in, &p) != TLD_OK) {
		return NULL; /* the verification reads them itself, and says why not */
	}
	return p;
}

void tld_verify_prev_free(tld_verify_prev_t *p)
{
	vfy_prev_free(p);
}
