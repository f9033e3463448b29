/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Persistence of key states in the state store: table `key_state` (one row
 * per key of the HSM key store, keyed by keys(id)) and `ds_confirm` (the
 * `ds seen` / `ds gone` confirmations not yet applied by a step).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/statedb.h"
#include "policy/keystate.h"

/*! Creates the tables if needed.  \return TLD_OK or TLD_ESTATE */
int tld_keystore_init(tld_statedb_t *db);

/*!
 * \brief Loads the states of the zone's keys, ordered by key id.
 * \param[out] keys  caller frees with free(); written only on success (NULL when n is 0)
 * \param[out] n     count
 * \return TLD_OK, TLD_ESTATE, TLD_ENOMEM
 */
int tld_keystore_load(tld_statedb_t *db, const char *zone, struct tld_keystate **keys, size_t *n);

/*! Writes (inserts or replaces) the states.  Run inside a transaction.  \return TLD_OK or TLD_ESTATE */
int tld_keystore_save(tld_statedb_t *db, const char *zone, const struct tld_keystate *keys, size_t n);

/*! Records a confirmation for the next step.  \return TLD_OK or TLD_ESTATE */
int tld_keystore_add_confirm(tld_statedb_t *db, int64_t key_id, bool gone, tld_time_t when);

/*!
 * \brief Confirmations not yet applied, for the zone's keys, oldest first.
 * \param[out] conf  caller frees with free(); written only on success
 * \return TLD_OK, TLD_ESTATE, TLD_ENOMEM
 */
int tld_keystore_pending(tld_statedb_t *db, const char *zone, struct tld_ds_confirm **conf, size_t *n);

/*! Marks every pending confirmation of the zone applied.  \return TLD_OK or TLD_ESTATE */
int tld_keystore_confirms_applied(tld_statedb_t *db, const char *zone);
