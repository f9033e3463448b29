/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The files of the last published version that a publish replaces
 * (STATE_DIR/previous.zone, .sigs, .vstate, .vcache: run/stage_gate.c),
 * freed off the run's critical path.
 *
 * Replacing a name frees its old file's blocks and page cache inside the
 * rename when that was the file's last link: at 1M delegations 61 MiB of
 * signatures, 27 MiB of verifier state (and, where previous.zone is not
 * linked to a published version, 205 MiB of text), 0.04-0.10 s of the
 * publish stage, most of it waiting for the file system's journal.  So a
 * publish first gives the old file a second name, NAME.old, then replaces
 * NAME atomically as before: no blocks are freed then.  The next run
 * removes the NAME.old files on a thread of its own from its start, beside
 * its export stage, and waits for it before it replaces anything itself.
 *
 * The files of the versions the publish prunes are left the same way
 * (publish/publish.h: tld_publish_opts.defer_prune, NAME.pruned in the
 * output and journal directories) and removed by the same thread.
 *
 * Why that is sound: NAME is replaced by one rename as before, so it names
 * the old or the new file at every instant, whatever is killed when; a
 * NAME.old is only ever an extra name of a file nothing reads any more (the
 * run holds the state-directory lock; nothing opens NAME.old), removed by
 * the next run, or before the name is given again.  Where the extra name
 * cannot be made (a file system without hard links), the rename frees the
 * file as before.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/side_job.h"

/*! The removal of the NAME.old files a run found (run_start_remove_replaced()). */
struct replaced_job {
	struct tld_side_job run;            /* join before replacing anything */
	bool started;
	const struct tld_config *cfg;       /* whose pruned versions' files go too */
	const char *paths[4];               /* the NAMEs (owned by the run) */
	size_t count;
	size_t removed;                     /* NAME.old files removed */
	size_t pruned;                      /* pruned versions' files removed */
};

/*!
 * \brief Starts removing NAME.old for each of count names (at most 4, held
 *        by the caller until run_join_remove_replaced()) and the files of
 *        cfg's pruned versions (tld_publish_remove_pruned()) on a thread
 *        (here and now when none can be had: freed then as before).  Join
 *        before a publish commits.
 */
void run_start_remove_replaced(struct replaced_job *job, const struct tld_config *cfg,
                               const char *const *paths, size_t count);

/*! \brief Waits for the removal (a no-op when none runs); logs what it took at debug. */
void run_join_remove_replaced(struct replaced_job *job);

/*!
 * \brief Hard-links from to to, replacing to atomically (by rename), after
 *        giving the file to names the second name "to.old" (replacing any
 *        earlier one: a removal that did not run).
 * \return TLD_OK or the error of the link or rename (to is then unchanged)
 */
int run_replace_keeping_old(const char *from, const char *to);
