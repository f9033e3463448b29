/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test helper (header-only, static): a throw-away SoftHSM2 token in a
 * temporary directory and a struct tld_config pointing at it.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "tests/tap/tap.h"

#define TEST_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

struct test_token {
	char dir[256];
	char conf[300];
	char pin_file[300];
	char module[256];
	struct tld_config cfg;
};

/* Shell-quotes nothing: the paths are mkdtemp results under /tmp. */
static inline int test_sh(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return system(cmd);
}

/*! Creates the token; skip_all() when SoftHSM2 is not installed. */
static inline void test_token_make(struct test_token *t, const char *label)
{
	const char *mod = getenv("TLDSIGN_SOFTHSM_MODULE");
	snprintf(t->module, sizeof(t->module), "%s", mod ? mod : TEST_SOFTHSM_MODULE);
	if (access(t->module, R_OK) != 0 || system("command -v softhsm2-util >/dev/null") != 0) {
		skip_all("SoftHSM2 not installed (%s)", t->module);
	}
	snprintf(t->dir, sizeof(t->dir), "%s/tldsign-hsm.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(t->dir) == NULL) {
		skip_all("mkdtemp failed");
	}
	snprintf(t->conf, sizeof(t->conf), "%s/softhsm2.conf", t->dir);
	snprintf(t->pin_file, sizeof(t->pin_file), "%s/pin", t->dir);
	char tokens[300];
	snprintf(tokens, sizeof(tokens), "%s/tokens", t->dir);
	mkdir(tokens, 0700);
	FILE *f = fopen(t->conf, "w");
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens);
	fclose(f);
	f = fopen(t->pin_file, "w");
	fprintf(f, "1234\n");
	fclose(f);
	chmod(t->pin_file, 0600);
	setenv("SOFTHSM2_CONF", t->conf, 1);
	if (test_sh("softhsm2-util --init-token --free --label '%s' --pin 1234 --so-pin 5678 >/dev/null",
	            label, "", "") != 0) {
		skip_all("softhsm2-util --init-token failed");
	}
	memset(&t->cfg, 0, sizeof(t->cfg));
	t->cfg.zone = "test.";
	t->cfg.state_dir = t->dir;
	t->cfg.hsm.module = t->module;
	t->cfg.hsm.token = (char *)label;
	t->cfg.hsm.pin_file = t->pin_file;
	t->cfg.hsm.softhsm_conf = t->conf;
	t->cfg.hsm.session_key_copies = true; /* the default of a loaded config */
}

static inline void test_token_remove(struct test_token *t)
{
	if (getenv("KEEP_TMP") == NULL) {
		test_sh("rm -rf '%s'%s%s", t->dir, "", "");
	}
}
