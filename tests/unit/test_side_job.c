/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * common/side_job.h and common/two_cores.h: the job runs once, on a thread
 * of its own, and is done at the join; tld_side_start_nice() sets the nice
 * value of the job's thread, never the caller's; a zeroed job never
 * started joins at once; tld_two_cores() runs both halves, one of them
 * beside the caller.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/side_job.h"
#include "common/two_cores.h"
#include "tests/tap/tap.h"

struct probe {
	int runs;
	pthread_t self;
	int nice;
};

static int my_nice(void)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, (id_t)gettid());
}

static void probe_fn(void *arg)
{
	struct probe *p = arg;
	p->runs++;
	p->self = pthread_self();
	p->nice = my_nice();
}

static void *probe_main(void *arg)
{
	probe_fn(arg);
	return NULL;
}

int main(void)
{
	plan_lazy();
	int caller_nice = my_nice();

	struct probe p = { 0 };
	struct tld_side_job job = { 0 };
	tld_side_join(&job); /* never started: at once */
	ok(p.runs == 0, "a zeroed job joins at once without running anything");

	tld_side_start(&job, probe_fn, &p);
	tld_side_join(&job);
	ok(p.runs == 1, "the job ran once by the join");
	ok(!pthread_equal(p.self, pthread_self()), "on a thread of its own");
	is_int(caller_nice, p.nice, "at the caller's nice value");
	ok(job.seconds >= 0 && job.cpu_seconds >= 0, "its times noted");
	tld_side_join(&job);
	ok(p.runs == 1, "a second join runs nothing");

	struct probe q = { 0 };
	tld_side_start_nice(&job, probe_fn, &q, 7);
	tld_side_join(&job);
	ok(q.runs == 1 && !pthread_equal(q.self, pthread_self()), "a niced job ran once, on its own thread");
	/* an absolute value; a thread without privilege cannot go below its own */
	is_int(caller_nice > 7 ? caller_nice : 7, q.nice, "its thread at nice 7 (the caller at %d)", caller_nice);
	is_int(caller_nice, my_nice(), "the caller's nice value unchanged");

	struct probe h[2] = { { 0 }, { 0 } };
	tld_two_cores(probe_main, &h[0], &h[1]);
	ok(h[0].runs == 1 && h[1].runs == 1, "two_cores: both halves ran once");
	ok(pthread_equal(h[0].self, pthread_self()), "two_cores: the first here");
	ok(!pthread_equal(h[1].self, pthread_self()), "two_cores: the second beside");

	return exit_status();
}
