/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tldsign verify FILE [--ds FILE] [--refresh DURATION] [--threads N] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "verify/verify.h"

static int usage(void)
{
	fprintf(stderr, "usage: tldsign verify FILE [--ds FILE] [--refresh DURATION] [--threads N]\n");
	return TLD_EUSAGE;
}

int cmd_verify(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ds", required_argument, NULL, 'd' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tld_verify_opts opts = { .now = cli->now };
	struct tld_verify_report *report = NULL;
	bool refresh_given = false;
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
		case 'h':
			printf("usage: tldsign verify FILE [--ds FILE] [--refresh DURATION] [--threads N]\n");
			return TLD_OK;
		default:
			return usage();
		}
	}
	if (optind != argc - 1) {
		return usage();
	}
	if (!refresh_given) {
		/* TODO(config): take signatures.refresh from the instance policy once
		 * tld_config_load()/tld_policy_load() land; until then 0. */
		opts.refresh_window = 0;
	}
	int ret = tld_verify_zone_file(argv[optind], &opts, &report);
	if (report != NULL) {
		tld_verify_report_print(ret == TLD_OK ? stdout : stderr, report);
		tld_verify_report_free(report);
	}
	return ret;
}
