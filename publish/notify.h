/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NOTIFY (RFC 1996) to every configured secondary, TSIG-signed when the
 * secondary has a key, retried with exponential backoff until acknowledged
 * or the bounded total time ends; and the follow-up check that each
 * secondary serves the new serial (SOA queries until it does or the wait
 * ends).  All secondaries are handled at once, each with its own UDP socket.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

/*! What one secondary did. */
struct tld_secondary_status {
	char address[128];          /*!< as configured */
	bool acked;                 /*!< NOTIFY acknowledged (NOERROR, TSIG verified when keyed) */
	unsigned notify_attempts;
	int64_t ack_ms;             /*!< time to the acknowledgement */
	bool have_serial;           /*!< an SOA answer was received */
	uint32_t serial;            /*!< the serial it serves (last answer) */
	bool confirmed;             /*!< it serves the expected serial */
	int64_t lag_ms;             /*!< from the start of the check to confirmation */
	char error[160];            /*!< last problem seen, "" if none */
};

/*!
 * \brief Sends NOTIFY for serial to every secondary; waits at most
 *        cfg->publish.notify_timeout seconds in total.
 * \param[out] out  one entry per secondary in configuration order; caller frees with free();
 *                  written only on success
 * \return TLD_OK when every secondary acknowledged, TLD_ESECONDARY when some
 *         did not (out is set then too), TLD_ENOMEM / TLD_ECONFIG
 */
int tld_notify_all(const struct tld_config *cfg, uint32_t serial,
                   struct tld_secondary_status **out, size_t *n);

/*!
 * \brief Queries each secondary's SOA until it serves serial or timeout_s
 *        passes.  Updates the serial/confirmed/lag fields of status (which
 *        must hold cfg->publish.secondaries_count entries, e.g. from
 *        tld_notify_all(); pass NULL to get a fresh array in *out).
 * \return TLD_OK when all confirmed, TLD_ESECONDARY otherwise
 */
int tld_secondaries_check(const struct tld_config *cfg, uint32_t serial, int64_t timeout_s,
                          struct tld_secondary_status *status, struct tld_secondary_status **out);

/*!
 * \brief Waits until our own transfer server (the first publish.listen
 *        address) serves serial, so that secondaries NOTIFYed next find it.
 *        Queries SOA every 0.5 s with the ACL's key.
 * \return TLD_OK, or TLD_ESECONDARY when it did not within timeout_s (logged)
 */
int tld_primary_wait(const struct tld_config *cfg, uint32_t serial, int64_t timeout_s);
