/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/sidejob.h"

#include <stddef.h>

static void *side_main(void *p)
{
	struct tld_side_job *job = p;
	job->fn(job->arg);
	return NULL;
}

void tld_side_start(struct tld_side_job *job, void (*fn)(void *arg), void *arg)
{
	job->fn = fn;
	job->arg = arg;
	job->started = pthread_create(&job->thread, NULL, side_main, job) == 0;
	if (!job->started) {
		fn(arg);
	}
}

void tld_side_join(struct tld_side_job *job)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = false;
	}
}
