/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy/simulate: five years of every example policy, zero invariant breaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/examples.h"
#include "policy/simulate.h"
#include "tests/tap/tap.h"

#define T0 1795255200LL /* 2026-11-21T10:00:00Z */

static void simulate_example(const char *name)
{
	struct tld_policy pol;
	struct tld_sim_result res;
	char *buf = NULL;
	size_t len = 0;
	FILE *tl = open_memstream(&buf, &len);
	struct tld_sim_options opt = { .from = T0, .years = 5, .parent_delay = 86400, .zone = "test.",
	                               .timeline = tl, .svg = NULL };

	is_int(TLD_OK, tld_policy_example(name, &pol), "%s: example exists", name);
	memset(&res, 0, sizeof(res));
	int ret = tld_simulate(&pol, &opt, &res);
	fclose(tl);
	is_int(TLD_OK, ret, "%s: simulation runs", name);
	is_int(0, res.breaks, "%s: no invariant break%s%s", name, res.breaks ? ": " : "", res.first_break);
	if (getenv("SIM_VERBOSE") && buf) {
		fputs(buf, stderr);
	}
	int64_t life = pol.use_csk ? pol.csk_lifetime : pol.zsk_lifetime;
	unsigned expect = (unsigned)(5 * 365 * 86400LL / life) - 1;
	ok(res.rollovers >= expect, "%s: %u rollovers in 5 years (>= %u)", name, res.rollovers, expect);
	ok(res.max_dnskey_response > 100 && res.max_dnskey_response < 4096,
	   "%s: largest DNSKEY response %zu bytes", name, res.max_dnskey_response);
	free(buf);
}

int main(void)
{
	plan_lazy();
	for (size_t i = 0; tld_policy_example_names[i]; i++) {
		simulate_example(tld_policy_example_names[i]);
	}
	return exit_status();
}
