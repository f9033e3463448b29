/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Run history in the state store (table run_history): one row per run, so
 * the guards can compare against the last published version and the clock
 * guard against the last run, and `tldsign status` can show the last run.
 */
#pragma once

#include <stdbool.h>

#include "common/statedb.h"
#include "run/guards.h"
#include "run/report.h"

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
