/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tldsign run [--force REASON] [--workers N] [--full-verify]: the cron pipeline (run/pipeline.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "run/pipeline.h"

int cmd_run(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", required_argument, NULL, 'f' },
		{ "workers", required_argument, NULL, 'w' },
		{ "full-verify", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tld_run_opts ro = {
		.config_path = cli->config_path,
		.now = cli->now,
		.summary = stdout,
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (optarg[strspn(optarg, " \t")] == '\0') {
				tld_error("run: --force needs a reason (it is written to the audit log)");
				return TLD_EUSAGE;
			}
			ro.force_reason = optarg;
			break;
		case 'w': {
			char *end = NULL;
			unsigned long w = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || w > 1024) {
				tld_error("run: --workers takes a number from 0 to 1024, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			ro.workers = (unsigned)w;
			break;
		}
		case 'V':
			ro.full_verify = true;
			break;
		default:
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("run: unexpected argument '%s' (usage: tldsign run [--force REASON] [--workers N] "
		          "[--full-verify])",
		          argv[optind]);
		return TLD_EUSAGE;
	}
	return tld_run_pipeline(&ro);
}
