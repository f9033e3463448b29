/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Atomic file replacement: write to a temporary file in the same directory,
 * fsync it, rename it over the target, fsync the directory.  A crash at any
 * instant leaves either the old file or the new one, complete.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

typedef struct tld_atomic_file tld_atomic_file_t;

/*!
 * \brief Starts writing `path` (mode 0644 unless `mode` != 0).
 * \param[out] out  finish with tld_atomic_file_commit() or _abort(); written only on success
 * \return TLD_OK; TLD_EINVAL when path exists and is not a regular file (after
 *         symbolic links: a device such as /dev/null, a FIFO, a directory), which
 *         the rename would replace; or an errno-mapped code (logged)
 */
int tld_atomic_file_open(const char *path, unsigned mode, tld_atomic_file_t **out);

/*! The stream to write to (owned by the handle). */
FILE *tld_atomic_file_stream(tld_atomic_file_t *f);

/*!
 * \brief Flushes and fsyncs the temporary file, which stays open and
 *        unnamed: the caller may do it ahead, on another thread, and decide
 *        later whether to commit (whose own flush and fsync then find
 *        nothing left to write) or abort.
 * \return TLD_OK, or an error (logged; the temporary is kept for the abort)
 */
int tld_atomic_file_sync(tld_atomic_file_t *f);

/*!
 * \brief Flushes, fsyncs, renames over the target, fsyncs the directory and frees f.
 * \return TLD_OK, or an error (logged; then the target is untouched and f is freed)
 */
int tld_atomic_file_commit(tld_atomic_file_t *f);

/*!
 * \brief tld_atomic_file_commit() of a file whose last tld_atomic_file_sync()
 *        succeeded and that nothing was written to since (the stream at the
 *        position it had then, nothing buffered): renamed over the target
 *        and the directory fsynced, without another fsync of the file (it
 *        would find nothing to write, but may still wait for the disk's
 *        cache to be flushed behind other files' writeback).  Otherwise (no
 *        sync, a failed one, any write through the stream since, buffered or
 *        already gone to the file): tld_atomic_file_commit() itself, with
 *        its fsync.
 * \return as tld_atomic_file_commit()
 */
int tld_atomic_file_commit_synced(tld_atomic_file_t *f);

/*! Discards the temporary file and frees f; NULL is a no-op. */
void tld_atomic_file_abort(tld_atomic_file_t *f);

/*!
 * \brief For tests: how many fsync() calls this process made on temporary
 *        files (each tld_atomic_file_sync() that got past its flush, so each
 *        commit but a commit_synced() that found nothing written since the
 *        sync), successful or not; the directories' fsyncs are not counted.
 */
size_t tld_atomic_file_fsync_count(void);

/*! Writes a whole buffer atomically to path.  \return TLD_OK or an error (logged) */
int tld_atomic_write(const char *path, const void *data, size_t len, unsigned mode);
