/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer: the verified-signature cache reader (verify/vcache.h).  When the
 * input's first byte is odd, the trailing SHA-256 is recomputed over the rest
 * so the checks behind the damage check (order, apex, lengths) are reached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "verify/vcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t apex[] = { 4, 't', 'e', 's', 't', 0 };
	static int init;
	char path[64];

	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	if (size < 1) {
		return 0;
	}
	bool fix = data[0] & 1;
	data++;
	size--;
	uint8_t *copy = malloc(size + 1);
	if (copy == NULL) {
		return 0;
	}
	memcpy(copy, data, size);
	if (fix && size >= 32) {
		unsigned len = 0;
		EVP_Digest(copy, size - 32, copy + size - 32, &len, EVP_sha256(), NULL);
	}
	int fd = memfd_create("vcache", 0);
	if (fd >= 0 && write(fd, copy, size) == (ssize_t)size) {
		struct vfy_vcache *c = NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (vfy_vcache_load(path, apex, sizeof(apex), &c) == 0) {
			uint8_t h[VFY_VCACHE_HASH] = { 0 };
			memcpy(h, data, size < sizeof(h) ? size : sizeof(h));
			(void)vfy_vcache_has(c, h);
			vfy_vcache_free(c);
		}
	}
	if (fd >= 0) {
		close(fd);
	}
	free(copy);
	return 0;
}
