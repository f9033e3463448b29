/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The two clocks the benchmark tools print: wall (monotonic) and the CPU time
 * of the whole process (all threads, user + system), in seconds.
 */
#pragma once

#include <sys/resource.h>
#include <time.h>

static inline double bench_wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
