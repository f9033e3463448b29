/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy check FILE, policy simulate. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy_ctx.h"
#include "common/error.h"
#include "common/log.h"
#include "policy/lint.h"
#include "policy/examples.h"
#include "policy/keystate.h"
#include "policy/simulate.h"

#define MAX_MANUAL 16

/* ---- policy check ---- */

static void print_warning(const char *key, const char *message, void *ctx)
{
	const char *file = ctx;
	printf("%s: warning: %s: %s\n", file, key, message);
}

int cmd_policy_check(const struct tld_cli *cli, int argc, char **argv)
{
	struct tld_policy *pol = NULL;
	(void)cli;
	if (argc != 2 || argv[1][0] == '-') {
		tld_error("usage: policy check FILE");
		return TLD_EUSAGE;
	}
	int ret = tld_policy_load(argv[1], &pol);
	if (ret != TLD_OK) {
		return ret;
	}
	unsigned n = tld_policy_lint(pol, print_warning, argv[1]);
	printf("%s: valid policy, %u warning(s)\n", argv[1], n);
	tld_policy_free(pol);
	return TLD_OK;
}

/* ---- policy simulate ---- */

static int parse_manual(const char *text, struct tld_sim_manual *m)
{
	/* TIME,KIND[,ALGORITHM-NUMBER] */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", text);
	char *kind = strchr(buf, ',');
	if (kind == NULL) {
		return TLD_EUSAGE;
	}
	*kind++ = '\0';
	char *alg = strchr(kind, ',');
	if (alg) {
		*alg++ = '\0';
	}
	memset(m, 0, sizeof(*m));
	if (tld_time_parse(buf, &m->at) != TLD_OK) {
		return TLD_EUSAGE;
	}
	static const char *kinds[] = { NULL, "ksk", "zsk", "csk", "algorithm" };
	for (int k = 1; k <= 4; k++) {
		if (strcmp(kind, kinds[k]) == 0) {
			m->kind = k;
		}
	}
	if (strcmp(kind, "policy") == 0) {
		m->kind = 0;
	} else if (m->kind == 0) {
		return TLD_EUSAGE;
	}
	if (alg) {
		char *end;
		long a = strtol(alg, &end, 10);
		if (*end != '\0' || a < 1 || a > 255) {
			return TLD_EUSAGE;
		}
		m->new_algorithm = (int)a;
	}
	return TLD_OK;
}

int cmd_policy_simulate(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "years", required_argument, NULL, 'y' },
		{ "from", required_argument, NULL, 'f' },
		{ "example", required_argument, NULL, 'e' },
		{ "policy", required_argument, NULL, 'P' },
		{ "parent-delay", required_argument, NULL, 'p' },
		{ "svg", required_argument, NULL, 's' },
		{ "zone", required_argument, NULL, 'z' },
		{ "rollover", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct tld_policy pol;
	struct tld_sim_manual manual[MAX_MANUAL];
	struct tld_sim_options opt = { .from = cli->now, .years = 5, .parent_delay = 86400, .zone = "test." };
	const char *example = NULL, *svg_path = NULL, *policy_file = NULL;
	struct tld_policy *loaded = NULL;
	struct tld_config *cfg = NULL;
	bool quiet = false;
	FILE *svg = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'y':
			opt.years = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || opt.years < 1 || opt.years > 100) {
				tld_error("--years: a number from 1 to 100, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 'f':
			if (tld_time_parse(optarg, &opt.from) != TLD_OK) {
				tld_error("--from: RFC 3339 time or Unix seconds, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 'e':
			example = optarg;
			break;
		case 'P':
			policy_file = optarg;
			break;
		case 'p':
			if (tld_duration_parse(optarg, &opt.parent_delay) != TLD_OK) {
				tld_error("--parent-delay: a duration such as 2d, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 's':
			svg_path = optarg;
			break;
		case 'z':
			opt.zone = optarg;
			break;
		case 'r':
			if (opt.n_manual >= MAX_MANUAL || parse_manual(optarg, &manual[opt.n_manual]) != TLD_OK) {
				tld_error("--rollover: TIME,ksk|zsk|csk|algorithm|policy[,ALGORITHM], not '%s'", optarg);
				return TLD_EUSAGE;
			}
			opt.n_manual++;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}
	if (example != NULL) {
		if (tld_policy_example(example, &pol) != TLD_OK) {
			tld_error("no example policy '%s' (ecdsa-double-ds, ecdsa-double-ksk, csk, rsa)", example);
			return TLD_EUSAGE;
		}
	} else {
		if (policy_file == NULL) {
			ret = tld_config_load(cli->config_path, &cfg);
			if (ret != TLD_OK) {
				tld_error("policy simulate: give --policy FILE or --example NAME, or a config (-c)");
				return ret;
			}
			policy_file = cfg->policy_path;
		}
		ret = tld_policy_load(policy_file, &loaded);
		if (ret != TLD_OK) {
			tld_config_free(cfg);
			return ret;
		}
		pol = *loaded;
	}
	opt.manual = manual;
	opt.timeline = quiet ? NULL : stdout;
	struct tld_sim_result res;
	memset(&res, 0, sizeof(res));
	if (svg_path) {
		svg = fopen(svg_path, "w");
		if (svg == NULL) {
			tld_error("%s: cannot write: %s", svg_path, strerror(errno));
			ret = TLD_EIO;
			goto out;
		}
		opt.svg = svg;
	}
	ret = tld_simulate(&pol, &opt, &res);
	if (svg && fclose(svg) != 0 && ret == TLD_OK) {
		tld_error("%s: write failed", svg_path);
		ret = TLD_EIO;
	}
	if (ret != TLD_OK) {
		tld_error("simulation failed: %s", tld_strerror(ret));
		goto out;
	}
	printf("simulated %d years: %u steps, %u events, %u keys, %u rollovers, largest DNSKEY response "
	       "%zu bytes%s, %u invariant breaks\n", opt.years, res.steps, res.events, res.keys_total,
	       res.rollovers, res.max_dnskey_response, res.max_dnskey_response > 1232 ? " (ABOVE 1232)" : "",
	       res.breaks);
	if (res.breaks > 0) {
		tld_error("invariant broken: %s", res.first_break);
		ret = TLD_EVERIFY;
	}
out:
	tld_policy_free(loaded);
	tld_config_free(cfg);
	return ret;
}
