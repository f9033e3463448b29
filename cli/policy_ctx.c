/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "cli/policy_ctx.h"
#include "common/error.h"
#include "common/log.h"

int policy_ctx_open(const struct tld_cli *cli, bool need_policy, struct policy_ctx *p)
{
	memset(p, 0, sizeof(*p));
	int ret = tld_config_load(cli->config_path, &p->cfg);
	if (ret == TLD_OK && need_policy) {
		ret = tld_policy_load(p->cfg->policy_path, &p->pol);
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_open(p->cfg->state_dir, &p->db);
	}
	return ret;
}

void policy_ctx_close(struct policy_ctx *p)
{
	tld_statedb_close(p->db);
	tld_policy_free(p->pol);
	tld_config_free(p->cfg);
	memset(p, 0, sizeof(*p));
}

int policy_parse_key_tag(const char *text, uint16_t *tag)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < 0 || v > 65535) {
		tld_error("'%s' is not a key tag (0 to 65535)", text);
		return TLD_EUSAGE;
	}
	*tag = (uint16_t)v;
	return TLD_OK;
}
