/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The keys of one signing run: read from the key store (hsm/keydb.h), what
 * each does from the key plan (policy/keyplan.h, tld_keyplan_now()), and for
 * keys the state machine does not know yet the interim rule of
 * signer_select_keys() (logged at info).  The set is checked before anything
 * is signed: a key that signs is published; every published algorithm signs
 * both the key RRsets and the zone (RFC 4035 section 2.2); no two published
 * keys share a key tag; each DNSKEY matches its recorded key tag.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "hsm/signpool.h"
#include "policy/policy.h"
#include "signer/keys.h"

struct signer_keyset {
	struct tld_key_record *recs;    /*!< the key store's rows (deleted ones too) */
	size_t nrecs;
	struct signer_key *keys;        /*!< keys published or signing in this run */
	struct signer_key_use *use;     /*!< what each does */
	bool *cds;                      /*!< publish CDS/CDNSKEY for it */
	size_t n;
	struct tld_signpool_key *pool;  /*!< the signing keys, in keys[].pool_index order */
	size_t npool;
	size_t planned;                 /*!< keys whose use came from the key plan */
	size_t interim;                 /*!< keys under the interim rule */
};

/*!
 * \brief Loads and checks the key set of cfg->zone at now.  Advances the key
 *        states (tld_keyplan_now() stores the step and audits it).
 * \param[out] out  caller frees with signer_keyset_free(); written only on success
 * \return TLD_OK, TLD_EKEY (no usable set; logged), TLD_EKEYTAG, TLD_ETIME,
 *         TLD_ESTATE, TLD_ENOMEM
 */
int signer_keyset_load(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                       tld_time_t now, struct signer_keyset **out);

/*!
 * \brief Checks a key set (also used on its own by tests).
 * \param[in] keys, use, n  the keys and what they do
 * \return TLD_OK, TLD_EKEY (logged), TLD_EKEYTAG (logged)
 */
int signer_keyset_check(const struct signer_key *keys, const struct signer_key_use *use, size_t n);

/*! Releases a key set; NULL is a no-op. */
void signer_keyset_free(struct signer_keyset *ks);
