/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer, end to end and differential: an export made of the input (its
 * NUL-separated parts are the bodies of domains.csv, nameservers.csv,
 * hosts.csv, ds.csv and dnskeys.csv, each behind its header; the manifest is
 * made to match) goes through the whole zonegen build: the CSV reader, the
 * names, the zone rules, the owner sort.  A refused export is fine; a built
 * one must give the same zone in every way the run and `tldsign zonegen`
 * take it:
 *   - tld_zonegen_write() and tld_zonegen_write_alone(): the same bytes;
 *   - the text prepared beside the record walk (tld_zonegen_records_part()
 *     with a tld_zonegen_text, in 1 to 3 parts, joined and drained): the
 *     same bytes;
 *   - the text in memory (tld_run_unsigned_text(), one thread or two parts
 *     meeting in one mapping) and tld_zonegen_format() split at an owner the
 *     input chooses, each part measured first and formatted into a buffer
 *     of exactly its size (to its end, from its start): the same bytes;
 *   - tld_zonegen_records() and the parts: one record per line of the file,
 *     in every split;
 *   - the signer's zone filled from it as `tldsign run` hands it over
 *     (tld_run_unsigned_zone(): one pass or two parts on two threads) and
 *     built (signer_zone_build(): records placed, or merged into zonegen's
 *     order): the same result, the same zone, the same lines, all four ways.
 * Anything else aborts.  Sanitizers catch the rest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "signer/zone.h"
#include "tests/unit/signer_zone_same.h"
#include "tests/unit/zonegen_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const file_names[] = { "domains.csv", "nameservers.csv", "hosts.csv", "ds.csv",
	                                  "dnskeys.csv" };
static const char *const headers[] = { "name,statuses\n", "domain,host\n", "host,address\n",
	                               "domain,key_tag,algorithm,digest_type,digest\n",
	                               "domain,flags,protocol,algorithm,public_key\n" };
#define NFILES (sizeof(file_names) / sizeof(file_names[0]))

static char dir[64];

/* The text a tld_zonegen_text_drain() hands out, gathered. */
struct gathered {
	char *buf;
	size_t len;
	FILE *f;
};

static int gather(void *ctx, const char *buf, size_t len)
{
	struct gathered *g = ctx;
	return fwrite(buf, 1, len, g->f) == len ? TLD_OK : TLD_EIO;
}

static int count_rr(void *ctx, const struct tld_zonegen_rr *rr)
{
	(void)rr;
	(*(unsigned long *)ctx)++;
	return TLD_OK;
}

static unsigned long count_lines(const char *text, size_t len)
{
	unsigned long n = 0;
	for (size_t i = 0; i < len; i++) {
		n += text[i] == '\n';
	}
	return n;
}

/* The zone written by fn into a heap string (*len); NULL when it failed. */
static char *render(const struct tld_zonegen *zg, int (*fn)(const struct tld_zonegen *, FILE *),
                    size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL) {
		abort();
	}
	int ret = fn(zg, f);
	fclose(f);
	if (ret != TLD_OK) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The text prepared in parts beside the walk, joined and drained; checks the record counts. */
static char *render_parts(const struct tld_zonegen *zg, unsigned parts, unsigned long want_records,
                          size_t *len)
{
	struct tld_zonegen_text *all = NULL;
	if (tld_zonegen_text_new(zg, &all) != TLD_OK) {
		abort();
	}
	unsigned long total = 0;
	for (unsigned p = 0; p < parts; p++) {
		struct tld_zonegen_text *t = NULL;
		unsigned long seen = 0, count = 0;
		if (tld_zonegen_text_new(zg, &t) != TLD_OK ||
		    tld_zonegen_records_part(zg, p, parts, count_rr, &seen, t, &count) != TLD_OK ||
		    seen != count) {
			abort();
		}
		total += count;
		if (tld_zonegen_text_join(all, t) != TLD_OK) {
			abort();
		}
	}
	if (total != want_records) {
		abort(); /* the parts hand out the records of the whole walk */
	}
	struct gathered g = { 0 };
	if ((g.f = open_memstream(&g.buf, &g.len)) == NULL) {
		abort();
	}
	int ret = tld_zonegen_text_drain(all, gather, &g);
	fclose(g.f);
	tld_zonegen_text_free(all);
	if (ret != TLD_OK) {
		abort();
	}
	*len = g.len;
	return g.buf;
}

/* The text in memory both ways, and in two parts split at owner cut % (n + 1): the file a. */
static void same_text_in_memory(const struct tld_zonegen *zg, const char *a, size_t la, size_t cut)
{
	for (int m = 0; m < 2; m++) {
		setenv("TLDSIGN_TEXT_SPLIT", m ? "1" : "0", 1);
		char *text = NULL;
		size_t len = 0;
		if (tld_run_unsigned_text(zg, &text, &len) != TLD_OK || len != la ||
		    memcmp(text, a, la) != 0) {
			abort();
		}
		tld_run_unsigned_text_free(text, len);
	}
	unsetenv("TLDSIGN_TEXT_SPLIT");
	size_t n = tld_zonegen_owner_count(zg), k = cut % (n + 1), l0 = 0, l1 = 0, g0 = 0, g1 = 0;
	if (tld_zonegen_format(zg, true, 0, k, TLD_ZONEGEN_MEASURE, NULL, 0, &l0) != TLD_OK ||
	    tld_zonegen_format(zg, false, k, n, TLD_ZONEGEN_MEASURE, NULL, 0, &l1) != TLD_OK ||
	    l0 + l1 != la || tld_zonegen_text_bound(zg) < la) {
		abort();
	}
	char *p0 = malloc(l0 + 1), *p1 = malloc(l1 + 1); /* exactly their size: ASan sees an overrun */
	if (p0 == NULL || p1 == NULL ||
	    tld_zonegen_format(zg, true, 0, k, TLD_ZONEGEN_TO_END, p0, l0, &g0) != TLD_OK ||
	    tld_zonegen_format(zg, false, k, n, TLD_ZONEGEN_FROM_START, p1, l1, &g1) != TLD_OK ||
	    g0 != l0 || g1 != l1 || memcmp(p0, a, l0) != 0 || memcmp(p1, a + l0, l1) != 0) {
		abort();
	}
	if (l1 > 0 && tld_zonegen_format(zg, false, k, n, TLD_ZONEGEN_FROM_START, p1, l1 - 1, &g1) !=
	                  TLD_ENOSPC) {
		abort(); /* one byte short: refused */
	}
	free(p0);
	free(p1);
}

/* The signer's zone from zg all four ways (one pass or two parts; placed or merged): the same. */
static void same_signer_zone(const struct tld_zonegen *zg)
{
	struct signer_zone *first = NULL;
	int first_ret = TLD_OK;
	for (int way = 0; way < 4; way++) {
		setenv("TLDSIGN_FILL_PIPELINE", (way & 1) != 0 ? "1" : "0", 1);
		setenv("TLDSIGN_BUILD_RR_MERGE", (way & 2) != 0 ? "0" : "1", 1);
		struct signer_zone *z = NULL;
		int ret = tld_run_unsigned_zone(zg, "test.", "fuzz", &z, NULL);
		if (ret == TLD_OK) {
			ret = signer_zone_build(z);
		}
		if (way == 0) {
			first = z;
			first_ret = ret;
			continue;
		}
		if (ret != first_ret || (ret == TLD_OK && !signer_zone_same_built(first, z, true))) {
			abort();
		}
		signer_zone_free(z);
	}
	signer_zone_free(first);
	unsetenv("TLDSIGN_FILL_PIPELINE");
	unsetenv("TLDSIGN_BUILD_RR_MERGE");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0') {
		tld_log_init(TLD_LOG_ERROR, false);
		snprintf(dir, sizeof(dir), "/tmp/fuzz_zonegen.%ld", (long)getpid());
	}
	/* the parts: NUL-separated, each behind its file's header */
	char *texts[NFILES] = { 0 };
	struct fx_file files[NFILES];
	size_t at = 0;
	for (size_t i = 0; i < NFILES; i++) {
		const uint8_t *end = at < size ? memchr(data + at, '\0', size - at) : NULL;
		size_t body = at < size ? (end != NULL ? (size_t)(end - (data + at)) : size - at) : 0;
		size_t hl = strlen(headers[i]);
		if ((texts[i] = malloc(hl + body + 1)) == NULL) {
			abort();
		}
		memcpy(texts[i], headers[i], hl);
		memcpy(texts[i] + hl, data + (at < size ? at : 0), body);
		texts[i][hl + body] = '\0';
		files[i] = (struct fx_file){ file_names[i], texts[i] };
		at += body + 1;
	}
	char exported[32];
	tld_time_format(tld_now() - 60, exported, sizeof(exported));
	if (fx_export(dir, files, NFILES, exported, "test.") != 0) {
		abort();
	}
	struct tld_config cfg;
	fx_config(&cfg, dir);
	struct tld_zonegen *zg = NULL;
	if (tld_zonegen_build(&cfg, NULL, &zg) == TLD_OK) {
		size_t la = 0, lb = 0, lc = 0;
		char *a = render(zg, tld_zonegen_write, &la);
		char *b = render(zg, tld_zonegen_write_alone, &lb);
		if (a == NULL || b == NULL || la != lb || memcmp(a, b, la) != 0) {
			abort();
		}
		unsigned long records = 0;
		if (tld_zonegen_records(zg, count_rr, &records) != TLD_OK ||
		    records != count_lines(a, la)) {
			abort(); /* the n-th record is the file's line n */
		}
		for (unsigned parts = 1; parts <= 3; parts++) {
			char *c = render_parts(zg, parts, records, &lc);
			if (lc != la || memcmp(a, c, la) != 0) {
				abort();
			}
			free(c);
		}
		same_text_in_memory(zg, a, la, size);
		free(a);
		free(b);
		same_signer_zone(zg);
	}
	tld_zonegen_free(zg);
	for (size_t i = 0; i < NFILES; i++) {
		free(texts[i]);
	}
	return 0;
}
