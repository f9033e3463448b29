/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign config check [FILE]`: loads the instance config and its policy, prints every problem. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/error.h"
#include "common/yaml_doc.h"
#include "policy/policy.h"

/* -- internal API -- */

static void print_diag(const struct tld_diag *d)
{
	for (size_t i = 0; i < d->count; i++) {
		printf("%s\n", d->msgs[i]);
	}
	if (d->dropped > 0) {
		printf("... and %zu more problems\n", d->dropped);
	}
}

/* -- public API -- */

int cmd_config_check(const struct tld_cli *cli, int argc, char **argv)
{
	struct tld_diag d = { 0 };
	struct tld_config *cfg = NULL;
	struct tld_policy *pol = NULL;
	int err = TLD_OK, perr = TLD_OK;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: tldsign config check [FILE]\n");
		return TLD_EUSAGE;
	}
	const char *path = argc == 2 ? argv[1] : cli->config_path;

	err = tld_config_load_diag(path, &d, &cfg);
	if (cfg != NULL) {
		perr = tld_policy_load_diag(cfg->policy_path, &d, &pol);
	}
	print_diag(&d);
	if (err == TLD_OK && perr == TLD_OK) {
		printf("%s: ok (zone %s, policy %s)\n", path, cfg->zone, cfg->policy_path);
	} else {
		size_t n = tld_diag_total(&d);
		printf("%zu problem%s found\n", n, n == 1 ? "" : "s");
	}
	tld_policy_free(pol);
	tld_config_free(cfg);
	tld_diag_clear(&d);
	if (err == TLD_ENOMEM || perr == TLD_ENOMEM) {
		return TLD_ENOMEM;
	}
	return err == TLD_OK && perr == TLD_OK ? TLD_OK : TLD_ECONFIG;
}
