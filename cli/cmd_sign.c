/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tldsign sign [-i FILE] [-o FILE] [--policy FILE] [--previous FILE]
 *              [--workers N] [--keep-serial]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "policy/policy.h"
#include "signer/sign.h"

/* -- internal API -- */

static int state_path(const struct tld_config *cfg, const char *file, char *buf, size_t size)
{
	size_t sl = strlen(cfg->state_dir);
	int n = snprintf(buf, size, "%s%s%s", cfg->state_dir, sl > 0 && cfg->state_dir[sl - 1] == '/' ? "" : "/", file);
	return n > 0 && (size_t)n < size ? TLD_OK : TLD_EINVAL;
}

static void print_summary(const struct signer_sign_opts *o, const struct signer_sign_stats *s)
{
	char exp[32];
	double total = s->seconds_read + s->seconds_chain + s->seconds_sign + s->seconds_write;
	char hsm[96] = "";
	if (s->hsm_batches > 0 && s->seconds_hsm > 0) {
		snprintf(hsm, sizeof(hsm), " (HSM %.0f signatures/s over %.2f s)", (double)s->hsm_signatures / s->seconds_hsm,
		         s->seconds_hsm);
	}
	printf("%s %s serial %" PRIu32 ": %" PRIu64 " records in, %" PRIu64 " RRsets signed, %" PRIu64
	       " %s, %" PRIu64 " new and %" PRIu64 " reused signatures, earliest expiry %s, %.2f s%s -> %s\n",
	       s->unchanged ? "unchanged" : "signed", o->cfg->zone, s->serial, s->records_in, s->rrsets_signed,
	       s->nsec_records, o->policy->denial.type == TLD_DENIAL_NSEC3 ? "NSEC3" : "NSEC", s->sigs_new,
	       s->sigs_reused, tld_time_format(s->earliest_expiration, exp, sizeof(exp)), total, hsm, o->output);
	tld_info("sign: read %.2f s, chain %.2f s, sign %.2f s, write %.2f s", s->seconds_read, s->seconds_chain,
	         s->seconds_sign, s->seconds_write);
}

/* -- public API -- */

int cmd_sign(const struct tld_cli *cli, int argc, char **argv)
{
	const char *input = NULL, *output = NULL, *policy_path = NULL, *previous = NULL;
	bool keep_serial = false;
	long workers = 0;
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },
		{ "previous", required_argument, NULL, 'P' },
		{ "workers", required_argument, NULL, 'w' },
		{ "keep-serial", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "i:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			policy_path = optarg;
			break;
		case 'P':
			previous = optarg;
			break;
		case 'w':
			errno = 0;
			workers = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || workers < 0 || workers > 256) {
				tld_error("sign: --workers wants a number from 0 (one per CPU) to 256, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 'k':
			keep_serial = true;
			break;
		default:
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("sign: unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}

	struct tld_config *cfg = NULL;
	struct tld_policy *pol = NULL;
	tld_statedb_t *db = NULL;
	char in_buf[4096], out_buf[4096];
	int ret = tld_config_load(cli->config_path, &cfg);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_policy_load(policy_path != NULL ? policy_path : cfg->policy_path, &pol);
	if (ret != TLD_OK) {
		goto fail;
	}
	if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST) {
		tld_error("%s: %s", cfg->state_dir, strerror(errno));
		ret = tld_errno(errno);
		goto fail;
	}
	if (input == NULL) {
		ret = state_path(cfg, "unsigned.zone", in_buf, sizeof(in_buf));
		input = in_buf;
	}
	if (ret == TLD_OK && output == NULL) {
		ret = state_path(cfg, "signed.zone", out_buf, sizeof(out_buf));
		output = out_buf;
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	if (previous != NULL && access(previous, R_OK) != 0) {
		tld_error("sign: --previous %s: %s", previous, strerror(errno));
		ret = tld_errno(errno);
		goto fail;
	}
	if (previous == NULL && access(output, F_OK) == 0) {
		previous = output;
	}
	ret = tld_statedb_open(cfg->state_dir, &db);
	if (ret != TLD_OK) {
		goto fail;
	}
	struct signer_sign_opts o = {
		.cfg = cfg,
		.policy = pol,
		.db = db,
		.input = input,
		.output = output,
		.previous = previous,
		.now = cli->now,
		.workers = (unsigned)workers,
		.keep_serial_if_unchanged = keep_serial,
	};
	struct signer_sign_stats stats;
	ret = signer_sign_file(&o, &stats);
	if (ret == TLD_OK) {
		print_summary(&o, &stats);
	}
fail:
	tld_statedb_close(db);
	tld_policy_free(pol);
	tld_config_free(cfg);
	return ret;
}
