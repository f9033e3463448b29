/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tldsign zonegen [-o FILE] [--report FILE] [--export DIR] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/atomic_file.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "zonegen/zonegen.h"

/* -- internal API -- */

static int write_zone(const struct tld_zonegen *zg, const char *path)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		int ret = tld_zonegen_write(zg, stdout);
		if (ret != TLD_OK) {
			tld_error("writing the zone to stdout failed: %s", tld_strerror(ret));
		}
		return ret;
	}
	tld_atomic_file_t *af = NULL;
	int ret = tld_atomic_file_open(path, 0644, &af);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_zonegen_write(zg, tld_atomic_file_stream(af));
	if (ret != TLD_OK) {
		tld_error("%s: writing the zone failed: %s", path, tld_strerror(ret));
		tld_atomic_file_abort(af);
		return ret;
	}
	return tld_atomic_file_commit(af);
}

/* -- public API -- */

int cmd_zonegen(const struct tld_cli *cli, int argc, char **argv)
{
	const char *out_path = NULL, *report_path = NULL, *export_dir = NULL;
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' },
		{ "export", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case 'r':
			report_path = optarg;
			break;
		case 'e':
			export_dir = optarg;
			break;
		default:
			return TLD_EUSAGE;
		}
	}
	if (optind != argc) {
		tld_error("zonegen: unexpected argument '%s'", argv[optind]);
		return TLD_EUSAGE;
	}

	struct tld_config *cfg = NULL;
	struct tld_zonegen *zg = NULL;
	char report_buf[4096];
	int ret = tld_config_load(cli->config_path, &cfg);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_zonegen_build(cfg, export_dir, &zg);
	if (ret != TLD_OK) {
		goto fail;
	}
	if (report_path == NULL) {
		if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST) {
			tld_error("%s: %s", cfg->state_dir, strerror(errno));
			ret = tld_errno(errno);
			goto fail;
		}
		size_t sl = strlen(cfg->state_dir);
		snprintf(report_buf, sizeof(report_buf), "%s%szonegen-report.json", cfg->state_dir,
		         sl > 0 && cfg->state_dir[sl - 1] == '/' ? "" : "/");
		report_path = report_buf;
	}
	ret = write_zone(zg, out_path);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_zonegen_write_report(zg, report_path);
	if (ret != TLD_OK) {
		goto fail;
	}
	const struct tld_zonegen_stats *s = tld_zonegen_stats(zg);
	tld_notice("zonegen: %" PRIu64 " delegations (%" PRIu64 " held, %" PRIu64
	           " without NS), %" PRIu64 " NS, %" PRIu64 " DS, %" PRIu64 " glue; %" PRIu64
	           " bad rows, %" PRIu64 " orphan glue, %" PRIu64 " lame; report %s",
	           s->delegated, s->held, s->without_ns, s->ns_records, s->ds_records,
	           s->glue_records, s->bad_rows, s->orphan_glue, s->lame, report_path);
fail:
	tld_zonegen_free(zg);
	tld_config_free(cfg);
	return ret;
}
