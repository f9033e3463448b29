/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one time source.  Every time-dependent decision (signature inception
 * and expiration, key states, serials, export age) reads tld_now(), which is
 * the global --now when given and otherwise the wall clock captured once at
 * start-up, so a whole run sees one instant.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*! Seconds since the Unix epoch, UTC. */
typedef int64_t tld_time_t;

/*! Fixes "now" for the process (from --now, or the wall clock at start). */
void tld_clock_set(tld_time_t now);

/*! "Now" as fixed by tld_clock_set(); the wall clock if it was never called. */
tld_time_t tld_now(void);

/*
 * Timers for logs and measurements only (never for a decision: those read
 * tld_now()).  Seconds as double, 0 if the clock cannot be read.
 */
/*! Monotonic wall-clock seconds (CLOCK_MONOTONIC). */
double tld_mono_seconds(void);
/*! Monotonic milliseconds (CLOCK_MONOTONIC), for timeouts. */
int64_t tld_mono_ms(void);
/*! CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID). */
double tld_thread_cpu_seconds(void);
/*! CPU seconds of the whole process (CLOCK_PROCESS_CPUTIME_ID). */
double tld_process_cpu_seconds(void);

/*! Whether the clock was pinned by --now. */
int tld_clock_is_pinned(void);
void tld_clock_pin(tld_time_t now);

/*!
 * \brief Parses RFC 3339 ("2026-11-21T10:00:00Z", offsets "+01:00",
 *        optional fraction which is dropped) or plain Unix seconds.
 * \param[in]  text  the time
 * \param[out] out   seconds since the epoch; written only on success
 * \return TLD_OK or TLD_EINVAL
 */
int tld_time_parse(const char *text, tld_time_t *out);

/*! Formats as RFC 3339 UTC ("2026-11-21T10:00:00Z") into buf (>= 21 bytes). */
char *tld_time_format(tld_time_t t, char *buf, size_t size);

/*!
 * \brief Parses a duration: an integer with optional unit s, m, h, d, w, y
 *        (y = 365 days); plain digits are seconds.
 * \param[out] out  seconds; written only on success
 * \return TLD_OK, TLD_EINVAL (syntax) or TLD_ERANGE (overflow)
 */
int tld_duration_parse(const char *text, int64_t *out);

/*! Formats a duration compactly ("90d", "1h30m", "0s") into buf. */
char *tld_duration_format(int64_t seconds, char *buf, size_t size);
