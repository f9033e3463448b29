/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * INTERIM: weak stand-ins for the config loader (common/config.c, branch
 * `config`) so that this branch links before the loader lands in main.  The
 * real, strong definitions replace these automatically; delete this file
 * once common/config.c is in main.
 */
#include <stdlib.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"

__attribute__((weak)) int tld_config_load(const char *path, struct tld_config **out)
{
	(void)out;
	tld_error("%s: the config loader is not in this build yet", path);
	return TLD_ENOTIMPL;
}

__attribute__((weak)) void tld_config_free(struct tld_config *cfg)
{
	free(cfg);
}
