/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign run`: the stages of DESIGN.md section 3, in order (run/pipeline.h). */
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
#include "common/lock.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "policy/audit.h"
#include "policy/keyplan.h"
#include "policy/keystore.h"
#include "policy/policy.h"
#include "publish/notify.h"
#include "publish/publish.h"
#include "run/guards.h"
#include "run/history.h"
#include "run/pipeline.h"
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

/* Everything one run holds; released by run_free(). */
struct run {
	const struct tld_run_opts *opts;
	struct tld_config *cfg;
	struct tld_policy *pol;
	tld_lock_t *lock;
	tld_statedb_t *db;
	struct tld_zonegen *zg;
	struct tld_run_unsigned_job *unsigned_job; /* STATE_DIR/unsigned.zone and its digest */
	bool unsigned_due;                  /* the export stage got as far as the file */
	bool unsigned_started;              /* start_unsigned_file() was called */
	int unsigned_err;                   /* its result, once joined */

	struct tld_zone_stats cur;          /* this run's figures */
	struct tld_zone_stats prev;         /* the last published version's */
	bool have_prev;
	struct tld_version_info current;    /* published version before this run */
	bool have_current;

	struct signer_sign_stats sig;
	struct prep_job prep;
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
	char full_reason[256];              /* why this run verifies from scratch */
	double t_start;
	struct tld_progress progress;
};

/* -- internal API -- */

static double mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_message(struct run *r, const char *text)
{
	if (r->n_messages < MAX_MESSAGES) {
		char *copy = strdup(text);
		if (copy != NULL) {
			r->messages[r->n_messages++] = copy;
		}
	}
}

static int state_path(const struct run *r, const char *name, char *buf, size_t size)
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
	if ((err = state_path(r, "unsigned.zone", r->unsigned_path, sizeof(r->unsigned_path))) != TLD_OK ||
	    (err = state_path(r, "signed.zone.vcache", r->vcache_path, sizeof(r->vcache_path))) != TLD_OK ||
	    (err = state_path(r, "previous.zone.vcache", r->prev_vcache_path,
	                      sizeof(r->prev_vcache_path))) != TLD_OK) {
		return err;
	}
	return state_path(r, "signed.zone", r->signed_path, sizeof(r->signed_path));
}

/*
 * Stage 3-4: read and check the export, build (STATE_DIR/unsigned.zone and
 * the unsigned digest follow on a thread, start_unsigned_file()).
 */
static int stage_export(struct run *r)
{
	double t0 = mono_seconds();
	int err = tld_zonegen_build(r->cfg, NULL, &r->zg);
	if (err != TLD_OK) {
		return err;
	}
	double t_built = mono_seconds();
	char report_path[4096];
	if ((err = state_path(r, "zonegen-report.json", report_path, sizeof(report_path))) != TLD_OK ||
	    (err = tld_zonegen_write_report(r->zg, report_path)) != TLD_OK) {
		return err;
	}
	tld_info("run: export: read and built in %.2f s, report written in %.2f s", t_built - t0,
	         mono_seconds() - t_built);
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
		add_message(r, trips[i].message);
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
		add_message(r, msg);
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

/* The SOA serial of a zone file written by the signer (first SOA record). */
static bool zone_file_serial(const char *path, uint32_t *serial)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return false;
	}
	char line[2048];
	bool found = false;
	for (int i = 0; i < 64 && !found && fgets(line, sizeof(line), f) != NULL; i++) {
		char *soa = strstr(line, "\tSOA\t");
		if (soa == NULL) {
			soa = strstr(line, " SOA ");
		}
		char mname[1024], rname[1024];
		unsigned long v = 0;
		if (soa != NULL && sscanf(soa + 5, "%1023s %1023s %lu", mname, rname, &v) == 3 &&
		    v <= UINT32_MAX) {
			*serial = (uint32_t)v;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * The previous version for signature reuse: STATE_DIR/previous.zone (the
 * signer's output that was last published, with its side file) when its
 * serial is the published one; else the published file itself (correct
 * serial, no side file: nothing reused).
 */
static const char *choose_previous(struct run *r, char *buf, size_t size)
{
	if (!r->have_current) {
		return NULL;
	}
	char sigs[4096 + 8];
	uint32_t serial = 0;
	if (state_path(r, "previous.zone", buf, size) == TLD_OK &&
	    snprintf(sigs, sizeof(sigs), "%s%s", buf, ".sigs") < (int)sizeof(sigs) &&
	    access(sigs, R_OK) == 0 && zone_file_serial(buf, &serial) && serial == r->current.serial) {
		return buf;
	}
	tld_info("run: no side file for the published serial %" PRIu32 "; signing from %s without "
	         "signature reuse", r->current.serial, r->current.file);
	return r->current.file;
}

/* Hard-links from to to, replacing to atomically. */
static int link_replace(const char *from, const char *to)
{
	char tmp[4096 + 16];
	snprintf(tmp, sizeof(tmp), "%s.linktmp", to);
	(void)unlink(tmp);
	if (link(from, tmp) != 0 || rename(tmp, to) != 0) {
		int e = errno;
		(void)unlink(tmp);
		tld_warning("run: %s -> %s: %s (the next run reuses no signatures)", from, to, strerror(e));
		return tld_errno(e);
	}
	return TLD_OK;
}

/*
 * After a publish: keep the signer's output and side file as the next run's
 * previous version, and the verifier's cache of it for the next verification.
 */
static void keep_previous(struct run *r)
{
	if (access(r->vcache_path, F_OK) == 0) {
		(void)link_replace(r->vcache_path, r->prev_vcache_path);
	} else {
		(void)unlink(r->prev_vcache_path); /* never a cache older than the published version */
	}
	char prev[4096], from_sigs[4096 + 8], to_sigs[4096 + 8];
	if (state_path(r, "previous.zone", prev, sizeof(prev)) != TLD_OK) {
		return;
	}
	snprintf(from_sigs, sizeof(from_sigs), "%s.sigs", r->signed_path);
	snprintf(to_sigs, sizeof(to_sigs), "%s.sigs", prev);
	if (link_replace(from_sigs, to_sigs) == TLD_OK) {
		(void)link_replace(r->signed_path, prev);
	}
}

/*
 * Starts writing STATE_DIR/unsigned.zone and hashing it on a thread (once;
 * nothing before the export stage has built the zone and written its
 * report).  The file is nobody's input in the run: it is written beside the
 * signing, once the signer has its zone, so that it takes no time from the
 * handover; a run that ends before (a guard) writes it at its report.
 */
static int start_unsigned_file(struct run *r)
{
	if (!r->unsigned_due || r->unsigned_started) {
		return TLD_OK;
	}
	r->unsigned_started = true;
	r->unsigned_err = tld_run_unsigned_start(r->zg, r->unsigned_path, &r->unsigned_job);
	return r->unsigned_err;
}

/*
 * Waits until STATE_DIR/unsigned.zone is written and its digest is in
 * cur.unsigned_digest (a no-op after the first call); returns the write's result.
 */
static int wait_unsigned_file(struct run *r)
{
	if (r->unsigned_job == NULL) {
		return r->unsigned_err;
	}
	double t0 = mono_seconds(), took = 0, cpu = 0;
	r->unsigned_err = tld_run_unsigned_finish(r->unsigned_job, r->cur.unsigned_digest, &took, &cpu);
	r->unsigned_job = NULL;
	if (r->unsigned_err == TLD_OK) {
		tld_info("run: %s written and hashed beside the run in %.2f s, %.2f s CPU (waited %.2f s "
		         "for it)", r->unsigned_path, took, cpu, mono_seconds() - t0);
	}
	return r->unsigned_err;
}

/*
 * Whether the unsigned zone differs from the one the current version was
 * built from (run history); unknown counts as changed.
 */
static bool unsigned_zone_changed(struct run *r)
{
	char kept[65];
	bool found = false;
	if (tld_history_kept_unsigned_digest(r->db, r->cfg->zone, kept, &found) != TLD_OK || !found) {
		return true;
	}
	return strcmp(kept, r->cur.unsigned_digest) != 0;
}

/*
 * The signer's zone from zonegen's records in memory, then signed (the
 * signer takes the zone); the time of the handover counts as the read.
 */
static int sign_from_memory(struct run *r, const struct signer_sign_opts *so)
{
	double t0 = mono_seconds();
	struct signer_zone *z = NULL;
	int err = tld_run_unsigned_zone(r->zg, r->cfg->zone, r->unsigned_path, &z);
	if (err != TLD_OK) {
		return err;
	}
	double handed = mono_seconds() - t0;
	tld_debug("run: sign: %zu records handed over from zonegen in %.2f s", z->nrrs, handed);
	if ((err = start_unsigned_file(r)) != TLD_OK) {
		signer_zone_free(z);
		return err;
	}
	struct signer_sign_opts with_zone = *so;
	with_zone.zone = z; /* the signer takes it over, success or not */
	err = signer_sign_file(&with_zone, &r->sig);
	r->sig.seconds_read += handed;
	return err;
}

/* Stage 7: sign, reusing the published version's signatures. */
static int stage_sign(struct run *r)
{
	char previous[4096];
	struct signer_sign_opts so = {
		.cfg = r->cfg,
		.policy = r->pol,
		.db = r->db,
		.output = r->signed_path,
		.previous = choose_previous(r, previous, sizeof(previous)),
		.now = r->opts->now,
		.workers = r->opts->workers,
		.keep_serial_if_unchanged = true,
	};
	int err = sign_from_memory(r, &so);
	if (err != TLD_OK) {
		return err;
	}
	if (r->sig.unchanged && (err = wait_unsigned_file(r)) != TLD_OK) {
		return err; /* the digest comes with the file */
	}
	if (r->sig.unchanged && unsigned_zone_changed(r)) {
		/* Defence in depth: never keep a version whose unsigned zone differs. */
		tld_warning("run: the signer reported nothing changed, but the unsigned zone differs "
		            "from the one serial %" PRIu32 " was built from; signing a new version",
		            r->current.serial);
		so.keep_serial_if_unchanged = false;
		memset(&r->sig, 0, sizeof(r->sig));
		if ((err = sign_from_memory(r, &so)) != TLD_OK) {
			return err;
		}
	}
	tld_info("run: sign: read %.2f s, denial chain %.2f s, signatures %.2f s, written %.2f s",
	         r->sig.seconds_read, r->sig.seconds_chain, r->sig.seconds_sign, r->sig.seconds_write);
	r->report.serial = r->sig.serial;
	r->report.sigs_new = r->sig.sigs_new;
	r->report.sigs_reused = r->sig.sigs_reused;
	r->report.earliest_expiration = r->sig.earliest_expiration;
	r->cur.serial = r->sig.serial;
	r->cur.has_serial = true;
	if (r->sig.unchanged) {
		return TLD_OK;
	}
	/* The serial guard: a new version must have a greater serial (RFC 1982). */
	if (r->have_current && !tld_serial_gt(r->sig.serial, r->current.serial)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
		         "serial-increase: new serial %" PRIu32 " does not increase over the published %"
		         PRIu32 " (RFC 1982)", r->sig.serial, r->current.serial);
		add_message(r, msg);
		tld_error("guard serial-increase refused the run: %s; nothing published", msg);
		return TLD_EGUARD;
	}
	return TLD_OK;
}

/*
 * Test hook of the verification gate (tests/integration/81-crash.sh): with
 * TLDSIGN_TEST_BREAK_SIGNED=1 in the environment, an unsigned apex TXT
 * RRset is appended to the signed zone before it is verified.  The gate must
 * then refuse; the hook can only make a run fail, never publish anything.
 * The damaged file replaces signed.zone by rename: the file there may be
 * linked elsewhere (a published version), so it is never written in place.
 */
static void test_break_signed(const struct run *r)
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
 * Stage 8: the independent verifier is the publish gate.  Its cache of the
 * last published version (STATE_DIR/previous.zone.vcache, written by the
 * verifier, never by the signer) spares the public-key operation of the
 * signatures verified then; every other check runs in full (verify/vcache.h).
 */
static int stage_verify(struct run *r)
{
	struct tld_verify_opts vo = {
		.now = r->opts->now,
		.refresh_window = r->pol->signatures.refresh,
		.threads = r->opts->workers,
		.cache_in = r->prev_vcache_path,
		.cache_out = r->vcache_path,
	};
	if (must_verify_from_scratch(r)) {
		r->report.verify_full_reason = r->full_reason;
		tld_info("run: verify: from scratch: %s", r->full_reason);
	}
	r->report.verify_mode = TLD_VERIFY_MODE_FULL;
	struct tld_verify_report *rep = NULL;
	int err = tld_verify_zone_file(r->signed_path, &vo, &rep);
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
	}
	tld_verify_report_free(rep);
	return err;
}

/* The publish preparation (publish/publish.h); in its own thread beside the verification. */
static void *prepare_publish(void *arg)
{
	struct prep_job *job = arg;
	struct run *r = job->r;
	double t0 = mono_seconds();
	/* signed.zone is written by rename and fsynced (signer): the version may link it */
	struct tld_publish_opts po = { .link_input = true };
	job->err = tld_publish_prepare(r->cfg, r->have_current ? &r->current : NULL, r->signed_path,
	                               &po, &job->prep);
	job->done_at = mono_seconds();
	job->seconds = job->done_at - t0;
	return NULL;
}

/*
 * Starts the publish preparation beside the verification when there is a
 * thread for it: it reads the same signed.zone and writes only temporaries;
 * nothing is committed before the verification passed (stage_publish()).
 */
static void start_prepare(struct run *r)
{
	r->prep.r = r;
	r->prep.started = pthread_create(&r->prep.thread, NULL, prepare_publish, &r->prep) == 0;
	if (!r->prep.started) {
		tld_info("run: publish: no thread for the preparation; it follows the verification");
	}
}

/* Waits for the preparation (a no-op when none runs). */
static void join_prepare(struct run *r)
{
	if (r->prep.started) {
		pthread_join(r->prep.thread, NULL);
		r->prep.started = false;
	}
}

/* Stage 9a: publish (the commit point), once the preparation is complete. */
static int stage_publish(struct run *r)
{
	double t0 = mono_seconds();
	bool beside = r->prep.started;
	int err = wait_unsigned_file(r); /* a failed write fails the run: nothing published */
	if (err != TLD_OK) {
		return err;
	}
	join_prepare(r);
	if (!beside && r->prep.prep == NULL && r->prep.err == TLD_OK) {
		prepare_publish(&r->prep);
	}
	if (r->prep.err != TLD_OK) {
		return r->prep.err;
	}
	double t_prepared = mono_seconds();
	r->report.publish_prepared_seconds = r->prep.seconds;
	tld_publish_prep_t *prep = r->prep.prep;
	r->prep.prep = NULL;
	err = tld_publish_commit(prep, r->db, &r->pub);
	if (err != TLD_OK && !(err == TLD_EIO && r->pub.after_publish_ran)) {
		return err;
	}
	double t_published = mono_seconds();
	r->report.published = !r->pub.unchanged;
	r->report.serial = r->pub.serial;
	if (r->report.published) {
		keep_previous(r);
	}
	tld_info("run: publish: prepared in %.2f s%s (waited %.2f s for it), committed in %.2f s, "
	         "previous version kept in %.2f s", r->prep.seconds,
	         beside ? " beside the verification" : "", t_prepared - t0,
	         t_published - t_prepared, mono_seconds() - t_published);
	return err;
}

/* Stage 9b: NOTIFY, then the bounded check of every secondary's serial. */
static int stage_notify(struct run *r)
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
	double t0 = mono_seconds(), c0 = cpu_seconds();
	tld_progress_update(&r->progress, (uint64_t)stage);
	tld_debug("run: stage %s", tld_stage_name(stage));
	int err = fn(r);
	double wall = mono_seconds() - t0;
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
	if ((err = run_stage(r, TLD_STAGE_EXPORT, stage_export)) != TLD_OK ||
	    (err = run_stage(r, TLD_STAGE_GUARDS, stage_guards)) != TLD_OK ||
	    (err = run_stage(r, TLD_STAGE_KEYS, stage_keys)) != TLD_OK ||
	    (err = run_stage(r, TLD_STAGE_SIGN, stage_sign)) != TLD_OK) {
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
		return run_stage(r, TLD_STAGE_NOTIFY, stage_notify);
	}
	test_break_signed(r);
	start_prepare(r);
	if ((err = run_stage(r, TLD_STAGE_VERIFY, stage_verify)) != TLD_OK) {
		/* the gate refused: the preparation's temporaries go, nothing was visible */
		join_prepare(r);
		tld_publish_abort(r->prep.prep);
		r->prep.prep = NULL;
		return err;
	}
	err = run_stage(r, TLD_STAGE_PUBLISH, stage_publish);
	if (err != TLD_OK && !r->report.published) {
		return err;
	}
	int notify = run_stage(r, TLD_STAGE_NOTIFY, stage_notify);
	return err != TLD_OK ? err : notify;
}

/* Stage 10: summary line, last-run.json, metrics.prom, history row. */
static void report(struct run *r, int result)
{
	r->report.result = result;
	r->report.duration = mono_seconds() - r->t_start;
	r->report.messages = (const char *const *)r->messages;
	r->report.messages_count = r->n_messages;
	if (r->db != NULL) {
		/* a run that ended before signing writes the file too (for the operator) */
		if (start_unsigned_file(r) == TLD_OK) {
			(void)wait_unsigned_file(r); /* the digest; "" when it failed (the run failed) */
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
	join_prepare(r);
	tld_publish_abort(r->prep.prep);
	for (size_t i = 0; i < r->n_messages; i++) {
		free(r->messages[i]);
	}
	free(r->rsec);
	free(r->sec);
	(void)tld_run_unsigned_finish(r->unsigned_job, NULL, NULL, NULL); /* it reads zg: before the free */
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
	r.t_start = mono_seconds();
	r.report.started = opts->now;
	tld_progress_start(&r.progress, "run", TLD_STAGE_COUNT);

	int err = run_stage(&r, TLD_STAGE_LOAD, stage_load);
	if (err == TLD_OK) {
		err = run_stages(&r);
	}
	tld_progress_end(&r.progress);
	if (err != TLD_ELOCKED && r.lock != NULL) {
		report(&r, err);
	}
	run_free(&r);
	return err;
}
