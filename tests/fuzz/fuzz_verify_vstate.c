/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer: the verification state reader (verify/vstate.h).  When the
 * input's first byte is odd, the trailing seal is recomputed over the rest
 * (vfy_vstate_reseal()) so the checks behind the damage check (order, apex,
 * counts, lengths) are reached.
 */
#include "common/log.h"
#include "tests/fuzz/fuzz_memfile.h"
#include "verify/vstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reseal(uint8_t *b, size_t n)
{
	(void)vfy_vstate_reseal(b, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t apex[] = { 4, 't', 'e', 's', 't', 0 };
	static int init;

	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	char path[64];
	int fd = fuzz_memfile_sealed(data, size, path, reseal);
	if (fd < 0) {
		return 0;
	}
	struct vfy_facts f = { 0 };
	if (vfy_vstate_load(path, apex, sizeof(apex), &f) == 0) {
		vfy_facts_clear(&f);
	}
	close(fd);
	return 0;
}
