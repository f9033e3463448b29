/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * patch-diff-bench [--mmap|--check] OLD NEW [ROUNDS] [MAX_CHANGES]: signer_text_diff()
 * of two unsigned zone texts (signer/patch_diff.h), ROUNDS times (default
 * 5), printing the wall and CPU time of each round and the changes by kind;
 * then signer_text_find_owner() for every changed owner in the text(s) that
 * hold it.  The texts are read into memory before the clock starts (the
 * run has this run's text in memory); --mmap maps both files instead
 * (MAP_PRIVATE, read-only), so that the first round also pays the faults of
 * the page-cache mapping, as a caller that maps STATE_DIR/unsigned.zone
 * would.  --check: also the plain way of tests/unit/patch_diff_naive.h
 * (every line read), which must agree.  Not installed.  Exit 0 when every
 * round succeeds.
 *
 * The 1M measurement: OLD a copy of a 1M run's STATE_DIR/unsigned.zone,
 * NEW the same with every 100th delegation's NS set changed and a DS added
 * to every 1000th, as /work/incr.sh changes the export:
 *   awk -F'\t' 'BEGIN { OFS = "\t" }
 *     function flush() { if (ds) { print prev, "86400", "IN", "DS",
 *         sprintf("%d 13 2 %064x", deleg % 65536, deleg * 104729); ds = 0 } }
 *     $1 != prev { flush(); if ($4 == "NS" && $1 != "test.") { deleg++;
 *         change = deleg % 100 == 0; ds = deleg % 1000 == 7 } else { change = 0 }; prev = $1 }
 *     change && $4 == "NS" { $5 = "ns1.changed.example." }
 *     { print } END { flush() }' OLD >NEW
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "signer/patch_diff.h"
#include "tests/tools/bench_clock.h"
#include "tests/unit/patch_diff_naive.h"

/* The file's bytes: read into the heap, or mapped. */
static char *load(const char *path, bool map, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		if (fd >= 0) {
			close(fd);
		}
		return NULL;
	}
	*len = (size_t)st.st_size;
	char *p;
	if (map) {
		p = mmap(NULL, *len ? *len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
		p = p == MAP_FAILED ? NULL : p;
	} else {
		p = malloc(*len ? *len : 1);
		size_t got = 0;
		while (p != NULL && got < *len) {
			ssize_t r = read(fd, p + got, *len - got);
			if (r <= 0) {
				free(p);
				p = NULL;
				break;
			}
			got += (size_t)r;
		}
	}
	if (p == NULL) {
		perror(path);
	}
	close(fd);
	return p;
}

int main(int argc, char **argv)
{
	bool map = argc > 1 && strcmp(argv[1], "--mmap") == 0, check = argc > 1 && strcmp(argv[1], "--check") == 0;
	int a = map || check ? 2 : 1;
	if (argc - a < 2) {
		fprintf(stderr, "usage: %s [--mmap|--check] OLD NEW [ROUNDS] [MAX_CHANGES]\n", argv[0]);
		return 2;
	}
	int rounds = argc - a > 2 ? atoi(argv[a + 2]) : 5;
	size_t max = argc - a > 3 ? strtoull(argv[a + 3], NULL, 10) : SIZE_MAX;
	size_t ol, nl;
	char *o = load(argv[a], map, &ol), *n = load(argv[a + 1], map, &nl);
	if (o == NULL || n == NULL) {
		return 1;
	}
	struct signer_owner_change *v = NULL;
	size_t cnt = 0;
	for (int r = 0; r < rounds; r++) {
		const char *why = NULL;
		free(v);
		v = NULL;
		double w = bench_wall_seconds(), c = bench_cpu_seconds();
		int err = signer_text_diff(o, ol, n, nl, max, &v, &cnt, &why);
		double w1 = bench_wall_seconds(), c1 = bench_cpu_seconds();
		if (err != TLD_OK) {
			fprintf(stderr, "diff: %s (%s)\n", tld_strerror(err), why != NULL ? why : "");
			return 1;
		}
		size_t kinds[3] = { 0, 0, 0 };
		for (size_t i = 0; i < cnt; i++) {
			kinds[v[i].kind]++;
		}
		printf("diff      %.1f ms wall %.1f ms cpu: %zu changes (%zu added, %zu removed, %zu changed), %zu + %zu bytes\n",
		       (w1 - w) * 1e3, (c1 - c) * 1e3, cnt, kinds[SIGNER_OWNER_ADDED], kinds[SIGNER_OWNER_REMOVED],
		       kinds[SIGNER_OWNER_CHANGED], ol, nl);
	}
	double w = bench_wall_seconds(), c = bench_cpu_seconds();
	size_t lookups = 0;
	for (size_t i = 0; i < cnt; i++) {
		size_t off, glen;
		bool in_old = v[i].kind != SIGNER_OWNER_ADDED, in_new = v[i].kind != SIGNER_OWNER_REMOVED;
		if ((in_old && (signer_text_find_owner(o, ol, v[i].owner, v[i].owner_len, &off, &glen) != TLD_OK ||
		                off != v[i].old_off || glen != v[i].old_len)) ||
		    (in_new && (signer_text_find_owner(n, nl, v[i].owner, v[i].owner_len, &off, &glen) != TLD_OK ||
		                off != v[i].new_off || glen != v[i].new_len))) {
			fprintf(stderr, "find_owner: change %zu not found where the diff put it\n", i);
			return 1;
		}
		lookups += in_old + in_new;
	}
	double w1 = bench_wall_seconds(), c1 = bench_cpu_seconds();
	printf("find      %.1f ms wall %.1f ms cpu: %zu lookups (%.2f us each)\n", (w1 - w) * 1e3, (c1 - c) * 1e3,
	       lookups, lookups ? (c1 - c) * 1e6 / (double)lookups : 0.0);
	free(v);
	if (check) {
		size_t changes;
		w = bench_wall_seconds();
		c = bench_cpu_seconds();
		const char *verdict = patch_diff_check(o, ol, n, nl, max, &changes);
		printf("plain way %.1f ms wall %.1f ms cpu: %zu changes, %s\n", (bench_wall_seconds() - w) * 1e3,
		       (bench_cpu_seconds() - c) * 1e3, changes, verdict != NULL ? verdict : "the same");
		if (verdict != NULL) {
			return 1;
		}
	}
	if (!map) {
		free(o);
		free(n);
	}
	return 0;
}
