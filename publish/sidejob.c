/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/sidejob.h"

#include <stddef.h>
#include <time.h>

static double clock_seconds(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0) {
		return 0;
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double tld_side_thread_cpu(void)
{
	return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

double tld_side_now(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

/* Runs the job, noting the CPU time it took. */
static void side_run(struct tld_side_job *job)
{
	double t0 = tld_side_now(), c0 = tld_side_thread_cpu();
	job->fn(job->arg);
	job->cpu_seconds = tld_side_thread_cpu() - c0;
	job->seconds = tld_side_now() - t0;
}

static void *side_main(void *p)
{
	side_run(p);
	return NULL;
}

void tld_side_start(struct tld_side_job *job, void (*fn)(void *arg), void *arg)
{
	job->fn = fn;
	job->arg = arg;
	job->seconds = job->cpu_seconds = 0;
	job->started = pthread_create(&job->thread, NULL, side_main, job) == 0;
	if (!job->started) {
		side_run(job);
	}
}

void tld_side_join(struct tld_side_job *job)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = false;
	}
}
