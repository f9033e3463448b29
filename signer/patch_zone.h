/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The replaced names' records as a zone of their own (not built), for the
 * patch run's driver (signer/patch.c): their groups of lines in the new
 * text parsed as the full path takes them, in the order of the replaced
 * names.
 *
 * Most of those groups are the changed owners' (the diff's), known long
 * before the replaced names are: they are parsed ahead, on a thread beside
 * the driver's search for the other names and its chain planning, into
 * records kept in memory; the zone is then made in the order of the
 * replaced names, each group's records taken from there when that very
 * stretch of text (offset and length) was parsed ahead, else parsed then.
 * What it relies on, and why that is exact: each group is parsed on its
 * own (signer_zparser_span(): nothing carried from one group to the next,
 * the line numbers the group's own), so its records, their order and its
 * verdict (the parser's error after some records, a $ORIGIN met) are a
 * function of the stretch of text alone, which nothing changes meanwhile
 * (the new text is read-only); the records parsed ahead go to the same
 * callback in the same order, and a group's verdict is taken where the
 * parse would have given it, after its records and before the next group:
 * the zone, and the first error with it, are those of parsing every group
 * then.  Should the thread not start or run out of memory, every group is
 * parsed then.  The thread runs at nice 5: the driver's own halves on
 * both cores are waited for at once, its parse only when the zone is made.
 * TLDSIGN_SIGN_PATCH_AHEAD=0 in the environment parses
 * nothing ahead (tests compare the two ways).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "signer/patch_diff.h"
#include "signer/zone.h"

struct driver;

/*! The groups parsed ahead (patch_zone.c). */
struct patch_zone_ahead;

/*!
 * \brief Starts parsing the new groups of the changed owners still present
 *        (the diff's changes, in text order) on a thread.  source and text
 *        are kept as pointers, not copied: from here until
 *        patch_zone_ahead_end() returns, the thread reads text (each
 *        group's bytes, text[new_off, new_off + new_len): not to change)
 *        and source (its name in messages), so both must outlive that
 *        call; origin and the groups' places in ch are copied (ch may go
 *        at once).
 * \param[out] out  NULL when nothing is parsed ahead (no thread, no memory,
 *                  no group of a present owner, or the environment says
 *                  so): not an error, the zone is made all the same.
 *                  Changes not in text order: the groups before the first
 *                  out of order are parsed ahead, the rest at the zone's
 *                  making.  Else end it with patch_zone_ahead_end()
 */
void patch_zone_ahead_start(const char *source, const char *text, const uint8_t *origin,
                            const struct signer_owner_change *ch, size_t n, struct patch_zone_ahead **out);

/*!
 * \brief Stops the thread between two groups (the group it is parsing
 *        finished: on a fall-back the full sign does not wait for the
 *        rest), waits for it, frees what it parsed (NULL: nothing).  After
 *        patch_make_zone() the thread is done already: nothing is stopped.
 * \return the groups the thread parsed (0 for NULL; fewer than it was
 *         given when stopped): for the log and tests
 */
size_t patch_zone_ahead_end(struct patch_zone_ahead *a);

/*!
 * \brief The replaced names' records (d->r in order; an empty
 *        non-terminal's none: the build makes it) as a zone, with what a
 *        parsed ahead (waited for here, every group: nothing stopped; may
 *        be NULL).  a stays the caller's: patch_zone_ahead_end() is still
 *        needed after, whatever this returns.
 * \param[out] out       caller frees with signer_zone_free()
 * \param[out] replayed  the groups whose records were taken from a (not
 *                       parsed then): signer_sign_stats.patch_groups_ahead;
 *                       written only on success
 * \return TLD_OK, TLD_EAGAIN (a group not as the full path takes it:
 *         logged, the whole zone is signed), TLD_ENOMEM
 */
int patch_make_zone(const struct driver *d, struct patch_zone_ahead *a, struct signer_zone **out,
                    size_t *replayed);
