/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A piece of a publish preparation on a thread of its own (the digest
 * beside the parse, the image file beside the journal entry, the checks of
 * the current version beside the delta's text walk): run inline when no
 * thread can be had, so the result is the same either way.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct tld_side_job {
	void (*fn)(void *arg);
	void *arg;
	pthread_t thread;
	bool started;
	double seconds;            /*!< wall time the job took, once joined */
	double cpu_seconds;        /*!< CPU time the job took (its thread's), once joined */
};

/*! \brief Runs fn(arg) on a thread of its own, or here and now when none can be had. */
void tld_side_start(struct tld_side_job *job, void (*fn)(void *arg), void *arg);

/*! \brief Waits for the job (a job never started, or joined, returns at once). */
void tld_side_join(struct tld_side_job *job);
