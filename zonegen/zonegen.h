/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Registry export -> unsigned TLD zone (DESIGN.md section 4).
 *
 *   struct tld_zonegen *zg;
 *   tld_zonegen_build(cfg, NULL, &zg);     // manifest check, CSV, rules
 *   tld_zonegen_write(zg, stdout);         // canonical order, lower case
 *   tld_zonegen_records(zg, fn, ctx);      // the same records in wire form
 *   tld_zonegen_write_report(zg, path);    // JSON: counts, rejected rows
 *   tld_zonegen_free(zg);
 *
 * The SOA serial written is a placeholder (0): the signer assigns the real
 * serial (policy `serial:`).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"

/*! What the build found; every count is also in the JSON report. */
struct tld_zonegen_stats {
	uint64_t domains;          /*!< valid domain rows (after collapsing duplicates) */
	uint64_t delegated;        /*!< domains published with NS */
	uint64_t held;             /*!< clientHold / serverHold: not delegated */
	uint64_t without_ns;       /*!< not held, but no valid NS */
	uint64_t ns_records;
	uint64_t ds_records;       /*!< incl. those computed from keyData */
	uint64_t ds_from_keydata;
	uint64_t glue_records;
	uint64_t orphan_glue;      /*!< host addresses dropped (not publishable as glue) */
	uint64_t lame;             /*!< NS pointing to an in-zone host without address */
	uint64_t duplicates;       /*!< duplicate rows collapsed */
	uint64_t bad_rows;         /*!< rows rejected (file:line: reason) */
	uint64_t total_rows;       /*!< data rows read from every CSV */
};

struct tld_zonegen;

/*!
 * \brief Reads the export named by the config (or export_dir), checks the
 *        manifest, validates every row and builds the zone in memory.
 *
 * Refusals of the whole export (manifest mismatch, missing or unlisted file,
 * too old, unreadable or broken CSV, missing column) are logged and return
 * TLD_EEXPORT.  Bad rows are not fatal: they are logged as file:line: reason,
 * counted and kept for the report.
 *
 * Besides the calling thread it runs one helper thread at a time: the CSV
 * reader while the rows are read (zonegen/reader.h), then the sort of the
 * owners while the rules run (zonegen/rules.c); when no thread can be had
 * the build fails with TLD_EAGAIN (reader) or sorts on the calling thread
 * (owners).
 *
 * \param[in]  cfg         the instance config (zone, apex, ttl, zonegen, guards)
 * \param[in]  export_dir  overrides cfg->export_dir when not NULL
 * \param[out] out         caller frees with tld_zonegen_free(); written only on success
 * \return TLD_OK, TLD_EEXPORT, TLD_ECONFIG (bad apex records), TLD_ENOMEM, TLD_EIO,
 *         TLD_EAGAIN (no thread for the reader)
 */
int tld_zonegen_build(const struct tld_config *cfg, const char *export_dir,
                      struct tld_zonegen **out);

/*!
 * \brief Writes the zone as a zone file in canonical order (RFC 4034 6.1),
 *        lower case, one RR per line, byte-identical for the same input.
 * \return TLD_OK, TLD_EIO or TLD_ENOMEM
 */
int tld_zonegen_write(const struct tld_zonegen *zg, FILE *f);

/*!
 * \brief tld_zonegen_write() on the calling thread alone (no helper thread
 *        formatting beside it): the same bytes, for a write that runs beside
 *        other work and should take no more than one core from it.
 * \return TLD_OK, TLD_EIO or TLD_ENOMEM
 */
int tld_zonegen_write_alone(const struct tld_zonegen *zg, FILE *f);

/*!
 * The text tld_zonegen_write() writes, formatted straight into the caller's
 * buffer, in parts that may be formatted at the same time on several
 * threads: the apex's lines, then the lines of the owners below the apex,
 * which are numbered 0 .. tld_zonegen_owner_count() - 1 in canonical
 * order.  The texts of [0, m) with the apex and of [m, n) side by side are
 * the file, byte for byte, for any m.  A part placed at the end of its room
 * (TLD_ZONEGEN_TO_END) ends exactly where a part placed after it begins
 * (TLD_ZONEGEN_FROM_START): two threads fill one buffer with no copy and
 * no need to know how long the first part is.
 */
enum tld_zonegen_place {
	TLD_ZONEGEN_FROM_START,    /*!< the text is buf[0, len) */
	TLD_ZONEGEN_TO_END,        /*!< the text is buf[room - len, room) */
	TLD_ZONEGEN_MEASURE,       /*!< nothing written (buf may be NULL): len only */
};

/*! The owners below the apex, each with one or more lines of the text. */
size_t tld_zonegen_owner_count(const struct tld_zonegen *zg);

/*!
 * \brief An upper bound of the length of the whole text (and so of any of
 *        its parts) from the counts of the build: every line taken at its
 *        longest (names of TLD_NAME_MAX_TEXT - 1 characters); several times
 *        the real length, for a reservation of address space.  SIZE_MAX
 *        when it overflows.
 */
size_t tld_zonegen_text_bound(const struct tld_zonegen *zg);

/*!
 * \brief Formats the apex's lines (when apex is set) and the lines of owners
 *        [from, to) into buf, room bytes, as place says.  Read-only: several
 *        parts may be formatted at once.
 * \param[out] len  the bytes of the text; written only on success
 * \return TLD_OK; TLD_ENOSPC when room is too small (buf's content is then
 *         undefined); TLD_ENOMEM; TLD_EINVAL (from > to, to past the owners,
 *         buf NULL unless measured)
 */
int tld_zonegen_format(const struct tld_zonegen *zg, bool apex, size_t from, size_t to,
                       enum tld_zonegen_place place, char *buf, size_t room, size_t *len);

/*! One record of the built zone in wire form (RFC 1035 3.2.1, names uncompressed). */
struct tld_zonegen_rr {
	const uint8_t *owner;      /*!< wire name, lower case */
	size_t owner_len;
	uint16_t type;
	uint16_t rclass;           /*!< IN, except what apex.records says otherwise */
	uint32_t ttl;
	const uint8_t *rdata;      /*!< uncompressed wire RDATA */
	uint16_t rdlen;
	unsigned long line;        /*!< the line tld_zonegen_write() writes it on (1 = the SOA) */
};

/*!
 * \brief Called for each record by tld_zonegen_records(); the record's
 *        memory is valid only during the call.
 * \return TLD_OK to go on; any other code stops the walk and is returned
 */
typedef int (*tld_zonegen_rr_fn)(void *ctx, const struct tld_zonegen_rr *rr);

/*!
 * \brief Hands every record of the zone to fn in wire form: the records
 *        tld_zonegen_write() writes, in the same order (the n-th record is
 *        the file's line n), the SOA serial the same placeholder 0.  No text
 *        is formatted.  Read-only: several walks may run at once.
 * \return TLD_OK, fn's code, TLD_ENOMEM, TLD_EINVAL (a name that has no
 *         wire form: not after a successful build)
 */
int tld_zonegen_records(const struct tld_zonegen *zg, tld_zonegen_rr_fn fn, void *ctx);

/*!
 * The text tld_zonegen_write() writes, prepared beside a walk of the records
 * (tld_zonegen_records_part()) while each owner's data is in the cache:
 * the walk copies what it found for each owner (name, addresses, its NS
 * hosts' packed entries) into a stream read in order, and
 * tld_zonegen_text_drain() formats the stream later, with the very code of
 * tld_zonegen_write(), owner by owner, without a random access to the big
 * tables.  The texts of the parts, joined in part order, are the file,
 * byte for byte.  The zonegen build must outlive the text.
 */
struct tld_zonegen_text;

/*!
 * \brief An empty text for one walk.
 * \param[out] out  caller frees with tld_zonegen_text_free(); written only on success
 * \return TLD_OK, TLD_ENOMEM
 */
int tld_zonegen_text_new(const struct tld_zonegen *zg, struct tld_zonegen_text **out);

/*!
 * \brief Appends tail's text to t's and frees tail (success or not).
 * \return TLD_OK, TLD_ENOMEM (t's text is then incomplete: drain gives TLD_EAGAIN)
 */
int tld_zonegen_text_join(struct tld_zonegen_text *t, struct tld_zonegen_text *tail);

/*! Called with each piece of a text in order; TLD_OK to go on. */
typedef int (*tld_zonegen_text_fn)(void *ctx, const char *buf, size_t len);

/*!
 * \brief Formats the text and hands it to fn piece by piece, in order,
 *        freeing the stream as it goes (the text is then empty; free it
 *        after).
 * \return TLD_OK; TLD_EAGAIN when memory ran out while the text was
 *         prepared (fn never called: the text is incomplete, format the
 *         zone instead); fn's first error (no further call); TLD_ENOMEM
 *         when memory ran out formatting (fn may have been called)
 */
int tld_zonegen_text_drain(struct tld_zonegen_text *t, tld_zonegen_text_fn fn, void *ctx);

/*! Releases a text; NULL is a no-op. */
void tld_zonegen_text_free(struct tld_zonegen_text *t);

/*!
 * \brief tld_zonegen_records() over one of parts consecutive parts of the
 *        zone, for walks on several threads: part 0 is the apex and the
 *        first owners, each further part the next owners (split at owners,
 *        never inside one owner's records).  The parts in order hand out
 *        exactly the records of tld_zonegen_records(), in its order.  Lines
 *        count from 1 within each part: the record of line L of part k is
 *        line L + (the counts of parts 0 .. k-1) of the file.  Read-only.
 * \param[in]  text   when not NULL, the part's text is appended to it (the
 *                    lines of its records)
 * \param[out] count  the records of the part; written only on success (may be NULL)
 * \return as tld_zonegen_records(); TLD_EINVAL also for part >= parts or parts 0
 */
int tld_zonegen_records_part(const struct tld_zonegen *zg, unsigned part, unsigned parts,
                             tld_zonegen_rr_fn fn, void *ctx, struct tld_zonegen_text *text,
                             unsigned long *count);

/*!
 * \brief Writes the JSON report (counts, rejected rows, orphan glue, lame
 *        delegations) to path, atomically (temp file + rename).
 * \return TLD_OK, TLD_EIO
 */
int tld_zonegen_write_report(const struct tld_zonegen *zg, const char *path);

/*! The counts of a build. */
const struct tld_zonegen_stats *tld_zonegen_stats(const struct tld_zonegen *zg);

/*! Releases a build; NULL is a no-op. */
void tld_zonegen_free(struct tld_zonegen *zg);
