/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test helper (header-only, static): one temporary directory per test
 * program, paths in it, and its removal at the end (kept with KEEP_TMP set).
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include "tests/tap/tap.h"

static char tmpdir[256];

/*! Makes the directory ($TMPDIR or /tmp, named after the test); skip_all() when it cannot. */
static inline void tmpdir_make(const char *test)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", test);
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("mkdtemp failed");
	}
}

/*! A path in the directory (one of eight buffers used in turn). */
static inline const char *tmp_path(const char *name)
{
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/*! Removes the directory unless KEEP_TMP is set. */
static inline void tmpdir_remove(void)
{
	if (getenv("KEEP_TMP") == NULL) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0) {
			diag("could not remove %s", tmpdir);
		}
	}
}
