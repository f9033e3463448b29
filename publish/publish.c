/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A publish in two halves (publish/publish.h).  tld_publish_prepare() reads
 * the signed zone once (mapped), hashes it, builds its image and the journal
 * entry, and writes every file of the new version under a temporary name
 * ("NAME.tmp.PID", swept by the next publish if this process dies):
 * nothing is visible yet and the state store is not touched, so it can run
 * while the caller verifies the same file.  tld_publish_commit() renames the
 * files into place and records the version in the state store, the commit
 * point; tld_publish_abort() removes the temporaries.
 *
 * The image and the journal entry come from the current version's image and
 * the lines that changed when that is possible (publish/zonedelta.h: the
 * same bytes, for the cost of a comparison of the two texts), else from the
 * whole text; the log says at info which, and why.
 *
 * The text's SHA-256 and check are the ones its writer made when the caller
 * hands them on (tld_publish_opts.text_digest) and the file opened still
 * has the identity the writer took of it once in place: its bytes are then
 * the ones hashed (common/file_ident.h), and the very file opened is the
 * one linked as the version's; the writer's stream of the first bytes,
 * when it got no further, is gone on with from the file's next byte.  Else
 * the text is hashed here.
 */
#include "publish/publish.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_ident.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "common/side_job.h"
#include "common/textcheck.h"
#include "publish/versions_db.h"
#include "publish/zonedelta.h"
#include "publish/zoneimage.h"

struct tld_publish_prep {
	const struct tld_config *cfg;
	struct tld_publish_result res;   /*!< what the commit reports (file: the final name) */
	bool had_current;
	bool defer_prune;                /*!< tld_publish_opts.defer_prune */
	int64_t current_id;              /*!< the version current when prepared */
	char stem[256];
	char image[PATH_MAX], journal[PATH_MAX];          /*!< final names */
	char zone_tmp[PATH_MAX], image_tmp[PATH_MAX], journal_tmp[PATH_MAX]; /*!< "" = none */
	char jdir[PATH_MAX];
};

/* The signed zone's text: mapped, or read when it cannot be mapped. */
struct zone_text {
	int fd;
	char *text;
	size_t len;
	bool mapped;
};

/* snprintf into a path buffer; a path that does not fit is an error. */
static int __attribute__((format(printf, 3, 4))) path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		tld_error("path too long: %s", buf);
		return TLD_ERANGE;
	}
	return TLD_OK;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		return tld_errno(errno);
	}
	int r = fsync(fd) == 0 ? TLD_OK : tld_errno(errno);
	close(fd);
	return r;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	if (path_fmt(tmp, sizeof(tmp), "%s", dir) != TLD_OK) {
		return TLD_ERANGE;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
				return tld_errno(errno);
			}
			*p = '/';
		}
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
		return tld_errno(errno);
	}
	return TLD_OK;
}

/* Zone name as a file-name stem: "test." -> "test", "." -> "root". */
static void zone_stem(const char *zone, char *out, size_t size)
{
	size_t l = strlen(zone);
	if (l <= 1) {
		snprintf(out, size, "root");
		return;
	}
	snprintf(out, size, "%.*s", (int)(zone[l - 1] == '.' ? l - 1 : l), zone);
}

/* What remove_named() removes: a killed publish's temporaries, or pruned versions' files. */
enum left_file { LEFT_TEMPORARY, LEFT_PRUNED };

/*
 * Removes the files of dir named [.]STEM.* that a publish leaves (the
 * caller holds the lock): temporaries ("NAME.tmp.PID") of a publish that
 * was killed, or the files of pruned versions (NAME.pruned).
 * \return how many were removed
 */
static size_t remove_named(const char *dir, const char *stem, enum left_file what)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(stem), removed = 0;
	char path[PATH_MAX];
	if (d == NULL) {
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name[0] == '.' ? e->d_name + 1 : e->d_name;
		size_t nl = strlen(n);
		bool match = what == LEFT_TEMPORARY ? strstr(n, ".tmp.") != NULL
		                                    : nl > sl + 8 && strcmp(n + nl - 7, ".pruned") == 0;
		if (strncmp(n, stem, sl) == 0 && n[sl] == '.' && match &&
		    path_fmt(path, sizeof(path), "%s/%s", dir, e->d_name) == TLD_OK && unlink(path) == 0) {
			removed++;
			if (what == LEFT_TEMPORARY) {
				tld_info("removed %s, left by an interrupted publish", path);
			}
		}
	}
	closedir(d);
	return removed;
}

/* Opens and maps (else reads) path.  \return TLD_OK or the error (logged) */
static int text_open(const char *path, struct zone_text *zt)
{
	struct stat st;
	memset(zt, 0, sizeof(*zt));
	zt->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (zt->fd < 0 || fstat(zt->fd, &st) != 0) {
		int e = errno;
		tld_error("%s: cannot open: %s", path, strerror(e));
		return tld_errno(e);
	}
	zt->len = (size_t)st.st_size;
	if (S_ISREG(st.st_mode) && zt->len > 0) {
		/* not MAP_POPULATE: its page-by-page walk costs three times the faults of the
		 * readers, each mapping a run of the page cache's large folios at once */
		void *m = mmap(NULL, zt->len, PROT_READ, MAP_PRIVATE, zt->fd, 0);
		if (m != MAP_FAILED) {
			(void)madvise(m, zt->len, MADV_SEQUENTIAL);
			zt->text = m;
			zt->mapped = true;
			return TLD_OK;
		}
	}
	zt->text = malloc(zt->len ? zt->len : 1);
	if (zt->text == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t got = 0; got < zt->len;) {
		ssize_t n = read(zt->fd, zt->text + got, zt->len - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			tld_error("%s: read failed: %s", path, n < 0 ? strerror(errno) : "file shrank");
			return TLD_EIO;
		}
		got += (size_t)n;
	}
	return TLD_OK;
}

/* Releases the text (the descriptor stays open). */
static void text_release(struct zone_text *zt)
{
	if (zt->mapped) {
		munmap(zt->text, zt->len);
	} else {
		free(zt->text);
	}
	zt->text = NULL;
	zt->mapped = false;
}

static void text_close(struct zone_text *zt)
{
	text_release(zt);
	if (zt->fd >= 0) {
		close(zt->fd);
	}
	zt->fd = -1;
}

/*
 * A piece of the preparation on a thread of its own (the digest beside the
 * parse, the image file beside the journal entry); run inline when no
 * thread can be had.
 */
struct side_job {
	struct tld_side_job run;
	int err;
	/* the digest: of text, or gone on with from the stream of its first bytes */
	const char *text;
	size_t len;
	const struct tld_text_stream *from;
	char *hex;
	uint64_t check;
	/* the image file: from img, or from delta */
	const struct tld_zone_image *img;
	const struct tld_zone_delta *delta;
	const char *path;
};

static int side_join(struct side_job *job)
{
	tld_side_join(&job->run);
	return job->err;
}

static void digest_job(void *arg)
{
	struct side_job *job = arg;
	struct tld_text_stream s;
	if (job->from == NULL) {
		job->err = tld_zone_text_digest_check(job->text, job->len, job->hex, &job->check);
	} else if ((job->err = tld_text_stream_copy(&s, job->from)) == TLD_OK) {
		job->err = tld_text_stream_add(&s, job->text + s.len, job->len - s.len);
		job->err = job->err == TLD_OK ? tld_text_stream_end(&s, job->hex, &job->check) : job->err;
		tld_text_stream_free(&s);
	}
}

static void save_job(void *arg)
{
	struct side_job *job = arg;
	job->err = job->delta != NULL ? tld_zone_delta_save(job->delta, job->path)
	                              : tld_image_save(job->img, job->path);
}

/* Writes the text to tmp (a new file) and fsyncs it.  \return TLD_OK or the error (logged) */
static int copy_text_to(const struct zone_text *zt, const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		tld_error("%s: cannot create: %s", tmp, strerror(e));
		return tld_errno(e);
	}
	int r = tld_image_write_all(fd, zt->text, zt->len);
	if (r == TLD_OK && fsync(fd) != 0) {
		r = tld_errno(errno);
	}
	if (close(fd) != 0 && r == TLD_OK) {
		r = tld_errno(errno);
	}
	if (r != TLD_OK) {
		tld_error("%s: write failed: %s", tmp, tld_strerror(r));
	}
	return r;
}

/*
 * The version's zone file under its temporary name: a hard link to the very
 * file that was read and hashed when the caller allows it (the descriptor
 * through /proc, so a file renamed over the path meanwhile cannot slip in),
 * else a copy of the text.
 */
static int write_zone_tmp(const struct zone_text *zt, bool link_input, const char *tmp)
{
	if (link_input) {
		char fdpath[64];
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", zt->fd);
		if (fsync(zt->fd) == 0 && linkat(AT_FDCWD, fdpath, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
			return TLD_OK;
		}
		tld_info("%s: not linked (%s); copying", tmp, strerror(errno));
	}
	return copy_text_to(zt, tmp);
}

static int run_after_publish(const char *cmd, const char *file, uint32_t serial,
                             struct tld_publish_result *res)
{
	char serial_text[16];
	if (cmd == NULL || cmd[0] == 0) {
		return TLD_OK;
	}
	snprintf(serial_text, sizeof(serial_text), "%u", serial);
	setenv("TLDSIGN_ZONE_FILE", file, 1);
	setenv("TLDSIGN_SERIAL", serial_text, 1);
	int st = system(cmd);
	res->after_publish_ran = true;
	if (st == -1 || !WIFEXITED(st)) {
		res->after_publish_status = -1;
	} else {
		res->after_publish_status = WEXITSTATUS(st);
	}
	if (res->after_publish_status != 0) {
		tld_error("after-publish command \"%s\" failed (status %d); serial %u is published",
		          cmd, res->after_publish_status, serial);
		return TLD_EIO;
	}
	tld_notice("after-publish command \"%s\" succeeded", cmd);
	return TLD_OK;
}

/* The SOA (an image record) must be at the configured apex.  \return TLD_OK or TLD_EZONE (logged) */
static int check_apex(const struct tld_config *cfg, const uint8_t *soa, const char *path)
{
	uint8_t apex[TLD_DNS_MAXNAME];
	size_t apex_len;
	if (tld_name_from_text(cfg->zone, apex, &apex_len) != TLD_OK || apex_len != soa[0] ||
	    memcmp(apex, soa + 1, apex_len) != 0) {
		tld_error("%s: the SOA is not at the apex of zone %s", path, cfg->zone);
		return TLD_EZONE;
	}
	return TLD_OK;
}

/*
 * The journal entry current -> the new version under its temporary name,
 * from the delta, else from the image img.  A journal entry is an
 * optimisation (secondaries fall back to AXFR): failures are warnings and
 * leave p->journal_tmp empty.
 */
static void prepare_journal(struct tld_publish_prep *p, const struct tld_version_info *current,
                            const struct tld_zone_image *img, const struct tld_zone_delta *delta)
{
	struct tld_zone_image *prev_img = NULL, *diff = NULL;
	uint32_t serial = p->res.serial;
	int r;
	if (delta != NULL) {
		r = tld_zone_delta_journal(delta, &diff);
	} else {
		/* the previous image streamed, not loaded: one zone in memory, not two */
		r = tld_image_diff_file(current->image, img, &diff);
		if (r == TLD_EPARSE && (tld_image_load(current->image, &prev_img) != TLD_OK ||
		                        tld_image_diff(prev_img, img, &diff) != TLD_OK)) {
			r = TLD_EPARSE;
		} else if (r == TLD_EPARSE) {
			r = TLD_OK;  /* an image out of canonical order, loaded and sorted */
		}
	}
	if (r != TLD_OK) {
		tld_warning("previous version image %s unusable; no journal entry", current->image);
		goto done;
	}
	/* removed = records between the two SOAs */
	for (size_t i = 1; i < diff->count; i++) {
		struct tld_image_rr rr;
		tld_image_rr(diff, i, &rr);
		if (rr.type == TLD_RR_SOA) {
			p->res.removed = i - 1;
			p->res.added = diff->count - i - 1;
			break;
		}
	}
	p->res.journal_bytes = diff->len;
	if (path_fmt(p->journal, sizeof(p->journal), "%s/%s.%u-%u.ixfr", p->jdir, p->stem,
	             current->serial, serial) != TLD_OK ||
	    path_fmt(p->journal_tmp, sizeof(p->journal_tmp), "%s.tmp.%ld", p->journal,
	             (long)getpid()) != TLD_OK ||
	    mkdir_p(p->jdir) != TLD_OK || tld_image_save(diff, p->journal_tmp) != TLD_OK) {
		if (p->journal_tmp[0] != 0) {
			unlink(p->journal_tmp);
		}
		p->journal_tmp[0] = 0;
		tld_warning("journal entry %u -> %u not written; secondaries will use AXFR",
		            current->serial, serial);
	}
done:
	tld_image_free(prev_img);
	tld_image_free(diff);
}

/* -- public API -- */

int tld_publish_prepare(const struct tld_config *cfg, const struct tld_version_info *current,
                        const char *signed_path, const struct tld_publish_opts *opts,
                        tld_publish_prep_t **out)
{
	struct tld_publish_prep *p = calloc(1, sizeof(*p));
	struct tld_zone_image *img = NULL;
	struct tld_zone_delta *delta = NULL;
	struct zone_text zt = { .fd = -1 };
	struct side_job digest = { .hex = NULL };
	int r = TLD_ENOMEM;
	if (p == NULL) {
		return TLD_ENOMEM;
	}
	p->cfg = cfg;
	p->defer_prune = opts != NULL && opts->defer_prune;
	zone_stem(cfg->zone, p->stem, sizeof(p->stem));
	if (current != NULL) {
		p->had_current = true;
		p->current_id = current->id;
		p->res.had_previous = true;
		p->res.previous_serial = current->serial;
	}
	if ((r = text_open(signed_path, &zt)) != TLD_OK) {
		goto fail;
	}
	/* the digest made by the text's writer, else on a thread of its own until needed: a serial
	 * not newer, or the end */
	digest = (struct side_job){ .text = zt.text, .len = zt.len, .hex = p->res.digest };
	const struct tld_text_digest *given = opts != NULL && opts->link_input ? opts->text_digest : NULL;
	bool whole = given != NULL && strlen(given->hex) == 64;
	bool part = given != NULL && !whole && given->partial != NULL && given->partial->len <= zt.len &&
	            given->partial->with_check;
	bool trusted = (whole || part) && tld_file_ident_same(zt.fd, given->ident);
	if (trusted && whole) {
		memcpy(p->res.digest, given->hex, sizeof(p->res.digest));
		digest.check = given->check;
	} else {
		digest.from = trusted ? given->partial : NULL;
		tld_side_start(&digest.run, digest_job, &digest);
	}
	/* from the current version and the lines that changed, else from the whole text */
	double t0 = tld_mono_seconds(), main_cpu = tld_thread_cpu_seconds();
	r = current == NULL ? TLD_EAGAIN
	                    : tld_zone_delta_plan(current, signed_path, zt.text, zt.len, &delta);
	if (r != TLD_OK) {
		tld_info("%s: preparing from the whole text", signed_path);
		r = tld_image_from_zone_text(signed_path, zt.text, zt.len, &img);
	}
	double plan_cpu = tld_thread_cpu_seconds() - main_cpu, plan_seconds = tld_mono_seconds() - t0;
	if (r != TLD_OK) {
		goto fail;
	}
	const uint8_t *soa = delta != NULL ? tld_zone_delta_soa(delta) : img->data + img->rr[img->soa];
	if ((r = check_apex(cfg, soa, signed_path)) != TLD_OK) {
		goto fail;
	}
	p->res.serial = delta != NULL ? tld_zone_delta_serial(delta) : img->serial;
	p->res.records = delta != NULL ? tld_zone_delta_records(delta) : img->count;
	snprintf(p->res.image_check, sizeof(p->res.image_check), "%016llx",
	         (unsigned long long)(delta != NULL ? tld_zone_delta_check(delta) : tld_image_check(img)));
	if (current != NULL && !tld_serial_lt(current->serial, p->res.serial)) {
		if ((r = side_join(&digest)) != TLD_OK) {
			goto fail;
		}
		if (current->serial == p->res.serial && strcmp(p->res.digest, current->digest) == 0) {
			/* the same serial with the same content: unchanged */
			p->res.unchanged = true;
			snprintf(p->res.file, sizeof(p->res.file), "%s", current->file);
			tld_image_free(img);
			tld_zone_delta_free(delta);
			text_close(&zt);
			*out = p;
			return TLD_OK;
		}
		tld_error("%s: serial %u is not newer than the published serial %u", signed_path,
		          p->res.serial, current->serial);
		r = TLD_EZONE;
		goto fail;
	}
	if ((r = mkdir_p(cfg->output.dir)) != TLD_OK) {
		tld_error("%s: cannot create: %s", cfg->output.dir, tld_strerror(r));
		goto fail;
	}
	tld_publish_sweep(cfg);
	if ((r = path_fmt(p->jdir, sizeof(p->jdir), "%s/journal", cfg->state_dir)) != TLD_OK) {
		goto fail;
	}
	long pid = (long)getpid();
	if ((r = path_fmt(p->res.file, sizeof(p->res.file), "%s/%s.%u.zone", cfg->output.dir, p->stem,
	                  p->res.serial)) != TLD_OK ||
	    (r = path_fmt(p->image, sizeof(p->image), "%s/%s.%u.img", cfg->output.dir, p->stem,
	                  p->res.serial)) != TLD_OK ||
	    (r = path_fmt(p->zone_tmp, sizeof(p->zone_tmp), "%s.tmp.%ld", p->res.file, pid)) != TLD_OK ||
	    (r = path_fmt(p->image_tmp, sizeof(p->image_tmp), "%s.tmp.%ld", p->image, pid)) != TLD_OK) {
		p->zone_tmp[0] = p->image_tmp[0] = 0;
		goto fail;
	}
	unlink(p->zone_tmp);
	if ((r = write_zone_tmp(&zt, opts != NULL && opts->link_input, p->zone_tmp)) != TLD_OK) {
		goto fail;
	}
	struct side_job save = { .img = img, .delta = delta, .path = p->image_tmp };
	tld_side_start(&save.run, save_job, &save);
	if (current != NULL) {
		prepare_journal(p, current, img, delta);
	}
	if ((r = side_join(&save)) != TLD_OK || (r = side_join(&digest)) != TLD_OK) {
		goto fail;
	}
	tld_debug("publish: prepared in %.3f s (CPU s in brackets): %s %.3f (%.3f), image file %.3f "
	          "(%.3f), SHA-256 and check %.3f (%.3f) %s, the rest (%.3f)",
	          tld_mono_seconds() - t0, delta != NULL ? "delta" : "whole text", plan_seconds, plan_cpu,
	          save.run.seconds, save.run.cpu_seconds, digest.run.seconds, digest.run.cpu_seconds,
	          !trusted ? "beside them" : whole ? "made by the writer of the file"
	          : "beside them, gone on with from the writer's",
	          tld_thread_cpu_seconds() - main_cpu - plan_cpu);
	snprintf(p->res.text_check, sizeof(p->res.text_check), "%016llx", (unsigned long long)digest.check);
	text_close(&zt);
	tld_image_free(img);
	tld_zone_delta_free(delta);
	*out = p;
	return TLD_OK;
fail:
	side_join(&digest);  /* before the text goes */
	text_close(&zt);
	tld_image_free(img);
	tld_zone_delta_free(delta);
	tld_publish_abort(p);
	return r;
}

void tld_publish_abort(tld_publish_prep_t *p)
{
	if (p == NULL) {
		return;
	}
	const char *tmps[] = { p->zone_tmp, p->image_tmp, p->journal_tmp };
	for (size_t i = 0; i < sizeof(tmps) / sizeof(tmps[0]); i++) {
		if (tmps[i][0] != 0 && unlink(tmps[i]) != 0 && errno != ENOENT) {
			tld_warning("%s: cannot remove: %s", tmps[i], strerror(errno));
		}
	}
	free(p);
}

/* remove_named() in the output directory and the journal directory.  \return how many were removed */
static size_t remove_left(const struct tld_config *cfg, enum left_file what)
{
	char stem[256], jdir[PATH_MAX];
	zone_stem(cfg->zone, stem, sizeof(stem));
	size_t removed = remove_named(cfg->output.dir, stem, what);
	if (path_fmt(jdir, sizeof(jdir), "%s/journal", cfg->state_dir) == TLD_OK) {
		removed += remove_named(jdir, stem, what);
	}
	return removed;
}

void tld_publish_sweep(const struct tld_config *cfg)
{
	(void)remove_left(cfg, LEFT_TEMPORARY);
}

size_t tld_publish_remove_pruned(const struct tld_config *cfg)
{
	return remove_left(cfg, LEFT_PRUNED);
}

bool tld_publish_prep_unchanged(const tld_publish_prep_t *p)
{
	return p->res.unchanged;
}

int tld_publish_commit(tld_publish_prep_t *p, tld_statedb_t *db, struct tld_publish_result *res)
{
	const struct tld_config *cfg = p->cfg;
	struct tld_version_info cur;
	char link_tmp[PATH_MAX], link_path[PATH_MAX], target[PATH_MAX];
	int r;

	memset(res, 0, sizeof(*res));
	if (p->res.unchanged) {
		*res = p->res;
		tld_notice("serial %u is already published with the same content", res->serial);
		tld_publish_abort(p);
		return TLD_OK;
	}
	/* the caller holds the lock; still, never commit against another current version */
	r = tld_versions_current(db, &cur);
	if ((r != TLD_OK && r != TLD_ENOENT) ||
	    (r == TLD_OK) != p->had_current || (r == TLD_OK && cur.id != p->current_id)) {
		tld_error("the current version changed while serial %u was prepared; not published",
		          p->res.serial);
		tld_publish_abort(p);
		return r == TLD_OK || r == TLD_ENOENT ? TLD_ESTATE : r;
	}
	if (rename(p->zone_tmp, p->res.file) != 0 || rename(p->image_tmp, p->image) != 0) {
		r = tld_errno(errno);
		tld_error("%s: rename failed: %s", p->res.file, strerror(errno));
		goto fail;
	}
	p->zone_tmp[0] = p->image_tmp[0] = 0;
	const char *journal = NULL;
	if (p->journal_tmp[0] != 0) {
		if (rename(p->journal_tmp, p->journal) == 0 && fsync_dir(p->jdir) == TLD_OK) {
			journal = p->journal;
			p->journal_tmp[0] = 0;
		} else {
			tld_warning("journal entry %u -> %u not written; secondaries will use AXFR",
			            p->res.previous_serial, p->res.serial);
		}
	}
	if ((r = fsync_dir(cfg->output.dir)) != TLD_OK) {
		tld_error("%s: fsync failed: %s", cfg->output.dir, tld_strerror(r));
		goto fail;
	}
	if ((r = tld_versions_record(db, &p->res, p->image, journal)) != TLD_OK) {
		goto fail;
	}
	/* the commit point is passed; what follows is housekeeping */
	*res = p->res;
	bool defer_prune = p->defer_prune;
	tld_publish_abort(p);  /* removes nothing but a journal temporary that was not renamed */
	p = NULL;
	char stem[256];
	zone_stem(cfg->zone, stem, sizeof(stem));
	if (path_fmt(link_path, sizeof(link_path), "%s/%s.zone", cfg->output.dir, stem) == TLD_OK &&
	    path_fmt(link_tmp, sizeof(link_tmp), "%s.tmp.%ld", link_path, (long)getpid()) == TLD_OK &&
	    path_fmt(target, sizeof(target), "%s.%u.zone", stem, res->serial) == TLD_OK) {
		unlink(link_tmp);
		if (symlink(target, link_tmp) != 0 || rename(link_tmp, link_path) != 0) {
			tld_warning("%s: cannot update the current-version link: %s", link_path,
			            strerror(errno));
			unlink(link_tmp);
		}
	}
	fsync_dir(cfg->output.dir);
	if (tld_versions_prune(cfg, db, defer_prune) != TLD_OK) {
		tld_warning("old versions were not pruned");
	}
	tld_notice("published serial %u (%zu records, %zu removed, %zu added) as %s", res->serial,
	           res->records, res->removed, res->added, res->file);
	return run_after_publish(cfg->output.after_publish, res->file, res->serial, res);
fail:
	tld_publish_abort(p);
	return r;
}

int tld_publish_zone_file(const struct tld_config *cfg, tld_statedb_t *db,
                          const char *signed_path, struct tld_publish_result *res)
{
	struct tld_version_info cur;
	tld_publish_prep_t *p = NULL;
	memset(res, 0, sizeof(*res));
	int r = tld_versions_current(db, &cur);
	if (r != TLD_OK && r != TLD_ENOENT) {
		return r;
	}
	r = tld_publish_prepare(cfg, r == TLD_OK ? &cur : NULL, signed_path, NULL, &p);
	if (r != TLD_OK) {
		return r;
	}
	return tld_publish_commit(p, db, res);
}
