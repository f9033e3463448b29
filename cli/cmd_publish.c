/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign publish -i FILE`, `tldsign serve`, `tldsign notify`. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "publish/pubcmd.h"
#include "verify/verify.h"

static int load_config(const struct tld_cli *cli, struct tld_config **cfg)
{
	return tld_config_load(cli->config_path, cfg);
}

/* The publish gate: the independent verifier must pass the whole zone. */
static int verify_gate(const char *input)
{
	struct tld_verify_opts opts = { .now = tld_now(), .refresh_window = 0, .ds_file = NULL,
	                                .threads = 0 };
	struct tld_verify_report *report = NULL;
	int r = tld_verify_zone_file(input, &opts, &report);
	if (r == TLD_EVERIFY) {
		tld_verify_report_print(stderr, report);
		tld_error("%s: verification failed; nothing published", input);
	} else if (r == TLD_OK) {
		tld_info("%s: verified (%zu records)", input, report->records);
	}
	tld_verify_report_free(report);
	return r;
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
	r = verify_gate(input);
	if (r == TLD_OK) {
		r = tld_publish_command(cfg, input, notify);
	}
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
