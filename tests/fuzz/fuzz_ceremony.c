/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: ceremony script parser. */
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "policy/ceremony.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		tld_log_init(TLD_LOG_ERROR, false);
		quiet = 1;
	}
	struct tld_ceremony *c = NULL;
	if (tld_ceremony_parse((const char *)data, size, "fuzz", &c) == 0) {
		tld_ceremony_free(c);
	}
	return 0;
}
