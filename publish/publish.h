/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Publishing a signed zone as the next version (DESIGN section 6).
 *
 * A version is three files written atomically (temporary name in the same
 * directory, fsync, rename, fsync of the directory) before the state store
 * records it in one transaction, which is the commit point:
 *   OUTPUT_DIR/ZONE.SERIAL.zone   the signed zone file as given (a copy, or a
 *                                 hard link to it when the caller allows)
 *   OUTPUT_DIR/ZONE.SERIAL.img    its wire image (what `serve` loads)
 *   STATE_DIR/journal/ZONE.FROM-TO.ixfr   difference to the previous version
 * and OUTPUT_DIR/ZONE.zone, a symlink to the current version for primaries
 * that read files (NSD, Knot, BIND).  A publish killed at any instant leaves
 * the previous version recorded, complete and served.
 *
 * tld_publish_zone_file() does it all; tld_publish_prepare() and
 * tld_publish_commit() are its two halves (publish/publish.c): everything
 * up to the temporaries, which `tldsign run` does while it verifies, and the
 * commit, which it does only once verification passed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/file_ident.h"
#include "common/statedb.h"
#include "common/textcheck.h"

/*! Bounds of the IXFR journal. */
#define TLD_JOURNAL_MAX_ENTRIES 64
#define TLD_JOURNAL_MAX_BYTES ((uint64_t)512 << 20)

/*! The current published version as recorded in the state store. */
struct tld_version_info {
	int64_t id;
	uint32_t serial;
	char file[4096];
	char image[4096];
	char digest[65];
	int64_t time;
	char image_check[17];       /*!< tld_image_check() of the image, hex; "" when not recorded */
	char text_check[17];        /*!< tld_zone_text_check() of the file, hex; "" when not recorded */
};

struct tld_publish_result {
	bool unchanged;             /*!< the same serial and digest were already published */
	uint32_t serial;
	bool had_previous;
	uint32_t previous_serial;
	char digest[65];            /*!< SHA-256 of the zone file, hex */
	char image_check[17];       /*!< tld_image_check() of its image, hex */
	char text_check[17];        /*!< tld_zone_text_check() of the zone file, hex */
	char file[4096];            /*!< the published zone file */
	size_t records;
	size_t removed, added;      /*!< journal entry content (0 when no previous version) */
	uint64_t journal_bytes;
	bool after_publish_ran;
	int after_publish_status;   /*!< exit status of the after-publish command, -1 if it died */
};

/*! How a publish may treat its input. */
struct tld_publish_opts {
	/*!
	 * The input is durable and never modified in place (replaced only by
	 * rename, as STATE_DIR/signed.zone by the signer): the version's zone
	 * file may be a hard link to it instead of a copy.  A copy all the same
	 * when linking fails (another file system).
	 */
	bool link_input;
	/*!
	 * The files of the versions and journal entries the commit prunes are
	 * not removed but renamed NAME.pruned, for tld_publish_remove_pruned()
	 * to remove later, off the caller's critical path: removing a version
	 * of a large zone frees its blocks and page cache inside the call
	 * (1M delegations: 380 MiB, about 0.1 s).  The rows go first as ever,
	 * so a NAME.pruned is never a recorded version's file.
	 */
	bool defer_prune;
	/*!
	 * With link_input, or NULL: the input's SHA-256 and check as its
	 * writer made them while writing it (signer_sign_stats.text_digest),
	 * whole or for its first bytes, with its identity (common/file_ident.h)
	 * once in place.  Used instead of hashing the input again (or its
	 * first bytes) when the file opened has that identity (the same inode,
	 * size and ctime: not written, truncated or renamed over since); else,
	 * or with neither hex nor partial, the input is hashed as ever.  Read
	 * only; the caller keeps it until the preparation returned.
	 */
	const struct tld_text_digest *text_digest;
};

/*! A prepared publish (tld_publish_prepare()): temporaries, not yet visible. */
typedef struct tld_publish_prep tld_publish_prep_t;

/*!
 * \brief The first half of a publish: reads signed_path once, checks it
 *        (SOA at the apex, serial newer than current's), builds its image
 *        and the journal entry from current, and writes the version's zone
 *        file, image and journal entry under temporary names.  The image
 *        and journal entry come from current's image and the lines that
 *        changed when current checks out (publish/zonedelta.h), else from
 *        the whole text: the same bytes either way.  Nothing
 *        becomes visible or served and the state store is not used, so the
 *        caller may run it in another thread while it verifies the same file
 *        (`tldsign run`); then tld_publish_commit() or tld_publish_abort().
 *        The same serial with the same content as current prepares an
 *        unchanged publish (nothing written).  A process killed meanwhile
 *        leaves temporaries that the next publish removes.
 * \param[in]  cfg          instance configuration; must outlive the preparation
 * \param[in]  current      the current version (tld_versions_current()), NULL when none
 * \param[in]  signed_path  signed zone file
 * \param[in]  opts         NULL for the defaults (copy the input)
 * \param[out] out          the preparation; written only on success
 * \return TLD_OK; TLD_EZONE (serial not newer, no SOA, wrong apex), TLD_EPARSE,
 *         TLD_EIO, TLD_ENOSPC, TLD_ENOMEM; on failure every temporary is removed
 */
int tld_publish_prepare(const struct tld_config *cfg, const struct tld_version_info *current,
                        const char *signed_path, const struct tld_publish_opts *opts,
                        tld_publish_prep_t **out);

/*!
 * \brief Removes the temporaries an interrupted publish left in the output
 *        directory and the journal directory (tld_publish_prepare() does it
 *        too).  The caller holds the state-directory lock.
 */
void tld_publish_sweep(const struct tld_config *cfg);

/*!
 * \brief Removes the files of pruned versions and journal entries that a
 *        commit with tld_publish_opts.defer_prune left (STEM.*.pruned in the
 *        output and journal directories).  The caller holds the
 *        state-directory lock; it may run beside a preparation (their names
 *        differ) but not beside a commit.
 * \return how many files were removed
 */
size_t tld_publish_remove_pruned(const struct tld_config *cfg);

/*! Whether the preparation found the same serial and content already published. */
bool tld_publish_prep_unchanged(const tld_publish_prep_t *prep);

/*!
 * \brief The second half: renames the prepared files into place and records
 *        the version (the commit point), then the current-version symlink,
 *        pruning and the after-publish command.  Refuses (TLD_ESTATE) when
 *        the current version is no longer the one prepared against.  The
 *        caller holds the state-directory lock.  Frees prep in every case.
 * \param[out] res  filled on success (and on after-publish failure)
 * \return TLD_OK; TLD_EIO, TLD_ESTATE, ...; TLD_EIO as well when the
 *         after-publish command failed (the version is published then)
 */
int tld_publish_commit(tld_publish_prep_t *prep, tld_statedb_t *db, struct tld_publish_result *res);

/*! \brief Discards a preparation: removes its temporaries and frees it; NULL is a no-op. */
void tld_publish_abort(tld_publish_prep_t *prep);

/*!
 * \brief Publishes signed_path as the next version: atomic files, state
 *        store rows (versions, journal), pruning to output.keep versions and
 *        the journal bounds, current-version symlink, after-publish command.
 *        Does not verify and does not NOTIFY (the caller does both).  The
 *        caller holds the state-directory lock (common/lock.h); temporary
 *        files left by an interrupted publish are removed.
 * \param[in]  cfg          instance configuration (zone, output, state-dir)
 * \param[in]  db           open state store
 * \param[in]  signed_path  signed zone file
 * \param[out] res          filled on success (and partly on after-publish failure)
 * \return TLD_OK; TLD_EZONE (serial not newer, no SOA, wrong apex), TLD_EPARSE,
 *         TLD_EIO, TLD_ESTATE, TLD_ENOMEM; TLD_EIO as well when the
 *         after-publish command failed (the version is published then)
 */
int tld_publish_zone_file(const struct tld_config *cfg, tld_statedb_t *db,
                          const char *signed_path, struct tld_publish_result *res);


/*!
 * \brief Reads the current version.
 * \return TLD_OK, TLD_ENOENT (nothing published yet) or TLD_ESTATE
 */
int tld_versions_current(tld_statedb_t *db, struct tld_version_info *out);

/*! One journal entry (difference between two consecutive versions). */
struct tld_journal_info {
	uint32_t from_serial, to_serial;
	char file[4096];
	uint64_t bytes;
};

/*!
 * \brief Lists the journal entries, oldest first.
 * \param[out] out  array, caller frees with free(); written only on success
 * \return TLD_OK or TLD_ESTATE / TLD_ENOMEM
 */
int tld_journal_list(tld_statedb_t *db, struct tld_journal_info **out, size_t *n);

/*! Creates the publish tables when missing.  \return TLD_OK or TLD_ESTATE */
int tld_versions_init(tld_statedb_t *db);
