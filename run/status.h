/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `tldsign status`: one screen for the operator.  Reads only (no lock, no
 * state change): the run history, the current published version, the key
 * states (in words, policy/keyplan.h), and the serial each secondary serves
 * (SOA queries, bounded by a short timeout).
 */
#pragma once

#include <stdio.h>

#include "common/clock.h"

/*!
 * \brief Prints the status of the instance.
 * \param[in] config_path      tldsign.yaml
 * \param[in] now              the instant (tld_now())
 * \param[in] query_timeout_s  bound of the secondaries' SOA queries; 0 = do not query
 * \param[in] out              where to print
 * \return TLD_OK; TLD_ECONFIG / TLD_ESTATE when the instance cannot be read;
 *         TLD_ESECONDARY when a secondary does not serve the published serial
 */
int tld_status_print(const char *config_path, tld_time_t now, int64_t query_timeout_s, FILE *out);
