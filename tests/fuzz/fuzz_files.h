/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the fuzz targets (header-only, static): a file's bytes in memory and
 * whether two files hold the same bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*! The whole file, NUL-terminated (caller frees), or NULL. */
static inline char *fuzz_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	*len = 0;
	if (fp != NULL && fseek(fp, 0, SEEK_END) == 0) {
		long n = ftell(fp);
		if (n >= 0 && fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
		    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf != NULL) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	if (fp != NULL) {
		fclose(fp);
	}
	return buf;
}

static inline bool fuzz_same_files(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = fuzz_read_file(a, &la), *y = fuzz_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}
