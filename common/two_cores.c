/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two jobs at once (common/two_cores.h). */
#include "common/two_cores.h"

#include <pthread.h>
#include <stdbool.h>

void tld_two_cores(void *(*fn)(void *), void *first, void *second)
{
	pthread_t tid;
	bool threaded = pthread_create(&tid, NULL, fn, second) == 0;
	(void)fn(first);
	if (threaded) {
		pthread_join(tid, NULL);
	} else {
		(void)fn(second);
	}
}
