/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap/tap.h"

static int g_planned = -1;
static int g_count;
static int g_failed;
static int g_lazy;

static void vreport(bool cond, const char *fmt, va_list ap)
{
	g_count++;
	if (!cond) {
		g_failed++;
	}
	printf("%sok %d - ", cond ? "" : "not ", g_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

void plan(int n)
{
	g_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void plan_lazy(void)
{
	g_lazy = 1;
}

void skip_all(const char *reason, ...)
{
	va_list ap;
	va_start(ap, reason);
	printf("1..0 # SKIP ");
	vprintf(reason, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(0);
}

bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool is_int(long long expected, long long got, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool cond = expected == got;
	vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("expected %lld, got %lld", expected, got);
	}
	return cond;
}

bool is_str(const char *expected, const char *got, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool cond = (expected == NULL && got == NULL) ||
	            (expected != NULL && got != NULL && strcmp(expected, got) == 0);
	vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("expected '%s'", expected ? expected : "(null)");
		diag("     got '%s'", got ? got : "(null)");
	}
	return cond;
}

bool is_mem(const void *expected, size_t exp_len, const void *got, size_t got_len,
            const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool cond = exp_len == got_len && (exp_len == 0 || memcmp(expected, got, exp_len) == 0);
	vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("memory differs (expected %zu bytes, got %zu)", exp_len, got_len);
	}
	return cond;
}

void skip(const char *reason, ...)
{
	va_list ap;
	va_start(ap, reason);
	g_count++;
	printf("ok %d # SKIP ", g_count);
	vprintf(reason, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

int exit_status(void)
{
	if (g_lazy || g_planned < 0) {
		/* no plan given up front: the plan is what ran */
		printf("1..%d\n", g_count);
	} else if (g_planned >= 0 && g_planned != g_count) {
		diag("planned %d tests but ran %d", g_planned, g_count);
		return 1;
	}
	fflush(stdout);
	return g_failed == 0 ? 0 : 1;
}

const char *tap_vectors_dir(void)
{
	const char *env = getenv("TLDSIGN_VECTORS");
	if (env != NULL && *env != '\0') {
		return env;
	}
	return "../shared/vectors";
}

char *tap_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf != NULL) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n < cap) {
			break;
		}
		cap *= 2;
		char *nb = realloc(buf, cap + 1);
		if (nb == NULL) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		if (len != NULL) {
			*len = n;
		}
	}
	return buf;
}
