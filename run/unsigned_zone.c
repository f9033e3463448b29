/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * STATE_DIR/unsigned.zone, written once with its SHA-256 computed on the way,
 * here or on a thread beside the run (run/unsigned.h).  The file is for
 * operators and `tldsign sign`: the run's own signer gets the zone in memory,
 * and every run rebuilds the file from the export, so it is renamed into
 * place without fsync; a crash leaves the previous file or the new one, and
 * the next run rewrites it either way.
 *
 * The file is made from zonegen's build (formatted here, or from the text
 * prepared beside the handover) or, for a run that already holds the whole
 * text in memory (tld_run_unsigned_text()), from that text: written and
 * hashed in pieces of 1 MiB, each hashed while it is in the cache and then
 * written -- or, for the patch run (tld_run_unsigned_write_mapped()),
 * formatted on both cores straight into the temporary file, which is mapped
 * as the run's text and then hashed from that mapping by the job, and
 * renamed.  The same temporary file, rename and digest every way; the job
 * (start/finish) is the same.  tld_run_file_sha256_hex() hashes a file
 * already there through a mapping (tools and tests; the patch run hashes the
 * previous run's file from the mapping it compares: run/stage_patch.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/side_job.h"
#include "common/textcheck.h"
#include "run/unsigned.h"
#include "zonegen/zonegen.h"

/* A FILE that hashes what passes through it (md not NULL) into the file underneath. */
struct tee {
	FILE *under;
	EVP_MD_CTX *md;
	int err;                   /* errno of the first failed write */
};

static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
	struct tee *t = cookie;
	if (t->md != NULL && EVP_DigestUpdate(t->md, buf, size) != 1) {
		t->err = EIO;
		errno = EIO;
		return -1;
	}
	if (fwrite(buf, 1, size, t->under) != size) {
		t->err = errno ? errno : EIO;
		errno = t->err;
		return -1;
	}
	return (ssize_t)size;
}

static int text_block_out(void *ctx, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? TLD_OK : TLD_EIO;
}

/*
 * Writes the zone through the tee into under: the text made beside the
 * fill when there is one (taken), else formatted here (with zonegen's
 * helper thread beside the calling one when helper is set); returns TLD_OK
 * or the failure.
 */
static int write_through(const struct tld_zonegen *zg, struct tld_zonegen_text *text, bool helper,
                         struct tee *t)
{
	cookie_io_functions_t io = { .write = tee_write };
	FILE *f = fopencookie(t, "w", io);
	if (f == NULL) {
		tld_zonegen_text_free(text);
		return TLD_ENOMEM;
	}
	errno = 0;
	int err = TLD_EAGAIN;
	if (text != NULL) {
		/* TLD_EAGAIN: the text is incomplete and nothing was written; formatted below */
		err = tld_zonegen_text_drain(text, text_block_out, f);
		tld_zonegen_text_free(text);
	}
	if (err == TLD_EAGAIN) {
		/* beside the run: one core at most; on the run's path (helper): both */
		err = helper ? tld_zonegen_write(zg, f) : tld_zonegen_write_alone(zg, f);
	}
	int e = errno;
	if (fclose(f) != 0 && err == TLD_OK) {
		err = TLD_EIO;
		e = errno;
	}
	if (err != TLD_OK && (t->err != 0 || e != 0)) {
		err = tld_errno(t->err != 0 ? t->err : e); /* ENOSPC, EDQUOT, ... */
	}
	return err;
}

/*
 * What the file is made of: a text in memory, else zonegen's build (from
 * text when not NULL) -- or a temporary file already written, whose text
 * buf is (its mapping): then only hashed and renamed into place.
 */
struct content {
	const struct tld_zonegen *zg;
	struct tld_zonegen_text *text; /*!< taken by the write */
	const char *buf;               /*!< the caller's, len bytes; NULL: formatted from zg */
	size_t len;
	char *written;                 /*!< the temporary file holding buf (taken); NULL: none */
};

/* Text written and hashed in pieces that stay in the cache between the two. */
#define PIECE ((size_t)1 << 20)

/* buf[0, len) hashed into md and written to fd; TLD_OK, the write's errno-mapped failure, TLD_ECRYPTO. */
static int write_buffer(int fd, const char *buf, size_t len, EVP_MD_CTX *md)
{
	for (size_t at = 0; at < len;) {
		size_t n = len - at < PIECE ? len - at : PIECE;
		if (EVP_DigestUpdate(md, buf + at, n) != 1) {
			return TLD_ECRYPTO;
		}
		for (size_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + at + done, n - done);
			if (w < 0 && errno == EINTR) {
				continue;
			}
			if (w <= 0) {
				return tld_errno(w < 0 ? errno : EIO);
			}
			done += (size_t)w;
		}
		at += n;
	}
	return TLD_OK;
}

/* A SHA-256 context, initialised; NULL when out of memory or the digest is missing. */
static EVP_MD_CTX *sha256_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

/*
 * A new temporary file beside path ("path.tmp.XXXXXX", mode 0644): its name
 * (caller frees) and descriptor; TLD_OK, TLD_ENOMEM or errno-mapped (logged;
 * nothing left behind).
 */
static int make_tmp(const char *path, char **tmp_out, int *fd_out)
{
	size_t len = strlen(path) + sizeof(".tmp.XXXXXX");
	char *tmp = malloc(len);
	if (tmp == NULL) {
		return TLD_ENOMEM;
	}
	snprintf(tmp, len, "%s.tmp.XXXXXX", path); /* swept by the next run if this one dies */
	int fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0644) != 0) {
		int e = errno;
		tld_error("%s: %s", tmp, strerror(e));
		if (fd >= 0) {
			close(fd);
			(void)unlink(tmp);
		}
		free(tmp);
		return tld_errno(e);
	}
	*tmp_out = tmp;
	*fd_out = fd;
	return TLD_OK;
}

/* tld_run_write_unsigned() with the hash context given, initialised (not
 * freed here), of c (its text and written file taken). */
static int write_hashed(const struct content *c, const char *path, EVP_MD_CTX *md, char hex[65])
{
	struct tld_zonegen_text *text = c->text;
	char *tmp = c->written;
	struct tee t = { .md = md };
	int fd = -1, err = TLD_OK;
	bool created = false;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	if (tmp == NULL && (err = make_tmp(path, &tmp, &fd)) != TLD_OK) {
		tld_zonegen_text_free(text);
		tmp = NULL;
		goto fail;
	}
	created = true;
	if (c->written != NULL) {
		/* written already (tld_run_unsigned_write_mapped()): hashed from its mapping */
		if (c->len > 0 && EVP_DigestUpdate(md, c->buf, c->len) != 1) {
			err = TLD_ECRYPTO;
			goto fail;
		}
	} else if (c->buf != NULL) {
		err = write_buffer(fd, c->buf, c->len, md);
		int e = close(fd) != 0 ? errno : 0;
		fd = -1;
		if (err == TLD_OK && e != 0) {
			err = tld_errno(e);
		}
		if (err != TLD_OK) {
			goto fail;
		}
	} else {
		if ((t.under = fdopen(fd, "w")) == NULL) {
			err = tld_errno(errno);
			tld_zonegen_text_free(text);
			goto fail;
		}
		fd = -1;
		if ((err = write_through(c->zg, text, false, &t)) != TLD_OK) {
			goto fail;
		}
		FILE *under = t.under;
		t.under = NULL;
		if (fclose(under) != 0) {
			err = tld_errno(errno);
			goto fail;
		}
	}
	if (EVP_DigestFinal_ex(t.md, d, &dlen) != 1 || dlen != 32) {
		err = TLD_ECRYPTO;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		err = tld_errno(errno);
		tld_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < dlen; i++) {
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	}
	free(tmp);
	return TLD_OK;
fail:
	if (t.under != NULL) {
		fclose(t.under);
	}
	if (fd >= 0) {
		close(fd);
	}
	if (created) {
		(void)unlink(tmp);
	}
	if (err != TLD_ENOMEM && err != TLD_ECRYPTO) {
		tld_error("%s: writing the unsigned zone failed: %s", path, tld_strerror(err));
	}
	free(tmp);
	return err;
}

struct tld_run_unsigned_job {
	struct content content;     /*!< its text taken by the write */
	const char *path;
	EVP_MD_CTX *md;             /*!< initialised by the caller of tld_run_unsigned_start() */
	struct tld_side_job job;    /*!< its thread at JOB_YIELD_NICE beside a patch (tld_run_unsigned_write_mapped()) */
	int err;                    /*!< with hex: read after the join */
	char hex[65];
};

/*
 * The nice value of the job beside a patch (run/unsigned.h): its hashing
 * yields the core to the patch's own threads while they run -- and, on a
 * fall-back, to the full sign's until it ends (the nice value is not
 * lowered again: the run waits for the job after the signing).
 */
#define JOB_YIELD_NICE 19

/*
 * The zone formatted on both cores into a new temporary file beside path,
 * not hashed, and that file mapped: its name (caller frees; the file is the
 * caller's to rename or remove) and its text.  TLD_OK; TLD_ENOMEM also when
 * it cannot be mapped; errno-mapped (logged).  On failure nothing is left.
 */
static int write_unhashed_mapped(const struct tld_zonegen *zg, const char *path, char **tmp_out,
                                 char **text, size_t *len)
{
	char *tmp = NULL;
	int fd = -1;
	int err = make_tmp(path, &tmp, &fd);
	if (err != TLD_OK) {
		return err;
	}
	struct tee t = { .under = fdopen(fd, "w") };
	if (t.under == NULL) {
		err = tld_errno(errno);
		close(fd);
	} else {
		err = write_through(zg, NULL, true, &t);
	}
	void *map = MAP_FAILED;
	struct stat st;
	if (err == TLD_OK && (fflush(t.under) != 0 || fstat(fileno(t.under), &st) != 0)) {
		err = tld_errno(errno);
	}
	if (err == TLD_OK) { /* never empty: the SOA is there */
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(t.under), 0);
		err = map == MAP_FAILED || st.st_size <= 0 ? TLD_ENOMEM : TLD_OK;
	}
	if (t.under != NULL && fclose(t.under) != 0 && err == TLD_OK) {
		err = tld_errno(errno);
	}
	if (err != TLD_OK) {
		if (map != MAP_FAILED) {
			munmap(map, (size_t)st.st_size);
		}
		if (err != TLD_ENOMEM) {
			tld_error("%s: writing the unsigned zone failed: %s", tmp, tld_strerror(err));
		}
		(void)unlink(tmp);
		free(tmp);
		return err;
	}
	*tmp_out = tmp;
	*text = map;
	*len = (size_t)st.st_size;
	return TLD_OK;
}

static void job_main(void *arg)
{
	struct tld_run_unsigned_job *j = arg;
	j->err = write_hashed(&j->content, j->path, j->md, j->hex);
	j->content.text = NULL; /* taken */
	j->content.written = NULL;
}

/* -- public API -- */

int tld_run_write_unsigned(const struct tld_zonegen *zg, const char *path, char hex[65])
{
	EVP_MD_CTX *md = sha256_new();
	if (md == NULL) {
		return TLD_ECRYPTO;
	}
	struct content c = { .zg = zg };
	int err = write_hashed(&c, path, md, hex);
	EVP_MD_CTX_free(md);
	return err;
}

/* Starts the job writing c (its text taken, success or not); yields: see JOB_YIELD_NICE. */
static int job_start(const struct content *c, const char *path, bool yields, struct tld_run_unsigned_job **out)
{
	struct tld_run_unsigned_job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		tld_zonegen_text_free(c->text);
		return TLD_ENOMEM;
	}
	/* here, not on the thread: the fetch of the digest takes OpenSSL's locks,
	 * which must not be held by a thread when the signer forks its HSM workers */
	if ((j->md = sha256_new()) == NULL) {
		tld_zonegen_text_free(c->text);
		free(j);
		return TLD_ECRYPTO;
	}
	j->content = *c;
	j->path = path;
	tld_side_start_nice(&j->job, job_main, j, yields ? JOB_YIELD_NICE : 0);
	*out = j;
	return TLD_OK;
}

int tld_run_unsigned_start(const struct tld_zonegen *zg, struct tld_zonegen_text *text,
                           const char *path, struct tld_run_unsigned_job **out)
{
	struct content c = { .zg = zg, .text = text };
	return job_start(&c, path, false, out);
}

int tld_run_unsigned_write_buffer(const char *text, size_t len, const char *path,
                                  struct tld_run_unsigned_job **out)
{
	struct content c = { .buf = text != NULL ? text : "", .len = text != NULL ? len : 0 };
	return job_start(&c, path, false, out);
}

int tld_run_unsigned_write_mapped(const struct tld_zonegen *zg, const char *path,
                                  struct tld_run_unsigned_job **out, char **text, size_t *len)
{
	struct content c = { .zg = zg };
	char *map = NULL;
	size_t map_len = 0;
	int err = write_unhashed_mapped(zg, path, &c.written, &map, &map_len);
	if (err != TLD_OK) {
		return err;
	}
	c.buf = map;
	c.len = map_len;
	if ((err = job_start(&c, path, true, out)) != TLD_OK) {
		(void)unlink(c.written); /* nothing left */
		free(c.written);
		munmap(map, map_len);
		return err;
	}
	*text = map;
	*len = map_len;
	return TLD_OK;
}

int tld_run_file_sha256_hex(const char *path, char hex[65], size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
		}
		if (e != ENOENT) {
			tld_error("%s: %s", path, strerror(e));
		}
		return tld_errno(e);
	}
	size_t len = (size_t)st.st_size;
	void *map = len > 0 ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	int e = map == MAP_FAILED ? errno : 0;
	close(fd);
	if (map == MAP_FAILED) {
		tld_error("%s: %s", path, strerror(e));
		return tld_errno(e);
	}
	if (map != NULL) {
		(void)madvise(map, len, MADV_SEQUENTIAL); /* a hint: read ahead */
	}
	int err = tld_zone_text_digest(map != NULL ? map : "", len, hex);
	if (map != NULL) {
		munmap(map, len);
	}
	if (err == TLD_OK && size != NULL) {
		*size = len;
	}
	return err;
}

int tld_run_unsigned_finish(struct tld_run_unsigned_job *j, char hex[65], double *seconds,
                            double *cpu_seconds)
{
	if (j == NULL) {
		return TLD_OK;
	}
	tld_side_join(&j->job);
	int err = j->err;
	if (err == TLD_OK && hex != NULL) {
		memcpy(hex, j->hex, 65);
	}
	if (seconds != NULL) {
		*seconds = j->job.seconds;
	}
	if (cpu_seconds != NULL) {
		*cpu_seconds = j->job.cpu_seconds;
	}
	EVP_MD_CTX_free(j->md);
	free(j);
	return err;
}
