/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Growing arrays of the signer's files: one doubling rule for them all. */
#pragma once

#include <stddef.h>

/*!
 * \brief Makes *buf (the caller's, realloc()ed) hold at least need elements of
 *        elem bytes: *cap doubles from 1024 until it does.  Nothing changes on
 *        failure.
 * \return TLD_OK, TLD_ENOMEM (also when the size would not fit a size_t)
 */
int signer_grow(void **buf, size_t *cap, size_t need, size_t elem);
