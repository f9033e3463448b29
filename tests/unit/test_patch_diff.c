/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The changed owners between two unsigned zone texts (signer/patch_diff.c):
 * identical texts; groups added, removed and changed at the start, in the
 * middle and at the end; the apex; a change inside a name that shares a
 * prefix with its neighbour; escapes and other spellings of one name;
 * max_changes; malformed texts (TLD_EPARSE, never a crash); find_owner's
 * hits and misses.  Then a differential check against the plain way
 * (tests/unit/patch_diff_naive.h) on random texts, large enough to cross
 * the diff's memcmp() chunks, valid and corrupted; each diff also split
 * in two halves (signer_text_diff_at()) against one pass -- the short
 * fixed texts' at every line start, the others' at two places -- and the
 * split's own cases: changes at the split point, none to be found, the
 * limit and malformed lines in either half.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/dname.h"
#include "signer/patch_diff.h"
#include "signer/zparse.h"
#include "tests/tap/tap.h"
#include "tests/unit/patch_diff_naive.h"

#define APEX "test.\t3600\tIN\tSOA\tns1.nic.test. hostmaster.nic.test. 0 1800 900 1209600 3600\n" \
             "test.\t172800\tIN\tNS\tns1.nic.test.\n"
#define AAA1 "aaa1.test.\t172800\tIN\tNS\tns1.p1.net.\naaa1.test.\t172800\tIN\tNS\tns2.p1.net.\n"
#define AAA12 "aaa12.test.\t172800\tIN\tNS\tns1.aaa12.test.\n"
#define GLUE "ns1.aaa12.test.\t172800\tIN\tA\t192.0.2.1\nns1.aaa12.test.\t172800\tIN\tAAAA\t2001:db8::1\n"
#define BBB "bbb.test.\t172800\tIN\tNS\tns1.p2.net.\n"
#define ZZZ "zzz.test.\t172800\tIN\tNS\tns1.p3.net.\nzzz.test.\t86400\tIN\tDS\t1 13 2 00ff\n"
#define BASE APEX AAA1 AAA12 GLUE BBB ZZZ

/* A text in a heap copy of exactly its length (no NUL after it, for ASan). */
static char *copy_text(const char *s, size_t *len)
{
	*len = strlen(s);
	char *c = malloc(*len ? *len : 1);
	memcpy(c, s, *len);
	return c;
}

/* Runs the diff; also holds it against the plain way, and a short text split at every line against one pass. */
static int diff(const char *o, const char *n, size_t max, struct signer_owner_change **v, size_t *cnt,
                const char **why)
{
	size_t ol, nl, nc;
	char *a = copy_text(o, &ol), *b = copy_text(n, &nl);
	*v = NULL;
	*cnt = 0;
	*why = NULL;
	int err = signer_text_diff(a, ol, b, nl, max, v, cnt, why);
	const char *check = patch_diff_check(a, ol, b, nl, max, &nc);
	for (size_t at = 1; at < nl && nl <= 4096 && check == NULL; at++) { /* split at every line of a short text */
		check = b[at - 1] == '\n' ? patch_diff_split_at(a, ol, b, nl, max, at) : NULL;
	}
	if (check != NULL) {
		diag("against the plain way: %s", check);
		err = TLD_EIO;
	}
	free(a);
	free(b);
	return err;
}

static void wire(const char *name, uint8_t *w, size_t *wl)
{
	*wl = signer_zparse_name(name, strlen(name), NULL, w);
	signer_dname_copy_lower(w, w, *wl);
}

/* Whether change c is kind of owner name with the old and new groups at those offsets of texts o and n. */
static bool change_is(const struct signer_owner_change *c, enum signer_owner_change_kind kind, const char *name,
                      const char *o, const char *old_group, const char *n, const char *new_group)
{
	uint8_t w[SIGNER_DNAME_MAX];
	size_t wl;
	wire(name, w, &wl);
	if (c->kind != kind || c->owner_len != wl || memcmp(c->owner, w, wl) != 0) {
		return false;
	}
	size_t oo = old_group ? (size_t)(strstr(o, old_group) - o) : 0, ol = old_group ? strlen(old_group) : 0;
	size_t no = new_group ? (size_t)(strstr(n, new_group) - n) : 0, nl = new_group ? strlen(new_group) : 0;
	return c->old_off == oo && c->old_len == ol && c->new_off == no && c->new_len == nl;
}

/* One change expected. */
static void one(const char *label, const char *o, const char *n, enum signer_owner_change_kind kind,
                const char *name, const char *old_group, const char *new_group)
{
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	int err = diff(o, n, 100, &v, &cnt, &why);
	ok(err == TLD_OK && cnt == 1 && change_is(&v[0], kind, name, o, old_group, n, new_group), "%s (err %d, %zu changes)",
	   label, err, cnt);
	free(v);
}

static void test_identical(void)
{
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	ok(diff(BASE, BASE, 0, &v, &cnt, &why) == TLD_OK && cnt == 0 && v == NULL, "identical texts: no change");
	ok(diff("", "", 0, &v, &cnt, &why) == TLD_OK && cnt == 0, "two empty texts: no change");
}

static void test_simple(void)
{
	const char *added = "aaa0.test.\t172800\tIN\tNS\tns1.p9.net.\n";
	const char *bbb2 = "bbb.test.\t172800\tIN\tNS\tns1.p2.net.\nbbb.test.\t172800\tIN\tNS\tns2.p2.net.\n";
	const char *zzz2 = "zzz.test.\t172800\tIN\tNS\tns1.p3.net.\nzzz.test.\t86400\tIN\tDS\t1 13 2 00fe\n";
	const char *last = "zzzz.test.\t172800\tIN\tNS\tns1.p9.net.\n";
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s%s%s", APEX, added, AAA1 AAA12 GLUE BBB ZZZ);
	one("added at the start", BASE, buf, SIGNER_OWNER_ADDED, "aaa0.test.", NULL, added);
	one("removed at the start", buf, BASE, SIGNER_OWNER_REMOVED, "aaa0.test.", added, NULL);
	one("removed first delegation", BASE, APEX AAA12 GLUE BBB ZZZ, SIGNER_OWNER_REMOVED, "aaa1.test.", AAA1, NULL);
	snprintf(buf, sizeof(buf), "%s%s%s", APEX AAA1 AAA12 GLUE, bbb2, ZZZ);
	one("changed in the middle (a line added)", BASE, buf, SIGNER_OWNER_CHANGED, "bbb.test.", BBB, bbb2);
	one("changed in the middle (a line removed)", buf, BASE, SIGNER_OWNER_CHANGED, "bbb.test.", bbb2, BBB);
	one("glue removed in the middle", BASE, APEX AAA1 AAA12 BBB ZZZ, SIGNER_OWNER_REMOVED, "ns1.aaa12.test.",
	    GLUE, NULL);
	one("glue added in the middle", APEX AAA1 AAA12 BBB ZZZ, BASE, SIGNER_OWNER_ADDED, "ns1.aaa12.test.", NULL,
	    GLUE);
	snprintf(buf, sizeof(buf), "%s%s", APEX AAA1 AAA12 GLUE BBB, zzz2);
	one("changed at the end (last byte)", BASE, buf, SIGNER_OWNER_CHANGED, "zzz.test.", ZZZ, zzz2);
	one("removed at the end", BASE, APEX AAA1 AAA12 GLUE BBB, SIGNER_OWNER_REMOVED, "zzz.test.", ZZZ, NULL);
	snprintf(buf, sizeof(buf), "%s%s", BASE, last);
	one("added at the end", BASE, buf, SIGNER_OWNER_ADDED, "zzzz.test.", NULL, last);
	one("removed after the end", buf, BASE, SIGNER_OWNER_REMOVED, "zzzz.test.", last, NULL);

	const char *apex2 = "test.\t3600\tIN\tSOA\tns1.nic.test. hostmaster.nic.test. 1 1800 900 1209600 3600\n"
	                    "test.\t172800\tIN\tNS\tns1.nic.test.\n";
	snprintf(buf, sizeof(buf), "%s%s", apex2, AAA1 AAA12 GLUE BBB ZZZ);
	one("apex changed", BASE, buf, SIGNER_OWNER_CHANGED, "test.", APEX, apex2);
	const char *apex3 = "test.\t3600\tIN\tSOA\tns1.nic.test. hostmaster.nic.test. 0 1800 900 1209600 3600\n"
	                    "test.\t172800\tIN\tNS\tns1.nic.test.\ntest.\t172800\tIN\tNS\tns2.nic.test.\n";
	snprintf(buf, sizeof(buf), "%s%s", apex3, AAA1 AAA12 GLUE BBB ZZZ);
	one("apex: a line added at its end", BASE, buf, SIGNER_OWNER_CHANGED, "test.", APEX, apex3);
	one("apex: a line removed at its end", buf, BASE, SIGNER_OWNER_CHANGED, "test.", apex3, APEX);

	/* several at once, in canonical order, apex first */
	snprintf(buf, sizeof(buf), "%s%s%s%s%s", apex2, AAA12, GLUE, bbb2, last);
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	int err = diff(BASE, buf, 100, &v, &cnt, &why);
	ok(err == TLD_OK && cnt == 5 && change_is(&v[0], SIGNER_OWNER_CHANGED, "test.", BASE, APEX, buf, apex2) &&
	   change_is(&v[1], SIGNER_OWNER_REMOVED, "aaa1.test.", BASE, AAA1, buf, NULL) &&
	   change_is(&v[2], SIGNER_OWNER_CHANGED, "bbb.test.", BASE, BBB, buf, bbb2) &&
	   change_is(&v[3], SIGNER_OWNER_REMOVED, "zzz.test.", BASE, ZZZ, buf, NULL) &&
	   change_is(&v[4], SIGNER_OWNER_ADDED, "zzzz.test.", BASE, NULL, buf, last),
	   "five changes in canonical order, the apex first (err %d, %zu)", err, cnt);
	free(v);
	ok(diff(BASE, buf, 4, &v, &cnt, &why) == TLD_ERANGE && why != NULL, "max_changes 4 of 5: TLD_ERANGE");
	ok(diff(BASE, buf, 5, &v, &cnt, &why) == TLD_OK && cnt == 5, "max_changes 5 of 5: TLD_OK");
	free(v);
	ok(diff(BASE, buf, 0, &v, &cnt, &why) == TLD_ERANGE, "max_changes 0: TLD_ERANGE");
	ok(diff(BASE, BASE, 0, &v, &cnt, &why) == TLD_OK && cnt == 0, "max_changes 0, nothing changed: TLD_OK");
	ok(diff("", BASE, 100, &v, &cnt, &why) == TLD_OK && cnt == 6 && v[0].kind == SIGNER_OWNER_ADDED,
	   "from an empty text: every owner added");
	free(v);
	ok(diff(BASE, "", 100, &v, &cnt, &why) == TLD_OK && cnt == 6 && v[5].kind == SIGNER_OWNER_REMOVED,
	   "to an empty text: every owner removed");
	free(v);
}

static void test_prefixes(void)
{
	const char *aaa1b = "aaa1.test.\t172800\tIN\tNS\tns1.p1.net.\naaa1.test.\t172800\tIN\tNS\tns3.p1.net.\n";
	const char *aaa12b = "aaa12.test.\t172800\tIN\tNS\tns1.p1.net.\naaa12.test.\t172800\tIN\tNS\tns2.p1.net.\n";
	char buf[4096], base[4096];
	/* the equal stretch ends inside a name: "aaa1" then "\t" or "2" */
	snprintf(base, sizeof(base), "%s%s%s", APEX, AAA1, BBB);
	snprintf(buf, sizeof(buf), "%s%s%s", APEX, aaa12b, BBB);
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	int err = diff(base, buf, 100, &v, &cnt, &why);
	ok(err == TLD_OK && cnt == 2 && change_is(&v[0], SIGNER_OWNER_REMOVED, "aaa1.test.", base, AAA1, buf, NULL) &&
	   change_is(&v[1], SIGNER_OWNER_ADDED, "aaa12.test.", base, NULL, buf, aaa12b),
	   "owner renamed to a longer name with its prefix: removed and added");
	free(v);
	/* the second line of a group differs in the owner field: "aaa1.test." vs "aaa12.test." */
	snprintf(base, sizeof(base), "%s%s%s", APEX, AAA1, BBB);
	snprintf(buf, sizeof(buf), "%s%s%s%s", APEX, "aaa1.test.\t172800\tIN\tNS\tns1.p1.net.\n",
	         "aaa12.test.\t172800\tIN\tNS\tns2.p1.net.\n", BBB);
	err = diff(base, buf, 100, &v, &cnt, &why);
	ok(err == TLD_OK && cnt == 2 && v[0].kind == SIGNER_OWNER_CHANGED && v[1].kind == SIGNER_OWNER_ADDED &&
	   v[0].old_off == strlen(APEX) && v[0].old_len == strlen(AAA1) && v[0].new_len == strlen(AAA1) / 2,
	   "a group's second line moved to a new owner sharing the prefix: changed and added");
	free(v);
	snprintf(buf, sizeof(buf), "%s%s%s", APEX, aaa1b, BBB);
	one("a change in the last field of a group's second line", base, buf, SIGNER_OWNER_CHANGED, "aaa1.test.",
	    AAA1, aaa1b);
	/* the difference is the first byte after the previous group: its line starts a group in one text only */
	snprintf(base, sizeof(base), "%s%s%s", APEX, AAA1, BBB);
	snprintf(buf, sizeof(buf), "%s%s%s%s", APEX, AAA1, "aaa1.test.\t172800\tIN\tNS\tns9.p1.net.\n", BBB);
	one("a line added at the end of a group", base, buf, SIGNER_OWNER_CHANGED, "aaa1.test.", AAA1,
	    AAA1 "aaa1.test.\t172800\tIN\tNS\tns9.p1.net.\n");
	/* names that share a suffix and sort far apart */
	snprintf(base, sizeof(base), "%s%s%s%s", APEX, "a.aaa1.test.\t1\tIN\tA\t192.0.2.1\n", AAA12, BBB);
	snprintf(buf, sizeof(buf), "%s%s%s%s", APEX, "a.aaa1.test.\t1\tIN\tA\t192.0.2.2\n", AAA12, BBB);
	one("a name below another", base, buf, SIGNER_OWNER_CHANGED, "a.aaa1.test.",
	    "a.aaa1.test.\t1\tIN\tA\t192.0.2.1\n", "a.aaa1.test.\t1\tIN\tA\t192.0.2.2\n");
}

/* A large apex (n lines) changed in line k (or a line added at its end when k == n); then AAA1. */
static void big_apex(size_t n, size_t k)
{
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	size_t cap = 64 * (n + 8);
	char *o = malloc(cap), *nw = malloc(cap);
	size_t ol = 0, nl = 0;
	for (size_t i = 0; i < n; i++) {
		ol += (size_t)snprintf(o + ol, cap - ol, "test.\t3600\tIN\tTXT\t\"line %zu\"\n", i);
		nl += (size_t)snprintf(nw + nl, cap - nl, "test.\t3600\tIN\tTXT\t\"line %zu%s\"\n", i, i == k ? "x" : "");
	}
	if (k == n) {
		nl += (size_t)snprintf(nw + nl, cap - nl, "test.\t3600\tIN\tTXT\t\"one more\"\n");
	}
	size_t apex_old = ol, apex_new = nl;
	ol += (size_t)snprintf(o + ol, cap - ol, "%s", AAA1);
	nl += (size_t)snprintf(nw + nl, cap - nl, "%s", AAA1);
	o[ol] = nw[nl] = 0;
	int err = diff(o, nw, 10, &v, &cnt, &why);
	ok(err == TLD_OK && cnt == 1 && v[0].kind == SIGNER_OWNER_CHANGED && v[0].owner_len == 6 && v[0].old_off == 0 &&
	   v[0].old_len == apex_old && v[0].new_off == 0 && v[0].new_len == apex_new,
	   "apex of %zu lines changed in line %zu: one change, the whole group (err %d)", n, k, err);
	free(v);
	free(o);
	free(nw);
}

static void test_groups(void)
{
	big_apex(5000, 0);
	big_apex(5000, 3999);
	big_apex(5000, 4999);
	big_apex(5000, 5000);
	/* the second change starts where the walk of the first one ended: backing up stops there */
	const char *bbb2 = "bbb.test.\t172800\tIN\tNS\tns1.p2.net.\nbbb.test.\t172800\tIN\tNS\tns2.p2.net.\n";
	const char *bbb3 = "bbb.test.\t172800\tIN\tNS\tns1.p2.net.\nbbb.test.\t172800\tIN\tNS\tns3.p2.net.\n";
	const char *aaa12 = "aaa12.test.\t172800\tIN\tNS\tns2.aaa12.test.\n";
	char o[4096], n[4096];
	snprintf(o, sizeof(o), "%s%s%s%s", APEX, AAA1, AAA12, bbb2);
	snprintf(n, sizeof(n), "%s%s%s%s", APEX, AAA1, aaa12, bbb3);
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	int err = diff(o, n, 10, &v, &cnt, &why);
	ok(err == TLD_OK && cnt == 2 && change_is(&v[0], SIGNER_OWNER_CHANGED, "aaa12.test.", o, AAA12, n, aaa12) &&
	   change_is(&v[1], SIGNER_OWNER_CHANGED, "bbb.test.", o, bbb2, n, bbb3),
	   "neighbouring groups changed, the second in its second line (err %d, %zu)", err, cnt);
	free(v);
}

/* Group a in the old text, b in the new, between the apex and after: owner name changed. */
static void changed_between(const char *label, const char *a, const char *b, const char *after, const char *name)
{
	char o[4096], n[4096];
	snprintf(o, sizeof(o), "%s%s%s", APEX, a, after);
	snprintf(n, sizeof(n), "%s%s%s", APEX, b, after);
	one(label, o, n, SIGNER_OWNER_CHANGED, name, a, b);
}

static void test_escapes(void)
{
	/* one name, other spellings: one owner, the bytes differ */
	const char *e1 = "a\\.b.test.\t1\tIN\tTXT\t\"x\"\n", *e2 = "a\\046b.test.\t1\tIN\tTXT\t\"x\"\n";
	changed_between("\\. and \\046: one owner, changed", e1, e2, BBB, "a\\.b.test.");
	changed_between("upper and lower case: one owner (lower case), changed",
	                "AAA1.test.\t172800\tIN\tNS\tns1.p1.net.\n", "aaa1.test.\t172800\tIN\tNS\tns1.p1.net.\n", BBB,
	                "aaa1.test.");
	/* mixed spellings inside one group are one group */
	changed_between("two spellings in one group", "a\\.b.test.\t1\tIN\tTXT\t\"x\"\na\\046b.test.\t1\tIN\tTXT\t\"y\"\n",
	                e1, BBB, "a\\.b.test.");
	/* an escaped TAB belongs to the owner; \009 is the same name */
	changed_between("escaped TAB and \\009: one owner", "x\\\ty.test.\t1\tIN\tA\t192.0.2.1\n",
	                "x\\009y.test.\t1\tIN\tA\t192.0.2.1\n", ZZZ, "x\\009y.test.");
	/* \000 sorts before any other byte; a change beside it */
	changed_between("\\000 label", "\\000.test.\t1\tIN\tA\t192.0.2.1\n", "\\000.test.\t1\tIN\tA\t192.0.2.9\n", AAA1,
	                "\\000.test.");
}

/* Malformed where the walk looks: TLD_EPARSE with a reason. */
static void bad(const char *label, const char *o, const char *n)
{
	struct signer_owner_change *v = (void *)1;
	size_t cnt = 7;
	const char *why;
	int err = diff(o, n, 100, &v, &cnt, &why);
	ok(err == TLD_EPARSE && why != NULL && v == NULL && cnt == 0, "%s: TLD_EPARSE (%s)", label,
	   why != NULL ? why : "no reason");
}

static void test_malformed(void)
{
	char n[4096];
	bad("old text without a final newline", APEX "aaa1.test.\t1\tIN\tA\t192.0.2.1", APEX);
	bad("new text without a final newline", APEX, APEX "aaa1.test.\t1\tIN\tA\t192.0.2.1");
	bad("relative owner", BASE, APEX "aaa1.test\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("owner @", BASE, APEX "@\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("escaped final dot", BASE, APEX "aaa1.test\\.\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("empty line", BASE, APEX "\n" BBB);
	bad("line starting with a TAB", BASE, APEX "\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("line without a TAB", BASE, APEX "aaa1.test. 1 IN A 192.0.2.1\n" BBB);
	bad("comment line", BASE, APEX "; hello\n" BBB);
	bad("$ORIGIN line", BASE, APEX "$ORIGIN test.\n" BBB);
	bad("escape at the end of a line", BASE, APEX "aaa1.test.\\\n" BBB);
	bad("escape \\999", BASE, APEX "a\\999.test.\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("empty label", BASE, APEX "a..test.\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("label of 64 octets", BASE,
	    APEX "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test.\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("quote in an owner", BASE, APEX "a\"b.test.\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("CR in an owner", BASE, APEX "ab.test.\r\t1\tIN\tA\t192.0.2.1\n" BBB);
	bad("owners out of order", BASE, APEX BBB AAA1 ZZZ);
	bad("owners out of order (new before old's next)", BASE, APEX AAA1 AAA12 GLUE BBB "ccc.test.\t1\tIN\tA\t192.0.2.1\n" "bbc.test.\t1\tIN\tA\t192.0.2.1\n" ZZZ);
	bad("an owner's lines not consecutive", BASE, APEX AAA1 BBB "aaa1.test.\t172800\tIN\tNS\tns3.p1.net.\n" ZZZ);
	bad("an owner twice in a row after a change", APEX AAA1 BBB, APEX AAA1 "bbb.test.\t1\tIN\tA\t192.0.2.1\n" AAA1);
	bad("glue before its delegation", BASE, APEX AAA1 GLUE AAA12 BBB ZZZ);
	snprintf(n, sizeof(n), "%s%s", BASE, "aaa.test.\t1\tIN\tA\t192.0.2.1\n");
	bad("a name out of order at the end", BASE, n);
	bad("the apex after the others", AAA1 APEX, AAA1 "test.\t1\tIN\tA\t192.0.2.1\n");
	/* malformed only where both texts are the same: not looked at (documented) */
	struct signer_owner_change *v;
	size_t cnt;
	const char *why;
	const char *o = APEX BBB AAA1 "ccc.test.\t1\tIN\tA\t192.0.2.1\n", *n2 = APEX BBB AAA1 "ccc.test.\t1\tIN\tA\t192.0.2.2\n";
	ok(signer_text_diff(o, strlen(o), n2, strlen(n2), 100, &v, &cnt, &why) == TLD_OK && cnt == 1,
	   "out of order only in the same stretch: not looked at, the change found");
	free(v);
}

/*
 * The diff split near the start of the line holding mark in n (o, n: the
 * texts), against one pass: the same verdict and changes; *split whether
 * the halves were taken.
 */
static int split_diff(const char *label, const char *o, const char *n, const char *mark, size_t max, size_t *cnt,
                      bool *split)
{
	size_t ol, nl, n1 = 0;
	char *a = copy_text(o, &ol), *b = copy_text(n, &nl);
	size_t at = (size_t)(strstr(n, mark) - n);
	struct signer_owner_change *v = NULL;
	const char *why = NULL;
	int err = signer_text_diff_at(a, ol, b, nl, max, at, &v, &n1, &why, split);
	const char *verdict = patch_diff_split_at(a, ol, b, nl, max, at);
	if (verdict != NULL) {
		diag("%s: %s", label, verdict);
		err = TLD_EIO;
	}
	*cnt = err == TLD_OK ? n1 : 0;
	free(v);
	free(a);
	free(b);
	return err;
}

static void test_split(void)
{
	const char *glue2 = "ns1.aaa12.test.\t172800\tIN\tA\t192.0.2.9\n";
	const char *aaa12b = "aaa12.test.\t172800\tIN\tNS\tns2.aaa12.test.\n";
	const char *bbb2 = "bbb.test.\t172800\tIN\tNS\tns9.p2.net.\n";
	const char *bad_line = "b b.test.\t1\tIN\tA\t192.0.2.1\n";
	char o[8192], n[8192];
	size_t cnt = 0;
	bool split = false;
	/* at AAA12's line: the halves split before the glue's group */
	snprintf(n, sizeof(n), "%s%s%s%s", APEX AAA1 AAA12, glue2, BBB, ZZZ);
	ok(split_diff("at the split", BASE, n, AAA12, 100, &cnt, &split) == TLD_OK && cnt == 1 && split,
	   "split: the group after the split point changed");
	snprintf(n, sizeof(n), "%s%s%s", APEX AAA1, aaa12b, GLUE BBB ZZZ);
	ok(split_diff("before the split", BASE, n, aaa12b, 100, &cnt, &split) == TLD_OK && cnt == 1 && split,
	   "split: the group before the split point changed");
	ok(split_diff("removed at the split", BASE, APEX AAA1 AAA12 BBB ZZZ, AAA12, 100, &cnt, &split) == TLD_OK &&
	           cnt == 1 && split,
	   "split: the group at the split point removed, split at the next");
	ok(split_diff("added at the split", APEX AAA1 AAA12 BBB ZZZ, BASE, AAA12, 100, &cnt, &split) == TLD_OK &&
	           cnt == 1 && split,
	   "split: the group at the split point added (not in the old text), split at the next");
	snprintf(o, sizeof(o), "%s%s%s", APEX AAA1, aaa12b, GLUE BBB ZZZ);
	snprintf(n, sizeof(n), "%s%s%s", APEX AAA1 AAA12 GLUE, bbb2, ZZZ);
	ok(split_diff("both halves", o, n, "aaa12.test.", 100, &cnt, &split) == TLD_OK && cnt == 2 && split,
	   "split: a change in each half");
	/* no split point: after the last group's line, or no group after it in the old text */
	ok(split_diff("in the last group", BASE, BASE, "zzz.test.\t86400", 100, &cnt, &split) == TLD_OK && cnt == 0 &&
	           !split,
	   "split: in the last group, no split point: one pass");
	size_t nl = (size_t)snprintf(n, sizeof(n), "%s", APEX AAA1);
	for (int i = 0; i < 12; i++) {
		nl += (size_t)snprintf(n + nl, sizeof(n) - nl, "b%02d.test.\t1\tIN\tA\t192.0.2.1\n", i);
	}
	ok(split_diff("none in the old text", APEX AAA1, n, AAA1, 100, &cnt, &split) == TLD_OK && cnt == 12 && !split,
	   "split: the groups after the split point not in the old text: one pass");
	/* the limit: in the first half, in the second, or only in both together */
	snprintf(o, sizeof(o), "%s%s%s%s", APEX AAA1, aaa12b, glue2, BBB ZZZ);
	snprintf(n, sizeof(n), "%s%s%s", APEX AAA1 AAA12 GLUE, bbb2, ZZZ);
	ok(split_diff("limit in the first half", o, n, "bbb.test.", 1, &cnt, &split) == TLD_ERANGE && !split,
	   "split: more changes than allowed in the first half: TLD_ERANGE as one pass");
	snprintf(o, sizeof(o), "%s%s%s", APEX AAA1 AAA12 GLUE, bbb2, "zzz.test.\t1\tIN\tA\t192.0.2.1\n");
	ok(split_diff("limit in the second half", o, BASE, AAA1, 1, &cnt, &split) == TLD_ERANGE && !split,
	   "split: more changes than allowed in the second half: TLD_ERANGE as one pass");
	snprintf(n, sizeof(n), "%s%s%s", APEX AAA1 AAA12 GLUE, bbb2, ZZZ);
	snprintf(o, sizeof(o), "%s%s%s", APEX AAA1, aaa12b, GLUE BBB ZZZ);
	ok(split_diff("limit together", o, n, "ns1.aaa12", 1, &cnt, &split) == TLD_ERANGE && !split,
	   "split: one change in each half, one allowed: TLD_ERANGE as one pass");
	ok(split_diff("limit together, met", o, n, "ns1.aaa12", 2, &cnt, &split) == TLD_OK && cnt == 2 && split,
	   "split: one change in each half, two allowed: TLD_OK");
	/* parse errors in either half, the limit before or after them */
	snprintf(n, sizeof(n), "%s%s%s", APEX, bad_line, AAA1 AAA12 GLUE BBB ZZZ);
	ok(split_diff("bad line in the first half", BASE, n, "ns1.aaa12", 100, &cnt, &split) == TLD_EPARSE && !split,
	   "split: a malformed line in the first half: TLD_EPARSE as one pass");
	snprintf(n, sizeof(n), "%s%s%s", APEX AAA1 AAA12 GLUE, bad_line, ZZZ);
	ok(split_diff("bad line in the second half", BASE, n, AAA1, 100, &cnt, &split) == TLD_EPARSE && !split,
	   "split: a malformed line in the second half: TLD_EPARSE as one pass");
	snprintf(o, sizeof(o), "%s%s%s", APEX AAA1, aaa12b, GLUE BBB ZZZ);
	ok(split_diff("change, then a bad line", o, n, "ns1.aaa12", 1, &cnt, &split) == TLD_EPARSE,
	   "split: a change in the first half, a malformed line in the second, one allowed: TLD_EPARSE as one pass");
	ok(split_diff("change, then a bad line", o, n, "ns1.aaa12", 0, &cnt, &split) == TLD_ERANGE,
	   "split: the same, none allowed: TLD_ERANGE as one pass");
	/* out of order across the split point */
	ok(split_diff("out of order", BASE, APEX AAA1 BBB AAA12 GLUE ZZZ, AAA1, 100, &cnt, &split) == TLD_EPARSE &&
	           !split,
	   "split: owners out of order at the split point: TLD_EPARSE as one pass");
	ok(split_diff("out of order before", APEX "ddd.test.\t1\tIN\tA\t192.0.2.1\n" AAA1 BBB ZZZ,
	              APEX "ccc.test.\t1\tIN\tA\t192.0.2.1\n" "ddd.test.\t1\tIN\tA\t192.0.2.1\n" AAA1 BBB ZZZ, AAA1, 100,
	              &cnt, &split) == TLD_OK,
	   "split: owners out of order before the split point, as one pass");
}

static void test_find(void)
{
	size_t len, off = 0, glen = 0;
	char *t = copy_text(BASE, &len);
	uint8_t w[SIGNER_DNAME_MAX];
	size_t wl;
	struct {
		const char *name, *group;
	} hits[] = {
		{ "test.", APEX }, { "aaa1.test.", AAA1 }, { "aaa12.test.", AAA12 }, { "ns1.aaa12.test.", GLUE },
		{ "bbb.test.", BBB }, { "zzz.test.", ZZZ }, { "ZZZ.TEST.", ZZZ }, { "BBB.test.", BBB },
	};
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		wl = signer_zparse_name(hits[i].name, strlen(hits[i].name), NULL, w);
		int err = signer_text_find_owner(t, len, w, wl, &off, &glen);
		ok(err == TLD_OK && off == (size_t)(strstr(BASE, hits[i].group) - BASE) && glen == strlen(hits[i].group),
		   "find_owner %s (err %d)", hits[i].name, err);
	}
	const char *misses[] = { ".", "a.", "aaa.test.", "aaa10.test.", "aaa123.test.", "ns2.aaa12.test.",
		                 "a.ns1.aaa12.test.", "zzzz.test.", "zzz.test.test.", "bbb.tesu." };
	for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
		wl = signer_zparse_name(misses[i], strlen(misses[i]), NULL, w);
		ok(signer_text_find_owner(t, len, w, wl, &off, &glen) == TLD_ENOENT, "find_owner %s: TLD_ENOENT",
		   misses[i]);
	}
	wl = signer_zparse_name("test.", 5, NULL, w);
	ok(signer_text_find_owner(t, 0, w, wl, &off, &glen) == TLD_ENOENT, "find_owner in an empty text: TLD_ENOENT");
	ok(signer_text_find_owner(t, len - 1, w, wl, &off, &glen) == TLD_EPARSE, "no final newline: TLD_EPARSE");
	ok(signer_text_find_owner(t, len, w, wl - 1, &off, &glen) == TLD_EINVAL, "owner of the wrong length: TLD_EINVAL");
	w[0] = 64;
	ok(signer_text_find_owner(t, len, w, wl, &off, &glen) == TLD_EINVAL, "not a wire name: TLD_EINVAL");
	free(t);
	t = copy_text(APEX "bbb\t1\tIN\tA\t192.0.2.1\n" ZZZ, &len);
	wl = signer_zparse_name("ccc.test.", 9, NULL, w);
	ok(signer_text_find_owner(t, len, w, wl, &off, &glen) == TLD_EPARSE, "a probed relative owner: TLD_EPARSE");
	free(t);
}

/* ---- random texts ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rnd(size_t n)
{
	return (size_t)(next_rand() % n);
}

struct name {
	uint8_t wire[SIGNER_DNAME_MAX];
	size_t wire_len;
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len;
};

/* A random wire name below test.: short labels over few bytes (shared prefixes), some that need escapes. */
static void random_name(struct name *nm)
{
	static const uint8_t bytes[] = { 'a', 'a', 'b', '1', '2', '-', 'A', '.', '\\', 0, 9, ' ', 0xff, '"' };
	size_t o = 0, labels = 1 + rnd(3);
	for (size_t l = 0; l < labels; l++) {
		size_t ll = 1 + rnd(l == 0 ? 6 : 3);
		nm->wire[o++] = (uint8_t)ll;
		for (size_t i = 0; i < ll; i++) {
			nm->wire[o++] = rnd(5) == 0 ? bytes[rnd(sizeof(bytes))] : bytes[rnd(5)];
		}
	}
	memcpy(nm->wire + o, "\4test", 6);
	nm->wire_len = o + 6;
	signer_dname_copy_lower(nm->wire, nm->wire, nm->wire_len);
	nm->key_len = signer_dname_key(nm->wire, nm->key);
}

static int name_cmp(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	return signer_key_cmp(x->key, x->key_len, y->key, y->key_len);
}

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* An owner's presentation text, sometimes spelled another way (upper case, \DDD for a letter). */
static size_t spell(const struct name *nm, char *out, bool other)
{
	char t[1024];
	size_t l = signer_dname_to_text(nm->wire, t, sizeof(t)), o = 0;
	for (size_t i = 0; i < l; i++) {
		if (other && t[i] >= 'a' && t[i] <= 'z' && rnd(2) == 0) {
			if (rnd(2) == 0) {
				out[o++] = (char)(t[i] - 32);
			} else {
				o += (size_t)sprintf(out + o, "\\%03u", (unsigned)(unsigned char)t[i]);
			}
		} else {
			out[o++] = t[i];
		}
	}
	return o;
}

/* The lines of an owner: k records with values from seed. */
static void put_group(struct buf *b, const struct name *nm, bool other_spelling, size_t k, uint64_t seed)
{
	char owner[1100], line[1300];
	size_t ol = spell(nm, owner, other_spelling);
	for (size_t i = 0; i < k; i++) {
		put(b, owner, ol);
		int n = snprintf(line, sizeof(line), "\t172800\tIN\tNS\tns%zu.p%llu.net.\n", i,
		                 (unsigned long long)(seed % 1000));
		put(b, line, (size_t)n);
		seed /= 3;
	}
}

/*
 * Two texts from one sorted pool of names: each name in both (mostly the
 * same lines), in one only, or changed, at rate/1000 each.
 */
static void random_texts(size_t names, unsigned rate, struct buf *o, struct buf *n)
{
	struct name *pool = malloc((names + 1) * sizeof(*pool));
	memset(&pool[0], 0, sizeof(pool[0]));
	memcpy(pool[0].wire, "\4test", 6); /* the apex first */
	pool[0].wire_len = 6;
	pool[0].key_len = signer_dname_key(pool[0].wire, pool[0].key);
	for (size_t i = 1; i <= names; i++) {
		random_name(&pool[i]);
	}
	qsort(pool + 1, names, sizeof(*pool), name_cmp);
	size_t cnt = 1;
	for (size_t i = 1; i <= names; i++) { /* distinct names, none equal to the apex */
		if (name_cmp(&pool[i], &pool[cnt - 1]) != 0) {
			pool[cnt++] = pool[i];
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		uint64_t seed = next_rand();
		size_t k = 1 + rnd(3);
		bool in_old = true, in_new = true, respell = false;
		uint64_t seed2 = seed;
		size_t k2 = k;
		if (rnd(1000) < rate) {
			switch (rnd(5)) {
			case 0: in_old = false; break;
			case 1: in_new = false; break;
			case 2: seed2 = next_rand(); break;
			case 3: k2 = 1 + rnd(3); break;
			default: respell = true; break;
			}
		}
		if (in_old) {
			put_group(o, &pool[i], false, k, seed);
		}
		if (in_new) {
			put_group(n, &pool[i], respell, k2, seed2);
		}
	}
	free(pool);
}

static void test_random(void)
{
	static const unsigned rates[] = { 0, 1, 10, 100, 500, 1000 };
	static const size_t sizes[] = { 3, 30, 300, 3000, 20000 };
	size_t rounds = 0, failed = 0, total_changes = 0, erange = 0;
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (size_t ri = 0; ri < sizeof(rates) / sizeof(rates[0]); ri++) {
			for (int rep = 0; rep < (sizes[si] > 3000 ? 1 : sizes[si] > 300 ? 4 : 20); rep++) {
				struct buf o = { 0 }, n = { 0 };
				random_texts(sizes[si], rates[ri], &o, &n);
				size_t nc;
				const char *v = patch_diff_check(o.p, o.len, n.p, n.len, SIZE_MAX, &nc);
				if (v == NULL && nc == SIZE_MAX) {
					v = "the plain way refused valid texts";
				}
				total_changes += nc;
				size_t max = nc > 0 ? nc - rnd(2) : 0; /* at or one below the count */
				size_t nc2;
				const char *v2 = patch_diff_check(o.p, o.len, n.p, n.len, max, &nc2);
				erange += max < nc;
				if (v != NULL || v2 != NULL) {
					if (failed++ < 5) {
						diag("size %zu rate %u: %s", sizes[si], rates[ri], v != NULL ? v : v2);
					}
				}
				rounds++;
				free(o.p);
				free(n.p);
			}
		}
	}
	ok(failed == 0, "valid random texts: the diff agrees with the plain way (%zu pairs, %zu changes, %zu over max)",
	   rounds, total_changes, erange);
}

/* Corrupted random texts: a byte changed, a line moved or dropped, a newline removed. */
static void test_random_corrupt(void)
{
	size_t rounds = 0, failed = 0, rejected = 0, refused = 0;
	for (int rep = 0; rep < 400; rep++) {
		struct buf o = { 0 }, n = { 0 };
		random_texts(rep % 4 == 0 ? 2000 : 40, 20, &o, &n);
		struct buf *t = rnd(2) ? &o : &n;
		if (t->len < 2) {
			free(o.p);
			free(n.p);
			continue;
		}
		switch (rnd(4)) {
		case 0: t->p[rnd(t->len)] = (char)"\t\n.\\;a$ 0"[rnd(9)]; break;
		case 1: { /* swap two bytes */
			size_t i = rnd(t->len), j = rnd(t->len);
			char c = t->p[i];
			t->p[i] = t->p[j];
			t->p[j] = c;
			break;
		}
		case 2: /* drop the last byte */
			t->len--;
			break;
		default: { /* move a line to the end */
			size_t i = rnd(t->len);
			while (i > 0 && t->p[i - 1] != '\n') {
				i--;
			}
			char *nl = memchr(t->p + i, '\n', t->len - i);
			size_t l = (size_t)(nl - t->p) + 1 - i;
			char line[2048];
			if (l < sizeof(line)) {
				memcpy(line, t->p + i, l);
				memmove(t->p + i, t->p + i + l, t->len - i - l);
				memcpy(t->p + t->len - l, line, l);
			}
			break;
		}
		}
		size_t nc;
		struct signer_owner_change *v = NULL;
		size_t cnt;
		const char *why;
		rejected += signer_text_diff(o.p, o.len, n.p, n.len, SIZE_MAX, &v, &cnt, &why) == TLD_EPARSE;
		free(v);
		const char *verdict = patch_diff_check(o.p, o.len, n.p, n.len, SIZE_MAX, &nc);
		refused += nc == SIZE_MAX;
		if (verdict != NULL && failed++ < 5) {
			diag("corrupted texts: %s", verdict);
		}
		rounds++;
		free(o.p);
		free(n.p);
	}
	ok(failed == 0, "corrupted random texts: consistent with the plain way (%zu pairs; %zu refused by the plain way, %zu by the diff)",
	   rounds, refused, rejected);
}

int main(void)
{
	plan_lazy();
	test_identical();
	test_simple();
	test_prefixes();
	test_escapes();
	test_groups();
	test_malformed();
	test_find();
	test_random();
	test_random_corrupt();
	test_split();
	ok(patch_diff_splits_taken > 0 && patch_diff_splits_taken < patch_diff_splits_tried,
	   "every diff above also split anywhere: %zu of %zu splits taken, all as one pass", patch_diff_splits_taken,
	   patch_diff_splits_tried);
	return exit_status();
}
