/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RRSIG RDATA and the message to sign (RFC 4034 sections 3.1 and 3.1.8.1):
 *
 *   Type Covered (2) | Algorithm (1) | Labels (1) | Original TTL (4) |
 *   Signature Expiration (4) | Signature Inception (4) | Key Tag (2) |
 *   Signer's Name (uncompressed, lower case) | Signature
 *
 *   message = RRSIG RDATA without Signature | RR(1) | RR(2) | ...
 *   RR(i)   = owner | type | class | Original TTL | RDLENGTH | RDATA
 * with owner and RDATA in canonical form (lower case, RFC 4034 6.2), the RRs
 * in canonical RDATA order (6.3), and for a wildcard-expanded owner "*." plus
 * the rightmost Labels labels.  The zone model already keeps owners and
 * RDATA names lower-cased and each RRset sorted and duplicate-free.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "signer/zone.h"

struct signer_rrsig_fields {
	uint16_t type_covered;
	uint8_t algorithm;
	uint8_t labels;
	uint32_t original_ttl;
	uint32_t expiration;
	uint32_t inception;
	uint16_t key_tag;
	const uint8_t *signer;    /*!< zone apex, wire, lower case */
};

/*! RFC 4034 3.1.3: labels of the owner, not counting the root or a leading '*'. */
uint8_t signer_rrsig_labels(const uint8_t *owner);

/*!
 * \brief Writes the RRSIG RDATA without the signature.
 * \param[out] out  at least 18 + 255 bytes
 * \return its length
 */
size_t signer_rrsig_header(const struct signer_rrsig_fields *f, uint8_t *out);

/*!
 * \brief Builds the message to sign for records rrs[first .. first+count)
 *        of one RRset of a built zone.
 * \param[out] out      caller frees with free(); written only on success
 * \param[out] out_len  its length
 * \return TLD_OK, TLD_ENOMEM, TLD_ERANGE (message above 64 KiB * 4)
 */
int signer_rrsig_message(const struct signer_zone *zone, size_t first, size_t count,
                         const struct signer_rrsig_fields *f, uint8_t **out, size_t *out_len);
