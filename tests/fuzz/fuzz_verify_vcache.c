/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer: the verified-signature cache reader (verify/vcache.h).  When the
 * input's first byte is odd, the trailing SHA-256 is recomputed over the rest
 * so the checks behind the damage check (order, apex, lengths) are reached.
 */
#include "common/log.h"
#include "tests/fuzz/fuzz_memfile.h"
#include "verify/vcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t apex[] = { 4, 't', 'e', 's', 't', 0 };
	static int init;

	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	char path[64];
	int fd = fuzz_memfile_digest_fixed(data, size, path);
	if (fd < 0) {
		return 0;
	}
	struct vfy_vcache *c = NULL;
	if (vfy_vcache_load(path, apex, sizeof(apex), &c) == 0) {
		uint8_t h[VFY_VCACHE_HASH] = { 0 };
		memcpy(h, data, size < sizeof(h) ? size : sizeof(h));
		(void)vfy_vcache_has(c, h);
		vfy_vcache_free(c);
	}
	close(fd);
	return 0;
}
