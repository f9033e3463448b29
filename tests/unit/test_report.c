/* SPDX-License-Identifier: GPL-3.0-or-later */
/* run/report: JSON parses (checked with python's json module), metrics lines, summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "run/report.h"
#include "tests/tap/tap.h"

int main(void)
{
	plan_lazy();
	char dir[] = "/tmp/tldsign-report.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		skip_all("mkdtemp");
	}
	struct tld_report_secondary secs[2] = {
		{ .name = "127.0.0.1@5301", .acked = true, .confirmed = true, .serial = 42,
		  .has_serial = true, .lag_seconds = 0.5 },
		{ .name = "::1@53\"x", .acked = false, .confirmed = false, .lag_seconds = -1 },
	};
	struct tld_report_keycount keys[] = { { "active", 2 }, { "retired", 1 } };
	const char *msgs[] = { "max-ds-drop: \"quoted\"\nnewline" };
	struct tld_run_report r = {
		.zone = "test.", .started = 1795255200, .duration = 1.25, .result = TLD_OK,
		.published = true, .serial = 42, .delegations = 1000, .ds_records = 100,
		.rows_total = 3000, .rows_bad = 2, .sigs_new = 10, .sigs_reused = 190,
		.earliest_expiration = 1796000000, .secondaries = secs, .secondaries_count = 2,
		.keys = keys, .keys_count = 2, .forced_reason = "ops ticket 7", .messages = msgs,
		.messages_count = 1,
	};
	r.stage_seconds[TLD_STAGE_SIGN] = 0.75;
	r.publish_prepared_seconds = 1.5;

	char line[512];
	tld_report_summary(&r, line, sizeof(line));
	ok(strstr(line, "serial 42") && strstr(line, "1000 delegations") &&
	   strstr(line, "10 new / 190 reused") && strstr(line, "1/2 confirmed"), "summary: %s", line);

	is_int(TLD_OK, tld_report_write_files(&r, dir), "files written");
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "/usr/bin/python3 -c 'import json,sys; d=json.load(open(\"%s/last-run.json\")); "
	         "sys.exit(0 if d[\"serial\"]==42 and d[\"secondaries\"][1][\"name\"]==\"::1@53\\\"x\" "
	         "and d[\"stage_seconds\"][\"sign\"]==0.75 and d[\"publish_prepared_seconds\"]==1.5 and d[\"forced\"]==\"ops ticket 7\" and "
	         "d[\"messages\"][0].endswith(\"newline\") else 1)'", dir);
	is_int(0, system(cmd), "JSON is valid and holds the figures");

	snprintf(cmd, sizeof(cmd), "%s/metrics.prom", dir);
	char *prom = tap_read_file(cmd, NULL);
	ok(prom != NULL, "metrics.prom readable");
	ok(prom && strstr(prom, "tldsign_last_run_success 1\n"), "success metric");
	ok(prom && strstr(prom, "tldsign_signatures{kind=\"reused\"} 190\n"), "reused metric");
	ok(prom && strstr(prom, "tldsign_secondary_serial_lag{secondary=\"127.0.0.1@5301\"} 0\n"),
	   "lag of a current secondary is 0");
	ok(prom && strstr(prom, "tldsign_secondary_serial_lag{secondary=\"::1@53\\\"x\"} -1\n"),
	   "unknown serial is -1 and the label is escaped");
	ok(prom && strstr(prom, "tldsign_stage_duration_seconds{stage=\"sign\"} 0.750\n"),
	   "stage duration");
	free(prom);

	r.result = TLD_EGUARD;
	tld_report_summary(&r, line, sizeof(line));
	ok(strstr(line, "run failed") && strstr(line, "exit 3"), "failure summary: %s", line);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		diag("cleanup failed");
	}
	return exit_status();
}
