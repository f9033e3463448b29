/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A SoftHSM token lost to an emptied token.object, told to the operator (hsm/softhsm_store.h). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "hsm/softhsm_store.h"

/* The value of "directories.tokendir" in the SoftHSM configuration file, into dir. */
static int token_dir(const char *conf, char *dir, size_t size)
{
	FILE *fp = fopen(conf, "r");
	char line[4096];
	int found = 0;
	if (fp == NULL) {
		return 0;
	}
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		char *p = line;
		while (isspace((unsigned char)*p)) {
			p++;
		}
		if (strncmp(p, "directories.tokendir", 20) != 0) {
			continue;
		}
		p += 20;
		while (isspace((unsigned char)*p) || *p == '=') {
			p++;
		}
		size_t len = strcspn(p, "\r\n");
		while (len > 0 && isspace((unsigned char)p[len - 1])) {
			len--;
		}
		if (len > 0 && len < size) {
			memcpy(dir, p, len);
			dir[len] = '\0';
			found = 1;
		}
	}
	fclose(fp);
	return found;
}

void tld_softhsm_explain_missing_token(void)
{
	const char *conf = getenv("SOFTHSM2_CONF");
	char dir[4096];
	if (conf == NULL || conf[0] == '\0' || !token_dir(conf, dir, sizeof(dir))) {
		return;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		char path[8192];
		struct stat st;
		if (snprintf(path, sizeof(path), "%s/%s/token.object", dir, de->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
			tld_error("SoftHSM token file %s is empty: SoftHSM rewrites it in place at every login, and "
			          "a process killed at that instant (kill -9, the OOM killer, a power loss) leaves "
			          "it empty; the token and its keys stay unusable until token.object is restored "
			          "from a backup of the token directory (README: Keys and the HSM)", path);
		}
	}
	closedir(d);
}
