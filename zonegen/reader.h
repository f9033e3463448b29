/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reads the CSV files of an export in a thread of its own: tokenising, the
 * header check, record counts and SHA-256 run there, while the builder
 * validates the rows already read.  The files are read in the order given;
 * what the reader found comes back as a sequence of blocks per file:
 * ZG_BLOCK_ROWS* then one of ZG_BLOCK_END, ZG_BLOCK_OPEN_FAILED,
 * ZG_BLOCK_BAD_HEADER, ZG_BLOCK_BROKEN (the reader then stops).
 *
 * With normalize_first, the first column's name is also normalised and
 * hashed here, so that the caller can fetch its name-table slot ahead.
 *
 * The reader only reads; every message is written by the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Most required columns of a file of the export. */
#define ZG_READER_MAX_COLUMNS 5

/*! One file to read: where, and which columns it must have. */
struct zg_reader_file {
	const char *path;
	const char *const *columns;
	size_t column_count;
	bool normalize_first;         /*!< normalise and hash the first column's name */
	bool hash_second;             /*!< zg_hash() the second column's text as written
	                               *   (not with normalize_first: one hash a row) */
};

enum zg_block_kind {
	ZG_BLOCK_ROWS,        /*!< rows of the file */
	ZG_BLOCK_END,         /*!< end of the file: records, sha256 */
	ZG_BLOCK_OPEN_FAILED, /*!< code: why */
	ZG_BLOCK_BAD_HEADER,  /*!< code, why, missing */
	ZG_BLOCK_BROKEN,      /*!< code, why (tld_csv_error()) */
};

/*! A row: its line, its malformation, and the required columns' texts;
 *  64 bytes, one cache line (rows are written by the reader's thread and
 *  read once by the builder's: each line read costs a transfer). */
struct zg_row {
	unsigned long line;
	const char *error;            /*!< static text or NULL */
	uint32_t off[ZG_READER_MAX_COLUMNS]; /*!< into the block's text, NUL-terminated */
	uint16_t len[ZG_READER_MAX_COLUMNS]; /*!< at most TLD_CSV_MAX_FIELD */
	uint16_t fields;              /*!< fields in the record (at most TLD_CSV_MAX_FIELDS) */
	/* normalize_first: the first column as tld_name_normalize() gives it;
	 * norm_len 0 when not done or the name is invalid (the caller then
	 * normalises the field itself, for the message) */
	uint32_t norm_off;
	uint16_t norm_len;
	/* normalize_first: zg_hash() of that name (0 when norm_len is 0);
	 * hash_second: zg_hash() of the second column's text (0 if absent), so
	 * that the caller can fetch what it keeps by that text ahead; a file
	 * has one or the other (zg_reader_start()) */
	uint64_t hash;
};

struct zg_block {
	enum zg_block_kind kind;
	size_t file;                  /*!< index into the files given */
	size_t header_fields;         /*!< ROWS: fields of the file's header */
	struct zg_row *rows;
	size_t count, cap;
	char *text;
	size_t text_len, text_cap;
	int code;                     /*!< TLD_* of the failure, or of the SHA-256 */
	char why[192];
	const char *missing;          /*!< header: the offending column name */
	uint64_t records;             /*!< END: data records read */
	uint8_t sha256[32];           /*!< END */
	double cpu_seconds;           /*!< END: the reader thread's CPU time on the file */
	struct zg_block *next;        /*!< queue link */
};

struct zg_reader;

/*!
 * \brief Starts reading files[0..count) in a new thread.
 * \param[in]  files  must outlive the reader
 * \param[out] out    caller frees with zg_reader_free(); written only on success
 * \return TLD_OK, TLD_ENOMEM, TLD_EAGAIN (no thread), TLD_EINVAL (a file with both
 *         normalize_first and hash_second)
 */
int zg_reader_start(const struct zg_reader_file *files, size_t count, struct zg_reader **out);

/*!
 * \brief Waits for the next block.
 * \param[out] out  the block; give it back with zg_reader_release()
 * \return TLD_OK, or TLD_ENOENT when the reader has nothing more
 */
int zg_reader_next(struct zg_reader *rd, struct zg_block **out);

/*! Gives a block back to the reader for reuse. */
void zg_reader_release(struct zg_reader *rd, struct zg_block *b);

/*! Stops the reader (if still reading), waits for its thread, frees all; NULL is a no-op. */
void zg_reader_free(struct zg_reader *rd);
