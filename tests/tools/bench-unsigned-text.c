/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-unsigned-text CONFIG NOW [ROUNDS]: the text of STATE_DIR/unsigned.zone
 * made in memory (tld_run_unsigned_text()) against zonegen's writer
 * (tld_zonegen_write() to /dev/null), that text written and hashed
 * (tld_run_unsigned_write_buffer(), into $TMPDIR, not the instance) against
 * the run's present writer (tld_run_write_unsigned()), the written file
 * hashed again (tld_run_file_sha256_hex()), and the patch run's way: the
 * file written on both cores and mapped as the text, hashed from the
 * mapping (tld_run_unsigned_write_mapped(), then finished).  Prints the wall and CPU time
 * (the whole process's, all threads) of each, ROUNDS times (default 1), and
 * checks that every way gives the same digest.  NOW is the Unix time the
 * export is checked against.  TLDSIGN_TEXT_SPLIT=0/1 chooses one thread or
 * two.  Exit 0 only when everything succeeds and agrees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "zonegen/zonegen.h"
#include "tests/tools/bench_clock.h"

/* Prints the phase since *w, *c and starts the next. */
static void phase(const char *what, double *w, double *c)
{
	double w1 = bench_wall_seconds(), c1 = bench_cpu_seconds();
	printf("%-14s %.3f s wall %.3f s cpu\n", what, w1 - *w, c1 - *c);
	*w = w1;
	*c = c1;
}

static int round_once(const struct tld_zonegen *zg, const char *path)
{
	double w = bench_wall_seconds(), c = bench_cpu_seconds();
	char *text = NULL;
	size_t len = 0, size = 0;
	char hex_buf[65] = "", hex_old[65] = "", hex_file[65] = "";
	struct tld_run_unsigned_job *job = NULL;
	FILE *null = fopen("/dev/null", "w");
	int err = null != NULL ? tld_zonegen_write(zg, null) : TLD_EIO;
	if (null != NULL) {
		fclose(null);
	}
	if (err != TLD_OK) {
		return err;
	}
	phase("zonegen_write", &w, &c);
	if ((err = tld_run_unsigned_text(zg, &text, &len)) != TLD_OK) {
		return err;
	}
	phase("text", &w, &c);
	err = tld_run_unsigned_write_buffer(text, len, path, &job);
	if (err == TLD_OK) {
		err = tld_run_unsigned_finish(job, hex_buf, NULL, NULL);
	}
	tld_run_unsigned_text_free(text, len);
	if (err != TLD_OK) {
		return err;
	}
	phase("write_buffer", &w, &c);
	if ((err = tld_run_file_sha256_hex(path, hex_file, &size)) != TLD_OK) {
		return err;
	}
	phase("file_sha256", &w, &c);
	if ((err = tld_run_write_unsigned(zg, path, hex_old)) != TLD_OK) {
		return err;
	}
	phase("write_unsigned", &w, &c);
	char hex_mapped[65] = "";
	size_t mapped_len = 0;
	job = NULL;
	if ((err = tld_run_unsigned_write_mapped(zg, path, &job, &text, &mapped_len)) != TLD_OK) {
		return err;
	}
	err = tld_run_unsigned_finish(job, hex_mapped, NULL, NULL);
	tld_run_unsigned_text_free(text, mapped_len);
	if (err != TLD_OK) {
		return err;
	}
	phase("write_mapped", &w, &c);
	printf("%zu bytes (file %zu), digest %s\n", len, size, hex_buf);
	if (strcmp(hex_buf, hex_old) != 0 || strcmp(hex_buf, hex_file) != 0 ||
	    strcmp(hex_buf, hex_mapped) != 0 || size != len || mapped_len != len) {
		fprintf(stderr, "bench-unsigned-text: digests differ: %s %s %s %s\n", hex_buf, hex_old,
		        hex_file, hex_mapped);
		return TLD_EIO;
	}
	return TLD_OK;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-unsigned-text CONFIG NOW [ROUNDS]\n");
		return 2;
	}
	tld_log_init(getenv("BENCH_DEBUG") != NULL ? TLD_LOG_DEBUG : TLD_LOG_WARNING, false);
	tld_clock_pin((tld_time_t)strtoll(argv[2], NULL, 10));
	int rounds = argc > 3 ? atoi(argv[3]) : 1;
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/bench-unsigned-text.zone", tmp);
	struct tld_config *cfg = NULL;
	if (tld_config_load(argv[1], &cfg) != TLD_OK) {
		return 1;
	}
	double w = bench_wall_seconds(), c = bench_cpu_seconds();
	struct tld_zonegen *zg = NULL;
	int err = tld_zonegen_build(cfg, NULL, &zg);
	if (err == TLD_OK) {
		phase("export", &w, &c);
	}
	for (int i = 0; i < rounds && err == TLD_OK; i++) {
		err = round_once(zg, path);
	}
	if (err != TLD_OK) {
		fprintf(stderr, "bench-unsigned-text: %s\n", tld_strerror(err));
	}
	tld_zonegen_free(zg);
	tld_config_free(cfg);
	return err == TLD_OK ? 0 : 1;
}
