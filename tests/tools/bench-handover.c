/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-handover CONFIG NOW [ROUNDS]: the run's export stage and the
 * handover to the signer on their own, as `tldsign run` does them: the
 * export built (tld_zonegen_build()), the signer's zone filled from it with
 * the text of STATE_DIR/unsigned.zone prepared beside (tld_run_unsigned_zone()),
 * that file written and hashed (tld_run_unsigned_start/finish(), into
 * $TMPDIR, not the instance), the zone built (signer_zone_build()).  Prints
 * the wall and CPU time (the whole process's, all threads) of each phase,
 * ROUNDS times (default 1).  NOW is the Unix time the export is checked
 * against.  TLDSIGN_FILL_PIPELINE=0/1 chooses one pass or two parts.
 * Exit 0 only when every phase succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "signer/zone.h"
#include "zonegen/zonegen.h"
#include "tests/tools/bench_clock.h"

/* Prints the phase since *w, *c and starts the next. */
static void phase(const char *what, double *w, double *c)
{
	double w1 = bench_wall_seconds(), c1 = bench_cpu_seconds();
	printf("%-9s %.3f s wall %.3f s cpu\n", what, w1 - *w, c1 - *c);
	*w = w1;
	*c = c1;
}

static int round_once(const struct tld_config *cfg, const char *path)
{
	double w = bench_wall_seconds(), c = bench_cpu_seconds();
	struct tld_zonegen *zg = NULL;
	struct signer_zone *z = NULL;
	struct tld_zonegen_text *text = NULL;
	struct tld_run_unsigned_job *job = NULL;
	char hex[65];
	int err = tld_zonegen_build(cfg, NULL, &zg);
	if (err != TLD_OK) {
		return err;
	}
	phase("export", &w, &c);
	if ((err = tld_run_unsigned_zone(zg, cfg->zone, path, &z, &text)) == TLD_OK) {
		phase("handover", &w, &c);
		err = tld_run_unsigned_start(zg, text, path, &job); /* takes text */
		if (err == TLD_OK) {
			err = tld_run_unsigned_finish(job, hex, NULL, NULL);
		}
	}
	if (err == TLD_OK) {
		phase("unsigned", &w, &c);
		err = signer_zone_build(z);
	}
	if (err == TLD_OK) {
		phase("build", &w, &c);
		printf("%zu nodes, %zu records, unsigned digest %s\n", z->nnodes, z->nrrs, hex);
	}
	signer_zone_free(z);
	tld_zonegen_free(zg);
	return err;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-handover CONFIG NOW [ROUNDS]\n");
		return 2;
	}
	tld_log_init(TLD_LOG_WARNING, false);
	tld_clock_pin((tld_time_t)strtoll(argv[2], NULL, 10));
	int rounds = argc > 3 ? atoi(argv[3]) : 1;
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/bench-handover.unsigned.zone", tmp);
	struct tld_config *cfg = NULL;
	if (tld_config_load(argv[1], &cfg) != TLD_OK) {
		return 1;
	}
	int err = TLD_OK;
	for (int i = 0; i < rounds && err == TLD_OK; i++) {
		err = round_once(cfg, path);
	}
	if (err != TLD_OK) {
		fprintf(stderr, "bench-handover: %s\n", tld_strerror(err));
	}
	tld_config_free(cfg);
	return err == TLD_OK ? 0 : 1;
}
