/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/atomic_file: whole files or nothing; never a rename over what is not a regular file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "tests/tap/tap.h"

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
	is_int(TLD_OK, tld_atomic_file_open(path, 0, &f), "opened for a sync ahead again");
	fputs("five\n", tld_atomic_file_stream(f));
	is_int(TLD_OK, tld_atomic_file_sync(f), "synced again");
	is_int(TLD_OK, tld_atomic_file_commit(f), "then committed");
	text = tap_read_file(path, &len);
	is_mem("five\n", 5, text, text != NULL ? len : 0, "synced, then committed: the new content");
	free(text);

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
