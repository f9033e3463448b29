/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Which owners changed between two unsigned zone texts (the previous run's
 * STATE_DIR/unsigned.zone and this run's), for the patch run of
 * docs/incremental-run.md.
 *
 * The text format is zonegen's (zonegen/write.c): one RR per line,
 * "owner<TAB>ttl<TAB>class<TAB>type<TAB>rdata\n", owners absolute names in
 * presentation form (\X and \DDD escapes as signer_zparse_name() reads
 * them), the owners in canonical order (RFC 4034 section 6.1; the apex
 * sorts first), all lines of an owner consecutive (its "group").  Two
 * spellings of one name ("A.test.", "\097.test.", "a.test.") are one owner
 * (compared as lower-case wire form); their lines' bytes still differ.
 *
 * What it relies on, and why that is exact: equal stretches of the two
 * texts are skipped by memcmp(); at the first differing byte the walk backs
 * up to the start of the group holding it (the bytes before it are the same
 * in both texts, so that start is a group start in both), then merges the
 * groups of both texts in canonical order of their owners (an owner in one
 * text only is added or removed) up to the first pair of groups of one
 * owner (changed when their bytes differ), and skips from there again:
 * all before is compared, and both places are group starts.  Every owner
 * whose group differs in any byte is met by a walk (a walk starts at the
 * group of the first differing byte after the last one), so none is
 * reported unchanged; an owner outside every walk has the same bytes in
 * both texts.
 * Owners, order and consecutive lines are checked only where the walk looks
 * (checking all 1M owners would cost more than the whole diff): an owner
 * out of order or split in a stretch that is the same in both texts goes
 * unnoticed, which is sound only because both texts are written by
 * zonegen, which writes them in that order.  The rest of a line (TTL,
 * class, type, RDATA) is compared as bytes, never parsed: a record written
 * across lines (in parentheses, or with a newline escaped or quoted) would
 * be taken for several lines (zonegen never writes one).  Any text not as
 * described where the walk looks gives TLD_EPARSE, and the caller signs
 * the whole zone.
 *
 * Large texts are compared in two halves on two threads
 * (signer_text_diff_at()): split before an owner X whose group starts in
 * both texts (found after the middle of the new text, then in the old one
 * by signer_text_find_owner()), the line before it in each text of another
 * owner that sorts before X.  Each half is compared as a text of its own,
 * the second half's changes follow the first's.  That is exactly the one
 * pass: in the first half the one pass reads the same bytes (past the
 * split only X's first line, whose owner ends the group before it), and a
 * walk of it that reaches the split reads X next on that side, which
 * changes nothing when that side's last owner sorts before X; the second
 * half starts at group starts of both texts with all before compared,
 * where the one pass's state differs only in the last owners, which its
 * first walk checks against X (sorting before X) or back_up() sets anew.
 * So the halves' results are taken only when both halves compared without
 * error, with at most max_changes changes together, and each side's last
 * owner in the first half (when its walks passed one) sorts before X;
 * otherwise (an error, the limit, an owner out of order) the texts are
 * compared again in one pass, whose verdict stands: TLD_ERANGE and
 * TLD_EPARSE never depend on the split.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signer/dname.h"

enum signer_owner_change_kind { SIGNER_OWNER_ADDED, SIGNER_OWNER_REMOVED, SIGNER_OWNER_CHANGED };

/*! One owner whose lines differ between the two texts. */
struct signer_owner_change {
	enum signer_owner_change_kind kind;
	uint8_t owner[SIGNER_DNAME_MAX]; /*!< wire form, lower case (signer/dname.h) */
	size_t owner_len;
	size_t old_off, old_len;         /*!< its group in the old text (REMOVED, CHANGED; else 0, 0) */
	size_t new_off, new_len;         /*!< its group in the new text (ADDED, CHANGED; else 0, 0) */
};

/*!
 * \brief Compares two texts owner group by owner group.
 * \param[in]  old_text, old_len  the previous text (need not be NUL-terminated)
 * \param[in]  new_text, new_len  this run's text
 * \param[in]  max_changes        more changes than that: TLD_ERANGE at once
 *                                (the caller signs the whole zone instead)
 * \param[out] out                the changes in canonical order of their
 *                                owners (the apex first when it changed);
 *                                caller frees with free(); NULL when there
 *                                are none; written only on success
 * \param[out] n                  their number; written only on success
 * \param[out] why                if non-NULL: on TLD_EPARSE or TLD_ERANGE a
 *                                short reason (static string); never logged
 *                                here (the caller falls back)
 * \return TLD_OK; TLD_ERANGE; TLD_EPARSE (a line without an absolute owner
 *         followed by a TAB, owners out of canonical order or an owner's
 *         lines not consecutive where the walk looks, no final newline);
 *         TLD_ENOMEM
 */
int signer_text_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                     size_t max_changes, struct signer_owner_change **out, size_t *n, const char **why);

/*!
 * \brief signer_text_diff() with the texts split at the first owner group
 *        of the new text that starts after offset at (SIZE_MAX: no split),
 *        the halves compared on two threads.  signer_text_diff() splits
 *        texts of 1 MiB and more in the middle; tests and the fuzzer split
 *        anywhere.  Same results and verdicts as one pass, whatever at is.
 * \param[out] split  if non-NULL: whether the halves' results were taken
 *                    (else one pass gave them)
 * \return as signer_text_diff()
 */
int signer_text_diff_at(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                        size_t max_changes, size_t at, struct signer_owner_change **out, size_t *n, const char **why,
                        bool *split);

/*!
 * \brief The group of owner in a text in the format above, by binary search
 *        over line starts (the apex group first: it sorts first canonically
 *        anyway).  Like the diff, it relies on the order and checks only the
 *        lines it probes.
 * \param[in]  text, len          the text
 * \param[in]  owner, owner_len   the owner in wire form (any case)
 * \param[out] off, glen          its group: the first line's offset and the
 *                                group's length (whole lines); written only
 *                                on success
 * \return TLD_OK; TLD_ENOENT when absent; TLD_EPARSE (a probed line not as
 *         described, no final newline); TLD_EINVAL (owner not a wire name
 *         of owner_len bytes)
 */
int signer_text_find_owner(const char *text, size_t len, const uint8_t *owner, size_t owner_len,
                           size_t *off, size_t *glen);

/*!
 * \brief The owner of one line: the field before the first TAB that is not
 *        escaped, which must be an absolute name (signer_zparse_name()) and
 *        hold none of the bytes a zone file ends a field at (space, CR, ';',
 *        '(', ')', '"'; other control bytes are refused too), nor begin
 *        with '$' (a directive).  The rules of the diff, for its tests'
 *        reference.
 * \param[in]  text, len   the text; text[len - 1] must be '\n'
 * \param[in]  pos         a line start (< len)
 * \param[out] owner       SIGNER_DNAME_MAX bytes: wire form, lower case
 * \param[out] owner_len   its length
 * \param[out] line_end    the offset just after the line's '\n'
 * \param[out] why         on TLD_EPARSE, a static reason
 * \return TLD_OK or TLD_EPARSE
 */
int signer_text_line_owner(const char *text, size_t len, size_t pos, uint8_t *owner, size_t *owner_len,
                           size_t *line_end, const char **why);
