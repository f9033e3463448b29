/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two zone texts walked together for the delta path (publish/zonedelta.h
 * says what it relies on): equal stretches by one comparison that also
 * counts their newlines and refuses bytes the plain form does not have; the
 * lines that differ, told removed or added by their owners' canonical order
 * (the lines of one owner matched as a set), noted with the index of the
 * current image's record near which their record is.  Nothing is read here
 * but owners: the changed lines are read by the caller.  A text's check
 * (common/textcheck.h) may be fed in the same pass, piece by piece while
 * the piece is in the cache, instead of in a pass of its own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/textcheck.h"
#include "publish/zoneimage.h"

/* One of the two texts, walked line by line. */
struct tld_walk_text {
	const char *t;
	size_t len;
	size_t pos;                /*!< start of the current line */
	size_t line;               /*!< its index (0: the SOA line) */
	tld_line_reader_t *rd;     /*!< reads this text's SOA line and owners (new, nothing read yet) */
	const char *name;
	struct tld_text_check *check; /*!< NULL, or fed the text as the walk reads it (started, nothing fed) */
};

/* A changed line, and the index of the current image's record near which its record is. */
struct tld_line_change {
	size_t off, len, line, hint;
	const uint8_t *rec;        /*!< its record, once read (by the caller) */
};

/* Changed lines of one text, in the order walked (owned: free v). */
struct tld_line_changes {
	struct tld_line_change *v;
	size_t n, cap;
};

/*!
 * \brief Walks the current text cur and the new text next from their starts:
 *        reads both SOA lines (with rd), then notes the lines that differ in
 *        removed (cur's) and added (next's).  A text's check, when given, is
 *        fed the bytes walked (on success, all of them but a last partial
 *        block: tld_text_check_end() completes it).
 * \param[out] lines  number of lines of cur
 * \return TLD_OK; TLD_EAGAIN when the texts are not of the form the delta
 *         path needs (logged at info); TLD_ENOMEM
 */
int tld_zone_walk(struct tld_walk_text *cur, struct tld_walk_text *next,
                  struct tld_line_changes *removed, struct tld_line_changes *added, size_t *lines);

/*!
 * \brief Logs at info why the delta path is not taken for the text name.
 * \return TLD_EAGAIN
 */
int tld_delta_refuse(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
