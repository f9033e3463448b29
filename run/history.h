/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Run history in the state store (table run_history): one row per run, so
 * the guards can compare against the last published version and the clock
 * guard against the last run, and `tldsign status` can show the last run.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/statedb.h"
#include "run/guards.h"
#include "run/report.h"

/*! One row of the run history, as `tldsign status` shows it. */
struct tld_history_row {
	tld_time_t started;
	double duration;               /*!< seconds */
	int exit_code;                 /*!< process exit code of the run */
	bool published;
	bool has_serial;
	uint32_t serial;
	uint64_t delegations, ds_records, rows_bad, sigs_new, sigs_reused;
	char forced_reason[256];       /*!< "" when not forced */
	tld_time_t earliest_expiration; /*!< 0 unknown */
};

/*! Creates the table if needed.  \return TLD_OK or TLD_ESTATE */
int tld_history_init(tld_statedb_t *db);

/*!
 * \brief Figures of the last run that published a version of the zone.
 * \param[out] stats  written when found
 * \param[out] found  false when no version was ever published
 * \return TLD_OK or TLD_ESTATE
 */
int tld_history_last_published(tld_statedb_t *db, const char *zone, struct tld_zone_stats *stats,
                               bool *found);

/*! Start time of the latest run of the zone (any result), 0 if none.  \return TLD_OK or TLD_ESTATE */
int tld_history_last_run_start(tld_statedb_t *db, const char *zone, tld_time_t *started);

/*! Appends a run.  \return TLD_OK or TLD_ESTATE */
int tld_history_record(tld_statedb_t *db, const struct tld_run_report *report,
                       const struct tld_zone_stats *stats);

/*!
 * \brief The latest run of the zone (any result).
 * \param[out] row    written when found
 * \param[out] found  false when the zone never ran
 * \return TLD_OK or TLD_ESTATE
 */
int tld_history_last(tld_statedb_t *db, const char *zone, struct tld_history_row *row, bool *found);

/*!
 * \brief Earliest RRSIG expiration of the version the last successful run
 *        published or kept (exit 0 or 6).
 * \param[out] expiry  0 when unknown
 * \return TLD_OK or TLD_ESTATE
 */
int tld_history_published_expiry(tld_statedb_t *db, const char *zone, tld_time_t *expiry);

/*!
 * \brief Digest of the unsigned zone the current version was built from:
 *        that of the last run that published or kept a version (exit 0 or 6).
 * \param[out] hex    65 bytes; "" when not found
 * \param[out] found  false when unknown
 * \return TLD_OK or TLD_ESTATE
 */
int tld_history_kept_unsigned_digest(tld_statedb_t *db, const char *zone, char hex[65], bool *found);

/*!
 * \brief tld_history_kept_unsigned_digest() and the identity that run recorded
 *        of STATE_DIR/unsigned.zone as it wrote it ("dev:ino:size:ctime_ns",
 *        tld_file_ident(), common/file_ident.h; "" when not recorded).  A file with that
 *        identity now has not been written, renamed over or had its
 *        attributes changed since (each sets a new ctime), so it still
 *        holds the bytes of that digest.
 * \param[out] ident  96 bytes, or NULL
 * \return TLD_OK or TLD_ESTATE
 */
int tld_history_kept_unsigned(tld_statedb_t *db, const char *zone, char hex[65], char ident[96], bool *found);

/*!
 * \brief Start time of the latest run of the zone whose verification checked
 *        the new version from scratch and passed (0 if none): `tldsign run`
 *        verifies from scratch again once verify.full-every has passed.
 * \param[out] started  0 when none
 * \return TLD_OK or TLD_ESTATE
 */
int tld_history_last_full_verify(tld_statedb_t *db, const char *zone, tld_time_t *started);
