/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-signpool CONFIG [ITEMS [MIB [ROUNDS [WORKERS]]]]: the HSM step of a
 * run on its own, both ways (hsm/signpool.h): a throw-away P-256 key is
 * made in the instance's token; then, ROUNDS times (default 3), the process
 * grows to MIB MiB of touched memory (default 1300: a 1M-delegation run at
 * its sign stage) and signs ITEMS messages (default 2791: that run's
 * incremental batch) on WORKERS workers (default 2)
 *   forked  tld_signpool_open() + one batch (the workers forked from the grown process)
 *   early   the workers started (and logged in) before the process grew,
 *           then tld_signpool_open_started() + one batch
 * and prints each one's wall time on the critical path (open, sign, close)
 * and its CPU time: this process's beside the growing, plus every worker's
 * (log-ins included: RUSAGE_CHILDREN after they are reaped).  The key is
 * destroyed at the end.  Exit 0 only when every batch signs every item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "hsm/hsm.h"
#include "hsm/signpool.h"
#include "tests/tools/bench_clock.h"

static double children_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* MIB MiB of touched memory, as a run has at its sign stage; *cpu: what touching it cost. */
static char *grow(size_t mib, double *cpu)
{
	double c0 = bench_cpu_seconds();
	char *m = malloc(mib << 20);
	if (m != NULL) {
		memset(m, 1, mib << 20);
	}
	*cpu = bench_cpu_seconds() - c0;
	return m;
}

static int one(const struct tld_config *cfg, const struct tld_signpool_key *key, const struct tld_sign_req *reqs,
               size_t n, size_t mib, unsigned workers, bool early)
{
	double w0 = bench_wall_seconds(), c0 = bench_cpu_seconds(), k0 = children_cpu(), grown = 0;
	tld_signpool_workers_t *ws = NULL;
	if (early && (tld_signpool_workers_start(cfg, workers, &ws) != TLD_OK || tld_signpool_workers_ready(ws) != TLD_OK)) {
		fprintf(stderr, "bench-signpool: the workers could not start\n");
		return TLD_EHSM;
	}
	double login_wall = bench_wall_seconds() - w0;
	char *big = grow(mib, &grown);
	double w1 = bench_wall_seconds();
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	int ret = tld_signpool_open_started(ws, cfg, key, 1, workers, &pool);
	double w2 = bench_wall_seconds();
	if (ret == TLD_OK) {
		ret = tld_signpool_sign(pool, reqs, n, &res);
	}
	size_t failed = ret == TLD_OK ? res->failed : n;
	struct tld_signpool_stats st;
	tld_signpool_get_stats(pool, &st);
	tld_sign_result_free(res);
	tld_signpool_close(pool);
	tld_signpool_workers_stop(ws);
	double w3 = bench_wall_seconds();
	double cpu = bench_cpu_seconds() - c0 - grown + children_cpu() - k0;
	free(big);
	printf("%-6s critical path %.3f s wall (open %.3f s, sign %.3f s), %.3f s cpu (workers' log-ins included%s), "
	       "%zu of %zu signed, %zu by started workers\n",
	       early ? "early" : "forked", w3 - w1, w2 - w1, w3 - w2, cpu,
	       early ? "; they logged in before" : "", n - failed, n, st.started_batches);
	if (early) {
		printf("%-6s (start and log-in beside the caller: %.3f s wall)\n", "", login_wall);
	}
	return ret == TLD_OK && failed == 0 ? TLD_OK : TLD_EHSM;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-signpool CONFIG [ITEMS [MIB [ROUNDS [WORKERS]]]]\n");
		return 2;
	}
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2791;
	size_t mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 1300;
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	unsigned workers = argc > 5 ? (unsigned)atoi(argv[5]) : 2;
	struct tld_config *cfg = NULL;
	tld_log_init(TLD_LOG_WARNING, false);
	if (n == 0 || tld_config_load(argv[1], &cfg) != TLD_OK) {
		return 2;
	}
	struct tld_signpool_key key = { .algorithm = 13, .key_tag = 1, .role = "bench", .id_len = 20 };
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t pub = 0, priv = 0;
	if (tld_hsm_open(cfg, &hsm) != TLD_OK || tld_hsm_random(hsm, key.id, 20) != TLD_OK ||
	    tld_hsm_generate(hsm, 13, 0, key.id, 20, "bench-signpool", &pub, &priv) != TLD_OK) {
		tld_hsm_close(hsm);
		return 1;
	}
	tld_hsm_close(hsm); /* no context of this process beside the pool's */
	hsm = NULL;
	uint8_t *msgs = malloc(n * 200);
	struct tld_sign_req *reqs = calloc(n, sizeof(*reqs));
	if (msgs == NULL || reqs == NULL) {
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		memset(msgs + i * 200, (int)i, 200);
		reqs[i] = (struct tld_sign_req){ .key = 0, .len = (uint32_t)(120 + i % 80), .msg = msgs + i * 200 };
	}
	int ret = TLD_OK;
	for (int r = 0; r < rounds && ret == TLD_OK; r++) {
		ret = one(cfg, &key, reqs, n, mib, workers, false);
		if (ret == TLD_OK) {
			ret = one(cfg, &key, reqs, n, mib, workers, true);
		}
	}
	if (tld_hsm_open(cfg, &hsm) == TLD_OK) {
		if (tld_hsm_find_id(hsm, true, key.id, 20, &priv) == TLD_OK) {
			tld_hsm_destroy(hsm, priv);
		}
		if (tld_hsm_find_id(hsm, false, key.id, 20, &pub) == TLD_OK) {
			tld_hsm_destroy(hsm, pub);
		}
	}
	tld_hsm_close(hsm);
	free(msgs);
	free(reqs);
	tld_config_free(cfg);
	return ret == TLD_OK ? 0 : 1;
}
