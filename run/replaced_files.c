/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replaced files of the last published version freed off the critical path: see run/replaced_files.h. */
#include "run/replaced_files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/publish.h"

#define PATH_CAP (4096 + 16)

/* "to.old"  \return false when it does not fit */
static bool old_name(const char *to, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s.old", to);
	return n > 0 && (size_t)n < size;
}

static void remove_old(void *arg)
{
	struct replaced_job *job = arg;
	char old[PATH_CAP];
	for (size_t i = 0; i < job->count; i++) {
		if (old_name(job->paths[i], old, sizeof(old)) && unlink(old) == 0) {
			job->removed++;
		}
	}
	job->pruned = tld_publish_remove_pruned(job->cfg);
}

void run_start_remove_replaced(struct replaced_job *job, const struct tld_config *cfg,
                               const char *const *paths, size_t count)
{
	*job = (struct replaced_job){ .cfg = cfg, .count = count < 4 ? count : 4, .started = true };
	for (size_t i = 0; i < job->count; i++) {
		job->paths[i] = paths[i];
	}
	tld_side_start(&job->run, remove_old, job);
}

void run_join_remove_replaced(struct replaced_job *job)
{
	if (!job->started) {
		return;
	}
	tld_side_join(&job->run);
	job->started = false;
	tld_debug("run: %zu files the last publish replaced and %zu of versions it pruned removed in "
	          "%.3f s (%.3f CPU s) beside the run", job->removed, job->pruned, job->run.seconds,
	          job->run.cpu_seconds);
}

int run_replace_keeping_old(const char *from, const char *to)
{
	char tmp[PATH_CAP], old[PATH_CAP];
	if (snprintf(tmp, sizeof(tmp), "%s.linktmp", to) >= (int)sizeof(tmp)) {
		return TLD_ERANGE;
	}
	(void)unlink(tmp);
	if (old_name(to, old, sizeof(old))) {
		/* a second name for the file replaced: its blocks are freed by the next run */
		(void)unlink(old);
		if (link(to, old) != 0 && errno != ENOENT) {
			tld_debug("run: %s: no second name (%s); replaced and freed at once", to, strerror(errno));
		}
	}
	if (link(from, tmp) != 0 || rename(tmp, to) != 0) {
		int e = errno;
		(void)unlink(tmp);
		return tld_errno(e);
	}
	return TLD_OK;
}
