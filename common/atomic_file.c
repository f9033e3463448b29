/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"

struct tld_atomic_file {
	FILE *stream;
	char *path;
	char *tmp;
	off_t synced_at;           /* the stream's position when the last tld_atomic_file_sync() succeeded; -1: none did */
};

/* fsync() calls on temporaries (tld_atomic_file_fsync_count(), for tests) */
static atomic_size_t fsyncs;

/* -- internal API -- */

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		return TLD_ENOMEM;
	}
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = TLD_OK;
	if (fd < 0 || fsync(fd) != 0) {
		err = tld_errno(errno);
		tld_error("cannot fsync the directory of %s: %s", path, strerror(errno));
	}
	if (fd >= 0) {
		close(fd);
	}
	free(copy);
	return err;
}

/* fsync() of a temporary, counted */
static int fsync_counted(int fd)
{
	atomic_fetch_add_explicit(&fsyncs, 1, memory_order_relaxed);
	return fsync(fd);
}

static void handle_free(tld_atomic_file_t *f)
{
	free(f->path);
	free(f->tmp);
	free(f);
}

/* -- public API -- */

int tld_atomic_file_open(const char *path, unsigned mode, tld_atomic_file_t **out)
{
	/* the rename would put a regular file in the place of a device (/dev/null,
	 * /dev/stdout's target), a FIFO or a socket: refuse what is not one */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		tld_error("%s exists and is not a regular file: not replaced (files are written to a "
		          "temporary file and renamed into place; name a regular file, or '-' for standard "
		          "output where the command takes it)", path);
		return TLD_EINVAL;
	}
	tld_atomic_file_t *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return TLD_ENOMEM;
	}
	f->synced_at = -1; /* not synced */
	size_t len = strlen(path) + sizeof(".tmp.XXXXXX");
	f->path = strdup(path);
	f->tmp = malloc(len);
	if (f->path == NULL || f->tmp == NULL) {
		handle_free(f);
		return TLD_ENOMEM;
	}
	snprintf(f->tmp, len, "%s.tmp.XXXXXX", path);
	int fd = mkostemp(f->tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = tld_errno(errno);
		tld_error("cannot create a temporary file next to %s: %s", path, strerror(errno));
		handle_free(f);
		return err;
	}
	if (fchmod(fd, mode ? mode : 0644) != 0 || (f->stream = fdopen(fd, "w")) == NULL) {
		int err = tld_errno(errno);
		tld_error("cannot prepare %s: %s", f->tmp, strerror(errno));
		close(fd);
		unlink(f->tmp);
		handle_free(f);
		return err;
	}
	setvbuf(f->stream, NULL, _IOFBF, 1 << 20);
	*out = f;
	return TLD_OK;
}

FILE *tld_atomic_file_stream(tld_atomic_file_t *f)
{
	return f->stream;
}

int tld_atomic_file_sync(tld_atomic_file_t *f)
{
	f->synced_at = -1; /* until this one succeeds */
	if (fflush(f->stream) != 0 || ferror(f->stream) || fsync_counted(fileno(f->stream)) != 0) {
		int err = tld_errno(errno);
		tld_error("cannot write %s: %s", f->path, strerror(errno));
		return err;
	}
	f->synced_at = ftello(f->stream); /* (-1 when it cannot tell: commit_synced() then fsyncs again) */
	return TLD_OK;
}

/* Closes the synced temporary, renames it over the target, fsyncs the directory; frees f. */
static int rename_synced(tld_atomic_file_t *f, int err)
{
	if (fclose(f->stream) != 0 && err == TLD_OK) {
		err = tld_errno(errno);
		tld_error("cannot close %s: %s", f->path, strerror(errno));
	}
	f->stream = NULL;
	if (err == TLD_OK && rename(f->tmp, f->path) != 0) {
		err = tld_errno(errno);
		tld_error("cannot rename %s to %s: %s", f->tmp, f->path, strerror(errno));
	}
	if (err != TLD_OK) {
		unlink(f->tmp);
	} else {
		err = fsync_dir_of(f->path);
	}
	handle_free(f);
	return err;
}

int tld_atomic_file_commit(tld_atomic_file_t *f)
{
	return rename_synced(f, tld_atomic_file_sync(f));
}

int tld_atomic_file_commit_synced(tld_atomic_file_t *f)
{
	/*
	 * nothing written since the last sync, which succeeded: the stream where
	 * it was then (bytes that went to the fd since, by a large fwrite, a
	 * flush or an unbuffered stream, moved it) and nothing buffered (the
	 * close writes nothing)
	 */
	if (f->synced_at < 0 || ftello(f->stream) != f->synced_at || __fpending(f->stream) != 0) {
		return tld_atomic_file_commit(f);
	}
	return rename_synced(f, ferror(f->stream) ? TLD_EIO : TLD_OK);
}

void tld_atomic_file_abort(tld_atomic_file_t *f)
{
	if (f == NULL) {
		return;
	}
	if (f->stream != NULL) {
		fclose(f->stream);
	}
	unlink(f->tmp);
	handle_free(f);
}

size_t tld_atomic_file_fsync_count(void)
{
	return atomic_load_explicit(&fsyncs, memory_order_relaxed);
}

int tld_atomic_write(const char *path, const void *data, size_t len, unsigned mode)
{
	tld_atomic_file_t *f = NULL;
	int err = tld_atomic_file_open(path, mode, &f);
	if (err != TLD_OK) {
		return err;
	}
	if (len > 0 && fwrite(data, 1, len, f->stream) != len) {
		err = tld_errno(errno);
		tld_error("cannot write %s: %s", path, strerror(errno));
		tld_atomic_file_abort(f);
		return err;
	}
	return tld_atomic_file_commit(f);
}
