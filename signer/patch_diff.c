/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The changed owners between two unsigned zone texts: equal stretches
 * skipped by memcmp(), a walk over owner groups around each difference
 * (signer/patch_diff.h says what it relies on).
 */
#include "signer/patch_diff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/two_cores.h"
#include "signer/zparse.h"

/* Bytes compared by one memcmp() while skipping, and while narrowing down a difference. */
#define SKIP_CHUNK 4096
#define NARROW_CHUNK 64
/* Texts at least this long are compared in two halves on two threads; the groups tried for the split. */
#define SPLIT_MIN (1u << 20)
#define SPLIT_TRIES 8

/* One line's owner: its field (in the text it was read from) and its name. */
struct owner {
	const char *field;
	size_t field_len;
	uint8_t wire[SIGNER_DNAME_MAX];
	size_t wire_len;
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len;
};

/* An owner's group: lines [start, end) of one text. */
struct group {
	struct owner o;
	size_t start, end;
};

static int bad(const char **why, const char *reason)
{
	if (why != NULL) {
		*why = reason;
	}
	return TLD_EPARSE;
}

/*
 * The owner field of the line at pos (text ends with '\n'): its length and
 * the offset after the line's '\n'.
 */
static int owner_field(const char *t, size_t len, size_t pos, size_t *flen, size_t *line_end,
                       const char **why)
{
	const char *nl = memchr(t + pos, '\n', len - pos);
	size_t eol = (size_t)(nl - t);
	if (t[pos] == '$') {
		return bad(why, "a directive line");
	}
	for (size_t i = pos; i < eol; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '\t') {
			if (i == pos) {
				return bad(why, "a line without an owner");
			}
			*flen = i - pos;
			*line_end = eol + 1;
			return TLD_OK;
		}
		if (c == '\\') {
			if (++i == eol) {
				return bad(why, "an escape at the end of a line");
			}
			continue;
		}
		if (c <= ' ' || c == ';' || c == '(' || c == ')' || c == '"') {
			return bad(why, "an owner with a space, control byte, ';', '(', ')' or '\"'");
		}
	}
	return bad(why, "a line without a TAB after its owner");
}

/* Wire form (lower case) of an owner field. */
static int field_wire(const char *f, size_t flen, uint8_t *wire, size_t *wire_len, const char **why)
{
	size_t l = signer_zparse_name(f, flen, NULL, wire);
	if (l == 0) {
		return bad(why, "an owner that is not an absolute name");
	}
	signer_dname_copy_lower(wire, wire, l);
	*wire_len = l;
	return TLD_OK;
}

int signer_text_line_owner(const char *text, size_t len, size_t pos, uint8_t *owner, size_t *owner_len,
                           size_t *line_end, const char **why)
{
	size_t flen;
	int err = owner_field(text, len, pos, &flen, line_end, why);
	return err != TLD_OK ? err : field_wire(text + pos, flen, owner, owner_len, why);
}

/* The owner of the line at pos, with its sort key. */
static int read_owner(const char *t, size_t len, size_t pos, struct owner *o, size_t *line_end,
                      const char **why)
{
	int err = owner_field(t, len, pos, &o->field_len, line_end, why);
	if (err == TLD_OK) {
		err = field_wire(t + pos, o->field_len, o->wire, &o->wire_len, why);
	}
	if (err != TLD_OK) {
		return err;
	}
	o->field = t + pos;
	o->key_len = signer_dname_key(o->wire, o->key);
	return TLD_OK;
}

/* Whether the line at pos has owner o (the same field, or another spelling of the name). */
static int has_owner(const char *t, size_t len, size_t pos, const struct owner *o, bool *same,
                     size_t *line_end, const char **why)
{
	size_t flen;
	int err = owner_field(t, len, pos, &flen, line_end, why);
	if (err != TLD_OK) {
		return err;
	}
	if (flen == o->field_len && memcmp(t + pos, o->field, flen) == 0) {
		*same = true;
		return TLD_OK;
	}
	uint8_t wire[SIGNER_DNAME_MAX];
	size_t wl;
	err = field_wire(t + pos, flen, wire, &wl, why);
	*same = err == TLD_OK && wl == o->wire_len && memcmp(wire, o->wire, wl) == 0;
	return err;
}

/* The group that starts at pos. */
static int read_group(const char *t, size_t len, size_t pos, struct group *g, const char **why)
{
	size_t p;
	int err = read_owner(t, len, pos, &g->o, &p, why);
	while (err == TLD_OK && p < len) {
		bool same;
		size_t next;
		err = has_owner(t, len, p, &g->o, &same, &next, why);
		if (err != TLD_OK || !same) {
			break;
		}
		p = next;
	}
	g->start = pos;
	g->end = p;
	return err;
}

/* Offset of the start of the line holding a[d] (or ending just before it): after the last '\n' in a[0..d). */
static size_t line_start(const char *a, size_t d)
{
	const char *nl = d > 0 ? memrchr(a, '\n', d) : NULL;
	return nl != NULL ? (size_t)(nl - a) + 1 : 0;
}

/* The first offset where a and b (n bytes each) differ, n when none. */
static size_t first_diff(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	while (n - i >= SKIP_CHUNK && memcmp(a + i, b + i, SKIP_CHUNK) == 0) {
		i += SKIP_CHUNK;
	}
	while (n - i >= NARROW_CHUNK && memcmp(a + i, b + i, NARROW_CHUNK) == 0) {
		i += NARROW_CHUNK;
	}
	while (i < n && a[i] == b[i]) {
		i++;
	}
	return i;
}

/* The changes found so far. */
struct diff {
	const char *old_text, *new_text;
	size_t old_len, new_len;
	struct signer_owner_change *v;
	size_t n, cap, max;
	const char **why;
	/* the key of the last owner each side's walk passed (have_*: one was) */
	uint8_t last_old[SIGNER_KEY_MAX], last_new[SIGNER_KEY_MAX];
	size_t last_old_len, last_new_len;
	bool have_old, have_new;
};

static int emit(struct diff *df, enum signer_owner_change_kind kind, const struct group *go,
                const struct group *gn)
{
	if (df->n >= df->max) {
		if (df->why != NULL) {
			*df->why = "more changed owners than allowed";
		}
		return TLD_ERANGE;
	}
	if (df->n == df->cap) {
		size_t cap = df->cap ? df->cap * 2 : 64;
		if (cap > df->max) {
			cap = df->max;
		}
		if (cap > SIZE_MAX / sizeof(*df->v)) {
			return TLD_ENOMEM;
		}
		struct signer_owner_change *v = realloc(df->v, cap * sizeof(*v));
		if (v == NULL) {
			return TLD_ENOMEM;
		}
		df->v = v;
		df->cap = cap;
	}
	struct signer_owner_change *c = &df->v[df->n++];
	const struct owner *o = go != NULL ? &go->o : &gn->o;
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	memcpy(c->owner, o->wire, o->wire_len);
	c->owner_len = o->wire_len;
	if (go != NULL) {
		c->old_off = go->start;
		c->old_len = go->end - go->start;
	}
	if (gn != NULL) {
		c->new_off = gn->start;
		c->new_len = gn->end - gn->start;
	}
	return TLD_OK;
}

/* Checks that g's owner comes strictly after the last one of its side, and makes it the last. */
static int step_order(struct diff *df, const struct group *g, bool old_side)
{
	uint8_t *last = old_side ? df->last_old : df->last_new;
	size_t *last_len = old_side ? &df->last_old_len : &df->last_new_len;
	bool *have = old_side ? &df->have_old : &df->have_new;
	if (*have) {
		int c = signer_key_cmp(last, *last_len, g->o.key, g->o.key_len);
		if (c == 0) {
			return bad(df->why, "an owner's lines not consecutive");
		}
		if (c > 0) {
			return bad(df->why, "owners out of canonical order");
		}
	}
	memcpy(last, g->o.key, g->o.key_len);
	*last_len = g->o.key_len;
	*have = true;
	return TLD_OK;
}

/*
 * Walks groups from *po (old) and *pn (new), both group starts, up to and
 * including the first pair of groups of one owner (changed or not), or to
 * the end of both texts.  *po and *pn are then group starts again, with
 * all before them compared: the caller skips from there with memcmp().
 */
static int walk(struct diff *df, size_t *po, size_t *pn)
{
	struct group go, gn;
	bool have_o = false, have_n = false;
	int err = TLD_OK;
	for (;;) {
		if (!have_o && *po < df->old_len) {
			err = read_group(df->old_text, df->old_len, *po, &go, df->why);
			if (err == TLD_OK) {
				err = step_order(df, &go, true);
			}
			have_o = true;
		}
		if (err == TLD_OK && !have_n && *pn < df->new_len) {
			err = read_group(df->new_text, df->new_len, *pn, &gn, df->why);
			if (err == TLD_OK) {
				err = step_order(df, &gn, false);
			}
			have_n = true;
		}
		if (err != TLD_OK || (!have_o && !have_n)) {
			return err;
		}
		int c = !have_o ? 1 : !have_n ? -1 : signer_key_cmp(go.o.key, go.o.key_len, gn.o.key, gn.o.key_len);
		if (c == 0) {
			size_t lo = go.end - go.start, ln = gn.end - gn.start;
			*po = go.end;
			*pn = gn.end;
			if (lo == ln && memcmp(df->old_text + go.start, df->new_text + gn.start, lo) == 0) {
				return TLD_OK;
			}
			return emit(df, SIGNER_OWNER_CHANGED, &go, &gn);
		}
		if (c < 0) {
			err = emit(df, SIGNER_OWNER_REMOVED, &go, NULL);
			*po = go.end;
			have_o = false;
		} else {
			err = emit(df, SIGNER_OWNER_ADDED, NULL, &gn);
			*pn = gn.end;
			have_n = false;
		}
		if (err != TLD_OK) {
			return err;
		}
	}
}

/* Makes g's owner (of a group the same in both texts) the last one both walks passed. */
static int set_last(struct diff *df, const struct group *g)
{
	df->have_old = df->have_new = false;
	int err = step_order(df, g, true);
	return err != TLD_OK ? err : step_order(df, g, false);
}

/*
 * The texts are the same over d bytes from *po and *pn, which are group
 * starts in both, and differ at d: backs up to the start of the group
 * holding the difference (relative to *po and *pn: *back), and sets the
 * last owners from the line before it.
 */
static int back_up(struct diff *df, size_t po, size_t pn, size_t d, size_t *back)
{
	const char *a = df->old_text + po;
	size_t ls = line_start(a, d);
	*back = ls;
	if (ls == 0) {
		return TLD_OK; /* the last owners are the ones the last walk left */
	}
	size_t pls = line_start(a, ls - 1), end;
	struct group prev;
	bool in_old = false, in_new = false;
	int err = read_owner(df->old_text, df->old_len, po + pls, &prev.o, &end, df->why);
	if (err == TLD_OK && po + ls < df->old_len) {
		err = has_owner(df->old_text, df->old_len, po + ls, &prev.o, &in_old, &end, df->why);
	}
	if (err == TLD_OK && pn + ls < df->new_len) {
		err = has_owner(df->new_text, df->new_len, pn + ls, &prev.o, &in_new, &end, df->why);
	}
	if (err != TLD_OK) {
		return err;
	}
	if (!in_old && !in_new) {
		return set_last(df, &prev);
	}
	/* the line continues the group before it (in one text at least): back to that group's start */
	size_t g = pls;
	while (g > 0) {
		size_t q = line_start(a, g - 1);
		bool same;
		err = has_owner(df->old_text, df->old_len, po + q, &prev.o, &same, &end, df->why);
		if (err != TLD_OK) {
			return err;
		}
		if (!same) {
			*back = g;
			err = read_owner(df->old_text, df->old_len, po + q, &prev.o, &end, df->why);
			return err != TLD_OK ? err : set_last(df, &prev);
		}
		g = q;
	}
	*back = 0;
	return TLD_OK;
}

/* The changes of two texts (each ending with '\n') in one pass, into df (set up by the caller). */
static int one_pass(struct diff *df)
{
	size_t po = 0, pn = 0;
	for (;;) {
		size_t ro = df->old_len - po, rn = df->new_len - pn;
		size_t d = first_diff(df->old_text + po, df->new_text + pn, ro < rn ? ro : rn);
		if (d == ro && d == rn) {
			return TLD_OK;
		}
		size_t back;
		int err = back_up(df, po, pn, d, &back);
		if (err != TLD_OK) {
			return err;
		}
		po += back;
		pn += back;
		err = walk(df, &po, &pn);
		if (err != TLD_OK) {
			return err;
		}
	}
}

static void diff_init(struct diff *df, const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                      size_t max_changes, const char **why)
{
	memset(df, 0, sizeof(*df));
	df->old_text = old_text;
	df->old_len = old_len;
	df->new_text = new_text;
	df->new_len = new_len;
	df->max = max_changes;
	df->why = why;
}

/* signer_text_diff() in one pass (its results written only on success). */
static int diff_whole(const char *old_text, size_t old_len, const char *new_text, size_t new_len, size_t max_changes,
                      struct signer_owner_change **out, size_t *n, const char **why)
{
	struct diff *df = malloc(sizeof(*df));
	if (df == NULL) {
		return TLD_ENOMEM;
	}
	diff_init(df, old_text, old_len, new_text, new_len, max_changes, why);
	int err = one_pass(df);
	if (err == TLD_OK) {
		*out = df->v;
		*n = df->n;
	} else {
		free(df->v);
	}
	free(df);
	return err;
}

/*
 * Where two texts split into halves the diff compares apart: *go and *gn,
 * the starts of the groups of one owner X in both (X's key in x), the
 * first group of the new text that starts after 'at', or one of the next
 * few when the old text has not that one.  Both are after the text's
 * first line, and the line before each has another owner that sorts
 * before X (read at gn - 1 here; at go - 1 signer_text_find_owner()'s
 * search compared it).  False when there is none.
 */
static bool find_split(const char *old_text, size_t old_len, const char *new_text, size_t new_len, size_t at,
                       size_t *go, size_t *gn, uint8_t *x, size_t *x_len)
{
	if (at >= new_len) {
		return false;
	}
	size_t pos = 0, next = 0;
	struct owner prev, o;
	if (read_owner(new_text, new_len, line_start(new_text, at), &prev, &pos, NULL) != TLD_OK) {
		return false;
	}
	for (int tries = 0; pos < new_len && tries < SPLIT_TRIES;) {
		if (read_owner(new_text, new_len, pos, &o, &next, NULL) != TLD_OK) {
			return false;
		}
		int c = signer_key_cmp(prev.key, prev.key_len, o.key, o.key_len);
		if (c > 0) {
			return false; /* out of order here: one pass finds what it makes of it */
		}
		size_t off = 0, glen = 0;
		if (c < 0 && signer_text_find_owner(old_text, old_len, o.wire, o.wire_len, &off, &glen) == TLD_OK &&
		    off > 0) {
			*go = off;
			*gn = pos;
			memcpy(x, o.key, o.key_len);
			*x_len = o.key_len;
			return true;
		}
		tries += c < 0;
		prev = o;
		pos = next;
	}
	return false;
}

/* One half of a split diff, on a thread of its own. */
struct half {
	struct diff df;
	const char *why;
	int err;
};

static void *half_main(void *arg)
{
	struct half *h = arg;
	h->err = one_pass(&h->df);
	return NULL;
}

/*
 * Whether the halves' results are the one pass's: both compared without
 * error, within max_changes together, and each side's last owner the first
 * half's walks passed sorts before X (the one pass would check it against
 * X, which its walks read next on that side).  Then the one pass meets the
 * same groups, in the same order, with the same checks (signer/patch_diff.h).
 */
static bool halves_agree(const struct half *h, const uint8_t *x, size_t x_len, size_t max_changes)
{
	const struct diff *a = &h[0].df;
	return h[0].err == TLD_OK && h[1].err == TLD_OK && a->n <= max_changes && h[1].df.n <= max_changes - a->n &&
	       (!a->have_old || signer_key_cmp(a->last_old, a->last_old_len, x, x_len) < 0) &&
	       (!a->have_new || signer_key_cmp(a->last_new, a->last_new_len, x, x_len) < 0);
}

/* The second half's changes after the first's, its offsets made the whole texts'. */
static int join_halves(struct half *h, size_t go, size_t gn, struct signer_owner_change **out, size_t *n)
{
	size_t n0 = h[0].df.n, n1 = h[1].df.n;
	struct signer_owner_change *v = h[0].df.v;
	if (n1 > 0) {
		if (n0 + n1 > SIZE_MAX / sizeof(*v) || (v = realloc(v, (n0 + n1) * sizeof(*v))) == NULL) {
			return TLD_ENOMEM;
		}
		h[0].df.v = v;
		for (size_t i = 0; i < n1; i++) {
			struct signer_owner_change *c = &v[n0 + i];
			*c = h[1].df.v[i];
			c->old_off += c->kind != SIGNER_OWNER_ADDED ? go : 0;
			c->new_off += c->kind != SIGNER_OWNER_REMOVED ? gn : 0;
		}
	}
	*out = v; /* (NULL when there are none) */
	*n = n0 + n1;
	h[0].df.v = NULL;
	return TLD_OK;
}

int signer_text_diff_at(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                        size_t max_changes, size_t at, struct signer_owner_change **out, size_t *n, const char **why,
                        bool *split)
{
	if (split != NULL) {
		*split = false;
	}
	if ((old_len > 0 && old_text[old_len - 1] != '\n') || (new_len > 0 && new_text[new_len - 1] != '\n')) {
		return bad(why, "no final newline");
	}
	size_t go = 0, gn = 0, x_len = 0;
	uint8_t x[SIGNER_KEY_MAX];
	if (!find_split(old_text, old_len, new_text, new_len, at, &go, &gn, x, &x_len)) {
		return diff_whole(old_text, old_len, new_text, new_len, max_changes, out, n, why);
	}
	struct half *h = malloc(2 * sizeof(*h));
	if (h == NULL) {
		return TLD_ENOMEM;
	}
	diff_init(&h[0].df, old_text, go, new_text, gn, max_changes, &h[0].why);
	diff_init(&h[1].df, old_text + go, old_len - go, new_text + gn, new_len - gn, max_changes, &h[1].why);
	tld_two_cores(half_main, &h[0], &h[1]);
	int err = TLD_EAGAIN;
	if (halves_agree(h, x, x_len, max_changes)) {
		err = join_halves(h, go, gn, out, n);
		if (err == TLD_OK && split != NULL) {
			*split = true;
		}
	}
	free(h[0].df.v);
	free(h[1].df.v);
	free(h);
	/* not as one pass has it (an error, a limit, an order to check): one pass decides */
	return err == TLD_EAGAIN ? diff_whole(old_text, old_len, new_text, new_len, max_changes, out, n, why) : err;
}

int signer_text_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
                     size_t max_changes, struct signer_owner_change **out, size_t *n, const char **why)
{
	bool big = old_len >= SPLIT_MIN && new_len >= SPLIT_MIN;
	return signer_text_diff_at(old_text, old_len, new_text, new_len, max_changes, big ? new_len / 2 : SIZE_MAX, out,
	                           n, why, NULL);
}

int signer_text_find_owner(const char *text, size_t len, const uint8_t *owner, size_t owner_len,
                           size_t *off, size_t *glen)
{
	if (owner == NULL || owner_len == 0 || owner_len > SIGNER_DNAME_MAX ||
	    signer_dname_len(owner, owner_len) != owner_len) {
		return TLD_EINVAL;
	}
	if (len == 0) {
		return TLD_ENOENT;
	}
	if (text[len - 1] != '\n') {
		return TLD_EPARSE;
	}
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len = signer_dname_key(owner, key);
	struct group g;
	size_t lo = 0, hi = len; /* line starts (hi: or len); the owners before lo sort before owner, those from hi not */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t ls = lo + line_start(text + lo, mid - lo), end;
		int err = read_owner(text, len, ls, &g.o, &end, NULL);
		if (err != TLD_OK) {
			return err;
		}
		if (signer_key_cmp(g.o.key, g.o.key_len, key, key_len) < 0) {
			lo = end;
		} else {
			hi = ls;
		}
	}
	if (lo == len) {
		return TLD_ENOENT;
	}
	int err = read_group(text, len, lo, &g, NULL);
	if (err != TLD_OK) {
		return err;
	}
	if (signer_key_cmp(g.o.key, g.o.key_len, key, key_len) != 0) {
		return TLD_ENOENT;
	}
	*off = g.start;
	*glen = g.end - g.start;
	return TLD_OK;
}
