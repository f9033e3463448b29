/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Progress on long work, shown on stderr only when stderr is a terminal
 * (never in cron mail or logs).  At most ~5 updates a second.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct tld_progress {
	const char *what;          /*!< "signing", "verifying", ... */
	uint64_t total;            /*!< 0 = unknown */
	uint64_t done;
	int64_t last_ms;
	bool enabled;
};

/*! Starts a progress display for `what` with `total` units (0 = unknown). */
void tld_progress_start(struct tld_progress *p, const char *what, uint64_t total);

/*! Sets the number of units done; redraws at most every 200 ms. */
void tld_progress_update(struct tld_progress *p, uint64_t done);

/*! Clears the progress line. */
void tld_progress_end(struct tld_progress *p);
