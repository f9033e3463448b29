/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the signer's tests (header-only, static): a side file of this version
 * turned into one of version 3 or 4 (the same text index, no patch index
 * after it), as an earlier tldsign left it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "common/error.h"
#include "signer/sigfile.h"

static inline bool signer_sigfile_make_older(const char *path, uint32_t version)
{
	struct signer_sigfile *sf = NULL;
	if (signer_sigfile_open(path, &sf) != TLD_OK || sf->text == NULL) {
		signer_sigfile_close(sf);
		return false;
	}
	off_t end = (off_t)((const uint8_t *)(sf->blocks + sf->text->nblocks) - (const uint8_t *)sf->map);
	signer_sigfile_close(sf);
	struct signer_sigfile_header hd;
	FILE *f = fopen(path, "r+b");
	bool done = f != NULL && fread(&hd, sizeof(hd), 1, f) == 1;
	hd.version = version;
	done = done && fseek(f, 0, SEEK_SET) == 0 && fwrite(&hd, sizeof(hd), 1, f) == 1;
	if (f != NULL && fclose(f) != 0) {
		done = false;
	}
	return done && truncate(path, end) == 0;
}
