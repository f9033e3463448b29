/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Type bit maps of NSEC and NSEC3 (RFC 4034 section 4.1.2):
 *
 *   ( Window Block # | Bitmap Length | Bitmap )+
 *     1 octet          1 octet (1..32)  Bitmap Length octets
 *
 * and which types a node's NSEC/NSEC3 lists.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signer/zone.h"

/*! Largest encoded bitmap: 256 windows of 2 + 32 octets. */
#define SIGNER_BITMAP_MAX (256 * 34)

/*!
 * \brief Encodes a sorted, duplicate-free list of types.
 * \param[out] out  at least SIGNER_BITMAP_MAX bytes
 * \return the encoded length (0 for an empty list)
 */
size_t signer_bitmap_encode(const uint16_t *types, size_t n, uint8_t *out);

/*!
 * \brief Types the denial record of a node lists, sorted:
 *   - delegation: NS, DS when present, RRSIG when DS is present (NSEC: plus
 *     NSEC and RRSIG);
 *   - empty non-terminal: none;
 *   - otherwise every type at the node plus RRSIG; at the apex NSEC3PARAM
 *     when nsec3; NSEC and RRSIG always for NSEC.
 * \param[in]  nsec3  building NSEC3 (else NSEC)
 * \param[out] types  at least n->rr_count + 4 entries
 * \return the number of types written
 */
size_t signer_node_denial_types(const struct signer_zone *zone, const struct signer_node *node,
                                bool nsec3, uint16_t *types);
