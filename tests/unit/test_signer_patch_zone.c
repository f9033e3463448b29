/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The changed owners' groups parsed ahead (signer/patch_zone.h): a
 * fall-back's patch_zone_ahead_end() stops the thread between two groups
 * (the full sign does not wait for the whole parse), patch_make_zone()
 * waits for every group and takes them all; changes out of text order
 * have the groups before the first out of order parsed ahead.  GROUPS (100000) in the
 * environment: the groups of the text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/patch_diff.h"
#include "signer/patch_driver.h"
#include "signer/patch_zone.h"
#include "signer/zone.h"
#include "tests/tap/tap.h"

static const uint8_t origin[] = "\4test";

struct text {
	char *text;
	size_t len, n;
	struct signer_owner_change *ch;
	struct replaced *r;
};

/* n groups of one A record each, every one a changed owner, in text order. */
static void text_make(struct text *t, size_t n)
{
	const size_t line = 40;
	t->text = malloc(n * line + 1);
	t->ch = calloc(n, sizeof(*t->ch));
	t->r = calloc(n, sizeof(*t->r));
	if (t->text == NULL || t->ch == NULL || t->r == NULL) {
		fprintf(stderr, "no memory\n");
		exit(1);
	}
	t->len = 0;
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(t->text + t->len, line + 1, "n%07zu.test. 3600 IN A 192.0.2.%zu\n", i, i % 250 + 1);
		t->ch[i] = (struct signer_owner_change){ .kind = SIGNER_OWNER_ADDED, .new_off = t->len, .new_len = (size_t)w };
		t->r[i] = (struct replaced){ .off = t->len, .len = (size_t)w };
		t->len += (size_t)w;
	}
}

static void text_free(struct text *t)
{
	free(t->text);
	free(t->ch);
	free(t->r);
}

/*
 * A fall-back right after the start: the thread stops between two groups,
 * far from the last.  Whether the thread is still parsing when the end
 * comes is up to the scheduler (a main thread preempted for the whole
 * parse sees every group done), so up to 20 tries: without the stop every
 * try parses all the groups and the test fails; with it, one try stopping
 * early suffices.
 */
static void test_stopped(const struct text *t)
{
	size_t parsed = t->n;
	bool started = true;
	int tries = 0;
	while (parsed >= t->n && started && tries++ < 20) {
		struct patch_zone_ahead *a = NULL;
		patch_zone_ahead_start("t", t->text, origin, t->ch, t->n, &a);
		started = a != NULL;
		parsed = patch_zone_ahead_end(a);
	}
	ok(started, "stopped: the thread started");
	ok(parsed < t->n, "stopped: the fall-back's end stopped the parse (%zu of %zu groups parsed, try %d)", parsed,
	   t->n, tries);
	is_int(0, (int)patch_zone_ahead_end(NULL), "stopped: nothing to end: 0 groups");
}

/* The zone made right after the start: every group waited for, none stopped, each taken as parsed ahead. */
static void test_made(const struct text *t)
{
	struct signer_patch_opts o = { .source = "t", .new_text = t->text, .new_len = t->len };
	struct driver d = { .o = &o, .r = t->r, .nr = t->n, .origin_len = sizeof(origin) };
	memcpy(d.origin, origin, sizeof(origin));
	struct patch_zone_ahead *a = NULL;
	patch_zone_ahead_start("t", t->text, origin, t->ch, t->n, &a);
	ok(a != NULL, "made: the thread started");
	struct signer_zone *z = NULL;
	size_t replayed = 0;
	int ret = patch_make_zone(&d, a, &z, &replayed);
	is_int(TLD_OK, ret, "made: the zone made");
	ok(replayed == t->n, "made: every group taken from the parse ahead (%zu)", replayed);
	ok(z != NULL && z->nrrs == t->n, "made: one record per group (%zu)", z != NULL ? z->nrrs : 0);
	size_t parsed = patch_zone_ahead_end(a);
	ok(parsed == t->n, "made: the zone's making waited for every group, stopped none (%zu of %zu)", parsed, t->n);
	signer_zone_free(z);
}

/* Changes out of text order: the groups before the first out of order parsed ahead, the rest at the making. */
static void test_prefix(void)
{
	struct text t;
	text_make(&t, 10);
	struct signer_owner_change ch[10];
	static const size_t order[10] = { 0, 1, 2, 3, 4, 9, 5, 6, 7, 8 };
	for (size_t i = 0; i < 10; i++) {
		ch[i] = t.ch[order[i]];
	}
	struct signer_patch_opts o = { .source = "t", .new_text = t.text, .new_len = t.len };
	struct driver d = { .o = &o, .r = t.r, .nr = t.n, .origin_len = sizeof(origin) };
	memcpy(d.origin, origin, sizeof(origin));
	struct patch_zone_ahead *a = NULL;
	patch_zone_ahead_start("t", t.text, origin, ch, 10, &a);
	ok(a != NULL, "prefix: the thread started");
	struct signer_zone *z = NULL;
	size_t replayed = 0;
	is_int(TLD_OK, patch_make_zone(&d, a, &z, &replayed), "prefix: the zone made");
	is_int(6, (long long)replayed, "prefix: the six groups parsed ahead taken from there");
	ok(z != NULL && z->nrrs == 10, "prefix: every group's record in the zone");
	size_t parsed = patch_zone_ahead_end(a);
	is_int(6, (long long)parsed, "prefix: the six groups in text order parsed ahead, the rest not");
	signer_zone_free(z);
	text_free(&t);
}

int main(void)
{
	plan_lazy();
	size_t n = getenv("GROUPS") != NULL ? (size_t)atol(getenv("GROUPS")) : 100000;
	unsetenv("TLDSIGN_SIGN_PATCH_AHEAD");
	struct text t;
	text_make(&t, n);
	test_stopped(&t);
	test_made(&t);
	text_free(&t);
	test_prefix();
	return exit_status();
}
