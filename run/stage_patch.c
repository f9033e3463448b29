/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `tldsign run` stage 7 as a patch of the published version
 * (run/run_internal.h, signer/patch.h).  What the patch relies on here: the
 * previous unsigned text, STATE_DIR/unsigned.zone as the last run left it,
 * is the one the published version was signed from -- its SHA-256 is the
 * unsigned digest the run history keeps for that version -- and the
 * published version is the signer's output kept as STATE_DIR/previous.zone
 * with its side file (choose_previous() in stage_sign.c).  The previous
 * file is mapped first, and hashed from that mapping (the bytes the patch
 * compares) beside the making of this run's text: formatted on both cores
 * straight into a temporary file, which is mapped as the text
 * (tld_run_unsigned_write_mapped(): no copy of the 156 MB text in fresh
 * memory at 1M delegations, its pages are those the write filled), then
 * hashed and renamed onto STATE_DIR/unsigned.zone by a job beside the
 * patch.  Should that fail (no memory to map it, a write error), the text
 * is formatted in memory instead (tld_run_unsigned_text(), the same bytes)
 * and the file written from it beside the patch, as before.
 * TLDSIGN_PATCH=0 in the environment turns the patch off (tests compare the
 * two paths).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "run/run_internal.h"

#include "common/clock.h"
#include "common/textcheck.h"
#include "signer/patch.h"

/* The share of owners (delegations and glue) changed beyond which the whole zone is signed. */
#define PATCH_MAX_SHARE 8

/*
 * The SHA-256 of the previous unsigned text as mapped, on a thread beside
 * the new one: the bytes compared, whatever becomes of the path (this run's
 * file is renamed onto it meanwhile).
 */
struct old_digest {
	const char *text;
	size_t len;
	char hex[65];
	int err;
};

static void *old_digest_main(void *arg)
{
	struct old_digest *d = arg;
	d->err = tld_zone_text_digest(d->text, d->len, d->hex);
	return NULL;
}

static int fall_back(const char *why)
{
	tld_info("run: sign: %s: the whole zone is signed", why);
	return TLD_EAGAIN;
}

/* The previous unsigned text mapped (*map NULL when there is none), and its identity (tld_file_ident()). */
static int map_old_text(const char *path, void **map, size_t *len, char ident[96])
{
	*map = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		return fall_back("no unsigned zone of the last run");
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return fall_back("no unsigned zone of the last run");
	}
	tld_file_ident(&st, ident);
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		return fall_back("the last run's unsigned zone cannot be mapped");
	}
	*map = m;
	*len = (size_t)st.st_size;
	return TLD_OK;
}

/*
 * This run's text, and the check of the previous one: the digest the history
 * keeps for the published version, taken of the file beside the text --
 * unless the file still has the identity that run recorded as it wrote it
 * (then it still holds those bytes: run/history.h).
 */
static int texts(struct run *r, const char *ident, const char *old, size_t old_len)
{
	char kept[65], kept_ident[96];
	bool found = false;
	if (tld_history_kept_unsigned(r->db, r->cfg->zone, kept, kept_ident, &found) != TLD_OK || !found) {
		return fall_back("no unsigned digest of the published version in the run history");
	}
	bool same_file = kept_ident[0] != '\0' && strcmp(kept_ident, ident) == 0;
	struct old_digest od = { .text = old, .len = old_len, .err = TLD_OK };
	pthread_t tid;
	bool threaded = false;
	if (same_file) {
		snprintf(od.hex, sizeof(od.hex), "%s", kept);
	} else {
		threaded = pthread_create(&tid, NULL, old_digest_main, &od) == 0;
		if (!threaded) {
			old_digest_main(&od);
		}
	}
	double t0 = tld_mono_seconds(), c0 = tld_process_cpu_seconds();
	/* written, and hashed and renamed into place by the job beside the patch */
	int err = tld_run_unsigned_write_mapped(r->zg, r->unsigned_path, &r->unsigned_job, &r->unsigned_text,
	                                        &r->unsigned_text_len);
	const char *how = "written and mapped";
	r->unsigned_started = err == TLD_OK;
	if (err != TLD_OK) { /* nothing written: the text in memory, the file from it after the checks */
		how = "made in memory";
		err = tld_run_unsigned_text(r->zg, &r->unsigned_text, &r->unsigned_text_len);
	}
	double made = tld_mono_seconds() - t0, made_cpu = tld_process_cpu_seconds() - c0;
	if (threaded) {
		pthread_join(tid, NULL);
	}
	if (err != TLD_OK) {
		return err;
	}
	tld_info("run: sign: the unsigned text (%.1f MiB) %s in %.2f s (%.2f CPU s, all threads), the last run's %s",
	          (double)r->unsigned_text_len / 1048576.0, how, made, made_cpu,
	          same_file ? "as it was written (its identity unchanged)" : "hashed beside it");
	if (od.err != TLD_OK || strcmp(od.hex, kept) != 0) {
		return fall_back("the last run's unsigned zone is not the one the published version was signed from");
	}
	return TLD_OK;
}

int run_sign_patched(struct run *r, const struct signer_sign_opts *so)
{
	const char *env = getenv("TLDSIGN_PATCH");
	if (env != NULL && strcmp(env, "0") == 0) {
		return TLD_EAGAIN;
	}
	if (so->previous == NULL) {
		return TLD_EAGAIN; /* a first version */
	}
	if (strcmp(so->previous, r->prev_path) != 0) {
		return fall_back("no side file of the published version");
	}
	if (!r->unsigned_due || r->unsigned_started) {
		return TLD_EAGAIN;
	}
	double t0 = tld_mono_seconds();
	void *old = NULL;
	size_t old_len = 0;
	char ident[96] = "";
	int err = map_old_text(r->unsigned_path, &old, &old_len, ident);
	if (err == TLD_OK) {
		err = texts(r, ident, old, old_len);
	}
	if (err == TLD_OK && !r->unsigned_started) { /* the file from the text made in memory, beside the patch */
		r->unsigned_started = true;
		r->unsigned_err = tld_run_unsigned_write_buffer(r->unsigned_text, r->unsigned_text_len, r->unsigned_path,
		                                                &r->unsigned_job);
		err = r->unsigned_err;
	}
	if (err == TLD_OK) {
		const struct tld_zonegen_stats *zs = tld_zonegen_stats(r->zg);
		struct signer_patch_opts po = {
			.cfg = so->cfg, .policy = so->policy, .db = so->db, .output = so->output,
			.previous = so->previous, .old_text = old, .old_len = old_len, .new_text = r->unsigned_text,
			.new_len = r->unsigned_text_len, .source = r->unsigned_path, .now = so->now,
			.workers = so->workers, .started = so->started,
			.max_changes = (size_t)((zs->delegated + zs->glue_records) / PATCH_MAX_SHARE) + 1024,
		};
		err = signer_patch_file(&po, &r->sig);
	}
	if (old != NULL) {
		munmap(old, old_len);
	}
	if (err == TLD_OK) {
		tld_info("run: sign: signed as a patch of serial %" PRIu32 " in %.2f s", r->current.serial,
		         tld_mono_seconds() - t0);
	}
	if (err == TLD_OK && !r->sig.unchanged) {
		/*
		 * Nothing reads the built export any more (the unsigned file is
		 * written from the text; an unchanged result could still sign in
		 * full, so it is kept then): its memory goes back now, for the
		 * files and buffers of the stages to come to take while it is warm.
		 */
		tld_zonegen_free(r->zg);
		r->zg = NULL;
	}
	return err;
}
