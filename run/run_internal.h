/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internals of `tldsign run` shared by its files: the state of one run
 * (struct run, owned by tld_run_pipeline() and released by its run_free())
 * and the stages each file implements.  Nothing outside run/ uses it.
 *   run/pipeline.c    load, export, guards, keys, the order of the stages, report
 *   run/stage_sign.c  sign (and STATE_DIR/unsigned.zone beside it)
 *   run/stage_gate.c  verify (the publish gate), publish, NOTIFY
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "common/atomic_file.h"
#include "common/config.h"
#include "common/error.h"
#include "common/file_ident.h"
#include "common/lock.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "hsm/signpool.h"
#include "policy/audit.h"
#include "policy/keyplan.h"
#include "policy/keystore.h"
#include "policy/policy.h"
#include "publish/notify.h"
#include "publish/publish.h"
#include "common/side_job.h"
#include "run/guards.h"
#include "run/history.h"
#include "run/pipeline.h"
#include "run/replaced_files.h"
#include "run/report.h"
#include "run/unsigned.h"
#include "signer/sign.h"
#include "signer/zone.h"
#include "verify/verify.h"
#include "zonegen/zonegen.h"

#define MAX_MESSAGES (TLD_GUARD_COUNT + 4)
#define KEY_CLASSES 4

struct run;

/* The publish preparation, run beside the verification (stages 8-9). */
struct prep_job {
	struct run *r;
	pthread_t thread;
	bool started;                       /* the thread runs or ran: join before anything else */
	tld_publish_prep_t *prep;           /* on success; committed or aborted by the main thread */
	int err;
	double seconds;                     /* how long the preparation took */
	double done_at;                     /* mono_seconds() when it ended */
};

/* STATE_DIR/zonegen-report.json, written beside the stages after the export
 * (it reads the builder, which nothing changes once built). */
struct report_job {
	pthread_t thread;
	bool started;                       /* the thread runs or ran: join before zg is freed */
	bool joined;
	const struct tld_zonegen *zg;
	char path[4096];
	int err;
	double seconds;                     /* how long the write took */
};

/* Everything one run holds; released by run_free(). */
struct run {
	const struct tld_run_opts *opts;
	struct tld_config *cfg;
	struct tld_policy *pol;
	tld_lock_t *lock;
	tld_statedb_t *db;
	struct tld_zonegen *zg;
	tld_signpool_workers_t *hsm_workers; /* the signing workers started at the run's start, or NULL */
	struct report_job zg_report;        /* STATE_DIR/zonegen-report.json */
	struct tld_run_unsigned_job *unsigned_job; /* STATE_DIR/unsigned.zone and its digest */
	bool unsigned_due;                  /* the export stage got as far as the file */
	bool unsigned_started;              /* start_unsigned_file() was called */
	int unsigned_err;                   /* its result, once joined */
	char *unsigned_text;                /* the unsigned text a patch run made: the written file mapped
	                                       (tld_run_unsigned_write_mapped()), which the file job hashes,
	                                       or made in memory (tld_run_unsigned_text()), which it writes;
	                                       freed after the job (run_free()) */
	size_t unsigned_text_len;
	struct tld_side_job unsigned_release; /* unmaps the unsigned text once it is read no more
	                                       (run_stage_publish()), beside the commit; joined by run_free() */

	struct tld_zone_stats cur;          /* this run's figures */
	struct tld_zone_stats prev;         /* the last published version's */
	bool have_prev;
	struct tld_version_info current;    /* published version before this run */
	bool have_current;

	struct signer_sign_stats sig;
	tld_verify_prev_t *verify_prev;     /* the verifier's reading ahead of the last published
	                                       version (run_start_verify_ahead()), or NULL */
	struct prep_job prep;
	struct replaced_job replaced;       /* the files the last publish replaced, removed beside the run */
	struct tld_publish_result pub;
	struct tld_secondary_status *sec;
	size_t n_sec;

	struct tld_run_report report;
	struct tld_report_secondary *rsec;
	struct tld_report_keycount keys[KEY_CLASSES];
	char *messages[MAX_MESSAGES];
	size_t n_messages;

	char unsigned_path[4096];
	char signed_path[4096];
	char vcache_path[4096];             /* the verifier's cache of signed.zone */
	char prev_vcache_path[4096];        /* ... of the last published version */
	char vstate_path[4096];             /* the verifier's state of signed.zone (verify/vstate.h) */
	char prev_vstate_path[4096];        /* ... of the last published version */
	char prev_path[4096];               /* STATE_DIR/previous.zone: the last published signer output */
	char prev_sigs_path[4096];          /* ... and its side file (previous.zone.sigs) */
	char full_reason[256];              /* why this run verifies from scratch */
	double t_start;
	struct tld_progress progress;
};

/* -- shared helpers (run/pipeline.c) -- */


/*! Adds a refusal or warning to the run's report (copied; dropped when the list is full). */
void run_add_message(struct run *r, const char *text);

/*! STATE_DIR/name into buf.  \return TLD_OK or TLD_EINVAL (path too long, logged) */
int run_state_path(const struct run *r, const char *name, char *buf, size_t size);

/*! Ends the signing workers started at the run's start (a no-op when none run). */
void run_stop_hsm_workers(struct run *r);

/* -- stage 7 (run/stage_sign.c) -- */

/*! Starts writing STATE_DIR/unsigned.zone on a thread (once).  \return the start's result */
int run_start_unsigned_file(struct run *r);

/*! Waits for STATE_DIR/unsigned.zone and its digest.  \return the write's result */
int run_wait_unsigned_file(struct run *r);

/*! Stage 7: sign, reusing the published version's signatures.  \return TLD_OK or the error */
int run_stage_sign(struct run *r);

/* -- stage 7 as a patch (run/stage_patch.c) -- */

/*!
 * \brief Signs the zone as a patch of the published version (signer/patch.h)
 *        when its preconditions hold, with STATE_DIR/unsigned.zone written
 *        from the text the patch compares.
 * \param[in] so  the full path's options (previous: the published signer output)
 * \return TLD_OK (r->sig filled); TLD_EAGAIN: sign the whole zone (why logged
 *         at info; the unsigned file may have been started); another error
 */
int run_sign_patched(struct run *r, const struct signer_sign_opts *so);

/* -- stages 8-9 (run/stage_gate.c) -- */

/*! Test hook: TLDSIGN_TEST_BREAK_SIGNED=1 damages signed.zone before verification. */
void run_test_break_signed(const struct run *r);

/*! Starts the publish preparation beside the verification (when a thread is available). */
void run_start_prepare(struct run *r);

/*!
 * Starts the verifier's reading of the last published version (its file,
 * verification state and tag: tld_verify_prev_start()) beside the stages
 * before the verification, when the verification will try its delta path.
 */
void run_start_verify_ahead(struct run *r);

/*! Waits for the publish preparation (a no-op when none runs). */
void run_join_prepare(struct run *r);

/*! Stage 8: the verification gate.  \return TLD_OK, TLD_EVERIFY or another error */
int run_stage_verify(struct run *r);

/*! Stage 9a: publish (the commit point).  \return TLD_OK or the error */
int run_stage_publish(struct run *r);

/*! Stage 9b: NOTIFY and the secondaries' serials.  \return TLD_OK, TLD_ESECONDARY or another error */
int run_stage_notify(struct run *r);
