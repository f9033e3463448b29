/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Audit entries of the key store (issue 6 point 6): `key generate`,
 * `key import` and `key delete` each append one entry to the hash-chained
 * audit log (policy/audit.h) inside the transaction that records the key,
 * so the key row and its audit entry commit or roll back together.
 */
#pragma once

#include "common/statedb.h"
#include "hsm/keydb.h"

/*!
 * \brief Appends the audit entry of a key operation: key tag, actor
 *        (tld_audit_actor(NULL)), time tld_now(), the key's SHA-256 DS in
 *        presentation format for a KSK or CSK, and a detail naming role,
 *        algorithm, CKA_ID and label.  Call inside the caller's transaction.
 * \param[in] db         the state store (transaction open)
 * \param[in] operation  "key generate", "key import", "key delete"
 * \param[in] rec        the key
 * \param[in] note       extra detail, may be NULL
 * \return TLD_OK, TLD_ESTATE, TLD_ECRYPTO
 */
int tld_key_audit(tld_statedb_t *db, const char *operation, const struct tld_key_record *rec,
                  const char *note);
