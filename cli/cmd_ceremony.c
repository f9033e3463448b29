/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ceremony run: a scripted key ceremony with confirmations and a transcript. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy_ctx.h"
#include "common/error.h"
#include "common/log.h"
#include "hsm/keys.h"
#include "policy/audit.h"
#include "policy/ceremony.h"
#include "policy/examples.h"
#include "policy/keyplan.h"
#include "policy/keyplan_hsm.h"

static int ceremony_generate(void *ctx, uint8_t role, uint8_t algorithm, int64_t *key_id, uint16_t *key_tag)
{
	struct policy_ctx *p = ctx;
	struct tld_key_record rec;
	int ret = tld_key_generate(p->cfg, p->db, (enum tld_key_role)role, algorithm,
	                           p->pol->rsa_bits ? p->pol->rsa_bits : 2048, &rec);
	if (ret == TLD_OK) {
		*key_id = rec.id;
		*key_tag = rec.key_tag;
	}
	return ret;
}

static bool never_in_use(void *ctx, const struct tld_key_record *rec)
{
	(void)ctx;
	(void)rec;
	return false;
}

static int ceremony_discard(void *ctx, uint16_t key_tag)
{
	struct policy_ctx *p = ctx;
	return tld_key_delete(p->cfg, p->db, key_tag, never_in_use, NULL);
}

static int ceremony_print_key(void *ctx, uint16_t key_tag, FILE *out)
{
	struct policy_ctx *p = ctx;
	return tld_keyplan_print_key(p->db, p->cfg->zone, key_tag, p->pol->parent.ds_digest, out);
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
	const char *example = NULL;
	struct tld_ceremony_env env;
	struct tld_ceremony *cer = NULL;
	struct tld_policy example_pol;
	struct policy_ctx p;
	FILE *tr = NULL;
	int c, ret;

	memset(&env, 0, sizeof(env));
	memset(&p, 0, sizeof(p));
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
	/* a rehearsal on a copy: --state-dir, --zone and --example-policy; otherwise the config */
	if (state_dir != NULL || zone != NULL || example != NULL) {
		if (state_dir == NULL || zone == NULL) {
			tld_error("ceremony run: --state-dir and --zone go together");
			ret = TLD_EUSAGE;
			goto out;
		}
		if (tld_policy_example(example ? example : "ecdsa-double-ds", &example_pol) != TLD_OK) {
			tld_error("no example policy '%s'", example);
			ret = TLD_EUSAGE;
			goto out;
		}
		ret = tld_statedb_open(state_dir, &p.db);
		env.pol = &example_pol;
		env.zone = zone;
	} else {
		ret = policy_ctx_open(cli, true, &p);
		if (ret == TLD_OK) {
			env.pol = p.pol;
			env.zone = p.cfg->zone;
			env.generate = ceremony_generate;
			env.print_key = ceremony_print_key;
			env.discard = ceremony_discard;
			env.hook_ctx = &p;
			ret = tld_keyplan_sync(p.db, p.cfg->zone, cli->now, tld_audit_actor(actor));
		}
	}
	if (ret != TLD_OK) {
		goto out;
	}
	tr = fopen(transcript_path, "wx");
	if (tr == NULL) {
		tld_error("%s: cannot create the transcript: %s", transcript_path, strerror(errno));
		ret = TLD_EIO;
		goto out;
	}
	env.db = p.db;
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
	policy_ctx_close(&p);
	tld_ceremony_free(cer);
	return ret;
}

