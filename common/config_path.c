/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "common/config.h"

const char *tld_config_default_path(const char *explicit_path)
{
	if (explicit_path != NULL) {
		return explicit_path;
	}
	const char *env = getenv("TLDSIGN_CONFIG");
	if (env != NULL && *env != '\0') {
		return env;
	}
	return "./tldsign.yaml";
}
