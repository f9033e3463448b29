/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The last result per secondary (NOTIFY acknowledged, serial served, lag),
 * kept in the state store (table publish_secondaries, one row per configured
 * address) for the run report and `tldsign status`.  NOTIFY and the serial
 * check (publish/notify.h) store their results here themselves.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/statedb.h"
#include "publish/notify.h"

/*! One secondary as last seen. */
struct tld_secondary_record {
	char address[128];        /*!< as configured */
	uint32_t expected;        /*!< the serial we published and asked for */
	bool acked;               /*!< the last NOTIFY for `expected` was acknowledged */
	unsigned notify_attempts;
	int64_t ack_ms;
	bool have_serial;         /*!< it answered an SOA query */
	uint32_t serial;          /*!< the serial it served then */
	bool confirmed;           /*!< serial == expected */
	int64_t lag_ms;           /*!< from the start of the check to confirmation */
	char error[160];          /*!< last problem, "" if none */
	int64_t notify_time;      /*!< when the last NOTIFY round ended (tld_now()), 0 never */
	int64_t check_time;       /*!< when the last serial check ended, 0 never */
};

/*! Creates the table when missing.  \return TLD_OK or TLD_ESTATE */
int tld_secondaries_init(tld_statedb_t *db);

/*!
 * \brief Records a NOTIFY round (notified = true: every field) or a serial
 *        check (false: serial, confirmed, lag, error only).
 * \param[in] st  n results, as from tld_notify_all() / tld_secondaries_check()
 * \return TLD_OK or TLD_ESTATE
 */
int tld_secondaries_store(tld_statedb_t *db, uint32_t expected, const struct tld_secondary_status *st,
                          size_t n, bool notified);

/*!
 * \brief tld_secondaries_store() on the state store of cfg (opened and closed
 *        here); a failure is logged as a warning and otherwise ignored.
 */
void tld_secondaries_store_cfg(const struct tld_config *cfg, uint32_t expected,
                               const struct tld_secondary_status *st, size_t n, bool notified);

/*!
 * \brief The last result of every secondary ever recorded, in address order
 *        (for `tldsign status`; compare with the configured list).
 * \param[out] out  array, caller frees with free(); written only on success (NULL when n = 0)
 * \param[out] n    number of entries
 * \return TLD_OK, TLD_ESTATE, TLD_ENOMEM
 */
int tld_secondaries_last(tld_statedb_t *db, struct tld_secondary_record **out, size_t *n);
