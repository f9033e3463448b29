/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign run` stage 7: sign (run/run_internal.h). */
#include <sys/stat.h>

#include "run/run_internal.h"

#include "common/clock.h"

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
	if (run_state_path(r, "previous.zone", buf, size) == TLD_OK &&
	    snprintf(sigs, sizeof(sigs), "%s%s", buf, ".sigs") < (int)sizeof(sigs) &&
	    access(sigs, R_OK) == 0 && zone_file_serial(buf, &serial) && serial == r->current.serial) {
		return buf;
	}
	tld_info("run: no side file for the published serial %" PRIu32 "; signing from %s without "
	         "signature reuse", r->current.serial, r->current.file);
	return r->current.file;
}


/*
 * run_start_unsigned_file() with the text the handover made (taken; NULL:
 * the thread formats the zone).
 */
static int start_unsigned_file(struct run *r, struct tld_zonegen_text *text)
{
	if (!r->unsigned_due || r->unsigned_started) {
		tld_zonegen_text_free(text);
		return TLD_OK;
	}
	r->unsigned_started = true;
	r->unsigned_err = tld_run_unsigned_start(r->zg, text, r->unsigned_path, &r->unsigned_job);
	return r->unsigned_err;
}

/*
 * Starts writing STATE_DIR/unsigned.zone and hashing it on a thread (once;
 * nothing before the export stage has built the zone and written its
 * report).  The file is nobody's input in the run: it is written beside the
 * signing, once the signer has its zone, so that it takes no time from the
 * handover; a run that ends before (a guard) writes it at its report.
 */
int run_start_unsigned_file(struct run *r)
{
	return start_unsigned_file(r, NULL);
}

/*
 * Waits until STATE_DIR/unsigned.zone is written and its digest is in
 * cur.unsigned_digest (a no-op after the first call); returns the write's result.
 */
int run_wait_unsigned_file(struct run *r)
{
	if (r->unsigned_job == NULL) {
		return r->unsigned_err;
	}
	double t0 = tld_mono_seconds(), took = 0, cpu = 0;
	r->unsigned_err = tld_run_unsigned_finish(r->unsigned_job, r->cur.unsigned_digest, &took, &cpu);
	r->unsigned_job = NULL;
	struct stat st;
	if (r->unsigned_err == TLD_OK && stat(r->unsigned_path, &st) == 0) {
		tld_file_ident(&st, r->cur.unsigned_ident); /* the next run's patch need not hash it again */
	}
	if (r->unsigned_err == TLD_OK) {
		tld_info("run: %s written and hashed beside the run in %.2f s, %.2f s CPU (waited %.2f s "
		         "for it)", r->unsigned_path, took, cpu, tld_mono_seconds() - t0);
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
	double t0 = tld_mono_seconds();
	struct signer_zone *z = NULL;
	struct tld_zonegen_text *text = NULL;
	/* the file's text is made beside the handover only while the file is still to be written */
	int err = tld_run_unsigned_zone(r->zg, r->cfg->zone, r->unsigned_path, &z,
	                                r->unsigned_due && !r->unsigned_started ? &text : NULL);
	if (err != TLD_OK) {
		return err;
	}
	double handed = tld_mono_seconds() - t0;
	tld_debug("run: sign: %zu records handed over from zonegen in %.2f s%s", z->nrrs, handed,
	          text != NULL ? ", the text of the unsigned zone made beside them" : "");
	if ((err = start_unsigned_file(r, text)) != TLD_OK) {
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
		.started = r->hsm_workers,
		.keep_serial_if_unchanged = true,
	};
	int err = run_sign_patched(r, &so);
	if (err == TLD_EAGAIN) {
		tld_text_digest_release(&r->sig.text_digest);
		memset(&r->sig, 0, sizeof(r->sig));
		err = sign_from_memory(r, &so);
	}
	if (err != TLD_OK) {
		return err;
	}
	if (r->sig.unchanged && (err = run_wait_unsigned_file(r)) != TLD_OK) {
		return err; /* the digest comes with the file */
	}
	if (r->sig.unchanged && unsigned_zone_changed(r)) {
		/* Defence in depth: never keep a version whose unsigned zone differs. */
		tld_warning("run: the signer reported nothing changed, but the unsigned zone differs "
		            "from the one serial %" PRIu32 " was built from; signing a new version",
		            r->current.serial);
		so.keep_serial_if_unchanged = false;
		tld_text_digest_release(&r->sig.text_digest);
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
		run_add_message(r, msg);
		tld_error("guard serial-increase refused the run: %s; nothing published", msg);
		return TLD_EGUARD;
	}
	return TLD_OK;
}


int run_stage_sign(struct run *r)
{
	int err = stage_sign(r);
	run_stop_hsm_workers(r); /* nothing signs after this stage */
	return err;
}
