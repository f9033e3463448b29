/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the signer asks: which keys do what now.  tld_keyplan_now() loads
 * the key states from the state store, applies pending `ds seen`/`ds gone`
 * confirmations, runs tld_keystate_step(), stores the next states and logs
 * every state change in the audit log, all in one transaction.
 *
 * Contract for the signer (struct tld_key_use, policy/keystate.h):
 *   publish_dnskey  put the key's DNSKEY in the apex DNSKEY RRset;
 *   sign_dnskey     sign the DNSKEY (and CDS/CDNSKEY) RRset with it;
 *   sign_zone       sign every other authoritative RRset with it, and drop
 *                   (not reuse) signatures of keys whose sign_zone is false;
 *   publish_cds     publish CDS/CDNSKEY for it (RFC 7344).
 * Nothing else decides key use.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "common/clock.h"
#include "common/statedb.h"
#include "policy/keystate.h"
#include "policy/policy.h"

/*!
 * \brief Advances the zone's key states to now and says what each key does.
 *        When the policy lists parent nameservers, first runs the parent DS
 *        check (policy/parentds.h): a DS the plan waits for that every
 *        parent server serves exactly is recorded as seen/gone (actor
 *        "parent-check") and applied by this step; anything else is logged
 *        and the states wait.
 * \param[in]  pol         the policy
 * \param[in]  db          the state store
 * \param[in]  zone        zone name ("test.")
 * \param[in]  now         the instant (tld_now())
 * \param[out] out         caller frees with free(); written only on success
 * \param[out] n           number of entries
 * \param[out] next_event  next time-driven change, 0 if none (may be NULL)
 * \return TLD_OK; TLD_ETIME (clock went backwards, logged); TLD_EKEY (a key
 *         needed for signing is missing, logged); TLD_ESTATE; TLD_ENOMEM
 */
int tld_keyplan_now(const struct tld_policy *pol, tld_statedb_t *db, const char *zone, tld_time_t now,
                    struct tld_key_use **out, size_t *n, tld_time_t *next_event);

/*!
 * \brief Takes a key of the HSM key store (keys.id) under the state machine,
 *        hidden with the goal "omnipresent"; with successor_of, the
 *        predecessor's goal becomes "leave".  Audited.  Joins the caller's
 *        transaction if one is open (so several keys adopt all or nothing).
 * \return TLD_OK, TLD_EEXIST (already adopted), TLD_EINVAL (unknown
 *         predecessor), TLD_ESTATE
 */
int tld_keyplan_adopt(tld_statedb_t *db, const char *zone, int64_t key_id, uint16_t key_tag,
                      uint8_t algorithm, uint8_t role, int64_t successor_of, tld_time_t now,
                      const char *actor);

/*!
 * \brief Records `ds seen` / `ds gone` for a key tag; applied by the next
 *        tld_keyplan_now().  Audited (with ds_text, the DS concerned, if
 *        not NULL).  Joins an open transaction.
 * \return TLD_OK; TLD_ENOENT (no such key tag in the zone); TLD_EPOLICY
 *         (the key has no DS: a ZSK); TLD_ESTATE
 */
int tld_keyplan_ds_confirm(tld_statedb_t *db, const char *zone, uint16_t key_tag, bool gone,
                           tld_time_t now, const char *actor, const char *ds_text);

/*!
 * \brief Writes, in words, where each key and rollover stands, what it waits
 *        for and when the next event falls.
 * \param[in] warn_after  a DS request older than this is flagged WARNING
 * \return number of warnings
 */
unsigned tld_keyplan_describe(const struct tld_policy *pol, const struct tld_keystate *keys, size_t n,
                              tld_time_t now, int64_t warn_after, FILE *out);

/*!
 * \brief How long the longest DS change has been waiting on the parent
 *        (a DS asked for and not yet seen, or a withdrawal asked for and
 *        not yet gone).  Pure.  For the run report and metrics
 *        (rollover_waiting_seconds); compare with pol->parent.ds_wait_warning.
 * \param[in] keys  key states (tld_keystore_load())
 * \param[in] n     count
 * \param[in] now   the instant
 * \return seconds, 0 when nothing waits on the parent
 */
int64_t tld_keyplan_waiting_seconds(const struct tld_keystate *keys, size_t n, tld_time_t now);

/*!
 * \brief Whether the policy asks the parent to delete every DS (RFC 8078):
 *        the signer then publishes only the delete records
 *        (tld_cds_delete_rdata(), tld_cdnskey_delete_rdata()) as CDS and
 *        CDNSKEY, signed by the keys that sign the DNSKEY RRset, and no
 *        per-key CDS/CDNSKEY.
 */
bool tld_keyplan_cds_delete(const struct tld_policy *pol);

/*! RDATA of the RFC 8078 delete CDS "0 0 0 00"; *len set to 5. */
const uint8_t *tld_cds_delete_rdata(size_t *len);

/*! RDATA of the RFC 8078 delete CDNSKEY "0 3 0 AA=="; *len set to 5. */
const uint8_t *tld_cdnskey_delete_rdata(size_t *len);
