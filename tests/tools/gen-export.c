/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gen-export: writes a synthetic registry export (DESIGN.md section 4) for
 * tests and benchmarks (the generator is zonegen/export_gen.c, shared with
 * `tldsign init`).
 *
 *   gen-export --delegations N [--ds-share 0.1] [--glue-share 0.1] [--seed S]
 *              [--tld test.] [--exported-at TIME] -o DIR
 *
 * Byte-identical output for the same arguments; exported_at defaults to a
 * fixed instant (2026-11-21T00:00:00Z), so pass --now to tldsign accordingly.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "zonegen/export_gen.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: gen-export --delegations N [--ds-share F] [--glue-share F] [--seed S]\n"
	        "                  [--tld NAME] [--exported-at TIME] -o DIR\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *s < '0' || *s > '9' || *end != '\0') {
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_share(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || v < 0 || v > 1) {
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct tld_export_gen g = { .ds_share = 0.1, .glue_share = 0.1, .seed = 1, .tld = "test.",
		                    .exported_at = "2026-11-21T00:00:00Z" };
	const char *dir = NULL;
	static const struct option opts[] = {
		{ "delegations", required_argument, NULL, 'n' },
		{ "ds-share", required_argument, NULL, 'd' },
		{ "glue-share", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 's' },
		{ "tld", required_argument, NULL, 't' },
		{ "exported-at", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			bad |= parse_u64(optarg, &g.delegations);
			break;
		case 's':
			bad |= parse_u64(optarg, &g.seed);
			break;
		case 'd':
			bad |= parse_share(optarg, &g.ds_share);
			break;
		case 'g':
			bad |= parse_share(optarg, &g.glue_share);
			break;
		case 't':
			g.tld = optarg;
			break;
		case 'e':
			g.exported_at = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			bad = 1;
		}
	}
	if (bad || dir == NULL || optind != argc || g.delegations == 0) {
		usage();
		return 2;
	}
	int ret = tld_export_generate(&g, dir);
	if (ret != TLD_OK) {
		fprintf(stderr, "gen-export: %s\n", tld_strerror(ret));
		return ret == TLD_EINVAL ? 2 : 1;
	}
	return 0;
}
