/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the key policy commands (ds, rollover, ceremony, audit) open: the
 * config (-c), its policy file and the state store.
 */
#pragma once

#include <stdbool.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/statedb.h"
#include "policy/policy.h"

struct policy_ctx {
	struct tld_config *cfg;
	struct tld_policy *pol;
	tld_statedb_t *db;
};

/*!
 * \brief Loads config and (if need_policy) policy, opens the state store.
 * \param[out] p  close with policy_ctx_close(), also after a failure
 * \return TLD_OK or the loader's / store's code (logged)
 */
int policy_ctx_open(const struct tld_cli *cli, bool need_policy, struct policy_ctx *p);

/*! Releases what policy_ctx_open() opened. */
void policy_ctx_close(struct policy_ctx *p);

/*! Parses a key tag argument.  \return TLD_OK or TLD_EUSAGE (logged) */
int policy_parse_key_tag(const char *text, uint16_t *tag);
