/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fresh table memory made present a chunk ahead of its writes (see prefault.h). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/prefault.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* -- public API -- */

void tld_prefault_chunk(struct tld_prefault *pf, void *base, size_t cap, size_t used,
                        size_t end)
{
	if (pf->base != base) {
		pf->base = base;
		pf->ready = used;
	}
	if (end <= pf->ready || base == NULL || end > cap) {
		return;
	}
	long p = sysconf(_SC_PAGESIZE); /* once a chunk */
	size_t page = p > 0 ? (size_t)p : 4096;
	/* from the page that holds the first byte not yet made present (a page
	 * already there is left alone) to the chunk's end */
	uintptr_t from = ((uintptr_t)base + pf->ready) & ~(uintptr_t)(page - 1);
	size_t want = end - pf->ready > TLD_PREFAULT_CHUNK ? end - pf->ready : TLD_PREFAULT_CHUNK;
	size_t to_off = pf->ready + want < cap ? pf->ready + want : cap;
	uintptr_t to = ((uintptr_t)base + to_off + page - 1) & ~(uintptr_t)(page - 1);
	if (to > from) {
		(void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
	}
	pf->ready = to_off;
}
