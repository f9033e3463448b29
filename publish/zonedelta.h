/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The delta path of a publish preparation (publish/publish.c): the image of
 * the next version made from the current version's image and the lines in
 * which the two zone files differ, instead of from the whole new file, for
 * the same bytes.
 *
 * How: the two zone texts are walked together (publish/zonewalk.h: a
 * comparison that also counts newlines and looks for bytes the plain form
 * does not have); only
 * the lines that differ are read (owners compared canonically tell a removed
 * line from an added one; lines of one owner are matched as a set); the
 * removed and added records that are the same bytes cancel; each removed
 * record must be the very record at its place in the current image, each
 * added record goes where canonical order puts it; the new image is the
 * current one's records in runs, less the removed, plus the added, after the
 * new SOA.  The journal entry is old SOA, removed, new SOA, added, as
 * tld_image_diff() makes it.
 *
 * What it relies on, and why that is sound:
 *  - The current image is the image of the current zone file: both were
 *    written by the publish that recorded them (tld_image_save() of the
 *    whole-text reader's image, or of this path's), renamed into place and
 *    recorded in one transaction with the checks of both
 *    (tld_zone_text_check(), tld_image_check()).  Checked: both checks are
 *    the recorded ones (a file or image damaged, edited or replaced since is
 *    not used; the file's check is fed by the walk, which reads every byte
 *    of it, the image's is summed in the pass that indexes it, on a thread
 *    beside the walk -- always: the image is what AXFR serves, and damage
 *    below the file system leaves a file's identity alone, so a recorded
 *    identity is no proof of its bytes), the image's structure
 *    (every record within bounds, a valid owner), its serial, its record
 *    count equal to the file's line count, its SOA record equal to the
 *    file's SOA line read again, each removed record found byte for byte
 *    where the file's line puts it, and the canonical order around every
 *    change.  The image's order elsewhere is the order the publish that
 *    wrote it gave it (canonical: tld_image_builder_finish(), or this path).
 *  - Every line of both texts is one record whose reading depends on
 *    nothing before it but what both texts have alike: both start with
 *    their SOA lines, with the same owner text (the origin of relative
 *    names); no text holds directives, parentheses, quotes, escapes,
 *    comments, control or non-ASCII bytes (checked on every byte); no blank
 *    line (the line count equals the record count); every line after a
 *    change names its owner and its TTL (so the lines that follow, alike in
 *    both texts, are read alike), and every changed line is read alone by
 *    the fast reader's plain-line path, which is how the whole-text reader
 *    reads it.  Then the records of the new text are, as a multiset, those
 *    of the current one less the removed plus the added, whatever the order
 *    of the lines; the image's order is canonical order, which is the same
 *    for the same multiset.
 * Refused as well: owners out of canonical order where lines differ, more
 * than about one changed line in sixteen (the whole text costs no more).
 * Anything else returns TLD_EAGAIN with the reason logged at info, and the
 * caller takes the whole-text path.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "publish/publish.h"
#include "common/textcheck.h"
#include "publish/zoneimage.h"

/*! A planned delta: the current version's files mapped, the changes read. */
struct tld_zone_delta;

/*!
 * \brief Plans the next version's image from the current version's.
 * \param[in]  current  the current version: zone file, image, serial, and
 *                      the digest and image check recorded with them
 * \param[in]  name     name of the new text for messages
 * \param[in]  text, len the new zone text (read during the call only)
 * \param[out] out      free with tld_zone_delta_free(); written only on success
 * \return TLD_OK; TLD_EAGAIN when a precondition does not hold (logged at
 *         info: take the whole-text path); TLD_ENOMEM, TLD_ECRYPTO
 */
int tld_zone_delta_plan(const struct tld_version_info *current, const char *name, const char *text,
                        size_t len, struct tld_zone_delta **out);

/*! The new image's tld_image_check(). */
uint64_t tld_zone_delta_check(const struct tld_zone_delta *d);

/*! The new SOA record (image layout), valid while the delta lives. */
const uint8_t *tld_zone_delta_soa(const struct tld_zone_delta *d);

/*! The new SOA's serial. */
uint32_t tld_zone_delta_serial(const struct tld_zone_delta *d);

/*! Number of records of the new image. */
size_t tld_zone_delta_records(const struct tld_zone_delta *d);

/*!
 * \brief Writes the new image file: the bytes tld_image_save() writes for
 *        the image of the whole new text, in order by one writer (the
 *        pieces of the current image as they are, the new records), with
 *        writeback started as it goes.  fsyncs the file.
 * \return TLD_OK or TLD_EIO / TLD_ENOSPC (logged)
 */
int tld_zone_delta_save(const struct tld_zone_delta *d, const char *path);

/*!
 * \brief The journal entry (old SOA, removed, new SOA, added): the image
 *        tld_image_diff() makes from the two versions' images.
 * \param[out] out  caller frees with tld_image_free(); written only on success
 * \return TLD_OK or TLD_ENOMEM
 */
int tld_zone_delta_journal(const struct tld_zone_delta *d, struct tld_zone_image **out);

/*! Releases a delta (unmaps the current version's files); NULL is a no-op. */
void tld_zone_delta_free(struct tld_zone_delta *d);
