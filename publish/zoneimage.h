/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The in-memory wire-format image of a zone version: every RR as
 * uncompressed wire (lower-case owner, type, class, TTL, rdata) in one
 * buffer, ready to be copied into AXFR messages without any parsing.  The
 * same format holds IXFR journal entries (old SOA, removed RRs, new SOA,
 * added RRs).  Images are saved next to each published version so the
 * server loads a version by reading one file.
 *
 * Record layout in data: owner_len(1) owner type(2) class(2) ttl(4)
 * rdlen(2) rdata.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct tld_zone_image {
	uint8_t *data;
	size_t len;
	size_t *rr;          /*!< offsets of the records in data */
	size_t count;
	size_t soa;          /*!< index of the SOA record */
	uint32_t serial;     /*!< SOA serial (of the new version for a journal entry) */
	uint32_t from_serial;/*!< journal entries: the old serial */
};

/*! One record decoded from an image (pointers into the image). */
struct tld_image_rr {
	const uint8_t *owner;
	size_t owner_len;
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

/*! Decodes record i of img. */
void tld_image_rr(const struct tld_zone_image *img, size_t i, struct tld_image_rr *out);

/*!
 * \brief Parses a zone file (with ldns) into an image.  Exactly one SOA, at
 *        the apex, is required.
 * \param[in]  path   zone file
 * \param[out] out    caller frees with tld_image_free(); written only on success
 * \return TLD_OK, TLD_ENOENT/TLD_EIO, TLD_EPARSE (logged with file and line), TLD_EZONE, TLD_ENOMEM
 */
int tld_image_from_zone_file(const char *path, struct tld_zone_image **out);

/*!
 * \brief Writes an image file (not atomically: the caller writes a temporary
 *        name and renames).  fsyncs the file.
 * \return TLD_OK or TLD_EIO
 */
int tld_image_save(const struct tld_zone_image *img, const char *path);

/*!
 * \brief Reads an image file, checking its structure completely.
 * \param[out] out  caller frees with tld_image_free(); written only on success
 * \return TLD_OK, TLD_ENOENT, TLD_EIO, TLD_EPARSE (corrupt), TLD_ENOMEM
 */
int tld_image_load(const char *path, struct tld_zone_image **out);

/*!
 * \brief Computes the IXFR difference old -> new: old SOA, removed RRs, new
 *        SOA, added RRs.
 * \param[out] out  journal entry image; caller frees; written only on success
 * \return TLD_OK or TLD_ENOMEM
 */
int tld_image_diff(const struct tld_zone_image *old_img, const struct tld_zone_image *new_img,
                   struct tld_zone_image **out);

/*! Releases an image; NULL is a no-op. */
void tld_image_free(struct tld_zone_image *img);

/*! RFC 1982 serial comparison: a < b. */
static inline int tld_serial_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}
