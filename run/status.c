/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign status` (run/status.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "policy/keyplan.h"
#include "policy/keystore.h"
#include "policy/policy.h"
#include "publish/notify.h"
#include "publish/publish.h"
#include "run/history.h"
#include "run/status.h"

#define DS_WAIT_WARNING (7 * 86400)

/* -- internal API -- */

static const char *exit_word(int code)
{
	switch (code) {
	case 0: return "success";
	case 1: return "failure";
	case 2: return "usage or configuration error";
	case 3: return "input rejected (export or guard)";
	case 4: return "HSM failure";
	case 5: return "verification failed, nothing published";
	case 6: return "published, not every secondary confirmed";
	case 7: return "locked";
	default: return "unknown";
	}
}

static void print_age(FILE *out, tld_time_t t, tld_time_t now)
{
	char buf[32], d[32];
	int64_t delta = t - now;
	fprintf(out, "%s (%s %s)", tld_time_format(t, buf, sizeof(buf)),
	        tld_duration_format(delta < 0 ? -delta : delta, d, sizeof(d)),
	        delta < 0 ? "ago" : "from now");
}

static int print_last_run(tld_statedb_t *db, const char *zone, tld_time_t now, FILE *out)
{
	struct tld_history_row row;
	bool found = false;
	int err = tld_history_last(db, zone, &row, &found);
	if (err != TLD_OK) {
		return err;
	}
	if (!found) {
		fputs("last run:     never\n", out);
		return TLD_OK;
	}
	fputs("last run:     ", out);
	print_age(out, row.started, now);
	fprintf(out, ", %.1fs, exit %d (%s)\n", row.duration, row.exit_code, exit_word(row.exit_code));
	fprintf(out, "              %s", row.published ? "published" : "nothing published");
	if (row.has_serial) {
		fprintf(out, ", serial %" PRIu32, row.serial);
	}
	fprintf(out, ", %" PRIu64 " delegations, %" PRIu64 " DS, %" PRIu64 " rows rejected, "
	        "signatures %" PRIu64 " new / %" PRIu64 " reused\n", row.delegations, row.ds_records,
	        row.rows_bad, row.sigs_new, row.sigs_reused);
	if (row.forced_reason[0] != '\0') {
		fprintf(out, "              forced: %s\n", row.forced_reason);
	}
	return TLD_OK;
}

static int print_keys(const struct tld_config *cfg, tld_statedb_t *db, tld_time_t now, FILE *out)
{
	struct tld_policy *pol = NULL;
	struct tld_keystate *keys = NULL;
	size_t n = 0;
	int err = tld_policy_load(cfg->policy_path, &pol);
	if (err != TLD_OK) {
		return err;
	}
	if ((err = tld_keydb_init(db)) != TLD_OK || (err = tld_keystore_init(db)) != TLD_OK ||
	    (err = tld_keystore_load(db, cfg->zone, &keys, &n)) != TLD_OK) {
		goto fail;
	}
	fputs("keys and rollovers:\n", out);
	if (n == 0) {
		fputs("  no key of the zone is under the key state machine yet\n", out);
	} else {
		tld_keyplan_describe(pol, keys, n, now, DS_WAIT_WARNING, out);
	}
fail:
	free(keys);
	tld_policy_free(pol);
	return err;
}

static int print_secondaries(const struct tld_config *cfg, uint32_t serial, bool have_serial,
                             int64_t timeout_s, FILE *out)
{
	size_t n = cfg->publish.secondaries_count;
	if (n == 0) {
		fputs("secondaries:  none configured\n", out);
		return TLD_OK;
	}
	if (timeout_s <= 0 || !have_serial) {
		fprintf(out, "secondaries:  %zu configured, not queried\n", n);
		return TLD_OK;
	}
	struct tld_secondary_status *st = NULL;
	int err = tld_secondaries_check(cfg, serial, timeout_s, NULL, &st);
	if (st == NULL) {
		return err;
	}
	fputs("secondaries:\n", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %-28s ", st[i].address);
		if (!st[i].have_serial) {
			fprintf(out, "no answer%s%s\n", st[i].error[0] ? ": " : "", st[i].error);
		} else if (st[i].confirmed) {
			fprintf(out, "serial %" PRIu32 " (current)\n", st[i].serial);
		} else {
			fprintf(out, "serial %" PRIu32 " (behind by %" PRId32 ")\n", st[i].serial,
			        (int32_t)(serial - st[i].serial));
		}
	}
	free(st);
	return err;
}

/* -- public API -- */

int tld_status_print(const char *config_path, tld_time_t now, int64_t query_timeout_s, FILE *out)
{
	struct tld_config *cfg = NULL;
	tld_statedb_t *db = NULL;
	int err = tld_config_load(config_path, &cfg);
	if (err != TLD_OK) {
		return err;
	}
	if ((err = tld_statedb_open(cfg->state_dir, &db)) != TLD_OK ||
	    (err = tld_history_init(db)) != TLD_OK || (err = tld_versions_init(db)) != TLD_OK) {
		goto fail;
	}
	char t[32];
	fprintf(out, "zone:         %s (now %s)\n", cfg->zone, tld_time_format(now, t, sizeof(t)));
	tld_time_t expiry = 0;
	if ((err = print_last_run(db, cfg->zone, now, out)) != TLD_OK ||
	    (err = tld_history_published_expiry(db, cfg->zone, &expiry)) != TLD_OK) {
		goto fail;
	}
	struct tld_version_info cur;
	bool have_cur = false;
	err = tld_versions_current(db, &cur);
	if (err == TLD_OK) {
		have_cur = true;
		fprintf(out, "published:    serial %" PRIu32 ", %s, since ", cur.serial, cur.file);
		print_age(out, cur.time, now);
		fputc('\n', out);
	} else if (err == TLD_ENOENT) {
		fputs("published:    nothing yet\n", out);
	} else {
		goto fail;
	}
	fputs("rrsig expiry: ", out);
	if (expiry > 0) {
		print_age(out, expiry, now);
		fputs(expiry <= now ? "  EXPIRED\n" : "\n", out);
	} else {
		fputs("unknown\n", out);
	}
	if ((err = print_keys(cfg, db, now, out)) != TLD_OK) {
		goto fail;
	}
	err = print_secondaries(cfg, have_cur ? cur.serial : 0, have_cur, query_timeout_s, out);
fail:
	tld_statedb_close(db);
	tld_config_free(cfg);
	return err;
}
