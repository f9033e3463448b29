/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The linear-time sorts of zonegen (zonegen/sort.c) give exactly the order of
 * qsort with the same total comparison: grouped and ungrouped input, small
 * and large groups, many equal prefixes, empty input.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "zonegen/zg_internal.h"

struct item {
	uint32_t group;
	uint32_t value;
	uint32_t line;
};

static uint64_t rng = 88172645463325252ULL;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->group != y->group) {
		return x->group < y->group ? -1 : 1;
	}
	if (x->value != y->value) {
		return x->value < y->value ? -1 : 1;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Ties of the prefix are decided by the id's "full key": id % 7, then id. */
static int cmp_pref(const void *a, const void *b)
{
	const struct zg_prefixed *x = a, *y = b;
	if (x->prefix != y->prefix) {
		return x->prefix < y->prefix ? -1 : 1;
	}
	if (x->id % 7 != y->id % 7) {
		return x->id % 7 < y->id % 7 ? -1 : 1;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

static void check_grouped(const char *what, size_t n, uint32_t groups, uint32_t values,
                          bool presorted_groups)
{
	struct item *a = malloc((n ? n : 1) * sizeof(*a));
	struct item *b = malloc((n ? n : 1) * sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		a[i].group = presorted_groups ? (uint32_t)(i * groups / n) : next_random() % groups;
		a[i].value = next_random() % values;
		a[i].line = (uint32_t)i + 2;
	}
	memcpy(b, a, n * sizeof(*a));
	if (n > 0) {
		qsort(b, n, sizeof(*b), cmp_item);
	}
	int ret = zg_sort_grouped(a, n, sizeof(*a), offsetof(struct item, group), groups, cmp_item);
	is_int(TLD_OK, ret, "%s: sorted", what);
	ok(n == 0 || memcmp(a, b, n * sizeof(*a)) == 0, "%s: the order of qsort", what);
	free(a);
	free(b);
}

/* Grouped items (n - tail of them, groups in order) followed by tail items
 * of any group: sorted as qsort sorts them, with the tail merged in or
 * (longer tails) the items counted into their groups. */
static void check_grouped_tail(const char *what, size_t n, size_t tail, uint32_t groups,
                               uint32_t values)
{
	struct item *a = malloc(n * sizeof(*a));
	struct item *b = malloc(n * sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		a[i].group = i < n - tail ? (uint32_t)(i * groups / (n - tail)) : next_random() % groups;
		a[i].value = next_random() % values;
		a[i].line = (uint32_t)i + 2;
	}
	memcpy(b, a, n * sizeof(*a));
	qsort(b, n, sizeof(*b), cmp_item);
	int ret = zg_sort_grouped(a, n, sizeof(*a), offsetof(struct item, group), groups, cmp_item);
	is_int(TLD_OK, ret, "%s: sorted", what);
	ok(memcmp(a, b, n * sizeof(*a)) == 0, "%s: the order of qsort", what);
	free(a);
	free(b);
}

/* Grouped items among which one in every `every` is the first of a run of
 * 1-3 items (equal keys) of another group, above all others when high (new
 * names met late, as hosts.csv's orphans) or anywhere: sorted as qsort. */
static void check_grouped_out(const char *what, size_t n, size_t every, bool high,
                              uint32_t values)
{
	struct item *a = malloc(n * sizeof(*a));
	struct item *b = malloc(n * sizeof(*b));
	uint32_t groups = (uint32_t)n / 2;
	for (size_t i = 0; i < n;) {
		if (next_random() % every == 0) {
			uint32_t g = high ? groups + next_random() % groups : next_random() % groups;
			for (size_t r = 1 + next_random() % 3; r > 0 && i < n; r--, i++) {
				a[i].group = g;
			}
			continue;
		}
		a[i].group = (uint32_t)(i / 2);
		i++;
	}
	for (size_t i = 0; i < n; i++) {
		a[i].value = next_random() % values;
		a[i].line = (uint32_t)i + 2;
	}
	memcpy(b, a, n * sizeof(*a));
	qsort(b, n, sizeof(*b), cmp_item);
	int ret = zg_sort_grouped(a, n, sizeof(*a), offsetof(struct item, group), 2 * groups,
	                          cmp_item);
	is_int(TLD_OK, ret, "%s: sorted", what);
	ok(memcmp(a, b, n * sizeof(*a)) == 0, "%s: the order of qsort", what);
	free(a);
	free(b);
}

/* Items touched ahead of their comparison (only read). */
static size_t touched;
static void touch_count(const struct zg_prefixed *x, int stage)
{
	touched += x->id != UINT32_MAX && (stage == 0 || stage == 1);
}

/* Sorts a (n items) and checks the result is qsort's; frees a. */
static void sort_like_qsort(const char *what, struct zg_prefixed *a, size_t n)
{
	struct zg_prefixed *b = calloc(n ? n : 1, sizeof(*b));
	memcpy(b, a, n * sizeof(*a));
	if (n > 0) {
		qsort(b, n, sizeof(*b), cmp_pref);
	}
	is_int(TLD_OK, zg_sort_prefixed(a, n, cmp_pref, touch_count), "%s: sorted", what);
	bool same = true;
	for (size_t i = 0; i < n; i++) {
		same &= a[i].prefix == b[i].prefix && a[i].id == b[i].id;
	}
	ok(same, "%s: the order of qsort", what);
	free(a);
	free(b);
}

static void check_prefixed(const char *what, size_t n, uint64_t prefixes, int shift)
{
	struct zg_prefixed *a = calloc(n ? n : 1, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		uint64_t p = ((uint64_t)next_random() << 32 | next_random()) % prefixes;
		a[i].prefix = p << shift;
		a[i].id = (uint32_t)(n - i);
	}
	sort_like_qsort(what, a, n);
}

/* Prefixes like those of names: 1-10 letters and digits, then zero bytes;
 * many of the same first letters (buckets of every size), some equal. */
static void check_prefixed_names(const char *what, size_t n, unsigned alphabet)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	struct zg_prefixed *a = calloc(n ? n : 1, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		unsigned len = 1 + next_random() % 10;
		uint64_t p = 0;
		for (unsigned k = 0; k < 8; k++) {
			p = p << 8 | (k < len ? (unsigned char)chars[next_random() % alphabet] : 0);
		}
		a[i].prefix = p;
		a[i].id = (uint32_t)i;
	}
	sort_like_qsort(what, a, n);
}

int main(void)
{
	plan_lazy();
	check_grouped("empty", 0, 1, 1, false);
	check_grouped("one item", 1, 1, 1, false);
	check_grouped("grouped input, small groups", 10000, 4000, 50, true);
	check_grouped("ungrouped input, small groups", 10000, 4000, 50, false);
	check_grouped("ungrouped input, large groups (qsort inside)", 20000, 7, 1000, false);
	check_grouped("grouped input, equal values (line decides)", 5000, 100, 2, true);
	check_grouped_tail("one row added at the end", 8000, 1, 3000, 50);
	check_grouped_tail("an eighth added at the end (merged)", 8000, 1000, 3000, 50);
	check_grouped_tail("more than an eighth added (counted)", 8000, 1001, 3000, 50);
	check_grouped_tail("tail in large groups, equal values", 8000, 900, 5, 2);
	check_grouped_tail("nine items, the last of any group", 9, 1, 9, 3);
	check_grouped_out("runs of new keys among grouped items", 20000, 60, true, 50);
	check_grouped_out("runs of any key among grouped items", 20000, 60, false, 50);
	check_grouped_out("many runs of new keys (counted)", 20000, 4, true, 50);
	check_grouped_out("new keys next to each other", 3000, 2, true, 3);
	check_grouped_out("few items, keys anywhere", 40, 5, false, 2);
	check_prefixed("empty", 0, 1, 0);
	check_prefixed("distinct prefixes", 50000, UINT64_MAX, 0);
	check_prefixed("few prefixes (long tie runs)", 20000, 3, 0);
	check_prefixed("prefixes differing only in the top byte", 5000, 200, 56);
	check_prefixed("some ties", 30000, 10000, 20);
	check_prefixed("just below the bucket pass", 8191, UINT64_MAX, 0);
	check_prefixed("just at the bucket pass", 8192, 300, 48);
	check_prefixed("buckets by the top 16 bits only", 40000, 5000, 48);
	check_prefixed("one bucket of all (top 16 bits equal)", 20000, 1ULL << 40, 0);
	check_prefixed("two buckets by the top 16 bits", 30000, 2, 48);
	check_prefixed("every bucket, few items each", 70000, 65536, 48);
	check_prefixed_names("name-like prefixes", 200000, 37);
	check_prefixed_names("name-like prefixes, 3 letters (many ties)", 50000, 3);
	ok(touched > 0, "the items of runs of equal prefixes touched ahead (%zu)", touched);
	return exit_status();
}
