/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/lock.h"
#include "common/log.h"

struct tld_lock {
	int fd;
};

/* -- public API -- */

int tld_lock_acquire(const char *state_dir, tld_lock_t **out)
{
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		int err = tld_errno(errno);
		tld_error("cannot create state directory %s: %s", state_dir, strerror(errno));
		return err;
	}
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/lock", state_dir) >= (int)sizeof(path)) {
		return TLD_EINVAL;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int err = tld_errno(errno);
		tld_error("cannot open lock file %s: %s", path, strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int saved = errno;
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		if (n > 0) {
			pid[n] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
		}
		close(fd);
		if (saved == EWOULDBLOCK) {
			if (*pid) {
				tld_error("another run (pid %s) holds the lock %s", pid, path);
			} else {
				tld_error("another run holds the lock %s", path);
			}
			return TLD_ELOCKED;
		}
		tld_error("cannot lock %s: %s", path, strerror(saved));
		return tld_errno(saved);
	}
	tld_lock_t *lock = malloc(sizeof(*lock));
	if (lock == NULL) {
		close(fd);
		return TLD_ENOMEM;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0) {
		ssize_t w = pwrite(fd, pid, (size_t)len, 0);
		(void)w;
	}
	lock->fd = fd;
	*out = lock;
	return TLD_OK;
}

void tld_lock_release(tld_lock_t *lock)
{
	if (lock == NULL) {
		return;
	}
	if (ftruncate(lock->fd, 0) != 0) {
		/* the pid text is informational only */
	}
	flock(lock->fd, LOCK_UN);
	close(lock->fd);
	free(lock);
}
