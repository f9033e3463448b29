/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/: error codes, exit codes, time parsing, durations. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/prefault.h"
#include "tests/tap/tap.h"

static void test_errors(void)
{
	is_str("success", tld_strerror(TLD_OK), "strerror(OK)");
	is_str("HSM failure", tld_strerror(TLD_EHSM), "strerror(EHSM)");
	ok(strlen(tld_strerror(TLD_ENOMEM)) > 0, "errno-mapped code has text");
	is_str("unknown error", tld_strerror(-99999), "unknown code");
	for (int e = TLD_ERROR_MIN; e <= TLD_ERROR_MAX; e++) {
		if (strcmp(tld_strerror(e), "unknown error") == 0) {
			ok(0, "code %d has a text", e);
		}
	}
	is_int(0, tld_exit_code(TLD_OK), "exit ok");
	is_int(2, tld_exit_code(TLD_ECONFIG), "exit config");
	is_int(2, tld_exit_code(TLD_EUSAGE), "exit usage");
	is_int(3, tld_exit_code(TLD_EEXPORT), "exit rejected (export)");
	is_int(3, tld_exit_code(TLD_EGUARD), "exit rejected (guard)");
	is_int(4, tld_exit_code(TLD_EHSM), "exit hsm");
	is_int(4, tld_exit_code(TLD_EPIN), "exit hsm (pin)");
	is_int(5, tld_exit_code(TLD_EVERIFY), "exit verify");
	is_int(6, tld_exit_code(TLD_ESECONDARY), "exit secondary");
	is_int(7, tld_exit_code(TLD_ELOCKED), "exit locked");
	is_int(1, tld_exit_code(TLD_EIO), "exit failure (io)");
}

static void test_time(void)
{
	tld_time_t t = 0;
	is_int(TLD_OK, tld_time_parse("1970-01-01T00:00:00Z", &t), "epoch parses");
	is_int(0, t, "epoch is 0");
	is_int(TLD_OK, tld_time_parse("2026-11-21T10:00:00Z", &t), "RFC 3339 Z");
	is_int(1795255200LL, t, "2026-11-21T10:00:00Z");
	is_int(TLD_OK, tld_time_parse("2026-11-21T11:00:00+01:00", &t), "offset");
	is_int(1795255200LL, t, "offset applied");
	is_int(TLD_OK, tld_time_parse("2026-11-21T10:00:00.123Z", &t), "fraction");
	is_int(1795255200LL, t, "fraction dropped");
	is_int(TLD_OK, tld_time_parse("1795255200", &t), "unix seconds");
	is_int(1795255200LL, t, "unix seconds value");
	is_int(TLD_OK, tld_time_parse("2024-02-29T00:00:00Z", &t), "leap day");
	const char *bad[] = { "", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
	                      "2025-02-29T00:00:00Z", "2026-11-21", "2026-11-21T10:00:00",
	                      "2026-11-21T25:00:00Z", "yesterday", "12x", "2026-11-21T10:00:00Zjunk" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(TLD_EINVAL, tld_time_parse(bad[i], &t), "rejects '%s'", bad[i]);
	}
	char buf[32];
	is_str("2026-11-21T10:00:00Z", tld_time_format(1795255200LL, buf, sizeof(buf)), "format");
	tld_clock_pin(1234);
	is_int(1234, tld_now(), "pinned now");
	ok(tld_clock_is_pinned(), "is pinned");
}

static void test_durations(void)
{
	struct { const char *text; int64_t secs; } good[] = {
		{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "5m", 300 }, { "1h", 3600 },
		{ "14d", 14 * 86400 }, { "2w", 14 * 86400 }, { "1y", 365 * 86400 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t v = -1;
		int err = tld_duration_parse(good[i].text, &v);
		ok(err == TLD_OK && v == good[i].secs, "duration '%s' = %lld", good[i].text,
		   (long long)good[i].secs);
	}
	const char *bad[] = { "", "-1d", "1x", "d", "1dd", "1.5h", " 1h", "1h ", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v;
		ok(tld_duration_parse(bad[i], &v) != TLD_OK, "duration rejects '%s'", bad[i]);
	}
	int64_t v;
	is_int(TLD_ERANGE, tld_duration_parse("9999999999999999y", &v), "overflow is ERANGE");
	char buf[32];
	is_str("90d", tld_duration_format(90 * 86400, buf, sizeof(buf)), "format 90d");
	is_str("1h30m", tld_duration_format(5400, buf, sizeof(buf)), "format 1h30m");
	is_str("0s", tld_duration_format(0, buf, sizeof(buf)), "format 0s");
}

/* The timers for logs: monotonic, in step with each other, CPU time that grows with work. */
static void test_timers(void)
{
	/* ms0 is read between ma and m0, so that a preemption between readings
	 * widens the bounds below instead of breaking them */
	double ma = tld_mono_seconds();
	int64_t ms0 = tld_mono_ms();
	double m0 = tld_mono_seconds(), c0 = tld_thread_cpu_seconds(), p0 = tld_process_cpu_seconds();
	volatile uint64_t x = 1;
	double spin_until = m0 + 0.05;
	while (tld_mono_seconds() < spin_until) {
		for (int i = 0; i < 10000; i++) {
			x = x * 6364136223846793005ull + 1;
		}
	}
	double m1 = tld_mono_seconds(), c1 = tld_thread_cpu_seconds(), p1 = tld_process_cpu_seconds();
	int64_t ms1 = tld_mono_ms();
	double m2 = tld_mono_seconds(); /* after every reading: the bounds below hold whatever preempts */
	ok(m0 > 0 && m1 >= m0 + 0.05, "monotonic seconds advance (%.3f -> %.3f)", m0, m1);
	ok(ms1 - ms0 >= 50 && ms1 - ms0 <= (int64_t)((m2 - ma) * 1000) + 1,
	   "monotonic milliseconds in step with the seconds (%lld ms)", (long long)(ms1 - ms0));
	ok(c1 > c0 && c1 - c0 <= m2 - m0 + 0.001, "thread CPU grows with work, no faster than the wall (%.3f s)",
	   c1 - c0);
	ok(p1 >= c1 - c0 && p1 > p0, "process CPU at least the thread's (%.3f s)", p1);
}

/* Tables made present ahead of their writes: no byte changes, nothing past
 * the table, a moved table known by its base. */
static void test_prefault(void)
{
	size_t cap = 3 * TLD_PREFAULT_CHUNK + 123;
	unsigned char *t = malloc(cap);
	for (size_t i = 0; i < cap; i++) {
		t[i] = (unsigned char)(i * 7 + 1);
	}
	struct tld_prefault pf = { 0 };
	bool ready_ok = true;
	for (size_t end = 1; end <= cap; end += 4093) {
		tld_prefault_ahead(&pf, t, cap, end - 1, end);
		ready_ok &= pf.ready >= end && pf.ready <= cap && pf.base == t;
	}
	tld_prefault_ahead(&pf, t, cap, cap - 1, cap);
	ready_ok &= pf.ready == cap;
	bool same = true;
	for (size_t i = 0; i < cap; i++) {
		same &= t[i] == (unsigned char)(i * 7 + 1);
	}
	ok(same, "written bytes unchanged");
	ok(ready_ok, "made present ahead of every write, never past the table");
	unsigned char *u = malloc(cap);
	memcpy(u, t, 100);
	tld_prefault_ahead(&pf, u, cap, 100, 101);
	ok(pf.base == u && pf.ready >= 101 && pf.ready <= 100 + TLD_PREFAULT_CHUNK,
	   "another table: from its used bytes on");
	ok(memcmp(u, t, 100) == 0, "its bytes unchanged");
	free(u);
	free(t);
	size_t len = 4 * TLD_PREFAULT_CHUNK;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED) {
		struct tld_prefault mp = { 0 };
		tld_prefault_ahead(&mp, m, len, 0, 1);
		bool zero = true;
		for (size_t i = 0; i < len; i++) {
			zero &= m[i] == 0;
		}
		ok(zero && mp.ready == TLD_PREFAULT_CHUNK, "fresh memory stays zero");
		munmap(m, len);
	}
	struct tld_prefault none = { 0 };
	tld_prefault_ahead(&none, NULL, 0, 0, 0);
	ok(none.ready == 0, "no table: nothing");
}

int main(void)
{
	plan_lazy();
	test_prefault();
	test_timers();
	test_errors();
	test_time();
	test_durations();
	return exit_status();
}
