/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "common/side_job.h"

#include <stddef.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

/* Runs the job, noting the CPU time it took. */
static void side_run(struct tld_side_job *job)
{
	double t0 = tld_mono_seconds(), c0 = tld_thread_cpu_seconds();
	job->fn(job->arg);
	job->cpu_seconds = tld_thread_cpu_seconds() - c0;
	job->seconds = tld_mono_seconds() - t0;
}

static void *side_main(void *p)
{
	struct tld_side_job *job = p;
	if (job->nice != 0) {
		tld_thread_nice(job->nice);
	}
	side_run(job);
	return NULL;
}

void tld_side_start_nice(struct tld_side_job *job, void (*fn)(void *arg), void *arg, int nice)
{
	job->fn = fn;
	job->arg = arg;
	job->nice = nice;
	job->seconds = job->cpu_seconds = 0;
	job->started = pthread_create(&job->thread, NULL, side_main, job) == 0;
	if (!job->started) {
		side_run(job); /* here: the caller's thread keeps its nice value */
	}
}

void tld_side_start(struct tld_side_job *job, void (*fn)(void *arg), void *arg)
{
	tld_side_start_nice(job, fn, arg, 0);
}

void tld_side_join(struct tld_side_job *job)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = false;
	}
}

void tld_thread_nice(int nice)
{
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), nice);
}
