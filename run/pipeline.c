/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign run`: the stages of DESIGN.md section 3, in order (run/pipeline.h, run/run_internal.h). */
#include "run/run_internal.h"

#include "common/clock.h"

/* -- internal API -- */

void run_add_message(struct run *r, const char *text)
{
	if (r->n_messages < MAX_MESSAGES) {
		char *copy = strdup(text);
		if (copy != NULL) {
			r->messages[r->n_messages++] = copy;
		}
	}
}

int run_state_path(const struct run *r, const char *name, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/%s", r->cfg->state_dir, name) >= (int)size) {
		tld_error("%s: state directory path too long", r->cfg->state_dir);
		return TLD_EINVAL;
	}
	return TLD_OK;
}

/*
 * Removes the temporary files a killed run left behind in STATE_DIR
 * ("NAME.tmp.XXXXXX" of tld_atomic_file_open(), whoever the writer was).
 * Called under the lock, so no writer is active.
 */
static void remove_stale_temporaries(const char *state_dir)
{
	DIR *dir = opendir(state_dir);
	if (dir == NULL) {
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		/* every writer of STATE_DIR uses tld_atomic_file_open() or the
		 * same pattern (tld_run_write_unsigned()): NAME.tmp.XXXXXX */
		const char *tmp = strstr(de->d_name, ".tmp.");
		if (tmp == NULL || tmp == de->d_name || strlen(tmp) != strlen(".tmp.") + 6) {
			continue;
		}
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name) >= (int)sizeof(path)) {
			continue;
		}
		if (unlink(path) == 0) {
			tld_info("run: removed %s left by an interrupted run", path);
		}
	}
	closedir(dir);
}

/*
 * The signing workers, forked now while the process is small (before the
 * export is read, and before any thread of the run starts) and logging in
 * beside the export (hsm/signpool.h); the signer hands them its keys and
 * batches.  Without them (hsm.early-workers false, or they cannot start)
 * the signer forks its workers per batch as before.
 */
static void start_hsm_workers(struct run *r)
{
	if (!r->cfg->hsm.early_workers) {
		return;
	}
	double t0 = tld_mono_seconds();
	int err = tld_signpool_workers_start(r->cfg, r->opts->workers, &r->hsm_workers);
	if (err != TLD_OK) {
		tld_info("run: the signing workers could not be started early (%s); they are forked per batch",
		         tld_strerror(err));
		return;
	}
	tld_debug("run: signing workers started in %.3f s", tld_mono_seconds() - t0);
}

void run_stop_hsm_workers(struct run *r)
{
	tld_signpool_workers_stop(r->hsm_workers);
	r->hsm_workers = NULL;
}

/* Stage 1-2: config, lock, policy, state store and its tables. */
static int stage_load(struct run *r)
{
	int err = tld_config_load(r->opts->config_path, &r->cfg);
	if (err == TLD_ENOENT || err == TLD_EACCES || err == TLD_EIO) {
		return TLD_ECONFIG; /* logged by the loader; for cron, a configuration error */
	}
	if (err != TLD_OK) {
		return err;
	}
	r->report.zone = r->cfg->zone;
	err = tld_lock_acquire(r->cfg->state_dir, &r->lock);
	if (err != TLD_OK) {
		return err;
	}
	remove_stale_temporaries(r->cfg->state_dir);
	tld_publish_sweep(r->cfg);  /* a killed run's prepared publish: zone link, image, journal */
	err = tld_policy_load(r->cfg->policy_path, &r->pol);
	if (err != TLD_OK) {
		return err;
	}
	err = tld_statedb_open(r->cfg->state_dir, &r->db);
	if (err != TLD_OK) {
		return err;
	}
	if ((err = tld_history_init(r->db)) != TLD_OK || (err = tld_audit_init(r->db)) != TLD_OK ||
	    (err = tld_versions_init(r->db)) != TLD_OK || (err = tld_keydb_init(r->db)) != TLD_OK ||
	    (err = tld_keystore_init(r->db)) != TLD_OK) {
		return err;
	}
	err = tld_versions_current(r->db, &r->current);
	if (err == TLD_OK) {
		r->have_current = true;
	} else if (err != TLD_ENOENT) {
		return err;
	}
	if ((err = run_state_path(r, "unsigned.zone", r->unsigned_path, sizeof(r->unsigned_path))) != TLD_OK ||
	    (err = run_state_path(r, "signed.zone.vcache", r->vcache_path, sizeof(r->vcache_path))) != TLD_OK ||
	    (err = run_state_path(r, "previous.zone.vcache", r->prev_vcache_path,
	                      sizeof(r->prev_vcache_path))) != TLD_OK ||
	    (err = run_state_path(r, "signed.zone.vstate", r->vstate_path, sizeof(r->vstate_path))) != TLD_OK ||
	    (err = run_state_path(r, "previous.zone.vstate", r->prev_vstate_path,
	                      sizeof(r->prev_vstate_path))) != TLD_OK ||
	    (err = run_state_path(r, "previous.zone", r->prev_path, sizeof(r->prev_path))) != TLD_OK ||
	    (err = run_state_path(r, "previous.zone.sigs", r->prev_sigs_path,
	                      sizeof(r->prev_sigs_path))) != TLD_OK) {
		return err;
	}
	return run_state_path(r, "signed.zone", r->signed_path, sizeof(r->signed_path));
}

static void *report_main(void *arg)
{
	struct report_job *j = arg;
	double t0 = tld_mono_seconds();
	j->err = tld_zonegen_write_report(j->zg, j->path);
	j->seconds = tld_mono_seconds() - t0;
	return NULL;
}

/*
 * Writes STATE_DIR/zonegen-report.json on a thread (here when none can be
 * had): the file waits on its fsync()s, which the stages after the export
 * need not wait for.  The builder is only read from here on (every function
 * after tld_zonegen_build() takes it const).  Joined by join_report().
 */
static int start_report(struct run *r)
{
	struct report_job *j = &r->zg_report;
	int err = run_state_path(r, "zonegen-report.json", j->path, sizeof(j->path));
	if (err != TLD_OK) {
		return err;
	}
	j->zg = r->zg;
	j->started = pthread_create(&j->thread, NULL, report_main, j) == 0;
	if (!j->started) {
		report_main(j);
		j->joined = true;
		return j->err;
	}
	return TLD_OK;
}

/* Waits for the report (once; a no-op when none was started).  \return the write's result */
static int join_report(struct run *r)
{
	struct report_job *j = &r->zg_report;
	if (j->started && !j->joined) {
		double t0 = tld_mono_seconds();
		pthread_join(j->thread, NULL);
		j->joined = true;
		tld_info("run: export: report written beside the run in %.2f s (waited %.2f s for it)",
		         j->seconds, tld_mono_seconds() - t0);
	}
	return j->err;
}

/*
 * Stage 3-4: read and check the export, build (STATE_DIR/unsigned.zone and
 * the unsigned digest follow on a thread, run_start_unsigned_file(); the
 * report on another, start_report(): a failed report fails the run before
 * anything is published, run_stages()).
 */
static int stage_export(struct run *r)
{
	double t0 = tld_mono_seconds();
	int err = tld_zonegen_build(r->cfg, NULL, &r->zg);
	if (err != TLD_OK) {
		return err;
	}
	double t_built = tld_mono_seconds();
	if ((err = start_report(r)) != TLD_OK) {
		return err;
	}
	tld_info("run: export: read and built in %.2f s", t_built - t0);
	r->unsigned_due = true;
	const struct tld_zonegen_stats *zs = tld_zonegen_stats(r->zg);
	r->cur.delegations = zs->delegated;
	r->cur.ds_records = zs->ds_records;
	r->cur.rows_total = zs->total_rows;
	r->cur.rows_bad = zs->bad_rows;
	r->report.delegations = zs->delegated;
	r->report.ds_records = zs->ds_records;
	r->report.rows_total = zs->total_rows;
	r->report.rows_bad = zs->bad_rows;
	tld_info("run: export: %" PRIu64 " delegations (%" PRIu64 " held), %" PRIu64 " DS, %" PRIu64
	         " of %" PRIu64 " rows rejected", zs->delegated, zs->held, zs->ds_records,
	         zs->bad_rows, zs->total_rows);
	const struct tld_config *c = r->cfg;
	return tld_run_apex_digest(c->apex.ns, c->apex.ns_count, c->apex.soa.mname,
	                           c->apex.soa.rname, r->cur.apex_digest);
}

/* Records the operator's override in the audit log, naming what it overrode. */
static int audit_force(struct run *r, const struct tld_guard_trip *trips, size_t n)
{
	char detail[2048];
	size_t len = (size_t)snprintf(detail, sizeof(detail), "reason: %s; overrode: ",
	                              r->opts->force_reason);
	for (size_t i = 0; i < n && len < sizeof(detail); i++) {
		len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%s%s", i ? "; " : "",
		                        trips[i].message);
	}
	if (n == 0 && len < sizeof(detail)) {
		snprintf(detail + len, sizeof(detail) - len, "no guard tripped");
	}
	return tld_audit_append(r->db, r->opts->now, tld_audit_actor(NULL), "run --force", NULL, NULL,
	                        detail, NULL);
}

/* Stage 5: guards against the last published version and the last run. */
static int stage_guards(struct run *r)
{
	int err = tld_history_last_published(r->db, r->cfg->zone, &r->prev, &r->have_prev);
	if (err != TLD_OK) {
		return err;
	}
	struct tld_guard_input in = {
		.cfg = r->cfg,
		.previous = r->have_prev ? &r->prev : NULL,
		.current = &r->cur,
		.now = r->opts->now,
	};
	if ((err = tld_history_last_run_start(r->db, r->cfg->zone, &in.last_run)) != TLD_OK) {
		return err;
	}
	struct tld_guard_trip trips[TLD_GUARD_COUNT];
	size_t n = 0;
	int verdict = tld_guards_check(&in, trips, &n);
	for (size_t i = 0; i < n; i++) {
		run_add_message(r, trips[i].message);
		if (r->opts->force_reason != NULL) {
			tld_warning("guard %s overridden (--force \"%s\"): %s", tld_guard_name(trips[i].guard),
			            r->opts->force_reason, trips[i].message);
		} else {
			tld_error("guard %s refused the run: %s; nothing published. If this change is "
			          "intended, run once with `tldsign run --force REASON` (recorded in the "
			          "audit log)", tld_guard_name(trips[i].guard), trips[i].message);
		}
	}
	if (r->opts->force_reason != NULL) {
		r->report.forced_reason = r->opts->force_reason;
		return audit_force(r, trips, n);
	}
	return verdict;
}

/* Counts keys per class and the longest wait on the parent for the report. */
static int key_summary(struct run *r, const struct tld_key_use *uses, size_t n)
{
	static const char *classes[KEY_CLASSES] = { "active", "published", "ds-pending", "retiring" };
	for (int c = 0; c < KEY_CLASSES; c++) {
		snprintf(r->keys[c].state, sizeof(r->keys[c].state), "%s", classes[c]);
		r->keys[c].count = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (uses[i].ds_submit) {
			r->keys[2].count++;
		} else if (uses[i].ds_remove) {
			r->keys[3].count++;
		} else if (uses[i].sign_zone || uses[i].sign_dnskey) {
			r->keys[0].count++;
		} else if (uses[i].publish_dnskey) {
			r->keys[1].count++;
		}
	}
	r->report.keys = r->keys;
	r->report.keys_count = KEY_CLASSES;

	struct tld_keystate *ks = NULL;
	size_t nks = 0;
	int err = tld_keystore_load(r->db, r->cfg->zone, &ks, &nks);
	if (err != TLD_OK) {
		return err;
	}
	int64_t waiting = tld_keyplan_waiting_seconds(ks, nks, r->opts->now);
	r->report.rollover_waiting_seconds = (double)waiting;
	if (r->pol->parent.ds_wait_warning > 0 && waiting > r->pol->parent.ds_wait_warning) {
		char msg[160], d[32];
		snprintf(msg, sizeof(msg), "a rollover has waited on the parent for %s (parent.ds-wait-warning)",
		         tld_duration_format(waiting, d, sizeof(d)));
		tld_warning("run: %s", msg);
		run_add_message(r, msg);
	}
	free(ks);
	return TLD_OK;
}

/* Stage 6: key management (advance states, decide key use). */
static int stage_keys(struct run *r)
{
	struct tld_key_use *uses = NULL;
	size_t n = 0;
	tld_time_t next = 0;
	if (r->hsm_workers != NULL) {
		/* their log-ins are done before the key management may use the token */
		(void)tld_signpool_workers_ready(r->hsm_workers); /* not usable: the signer forks per batch */
	}
	int err = tld_keyplan_now(r->pol, r->db, r->cfg->zone, r->opts->now, &uses, &n, &next);
	if (err != TLD_OK) {
		return err;
	}
	if (next != 0) {
		char t[32];
		tld_info("run: keys: next key event at %s", tld_time_format(next, t, sizeof(t)));
	}
	err = key_summary(r, uses, n);
	free(uses);
	return err;
}


/* Whether the last run left the secondaries unconfirmed or crashed after publishing. */
static bool secondaries_need_check(struct run *r)
{
	struct tld_history_row last;
	bool found = false;
	if (tld_history_last(r->db, r->cfg->zone, &last, &found) != TLD_OK || !found) {
		return true;
	}
	return last.exit_code != 0 || !last.has_serial || last.serial != r->current.serial;
}

typedef int (*stage_fn)(struct run *r);

/* CPU seconds so far: every thread, and the children waited for (the HSM signing workers). */
static double cpu_seconds(void)
{
	struct rusage self, children;
	if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &children) != 0) {
		return 0;
	}
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
	                children.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
	                children.ru_stime.tv_usec) / 1e6;
}

static int run_stage(struct run *r, enum tld_stage stage, stage_fn fn)
{
	double t0 = tld_mono_seconds(), c0 = cpu_seconds();
	tld_progress_update(&r->progress, (uint64_t)stage);
	tld_debug("run: stage %s", tld_stage_name(stage));
	int err = fn(r);
	double wall = tld_mono_seconds() - t0;
	r->report.stage_seconds[stage] += wall;
	/* CPU beside wall time: on a shared machine the wall time alone misleads */
	tld_info("run: stage %s: %.2f s, %.2f s CPU", tld_stage_name(stage), wall,
	         cpu_seconds() - c0);
	if (err != TLD_OK && err != TLD_ESECONDARY) {
		tld_debug("run: stage %s failed: %s", tld_stage_name(stage), tld_strerror(err));
	}
	return err;
}

/* Stages 3-9; returns the run's result. */
static int run_stages(struct run *r)
{
	int err;
	run_start_verify_ahead(r);
	const char *previous[] = { r->prev_path, r->prev_sigs_path, r->prev_vstate_path, r->prev_vcache_path };
	run_start_remove_replaced(&r->replaced, r->cfg, previous, sizeof(previous) / sizeof(previous[0]));
	if ((err = run_stage(r, TLD_STAGE_EXPORT, stage_export)) != TLD_OK ||
	    (err = run_stage(r, TLD_STAGE_GUARDS, stage_guards)) != TLD_OK ||
	    (err = run_stage(r, TLD_STAGE_KEYS, stage_keys)) != TLD_OK ||
	    (err = run_stage(r, TLD_STAGE_SIGN, run_stage_sign)) != TLD_OK ||
	    (err = join_report(r)) != TLD_OK) {
		return err;
	}
	if (r->sig.unchanged && r->have_current) {
		r->report.unchanged = true;
		r->report.serial = r->current.serial;
		tld_notice("run: nothing changed and no signature due; serial %" PRIu32
		           " stays published, nothing new published", r->current.serial);
		if (!secondaries_need_check(r)) {
			return TLD_OK;
		}
		tld_notice("run: the last run did not confirm serial %" PRIu32
		           " on every secondary; notifying again", r->current.serial);
		return run_stage(r, TLD_STAGE_NOTIFY, run_stage_notify);
	}
	run_test_break_signed(r);
	run_start_prepare(r);
	if ((err = run_stage(r, TLD_STAGE_VERIFY, run_stage_verify)) != TLD_OK) {
		/* the gate refused: the preparation's temporaries go, nothing was visible */
		run_join_prepare(r);
		tld_publish_abort(r->prep.prep);
		r->prep.prep = NULL;
		return err;
	}
	err = run_stage(r, TLD_STAGE_PUBLISH, run_stage_publish);
	if (err != TLD_OK && !r->report.published) {
		return err;
	}
	int notify = run_stage(r, TLD_STAGE_NOTIFY, run_stage_notify);
	return err != TLD_OK ? err : notify;
}

/* Stage 10: summary line, last-run.json, metrics.prom, history row. */
static void report(struct run *r, int result)
{
	r->report.result = result;
	r->report.duration = tld_mono_seconds() - r->t_start;
	r->report.messages = (const char *const *)r->messages;
	r->report.messages_count = r->n_messages;
	if (r->db != NULL) {
		/* a run that ended before signing writes the file too (for the operator) */
		if (run_start_unsigned_file(r) == TLD_OK) {
			(void)run_wait_unsigned_file(r); /* the digest; "" when it failed (the run failed) */
		}
		r->cur.serial = r->report.serial;
		r->cur.has_serial = r->report.published || r->report.unchanged;
		if (tld_history_record(r->db, &r->report, &r->cur) != TLD_OK) {
			tld_warning("run: could not record the run in the history");
		}
		(void)tld_report_write_files(&r->report, r->cfg->state_dir);
	}
	if (r->opts->summary != NULL && r->cfg != NULL) {
		char line[512];
		tld_report_summary(&r->report, line, sizeof(line));
		fprintf(r->opts->summary, "%s\n", line);
		fflush(r->opts->summary);
	}
}

static void run_free(struct run *r)
{
	run_stop_hsm_workers(r);
	(void)join_report(r); /* it reads zg: before the free, and under the lock */
	run_join_prepare(r);
	tld_text_digest_release(&r->sig.text_digest); /* after the preparation that read it */
	run_join_remove_replaced(&r->replaced);
	tld_publish_abort(r->prep.prep);
	tld_verify_prev_free(r->verify_prev);
	for (size_t i = 0; i < r->n_messages; i++) {
		free(r->messages[i]);
	}
	free(r->rsec);
	free(r->sec);
	(void)tld_run_unsigned_finish(r->unsigned_job, NULL, NULL, NULL); /* it reads zg: before the free */
	tld_side_join(&r->unsigned_release); /* it freed the text, when it was started */
	if (r->unsigned_release.fn == NULL) {
		tld_run_unsigned_text_free(r->unsigned_text, r->unsigned_text_len); /* after the job that wrote it */
	}
	tld_zonegen_free(r->zg);
	tld_statedb_close(r->db);
	tld_policy_free(r->pol);
	tld_lock_release(r->lock);
	tld_config_free(r->cfg);
}

/* -- public API -- */

int tld_run_pipeline(const struct tld_run_opts *opts)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.t_start = tld_mono_seconds();
	r.report.started = opts->now;
	tld_progress_start(&r.progress, "run", TLD_STAGE_COUNT);

	int err = run_stage(&r, TLD_STAGE_LOAD, stage_load);
	if (err == TLD_OK) {
		start_hsm_workers(&r);
		err = run_stages(&r);
	}
	/* a run that ended before signing has its report too (for the operator) */
	int report_err = join_report(&r);
	if (err == TLD_OK) {
		err = report_err;
	}
	tld_progress_end(&r.progress);
	if (err != TLD_ELOCKED && r.lock != NULL) {
		report(&r, err);
	}
	run_free(&r);
	return err;
}

