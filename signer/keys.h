/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Which key does what: the one place that decides (signer_select_keys).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/*! A key of the zone as the signer sees it (filled from hsm/keydb.h records). */
struct signer_key {
	uint8_t algorithm;
	uint16_t key_tag;
	enum tld_key_role role;
	bool deleted;              /*!< removed from the zone: neither published nor signing */
	const uint8_t *dnskey;     /*!< DNSKEY RDATA */
	uint16_t dnskey_len;
	uint32_t pool_index;       /*!< index in the keys given to tld_signpool_open() */
};

/*! What one key does in this run. */
struct signer_key_use {
	bool publish;              /*!< its DNSKEY is in the apex DNSKEY RRset */
	bool sign_keys;            /*!< signs DNSKEY, CDS, CDNSKEY */
	bool sign_zone;            /*!< signs every other authoritative RRset */
};

/*!
 * \brief The interim rule for one key (see signer_select_keys()), without
 *        the checks on the whole set.
 * \param[out] use  what the key does
 */
void signer_interim_use(const struct signer_key *key, struct signer_key_use *use);

/*!
 * \brief Decides publication and signing for every key.  Interim rule until
 *        the rollover state machine lands: every non-deleted key is
 *        published; KSK and CSK sign the key RRsets; ZSK and CSK sign the
 *        rest.  Refuses a set where no key signs the key RRsets or none
 *        signs the zone, or where two published keys share a key tag.
 * \param[out] use  n entries
 * \return TLD_OK, TLD_EKEY (logged), TLD_EKEYTAG
 */
int signer_select_keys(const struct signer_key *keys, size_t n, struct signer_key_use *use);
