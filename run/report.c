/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "run/report.h"

/* -- internal API -- */

static const char *result_word(const struct tld_run_report *r)
{
	if (r->result == TLD_OK) {
		return r->published ? "published" : "unchanged";
	}
	if (r->result == TLD_ESECONDARY) {
		return "published-unconfirmed";
	}
	return "failed";
}

static unsigned confirmed_count(const struct tld_run_report *r)
{
	unsigned n = 0;
	for (size_t i = 0; i < r->secondaries_count; i++) {
		n += r->secondaries[i].confirmed;
	}
	return n;
}

/* Prometheus label values: escape backslash, quote and newline. */
static void prom_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			fputc('\\', out);
			fputc(*s, out);
		} else if (*s == '\n') {
			fputs("\\n", out);
		} else {
			fputc(*s, out);
		}
	}
}

typedef int (*writer_fn)(const struct tld_run_report *, FILE *);

static int write_file(const struct tld_run_report *r, const char *dir, const char *name,
                      writer_fn fn)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		return TLD_EINVAL;
	}
	tld_atomic_file_t *f = NULL;
	int err = tld_atomic_file_open(path, 0644, &f);
	if (err != TLD_OK) {
		return err;
	}
	err = fn(r, tld_atomic_file_stream(f));
	if (err != TLD_OK) {
		tld_atomic_file_abort(f);
		return err;
	}
	return tld_atomic_file_commit(f);
}

/* -- public API -- */

const char *tld_run_verify_mode_name(enum tld_run_verify_mode mode)
{
	switch (mode) {
	case TLD_RUN_VERIFY_FULL: return "full";
	case TLD_RUN_VERIFY_DELTA: return "delta";
	case TLD_RUN_VERIFY_NONE: break;
	}
	return "none";
}

const char *tld_stage_name(enum tld_stage stage)
{
	static const char *names[TLD_STAGE_COUNT] = {
		"load", "export", "guards", "keys", "sign", "verify", "publish", "notify",
	};
	return (unsigned)stage < TLD_STAGE_COUNT ? names[stage] : "unknown";
}

void tld_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20) {
				fprintf(out, "\\u%04x", *p);
			} else {
				fputc(*p, out);
			}
		}
	}
	fputc('"', out);
}

void tld_report_summary(const struct tld_run_report *r, char *buf, size_t size)
{
	if (r->result != TLD_OK && r->result != TLD_ESECONDARY) {
		snprintf(buf, size, "%s: run failed: %s (exit %d) after %.1fs", r->zone ? r->zone : "",
		         tld_strerror(r->result), tld_exit_code(r->result), r->duration);
		return;
	}
	snprintf(buf, size,
	         "%s: %s serial %" PRIu32 ", %" PRIu64 " delegations, %" PRIu64
	         " DS, signatures %" PRIu64 " new / %" PRIu64 " reused, %.1fs, secondaries %u/%zu confirmed",
	         r->zone ? r->zone : "", r->published ? "published" : "unchanged, kept", r->serial,
	         r->delegations, r->ds_records, r->sigs_new, r->sigs_reused, r->duration,
	         confirmed_count(r), r->secondaries_count);
}

int tld_report_json(const struct tld_run_report *r, FILE *out)
{
	char t[32];
	fputs("{\n  \"zone\": ", out);
	tld_json_string(out, r->zone);
	fprintf(out, ",\n  \"started\": \"%s\",\n", tld_time_format(r->started, t, sizeof(t)));
	fprintf(out, "  \"duration_seconds\": %.3f,\n", r->duration);
	fprintf(out, "  \"result\": \"%s\",\n  \"error\": ", result_word(r));
	tld_json_string(out, r->result == TLD_OK ? "" : tld_strerror(r->result));
	fprintf(out, ",\n  \"exit_code\": %d,\n", tld_exit_code(r->result));
	fprintf(out, "  \"published\": %s,\n  \"serial\": %" PRIu32 ",\n",
	        r->published ? "true" : "false", r->serial);
	fprintf(out, "  \"delegations\": %" PRIu64 ",\n  \"ds_records\": %" PRIu64 ",\n",
	        r->delegations, r->ds_records);
	fprintf(out, "  \"export_rows\": %" PRIu64 ",\n  \"rejected_rows\": %" PRIu64 ",\n",
	        r->rows_total, r->rows_bad);
	fprintf(out, "  \"signatures_new\": %" PRIu64 ",\n  \"signatures_reused\": %" PRIu64 ",\n",
	        r->sigs_new, r->sigs_reused);
	fprintf(out, "  \"verify_rrsigs_valid\": %" PRIu64 ",\n  \"verify_rrsigs_cached\": %" PRIu64 ",\n",
	        r->verify_rrsigs, r->verify_cached);
	fprintf(out, "  \"verify_mode\": \"%s\",\n", tld_run_verify_mode_name(r->verify_mode));
	if (r->verify_full_reason != NULL) {
		fputs("  \"verify_full_reason\": ", out);
		tld_json_string(out, r->verify_full_reason);
		fputs(",\n", out);
	}
	fputs("  \"earliest_rrsig_expiration\": ", out);
	if (r->earliest_expiration > 0) {
		fprintf(out, "\"%s\",\n", tld_time_format(r->earliest_expiration, t, sizeof(t)));
	} else {
		fputs("null,\n", out);
	}
	fputs("  \"stage_seconds\": {", out);
	for (int s = 0; s < TLD_STAGE_COUNT; s++) {
		fprintf(out, "%s\"%s\": %.3f", s ? ", " : "", tld_stage_name(s), r->stage_seconds[s]);
	}
	fprintf(out, "},\n  \"publish_prepared_seconds\": %.3f,\n", r->publish_prepared_seconds);
	fputs("  \"secondaries\": [", out);
	for (size_t i = 0; i < r->secondaries_count; i++) {
		const struct tld_report_secondary *s = &r->secondaries[i];
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
		tld_json_string(out, s->name);
		fprintf(out, ", \"notify_acked\": %s, \"confirmed\": %s, \"serial\": ",
		        s->acked ? "true" : "false", s->confirmed ? "true" : "false");
		if (s->has_serial) {
			fprintf(out, "%" PRIu32, s->serial);
		} else {
			fputs("null", out);
		}
		fprintf(out, ", \"lag_seconds\": %.3f}", s->lag_seconds);
	}
	fputs(r->secondaries_count ? "\n  ],\n" : "],\n", out);
	fputs("  \"keys\": {", out);
	for (size_t i = 0; i < r->keys_count; i++) {
		fputs(i ? ", " : "", out);
		tld_json_string(out, r->keys[i].state);
		fprintf(out, ": %u", r->keys[i].count);
	}
	fprintf(out, "},\n  \"rollover_waiting_seconds\": %.0f,\n", r->rollover_waiting_seconds);
	fputs("  \"forced\": ", out);
	if (r->forced_reason) {
		tld_json_string(out, r->forced_reason);
	} else {
		fputs("null", out);
	}
	fputs(",\n  \"messages\": [", out);
	for (size_t i = 0; i < r->messages_count; i++) {
		fputs(i ? ", " : "", out);
		tld_json_string(out, r->messages[i]);
	}
	fputs("]\n}\n", out);
	return ferror(out) ? TLD_EIO : TLD_OK;
}

int tld_report_metrics(const struct tld_run_report *r, FILE *out)
{
	fputs("# HELP tldsign_last_run_timestamp_seconds Start of the last run.\n"
	      "# TYPE tldsign_last_run_timestamp_seconds gauge\n", out);
	fprintf(out, "tldsign_last_run_timestamp_seconds %" PRId64 "\n", r->started);
	fputs("# HELP tldsign_last_run_success 1 if the last run succeeded (published or nothing to do).\n"
	      "# TYPE tldsign_last_run_success gauge\n", out);
	fprintf(out, "tldsign_last_run_success %d\n", r->result == TLD_OK);
	fputs("# HELP tldsign_last_run_exit_code Exit code of the last run.\n"
	      "# TYPE tldsign_last_run_exit_code gauge\n", out);
	fprintf(out, "tldsign_last_run_exit_code %d\n", tld_exit_code(r->result));
	fputs("# HELP tldsign_last_run_duration_seconds Duration of the last run.\n"
	      "# TYPE tldsign_last_run_duration_seconds gauge\n", out);
	fprintf(out, "tldsign_last_run_duration_seconds %.3f\n", r->duration);
	fputs("# HELP tldsign_stage_duration_seconds Duration of each stage of the last run.\n"
	      "# TYPE tldsign_stage_duration_seconds gauge\n", out);
	for (int s = 0; s < TLD_STAGE_COUNT; s++) {
		fprintf(out, "tldsign_stage_duration_seconds{stage=\"%s\"} %.3f\n", tld_stage_name(s),
		        r->stage_seconds[s]);
	}
	fputs("# HELP tldsign_serial SOA serial of the published version.\n"
	      "# TYPE tldsign_serial gauge\n", out);
	fprintf(out, "tldsign_serial %" PRIu32 "\n", r->serial);
	fputs("# TYPE tldsign_delegations gauge\n", out);
	fprintf(out, "tldsign_delegations %" PRIu64 "\n", r->delegations);
	fputs("# TYPE tldsign_ds_records gauge\n", out);
	fprintf(out, "tldsign_ds_records %" PRIu64 "\n", r->ds_records);
	fputs("# TYPE tldsign_export_rows_rejected gauge\n", out);
	fprintf(out, "tldsign_export_rows_rejected %" PRIu64 "\n", r->rows_bad);
	fputs("# HELP tldsign_signatures Signatures of the last run, new or reused.\n"
	      "# TYPE tldsign_signatures gauge\n", out);
	fprintf(out, "tldsign_signatures{kind=\"new\"} %" PRIu64 "\n", r->sigs_new);
	fprintf(out, "tldsign_signatures{kind=\"reused\"} %" PRIu64 "\n", r->sigs_reused);
	fputs("# HELP tldsign_verify_signatures Signatures the verifier found valid in the last run, "
	      "by the public key or from its cache of the last published version.\n"
	      "# TYPE tldsign_verify_signatures gauge\n", out);
	fprintf(out, "tldsign_verify_signatures{how=\"public-key\"} %" PRIu64 "\n",
	        r->verify_rrsigs - r->verify_cached);
	fprintf(out, "tldsign_verify_signatures{how=\"cache\"} %" PRIu64 "\n", r->verify_cached);
	fputs("# HELP tldsign_verify_delta 1 when the last run verified the new version as its changes from "
	      "the last verified version, 0 from scratch (or no verification).\n"
	      "# TYPE tldsign_verify_delta gauge\n", out);
	fprintf(out, "tldsign_verify_delta %d\n", r->verify_mode == TLD_RUN_VERIFY_DELTA);
	fputs("# HELP tldsign_rrsig_earliest_expiration_timestamp_seconds Earliest RRSIG expiration in the published zone.\n"
	      "# TYPE tldsign_rrsig_earliest_expiration_timestamp_seconds gauge\n", out);
	fprintf(out, "tldsign_rrsig_earliest_expiration_timestamp_seconds %" PRId64 "\n",
	        r->earliest_expiration);
	fputs("# HELP tldsign_keys Keys of the zone per state.\n# TYPE tldsign_keys gauge\n", out);
	for (size_t i = 0; i < r->keys_count; i++) {
		fputs("tldsign_keys{state=\"", out);
		prom_label(out, r->keys[i].state);
		fprintf(out, "\"} %u\n", r->keys[i].count);
	}
	fputs("# HELP tldsign_rollover_waiting_seconds Longest time a rollover has waited on the parent.\n"
	      "# TYPE tldsign_rollover_waiting_seconds gauge\n", out);
	fprintf(out, "tldsign_rollover_waiting_seconds %.0f\n", r->rollover_waiting_seconds);
	fputs("# HELP tldsign_secondary_serial_lag Serials the secondary is behind (0 = current).\n"
	      "# TYPE tldsign_secondary_serial_lag gauge\n", out);
	for (size_t i = 0; i < r->secondaries_count; i++) {
		const struct tld_report_secondary *s = &r->secondaries[i];
		long lag = s->has_serial ? (long)(int32_t)(r->serial - s->serial) : -1;
		fputs("tldsign_secondary_serial_lag{secondary=\"", out);
		prom_label(out, s->name);
		fprintf(out, "\"} %ld\n", lag);
	}
	return ferror(out) ? TLD_EIO : TLD_OK;
}

int tld_report_write_files(const struct tld_run_report *r, const char *state_dir)
{
	int err = write_file(r, state_dir, "last-run.json", tld_report_json);
	int err2 = write_file(r, state_dir, "metrics.prom", tld_report_metrics);
	return err != TLD_OK ? err : err2;
}
