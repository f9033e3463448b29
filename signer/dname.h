/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Domain names in uncompressed wire form, and their canonical sort key.
 *
 * The sort key ("lookup format", after knot_dname_lf and NSD's radname) is
 * built once per owner: labels from the root down, each lower-cased, with
 * bytes 0x00 and 0x01 escaped as 0x01 0x01 and 0x01 0x02, each label ended
 * by 0x00.  memcmp() order of two keys (shorter first on a common prefix) is
 * then exactly RFC 4034 section 6.1 canonical order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*! Longest wire name (RFC 1035). */
#define SIGNER_DNAME_MAX 255
/*! Longest sort key: each byte may double, plus one terminator per label. */
#define SIGNER_KEY_MAX (2 * SIGNER_DNAME_MAX + 128)

/*!
 * \brief Length of a wire name, checking its structure.
 * \param[in] wire  the name
 * \param[in] max   bytes available at wire
 * \return the length (1..255) or 0 when malformed or longer than max
 */
size_t signer_dname_len(const uint8_t *wire, size_t max);

/*! \brief Lower-cases a wire name in place (ASCII A-Z only). */
void signer_dname_lower(uint8_t *wire);

/*!
 * \brief Copies a wire name of len bytes (signer_dname_len()) lower-cased:
 *        every byte at once, as its length octets (below 64) are never
 *        letters.  dst and src may be the same.
 */
void signer_dname_copy_lower(uint8_t *dst, const uint8_t *src, size_t len);

/*! \brief Number of labels, not counting the root (RRSIG "labels" counts the '*' too; callers subtract). */
unsigned signer_dname_labels(const uint8_t *wire);

/*! \brief True when the first label is the single byte '*'. */
bool signer_dname_is_wildcard(const uint8_t *wire);

/*!
 * \brief True when name equals or lies below zone (both lower-case wire).
 */
bool signer_dname_is_sub(const uint8_t *name, const uint8_t *zone);

/*!
 * \brief Builds the canonical sort key of a wire name.
 * \param[in]  wire  the name (any case)
 * \param[out] key   at least SIGNER_KEY_MAX bytes
 * \return the key length
 */
size_t signer_dname_key(const uint8_t *wire, uint8_t *key);

/*!
 * \brief Compares two sort keys (or any byte strings) in canonical order:
 *        memcmp, the shorter first on a common prefix.
 * \return <0, 0, >0
 */
static inline int signer_key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c != 0) {
		return c;
	}
	return (al > bl) - (al < bl);
}

/*!
 * \brief Writes the presentation form ("a.example.", "\\046" escapes).
 * \param[in]  wire  the name
 * \param[out] buf   output, at least 4 * 255 + 2 bytes for any name
 * \param[in]  size  size of buf
 * \return the length written (without NUL), or 0 when buf is too small
 */
size_t signer_dname_to_text(const uint8_t *wire, char *buf, size_t size);
