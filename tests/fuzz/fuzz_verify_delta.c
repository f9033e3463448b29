/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer, differential: the verifier's delta path (verify/vdelta.c) must
 * give exactly the full path's verdict.  The previous version is a real
 * signed zone (tests/fuzz/data/signed-sample.zone, a `tldsign run` of the
 * `tldsign init` sample), verified in full once with its state written; each
 * input is a new version, verified in full and by its changes from the
 * previous one.  A different result, or a different number of failures,
 * aborts.  Both use the previous version's verified-signature cache, so that
 * unchanged signatures cost no public-key operation.  Line-level mutations
 * (tests/fuzz/fuzz_lines.h) keep signatures valid, so versions reach the
 * whole-zone checks.  Run from the source tree's top (tests/fuzz/run.sh does).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/fuzz/fuzz_lines.h"
#include "tests/fuzz/fuzz_memfile.h"
#include "verify/verify.h"

#define PREVIOUS "tests/fuzz/data/signed-sample.zone"
#define NOW 1795255300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                                 size_t max_out, unsigned int seed);

static char dir[64], state[96], cache[96];

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return fuzz_lines_mutate(data, size, max_size, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                                 size_t max_out, unsigned int seed)
{
	return fuzz_lines_crossover(d1, s1, d2, s2, out, max_out, seed);
}

/* Verifies the previous version in full, writing its state and cache. */
static void setup(void)
{
	tld_log_init(TLD_LOG_ERROR, false);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-vdelta.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		abort();
	}
	snprintf(state, sizeof(state), "%s/previous.vstate", dir);
	snprintf(cache, sizeof(cache), "%s/previous.vcache", dir);
	struct tld_verify_opts o = { .now = NOW, .threads = 1, .cache_out = cache, .state_out = state };
	struct tld_verify_report *rep = NULL;
	if (tld_verify_zone_file(PREVIOUS, &o, &rep) != 0) {
		fprintf(stderr, "fuzz_verify_delta: %s does not verify (run from the source tree's top)\n",
		        PREVIOUS);
		abort();
	}
	tld_verify_report_free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char path[64];

	if (!init) {
		setup();
		init = 1;
	}
	int fd = fuzz_memfile(data, size, path);
	if (fd >= 0) {
		struct tld_verify_opts full = { .now = NOW, .threads = 1, .cache_in = cache };
		struct tld_verify_opts delta = full;
		delta.previous = PREVIOUS;
		delta.state_in = state;
		struct tld_verify_report *a = NULL, *b = NULL;
		int ra = tld_verify_zone_file(path, &full, &a);
		int rb = tld_verify_zone_file(path, &delta, &b);
		size_t fa = a != NULL ? a->n_failures : 0, fb = b != NULL ? b->n_failures : 0;
		if (ra != rb || fa != fb || (a == NULL) != (b == NULL)) {
			fprintf(stderr, "fuzz_verify_delta: full path %d (%zu failures), delta path %d (%zu failures)\n",
			        ra, fa, rb, fb);
			abort();
		}
		tld_verify_report_free(a);
		tld_verify_report_free(b);
		close(fd);
	}
	return 0;
}
