/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Publishing a signed zone as the next version (DESIGN section 6).
 *
 * A version is three files written atomically (temporary name in the same
 * directory, fsync, rename, fsync of the directory) before the state store
 * records it in one transaction, which is the commit point:
 *   OUTPUT_DIR/ZONE.SERIAL.zone   the signed zone file as given
 *   OUTPUT_DIR/ZONE.SERIAL.img    its wire image (what `serve` loads)
 *   STATE_DIR/journal/ZONE.FROM-TO.ixfr   difference to the previous version
 * and OUTPUT_DIR/ZONE.zone, a symlink to the current version for primaries
 * that read files (NSD, Knot, BIND).  A publish killed at any instant leaves
 * the previous version recorded, complete and served.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/statedb.h"

/*! Bounds of the IXFR journal. */
#define TLD_JOURNAL_MAX_ENTRIES 64
#define TLD_JOURNAL_MAX_BYTES ((uint64_t)512 << 20)

struct tld_publish_result {
	bool unchanged;             /*!< the same serial and digest were already published */
	uint32_t serial;
	bool had_previous;
	uint32_t previous_serial;
	char digest[65];            /*!< SHA-256 of the zone file, hex */
	char file[4096];            /*!< the published zone file */
	size_t records;
	size_t removed, added;      /*!< journal entry content (0 when no previous version) */
	uint64_t journal_bytes;
	bool after_publish_ran;
	int after_publish_status;   /*!< exit status of the after-publish command, -1 if it died */
};

/*!
 * \brief Publishes signed_path as the next version: atomic files, state
 *        store rows (versions, journal), pruning to output.keep versions and
 *        the journal bounds, current-version symlink, after-publish command.
 *        Does not verify and does not NOTIFY (the caller does both).  The
 *        caller holds the state-directory lock (common/lock.h); temporary
 *        files left by an interrupted publish are removed.
 * \param[in]  cfg          instance configuration (zone, output, state-dir)
 * \param[in]  db           open state store
 * \param[in]  signed_path  signed zone file
 * \param[out] res          filled on success (and partly on after-publish failure)
 * \return TLD_OK; TLD_EZONE (serial not newer, no SOA, wrong apex), TLD_EPARSE,
 *         TLD_EIO, TLD_ESTATE, TLD_ENOMEM; TLD_EIO as well when the
 *         after-publish command failed (the version is published then)
 */
int tld_publish_zone_file(const struct tld_config *cfg, tld_statedb_t *db,
                          const char *signed_path, struct tld_publish_result *res);

/*! The current published version as recorded in the state store. */
struct tld_version_info {
	int64_t id;
	uint32_t serial;
	char file[4096];
	char image[4096];
	char digest[65];
	int64_t time;
};

/*!
 * \brief Reads the current version.
 * \return TLD_OK, TLD_ENOENT (nothing published yet) or TLD_ESTATE
 */
int tld_versions_current(tld_statedb_t *db, struct tld_version_info *out);

/*! One journal entry (difference between two consecutive versions). */
struct tld_journal_info {
	uint32_t from_serial, to_serial;
	char file[4096];
	uint64_t bytes;
};

/*!
 * \brief Lists the journal entries, oldest first.
 * \param[out] out  array, caller frees with free(); written only on success
 * \return TLD_OK or TLD_ESTATE / TLD_ENOMEM
 */
int tld_journal_list(tld_statedb_t *db, struct tld_journal_info **out, size_t *n);

/*! Creates the publish tables when missing.  \return TLD_OK or TLD_ESTATE */
int tld_versions_init(tld_statedb_t *db);
