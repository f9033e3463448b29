/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/error.h"

/* -- internal API -- */

static tld_time_t g_now;
static int g_now_set;
static int g_pinned;

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i])) {
			return TLD_EINVAL;
		}
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return TLD_OK;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		return 29;
	}
	return dm[m - 1];
}

/* -- public API -- */

void tld_clock_set(tld_time_t now)
{
	g_now = now;
	g_now_set = 1;
}

void tld_clock_pin(tld_time_t now)
{
	tld_clock_set(now);
	g_pinned = 1;
}

int tld_clock_is_pinned(void)
{
	return g_pinned;
}

tld_time_t tld_now(void)
{
	if (!g_now_set) {
		return (tld_time_t)time(NULL);
	}
	return g_now;
}

int tld_time_parse(const char *text, tld_time_t *out)
{
	if (text == NULL || *text == '\0') {
		return TLD_EINVAL;
	}
	const char *p = text;
	/* plain Unix seconds */
	int all_digits = 1;
	for (const char *q = p; *q; q++) {
		if (!isdigit((unsigned char)*q)) {
			all_digits = 0;
			break;
		}
	}
	if (all_digits) {
		if (strlen(p) > 12) {
			return TLD_EINVAL;
		}
		*out = (tld_time_t)strtoll(p, NULL, 10);
		return TLD_OK;
	}

	int y, mo, d, h, mi, s;
	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) ||
	    *p++ != '-' || parse_digits(&p, 2, &d)) {
		return TLD_EINVAL;
	}
	if (*p != 'T' && *p != 't' && *p != ' ') {
		return TLD_EINVAL;
	}
	p++;
	if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi) ||
	    *p++ != ':' || parse_digits(&p, 2, &s)) {
		return TLD_EINVAL;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			return TLD_EINVAL;
		}
		while (isdigit((unsigned char)*p)) {
			p++;
		}
	}
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int oh, om;
		if (parse_digits(&p, 2, &oh) || *p++ != ':' || parse_digits(&p, 2, &om) ||
		    oh > 23 || om > 59) {
			return TLD_EINVAL;
		}
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return TLD_EINVAL;
	}
	if (*p != '\0') {
		return TLD_EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    s > 60) {
		return TLD_EINVAL;
	}
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*out = days * 86400 + h * 3600 + mi * 60 + (s == 60 ? 59 : s) - offset;
	return TLD_OK;
}

char *tld_time_format(tld_time_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(buf, size, "%" PRId64, t);
	}
	return buf;
}

int tld_duration_parse(const char *text, int64_t *out)
{
	if (text == NULL || !isdigit((unsigned char)*text)) {
		return TLD_EINVAL;
	}
	int64_t v = 0;
	const char *p = text;
	while (isdigit((unsigned char)*p)) {
		if (v > (INT64_MAX - 9) / 10) {
			return TLD_ERANGE;
		}
		v = v * 10 + (*p - '0');
		p++;
	}
	int64_t unit = 1;
	switch (*p) {
	case '\0': unit = 1; break;
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	case 'y': unit = 365 * 86400; break;
	default: return TLD_EINVAL;
	}
	if (*p != '\0' && p[1] != '\0') {
		return TLD_EINVAL;
	}
	if (v > INT64_MAX / unit) {
		return TLD_ERANGE;
	}
	*out = v * unit;
	return TLD_OK;
}

char *tld_duration_format(int64_t seconds, char *buf, size_t size)
{
	static const struct { int64_t len; char unit; } units[] = {
		{ 365 * 86400, 'y' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	if (seconds == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	size_t pos = 0;
	buf[0] = '\0';
	int64_t rest = seconds < 0 ? -seconds : seconds;
	if (seconds < 0 && pos + 1 < size) {
		buf[pos++] = '-';
		buf[pos] = '\0';
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && rest > 0; i++) {
		if (rest >= units[i].len) {
			int n = snprintf(buf + pos, size - pos, "%" PRId64 "%c", rest / units[i].len,
			                 units[i].unit);
			if (n < 0 || (size_t)n >= size - pos) {
				break;
			}
			pos += (size_t)n;
			rest %= units[i].len;
		}
	}
	return buf;
}

static double clock_seconds(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0) {
		return 0;
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double tld_mono_seconds(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

int64_t tld_mono_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		return 0;
	}
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double tld_thread_cpu_seconds(void)
{
	return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

double tld_process_cpu_seconds(void)
{
	return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}
