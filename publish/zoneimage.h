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

#include <stdbool.h>
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
	bool sorted;         /*!< rr[1..count) known to be in canonical order (tld_image_builder_finish()) */
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
 * \brief Parses a zone file into an image: a fast reader for the records a
 *        signer writes (one record per line, absolute owner, TTL, class IN;
 *        SOA NS DS A AAAA RRSIG NSEC3 NSEC3PARAM DNSKEY), ldns for any other
 *        record.  Exactly one SOA is required; the image holds the SOA
 *        first, then every other record in canonical order.
 * \param[in]  path   zone file
 * \param[out] out    caller frees with tld_image_free(); written only on success
 * \return TLD_OK, TLD_ENOENT/TLD_EIO, TLD_EPARSE (logged with file, line and
 *         record), TLD_EZONE, TLD_ENOMEM
 */
int tld_image_from_zone_file(const char *path, struct tld_zone_image **out);

/*!
 * \brief tld_image_from_zone_file() on text in memory (fuzzing, tests).
 * \param[in]  name  file name used in error messages
 * \param[in]  text  zone text, len bytes (need not be NUL-terminated)
 * \param[out] out   caller frees; written only on success
 * \return as tld_image_from_zone_file()
 */
int tld_image_from_zone_text(const char *name, const char *text, size_t len,
                             struct tld_zone_image **out);

/*!
 * \brief tld_image_from_zone_text() with the size from which the text is
 *        read in two parts at once (a second thread reads the part after the
 *        middle when all of it is lines of the fast path's form; else the
 *        first reader reads on through it): the same image either way.
 *        tld_image_from_zone_text() splits texts of 8 MiB or more; tests
 *        split small ones.
 */
int tld_image_from_zone_text_parts(const char *name, const char *text, size_t len, size_t part_min,
                                   struct tld_zone_image **out);

/*!
 * \brief The reference reader: the whole file through ldns (the publisher's
 *        fast reader is cross-checked against it); same image layout.
 * \return as tld_image_from_zone_file()
 */
int tld_image_from_zone_file_ldns(const char *path, struct tld_zone_image **out);

/*!
 * A reader of single lines, each read as the whole-text reader reads it when
 * nothing before it matters but the SOA line: the plain form "owner TTL IN
 * TYPE rdata" of a type the fast reader knows (publish/zoneparse.c), names
 * absolute or relative to the owner of the SOA read first.  Its records stay
 * in the order read (no SOA moved first, no sorting).  For the delta path
 * (publish/zonedelta.h).
 */
typedef struct tld_line_reader tld_line_reader_t;

/*! \brief A new line reader; name for messages.  \return TLD_OK or TLD_ENOMEM */
int tld_line_reader_new(const char *name, tld_line_reader_t **out);

/*!
 * \brief Reads one line (no newline in it) and appends its record.
 * \return TLD_OK; TLD_EAGAIN when the line is not of that form (the
 *         whole-text reader would read it otherwise, or refuse it);
 *         TLD_ENOMEM
 */
int tld_line_reader_read(tld_line_reader_t *lr, const char *line, size_t len);

/*!
 * \brief The owner of a line (its first token) as lower-case wire.
 * \param[out] owner  TLD_DNS_MAXNAME bytes
 * \return TLD_OK or TLD_EAGAIN (a name the fast reader leaves to ldns)
 */
int tld_line_reader_owner(const tld_line_reader_t *lr, const char *line, size_t len, uint8_t *owner,
                          size_t *owner_len);

/*! The records read so far, in the order read (owned by the reader). */
const struct tld_zone_image *tld_line_reader_records(const tld_line_reader_t *lr);

/*! Releases a line reader; NULL is a no-op. */
void tld_line_reader_free(tld_line_reader_t *lr);

/*! Growable image under construction (records appended in any order). */
struct tld_image_builder {
	struct tld_zone_image *img;  /*!< owned; allocate with calloc before the first add */
	size_t cap, rr_cap;
};

/*! \brief Appends one record (image layout).  \return TLD_OK or TLD_ENOMEM */
int tld_image_builder_add(struct tld_image_builder *b, const uint8_t *rec, size_t len);

/*!
 * \brief Completes a zone image: exactly one SOA (moved first), every other
 *        record in canonical order, serial set.  On success b->img moves to
 *        *out (b->img becomes NULL); on failure b->img stays with the caller.
 * \param[in] what  name for error messages
 * \return TLD_OK, TLD_EZONE (no SOA / several), TLD_ENOMEM
 */
int tld_image_builder_finish(struct tld_image_builder *b, const char *what,
                             struct tld_zone_image **out);

/*!
 * \brief Appends every record of part (an image under construction, records
 *        in their order) after those of b.  \return TLD_OK or TLD_ENOMEM
 */
int tld_image_builder_append(struct tld_image_builder *b, const struct tld_zone_image *part);

/*! Length of the image record at p. */
size_t tld_image_record_len(const uint8_t *p);

/*! Canonical order of two lower-case wire names (RFC 4034 6.1). */
int tld_wire_name_canon_cmp(const uint8_t *a, const uint8_t *b);

/*! Whether two image records are the same bytes. */
bool tld_image_same_record(const uint8_t *a, const uint8_t *b);

/*! Length of an image file's header (tld_image_save()). */
#define TLD_IMAGE_HEADER_LEN 28

/*!
 * \brief Checks an image file's header against the file's size and reads it.
 * \param[in]  hdr        TLD_IMAGE_HEADER_LEN bytes
 * \param[in]  file_size  size of the whole file
 * \param[out] serial, from_serial, count, len  the header's fields
 * \return TLD_OK or TLD_EPARSE (not an image, or sizes that do not fit)
 */
int tld_image_header_read(const uint8_t *hdr, uint64_t file_size, uint32_t *serial,
                          uint32_t *from_serial, size_t *count, uint64_t *len);

/*!
 * \brief Writes an image file's header for count records of len bytes.
 * \param[out] hdr  TLD_IMAGE_HEADER_LEN bytes
 */
void tld_image_header_write(uint8_t *hdr, uint32_t serial, uint32_t from_serial, size_t count,
                            uint64_t len);

/*!
 * \brief Walks count records in data[0..len), checking each as
 *        tld_image_load() does (within the data, owner a valid name) and
 *        noting the offsets of records 0, stride, 2 stride, ... in rr
 *        ((count + stride - 1) / stride entries; stride 1: every record).
 * \param[out] check  NULL, or the records' tld_image_check() (computed in
 *                    the same pass)
 * \return TLD_OK or TLD_EPARSE (the records do not fill len exactly)
 */
int tld_image_index(const uint8_t *data, size_t len, size_t *rr, size_t count, size_t stride,
                    uint64_t *check);

/*!
 * \brief A 64-bit hash of one image record (tld_image_check()).  Host byte
 *        order: a state directory moved to a host of the other order sees
 *        every recorded check differ (the delta path is not taken, once).
 */
uint64_t tld_image_record_check(const uint8_t *rec);

/*!
 * \brief The check of an image recorded with each version: the sum (mod
 *        2^64) of tld_image_record_check() over its records.  It does not
 *        depend on their order, so the next version's follows from the
 *        records removed and added (publish/zonedelta.h); it catches a
 *        damaged or replaced image file (not a malicious one).
 */
uint64_t tld_image_check(const struct tld_zone_image *img);

/*! Canonical order of two image records (RFC 4034 6.3: owner, type, class, rdata; then TTL). */
int tld_image_canon_cmp(const uint8_t *a, const uint8_t *b);

/*!
 * \brief Writes an image file (not atomically: the caller writes a temporary
 *        name and renames).  fsyncs the file.
 * \return TLD_OK or TLD_EIO
 */
int tld_image_save(const struct tld_zone_image *img, const char *path);

/*!
 * \brief Allocates the blocks of a new file about to be written whole, len
 *        bytes (fallocate(2)): cheaper than the file system's allocation
 *        page by page as the writes come.  The file's size stays what is
 *        written (FALLOC_FL_KEEP_SIZE).  A hint: where it fails (a file
 *        system without it), the writes allocate and report what fails.
 */
void tld_image_file_reserve(int fd, uint64_t len);

/*! \brief write(2) until all len bytes are written.  \return TLD_OK or the error */
int tld_image_write_all(int fd, const void *data, size_t len);

/*!
 * \brief Ends the writing of a new file: fsyncs it when r (the writes'
 *        result) is TLD_OK, closes fd, logs a failure with path.
 * \return r, else the fsync's or the close's error
 */
int tld_image_file_end(int fd, int r, const char *path);

/*!
 * \brief Reads an image file, checking its structure completely.
 * \param[out] out  caller frees with tld_image_free(); written only on success
 * \return TLD_OK, TLD_ENOENT, TLD_EIO, TLD_EPARSE (corrupt), TLD_ENOMEM
 */
int tld_image_load(const char *path, struct tld_zone_image **out);

/*!
 * \brief Reads only the first record of an image file (a zone image holds its
 *        SOA there), for NOTIFY and status without loading the zone.
 * \param[in]  path  image file
 * \param[out] rec   image-layout record (tld_image_record_len()), cap bytes
 * \return TLD_OK, TLD_ENOENT, TLD_EIO, TLD_EPARSE (not an image, or no SOA first)
 */
int tld_image_load_soa(const char *path, uint8_t *rec, size_t cap);

/*!
 * \brief Computes the IXFR difference old -> new: old SOA, removed RRs, new
 *        SOA, added RRs, by one merge walk over the two images in canonical
 *        order (an image not yet in that order is sorted first).
 * \param[out] out  journal entry image; caller frees; written only on success
 * \return TLD_OK or TLD_ENOMEM
 */
int tld_image_diff(const struct tld_zone_image *old_img, const struct tld_zone_image *new_img,
                   struct tld_zone_image **out);

/*!
 * \brief tld_image_diff() with the old version read from its image file
 *        record by record through a small window instead of loaded whole
 *        (the memory of a second zone); the file is checked as
 *        tld_image_load() checks it, and its records must be in canonical
 *        order, as tld_image_save() writes a built image.
 * \param[out] out  journal entry image; caller frees; written only on success
 * \return TLD_OK, TLD_ENOENT, TLD_EIO, TLD_EPARSE (corrupt or not in order:
 *         logged; tld_image_load() + tld_image_diff() still work on an image
 *         out of order), TLD_ENOMEM
 */
int tld_image_diff_file(const char *old_path, const struct tld_zone_image *new_img,
                        struct tld_zone_image **out);

/*! Releases an image; NULL is a no-op. */
void tld_image_free(struct tld_zone_image *img);

/*! RFC 1982 serial comparison: a < b. */
static inline int tld_serial_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}
