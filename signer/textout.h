/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fast presentation-format writer for the signed zone: records are formatted
 * by hand into one large buffer that is flushed to a stream when full (no
 * printf per record).  The types a TLD zone is made of (SOA, NS, A, AAAA, DS,
 * DNSKEY, RRSIG, NSEC, NSEC3, NSEC3PARAM, CDS, CDNSKEY, MX, TXT, CNAME,
 * DNAME, PTR) are written here; any other type through ldns, and RFC 3597
 * "\# len hex" when even ldns cannot.
 *
 * A re-sign copies unchanged stretches of the previous zone text instead of
 * formatting them (signer/sign_write.c): a change to the text written for
 * any record must bump SIGN_TEXT_FORMAT_VERSION (signer/sign_internal.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/clock.h"

struct signer_textout {
	FILE *out;             /*!< destination (not owned); NULL: memory mode, the
	                        *   text stays in buf[0 .. len) (the buffer grows), the
	                        *   caller takes it from there and may reset len to 0 */
	char *buf;
	size_t len, cap;
	int err;               /*!< first write error (TLD_EIO), sticky */
	tld_time_t now;        /*!< RRSIG times are shown as the date nearest to now */
};

/*!
 * \brief Prepares a writer with a buffer of cap bytes (at least 2 records of
 *        the largest size are used).
 * \param[in] out  destination stream, or NULL for memory mode
 * \return TLD_OK, TLD_ENOMEM
 */
int signer_textout_init(struct signer_textout *t, FILE *out, size_t cap, tld_time_t now);

/*! Flushes (unless in memory mode) and releases the buffer. \return TLD_OK or the first error */
int signer_textout_finish(struct signer_textout *t);

/*!
 * \brief Writes one record: "owner TTL IN TYPE RDATA\n".
 * \param[in] owner  wire name
 * \return TLD_OK, TLD_EIO (write failed), TLD_ENOMEM (memory mode)
 */
int signer_textout_rr(struct signer_textout *t, const uint8_t *owner, uint32_t ttl, uint16_t type,
                      const uint8_t *rdata, uint16_t rdlen);

/*!
 * \brief Room for len bytes of text the caller fills itself (already
 *        formatted records, e.g. read from a previous file): they count as
 *        written from now on.
 * \return where to put them, or NULL (t->err: TLD_EIO, TLD_ENOMEM)
 */
char *signer_textout_reserve(struct signer_textout *t, size_t len);

/*!
 * \brief Writes a 32-bit RRSIG time as YYYYMMDDHHMMSS, taking the instant
 *        nearest to now (RFC 4034 section 3.1.5 serial arithmetic).
 * \param[out] out  at least 15 bytes
 */
void signer_rrsig_time_text(uint32_t t, tld_time_t now, char *out);

/*! The 64-bit instant of a 32-bit RRSIG time, nearest to now. */
tld_time_t signer_rrsig_time_abs(uint32_t t, tld_time_t now);
