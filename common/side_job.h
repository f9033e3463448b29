/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A piece of work on a thread of its own beside the caller's (the digest
 * beside the parse, the image file beside the journal entry, the unsigned
 * file beside the patch, the verifier's cache beside its checks): run
 * inline when no thread can be had, so the result is the same either way.
 * The job (struct and argument) is the caller's, and must outlive the
 * join; a zeroed job that was never started joins at once.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct tld_side_job {
	void (*fn)(void *arg);
	void *arg;
	pthread_t thread;
	bool started;
	int nice;                  /*!< the thread's nice value (0: as the caller's); never the caller's own */
	double seconds;            /*!< wall time the job took, once joined */
	double cpu_seconds;        /*!< CPU time the job took (its thread's), once joined */
};

/*! \brief Runs fn(arg) on a thread of its own, or here and now when none can be had. */
void tld_side_start(struct tld_side_job *job, void (*fn)(void *arg), void *arg);

/*!
 * \brief tld_side_start() with the job's thread at nice value nice (a
 *        hint: only the speed depends on it), so that it yields its core to
 *        the caller's threads.  Run inline (no thread to be had), the
 *        caller's thread keeps its own.  The nice value is not lowered again.
 */
void tld_side_start_nice(struct tld_side_job *job, void (*fn)(void *arg), void *arg, int nice);

/*! \brief Waits for the job (a job never started, or joined, returns at once). */
void tld_side_join(struct tld_side_job *job);

/*!
 * \brief Sets the calling thread's nice value (Linux: per thread); a hint,
 *        failures ignored.  For threads of a job's own, never a caller's.
 */
void tld_thread_nice(int nice);
