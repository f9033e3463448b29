/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rejected rows, orphan glue and lame delegations: kept for the JSON report. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "zonegen/zg_internal.h"

/* Bad rows logged one by one; the rest only in the report. */
#define LOG_LIMIT 100

/* -- internal API -- */

static int list_vadd(struct zg_list *list, const char *fmt, va_list ap)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		struct zg_problem *items = realloc(list->items, cap * sizeof(*items));
		if (items == NULL) {
			return TLD_ENOMEM;
		}
		list->items = items;
		list->cap = cap;
	}
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0) {
		return TLD_ENOMEM;
	}
	list->items[list->count++].text = text;
	return TLD_OK;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
		} else if (*p < 0x20 || *p >= 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void json_list(FILE *f, const char *key, const struct zg_list *list, bool last)
{
	fprintf(f, "  \"%s\": [", key);
	for (size_t i = 0; i < list->count; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_string(f, list->items[i].text);
	}
	fprintf(f, "%s]%s\n", list->count ? "\n  " : "", last ? "" : ",");
}

/* -- public API -- */

int zg_list_add(struct zg_list *list, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = list_vadd(list, fmt, ap);
	va_end(ap);
	return ret;
}

void zg_list_free(struct zg_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].text);
	}
	free(list->items);
	list->items = NULL;
	list->count = list->cap = 0;
}

int zg_reject(struct tld_zonegen *zg, const char *file, unsigned long line, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	zg->stats.bad_rows++;
	if (zg->logged < LOG_LIMIT) {
		tld_warning("%s:%lu: %s", file, line, reason);
	} else if (zg->logged == LOG_LIMIT) {
		tld_warning("more rejected rows: see the report");
	}
	zg->logged++;
	return zg_list_add(&zg->rejected, "%s:%lu: %s", file, line, reason);
}

int tld_zonegen_write_report(const struct tld_zonegen *zg, const char *path)
{
	/* NAME.tmp.XXXXXX: a run killed meanwhile leaves a name its next run sweeps */
	tld_atomic_file_t *af = NULL;
	int ret = tld_atomic_file_open(path, 0644, &af);
	if (ret != TLD_OK) {
		return ret; /* logged */
	}
	FILE *f = tld_atomic_file_stream(af);
	const struct tld_zonegen_stats *s = &zg->stats;
	fprintf(f, "{\n  \"zone\": ");
	json_string(f, zg->zone);
	fprintf(f,
	        ",\n  \"counts\": {\"rows\": %" PRIu64 ", \"bad_rows\": %" PRIu64
	        ", \"domains\": %" PRIu64 ", \"delegated\": %" PRIu64 ", \"held\": %" PRIu64
	        ", \"without_ns\": %" PRIu64 ", \"ns\": %" PRIu64 ", \"ds\": %" PRIu64
	        ", \"ds_from_keydata\": %" PRIu64 ", \"glue\": %" PRIu64
	        ", \"orphan_glue\": %" PRIu64 ", \"lame\": %" PRIu64 ", \"duplicates\": %" PRIu64
	        "},\n",
	        s->total_rows, s->bad_rows, s->domains, s->delegated, s->held, s->without_ns,
	        s->ns_records, s->ds_records, s->ds_from_keydata, s->glue_records, s->orphan_glue,
	        s->lame, s->duplicates);
	json_list(f, "rejected", &zg->rejected, false);
	json_list(f, "orphan_glue", &zg->orphans, false);
	json_list(f, "lame", &zg->lame, true);
	fprintf(f, "}\n");
	ret = tld_atomic_file_commit(af); /* flush, fsync, rename; errors logged */
	if (ret != TLD_OK) {
		tld_error("%s: writing the report failed: %s", path, tld_strerror(ret));
	}
	return ret;
}
