/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The key policy meets the HSM key store (hsm/keys.h, hsm/keydb.h):
 * keys recorded in the keys table come under the state machine, keys
 * deleted there stop signing, rollovers generate their keys in the token
 * (with the key-tag uniqueness rule of tld_key_generate()), and DS records
 * are computed for ceremony staff.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "common/statedb.h"
#include "policy/keystate.h"
#include "policy/policy.h"

/*!
 * \brief Keys in the keys table but not under the policy are adopted (no
 *        predecessor: standby or first keys); keys deleted there are marked
 *        missing from the token.  Audited.
 * \return TLD_OK, TLD_ESTATE, TLD_ENOMEM
 */
int tld_keyplan_sync(tld_statedb_t *db, const char *zone, tld_time_t now, const char *actor);

/*!
 * \brief Starts a rollover by hand or because a lifetime ended: generates the
 *        successor key(s) in the token and adopts them in one transaction.
 *        If a later generation fails, the keys generated before are removed
 *        from the token again.
 * \param[out] tags     new key tags (up to 3), may be NULL
 * \param[out] n_tags   count, may be NULL
 * \return TLD_OK, TLD_EPOLICY (nothing to roll, or already rolling), TLD_EHSM,
 *         TLD_EPIN, TLD_EKEYTAG, TLD_ESTATE
 */
int tld_keyplan_start_rollover(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                               enum tld_rollover_kind kind, tld_time_t now, const char *actor,
                               uint16_t *tags, size_t *n_tags);

/*!
 * \brief Generates ahead of need the keys of rollovers whose key lifetime has
 *        ended (the next step would ask for them).  Call before tld_keyplan_now().
 * \param[out] generated  number of keys generated, may be NULL
 * \return as tld_keyplan_start_rollover
 */
int tld_keyplan_generate_due(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                             tld_time_t now, const char *actor, unsigned *generated);

/*!
 * \brief Writes the DNSKEY and DS records (presentation format, digest type
 *        of the policy, and SHA-384 too when asked) of a key tag.
 * \return TLD_OK, TLD_ENOENT, TLD_ESTATE, TLD_ECRYPTO
 */
int tld_keyplan_print_key(tld_statedb_t *db, const char *zone, uint16_t key_tag, uint8_t digest_type,
                          FILE *out);

/*!
 * \brief The DS record of a key in presentation format ("test. IN DS 12345 13 2 HEX").
 * \return TLD_OK, TLD_ENOENT, TLD_ECRYPTO, TLD_ERANGE
 */
int tld_keyplan_ds_text(tld_statedb_t *db, const char *zone, uint16_t key_tag, uint8_t digest_type,
                        char *buf, size_t size);
