/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Zone text to image records through ldns (the fast reader's fallback). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "publish/zoneimage.h"

/*!
 * \brief Parses one record (may span lines in parentheses) with ldns and
 *        appends it, owner in lower case.
 * \param[in,out] b            image under construction
 * \param[in]     text         the record text, NUL-terminated
 * \param[in]     default_ttl  $TTL in force
 * \param[in]     origin       $ORIGIN in force as wire (origin_len 0: none)
 * \param[in,out] prev         previous owner (wire, TLD_DNS_MAXNAME bytes), updated
 * \param[in,out] prev_len     its length (0: none)
 * \param[out]    err          ldns's message on TLD_EPARSE (static string)
 * \return TLD_OK, TLD_EPARSE, TLD_ENOMEM
 */
int tld_image_add_ldns_text(struct tld_image_builder *b, const char *text, uint32_t default_ttl,
                            const uint8_t *origin, size_t origin_len, uint8_t *prev,
                            size_t *prev_len, const char **err);

/*!
 * \brief tld_image_from_zone_file_ldns() on an open stream (fuzzing).
 * \param[in]  fp    zone text
 * \param[in]  path  name for error messages (a line is quoted from it when it exists)
 * \param[out] out   caller frees; written only on success
 * \return as tld_image_from_zone_file()
 */
int tld_image_from_zone_fp_ldns(FILE *fp, const char *path, struct tld_zone_image **out);
