/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy/simulate: five years of every example policy, zero invariant breaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/examples.h"
#include "policy/keystate.h"
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

/* Hand-started rollovers, policy changes and slow parents, each over two years. */
struct scenario {
	const char *name;
	const char *policy;
	int64_t parent_delay;
	struct tld_sim_manual manual[3];
	size_t n_manual;
	unsigned min_keys;
};

static const struct scenario scenarios[] = {
	{ "algorithm rollover ECDSA P-256 -> RSA/SHA-256", "ecdsa-double-ds", 86400,
	  { { T0 + 40 * 86400, TLD_ROLL_ALGORITHM, TLD_ALG_RSASHA256 } }, 1, 4 },
	{ "algorithm rollover RSA -> ECDSA P-384 (double-KSK)", "rsa", 86400,
	  { { T0 + 10 * 86400, TLD_ROLL_ALGORITHM, TLD_ALG_ECDSAP384SHA384 } }, 1, 4 },
	{ "algorithm rollover of a CSK -> Ed25519", "csk", 3 * 86400,
	  { { T0 + 20 * 86400, TLD_ROLL_ALGORITHM, TLD_ALG_ED25519 } }, 1, 2 },
	{ "ds seen 30 days late", "ecdsa-double-ds", 30 * 86400,
	  { { T0 + 50 * 86400, TLD_ROLL_KSK, 0 } }, 1, 3 },
	{ "double-KSK, ds seen 30 days late", "ecdsa-double-ksk", 30 * 86400,
	  { { T0 + 50 * 86400, TLD_ROLL_KSK, 0 } }, 1, 3 },
	{ "parent at once", "ecdsa-double-ksk", 0,
	  { { T0 + 50 * 86400, TLD_ROLL_KSK, 0 } }, 1, 3 },
	{ "KSK rollover by hand during a ZSK rollover", "ecdsa-double-ds", 86400,
	  { { T0 + 20 * 86400, TLD_ROLL_ZSK, 0 }, { T0 + 20 * 86400 + 7200, TLD_ROLL_KSK, 0 } }, 2, 4 },
	{ "policy algorithm changed during a ZSK rollover, rolled later", "ecdsa-double-ksk", 86400,
	  { { T0 + 20 * 86400, TLD_ROLL_ZSK, 0 }, { T0 + 20 * 86400 + 3600, 0, TLD_ALG_ED448 },
	    { T0 + 60 * 86400, TLD_ROLL_ALGORITHM, 0 } }, 3, 5 },
	{ "CSK rollover by hand", "csk", 86400,
	  { { T0 + 20 * 86400, TLD_ROLL_CSK, 0 } }, 1, 2 },
};

static void run_scenario(const struct scenario *sc)
{
	struct tld_policy pol;
	struct tld_sim_result res;
	char *buf = NULL;
	size_t len = 0;
	FILE *tl = open_memstream(&buf, &len);
	struct tld_sim_options opt = { .from = T0, .years = 2, .parent_delay = sc->parent_delay,
	                               .zone = "test.", .timeline = tl, .manual = sc->manual,
	                               .n_manual = sc->n_manual };
	tld_policy_example(sc->policy, &pol);
	memset(&res, 0, sizeof(res));
	int ret = tld_simulate(&pol, &opt, &res);
	fclose(tl);
	is_int(TLD_OK, ret, "%s: runs", sc->name);
	is_int(0, res.breaks, "%s: no invariant break%s%s", sc->name, res.breaks ? ": " : "", res.first_break);
	ok(res.keys_total >= sc->min_keys, "%s: %u keys used", sc->name, res.keys_total);
	if (getenv("SIM_VERBOSE") && buf) {
		fputs(buf, stderr);
	}
	free(buf);
}

int main(void)
{
	plan_lazy();
	for (size_t i = 0; tld_policy_example_names[i]; i++) {
		simulate_example(tld_policy_example_names[i]);
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		run_scenario(&scenarios[i]);
	}
	return exit_status();
}
