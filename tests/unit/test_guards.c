/* SPDX-License-Identifier: GPL-3.0-or-later */
/* run/guards: each guard trips at its threshold and not below it. */
#include <string.h>

#include "common/error.h"
#include "run/guards.h"
#include "tests/tap/tap.h"

static struct tld_config cfg;

static int check(const struct tld_zone_stats *prev, const struct tld_zone_stats *cur,
                 tld_time_t now, tld_time_t last, struct tld_guard_trip *trips, size_t *n)
{
	struct tld_guard_input in = { &cfg, prev, cur, now, last };
	return tld_guards_check(&in, trips, n);
}

static bool tripped(const struct tld_guard_trip *trips, size_t n, enum tld_guard g)
{
	for (size_t i = 0; i < n; i++) {
		if (trips[i].guard == g) {
			return true;
		}
	}
	return false;
}

int main(void)
{
	plan_lazy();
	cfg.guards.max_delegation_drop = 0.05;
	cfg.guards.max_ds_drop = 0.05;
	cfg.guards.max_bad_rows = 0.005;

	struct tld_guard_trip trips[TLD_GUARD_COUNT];
	size_t n = 0;
	struct tld_zone_stats prev = { .delegations = 1000, .ds_records = 100, .rows_total = 3000,
	                               .serial = 10, .has_serial = true };
	strcpy(prev.apex_digest, "aa");
	struct tld_zone_stats cur = prev;
	cur.serial = 11;

	is_int(TLD_OK, check(NULL, &cur, 100, 0, trips, &n), "first run: no previous version, ok");
	is_int(TLD_OK, check(&prev, &cur, 100, 50, trips, &n), "unchanged figures pass");

	cur.delegations = 950; /* exactly 5% */
	is_int(TLD_OK, check(&prev, &cur, 100, 50, trips, &n), "5.0%% delegation drop passes at 5%% limit");
	cur.delegations = 949;
	is_int(TLD_EGUARD, check(&prev, &cur, 100, 50, trips, &n), "5.1%% delegation drop refused");
	ok(n == 1 && tripped(trips, n, TLD_GUARD_DELEGATION_DROP), "only the delegation guard tripped");
	ok(strstr(trips[0].message, "1000") && strstr(trips[0].message, "949") &&
	   strstr(trips[0].message, "max-delegation-drop"), "message names guard and figures: %s",
	   trips[0].message);
	cur.delegations = 5000;
	is_int(TLD_OK, check(&prev, &cur, 100, 50, trips, &n), "growth passes");
	cur.delegations = 1000;

	cur.ds_records = 94;
	is_int(TLD_EGUARD, check(&prev, &cur, 100, 50, trips, &n), "6%% DS drop refused");
	ok(tripped(trips, n, TLD_GUARD_DS_DROP), "DS guard named");
	cur.ds_records = 95;
	is_int(TLD_OK, check(&prev, &cur, 100, 50, trips, &n), "5%% DS drop passes");

	cur.rows_bad = 15; /* 0.5% of 3000 */
	is_int(TLD_OK, check(&prev, &cur, 100, 50, trips, &n), "0.5%% bad rows passes");
	cur.rows_bad = 16;
	is_int(TLD_EGUARD, check(&prev, &cur, 100, 50, trips, &n), "0.53%% bad rows refused");
	ok(tripped(trips, n, TLD_GUARD_BAD_ROWS), "bad-rows guard named");
	is_int(TLD_EGUARD, check(NULL, &cur, 100, 0, trips, &n), "bad rows refused on a first run too");
	cur.rows_bad = 0;

	strcpy(cur.apex_digest, "bb");
	is_int(TLD_EGUARD, check(&prev, &cur, 100, 50, trips, &n), "apex change refused");
	ok(tripped(trips, n, TLD_GUARD_APEX_CHANGE), "apex guard named");
	strcpy(cur.apex_digest, "aa");

	cur.serial = 10;
	is_int(TLD_EGUARD, check(&prev, &cur, 100, 50, trips, &n), "equal serial refused");
	ok(tripped(trips, n, TLD_GUARD_SERIAL), "serial guard named");
	cur.serial = 11;

	is_int(TLD_EGUARD, check(&prev, &cur, 40, 50, trips, &n), "clock before last run refused");
	ok(tripped(trips, n, TLD_GUARD_CLOCK), "clock guard named");

	cur.delegations = 1;
	cur.ds_records = 1;
	is_int(TLD_EGUARD, check(&prev, &cur, 40, 50, trips, &n), "several guards at once");
	is_int(3, (long long)n, "all three reported");

	/* RFC 1982 arithmetic */
	ok(tld_serial_gt(1, 0), "1 > 0");
	ok(!tld_serial_gt(0, 1), "0 < 1");
	ok(tld_serial_gt(0, 0xFFFFFFFFu), "0 > 2^32-1 (wrap)");
	ok(!tld_serial_gt(5, 5), "equal is not greater");
	ok(!tld_serial_gt(0x80000000u, 0), "2^31 apart is undefined, not greater");
	ok(tld_serial_gt(0x7FFFFFFFu, 0), "2^31-1 ahead is greater");
	return exit_status();
}
