/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The plain NSEC chain (RFC 4034 section 4, RFC 4035 section 2.3).
 *
 * NSEC RDATA (RFC 4034 section 4.1): Next Domain Name (uncompressed, here
 * lower case) | Type Bit Maps.
 *
 * Which nodes get an NSEC: every node with authoritative data and every
 * delegation point; not empty non-terminals (they own no RRset) and not
 * occluded names (glue).  The chain is the canonical order of those nodes;
 * the next name of the last one is the apex.  TTL = min(SOA TTL, SOA
 * MINIMUM) (RFC 9077).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "signer/zone.h"

struct signer_nsec_chain {
	uint32_t *nodes;   /*!< node indices in canonical order */
	size_t count;
	uint32_t ttl;
};

/*!
 * \brief Builds the chain of a built zone.
 * \param[out] out  caller frees with signer_nsec_chain_free(); written only on success
 * \return TLD_OK, TLD_EINVAL (zone not built), TLD_ENOMEM
 */
int signer_nsec_chain_build(const struct signer_zone *zone, struct signer_nsec_chain **out);

/*! Releases a chain; NULL is a no-op. */
void signer_nsec_chain_free(struct signer_nsec_chain *chain);

/*!
 * \brief RDATA of the chain's i-th NSEC record.
 * \param[out] out  at least SIGNER_DNAME_MAX + SIGNER_BITMAP_MAX bytes
 * \return its length, 0 on allocation failure
 */
size_t signer_nsec_rdata(const struct signer_zone *zone, const struct signer_nsec_chain *chain, size_t i,
                         uint8_t *out);
