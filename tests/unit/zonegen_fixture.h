/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test fixture for the zonegen unit tests: a struct tld_config filled in C
 * and an export directory written from strings (with a correct manifest).
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/clock.h"
#include "common/config.h"
#include "zonegen/zonegen.h"

struct fx_file {
	const char *name;
	const char *text;
};

static char *fx_ns[] = { "ns1.nic.test.", "ns2.nic.test." };
static uint8_t fx_algs[] = { 8, 10, 13, 14, 15, 16 };
static uint8_t fx_dtypes[] = { 2, 4 };

static void fx_config(struct tld_config *cfg, char *export_dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->zone = "test.";
	cfg->export_dir = export_dir;
	cfg->state_dir = export_dir;
	cfg->apex.soa = (struct tld_soa_config){ "ns1.nic.test.", "hostmaster.nic.test.", 1800, 900,
		                                 1209600, 3600, 3600 };
	cfg->apex.ns = fx_ns;
	cfg->apex.ns_count = 2;
	cfg->ttl.delegation_ns = 172800;
	cfg->ttl.ds = 86400;
	cfg->ttl.glue = 172800;
	cfg->zonegen.ds_algorithms = fx_algs;
	cfg->zonegen.ds_algorithms_count = sizeof(fx_algs);
	cfg->zonegen.ds_digest_types = fx_dtypes;
	cfg->zonegen.ds_digest_types_count = sizeof(fx_dtypes);
	cfg->zonegen.keydata_digest = TLD_DIGEST_SHA256;
	cfg->guards.max_export_age = 7200;
}

/* Counts records the way a CSV writer would: lines not inside quotes, minus the header. */
static unsigned long fx_rows(const char *text)
{
	unsigned long lines = 0;
	int q = 0;
	size_t len = strlen(text);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"') {
			q = !q;
		} else if (text[i] == '\n' && !q) {
			lines++;
		}
	}
	if (len > 0 && text[len - 1] != '\n') {
		lines++;
	}
	return lines > 0 ? lines - 1 : 0;
}

/* Writes the files and a manifest; manifest_extra is appended (may be NULL). */
static int fx_export(const char *dir, const struct fx_file *files, size_t n, const char *exported_at,
                     const char *tld)
{
	char path[1024];
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/manifest.yaml", dir);
	FILE *m = fopen(path, "w");
	if (m == NULL) {
		return -1;
	}
	fprintf(m, "format: 1\ntld: %s\nexported_at: %s\nfiles:\n", tld, exported_at);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		FILE *f = fopen(path, "w");
		if (f == NULL) {
			fclose(m);
			return -1;
		}
		fwrite(files[i].text, 1, strlen(files[i].text), f);
		fclose(f);
		unsigned char md[32];
		unsigned int mdlen = 0;
		EVP_Digest(files[i].text, strlen(files[i].text), md, &mdlen, EVP_sha256(), NULL);
		fprintf(m, "  %s: {rows: %lu, sha256: ", files[i].name, fx_rows(files[i].text));
		for (unsigned k = 0; k < mdlen; k++) {
			fprintf(m, "%02x", md[k]);
		}
		fprintf(m, "}\n");
	}
	fclose(m);
	return 0;
}

/* Builds and renders the zone into a heap string; NULL on build failure (*ret set). */
static char *fx_zone(const struct tld_config *cfg, struct tld_zonegen **zg_out, int *ret)
{
	struct tld_zonegen *zg = NULL;
	*ret = tld_zonegen_build(cfg, NULL, &zg);
	if (*ret != 0) {
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tld_zonegen_write(zg, f);
	fclose(f);
	if (zg_out != NULL) {
		*zg_out = zg;
	} else {
		tld_zonegen_free(zg);
	}
	return buf;
}
