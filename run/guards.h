/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Safety guards of `tldsign run` (DESIGN.md section 3 step 5): a pure check
 * of the new zone's figures against the last published version's.  A guard
 * that trips refuses the run; `--force REASON` overrides one run (the caller
 * records the override in the audit log).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/config.h"

/*! The figures of one zone version that guards compare. */
struct tld_zone_stats {
	uint64_t delegations;      /*!< delegated domains */
	uint64_t ds_records;       /*!< DS records at delegations */
	uint64_t rows_total;       /*!< export rows read */
	uint64_t rows_bad;         /*!< export rows rejected */
	char apex_digest[65];      /*!< hex SHA-256 over the apex NS set, SOA mname and rname */
	char unsigned_digest[65];  /*!< hex SHA-256 of the unsigned zone file ("" unknown) */
	char unsigned_ident[96];   /*!< the file as written: "dev:ino:size:ctime_ns" (run/history.h; "" unknown) */
	uint32_t serial;
	bool has_serial;
};

/*! Everything the guards look at. */
struct tld_guard_input {
	const struct tld_config *cfg;           /*!< thresholds (guards:) */
	const struct tld_zone_stats *previous;  /*!< last published version, NULL if none */
	const struct tld_zone_stats *current;
	tld_time_t now;
	tld_time_t last_run;                    /*!< start of the last run, 0 if none */
};

enum tld_guard {
	TLD_GUARD_DELEGATION_DROP = 0,
	TLD_GUARD_DS_DROP,
	TLD_GUARD_BAD_ROWS,
	TLD_GUARD_APEX_CHANGE,
	TLD_GUARD_SERIAL,
	TLD_GUARD_CLOCK,
	TLD_GUARD_COUNT,
};

struct tld_guard_trip {
	enum tld_guard guard;
	char message[256];         /*!< names the guard, the figures and the threshold */
};

/*! The guard's name as used in messages and the config ("max-delegation-drop"). */
const char *tld_guard_name(enum tld_guard guard);

/*!
 * \brief Runs every guard.
 * \param[in]  in     figures and thresholds
 * \param[out] trips  array of at least TLD_GUARD_COUNT entries; filled with each trip
 * \param[out] ntrips number of trips
 * \return TLD_OK when none tripped, TLD_EGUARD otherwise
 */
int tld_guards_check(const struct tld_guard_input *in, struct tld_guard_trip *trips,
                     size_t *ntrips);

/*! RFC 1982 serial comparison: true when b is greater than a. */
bool tld_serial_gt(uint32_t b, uint32_t a);
