/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"

/* -- internal API -- */

static enum tld_log_level g_level = TLD_LOG_NOTICE;
static bool g_syslog = false;

static const char *level_name(enum tld_log_level level)
{
	switch (level) {
	case TLD_LOG_ERROR:   return "error";
	case TLD_LOG_WARNING: return "warning";
	case TLD_LOG_NOTICE:  return "notice";
	case TLD_LOG_INFO:    return "info";
	default:              return "debug";
	}
}

static int syslog_priority(enum tld_log_level level)
{
	switch (level) {
	case TLD_LOG_ERROR:   return LOG_ERR;
	case TLD_LOG_WARNING: return LOG_WARNING;
	case TLD_LOG_NOTICE:  return LOG_NOTICE;
	case TLD_LOG_INFO:    return LOG_INFO;
	default:              return LOG_DEBUG;
	}
}

/* -- public API -- */

void tld_log_init(enum tld_log_level level, bool use_syslog)
{
	g_level = level;
	if (use_syslog && !g_syslog) {
		openlog("tldsign", LOG_PID, LOG_DAEMON);
	}
	g_syslog = use_syslog;
}

enum tld_log_level tld_log_level(void)
{
	return g_level;
}

void tld_log(enum tld_log_level level, const char *fmt, ...)
{
	if (level > g_level) {
		return;
	}
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	char line[2200];
	int n = snprintf(line, sizeof(line), "tldsign: %s: %s\n", level_name(level), msg);
	if (n > (int)sizeof(line) - 1) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (n > 0) {
		ssize_t w = write(STDERR_FILENO, line, (size_t)n);
		(void)w;
	}
	if (g_syslog) {
		syslog(syslog_priority(level), "%s", msg);
	}
}
