/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: zone-file parser plus zone build and NSEC3 chain. */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/nsec3.h"
#include "signer/zone.h"
#include "signer/zparse.h"

static int add(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
               const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	(void)rclass;
	return signer_zone_add(ctx, owner, type, ttl, rdata, rdlen, line) == TLD_OK ? TLD_OK : TLD_EPARSE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static int init;
	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	struct signer_zone *z = NULL;
	if (signer_zone_new(origin, "fuzz", &z) != TLD_OK) {
		return 0;
	}
	if (signer_zparse("fuzz", (const char *)data, size, origin, add, z) == TLD_OK &&
	    signer_zone_build(z) == TLD_OK) {
		struct signer_nsec3_params p = { .algorithm = 1, .opt_out = true };
		struct signer_nsec3_chain *c = NULL;
		if (signer_nsec3_chain_build(z, &p, &c) == TLD_OK) {
			uint8_t rd[300 + 256 * 34];
			for (size_t i = 0; i < c->count; i++) {
				signer_nsec3_rdata(z, c, i, rd);
			}
		}
		signer_nsec3_chain_free(c);
	}
	signer_zone_free(z);
	return 0;
}
