/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/cli.h"

int cmd_key_generate(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("key generate");
}

int cmd_key_import(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("key import");
}

int cmd_key_list(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("key list");
}

int cmd_key_ds(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("key ds");
}

int cmd_key_dnskey(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("key dnskey");
}

int cmd_key_delete(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("key delete");
}

int cmd_hsm_speed(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("hsm speed");
}

