/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two jobs of one kind at once: the second on a thread of its own, the
 * first on the caller's, for work split in two halves on the machine's two
 * cores.  Without a thread (pthread_create() failed) both run on the
 * caller's, the first then the second: the same results, one after the
 * other.
 */
#pragma once

/*!
 * \brief Runs fn(first) here and fn(second) beside it, and returns once
 *        both are done.  fn's return value is not looked at: each job keeps
 *        its results in its argument (owned by the caller).
 */
void tld_two_cores(void *(*fn)(void *), void *first, void *second);
