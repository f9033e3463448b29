/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: arbitrary bytes through both loaders (config and policy), from memory. */
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/log.h"
#include "common/yaml_doc.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		tld_log_init(TLD_LOG_ERROR, false);
		quiet = 1;
	}
	struct tld_diag d = { 0 };
	struct tld_config *cfg = NULL;
	struct tld_policy *pol = NULL;

	if (tld_config_parse("fuzz.yaml", "/fuzz", (const char *)data, size, &d, &cfg) == 0) {
		/* a success must be complete */
		if (cfg->zone == NULL || cfg->hsm.token == NULL || cfg->apex.ns_count == 0 ||
		    cfg->apex.soa.mname == NULL) {
			__builtin_trap();
		}
	}
	tld_config_free(cfg);
	tld_diag_clear(&d);

	if (tld_policy_parse("fuzz.yaml", (const char *)data, size, &d, &pol) == 0) {
		if (pol->signatures.refresh >= pol->signatures.validity || pol->denial.iterations > 100) {
			__builtin_trap();
		}
	}
	tld_policy_free(pol);
	tld_diag_clear(&d);
	return 0;
}
