/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Times the publish preparation alone (publish/publish.h), for profiling:
 *
 *   publish-prepare-bench CONFIG STATE_DIR SIGNED [ROUNDS]
 *
 * prepares SIGNED against the current version recorded in STATE_DIR's
 * state store (e.g. a copy of the state before an incremental run) with
 * CONFIG's zone and output directory, ROUNDS times (default 1), and
 * discards each preparation (tld_publish_abort(): its temporaries are
 * removed; nothing is committed).  SIGNED may be linked as `tldsign run`
 * links STATE_DIR/signed.zone.  Prints wall and CPU seconds per round;
 * BENCH_VERBOSE=1 logs the preparation's parts (debug).  Use a copy of a
 * state directory (its store may be upgraded), and never beside a run of
 * the same instance: a preparation sweeps the instance's publish temporaries.
 *
 *   e.g. after `sh /work/incr.sh 1000000 both` (W=DIR):
 *   cp -a DIR/state-base-1000000 DIR/prepstate
 *   build/tools/publish-prepare-bench DIR/inst-1000000/tldsign.yaml DIR/prepstate \
 *       DIR/inst-1000000/state/signed.zone 5
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/publish.h"
#include "tests/tools/bench_clock.h"

int main(int argc, char **argv)
{
	struct tld_config *cfg = NULL;
	tld_statedb_t *db = NULL;
	struct tld_version_info cur;
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: publish-prepare-bench CONFIG STATE_DIR SIGNED [ROUNDS]\n");
		return 2;
	}
	int rounds = argc == 5 ? atoi(argv[4]) : 1;
	tld_log_init(getenv("BENCH_VERBOSE") != NULL ? TLD_LOG_DEBUG : TLD_LOG_WARNING, false);
	if (tld_config_load(argv[1], &cfg) != TLD_OK || tld_statedb_open(argv[2], &db) != TLD_OK ||
	    tld_versions_current(db, &cur) != TLD_OK) {
		fprintf(stderr, "publish-prepare-bench: cannot load the configuration or the current version\n");
		return 1;
	}
	int rc = 0;
	for (int i = 0; i < rounds && rc == 0; i++) {
		tld_publish_prep_t *p = NULL;
		struct tld_publish_opts po = { .link_input = true };
		double w0 = bench_wall_seconds(), c0 = bench_cpu_seconds();
		int r = tld_publish_prepare(cfg, &cur, argv[3], &po, &p);
		double w1 = bench_wall_seconds(), c1 = bench_cpu_seconds();
		if (r != TLD_OK) {
			fprintf(stderr, "publish-prepare-bench: %s\n", tld_strerror(r));
			rc = 1;
		} else {
			printf("prepare: %.3f s wall, %.3f s CPU\n", w1 - w0, c1 - c0);
		}
		tld_publish_abort(p);
	}
	tld_statedb_close(db);
	tld_config_free(cfg);
	return rc;
}
