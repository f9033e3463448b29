/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zonegen orchestration: manifest check, CSV files in order, rules. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "zonegen/manifest.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

/* The files of the export, in the order they are read (domains first). */
static const struct {
	const char *name;
	bool required;
} export_files[] = {
	{ "domains.csv", true },    { "nameservers.csv", true }, { "hosts.csv", false },
	{ "ds.csv", false },        { "dnskeys.csv", false },
};
#define EXPORT_FILES (sizeof(export_files) / sizeof(export_files[0]))

/* Tolerated clock skew for an export stamped in the future. */
#define FUTURE_SKEW 300

/* -- internal API -- */

static int check_manifest(const struct tld_zonegen *zg, const char *dir,
                          const struct tld_manifest *m)
{
	if (strcmp(m->tld, zg->zone) != 0) {
		tld_error("export %s: manifest tld %s does not match the zone %s", dir, m->tld,
		          zg->zone);
		return TLD_EEXPORT;
	}
	tld_time_t now = tld_now();
	char t1[32], t2[32];
	if (now - m->exported_at > zg->cfg->guards.max_export_age) {
		char age[32];
		tld_duration_format(zg->cfg->guards.max_export_age, age, sizeof(age));
		tld_error("export %s: exported_at %s is older than guards.max-export-age %s (now %s)",
		          dir, tld_time_format(m->exported_at, t1, sizeof(t1)), age,
		          tld_time_format(now, t2, sizeof(t2)));
		return TLD_EEXPORT;
	}
	if (m->exported_at - now > FUTURE_SKEW) {
		tld_error("export %s: exported_at %s is in the future (now %s)", dir,
		          tld_time_format(m->exported_at, t1, sizeof(t1)),
		          tld_time_format(now, t2, sizeof(t2)));
		return TLD_EEXPORT;
	}
	for (size_t i = 0; i < m->file_count; i++) {
		bool known = false;
		for (size_t k = 0; k < EXPORT_FILES; k++) {
			known |= strcmp(m->files[i].name, export_files[k].name) == 0;
		}
		if (!known) {
			tld_error("export %s: manifest lists %s, which is not a file of the export "
			          "format", dir, m->files[i].name);
			return TLD_EEXPORT;
		}
	}
	for (size_t k = 0; k < EXPORT_FILES; k++) {
		if (export_files[k].required && tld_manifest_find(m, export_files[k].name) == NULL) {
			tld_error("export %s: manifest does not list %s", dir, export_files[k].name);
			return TLD_EEXPORT;
		}
	}
	/* no CSV in the directory may be silently ignored */
	DIR *d = opendir(dir);
	if (d == NULL) {
		tld_error("export %s: %s", dir, strerror(errno));
		return TLD_EEXPORT;
	}
	int ret = TLD_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l >= 4 && strcasecmp(e->d_name + l - 4, ".csv") == 0 &&
		    tld_manifest_find(m, e->d_name) == NULL) {
			tld_error("export %s: %s is not listed in the manifest", dir, e->d_name);
			ret = TLD_EEXPORT;
		}
	}
	closedir(d);
	return ret;
}

static int read_files(struct tld_zonegen *zg, const char *dir, const struct tld_manifest *m)
{
	const char *names[EXPORT_FILES];
	for (size_t k = 0; k < EXPORT_FILES; k++) {
		names[k] = export_files[k].name;
	}
	return zg_load_export(zg, dir, m, names, EXPORT_FILES);
}

/* -- public API -- */

int tld_zonegen_build(const struct tld_config *cfg, const char *export_dir,
                      struct tld_zonegen **out)
{
	const char *dir = export_dir ? export_dir : cfg->export_dir;
	struct tld_manifest *m = NULL;
	int ret = TLD_ENOMEM;
	struct tld_zonegen *zg = calloc(1, sizeof(*zg));
	if (zg == NULL) {
		return TLD_ENOMEM;
	}
	zg->cfg = cfg;
	zg->last_domain = ZG_NONE;
	zg->last_host = ZG_NONE;
	zg->apex_id = ZG_NONE;
	char zone[TLD_NAME_MAX_TEXT];
	const char *why = NULL;
	if (cfg->zone == NULL) {
		tld_error("config: no zone");
		ret = TLD_ECONFIG;
		goto fail;
	}
	zg->zone_len = tld_name_normalize(cfg->zone, strlen(cfg->zone), zone, &why);
	if (zg->zone_len == 0) {
		tld_error("config: zone '%s': %s", cfg->zone, why);
		ret = TLD_ECONFIG;
		goto fail;
	}
	zg->zone = strdup(zone);
	if (zg->zone == NULL) {
		goto fail;
	}
	char mpath[4096];
	snprintf(mpath, sizeof(mpath), "%s/manifest.yaml", dir);
	char err[512];
	ret = tld_manifest_load(mpath, &m, err, sizeof(err));
	if (ret != TLD_OK) {
		tld_error("export refused: %s", err);
		goto fail;
	}
	ret = check_manifest(zg, dir, m);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = zg_load_apex_records(zg);
	if (ret != TLD_OK) {
		goto fail;
	}
	double w0 = tld_mono_seconds(), c0 = tld_process_cpu_seconds();
	double t0 = tld_thread_cpu_seconds();
	ret = read_files(zg, dir, m);
	if (ret != TLD_OK) {
		goto fail;
	}
	double w1 = tld_mono_seconds(), c1 = tld_process_cpu_seconds();
	double t1 = tld_thread_cpu_seconds();
	ret = zg_apply_rules(zg);
	if (ret != TLD_OK) {
		goto fail;
	}
	tld_debug("zonegen: rows read in %.3f s (%.3f CPU s, %.3f on the builder's thread), "
	          "rules, owners sorted and NS hosts packed in %.3f s (%.3f CPU s, %.3f on the "
	          "builder's thread)", w1 - w0, c1 - c0, t1 - t0, tld_mono_seconds() - w1,
	          tld_process_cpu_seconds() - c1, tld_thread_cpu_seconds() - t1);
	if (zg->extra_count > 0) {
		qsort(zg->extra, zg->extra_count, sizeof(*zg->extra), zg_cmp_extra);
	}
	tld_info("zonegen: %" PRIu64 " delegations, %" PRIu64 " DS, %" PRIu64 " glue, %" PRIu64
	         " bad rows, %" PRIu64 " orphan glue, %" PRIu64 " lame",
	         zg->stats.delegated, zg->stats.ds_records, zg->stats.glue_records,
	         zg->stats.bad_rows, zg->stats.orphan_glue, zg->stats.lame);
	*out = zg;
	zg = NULL;
fail:
	tld_manifest_free(m);
	tld_zonegen_free(zg);
	return ret;
}

const struct tld_zonegen_stats *tld_zonegen_stats(const struct tld_zonegen *zg)
{
	return &zg->stats;
}

void tld_zonegen_free(struct tld_zonegen *zg)
{
	if (zg == NULL) {
		return;
	}
	zg_names_free(zg);
	free(zg->host_cache);
	zg_extra_free(zg);
	zg_list_free(&zg->rejected);
	zg_list_free(&zg->orphans);
	zg_list_free(&zg->lame);
	free(zg->ns);
	free(zg->ns_hosts);
	free(zg->ns_packed);
	free(zg->ns_names);
	free(zg->addrs);
	free(zg->ds);
	free(zg->order);
	free(zg->zone);
	free(zg);
}
