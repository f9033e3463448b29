/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For tests and the fuzz target of signer/patch_diff.c: the changed owners
 * of two texts the plain way -- every line of both texts read with
 * signer_text_line_owner() (the diff's own rules for one line), cut into
 * groups, the whole order checked, the two group lists merged -- and
 * patch_diff_check(), which holds signer_text_diff() and
 * signer_text_find_owner() against it, and signer_text_diff_at() split
 * anywhere against one pass.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/dname.h"
#include "signer/patch_diff.h"

struct naive_group {
	uint8_t wire[SIGNER_DNAME_MAX];
	size_t wire_len;
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len;
	size_t off, len;
};

/* Every group of a text, all checked; *out caller-freed. */
static inline int naive_groups(const char *t, size_t len, struct naive_group **out, size_t *n)
{
	struct naive_group *v = NULL;
	size_t cnt = 0, cap = 0, pos = 0;
	*out = NULL;
	*n = 0;
	if (len > 0 && t[len - 1] != '\n') {
		return TLD_EPARSE;
	}
	while (pos < len) {
		uint8_t wire[SIGNER_DNAME_MAX];
		size_t wl, end;
		const char *why;
		if (signer_text_line_owner(t, len, pos, wire, &wl, &end, &why) != TLD_OK) {
			free(v);
			return TLD_EPARSE;
		}
		if (cnt > 0 && v[cnt - 1].wire_len == wl && memcmp(v[cnt - 1].wire, wire, wl) == 0) {
			v[cnt - 1].len = end - v[cnt - 1].off;
		} else {
			if (cnt == cap) {
				cap = cap ? 2 * cap : 16;
				struct naive_group *nv = realloc(v, cap * sizeof(*v));
				if (nv == NULL) {
					free(v);
					return TLD_ENOMEM;
				}
				v = nv;
			}
			struct naive_group *g = &v[cnt];
			memcpy(g->wire, wire, wl);
			g->wire_len = wl;
			g->key_len = signer_dname_key(wire, g->key);
			g->off = pos;
			g->len = end - pos;
			if (cnt > 0 && signer_key_cmp(v[cnt - 1].key, v[cnt - 1].key_len, g->key, g->key_len) >= 0) {
				free(v);
				return TLD_EPARSE;
			}
			cnt++;
		}
		pos = end;
	}
	*out = v;
	*n = cnt;
	return TLD_OK;
}

/* Appends one change (room checked by the caller). */
static inline void naive_change(struct signer_owner_change *c, enum signer_owner_change_kind kind,
                                const struct naive_group *a, const struct naive_group *b)
{
	const struct naive_group *g = a != NULL ? a : b;
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	memcpy(c->owner, g->wire, g->wire_len);
	c->owner_len = g->wire_len;
	if (a != NULL) {
		c->old_off = a->off;
		c->old_len = a->len;
	}
	if (b != NULL) {
		c->new_off = b->off;
		c->new_len = b->len;
	}
}

/* All changes between two texts (no limit); *out caller-freed. */
static inline int naive_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                             struct signer_owner_change **out, size_t *n)
{
	struct naive_group *a, *b;
	size_t na, nb;
	int err = naive_groups(old_text, old_len, &a, &na);
	if (err != TLD_OK) {
		return err;
	}
	err = naive_groups(new_text, new_len, &b, &nb);
	if (err != TLD_OK) {
		free(a);
		return err;
	}
	struct signer_owner_change *v = malloc((na + nb + 1) * sizeof(*v));
	size_t cnt = 0, i = 0, j = 0;
	while (v != NULL && (i < na || j < nb)) {
		int c = i == na ? 1 : j == nb ? -1 : signer_key_cmp(a[i].key, a[i].key_len, b[j].key, b[j].key_len);
		if (c == 0) {
			if (a[i].len != b[j].len || memcmp(old_text + a[i].off, new_text + b[j].off, a[i].len) != 0) {
				naive_change(&v[cnt++], SIGNER_OWNER_CHANGED, &a[i], &b[j]);
			}
			i++;
			j++;
		} else if (c < 0) {
			naive_change(&v[cnt++], SIGNER_OWNER_REMOVED, &a[i++], NULL);
		} else {
			naive_change(&v[cnt++], SIGNER_OWNER_ADDED, NULL, &b[j++]);
		}
	}
	free(a);
	free(b);
	if (v == NULL) {
		return TLD_ENOMEM;
	}
	*out = v;
	*n = cnt;
	return TLD_OK;
}

static inline bool same_change(const struct signer_owner_change *x, const struct signer_owner_change *y)
{
	return x->kind == y->kind && x->owner_len == y->owner_len && memcmp(x->owner, y->owner, x->owner_len) == 0 &&
	       x->old_off == y->old_off && x->old_len == y->old_len && x->new_off == y->new_off &&
	       x->new_len == y->new_len;
}

/* find_owner must give exactly the group the change names in text t (present), or TLD_ENOENT (absent). */
static inline bool found_as(const char *t, size_t len, const struct signer_owner_change *c, bool present,
                            size_t off, size_t glen)
{
	size_t o = 0, l = 0;
	int err = signer_text_find_owner(t, len, c->owner, c->owner_len, &o, &l);
	return present ? err == TLD_OK && o == off && l == glen : err == TLD_ENOENT;
}

/* Splits tried and taken by patch_diff_split_check() (in this file's user). */
static size_t patch_diff_splits_tried, patch_diff_splits_taken;

/*
 * signer_text_diff_at() split near new-text offset at against one pass
 * (at SIZE_MAX): NULL when the verdict, the reason and the changes are the
 * same, else what differs.
 */
static inline const char *patch_diff_split_at(const char *old_text, size_t old_len, const char *new_text,
                                              size_t new_len, size_t max, size_t at)
{
	struct signer_owner_change *one = NULL, *two = NULL;
	size_t n1 = 0, n2 = 0;
	const char *why1 = NULL, *why2 = NULL, *verdict = NULL;
	bool split = false;
	int e1 = signer_text_diff_at(old_text, old_len, new_text, new_len, max, SIZE_MAX, &one, &n1, &why1, NULL);
	int e2 = signer_text_diff_at(old_text, old_len, new_text, new_len, max, at, &two, &n2, &why2, &split);
	patch_diff_splits_tried++;
	patch_diff_splits_taken += split;
	if (e1 == TLD_ENOMEM || e2 == TLD_ENOMEM) {
		verdict = NULL;
	} else if (e1 != e2) {
		verdict = "split: another verdict than one pass";
	} else if (e1 != TLD_OK) {
		verdict = why1 == why2 ? NULL : "split: another reason than one pass";
	} else if (n1 != n2 || (n1 == 0) != (two == NULL)) {
		verdict = "split: another number of changes than one pass";
	} else {
		for (size_t i = 0; i < n1 && verdict == NULL; i++) {
			verdict = same_change(&one[i], &two[i]) ? NULL : "split: another change than one pass";
		}
	}
	if (e1 == TLD_OK) {
		free(one);
	}
	if (e2 == TLD_OK) {
		free(two);
	}
	return verdict;
}

/* patch_diff_split_at() at 2 places of the new text (a third, two thirds). */
static inline const char *patch_diff_split_check(const char *old_text, size_t old_len, const char *new_text,
                                                 size_t new_len, size_t max)
{
	const char *verdict = patch_diff_split_at(old_text, old_len, new_text, new_len, max, new_len / 3);
	return verdict != NULL ? verdict : patch_diff_split_at(old_text, old_len, new_text, new_len, max, new_len / 3 * 2);
}

/*
 * signer_text_diff(..., max, ...) against the plain way: NULL when they
 * agree, else what differs.  When the plain way accepts both texts, the
 * diff must give the same changes (TLD_ERANGE exactly when there are more
 * than max) and find_owner every changed group; when it does not, the diff
 * may only say TLD_OK or TLD_EPARSE, and TLD_OK with no change only for
 * identical texts.  *n_changes: the plain way's number of changes, SIZE_MAX
 * when it refuses the texts.
 */
static inline const char *patch_diff_check(const char *old_text, size_t old_len, const char *new_text,
                                           size_t new_len, size_t max, size_t *n_changes)
{
	struct signer_owner_change *want = NULL, *got = NULL;
	size_t nw = 0, ng = 0;
	const char *why = NULL, *verdict = NULL;
	int ref = naive_diff(old_text, old_len, new_text, new_len, &want, &nw);
	int err = signer_text_diff(old_text, old_len, new_text, new_len, max, &got, &ng, &why);
	*n_changes = ref == TLD_OK ? nw : SIZE_MAX;
	if (ref == TLD_ENOMEM || err == TLD_ENOMEM) {
		verdict = NULL;
	} else if (ref != TLD_OK) {
		if (err != TLD_OK && err != TLD_EPARSE && err != TLD_ERANGE) {
			verdict = "malformed texts: neither TLD_OK, TLD_EPARSE nor TLD_ERANGE";
		} else if (err == TLD_OK && ng == 0 && (old_len != new_len || memcmp(old_text, new_text, old_len) != 0)) {
			verdict = "malformed texts: no change reported for texts that differ";
		} else if (err == TLD_EPARSE && why == NULL) {
			verdict = "TLD_EPARSE without a reason";
		}
	} else if (nw > max) {
		verdict = err == TLD_ERANGE ? NULL : "more changes than max_changes and not TLD_ERANGE";
	} else if (err != TLD_OK) {
		verdict = "valid texts not compared";
	} else if (ng != nw) {
		verdict = "another number of changes";
	} else {
		for (size_t i = 0; i < nw && verdict == NULL; i++) {
			const struct signer_owner_change *c = &want[i];
			if (!same_change(c, &got[i])) {
				verdict = "another change";
			} else if (!found_as(old_text, old_len, c, c->kind != SIGNER_OWNER_ADDED, c->old_off, c->old_len)) {
				verdict = "find_owner: another answer in the old text";
			} else if (!found_as(new_text, new_len, c, c->kind != SIGNER_OWNER_REMOVED, c->new_off, c->new_len)) {
				verdict = "find_owner: another answer in the new text";
			}
		}
	}
	free(want);
	free(got);
	return verdict != NULL ? verdict : patch_diff_split_check(old_text, old_len, new_text, new_len, max);
}
