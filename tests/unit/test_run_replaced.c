/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * run/replaced_files: a replaced name names the new file at once, the file
 * it named keeps a second name NAME.old until the next run removes it (on a
 * thread, with the files of pruned versions); a failed replacement leaves the name as it was; an earlier
 * NAME.old that was never removed is replaced; names that do not exist,
 * paths that do not fit, and removals of nothing are harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "run/replaced_files.h"
#include "tests/tap/tap.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* The content of dir/name ("" when it cannot be read: absent). */
static const char *get(const char *name)
{
	static char buf[64];
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	buf[0] = 0;
	if (f != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
	}
	return buf;
}

static ino_t inode(const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? st.st_ino : 0;
}

static const char *at(const char *name)
{
	static char p[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

int main(void)
{
	plan_lazy();
	snprintf(dir, sizeof(dir), "/tmp/test_run_replaced.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		skip_all("no temporary directory");
	}
	put("signed.zone", "new version");
	put("previous.zone", "old version");
	is_int(TLD_OK, run_replace_keeping_old(at("signed.zone"), at("previous.zone")), "replaced");
	is_str("new version", get("previous.zone"), "the name names the new file");
	ok(inode("previous.zone") == inode("signed.zone"), "a hard link to it");
	is_str("old version", get("previous.zone.old"), "the file replaced keeps a second name");
	ok(access(at("previous.zone.linktmp"), F_OK) != 0, "no temporary left");

	/* a failed replacement: the name as it was */
	ok(run_replace_keeping_old(at("absent"), at("previous.zone")) != TLD_OK, "from absent: refused");
	is_str("new version", get("previous.zone"), "the name is unchanged");
	ok(access(at("previous.zone.linktmp"), F_OK) != 0, "no temporary left");

	/* an earlier NAME.old never removed (a removal that did not run) is replaced */
	put("signed.zone.2", "third version");
	is_int(TLD_OK, run_replace_keeping_old(at("signed.zone.2"), at("previous.zone")), "replaced again");
	is_str("third version", get("previous.zone"), "the newest file");
	is_str("new version", get("previous.zone.old"), "NAME.old is the file replaced last");

	/* a name that did not exist: replaced, no second name */
	put("signed.zone.sigs", "sigs");
	is_int(TLD_OK, run_replace_keeping_old(at("signed.zone.sigs"), at("previous.zone.sigs")),
	       "a new name");
	ok(access(at("previous.zone.sigs.old"), F_OK) != 0, "no NAME.old for a name that did not exist");

	/* the next run's removal, on a thread */
	const char *names[] = { at("previous.zone"), at("previous.zone.sigs"), at("previous.zone.vstate") };
	struct replaced_job job;
	struct tld_config cfg = { .zone = "test.", .state_dir = dir, .output.dir = dir };
	put("test.7.img.pruned", "a pruned version's image");
	run_start_remove_replaced(&job, &cfg, names, 3);
	run_join_remove_replaced(&job);
	is_int(1, (long long)job.removed, "one NAME.old removed");
	is_int(1, (long long)job.pruned, "and the pruned version's file");
	ok(access(at("test.7.img.pruned"), F_OK) != 0, "NAME.pruned is gone");
	ok(access(at("previous.zone.old"), F_OK) != 0, "NAME.old is gone");
	is_str("third version", get("previous.zone"), "NAME stays");
	is_str("third version", get("signed.zone.2"), "and its other names");
	run_start_remove_replaced(&job, &cfg, names, 3);
	run_join_remove_replaced(&job);
	is_int(0, (long long)(job.removed + job.pruned), "nothing to remove: nothing removed");
	run_join_remove_replaced(&job);
	is_int(0, (long long)(job.removed + job.pruned), "joined twice: a no-op, the counts as they were");

	/* a path that does not fit */
	char *big = malloc(5000);
	memset(big, 'a', 4999);
	big[0] = '/';
	big[4999] = 0;
	is_int(TLD_ERANGE, run_replace_keeping_old(at("signed.zone"), big), "a path too long: refused");
	free(big);

	const char *left[] = { "signed.zone", "signed.zone.2", "signed.zone.sigs", "previous.zone",
	                       "previous.zone.sigs" };
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		unlink(at(left[i]));
	}
	ok(rmdir(dir) == 0, "nothing else left in the directory");
	return exit_status();
}
