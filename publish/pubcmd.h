/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The publisher's commands, shared by the CLI (`tldsign publish`, `serve`,
 * `notify`) and `tldsign run`: each takes a loaded configuration.
 */
#pragma once

#include <stdbool.h>

#include "common/config.h"

/*!
 * \brief Publishes a signed zone file as the next version, then (when
 *        notify is true) NOTIFYs every secondary and checks their serials.
 *        The caller verifies the zone first.
 * \return TLD_OK; TLD_ESECONDARY when published but not every secondary
 *         confirmed; the errors of tld_publish_zone_file()
 */
int tld_publish_command(const struct tld_config *cfg, const char *signed_path, bool notify);

/*!
 * \brief Runs the transfer server in the foreground until SIGINT or SIGTERM.
 * \return TLD_OK or the error that stopped it
 */
int tld_serve_command(const struct tld_config *cfg);

/*!
 * \brief NOTIFYs every secondary for the current version and checks their serials.
 * \return TLD_OK, TLD_ESECONDARY, TLD_ENOENT (nothing published) or TLD_ESTATE
 */
int tld_notify_command(const struct tld_config *cfg);
