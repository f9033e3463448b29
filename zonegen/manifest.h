/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * manifest.yaml of a registry export (DESIGN.md section 4):
 *
 *   format: 1
 *   tld: test.
 *   exported_at: 2026-11-21T10:00:00Z
 *   files:
 *     domains.csv: {rows: 1000, sha256: HEX}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"

struct tld_manifest_file {
	char *name;
	uint64_t rows;
	uint8_t sha256[32];
};

struct tld_manifest {
	char *tld;                      /*!< normalised: lower case, trailing dot */
	tld_time_t exported_at;
	struct tld_manifest_file *files;
	size_t file_count;
};

/*!
 * \brief Reads and checks the syntax of a manifest (format must be 1; every
 *        key present; rows an integer; sha256 64 hex digits; file names plain
 *        names without '/').
 * \param[in]  path    manifest.yaml
 * \param[out] out     caller frees with tld_manifest_free(); written only on success
 * \param[out] err     on failure, "path:line: problem"
 * \param[in]  errlen  size of err
 * \return TLD_OK, TLD_EEXPORT (bad content or unreadable), TLD_ENOMEM
 */
int tld_manifest_load(const char *path, struct tld_manifest **out, char *err, size_t errlen);

/*!
 * \brief Like tld_manifest_load(), from memory (tests, fuzzing).
 * \param[in] name  used in messages in place of the path
 */
int tld_manifest_parse(const char *name, const char *data, size_t len, struct tld_manifest **out,
                       char *err, size_t errlen);

/*! Releases a manifest; NULL is a no-op. */
void tld_manifest_free(struct tld_manifest *m);

/*! The entry for a file name, or NULL. */
const struct tld_manifest_file *tld_manifest_find(const struct tld_manifest *m, const char *name);
