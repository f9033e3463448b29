/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/atomic_file: whole files or nothing; never a rename over what is not a regular file. */
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "tests/tap/tap.h"

enum then_how {
	THEN_BUFFERED,   /* then written and left in the stream's buffer */
	THEN_FLUSHED,    /* then written and fflush()ed to the file */
	THEN_UNBUFFERED, /* the stream unbuffered from the start: then goes to the file at once */
};

/*
 * Writes first, syncs (or not), writes then (as how says), commits; the
 * file must hold both, and the temporary must have been fsynced `fsyncs`
 * times from the open to the end of the commit.
 */
static void commit_case(const char *path, const char *first, const char *then, bool sync,
                        enum then_how how, int (*commit)(tld_atomic_file_t *), size_t fsyncs,
                        const char *what)
{
	tld_atomic_file_t *f = NULL;
	size_t len = 0, n0 = tld_atomic_file_fsync_count();
	is_int(TLD_OK, tld_atomic_file_open(path, 0, &f), "%s: opened", what);
	if (how == THEN_UNBUFFERED) {
		ok(setvbuf(tld_atomic_file_stream(f), NULL, _IONBF, 0) == 0, "%s: unbuffered", what);
	}
	fputs(first, tld_atomic_file_stream(f));
	if (sync) {
		is_int(TLD_OK, tld_atomic_file_sync(f), "%s: synced", what);
	}
	fputs(then, tld_atomic_file_stream(f));
	if (how == THEN_FLUSHED) {
		ok(fflush(tld_atomic_file_stream(f)) == 0, "%s: flushed", what);
	}
	is_int(TLD_OK, commit(f), "%s: committed", what);
	is_int((long long)fsyncs, (long long)(tld_atomic_file_fsync_count() - n0),
	       "%s: the temporary fsynced %zu times", what, fsyncs);
	size_t wlen = strlen(first) + strlen(then);
	char *want = malloc(wlen + 1);
	snprintf(want, wlen + 1, "%s%s", first, then);
	char *text = tap_read_file(path, &len);
	is_mem(want, wlen, text, text != NULL ? len : 0, "%s: the new content", what);
	free(text);
	free(want);
}

/*
 * Synced, then a second sync that fails (its fsync on /dev/null put where
 * the temporary's descriptor was, after writing `then` there or nothing),
 * the descriptor put back: commit_synced() must not take the first sync for
 * the last, it refuses or fsyncs again.
 */
static void failed_sync_case(const char *path, const char *then, const char *what)
{
	tld_atomic_file_t *f = NULL;
	is_int(TLD_OK, tld_atomic_file_open(path, 0, &f), "%s: opened", what);
	FILE *fp = tld_atomic_file_stream(f);
	fputs("ten\n", fp);
	is_int(TLD_OK, tld_atomic_file_sync(f), "%s: synced", what);
	int fd = fileno(fp), saved = dup(fd), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || null < 0 || dup2(null, fd) != fd) {
		skip("%s: no /dev/null in the place of the descriptor", what);
		if (saved >= 0) {
			close(saved);
		}
		if (null >= 0) {
			close(null);
		}
		tld_atomic_file_abort(f);
		return;
	}
	fputs(then, fp);
	ok(tld_atomic_file_sync(f) != TLD_OK, "%s: the second sync fails (fsync of /dev/null)", what);
	ok(dup2(saved, fd) == fd, "%s: the descriptor put back", what);
	close(saved);
	close(null);
	size_t n0 = tld_atomic_file_fsync_count();
	int ret = tld_atomic_file_commit_synced(f);
	ok(ret != TLD_OK || tld_atomic_file_fsync_count() == n0 + 1,
	   "%s: committed as synced, refused (%s) or fsynced again (%zu)", what, tld_strerror(ret),
	   tld_atomic_file_fsync_count() - n0);
}

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	char dir[] = "/tmp/tldsign-atomic.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		skip_all("mkdtemp failed");
	}
	char path[256], link_path[256], fifo[256], sub[256];
	snprintf(path, sizeof(path), "%s/file", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);

	is_int(TLD_OK, tld_atomic_write(path, "one\n", 4, 0), "a new file is written");
	is_int(TLD_OK, tld_atomic_write(path, "two\n", 4, 0), "a regular file is replaced");
	size_t len = 0;
	char *text = tap_read_file(path, &len);
	is_mem("two\n", 4, text, text != NULL ? len : 0, "with the new content");
	free(text);

	tld_atomic_file_t *f = NULL;
	is_int(TLD_OK, tld_atomic_file_open(path, 0, &f), "opened again");
	fputs("three\n", tld_atomic_file_stream(f));
	tld_atomic_file_abort(f);
	text = tap_read_file(path, &len);
	is_mem("two\n", 4, text, text != NULL ? len : 0, "an aborted write leaves the file as it was");
	free(text);

	/* synced ahead, then aborted or committed */
	is_int(TLD_OK, tld_atomic_file_open(path, 0, &f), "opened for a sync ahead");
	fputs("four\n", tld_atomic_file_stream(f));
	is_int(TLD_OK, tld_atomic_file_sync(f), "synced");
	text = tap_read_file(path, &len);
	is_mem("two\n", 4, text, text != NULL ? len : 0, "synced: the file not replaced yet");
	free(text);
	tld_atomic_file_abort(f);
	text = tap_read_file(path, &len);
	is_mem("two\n", 4, text, text != NULL ? len : 0, "synced, then aborted: the file as it was");
	free(text);
	commit_case(path, "five\n", "", true, THEN_BUFFERED, tld_atomic_file_commit, 2,
	            "synced, then committed");
	/* committed without a second fsync: only what the sync wrote, else as commit() */
	commit_case(path, "six\n", "", true, THEN_BUFFERED, tld_atomic_file_commit_synced, 1,
	            "synced, committed as synced");
	commit_case(path, "six\n", "", true, THEN_UNBUFFERED, tld_atomic_file_commit_synced, 1,
	            "unbuffered, synced, committed as synced");
	commit_case(path, "seven\n", "eight\n", true, THEN_BUFFERED, tld_atomic_file_commit_synced, 2,
	            "written after its sync, committed as synced");
	commit_case(path, "seven\n", "eight\n", true, THEN_FLUSHED, tld_atomic_file_commit_synced, 2,
	            "written and flushed after its sync, committed as synced");
	commit_case(path, "seven\n", "eight\n", true, THEN_UNBUFFERED, tld_atomic_file_commit_synced,
	            2, "written unbuffered after its sync, committed as synced");
	size_t big_len = (3u << 20) / 2; /* more than the stream's 1 MiB buffer: written through */
	char *big = malloc(big_len + 1);
	memset(big, 'x', big_len);
	big[big_len] = 0;
	commit_case(path, "seven\n", big, true, THEN_BUFFERED, tld_atomic_file_commit_synced, 2,
	            "1.5 MiB written after its sync, committed as synced");
	free(big);
	commit_case(path, "nine\n", "", false, THEN_BUFFERED, tld_atomic_file_commit_synced, 1,
	            "never synced, committed as synced");
	commit_case(path, "", "", false, THEN_UNBUFFERED, tld_atomic_file_commit_synced, 1,
	            "never synced and empty (at offset 0), committed as synced");
	failed_sync_case(path, "", "a second sync failed, nothing written since the first");
	failed_sync_case(path, "eleven\n", "a second sync failed, written since the first");
	glob_t left;
	char pat[600];
	snprintf(pat, sizeof(pat), "%s.tmp.*", path);
	is_int(GLOB_NOMATCH, glob(pat, 0, NULL, &left), "no temporary left");

	/* what a rename would wrongly replace */
	struct stat before, after;
	ok(stat("/dev/null", &before) == 0 && S_ISCHR(before.st_mode), "/dev/null is a device");
	is_int(TLD_EINVAL, tld_atomic_write("/dev/null", "x", 1, 0), "/dev/null is refused");
	ok(stat("/dev/null", &after) == 0 && S_ISCHR(after.st_mode), "/dev/null is still the device");
	ok(symlink("/dev/null", link_path) == 0, "a link to /dev/null");
	is_int(TLD_EINVAL, tld_atomic_write(link_path, "x", 1, 0), "a link to a device is refused");
	struct stat ls;
	ok(lstat(link_path, &ls) == 0 && S_ISLNK(ls.st_mode), "the link is left alone");
	ok(mkfifo(fifo, 0600) == 0, "a FIFO");
	is_int(TLD_EINVAL, tld_atomic_write(fifo, "x", 1, 0), "a FIFO is refused");
	ok(mkdir(sub, 0700) == 0, "a directory");
	is_int(TLD_EINVAL, tld_atomic_write(sub, "x", 1, 0), "a directory is refused");

	unlink(path);
	unlink(link_path);
	unlink(fifo);
	rmdir(sub);
	rmdir(dir);
	return exit_status();
}
