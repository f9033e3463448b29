/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/lock: exclusive, released on close and on process death. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/lock.h"
#include "common/log.h"
#include "tests/tap/tap.h"

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	char dir[] = "/tmp/tldsign-lock.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		skip_all("mkdtemp failed");
	}
	char state[256];
	snprintf(state, sizeof(state), "%s/state", dir);

	tld_lock_t *a = NULL, *b = NULL;
	is_int(TLD_OK, tld_lock_acquire(state, &a), "first lock taken (creates the state dir)");

	/* a second holder in another process must be refused */
	pid_t child = fork();
	if (child == 0) {
		tld_lock_t *c = NULL;
		int err = tld_lock_acquire(state, &c);
		_exit(err == TLD_ELOCKED ? 0 : 1);
	}
	int status = 0;
	waitpid(child, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "second process gets TLD_ELOCKED");

	tld_lock_release(a);
	is_int(TLD_OK, tld_lock_acquire(state, &b), "lock taken again after release");
	tld_lock_release(b);

	/* a holder killed with SIGKILL leaves no stale lock */
	int pipefd[2];
	if (pipe(pipefd) != 0) {
		skip_all("pipe failed");
	}
	child = fork();
	if (child == 0) {
		tld_lock_t *c = NULL;
		int err = tld_lock_acquire(state, &c);
		char r = err == TLD_OK ? 'y' : 'n';
		if (write(pipefd[1], &r, 1) != 1) {
			_exit(2);
		}
		pause();
		_exit(0);
	}
	char r = 0;
	ok(read(pipefd[0], &r, 1) == 1 && r == 'y', "child holds the lock");
	is_int(TLD_ELOCKED, tld_lock_acquire(state, &b), "parent refused while child holds it");
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	is_int(TLD_OK, tld_lock_acquire(state, &b), "lock free after holder was killed -9");
	tld_lock_release(b);
	tld_lock_release(NULL);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		diag("cleanup failed");
	}
	return exit_status();
}
