/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/cli.h"

int cmd_ds_seen(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("ds seen");
}

int cmd_ds_gone(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("ds gone");
}

int cmd_rollover_start(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("rollover start");
}

int cmd_rollover_status(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("rollover status");
}

int cmd_ceremony_run(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("ceremony run");
}

int cmd_audit_list(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("audit list");
}

int cmd_audit_verify(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("audit verify");
}

int cmd_policy_check(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("policy check");
}

int cmd_policy_simulate(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("policy simulate");
}

