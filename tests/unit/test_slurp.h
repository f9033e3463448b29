/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests' helper: a small file's bytes in memory. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*! The first MiB of a file (caller frees; *len 0 when it cannot be read). */
static inline uint8_t *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 20);
	*len = f != NULL && buf != NULL ? fread(buf, 1, 1 << 20, f) : 0;
	if (f != NULL) {
		fclose(f);
	}
	return buf;
}
