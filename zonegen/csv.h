/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A streaming RFC 4180 CSV reader for the registry export (DESIGN.md section 4).
 *
 * Accepts what PostgreSQL `COPY ... (FORMAT csv, HEADER true)` writes and what
 * RFC 4180 allows: quoted fields with doubled quotes, embedded commas, CR and
 * LF inside quotes, CRLF or LF record ends, a UTF-8 byte order mark at the
 * start.  Reads through a fixed buffer (no per-row allocation); the fields of
 * the current record stay valid until the next call to tld_csv_next().
 *
 * Two kinds of problems:
 * - a malformed record (stray quote, NUL byte, bare CR, overlong field) is
 *   returned with rec->error set; the reader stays in step and continues;
 * - a broken file (unterminated quote at end of file, read error) makes
 *   tld_csv_next() return TLD_EPARSE/TLD_EIO with tld_csv_error() set.
 *
 * While reading, the reader counts records and computes the SHA-256 of every
 * byte read, for the manifest check.
 *
 * Speed: a record that is one whole line in the buffer, without a quote, a
 * NUL or a CR (but that of a CRLF end), with no field too long and not too
 * many fields, is split sixteen bytes at a time (SSE2; eight without it);
 * every other record goes through the byte loop, which is what decides
 * about such lines anyway, so the fields, lines, errors and digest are the
 * same whichever way a record is read.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*! Longest field accepted (bytes); longer ones make the record malformed. */
#define TLD_CSV_MAX_FIELD 4096
/*! Most fields per record. */
#define TLD_CSV_MAX_FIELDS 64

struct tld_csv;

/*!
 * One record; valid until the next tld_csv_next() call.  Its fields lie one
 * after the other in memory, each followed by its NUL: field[k + 1] ==
 * field[k] + len[k] + 1 (the reader of an export copies a record at once).
 */
struct tld_csv_record {
	size_t count;                 /*!< number of fields */
	const char *field[TLD_CSV_MAX_FIELDS]; /*!< NUL-terminated field texts */
	size_t len[TLD_CSV_MAX_FIELDS];
	unsigned long line;           /*!< physical line where the record starts (1-based) */
	const char *error;            /*!< NULL, or why the record is malformed (static text) */
};

/*!
 * \brief Opens a CSV file for reading.
 * \param[in]  path  file name (also used in messages)
 * \param[out] out   the reader; caller frees with tld_csv_free(); written only on success
 * \return TLD_OK, TLD_ENOENT, TLD_EACCES, TLD_EIO or TLD_ENOMEM
 */
int tld_csv_open(const char *path, struct tld_csv **out);

/*!
 * \brief Makes a reader over a memory buffer (tests, fuzzing).
 * \param[in]  data  the bytes (not copied; must outlive the reader)
 * \param[in]  len   their length
 * \param[out] out   the reader; caller frees with tld_csv_free(); written only on success
 * \return TLD_OK or TLD_ENOMEM
 */
int tld_csv_open_mem(const char *data, size_t len, struct tld_csv **out);

/*! Closes a reader; NULL is a no-op. */
void tld_csv_free(struct tld_csv *csv);

/*!
 * \brief Reads the next record.
 * \param[in]  csv  the reader
 * \param[out] rec  the record (rec->error set if malformed)
 * \return 1 (a record), 0 (end of file), TLD_EPARSE (unterminated quote at end of
 *         file; see tld_csv_error()), TLD_EIO
 */
int tld_csv_next(struct tld_csv *csv, struct tld_csv_record *rec);

/*!
 * \brief tld_csv_next(), storing the record's fields at dst when it can.
 *
 * A record read by the fast path (see above) whose line fits in room - 8
 * bytes has its fields stored at dst (field[0] == dst; at most room bytes
 * are written there); any other record is stored in the reader's own
 * storage, as tld_csv_next() stores it.  The record, its line, errors,
 * counts and the digest are the same either way: only where the field texts
 * lie differs.  The caller that finds field[0] == dst owns those bytes
 * (field[count - 1] + len[count - 1] + 1 - dst of them); dst NULL or room
 * <= 8 is tld_csv_next().
 */
int tld_csv_next_into(struct tld_csv *csv, struct tld_csv_record *rec, char *dst, size_t room);

/*! The reason of the last fatal error, with its line ("line 7: ..."); "" if none. */
const char *tld_csv_error(const struct tld_csv *csv);

/*! Number of fields of the header read by tld_csv_header() (0 before). */
size_t tld_csv_header_fields(const struct tld_csv *csv);

/*! Records returned so far (malformed ones included). */
uint64_t tld_csv_records(const struct tld_csv *csv);

/*!
 * \brief The SHA-256 of every byte of the input; only after tld_csv_next() returned 0.
 * \param[out] digest  32 bytes
 * \return TLD_OK, TLD_EINVAL (not at end of file) or TLD_ECRYPTO
 */
int tld_csv_sha256(struct tld_csv *csv, uint8_t digest[32]);

/*!
 * \brief Reads the header record and finds the named columns (exact, case-insensitive).
 *
 * Extra columns are allowed and ignored; a missing or duplicated required
 * column, an empty file or a malformed header is an error.
 *
 * \param[in]  csv    the reader, before the first record
 * \param[in]  names  required column names
 * \param[in]  count  how many
 * \param[out] index  for each name, its field index
 * \param[out] why    on error, a static explanation; the column name goes in *missing
 * \param[out] missing on error, the offending column name (or NULL)
 * \return TLD_OK, TLD_EPARSE (bad or incomplete header), TLD_EIO
 */
int tld_csv_header(struct tld_csv *csv, const char *const *names, size_t count, size_t *index,
                   const char **why, const char **missing);
