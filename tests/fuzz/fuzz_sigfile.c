/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: the signature side file reader (header, entry table,
 * blob, text index, version 5's patch index: every name an accepted index
 * points to is walked to its root label, every text block looked up).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/sigfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	/* the reader wants 8-byte alignment, as mmap gives */
	uint64_t *copy = malloc(size / 8 * 8 + 8);
	if (copy == NULL) {
		return 0;
	}
	memcpy(copy, data, size);
	struct signer_sigfile *sf = NULL;
	if (signer_sigfile_from_memory(copy, size, &sf) == TLD_OK) {
		for (uint64_t i = 0; i < sf->hdr->nentries; i++) {
			const struct signer_sigfile_entry *e = signer_sigfile_find(sf, sf->entries[i].hash);
			size_t pos = 0;
			const uint8_t *rd;
			uint16_t len;
			volatile uint8_t sink = 0;
			while (e != NULL && signer_sigfile_next(sf, e, &pos, &rd, &len)) {
				if (len > 0) {
					sink ^= rd[len - 1];
				}
			}
			(void)sink;
		}
		volatile uint8_t sink = 0;
		for (uint64_t i = 0; sf->text != NULL && i < sf->text->nblocks; i++) {
			sink ^= (uint8_t)signer_sigfile_find_block(sf, sf->blocks[i].digest);
		}
		for (uint64_t i = 0; sf->patch != NULL && i < sf->patch->nchain + sf->patch->nslots; i++) {
			uint32_t name = i < sf->patch->nchain ? sf->chain[i].name : sf->pslots[i - sf->patch->nchain].name;
			for (const uint8_t *l = sf->names + name; *l != 0; l += 1 + *l) {
				sink ^= l[*l];
			}
		}
		(void)sink;
		signer_sigfile_close(sf);
	}
	free(copy);
	return 0;
}
