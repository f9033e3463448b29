/* SPDX-License-Identifier: GPL-3.0-or-later */
/* STATE_DIR/unsigned.zone and its digest on a thread beside the run (run/unsigned.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "run/unsigned.h"

struct tld_run_unsigned_job {
	const struct tld_zonegen *zg;
	const char *path;
	pthread_t thread;
	bool threaded;
	int err;                    /*!< with hex and the times: read after the join */
	char hex[65];
	double seconds;             /*!< wall time */
	double cpu_seconds;         /*!< CPU time of the writing thread */
};

/* -- internal API -- */

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *job_main(void *arg)
{
	struct tld_run_unsigned_job *j = arg;
	double t0 = clock_seconds(CLOCK_MONOTONIC), c0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	j->err = tld_run_write_unsigned(j->zg, j->path, j->hex);
	j->seconds = clock_seconds(CLOCK_MONOTONIC) - t0;
	j->cpu_seconds = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* -- public API -- */

int tld_run_unsigned_start(const struct tld_zonegen *zg, const char *path,
                           struct tld_run_unsigned_job **out)
{
	struct tld_run_unsigned_job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		return TLD_ENOMEM;
	}
	j->zg = zg;
	j->path = path;
	j->threaded = pthread_create(&j->thread, NULL, job_main, j) == 0;
	if (!j->threaded) {
		job_main(j); /* no thread to be had: the same work, here */
	}
	*out = j;
	return TLD_OK;
}

int tld_run_unsigned_finish(struct tld_run_unsigned_job *j, char hex[65], double *seconds,
                            double *cpu_seconds)
{
	if (j == NULL) {
		return TLD_OK;
	}
	if (j->threaded) {
		pthread_join(j->thread, NULL);
	}
	int err = j->err;
	if (err == TLD_OK && hex != NULL) {
		memcpy(hex, j->hex, 65);
	}
	if (seconds != NULL) {
		*seconds = j->seconds;
	}
	if (cpu_seconds != NULL) {
		*cpu_seconds = j->cpu_seconds;
	}
	free(j);
	return err;
}
