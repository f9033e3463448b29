/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fresh memory of a table written from its start to its end, made present
 * a chunk ahead of the writes.
 *
 * A page of fresh anonymous memory costs a fault when first written: in
 * this VM 2.4-2.7 us each (trap, allocation, zeroing), tens of thousands
 * of them for the builder's tables at a million delegations.  One
 * madvise(MADV_POPULATE_WRITE) for the next TLD_PREFAULT_CHUNK bytes makes
 * the same pages present without a trap each (1.7-1.9 us a page measured
 * in 128 KiB chunks), and the writes that follow find them zeroed in the
 * cache.  (The whole table at once, as MAP_POPULATE does, is slower: its
 * pages are zeroed long before they are written.)
 *
 * Only a hint, sound because it changes no byte: the kernel makes missing
 * pages present as a write fault would (zeroed) and leaves present ones as
 * they are; a kernel without it (before Linux 5.14: EINVAL) or any other
 * failure changes nothing but the speed.
 */
#pragma once

#include <stddef.h>

/*! Bytes made present at a time. */
#define TLD_PREFAULT_CHUNK (128u << 10)

/*! What a table has made present so far. */
struct tld_prefault {
	const void *base;          /*!< the table it was for (another: moved or new) */
	size_t ready;              /*!< bytes from base made present or written */
};

/*!
 * \brief tld_prefault_ahead(): before bytes [used, end) of the table base (cap bytes allocated,
 *        [0, used) written) are written: makes the chunk after what is
 *        present so far present when end passes it.
 *
 * A table that moved (realloc()) or is new is known by its base: its used
 * bytes are taken as present, the rest as not.  pf zeroed to start.
 */
void tld_prefault_chunk(struct tld_prefault *pf, void *base, size_t cap, size_t used,
                        size_t end);
static inline void tld_prefault_ahead(struct tld_prefault *pf, void *base, size_t cap,
                                      size_t used, size_t end)
{
	if (pf->base != base || end > pf->ready) {
		tld_prefault_chunk(pf, base, cap, used, end);
	}
}
