/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reports of a run (DESIGN.md section 3 step 10): the one-line summary, the
 * JSON summary (STATE_DIR/last-run.json) and the Prometheus textfile
 * (STATE_DIR/metrics.prom), both written atomically.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/clock.h"

enum tld_stage {
	TLD_STAGE_LOAD = 0,
	TLD_STAGE_EXPORT,
	TLD_STAGE_GUARDS,
	TLD_STAGE_KEYS,
	TLD_STAGE_SIGN,
	TLD_STAGE_VERIFY,
	TLD_STAGE_PUBLISH,
	TLD_STAGE_NOTIFY,
	TLD_STAGE_COUNT,
};

struct tld_report_secondary {
	char name[128];            /*!< address as configured */
	bool acked;                /*!< NOTIFY acknowledged */
	bool confirmed;            /*!< serves the new serial */
	uint32_t serial;           /*!< serial seen (valid when has_serial) */
	bool has_serial;
	double lag_seconds;        /*!< from publish until the serial was seen; -1 unknown */
};

struct tld_report_keycount {
	char state[32];            /*!< "active", "published", "retired", ... */
	unsigned count;
};

/*! Everything a run reports.  Strings and arrays are borrowed (not freed here). */
/*! How the run's verification went about it. */
enum tld_run_verify_mode {
	TLD_RUN_VERIFY_NONE = 0,   /*!< no verification ran (nothing to publish, or the run ended before) */
	TLD_RUN_VERIFY_FULL,       /*!< every record parsed and checked */
	TLD_RUN_VERIFY_DELTA,      /*!< the changes from the last verified version (verify/vstate.h) */
};

struct tld_run_report {
	const char *zone;
	tld_time_t started;
	double duration;           /*!< seconds */
	int result;                /*!< TLD error code of the run */
	bool published;            /*!< a new version was published */
	bool unchanged;            /*!< nothing changed, nothing published */
	uint32_t serial;
	uint64_t delegations, ds_records, rows_total, rows_bad;
	uint64_t sigs_new, sigs_reused;
	uint64_t verify_rrsigs;           /*!< RRSIGs the verifier found valid */
	uint64_t verify_cached;           /*!< of those, from its cache (no public-key operation) */
	enum tld_run_verify_mode verify_mode;
	const char *verify_full_reason;   /*!< why the run verified from scratch, or NULL */
	tld_time_t earliest_expiration;   /*!< 0 unknown */
	double stage_seconds[TLD_STAGE_COUNT];
	double publish_prepared_seconds;  /*!< the publish preparation, run beside the verification */
	const struct tld_report_secondary *secondaries;
	size_t secondaries_count;
	const struct tld_report_keycount *keys;
	size_t keys_count;
	double rollover_waiting_seconds;  /*!< longest wait on the parent, 0 none */
	const char *forced_reason;        /*!< --force REASON, or NULL */
	const char *const *messages;      /*!< refusals, warnings (guard trips, ...) */
	size_t messages_count;
};

/*! "full", "delta" or "none" (last-run.json's verify_mode). */
const char *tld_run_verify_mode_name(enum tld_run_verify_mode mode);

/*! Stage name as in metrics labels ("sign"). */
const char *tld_stage_name(enum tld_stage stage);

/*! Writes the one-line summary (no newline) into buf. */
void tld_report_summary(const struct tld_run_report *r, char *buf, size_t size);

/*! Writes the JSON summary to a stream. \return TLD_OK or TLD_EIO */
int tld_report_json(const struct tld_run_report *r, FILE *out);

/*! Writes the Prometheus text format to a stream. \return TLD_OK or TLD_EIO */
int tld_report_metrics(const struct tld_run_report *r, FILE *out);

/*!
 * \brief Writes STATE_DIR/last-run.json and STATE_DIR/metrics.prom atomically.
 * \return TLD_OK or an error (logged)
 */
int tld_report_write_files(const struct tld_run_report *r, const char *state_dir);

/*! Writes s as a JSON string literal (with quotes) to out. */
void tld_json_string(FILE *out, const char *s);
