/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/atomic_file: whole files or nothing; never a rename over what is not a regular file. */
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

/* Writes first, syncs (or not), writes then, commits; the file must hold both. */
static void commit_case(const char *path, const char *first, const char *then, bool sync,
                        int (*commit)(tld_atomic_file_t *), const char *what)
{
	tld_atomic_file_t *f = NULL;
	char want[64];
	size_t len = 0;
	is_int(TLD_OK, tld_atomic_file_open(path, 0, &f), "%s: opened", what);
	fputs(first, tld_atomic_file_stream(f));
	if (sync) {
		is_int(TLD_OK, tld_atomic_file_sync(f), "%s: synced", what);
	}
	fputs(then, tld_atomic_file_stream(f));
	is_int(TLD_OK, commit(f), "%s: committed", what);
	snprintf(want, sizeof(want), "%s%s", first, then);
	char *text = tap_read_file(path, &len);
	is_mem(want, strlen(want), text, text != NULL ? len : 0, "%s: the new content", what);
	free(text);
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
	commit_case(path, "five\n", "", true, tld_atomic_file_commit, "synced, then committed");
	/* committed without a second fsync: only what the sync wrote, else as commit() */
	commit_case(path, "six\n", "", true, tld_atomic_file_commit_synced, "synced, committed as synced");
	commit_case(path, "seven\n", "eight\n", true, tld_atomic_file_commit_synced,
	            "written after its sync, committed as synced");
	commit_case(path, "nine\n", "", false, tld_atomic_file_commit_synced,
	            "never synced, committed as synced");
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
