/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Key policy commands: policy simulate, audit list/verify, and (once the
 * config loader and the HSM key store are in) ds seen/gone, rollover
 * start/status, ceremony run, policy check.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "policy/audit.h"
#include "policy/ceremony.h"
#include "policy/examples.h"
#include "policy/keystate.h"
#include "policy/simulate.h"

#define MAX_MANUAL 16

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
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "participant", required_argument, NULL, 'p' },
		{ "transcript", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' },
		{ "key-tag", required_argument, NULL, 'k' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "zone", required_argument, NULL, 'z' },
		{ "example-policy", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *participants[32];
	const char *transcript_path = NULL, *actor = NULL, *state_dir = NULL, *zone = NULL;
	const char *example = "ecdsa-double-ds";
	struct tld_ceremony_env env;
	struct tld_ceremony *cer = NULL;
	struct tld_policy pol;
	tld_statedb_t *db = NULL;
	FILE *tr = NULL;
	int c, ret;

	memset(&env, 0, sizeof(env));
	env.key_tag = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'y': env.yes = true; break;
		case 'p':
			if (env.n_participants >= 32) {
				tld_error("at most 32 --participant");
				return TLD_EUSAGE;
			}
			participants[env.n_participants++] = optarg;
			break;
		case 't': transcript_path = optarg; break;
		case 'a': actor = optarg; break;
		case 'k':
			env.key_tag = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || env.key_tag < 0 || env.key_tag > 65535) {
				tld_error("--key-tag: a number from 0 to 65535, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 's': state_dir = optarg; break;
		case 'z': zone = optarg; break;
		case 'e': example = optarg; break;
		default: return TLD_EUSAGE;
		}
	}
	if (optind + 1 != argc) {
		tld_error("ceremony run: give exactly one SCRIPT.yaml");
		return TLD_EUSAGE;
	}
	if (state_dir == NULL || zone == NULL) {
		tld_error("ceremony run: give --state-dir DIR and --zone NAME (reading them from tldsign.yaml "
		          "needs the config loader)");
		return TLD_EUSAGE;
	}
	if (tld_policy_example(example, &pol) != TLD_OK) {
		tld_error("no example policy '%s'", example);
		return TLD_EUSAGE;
	}
	const char *script = argv[optind];
	ret = tld_ceremony_load(script, &cer);
	if (ret != TLD_OK) {
		return ret;
	}
	for (size_t i = 0; i < cer->n_steps; i++) {
		if (cer->steps[i].key_tag == TLD_CER_TAG_PARAM && env.key_tag < 0) {
			tld_error("%s: step %zu (line %u) takes its key tag from the command line: give --key-tag",
			          script, i + 1, cer->steps[i].line);
			ret = TLD_EUSAGE;
			goto out;
		}
	}
	char default_tr[64];
	if (transcript_path == NULL) {
		char t[32];
		snprintf(default_tr, sizeof(default_tr), "ceremony-%s.txt", tld_time_format(cli->now, t, sizeof(t)));
		transcript_path = default_tr;
	}
	ret = tld_statedb_open(state_dir, &db);
	if (ret != TLD_OK) {
		goto out;
	}
	tr = fopen(transcript_path, "wx");
	if (tr == NULL) {
		tld_error("%s: cannot create the transcript: %s", transcript_path, strerror(errno));
		ret = TLD_EIO;
		goto out;
	}
	env.db = db;
	env.pol = &pol;
	env.zone = zone;
	env.now = cli->now;
	env.actor = tld_audit_actor(actor);
	env.participants = participants;
	env.in = stdin;
	env.out = stdout;
	env.transcript = tr;
	ret = tld_ceremony_run(cer, script, &env);
	if (fclose(tr) != 0 && ret == TLD_OK) {
		tld_error("%s: write failed", transcript_path);
		ret = TLD_EIO;
	}
	printf("transcript: %s\n", transcript_path);
out:
	tld_statedb_close(db);
	tld_ceremony_free(cer);
	return ret;
}

/* ---- audit ---- */

static int open_state(const char *state_dir, tld_statedb_t **db)
{
	if (state_dir == NULL) {
		tld_error("audit: give --state-dir DIR (reading it from tldsign.yaml needs the config loader)");
		return TLD_EUSAGE;
	}
	return tld_statedb_open(state_dir, db);
}

static int parse_state_dir(int argc, char **argv, const char **state_dir)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's') {
			*state_dir = optarg;
		} else {
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}
	return TLD_OK;
}

static int print_entry(const struct tld_audit_entry *e, void *ctx)
{
	(void)ctx;
	char when[32];
	printf("%5lld  %s  %-10s  %-16s  tags=%s%s%s%s%s\n", (long long)e->seq,
	       tld_time_format(e->time, when, sizeof(when)), e->actor, e->operation,
	       e->key_tags[0] ? e->key_tags : "-", e->detail[0] ? "  " : "", e->detail,
	       e->ds[0] ? "\n       DS: " : "", e->ds);
	return 0;
}

int cmd_audit_list(const struct tld_cli *cli, int argc, char **argv)
{
	const char *state_dir = NULL;
	tld_statedb_t *db = NULL;
	(void)cli;
	int ret = parse_state_dir(argc, argv, &state_dir);
	if (ret == TLD_OK) {
		ret = open_state(state_dir, &db);
	}
	if (ret == TLD_OK) {
		ret = tld_audit_foreach(db, print_entry, NULL);
	}
	tld_statedb_close(db);
	return ret;
}

int cmd_audit_verify(const struct tld_cli *cli, int argc, char **argv)
{
	const char *state_dir = NULL;
	tld_statedb_t *db = NULL;
	char why[512], head[TLD_AUDIT_HASH_HEX];
	int64_t n = 0;
	(void)cli;
	int ret = parse_state_dir(argc, argv, &state_dir);
	if (ret == TLD_OK) {
		ret = open_state(state_dir, &db);
	}
	if (ret == TLD_OK) {
		ret = tld_audit_verify(db, &n, head, why, sizeof(why));
		if (ret == TLD_OK) {
			printf("audit log intact: %lld entries, head %s\n", (long long)n, n ? head : "(empty)");
		} else if (ret == TLD_EVERIFY) {
			tld_error("audit log broken: %s", why);
			printf("audit log BROKEN: %s\n", why);
		}
	}
	tld_statedb_close(db);
	return ret;
}

int cmd_policy_check(const struct tld_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return tld_cli_not_built("policy check");
}

/* ---- policy simulate ---- */

static int parse_manual(const char *text, struct tld_sim_manual *m)
{
	/* TIME,KIND[,ALGORITHM-NUMBER] */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", text);
	char *kind = strchr(buf, ',');
	if (kind == NULL) {
		return TLD_EUSAGE;
	}
	*kind++ = '\0';
	char *alg = strchr(kind, ',');
	if (alg) {
		*alg++ = '\0';
	}
	memset(m, 0, sizeof(*m));
	if (tld_time_parse(buf, &m->at) != TLD_OK) {
		return TLD_EUSAGE;
	}
	static const char *kinds[] = { NULL, "ksk", "zsk", "csk", "algorithm" };
	for (int k = 1; k <= 4; k++) {
		if (strcmp(kind, kinds[k]) == 0) {
			m->kind = k;
		}
	}
	if (strcmp(kind, "policy") == 0) {
		m->kind = 0;
	} else if (m->kind == 0) {
		return TLD_EUSAGE;
	}
	if (alg) {
		char *end;
		long a = strtol(alg, &end, 10);
		if (*end != '\0' || a < 1 || a > 255) {
			return TLD_EUSAGE;
		}
		m->new_algorithm = (int)a;
	}
	return TLD_OK;
}

int cmd_policy_simulate(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "years", required_argument, NULL, 'y' },
		{ "from", required_argument, NULL, 'f' },
		{ "example", required_argument, NULL, 'e' },
		{ "parent-delay", required_argument, NULL, 'p' },
		{ "svg", required_argument, NULL, 's' },
		{ "zone", required_argument, NULL, 'z' },
		{ "rollover", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct tld_policy pol;
	struct tld_sim_manual manual[MAX_MANUAL];
	struct tld_sim_options opt = { .from = cli->now, .years = 5, .parent_delay = 86400, .zone = "test." };
	const char *example = NULL, *svg_path = NULL;
	bool quiet = false;
	FILE *svg = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'y':
			opt.years = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || opt.years < 1 || opt.years > 100) {
				tld_error("--years: a number from 1 to 100, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 'f':
			if (tld_time_parse(optarg, &opt.from) != TLD_OK) {
				tld_error("--from: RFC 3339 time or Unix seconds, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 'e':
			example = optarg;
			break;
		case 'p':
			if (tld_duration_parse(optarg, &opt.parent_delay) != TLD_OK) {
				tld_error("--parent-delay: a duration such as 2d, not '%s'", optarg);
				return TLD_EUSAGE;
			}
			break;
		case 's':
			svg_path = optarg;
			break;
		case 'z':
			opt.zone = optarg;
			break;
		case 'r':
			if (opt.n_manual >= MAX_MANUAL || parse_manual(optarg, &manual[opt.n_manual]) != TLD_OK) {
				tld_error("--rollover: TIME,ksk|zsk|csk|algorithm|policy[,ALGORITHM], not '%s'", optarg);
				return TLD_EUSAGE;
			}
			opt.n_manual++;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}
	if (example == NULL) {
		tld_error("policy simulate: give --example NAME (ecdsa-double-ds, ecdsa-double-ksk, csk, rsa); "
		          "simulating the configured policy file needs the policy loader");
		return TLD_EUSAGE;
	}
	if (tld_policy_example(example, &pol) != TLD_OK) {
		tld_error("no example policy '%s' (ecdsa-double-ds, ecdsa-double-ksk, csk, rsa)", example);
		return TLD_EUSAGE;
	}
	opt.manual = manual;
	opt.timeline = quiet ? NULL : stdout;
	if (svg_path) {
		svg = fopen(svg_path, "w");
		if (svg == NULL) {
			tld_error("%s: cannot write: %s", svg_path, strerror(errno));
			return TLD_EIO;
		}
		opt.svg = svg;
	}
	struct tld_sim_result res;
	memset(&res, 0, sizeof(res));
	ret = tld_simulate(&pol, &opt, &res);
	if (svg && fclose(svg) != 0 && ret == TLD_OK) {
		tld_error("%s: write failed", svg_path);
		ret = TLD_EIO;
	}
	if (ret != TLD_OK) {
		tld_error("simulation failed: %s", tld_strerror(ret));
		return ret;
	}
	printf("simulated %d years: %u steps, %u events, %u keys, %u rollovers, largest DNSKEY response "
	       "%zu bytes%s, %u invariant breaks\n", opt.years, res.steps, res.events, res.keys_total,
	       res.rollovers, res.max_dnskey_response, res.max_dnskey_response > 1232 ? " (ABOVE 1232)" : "",
	       res.breaks);
	if (res.breaks > 0) {
		tld_error("invariant broken: %s", res.first_break);
		return TLD_EVERIFY;
	}
	return TLD_OK;
}
