/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/cli.h"

int cmd_run(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("run");
}

