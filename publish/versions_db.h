/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Inside the publisher: the state-store side of a publish (publish/versions.c),
 * used by the commit half of publish/publish.c.
 */
#pragma once

#include <stdbool.h>

#include "common/config.h"
#include "common/statedb.h"
#include "publish/publish.h"

/*!
 * \brief Records a published version and its journal entry in one
 *        transaction: the commit point of a publish.
 * \param[in] res           serial, digest, zone file, records, previous serial, journal size
 * \param[in] image         the version's image file
 * \param[in] journal_file  the journal entry file, NULL when none
 * \return TLD_OK or TLD_ESTATE (rolled back; logged)
 */
int tld_versions_record(tld_statedb_t *db, const struct tld_publish_result *res, const char *image,
                        const char *journal_file);

/*!
 * \brief Deletes the versions beyond output.keep and the journal entries
 *        beyond the journal bounds: rows first (one transaction), then their
 *        files: removed, or with defer renamed NAME.pruned in their
 *        directory (tld_publish_remove_pruned(); a file outside the output
 *        and journal directories is removed all the same).
 * \return TLD_OK, TLD_ESTATE or TLD_ENOMEM
 */
int tld_versions_prune(const struct tld_config *cfg, tld_statedb_t *db, bool defer);
