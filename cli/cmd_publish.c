/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign publish -i FILE`, `tldsign serve`, `tldsign notify`. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "publish/pubcmd.h"

/*
 * The configuration loader lands from the config branch; until it is linked
 * these commands say so instead of failing to build.
 */
#pragma weak tld_config_load
#pragma weak tld_config_free

static int load_config(const struct tld_cli *cli, struct tld_config **cfg)
{
	if (tld_config_load == NULL || tld_config_free == NULL) {
		return tld_cli_not_built("configuration loader");
	}
	return tld_config_load(cli->config_path, cfg);
}

int cmd_publish(const struct tld_cli *cli, int argc, char **argv)
{
	const char *input = NULL;
	bool notify = true;
	struct tld_config *cfg = NULL;
	int opt;
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "no-notify", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	while ((opt = getopt_long(argc, argv, "i:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i': input = optarg; break;
		case 'N': notify = false; break;
		default: return TLD_EUSAGE;
		}
	}
	if (input == NULL || optind != argc) {
		tld_error("usage: tldsign publish -i FILE [--no-notify]");
		return TLD_EUSAGE;
	}
	int r = load_config(cli, &cfg);
	if (r != TLD_OK) {
		return r;
	}
	/* TODO(verify branch): tld_verify_zone_file(input, ...) gate once verify/verify.h lands */
	r = tld_publish_command(cfg, input, notify);
	tld_config_free(cfg);
	return r;
}

int cmd_serve(const struct tld_cli *cli, int argc, char **argv)
{
	struct tld_config *cfg = NULL;
	(void)argv;
	if (argc > 1) {
		tld_error("usage: tldsign serve");
		return TLD_EUSAGE;
	}
	int r = load_config(cli, &cfg);
	if (r != TLD_OK) {
		return r;
	}
	r = tld_serve_command(cfg);
	tld_config_free(cfg);
	return r;
}

int cmd_notify(const struct tld_cli *cli, int argc, char **argv)
{
	struct tld_config *cfg = NULL;
	(void)argv;
	if (argc > 1) {
		tld_error("usage: tldsign notify");
		return TLD_EUSAGE;
	}
	int r = load_config(cli, &cfg);
	if (r != TLD_OK) {
		return r;
	}
	r = tld_notify_command(cfg);
	tld_config_free(cfg);
	return r;
}
