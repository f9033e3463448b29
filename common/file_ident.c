/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The identity of a file: see common/file_ident.h. */
#include "common/file_ident.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void tld_file_ident(const struct stat *st, char out[TLD_FILE_IDENT_LEN])
{
	snprintf(out, TLD_FILE_IDENT_LEN, "%ju:%ju:%jd:%jd.%09ld", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
	         (intmax_t)st->st_size, (intmax_t)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
}

bool tld_file_ident_as_written(const char *path, const struct stat *written, char out[TLD_FILE_IDENT_LEN])
{
	struct stat st;
	out[0] = 0;
	if (stat(path, &st) != 0 || st.st_dev != written->st_dev || st.st_ino != written->st_ino ||
	    st.st_size != written->st_size || st.st_mtim.tv_sec != written->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != written->st_mtim.tv_nsec) {
		return false;
	}
	tld_file_ident(&st, out);
	return true;
}

bool tld_file_ident_same(int fd, const char *ident)
{
	struct stat st;
	char now[TLD_FILE_IDENT_LEN];
	if (ident == NULL || ident[0] == 0 || fstat(fd, &st) != 0) {
		return false;
	}
	tld_file_ident(&st, now);
	return strcmp(now, ident) == 0;
}
