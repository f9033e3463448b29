/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DS checks and keyData -> DS (RFC 4034 section 5 and appendix B, RFC 4509,
 * RFC 6605): digest lengths per digest type, key tags, DS digests.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*! Longest DS digest handled (SHA-384). */
#define TLD_DS_MAX_DIGEST 48

/*! A DS RDATA. */
struct tld_ds {
	uint16_t key_tag;
	uint8_t algorithm;
	uint8_t digest_type;
	uint8_t digest_len;
	uint8_t digest[TLD_DS_MAX_DIGEST];
};

/*!
 * \brief The digest length of a DS digest type: 1 SHA-1 20, 2 SHA-256 32,
 *        3 GOST 32, 4 SHA-384 48.
 * \return the length, or 0 for an unknown type
 */
size_t tld_ds_digest_len(uint8_t digest_type);

/*!
 * \brief The key tag of a DNSKEY RDATA (RFC 4034 appendix B; algorithm 1 uses
 *        the special rule of B.1).
 */
uint16_t tld_zg_keytag(const uint8_t *rdata, size_t len);

/*!
 * \brief Computes the DS of a DNSKEY.
 * \param[in]  owner_wire   the owner in uncompressed wire form, lower case
 * \param[in]  owner_len    its length
 * \param[in]  rdata        DNSKEY RDATA (flags, protocol, algorithm, key)
 * \param[in]  rdata_len    its length (>= 4)
 * \param[in]  digest_type  2 (SHA-256) or 4 (SHA-384)
 * \param[out] out          the DS
 * \return TLD_OK, TLD_EINVAL (unsupported digest type, short RDATA), TLD_ECRYPTO
 */
int tld_zg_ds_from_dnskey(const uint8_t *owner_wire, size_t owner_len, const uint8_t *rdata,
                       size_t rdata_len, uint8_t digest_type, struct tld_ds *out);

/*!
 * \brief Converts a normalised presentation name ("example.test.") into wire form.
 * \param[out] wire  at least 256 bytes
 * \return the wire length, or 0 if the name does not fit
 */
size_t tld_name_to_wire(const char *name, uint8_t *wire);
