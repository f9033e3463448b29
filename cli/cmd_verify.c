/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tldsign verify FILE [--ds FILE] [--refresh DURATION] [--threads N] [--cache FILE]
 *                     [--previous FILE] [--state]
 *
 * --cache FILE: the verified-signature cache (verify/vcache.h).  Read before
 * the checks when it exists (damaged or of another zone: ignored with a
 * warning), then replaced by this verification's cache.
 *
 * --previous PREV: delta verification (verify/vdelta.c) against PREV, a
 * version verified before with its state PREV.vstate (verify/vstate.h); when
 * it cannot be used, FILE is verified in full.  Writes FILE.vstate when FILE
 * passes.  --state alone only writes FILE.vstate (after a full verification).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "policy/policy.h"
#include "verify/verify.h"

/* signatures.refresh of the instance policy: -c/$TLDSIGN_CONFIG, or
 * ./tldsign.yaml when it exists; 0 without a config. */
static int refresh_from_policy(const struct tld_cli *cli, int64_t *out)
{
	struct tld_config *cfg = NULL;
	struct tld_policy *pol = NULL;
	int ret;

	if (!cli->config_explicit && access(cli->config_path, F_OK) != 0) {
		*out = 0;
		return TLD_OK;
	}
	if ((ret = tld_config_load(cli->config_path, &cfg)) != TLD_OK) {
		return ret;
	}
	if ((ret = tld_policy_load(cfg->policy_path, &pol)) == TLD_OK) {
		*out = pol->signatures.refresh;
		tld_info("verify: refresh window %llds from %s", (long long)*out, cfg->policy_path);
		tld_policy_free(pol);
	}
	tld_config_free(cfg);
	return ret;
}

#define USAGE                                                                                  \
	"usage: tldsign verify FILE [--ds FILE] [--refresh DURATION] [--threads N] [--cache FILE]\n" \
	"                           [--previous PREV] [--state]\n"

static int usage(void)
{
	fprintf(stderr, USAGE);
	return TLD_EUSAGE;
}

/* path + suffix, in buf */
static const char *suffixed(char *buf, size_t size, const char *path, const char *suffix)
{
	int n = snprintf(buf, size, "%s%s", path, suffix);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

int cmd_verify(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ds", required_argument, NULL, 'd' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "cache", required_argument, NULL, 'C' },
		{ "previous", required_argument, NULL, 'P' },
		{ "state", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tld_verify_opts opts = { .now = cli->now };
	struct tld_verify_report *report = NULL;
	bool refresh_given = false, state = false;
	char state_in[4096], state_out[4096];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opts.ds_file = optarg;
			break;
		case 'r':
			if (tld_duration_parse(optarg, &opts.refresh_window) != TLD_OK) {
				tld_error("--refresh '%s': not a duration", optarg);
				return TLD_EUSAGE;
			}
			refresh_given = true;
			break;
		case 't': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end != 0 || n < 1 || n > 256) {
				tld_error("--threads '%s': a number from 1 to 256", optarg);
				return TLD_EUSAGE;
			}
			opts.threads = (unsigned)n;
			break;
		}
		case 'C':
			opts.cache_in = optarg;
			opts.cache_out = optarg;
			break;
		case 'P':
			opts.previous = optarg;
			state = true;
			break;
		case 'S':
			state = true;
			break;
		case 'h':
			printf(USAGE);
			return TLD_OK;
		default:
			return usage();
		}
	}
	if (optind != argc - 1) {
		return usage();
	}
	if (opts.previous != NULL &&
	    (opts.state_in = suffixed(state_in, sizeof(state_in), opts.previous, ".vstate")) == NULL) {
		tld_error("--previous: path too long");
		return TLD_EUSAGE;
	}
	if (state &&
	    (opts.state_out = suffixed(state_out, sizeof(state_out), argv[optind], ".vstate")) == NULL) {
		tld_error("%s: path too long", argv[optind]);
		return TLD_EUSAGE;
	}
	if (!refresh_given) {
		int r = refresh_from_policy(cli, &opts.refresh_window);
		if (r != TLD_OK) {
			return r;
		}
	}
	int ret = tld_verify_zone_file(argv[optind], &opts, &report);
	if (report != NULL) {
		tld_verify_report_print(ret == TLD_OK ? stdout : stderr, report);
		tld_verify_report_free(report);
	}
	return ret;
}
