/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "run/guards.h"

/* -- internal API -- */

static void trip(struct tld_guard_trip *trips, size_t *n, enum tld_guard g, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

static void trip(struct tld_guard_trip *trips, size_t *n, enum tld_guard g, const char *fmt, ...)
{
	struct tld_guard_trip *t = &trips[(*n)++];
	t->guard = g;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
}

/* Share of `prev` lost in `cur`, 0 when it grew. */
static double drop_share(uint64_t prev, uint64_t cur)
{
	if (prev == 0 || cur >= prev) {
		return 0.0;
	}
	return (double)(prev - cur) / (double)prev;
}

/* -- public API -- */

const char *tld_guard_name(enum tld_guard guard)
{
	switch (guard) {
	case TLD_GUARD_DELEGATION_DROP: return "max-delegation-drop";
	case TLD_GUARD_DS_DROP:         return "max-ds-drop";
	case TLD_GUARD_BAD_ROWS:        return "max-bad-rows";
	case TLD_GUARD_APEX_CHANGE:     return "apex-change";
	case TLD_GUARD_SERIAL:          return "serial-increase";
	case TLD_GUARD_CLOCK:           return "clock-monotonic";
	default:                        return "unknown";
	}
}

bool tld_serial_gt(uint32_t b, uint32_t a)
{
	/* RFC 1982 section 3.2 with SERIAL_BITS = 32 */
	return (a < b && b - a < 0x80000000u) || (a > b && a - b > 0x80000000u);
}

int tld_guards_check(const struct tld_guard_input *in, struct tld_guard_trip *trips,
                     size_t *ntrips)
{
	size_t n = 0;
	const struct tld_zone_stats *cur = in->current;
	const struct tld_zone_stats *prev = in->previous;
	const struct tld_config *cfg = in->cfg;

	if (in->last_run != 0 && in->now < in->last_run) {
		char a[32], b[32];
		trip(trips, &n, TLD_GUARD_CLOCK,
		     "clock-monotonic: now (%s) is earlier than the last run (%s)",
		     tld_time_format(in->now, a, sizeof(a)), tld_time_format(in->last_run, b, sizeof(b)));
	}

	if (cur->rows_total > 0) {
		double bad = (double)cur->rows_bad / (double)cur->rows_total;
		if (bad > cfg->guards.max_bad_rows) {
			trip(trips, &n, TLD_GUARD_BAD_ROWS,
			     "max-bad-rows: %llu of %llu export rows rejected (%.3f%%), limit %.3f%%",
			     (unsigned long long)cur->rows_bad, (unsigned long long)cur->rows_total,
			     bad * 100.0, cfg->guards.max_bad_rows * 100.0);
		}
	}

	if (prev != NULL) {
		double d = drop_share(prev->delegations, cur->delegations);
		if (d > cfg->guards.max_delegation_drop) {
			trip(trips, &n, TLD_GUARD_DELEGATION_DROP,
			     "max-delegation-drop: delegations fell from %llu to %llu (-%.2f%%), limit %.2f%%",
			     (unsigned long long)prev->delegations, (unsigned long long)cur->delegations,
			     d * 100.0, cfg->guards.max_delegation_drop * 100.0);
		}
		d = drop_share(prev->ds_records, cur->ds_records);
		if (d > cfg->guards.max_ds_drop) {
			trip(trips, &n, TLD_GUARD_DS_DROP,
			     "max-ds-drop: DS records fell from %llu to %llu (-%.2f%%), limit %.2f%%",
			     (unsigned long long)prev->ds_records, (unsigned long long)cur->ds_records,
			     d * 100.0, cfg->guards.max_ds_drop * 100.0);
		}
		if (prev->apex_digest[0] != '\0' && cur->apex_digest[0] != '\0' &&
		    strcmp(prev->apex_digest, cur->apex_digest) != 0) {
			trip(trips, &n, TLD_GUARD_APEX_CHANGE,
			     "apex-change: the apex NS set or SOA names differ from the last published version");
		}
		if (prev->has_serial && cur->has_serial && !tld_serial_gt(cur->serial, prev->serial)) {
			trip(trips, &n, TLD_GUARD_SERIAL,
			     "serial-increase: new serial %u does not increase over %u (RFC 1982)",
			     cur->serial, prev->serial);
		}
	}

	*ntrips = n;
	return n == 0 ? TLD_OK : TLD_EGUARD;
}
