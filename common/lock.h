/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The state-directory lock: STATE_DIR/lock, held with flock(2) for the life
 * of a run.  The kernel drops it when the process dies (kill -9 included),
 * so a crashed run never blocks the next one.
 */
#pragma once

typedef struct tld_lock tld_lock_t;

/*!
 * \brief Takes the lock without waiting.
 * \param[out] out  caller releases with tld_lock_release(); written only on success
 * \return TLD_OK, TLD_ELOCKED (held by another process, whose pid is logged
 *         when known), TLD_EIO/TLD_EACCES/TLD_ENOMEM
 */
int tld_lock_acquire(const char *state_dir, tld_lock_t **out);

/*! Releases the lock; NULL is a no-op. */
void tld_lock_release(tld_lock_t *lock);
