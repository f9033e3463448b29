/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ds seen / ds gone, rollover start / rollover status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy_ctx.h"
#include "common/error.h"
#include "common/log.h"
#include "policy/audit.h"
#include "policy/keyplan.h"
#include "policy/keyplan_hsm.h"
#include "policy/keystore.h"
#include "policy/parentds.h"

/* Options shared by these commands: --actor NAME; returns the first operand index. */
static int parse_actor(int argc, char **argv, const char **actor, int64_t *warn_after)
{
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ "warn-after", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'a') {
			*actor = optarg;
		} else if (c == 'w' && warn_after != NULL) {
			if (tld_duration_parse(optarg, warn_after) != TLD_OK) {
				tld_error("--warn-after: a duration such as 7d, not '%s'", optarg);
				return -1;
			}
		} else {
			return -1;
		}
	}
	return optind;
}

static int ds_confirm(const struct tld_cli *cli, int argc, char **argv, bool gone)
{
	const char *actor = NULL;
	struct policy_ctx p;
	uint16_t tag;
	int first = parse_actor(argc, argv, &actor, NULL);
	if (first < 0 || first + 1 != argc) {
		tld_error("usage: ds %s KEYTAG [--actor NAME]", gone ? "gone" : "seen");
		return TLD_EUSAGE;
	}
	int ret = policy_parse_key_tag(argv[first], &tag);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = policy_ctx_open(cli, true, &p);
	if (ret == TLD_OK) {
		ret = tld_keyplan_sync(p.db, p.cfg->zone, cli->now, tld_audit_actor(actor));
	}
	char ds[256] = "";
	if (ret == TLD_OK && tld_keyplan_ds_text(p.db, p.cfg->zone, tag, p.pol->parent.ds_digest, ds,
	                                         sizeof(ds)) != TLD_OK) {
		ds[0] = '\0';
	}
	if (ret == TLD_OK) {
		ret = tld_keyplan_ds_confirm(p.db, p.cfg->zone, tag, gone, cli->now, tld_audit_actor(actor),
		                             ds[0] ? ds : NULL);
	}
	if (ret == TLD_OK) {
		printf("recorded: the DS of key %u is %s the parent%s%s\n", tag, gone ? "gone from" : "published at",
		       ds[0] ? "\n  " : "", ds);
		printf("the next run (or `tldsign rollover status`) moves the key states on\n");
	}
	policy_ctx_close(&p);
	return ret;
}

int cmd_ds_seen(const struct tld_cli *cli, int argc, char **argv)
{
	return ds_confirm(cli, argc, argv, false);
}

int cmd_ds_gone(const struct tld_cli *cli, int argc, char **argv)
{
	return ds_confirm(cli, argc, argv, true);
}

int cmd_rollover_start(const struct tld_cli *cli, int argc, char **argv)
{
	static const char *kinds[] = { NULL, "ksk", "zsk", "csk", "algorithm" };
	const char *actor = NULL;
	struct policy_ctx p;
	int kind = 0;
	int first = parse_actor(argc, argv, &actor, NULL);
	for (int k = 1; first >= 0 && first + 1 == argc && k <= 4; k++) {
		if (strcmp(argv[first], kinds[k]) == 0) {
			kind = k;
		}
	}
	if (kind == 0) {
		tld_error("usage: rollover start ksk|zsk|csk|algorithm [--actor NAME]");
		return TLD_EUSAGE;
	}
	uint16_t tags[3];
	size_t n = 0;
	int ret = policy_ctx_open(cli, true, &p);
	if (ret == TLD_OK) {
		ret = tld_keyplan_start_rollover(p.cfg, p.pol, p.db, (enum tld_rollover_kind)kind, cli->now,
		                                 tld_audit_actor(actor), tags, &n);
	}
	for (size_t i = 0; ret == TLD_OK && i < n; i++) {
		printf("new key %u:\n", tags[i]);
		tld_keyplan_print_key(p.db, p.cfg->zone, tags[i], p.pol->parent.ds_digest, stdout);
	}
	if (ret == TLD_OK) {
		printf("%s rollover started; `tldsign rollover status` shows what it waits for\n", kinds[kind]);
	}
	policy_ctx_close(&p);
	return ret;
}

/* The parent DS check in words (nothing recorded: the next run does that). */
static unsigned print_parent_check(const struct policy_ctx *p, tld_time_t now)
{
	struct tld_parent_result res;
	if (p->pol->parent.nameservers_count == 0) {
		return 0;
	}
	if (tld_parent_check(p->pol, p->db, p->cfg->zone, now, false, &res) != TLD_OK) {
		printf("parent check: could not read the key states\n");
		return 1;
	}
	switch (res.verdict) {
	case TLD_PARENT_IDLE:
		printf("parent check (%zu server(s)): nothing waits on the parent\n", p->pol->parent.nameservers_count);
		return 0;
	case TLD_PARENT_DONE:
		printf("parent check: %s; the next run records it\n", res.words);
		return 0;
	case TLD_PARENT_NOT_YET:
		printf("parent check: %s\n", res.words);
		return 0;
	default:
		printf("parent check: WARNING (%s): %s\n", tld_parent_verdict_name(res.verdict), res.words);
		return 1;
	}
}

int cmd_rollover_status(const struct tld_cli *cli, int argc, char **argv)
{
	const char *actor = NULL;
	int64_t warn_after = -1; /* default: policy parent.ds-wait-warning */
	struct policy_ctx p;
	struct tld_keystate *keys = NULL;
	size_t n = 0;
	int first = parse_actor(argc, argv, &actor, &warn_after);
	if (first < 0 || first != argc) {
		tld_error("usage: rollover status [--warn-after DURATION]");
		return TLD_EUSAGE;
	}
	int ret = policy_ctx_open(cli, true, &p);
	if (ret == TLD_OK) {
		ret = tld_keyplan_sync(p.db, p.cfg->zone, cli->now, tld_audit_actor(actor));
	}
	if (ret == TLD_OK) {
		ret = tld_keystore_load(p.db, p.cfg->zone, &keys, &n);
	}
	if (ret == TLD_OK) {
		char t[32];
		if (warn_after < 0) {
			warn_after = p.pol->parent.ds_wait_warning;
		}
		printf("zone %s at %s: %zu key(s)\n", p.cfg->zone, tld_time_format(cli->now, t, sizeof(t)), n);
		unsigned w = tld_keyplan_describe(p.pol, keys, n, cli->now, warn_after, stdout);
		w += print_parent_check(&p, cli->now);
		if (tld_keyplan_cds_delete(p.pol)) {
			printf("CDS/CDNSKEY delete records are published (policy parent.cds: delete): the parent is "
			       "asked to remove every DS and the zone goes insecure\n");
		}
		for (size_t i = 0; i < n; i++) {
			char ds[256];
			if (keys[i].st[TLD_KR_DS] == TLD_KS_HIDDEN && keys[i].ds_requested &&
			    tld_keyplan_ds_text(p.db, p.cfg->zone, keys[i].key_tag, p.pol->parent.ds_digest, ds,
			                        sizeof(ds)) == TLD_OK) {
				printf("DS to submit to the parent: %s\n", ds);
			}
		}
		struct tld_keystep step;
		memset(&step, 0, sizeof(step));
		if (tld_keystate_step(p.pol, keys, n, NULL, 0, cli->now, &step) == TLD_OK) {
			printf("next event: %s\n", step.next_event ? tld_time_format(step.next_event, t, sizeof(t))
			                                           : "none by time (waits on people or nothing)");
			tld_keystep_clear(&step);
		}
		if (w > 0) {
			tld_warning("%u warning(s) about rollovers", w);
		}
	}
	free(keys);
	policy_ctx_close(&p);
	return ret;
}
