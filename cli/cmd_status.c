/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tldsign status [--timeout SECONDS]: one screen (run/status.h). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "run/status.h"

int cmd_status(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t timeout = 3;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 't' || tld_duration_parse(optarg, &timeout) != TLD_OK || timeout > 600) {
			tld_error("usage: tldsign status [--timeout DURATION (at most 10m; 0 = no queries)]");
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("status: unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}
	return tld_status_print(cli->config_path, cli->now, timeout, stdout);
}
