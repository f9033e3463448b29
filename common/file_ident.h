/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The identity of a file as it stands: "dev:ino:size:ctime_ns".  Writing,
 * truncating, renaming (over or away) or chmod-ing a file gives it a new
 * ctime, set by the kernel and not by the caller, so an equal identity
 * means the same bytes as when it was taken; a caller that wrote (or
 * hashed) a file and took its identity then may later trust what it knows
 * of the bytes while the identity is equal, instead of reading them again
 * (edited, truncated or replaced files are told apart: whatever goes through
 * the file system.  Damage below it -- a bad disk block, bytes lost in a
 * crash -- leaves the identity as it was and is not seen; nor is a
 * malicious root resetting ctime through the clock).
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

/*! Room for an identity, its terminating NUL included. */
#define TLD_FILE_IDENT_LEN 96

/*! \brief The identity of the file st describes into out ("" never: every field is printed). */
void tld_file_ident(const struct stat *st, char out[TLD_FILE_IDENT_LEN]);

/*!
 * \brief The identity of path into out when it is still the file a writer
 *        left as *written (its fstat or stat after the last write): the
 *        same device, inode, size and modification time, a rename (which
 *        gives it a new ctime) allowed.
 * \return false (out "") when it is not, or cannot be stat'ed
 */
bool tld_file_ident_as_written(const char *path, const struct stat *written, char out[TLD_FILE_IDENT_LEN]);

/*!
 * \brief Whether the file open as fd still has the identity ident (recorded by
 *        tld_file_ident()); false when ident is "" or fstat fails.
 */
bool tld_file_ident_same(int fd, const char *ident);
