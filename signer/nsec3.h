/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NSEC3 (RFC 5155): hashing and the chain.
 *
 * NSEC3 RDATA (RFC 5155 section 3.2):
 *   Hash Alg (1) | Flags (1) | Iterations (2) | Salt Length (1) | Salt |
 *   Hash Length (1) | Next Hashed Owner Name | Type Bit Maps
 * NSEC3PARAM RDATA (section 4.2): Hash Alg | Flags (0) | Iterations | Salt Length | Salt
 *
 * Which nodes get an NSEC3: every node that is not occluded; with opt-out
 * not the insecure delegations, nor the empty non-terminals whose subtree
 * holds nothing but insecure delegations (and their glue).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signer/zone.h"

#define SIGNER_NSEC3_SHA1 1
#define SIGNER_NSEC3_HASH_LEN 20
#define SIGNER_NSEC3_FLAG_OPTOUT 1

struct signer_nsec3_params {
	uint8_t algorithm;     /*!< 1 = SHA-1 */
	bool opt_out;
	uint16_t iterations;   /*!< additional iterations (RFC 9276: 0) */
	uint8_t salt[255];
	uint8_t salt_len;
};

/*! One NSEC3 record of the chain, in hash order. */
struct signer_nsec3 {
	uint8_t hash[SIGNER_NSEC3_HASH_LEN];
	uint32_t node;         /*!< the node it stands for */
};

struct signer_nsec3_chain {
	struct signer_nsec3_params params;
	struct signer_nsec3 *items;  /*!< sorted by hash; next of the last is the first */
	size_t count;
	uint32_t ttl;                /*!< min(SOA TTL, SOA MINIMUM), RFC 9077 */
	uint8_t (*next)[SIGNER_NSEC3_HASH_LEN]; /*!< NULL: the next hashed owner of item i is item i + 1's
	                                             (the last's the first's); else count entries, item i's
	                                             next hashed owner: a patch run (signer/patch.h) signs a
	                                             part of the chain whose neighbours lie outside it.
	                                             Freed with the chain */
};

/*!
 * \brief IH(salt, name, iterations) of RFC 5155 section 5.
 * \param[in]  name  wire name, lower case
 * \param[out] hash  SIGNER_NSEC3_HASH_LEN bytes
 * \return TLD_OK, TLD_EINVAL (unknown algorithm), TLD_ECRYPTO
 */
int signer_nsec3_hash(const struct signer_nsec3_params *p, const uint8_t *name, uint8_t *hash);

/*!
 * \brief Base32hex without padding, lower case (RFC 4648 section 7).
 * \param[out] out  at least (len * 8 + 4) / 5 + 1 bytes; NUL-terminated
 * \return the text length
 */
size_t signer_base32hex(const uint8_t *in, size_t len, char *out);

/*!
 * \brief Builds the chain of a built zone.  Two nodes with one hash are a
 *        hard error (logged with both names).
 * \param[out] out  caller frees with signer_nsec3_chain_free(); written only on success
 * \return TLD_OK, TLD_EZONE (hash collision), TLD_ECRYPTO, TLD_ENOMEM
 */
int signer_nsec3_chain_build(const struct signer_zone *zone, const struct signer_nsec3_params *p,
                             struct signer_nsec3_chain **out);

/*! Releases a chain; NULL is a no-op. */
void signer_nsec3_chain_free(struct signer_nsec3_chain *chain);

/*!
 * \brief RDATA of the chain's i-th NSEC3 record.
 * \param[out] out  at least 300 + SIGNER_BITMAP_MAX bytes
 * \return its length
 */
size_t signer_nsec3_rdata(const struct signer_zone *zone, const struct signer_nsec3_chain *chain,
                          size_t i, uint8_t *out);

/*!
 * \brief Wire owner name of the chain's i-th record: <base32hex(hash)>.<origin>.
 * \param[out] out  at least SIGNER_DNAME_MAX bytes
 * \return its length, 0 when the origin is too long
 */
size_t signer_nsec3_owner(const struct signer_zone *zone, const struct signer_nsec3_chain *chain,
                          size_t i, uint8_t *out);

/*!
 * \brief NSEC3PARAM RDATA (flags 0).
 * \param[out] out  at least 5 + 255 bytes
 * \return its length
 */
size_t signer_nsec3param_rdata(const struct signer_nsec3_params *p, uint8_t *out);

/*! TTL of denial records: min(SOA TTL, SOA MINIMUM) of a built zone (RFC 9077). */
uint32_t signer_zone_denial_ttl(const struct signer_zone *zone);
