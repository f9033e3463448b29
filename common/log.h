/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging: to stderr ("tldsign: LEVEL: message"), and to syslog when asked.
 * Messages at or above the configured level are printed.  Thread-safe: one
 * message is written with one write(2).
 */
#pragma once

#include <stdbool.h>

enum tld_log_level {
	TLD_LOG_ERROR = 0,
	TLD_LOG_WARNING,
	TLD_LOG_NOTICE,
	TLD_LOG_INFO,
	TLD_LOG_DEBUG,
};

/*! Sets the threshold (default TLD_LOG_NOTICE) and whether syslog also receives messages. */
void tld_log_init(enum tld_log_level level, bool use_syslog);

/*! Current threshold. */
enum tld_log_level tld_log_level(void);

/*! Logs one message (printf format); a trailing newline is added. */
void tld_log(enum tld_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define tld_error(...)   tld_log(TLD_LOG_ERROR, __VA_ARGS__)
#define tld_warning(...) tld_log(TLD_LOG_WARNING, __VA_ARGS__)
#define tld_notice(...)  tld_log(TLD_LOG_NOTICE, __VA_ARGS__)
#define tld_info(...)    tld_log(TLD_LOG_INFO, __VA_ARGS__)
#define tld_debug(...)   tld_log(TLD_LOG_DEBUG, __VA_ARGS__)
