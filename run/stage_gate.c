/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign run` stages 8-9: the verification gate, publish, NOTIFY (run/run_internal.h). */
#include "run/run_internal.h"

#include "common/clock.h"

/* Hard-links from to to, replacing to atomically; the file replaced is freed by the next run. */
static int link_replace(const char *from, const char *to)
{
	int err = run_replace_keeping_old(from, to);
	if (err != TLD_OK) {
		tld_warning("run: %s -> %s: %s (the next run reuses no signatures)", from, to,
		            tld_strerror(err));
	}
	return err;
}

/*
 * After a publish: keep the signer's output and side file as the next run's
 * previous version, and the verifier's cache of it for the next verification.
 */
static void keep_previous(struct run *r)
{
	run_join_remove_replaced(&r->replaced);  /* the names it removes are given again here */
	/* never a cache or state older than the published version: the verifier ties a
	 * state to its file by a keyed tag (GMAC) anyway, and a stale cache only costs time */
	if (access(r->vcache_path, F_OK) == 0) {
		(void)link_replace(r->vcache_path, r->prev_vcache_path);
	} else {
		(void)unlink(r->prev_vcache_path);
	}
	if (access(r->vstate_path, F_OK) == 0) {
		(void)link_replace(r->vstate_path, r->prev_vstate_path);
	} else {
		(void)unlink(r->prev_vstate_path);
	}
	char from_sigs[4096 + 8];
	snprintf(from_sigs, sizeof(from_sigs), "%s.sigs", r->signed_path);
	if (link_replace(from_sigs, r->prev_sigs_path) == TLD_OK) {
		(void)link_replace(r->signed_path, r->prev_path);
	}
}


/*
 * Test hook of the verification gate (tests/integration/81-crash.sh): with
 * TLDSIGN_TEST_BREAK_SIGNED=1 in the environment, an unsigned apex TXT
 * RRset is appended to the signed zone before it is verified.  The gate must
 * then refuse; the hook can only make a run fail, never publish anything.
 * The damaged file replaces signed.zone by rename: the file there may be
 * linked elsewhere (a published version), so it is never written in place.
 */
void run_test_break_signed(const struct run *r)
{
	const char *v = getenv("TLDSIGN_TEST_BREAK_SIGNED");
	if (v == NULL || strcmp(v, "1") != 0) {
		return;
	}
	FILE *in = fopen(r->signed_path, "r");
	tld_atomic_file_t *af = NULL;
	if (in == NULL || tld_atomic_file_open(r->signed_path, 0644, &af) != TLD_OK) {
		if (in != NULL) {
			fclose(in);
		}
		return;
	}
	FILE *out = tld_atomic_file_stream(af);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, out);
	}
	fclose(in);
	tld_warning("run: TLDSIGN_TEST_BREAK_SIGNED: damaging %s before verification", r->signed_path);
	fprintf(out, "%s\t3600\tIN\tTXT\t\"not signed\"\n", r->cfg->zone);
	(void)tld_atomic_file_commit(af);
}

/*
 * Whether this run must verify the new version from scratch rather than as
 * its changes from the last verified version: --full-verify,
 * verify.full-every 0, or no run verified from scratch within
 * verify.full-every.  The reason goes to r->full_reason.
 */
static bool must_verify_from_scratch(struct run *r)
{
	int64_t every = r->cfg->verify.full_every;
	tld_time_t last = 0;
	char when[32], dur[32];
	if (r->opts->full_verify) {
		snprintf(r->full_reason, sizeof(r->full_reason), "--full-verify");
	} else if (every == 0) {
		snprintf(r->full_reason, sizeof(r->full_reason), "verify.full-every is 0");
	} else if (tld_history_last_full_verify(r->db, r->cfg->zone, &last) != TLD_OK || last == 0) {
		snprintf(r->full_reason, sizeof(r->full_reason), "no run of the zone verified from scratch yet");
	} else if (r->opts->now - last >= every || r->opts->now < last) {
		tld_duration_format(every, dur, sizeof(dur));
		snprintf(r->full_reason, sizeof(r->full_reason),
		         "the last verification from scratch was at %s (verify.full-every %s)",
		         tld_time_format(last, when, sizeof(when)), dur);
	} else {
		r->full_reason[0] = '\0';
		return false;
	}
	return true;
}

/*
 * The previous version's side of the delta verification read ahead: its
 * inputs (STATE_DIR/previous.zone and previous.zone.vstate, the verifier's
 * own) are there before the run signs and replaced only after the
 * verification, by rename (keep_previous()); the signer only reads the
 * file.  The verifier checks what it reads as when it reads it itself.
 */
void run_start_verify_ahead(struct run *r)
{
	if (!must_verify_from_scratch(r)) {
		r->verify_prev = tld_verify_prev_start(r->prev_path, r->prev_vstate_path);
	}
}

/*
 * Stage 8: the independent verifier is the publish gate.  Its cache of the
 * last published version (STATE_DIR/previous.zone.vcache, written by the
 * verifier, never by the signer) spares the public-key operation of the
 * signatures verified then; every other check runs in full (verify/vcache.h).
 */
int run_stage_verify(struct run *r)
{
	struct tld_verify_opts vo = {
		.now = r->opts->now,
		.refresh_window = r->pol->signatures.refresh,
		.threads = r->opts->workers,
		.cache_in = r->prev_vcache_path,
		.cache_out = r->vcache_path,
		.state_out = r->vstate_path,
	};
	(void)unlink(r->vstate_path); /* a state of an earlier signed.zone never outlives it */
	if (must_verify_from_scratch(r)) {
		r->report.verify_full_reason = r->full_reason;
		tld_info("run: verify: from scratch: %s", r->full_reason);
	} else {
		/* by the changes from the last published version, which passed this gate */
		vo.previous = r->prev_path;
		vo.state_in = r->prev_vstate_path;
		vo.prev_ahead = r->verify_prev;
	}
	r->report.verify_mode = TLD_RUN_VERIFY_FULL;
	struct tld_verify_report *rep = NULL;
	int err = tld_verify_zone_file(r->signed_path, &vo, &rep);
	tld_verify_prev_free(r->verify_prev); /* its mapping and state: not needed any more */
	r->verify_prev = NULL;
	if (err == TLD_EVERIFY) {
		tld_verify_report_print(stderr, rep);
		tld_error("%s: the signed zone failed verification (%zu failures); nothing published, "
		          "the published version stays serial %" PRIu32, r->signed_path,
		          rep->n_failures, r->current.serial);
	} else if (err == TLD_OK && tld_log_level() >= TLD_LOG_INFO) {
		tld_verify_report_print(stderr, rep);
	}
	if (rep != NULL) {
		r->report.verify_rrsigs = rep->rrsigs_verified;
		r->report.verify_cached = rep->rrsigs_cached;
		r->report.verify_mode = rep->mode == TLD_VERIFY_DELTA ? TLD_RUN_VERIFY_DELTA : TLD_RUN_VERIFY_FULL;
		if (rep->mode == TLD_VERIFY_FULL && vo.previous != NULL) {
			/* asked for the delta, the verifier went the full way: say why */
			snprintf(r->full_reason, sizeof(r->full_reason), "%s",
			         rep->full_reason != NULL ? rep->full_reason : "the verifier took the full path");
			r->report.verify_full_reason = r->full_reason;
		}
		if (rep->mode == TLD_VERIFY_DELTA) {
			tld_info("run: verify: by the changes from %s: %zu subtrees changed, %zu names checked",
			         r->prev_path, rep->subtrees_changed, rep->names_checked);
		} else if (vo.previous != NULL) {
			tld_info("run: verify: from scratch: %s", r->full_reason);
		}
	}
	tld_verify_report_free(rep);
	return err;
}

/* The publish preparation (publish/publish.h); in its own thread beside the verification. */
static void *prepare_publish(void *arg)
{
	struct prep_job *job = arg;
	struct run *r = job->r;
	double t0 = tld_mono_seconds();
	/* signed.zone is written by rename and fsynced (signer): the version may link it */
	/* pruned versions' files are removed by the next run beside its first stages */
	/* the patch run's signer hashed signed.zone as it wrote it (signer/sign_patch_write.c) */
	struct tld_publish_opts po = { .link_input = true, .defer_prune = true,
	                               .text_digest = &r->sig.text_digest };
	job->err = tld_publish_prepare(r->cfg, r->have_current ? &r->current : NULL, r->signed_path,
	                               &po, &job->prep);
	job->done_at = tld_mono_seconds();
	job->seconds = job->done_at - t0;
	return NULL;
}

/*
 * Starts the publish preparation beside the verification when there is a
 * thread for it: it reads the same signed.zone and writes only temporaries;
 * nothing is committed before the verification passed (run_stage_publish()).
 */
void run_start_prepare(struct run *r)
{
	r->prep.r = r;
	r->prep.started = pthread_create(&r->prep.thread, NULL, prepare_publish, &r->prep) == 0;
	if (!r->prep.started) {
		tld_info("run: publish: no thread for the preparation; it follows the verification");
	}
}

/* Waits for the preparation (a no-op when none runs). */
void run_join_prepare(struct run *r)
{
	if (r->prep.started) {
		pthread_join(r->prep.thread, NULL);
		r->prep.started = false;
	}
}

static void release_unsigned_text(void *arg)
{
	struct run *r = arg;
	tld_run_unsigned_text_free(r->unsigned_text, r->unsigned_text_len);
}

/* Stage 9a: publish (the commit point), once the preparation is complete. */
int run_stage_publish(struct run *r)
{
	double t0 = tld_mono_seconds();
	bool beside = r->prep.started;
	int err = run_wait_unsigned_file(r); /* a failed write fails the run: nothing published */
	if (err != TLD_OK) {
		return err;
	}
	/*
	 * the unsigned text (a patch run's) is read no more: signed from, its file
	 * written; its pages freed on a thread beside the commit's waits for the
	 * disk, not at the end of the run (run_free() joins, then finds it gone)
	 */
	if (r->unsigned_text != NULL) {
		tld_side_start(&r->unsigned_release, release_unsigned_text, r);
	}
	run_join_prepare(r);
	if (!beside && r->prep.prep == NULL && r->prep.err == TLD_OK) {
		prepare_publish(&r->prep);
	}
	if (r->prep.err != TLD_OK) {
		return r->prep.err;
	}
	double t_prepared = tld_mono_seconds();
	r->report.publish_prepared_seconds = r->prep.seconds;
	tld_publish_prep_t *prep = r->prep.prep;
	r->prep.prep = NULL;
	run_join_remove_replaced(&r->replaced);  /* done long since; never beside a commit */
	err = tld_publish_commit(prep, r->db, &r->pub);
	if (err != TLD_OK && !(err == TLD_EIO && r->pub.after_publish_ran)) {
		return err;
	}
	double t_published = tld_mono_seconds();
	r->report.published = !r->pub.unchanged;
	r->report.serial = r->pub.serial;
	if (r->report.published) {
		keep_previous(r);
	}
	tld_info("run: publish: prepared in %.2f s%s (waited %.2f s for it), committed in %.2f s, "
	         "previous version kept in %.2f s", r->prep.seconds,
	         beside ? " beside the verification" : "", t_prepared - t0,
	         t_published - t_prepared, tld_mono_seconds() - t_published);
	return err;
}

/* Stage 9b: NOTIFY, then the bounded check of every secondary's serial. */
int run_stage_notify(struct run *r)
{
	if (r->cfg->publish.secondaries_count == 0) {
		return TLD_OK;
	}
	uint32_t serial = r->report.serial;
	/* secondaries NOTIFYed before our server loaded the version would back off */
	int64_t wait = r->cfg->publish.notify_timeout > 0 ? r->cfg->publish.notify_timeout : 10;
	(void)tld_primary_wait(r->cfg, serial, wait); /* logged; NOTIFY anyway */
	int err = tld_notify_all(r->cfg, serial, &r->sec, &r->n_sec);
	if (err != TLD_OK && err != TLD_ESECONDARY) {
		return err;
	}
	int chk = tld_secondaries_check(r->cfg, serial, r->cfg->publish.confirm_timeout, r->sec, NULL);
	r->rsec = calloc(r->n_sec ? r->n_sec : 1, sizeof(*r->rsec));
	if (r->rsec == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < r->n_sec; i++) {
		const struct tld_secondary_status *s = &r->sec[i];
		struct tld_report_secondary *o = &r->rsec[i];
		snprintf(o->name, sizeof(o->name), "%s", s->address);
		o->acked = s->acked;
		o->confirmed = s->confirmed;
		o->has_serial = s->have_serial;
		o->serial = s->serial;
		o->lag_seconds = s->confirmed ? (double)s->lag_ms / 1000.0 : -1.0;
		if (!s->confirmed) {
			tld_warning("secondary %s does not serve serial %" PRIu32 " yet%s%s%s", s->address,
			            serial, s->have_serial ? " (serves another serial)" : "",
			            s->error[0] ? ": " : "", s->error);
		}
	}
	r->report.secondaries = r->rsec;
	r->report.secondaries_count = r->n_sec;
	return chk == TLD_OK ? TLD_OK : TLD_ESECONDARY;
}

