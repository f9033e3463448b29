/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The patch run: the next signed version made from the previous one for the
 * owners whose unsigned text changed, instead of signing the whole zone
 * again (docs/incremental-run.md).  Its output is byte for byte what
 * signer_sign_file() writes for the same inputs (the same keys, policy,
 * time and previous version), the side file aside: a patch run's side file
 * has the same signatures and text index but no unsigned hash (sigfile.h,
 * version 5, SIGNER_SIGFILE_PATCHED).
 *
 * What it relies on, each checked before anything is written; when one
 * does not hold it returns TLD_EAGAIN (the reason logged at info) and the
 * caller signs the whole zone with signer_sign_file():
 *   - the previous version's side file has a patch index (version 5) and
 *     a text index that tile the previous zone file, whose SOA serial it
 *     names;
 *   - old_text is the unsigned text the previous version was signed from
 *     (the caller checks it: run/ compares its SHA-256 with the run
 *     history's);
 *   - the keys (tags, algorithms, DNSKEYs, what each signs, CDS/CDNSKEY)
 *     and the signing policy (denial, NSEC3 parameters, signature times,
 *     key TTL) are those of the previous run (sign_patch_digests());
 *     the denial is NSEC3; the clock has not gone back;
 *   - the apex's unsigned records are unchanged, and at most max_changes
 *     owners changed (signer/patch_diff.h compares the texts);
 *   - the zone's signed names are the apex and names one label below it:
 *     every changed name further down is glue below a delegation one
 *     label below the apex, in the old and in the new text; no changed
 *     delegation becomes or stops being one; the NSEC3 records of the
 *     previous version all stand for the apex or names one label below.
 *     (A TLD's zone: the registry's delegations and their glue.)
 * Under these the signed zone is the previous one with the text of these
 * names replaced: the changed owners, the nodes whose NSEC3 record's next
 * hashed owner moves, the nodes with a signature due for refresh (the
 * patch index keeps each RRset's earliest expiration), and the apex (its
 * SOA serial); the removed owners and their NSEC3 records taken out.  The
 * replaced names are signed as a zone of their own by the very code of the
 * full path (signer/sign.c) with their neighbours' NSEC3 hashes given, and
 * their text is spliced into the previous text in canonical order.
 */
#pragma once

#include <stddef.h>

#include "signer/sign.h"

struct signer_patch_opts {
	const struct tld_config *cfg;
	const struct tld_policy *policy;
	tld_statedb_t *db;
	const char *output;        /*!< the signed zone file to write (and its side file) */
	const char *previous;      /*!< the previous signed version (its side file beside it) */
	const char *old_text;      /*!< the unsigned text previous was signed from */
	size_t old_len;
	const char *new_text;      /*!< this run's unsigned text (zonegen/zonegen.h: tld_zonegen_write()) */
	size_t new_len;
	const char *source;        /*!< the new text's name in messages */
	tld_time_t now;
	unsigned workers;          /*!< HSM workers; 0 = one per CPU */
	struct tld_signpool_workers *started; /*!< HSM workers started before (signer/sign.h), or NULL */
	size_t max_changes;        /*!< more changed owners: TLD_EAGAIN */
};

/*!
 * \brief Signs the new text as a patch of the previous version into
 *        opts->output.  With nothing changed and no signature due it writes
 *        nothing and sets stats->unchanged (serial: the previous one).
 * \param[out] stats  filled on success
 * \return TLD_OK; TLD_EAGAIN (a precondition above does not hold: nothing
 *         written, sign the whole zone instead); otherwise as
 *         signer_sign_file()
 */
int signer_patch_file(const struct signer_patch_opts *opts, struct signer_sign_stats *stats);
