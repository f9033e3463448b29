/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/publish.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "publish/zoneimage.h"


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

int tld_versions_init(tld_statedb_t *db)
{
	return tld_statedb_exec(db,
		"CREATE TABLE IF NOT EXISTS publish_versions ("
		" id INTEGER PRIMARY KEY AUTOINCREMENT, serial INTEGER NOT NULL,"
		" digest TEXT NOT NULL, file TEXT NOT NULL, image TEXT NOT NULL,"
		" records INTEGER NOT NULL, time INTEGER NOT NULL);"
		"CREATE TABLE IF NOT EXISTS publish_journal ("
		" id INTEGER PRIMARY KEY AUTOINCREMENT, from_serial INTEGER NOT NULL,"
		" to_serial INTEGER NOT NULL, file TEXT NOT NULL, bytes INTEGER NOT NULL,"
		" time INTEGER NOT NULL);");
}

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

int tld_versions_current(tld_statedb_t *db, struct tld_version_info *out)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *h = tld_statedb_handle(db);
	int r = tld_versions_init(db);
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(h, "SELECT id, serial, file, image, digest, time FROM publish_versions"
	                       " ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading the current version");
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->serial = (uint32_t)sqlite3_column_int64(st, 1);
		copy_text(out->file, sizeof(out->file), sqlite3_column_text(st, 2));
		copy_text(out->image, sizeof(out->image), sqlite3_column_text(st, 3));
		copy_text(out->digest, sizeof(out->digest), sqlite3_column_text(st, 4));
		out->time = sqlite3_column_int64(st, 5);
		r = TLD_OK;
	} else if (rc == SQLITE_DONE) {
		r = TLD_ENOENT;
	} else {
		r = tld_statedb_error(db, "reading the current version");
	}
	sqlite3_finalize(st);
	return r;
}

int tld_journal_list(tld_statedb_t *db, struct tld_journal_info **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct tld_journal_info *arr = NULL;
	size_t cnt = 0, cap = 0;
	int r = tld_versions_init(db), rc;
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT from_serial, to_serial, file, bytes FROM publish_journal ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading the journal");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			struct tld_journal_info *a = realloc(arr, cap * sizeof(*a));
			if (a == NULL) {
				r = TLD_ENOMEM;
				goto fail;
			}
			arr = a;
		}
		arr[cnt].from_serial = (uint32_t)sqlite3_column_int64(st, 0);
		arr[cnt].to_serial = (uint32_t)sqlite3_column_int64(st, 1);
		copy_text(arr[cnt].file, sizeof(arr[cnt].file), sqlite3_column_text(st, 2));
		arr[cnt].bytes = (uint64_t)sqlite3_column_int64(st, 3);
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		r = tld_statedb_error(db, "reading the journal");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = arr;
	*n = cnt;
	return TLD_OK;
fail:
	sqlite3_finalize(st);
	free(arr);
	return r;
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
	path_fmt(tmp, sizeof(tmp), "%s", dir);
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

/* Copies src to a temporary file in dst's directory, fsyncs, renames to dst; SHA-256 hex into digest. */
static int copy_atomic(const char *src, const char *dst, char digest[65])
{
	char tmp[PATH_MAX];
	uint8_t buf[1 << 16], md[32];
	unsigned mdlen = 0;
	int in = -1, outfd = -1, r = TLD_EIO;
	EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();

	path_fmt(tmp, sizeof(tmp), "%s.tmp.%ld", dst, (long)getpid());
	if (md_ctx == NULL || !EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL)) {
		r = TLD_ECRYPTO;
		goto fail;
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		r = tld_errno(errno);
		tld_error("%s: cannot open: %s", src, strerror(errno));
		goto fail;
	}
	outfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (outfd < 0) {
		r = tld_errno(errno);
		tld_error("%s: cannot create: %s", tmp, strerror(errno));
		goto fail;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			tld_error("%s: read failed: %s", src, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			break;
		}
		EVP_DigestUpdate(md_ctx, buf, (size_t)n);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(outfd, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR) {
				tld_error("%s: write failed: %s", tmp, strerror(errno));
				goto fail;
			}
			off += w > 0 ? w : 0;
		}
	}
	if (fsync(outfd) != 0 || close(outfd) != 0) {
		outfd = -1;
		tld_error("%s: fsync failed: %s", tmp, strerror(errno));
		goto fail;
	}
	outfd = -1;
	if (rename(tmp, dst) != 0) {
		tld_error("%s: rename failed: %s", dst, strerror(errno));
		goto fail;
	}
	EVP_DigestFinal_ex(md_ctx, md, &mdlen);
	for (unsigned i = 0; i < 32; i++) {
		snprintf(digest + 2 * i, 3, "%02x", md[i]);
	}
	close(in);
	EVP_MD_CTX_free(md_ctx);
	return TLD_OK;
fail:
	if (in >= 0) {
		close(in);
	}
	if (outfd >= 0) {
		close(outfd);
	}
	unlink(tmp);
	EVP_MD_CTX_free(md_ctx);
	return r;
}

static int save_image_atomic(const struct tld_zone_image *img, const char *dst)
{
	char tmp[PATH_MAX];
	path_fmt(tmp, sizeof(tmp), "%s.tmp.%ld", dst, (long)getpid());
	int r = tld_image_save(img, tmp);
	if (r == TLD_OK && rename(tmp, dst) != 0) {
		tld_error("%s: rename failed: %s", dst, strerror(errno));
		r = tld_errno(errno);
	}
	if (r != TLD_OK) {
		unlink(tmp);
	}
	return r;
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

/* Deletes versions beyond keep and journal entries beyond the bounds; files after commit. */
static int prune(const struct tld_config *cfg, tld_statedb_t *db)
{
	sqlite3 *h = tld_statedb_handle(db);
	sqlite3_stmt *st = NULL;
	char **victims = NULL;
	size_t nv = 0, cap = 0;
	unsigned keep = cfg->output.keep ? cfg->output.keep : 1;
	int r = TLD_ESTATE;
	uint64_t total = 0;
	int64_t cut_id = -1;
	unsigned count = 0;

	/* journal: newest first; stop at count or size bound */
	if (sqlite3_prepare_v2(h, "SELECT id, bytes FROM publish_journal ORDER BY id DESC", -1, &st,
	                       NULL) != SQLITE_OK) {
		goto fail;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		total += (uint64_t)sqlite3_column_int64(st, 1);
		if (++count > TLD_JOURNAL_MAX_ENTRIES || total > TLD_JOURNAL_MAX_BYTES) {
			cut_id = sqlite3_column_int64(st, 0);
			break;
		}
	}
	sqlite3_finalize(st);
	st = NULL;

	char sql[512];
	snprintf(sql, sizeof(sql),
	         "SELECT file FROM publish_versions WHERE id <= (SELECT id FROM publish_versions"
	         " ORDER BY id DESC LIMIT 1 OFFSET %u)"
	         " UNION ALL SELECT image FROM publish_versions WHERE id <= (SELECT id FROM"
	         " publish_versions ORDER BY id DESC LIMIT 1 OFFSET %u)"
	         " UNION ALL SELECT file FROM publish_journal WHERE id <= %lld",
	         keep, keep, (long long)cut_id);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		goto fail;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			char **v = realloc(victims, cap * sizeof(*v));
			if (v == NULL) {
				r = TLD_ENOMEM;
				goto fail;
			}
			victims = v;
		}
		victims[nv] = strdup((const char *)sqlite3_column_text(st, 0));
		if (victims[nv] == NULL) {
			r = TLD_ENOMEM;
			goto fail;
		}
		nv++;
	}
	sqlite3_finalize(st);
	st = NULL;
	snprintf(sql, sizeof(sql),
	         "DELETE FROM publish_versions WHERE id <= (SELECT id FROM publish_versions"
	         " ORDER BY id DESC LIMIT 1 OFFSET %u); DELETE FROM publish_journal WHERE id <= %lld;",
	         keep, (long long)cut_id);
	r = tld_statedb_begin(db);
	if (r == TLD_OK) {
		r = tld_statedb_exec(db, sql);
	}
	if (r == TLD_OK) {
		r = tld_statedb_commit(db);
	}
	if (r != TLD_OK) {
		tld_statedb_rollback(db);
		goto fail;
	}
	for (size_t i = 0; i < nv; i++) {
		if (unlink(victims[i]) != 0 && errno != ENOENT) {
			tld_warning("%s: cannot remove old version file: %s", victims[i], strerror(errno));
		}
	}
	r = TLD_OK;
fail:
	if (r == TLD_ESTATE) {
		tld_statedb_error(db, "pruning old versions");
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < nv; i++) {
		free(victims[i]);
	}
	free(victims);
	return r;
}

/* Removes temporary files left by a publish that was killed (the caller holds the lock). */
static void remove_stale_temporaries(const char *dir, const char *stem)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(stem);
	char path[PATH_MAX];
	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name[0] == '.' ? e->d_name + 1 : e->d_name;
		if (strncmp(n, stem, sl) == 0 && n[sl] == '.' && strstr(n, ".tmp.") != NULL &&
		    path_fmt(path, sizeof(path), "%s/%s", dir, e->d_name) == TLD_OK) {
			if (unlink(path) == 0) {
				tld_info("removed %s, left by an interrupted publish", path);
			}
		}
	}
	closedir(d);
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

static int record_version(tld_statedb_t *db, const struct tld_publish_result *res,
                          const char *image, const char *journal_file)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *h = tld_statedb_handle(db);
	int r = tld_statedb_begin(db);
	if (r != TLD_OK) {
		return r;
	}
	if (sqlite3_prepare_v2(h, "INSERT INTO publish_versions (serial, digest, file, image, records,"
	                       " time) VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		goto fail;
	}
	sqlite3_bind_int64(st, 1, res->serial);
	sqlite3_bind_text(st, 2, res->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, res->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, image, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)res->records);
	sqlite3_bind_int64(st, 6, tld_now());
	if (sqlite3_step(st) != SQLITE_DONE) {
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (journal_file != NULL) {
		if (sqlite3_prepare_v2(h, "INSERT INTO publish_journal (from_serial, to_serial, file,"
		                       " bytes, time) VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
			goto fail;
		}
		sqlite3_bind_int64(st, 1, res->previous_serial);
		sqlite3_bind_int64(st, 2, res->serial);
		sqlite3_bind_text(st, 3, journal_file, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)res->journal_bytes);
		sqlite3_bind_int64(st, 5, tld_now());
		if (sqlite3_step(st) != SQLITE_DONE) {
			goto fail;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	return tld_statedb_commit(db);
fail:
	r = tld_statedb_error(db, "recording the published version");
	sqlite3_finalize(st);
	tld_statedb_rollback(db);
	return r;
}

int tld_publish_zone_file(const struct tld_config *cfg, tld_statedb_t *db,
                          const char *signed_path, struct tld_publish_result *res)
{
	struct tld_zone_image *img = NULL, *prev_img = NULL, *diff = NULL;
	struct tld_version_info cur;
	char stem[256], image[PATH_MAX], jdir[PATH_MAX], jfile[PATH_MAX], link_tmp[PATH_MAX],
	     link_path[PATH_MAX], target[PATH_MAX];
	bool have_journal = false;
	int r;

	memset(res, 0, sizeof(*res));
	zone_stem(cfg->zone, stem, sizeof(stem));
	r = tld_image_from_zone_file(signed_path, &img);
	if (r != TLD_OK) {
		goto fail;
	}
	/* the SOA owner must be the configured zone */
	struct tld_image_rr soa;
	uint8_t apex[TLD_DNS_MAXNAME];
	size_t apex_len;
	tld_image_rr(img, img->soa, &soa);
	if (tld_name_from_text(cfg->zone, apex, &apex_len) != TLD_OK || apex_len != soa.owner_len ||
	    memcmp(apex, soa.owner, apex_len) != 0) {
		tld_error("%s: the SOA is not at the apex of zone %s", signed_path, cfg->zone);
		r = TLD_EZONE;
		goto fail;
	}
	res->serial = img->serial;
	res->records = img->count;
	r = tld_versions_current(db, &cur);
	if (r == TLD_OK) {
		res->had_previous = true;
		res->previous_serial = cur.serial;
	} else if (r != TLD_ENOENT) {
		goto fail;
	}
	if (res->had_previous && !tld_serial_lt(cur.serial, img->serial)) {
		if (cur.serial == img->serial) {
			char digest[65] = "";
			/* same serial: unchanged when the content is the same */
			path_fmt(image, sizeof(image), "%s/.%s.check", cfg->output.dir, stem);
			r = copy_atomic(signed_path, image, digest);
			unlink(image);
			if (r == TLD_OK && strcmp(digest, cur.digest) == 0) {
				res->unchanged = true;
				snprintf(res->digest, sizeof(res->digest), "%s", digest);
				path_fmt(res->file, sizeof(res->file), "%s", cur.file);
				tld_notice("serial %u is already published with the same content", cur.serial);
				goto done;
			}
		}
		tld_error("%s: serial %u is not newer than the published serial %u", signed_path,
		          img->serial, cur.serial);
		r = TLD_EZONE;
		goto fail;
	}
	r = mkdir_p(cfg->output.dir);
	if (r != TLD_OK) {
		tld_error("%s: cannot create: %s", cfg->output.dir, tld_strerror(r));
		goto fail;
	}
	remove_stale_temporaries(cfg->output.dir, stem);
	if (path_fmt(jdir, sizeof(jdir), "%s/journal", cfg->state_dir) == TLD_OK) {
		remove_stale_temporaries(jdir, stem);
	}
	path_fmt(res->file, sizeof(res->file), "%s/%s.%u.zone", cfg->output.dir, stem, img->serial);
	path_fmt(image, sizeof(image), "%s/%s.%u.img", cfg->output.dir, stem, img->serial);
	r = copy_atomic(signed_path, res->file, res->digest);
	if (r == TLD_OK) {
		r = save_image_atomic(img, image);
	}
	if (r != TLD_OK) {
		goto fail;
	}
	if (res->had_previous && tld_image_load(cur.image, &prev_img) == TLD_OK &&
	    tld_image_diff(prev_img, img, &diff) == TLD_OK) {
		path_fmt(jdir, sizeof(jdir), "%s/journal", cfg->state_dir);
		path_fmt(jfile, sizeof(jfile), "%s/%s.%u-%u.ixfr", jdir, stem, cur.serial, img->serial);
		/* removed = records between the two SOAs */
		for (size_t i = 1; i < diff->count; i++) {
			struct tld_image_rr rr;
			tld_image_rr(diff, i, &rr);
			if (rr.type == TLD_RR_SOA) {
				res->removed = i - 1;
				res->added = diff->count - i - 1;
				break;
			}
		}
		res->journal_bytes = diff->len;
		if (mkdir_p(jdir) == TLD_OK && save_image_atomic(diff, jfile) == TLD_OK &&
		    fsync_dir(jdir) == TLD_OK) {
			have_journal = true;
		} else {
			tld_warning("journal entry %u -> %u not written; secondaries will use AXFR",
			            cur.serial, img->serial);
		}
	} else if (res->had_previous) {
		tld_warning("previous version image %s unusable; no journal entry", cur.image);
	}
	r = fsync_dir(cfg->output.dir);
	if (r != TLD_OK) {
		goto fail;
	}
	r = record_version(db, res, image, have_journal ? jfile : NULL);
	if (r != TLD_OK) {
		goto fail;
	}
	/* the commit point is passed; what follows is housekeeping */
	path_fmt(link_path, sizeof(link_path), "%s/%s.zone", cfg->output.dir, stem);
	path_fmt(link_tmp, sizeof(link_tmp), "%s.tmp.%ld", link_path, (long)getpid());
	path_fmt(target, sizeof(target), "%s.%u.zone", stem, img->serial);
	unlink(link_tmp);
	if (symlink(target, link_tmp) != 0 || rename(link_tmp, link_path) != 0) {
		tld_warning("%s: cannot update the current-version link: %s", link_path, strerror(errno));
		unlink(link_tmp);
	}
	fsync_dir(cfg->output.dir);
	if (prune(cfg, db) != TLD_OK) {
		tld_warning("old versions were not pruned");
	}
	tld_notice("published serial %u (%zu records, %zu removed, %zu added) as %s", res->serial,
	           res->records, res->removed, res->added, res->file);
	r = run_after_publish(cfg->output.after_publish, res->file, res->serial, res);
done:
	tld_image_free(img);
	tld_image_free(prev_img);
	tld_image_free(diff);
	return r;
fail:
	tld_image_free(img);
	tld_image_free(prev_img);
	tld_image_free(diff);
	return r;
}
