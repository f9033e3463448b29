/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Name rules for the registry export: host names and domain names are
 * A-labels (LDH, RFC 5890/5891), compared case-insensitively and written in
 * lower case as absolute names ("example.test.").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*! Longest absolute name in presentation form, with trailing dot and NUL. */
#define TLD_NAME_MAX_TEXT 256

/*!
 * \brief Checks and normalises a name: lower case, trailing dot added.
 *
 * Rejected: empty names and labels, non-ASCII bytes (U-labels: use
 * A-labels), characters other than letters, digits and hyphens, a hyphen at
 * the start or end of a label, hyphens in positions 3 and 4 unless the label
 * starts with "xn--", labels over 63 octets, names over 255 octets in wire
 * form.  A trailing dot in the input is optional.  A valid name is checked
 * in one pass over a table and then label by label; an invalid one is
 * checked again byte by byte for the message (the same result either way).
 *
 * \param[in]  in    the name as written (not NUL-terminated necessarily)
 * \param[in]  len   its length
 * \param[out] out   TLD_NAME_MAX_TEXT bytes: the normalised name
 * \param[out] why   on failure, a static explanation
 * \return the length of out (> 0), or 0 if the name is invalid
 */
size_t tld_name_normalize(const char *in, size_t len, char *out, const char **why);

/*!
 * \brief Whether name (normalised) is at or below zone (normalised).
 * \param[in] strictly  true: only strictly below
 */
bool tld_name_under(const char *name, size_t name_len, const char *zone, size_t zone_len,
                    bool strictly);

/*!
 * \brief Wire form of an absolute name in presentation form, any name (unlike
 *        tld_name_to_wire() of zonegen/ds.h): labels as written (no case
 *        change), escapes \X and \DDD (RFC 1035 5.1) decoded; the trailing
 *        dot may be left out.
 * \param[in]  name  the name (".": the root)
 * \param[in]  len   its length
 * \param[out] wire  at least 255 bytes
 * \return the wire length, or 0 when the name has no wire form (empty label,
 *         label over 63 octets, name over 255 octets, bad escape)
 */
size_t tld_name_text_to_wire(const char *name, size_t len, unsigned char *wire);

/*! Number of labels of a normalised absolute name (root = 0). */
size_t tld_name_labels(const char *name);

/*!
 * \brief Compares two normalised names by their uncompressed wire form as octet
 *        strings (the RDATA order of RFC 4034 section 6.3).
 * \return <0, 0, >0
 */
int tld_name_wire_cmp(const char *a, const char *b);

/*!
 * \brief Writes the canonical sort key of RFC 4034 section 6.1 for a name given
 *        as wire labels: labels right to left, each followed by 0x00, bytes
 *        lower-cased, 0x00 and 0x01 escaped as 0x01 0x01 and 0x01 0x02.  memcmp()
 *        of two keys orders the names canonically.
 * \param[in]  wire  uncompressed wire-format name
 * \param[out] key   at least 2 * 255 bytes
 * \return the key length
 */
size_t tld_name_canon_key_wire(const unsigned char *wire, unsigned char *key);

/*! The same key from a normalised presentation name (LDH, no escapes). */
size_t tld_name_canon_key(const char *name, unsigned char *key);

/*!
 * \brief Compares two absolute presentation names (no escapes) in canonical
 *        order (RFC 4034 section 6.1) without building keys: the result has
 *        the sign of memcmp() of their tld_name_canon_key() keys (a key that
 *        is a prefix of the other first).
 * \param[in] a, alen  first name and its length (trailing dot included)
 * \param[in] b, blen  second name and its length
 * \return <0, 0, >0
 */
int tld_name_canon_cmp(const char *a, size_t alen, const char *b, size_t blen);
