/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fast master-file parser (RFC 1035 section 5, RFC 3597 generic RDATA).
 *
 * Handles what zone files really use: $ORIGIN, $TTL ($INCLUDE is refused),
 * parentheses across lines, ';' comments, quoted strings, '@', relative
 * names, omitted owner/TTL/class, \DDD and \X escapes, TTL units (1h30m),
 * "\# len hex" generic RDATA and TYPEnnn.  RDATA of A, AAAA, NS, CNAME,
 * DNAME, PTR, MX, SOA, TXT, SPF, HINFO, SRV, DS, CDS, DNSKEY, CDNSKEY is
 * converted here; any other type is handed to ldns's RDATA parser for that
 * one record.  Each record goes to a callback; every error names the file,
 * the line and the record.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*!
 * \brief Called for each record.
 * \return TLD_OK to go on, an error to stop (returned by the parser)
 */
typedef int (*signer_zparse_cb)(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass,
                                uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, uint32_t line);

/*!
 * \brief Parses zone text in memory.
 * \param[in] file     name for messages
 * \param[in] text     the text (need not be NUL-terminated)
 * \param[in] len      its length
 * \param[in] origin   initial origin in wire form, or NULL (then relative
 *                     names before a $ORIGIN are an error)
 * \param[in] cb, ctx  record sink
 * \return TLD_OK, TLD_EPARSE (logged), TLD_ENOMEM, or the callback's error
 */
int signer_zparse(const char *file, const char *text, size_t len, const uint8_t *origin,
                  signer_zparse_cb cb, void *ctx);

/*!
 * \brief As signer_zparse(), for text mapped from a file (page-aligned,
 *        MAP_PRIVATE, read-only): pages behind the parser are released
 *        (MADV_DONTNEED) as it goes, so a large file does not stay resident.
 */
int signer_zparse_mapped(const char *file, const char *text, size_t len, const uint8_t *origin,
                         signer_zparse_cb cb, void *ctx);

/*!
 * \brief Presentation name to wire form ("a.b", "@", "\\046", relative to origin).
 * \param[out] out  at least 255 bytes
 * \return its length, 0 when malformed
 */
size_t signer_zparse_name(const char *text, size_t len, const uint8_t *origin, uint8_t *out);

/*! Options and results of signer_zparse_slice(). */
struct signer_zparse_slice {
	uint32_t first_line;   /*!< in: line number of text[0] (0 or 1: the start of the file) */
	bool fresh;            /*!< in: the slice begins inside a file whose state there is unknown:
	                            a record that would take its owner or TTL from before is an error */
	bool quiet;            /*!< in: errors are returned, not logged */
	bool origin_changed;   /*!< out: a $ORIGIN was met */
};

/*!
 * \brief As signer_zparse_mapped(), for a slice of a mapped file (any
 *        start): the parser for the threads of signer/zone_read.c.
 * \param[in,out] sl  options and results
 */
int signer_zparse_slice(const char *file, const char *text, size_t len, const uint8_t *origin,
                        struct signer_zparse_slice *sl, signer_zparse_cb cb, void *ctx);

/*!
 * A parser kept for many short slices (its buffers reused):
 * signer_zparser_span().  The patch run's: the replaced names' groups
 * (signer/patch_zone.c, on its thread parsing ahead and at the zone's making).
 */
struct signer_zparser;

/*! \return TLD_OK (*out: free with signer_zparser_free()), TLD_ENOMEM */
int signer_zparser_new(struct signer_zparser **out);

/*!
 * \brief signer_zparse_slice() of text[0, len) with the parser zp, as a
 *        parser made anew parses it (nothing carried from its last slice),
 *        nothing released (the text need not be a mapping).  One parser is
 *        for one thread at a time.
 * \param[in,out] sl  options and results (origin_changed: in this slice)
 * \return as signer_zparse_slice()
 */
int signer_zparser_span(struct signer_zparser *zp, const char *file, const char *text, size_t len,
                        const uint8_t *origin, struct signer_zparse_slice *sl, signer_zparse_cb cb, void *ctx);

/*! Frees a parser (NULL: nothing). */
void signer_zparser_free(struct signer_zparser *zp);
