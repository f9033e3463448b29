/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/progress.h"

/* -- internal API -- */

/* -- public API -- */

void tld_progress_start(struct tld_progress *p, const char *what, uint64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->last_ms = 0;
	p->enabled = isatty(STDERR_FILENO) == 1;
}

void tld_progress_update(struct tld_progress *p, uint64_t done)
{
	p->done = done;
	if (!p->enabled) {
		return;
	}
	int64_t now = tld_mono_ms();
	if (now - p->last_ms < 200 && done != p->total) {
		return;
	}
	p->last_ms = now;
	if (p->total > 0) {
		fprintf(stderr, "\r%s: %llu/%llu (%u%%)   ", p->what, (unsigned long long)done,
		        (unsigned long long)p->total, (unsigned)(done * 100 / p->total));
	} else {
		fprintf(stderr, "\r%s: %llu   ", p->what, (unsigned long long)done);
	}
	fflush(stderr);
}

void tld_progress_end(struct tld_progress *p)
{
	if (p->enabled) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}
