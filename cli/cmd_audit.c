/* SPDX-License-Identifier: GPL-3.0-or-later */
/* audit list / audit verify. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/policy_ctx.h"
#include "common/error.h"
#include "common/log.h"
#include "policy/audit.h"

/* --state-dir DIR reads a copy of a state store; otherwise the config's. */
static int open_log(const struct tld_cli *cli, int argc, char **argv, struct policy_ctx *p)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = NULL;
	int c;
	memset(p, 0, sizeof(*p));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's') {
			return TLD_EUSAGE;
		}
		state_dir = optarg;
	}
	if (optind != argc) {
		tld_error("unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}
	if (state_dir != NULL) {
		return tld_statedb_open(state_dir, &p->db);
	}
	return policy_ctx_open(cli, false, p);
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
	struct policy_ctx p;
	int ret = open_log(cli, argc, argv, &p);
	if (ret == TLD_OK) {
		ret = tld_audit_foreach(p.db, print_entry, NULL);
	}
	policy_ctx_close(&p);
	return ret;
}

int cmd_audit_verify(const struct tld_cli *cli, int argc, char **argv)
{
	struct policy_ctx p;
	char why[512], head[TLD_AUDIT_HASH_HEX];
	int64_t n = 0;
	int ret = open_log(cli, argc, argv, &p);
	if (ret == TLD_OK) {
		ret = tld_audit_verify(p.db, &n, head, why, sizeof(why));
		if (ret == TLD_OK) {
			printf("audit log intact: %lld entries, head %s\n", (long long)n, n ? head : "(empty)");
		} else if (ret == TLD_EVERIFY) {
			tld_error("audit log broken: %s", why);
			printf("audit log BROKEN: %s\n", why);
		}
	}
	policy_ctx_close(&p);
	return ret;
}
