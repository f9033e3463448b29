/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two zone texts walked together: see publish/zonewalk.h. */
#include "publish/zonewalk.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"

/* Lines of one owner matched as a set, at most. */
#define GROUP_MAX 256

/* Bytes compared at a time, each piece fed to the checks while it is still in the cache. */
#define PIECE ((size_t)256 << 10)

int tld_delta_refuse(const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tld_info("%s: delta from the current version not taken: %s", name, msg);
	return TLD_EAGAIN;
}

/* Bytes no line of the plain form holds (zoneparse.c's scan_line()), and '$' (directives). */
static bool special_byte(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7f || c == '"' ||
	       c == '(' || c == ')' || c == ';' || c == '\\' || c == '$';
}

/* 32 bytes as lanes (GCC vector extensions: SIMD code on every target, AVX2 where it runs). */
typedef unsigned char lanes __attribute__((vector_size(32)));
typedef unsigned long long words __attribute__((vector_size(32)));

/* Sum of the lanes of *v, each at most 31 (vectors by pointer: no vector ABI). */
static inline size_t lane_sum(const lanes *v)
{
	words w = (words)*v;
	size_t sum = 0;
	for (int k = 0; k < 4; k++) {
		sum += (size_t)((w[k] * 0x0101010101010101ull) >> 56);
	}
	return sum;
}

/* Sets in *acc the lanes of *p that special_byte() refuses. */
static inline void special_lanes(const lanes *p, lanes *acc)
{
	lanes v = *p;
	lanes ctl = (lanes)((v < 0x20) & (v != '\t') & (v != '\n') & (v != '\r'));
	*acc |= ctl | (lanes)(v >= 0x7f) | (lanes)(v == '"') | (lanes)(v == '(') | (lanes)(v == ')') |
	        (lanes)(v == ';') | (lanes)(v == '\\') | (lanes)(v == '$');
}

/*
 * Length of the common prefix of a and b (n bytes at most); adds the
 * newlines in it to *nl and sets *special when it holds a special byte.
 * 32 bytes at a time up to the block where they differ, then byte by byte.
 */
#if defined(__x86_64__) && !defined(__clang__)
#define WIDE_LANES __attribute__((target_clones("avx2", "default")))
#else
#define WIDE_LANES
#endif

WIDE_LANES
static size_t common_prefix(const char *a, const char *b, size_t n, size_t *nl, bool *special)
{
	size_t i = 0, lines = 0;
	lanes acc = { 0 }, counts = { 0 };
	unsigned blocks = 0;
	bool sp;
	for (; i + 32 <= n; i += 32) {
		lanes va, vb;
		memcpy(&va, a + i, 32);
		memcpy(&vb, b + i, 32);
		words ne = (words)(va ^ vb);
		if ((ne[0] | ne[1] | ne[2] | ne[3]) != 0) {
			break;
		}
		counts -= (lanes)(va == '\n');
		special_lanes(&va, &acc);
		if (++blocks == 31) {
			lines += lane_sum(&counts);
			counts = (lanes){ 0 };
			blocks = 0;
		}
	}
	lines += lane_sum(&counts);
	words w = (words)acc;
	sp = (w[0] | w[1] | w[2] | w[3]) != 0;
	for (; i < n && a[i] == b[i]; i++) {
		lines += a[i] == '\n';
		sp |= special_byte((unsigned char)a[i]);
	}
	*nl += lines;
	*special |= sp;
	return i;
}

/* Feeds a text's check the bytes before s->pos + ahead (when it has a check). */
static void feed_check(const struct tld_walk_text *s, size_t ahead)
{
	if (s->check != NULL) {
		tld_text_check_feed(s->check, s->t, s->pos + ahead);
	}
}

/*
 * common_prefix() of the texts from o->pos and n->pos (rest bytes at most),
 * piece by piece, each piece fed to the texts' checks after it is compared.
 */
static size_t equal_stretch(const struct tld_walk_text *o, const struct tld_walk_text *n, size_t rest,
                            size_t *nl, bool *special)
{
	size_t m = 0;
	for (;;) {
		size_t lim = rest - m < PIECE ? rest - m : PIECE;
		size_t k = common_prefix(o->t + o->pos + m, n->t + n->pos + m, lim, nl, special);
		m += k;
		feed_check(o, m);
		feed_check(n, m);
		if (k < lim || m == rest) {
			return m;
		}
	}
}

/* Length of the line at s->pos, without its newline. */
static size_t line_len(const struct tld_walk_text *s)
{
	const char *nl = memchr(s->t + s->pos, '\n', s->len - s->pos);
	return nl != NULL ? (size_t)(nl - (s->t + s->pos)) : s->len - s->pos;
}

/* Moves to the next line, past one of length l. */
static void next_line(struct tld_walk_text *s, size_t l)
{
	s->pos += l + (s->pos + l < s->len);
	s->line++;
}

static size_t owner_token_len(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && s[i] != ' ' && s[i] != '\t') {
		i++;
	}
	return i;
}

/* Whether the line names its owner and its TTL: then what follows it reads alike whatever came before. */
static bool names_owner_and_ttl(const char *s, size_t len)
{
	if (len == 0 || s[0] == ' ' || s[0] == '\t') {
		return false;
	}
	size_t i = owner_token_len(s, len);
	while (i < len && (s[i] == ' ' || s[i] == '\t')) {
		i++;
	}
	size_t digits = i;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		i++;
	}
	return i > digits && i < len && (s[i] == ' ' || s[i] == '\t');
}

/*
 * Whether the len bytes at s hold a special byte: 32 at a time, the last
 * 32 (overlapping the block before) for the rest of a line of 32 or more,
 * byte by byte only in a shorter one.
 */
WIDE_LANES
static bool has_special(const char *s, size_t len)
{
	size_t i = 0;
	lanes acc = { 0 };
	for (; i + 32 <= len; i += 32) {
		lanes v;
		memcpy(&v, s + i, 32);
		special_lanes(&v, &acc);
	}
	if (i < len && len >= 32) {
		lanes v;
		memcpy(&v, s + len - 32, 32);
		special_lanes(&v, &acc);
		i = len;
	}
	words w = (words)acc;
	bool sp = (w[0] | w[1] | w[2] | w[3]) != 0;
	for (; i < len && !sp; i++) {
		sp = special_byte((unsigned char)s[i]);
	}
	return sp;
}

/* A line of the plain form that names its owner and TTL (a line matched, not read). */
static bool plain_line(const char *s, size_t len)
{
	return !has_special(s, len) && names_owner_and_ttl(s, len);
}

static int change_add(struct tld_line_changes *l, const struct tld_walk_text *s, size_t len, size_t hint)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct tld_line_change *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			return TLD_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct tld_line_change){ .off = s->pos, .len = len, .line = s->line, .hint = hint };
	return TLD_OK;
}

/*
 * The owner of the line at s->pos (len bytes) must not sort before the
 * owner of the line before it: texts in canonical order only (out of order,
 * the delta would be large and the text not a signer's).
 */
static int check_order(const struct tld_walk_text *s, size_t len)
{
	if (s->pos == 0) {
		return TLD_OK;
	}
	const char *end = s->t + s->pos - 1;  /* the newline ending the previous line */
	const char *start = s->pos >= 2 ? memrchr(s->t, '\n', s->pos - 1) : NULL;
	start = start != NULL ? start + 1 : s->t;
	size_t pl = (size_t)(end - start), pt = owner_token_len(start, pl);
	size_t ct = owner_token_len(s->t + s->pos, len);
	if (pt == ct && memcmp(start, s->t + s->pos, ct) == 0) {
		return TLD_OK;
	}
	uint8_t a[TLD_DNS_MAXNAME], b[TLD_DNS_MAXNAME];
	size_t al, bl;
	if (tld_line_reader_owner(s->rd, start, pl, a, &al) != TLD_OK ||
	    tld_line_reader_owner(s->rd, s->t + s->pos, len, b, &bl) != TLD_OK) {
		return tld_delta_refuse(s->name, "line %zu: an owner the fast reader does not read",
		                        s->line + 1);
	}
	if (tld_wire_name_canon_cmp(a, b) >= 0) {
		return tld_delta_refuse(s->name, "line %zu: owner out of canonical order", s->line + 1);
	}
	return TLD_OK;
}

/*
 * Lines from s->pos on whose owner token is tok: their lengths in lens, their
 * number returned (0: none of that form, or too many).
 */
static size_t owner_group(const struct tld_walk_text *s, const char *tok, size_t tl, size_t *lens)
{
	struct tld_walk_text c = *s;
	size_t n = 0;
	while (c.pos < c.len) {
		size_t l = line_len(&c);
		if (l <= tl || memcmp(c.t + c.pos, tok, tl) != 0 ||
		    (c.t[c.pos + tl] != ' ' && c.t[c.pos + tl] != '\t')) {
			break;
		}
		if (n == GROUP_MAX) {
			return 0;
		}
		lens[n++] = l;
		next_line(&c, l);
	}
	return n;
}

/*
 * The lines of one owner in both texts (the first lines of o and n): those
 * alike in both are matched as a set, the others are removed or added.
 */
static int owner_step(struct tld_walk_text *o, struct tld_walk_text *n, size_t tl,
                      struct tld_line_changes *rem, struct tld_line_changes *add)
{
	size_t ol[GROUP_MAX], nlen[GROUP_MAX];
	bool nmatched[GROUP_MAX] = { false };
	const char *tok = o->t + o->pos;
	size_t no = owner_group(o, tok, tl, ol), nn = owner_group(n, tok, tl, nlen);
	size_t hint = o->line;
	int r;
	if (no == 0 || nn == 0) {
		return tld_delta_refuse(n->name, "line %zu: lines of one owner not of the plain form, or "
		                        "more than %d", n->line + 1, GROUP_MAX);
	}
	if ((r = check_order(o, ol[0])) != TLD_OK || (r = check_order(n, nlen[0])) != TLD_OK) {
		return r;
	}
	/* each old line: alike one of the new lines, or removed */
	size_t npos[GROUP_MAX];
	struct tld_walk_text c = *n;
	for (size_t j = 0; j < nn; j++) {
		npos[j] = c.pos;
		next_line(&c, nlen[j]);
	}
	for (size_t i = 0; i < no; i++) {
		const char *s = o->t + o->pos;
		size_t j = 0;
		for (; j < nn; j++) {
			if (!nmatched[j] && nlen[j] == ol[i] && memcmp(n->t + npos[j], s, ol[i]) == 0) {
				break;
			}
		}
		if (j < nn) {
			nmatched[j] = true;
			if (!plain_line(s, ol[i])) {
				return tld_delta_refuse(o->name, "line %zu: not a plain record line",
				                        o->line + 1);
			}
		} else if ((r = change_add(rem, o, ol[i], hint)) != TLD_OK) {
			return r;
		}
		next_line(o, ol[i]);
	}
	for (size_t j = 0; j < nn; j++) {
		if (!nmatched[j] && (r = change_add(add, n, nlen[j], hint)) != TLD_OK) {
			return r;
		}
		next_line(n, nlen[j]);
	}
	return TLD_OK;
}

/*
 * One step where the lines at o and n differ (or one text has ended): a
 * removed line, an added line, or the lines of one owner.
 */
static int change_step(struct tld_walk_text *o, struct tld_walk_text *n, struct tld_line_changes *rem,
                       struct tld_line_changes *add)
{
	int r;
	if (o->pos >= o->len || n->pos >= n->len) {
		struct tld_walk_text *s = o->pos >= o->len ? n : o;
		struct tld_line_changes *l = s == o ? rem : add;
		size_t len = line_len(s);
		if ((r = check_order(s, len)) == TLD_OK && (r = change_add(l, s, len, o->line)) == TLD_OK) {
			next_line(s, len);
		}
		return r;
	}
	size_t lo = line_len(o), ln = line_len(n);
	const char *so = o->t + o->pos, *sn = n->t + n->pos;
	size_t to = owner_token_len(so, lo), tn = owner_token_len(sn, ln);
	if (to == 0 || tn == 0) {
		return tld_delta_refuse(n->name, "line %zu or current line %zu: no owner", n->line + 1,
		                        o->line + 1);
	}
	if (to == tn && memcmp(so, sn, to) == 0) {
		return owner_step(o, n, to, rem, add);
	}
	uint8_t a[TLD_DNS_MAXNAME], b[TLD_DNS_MAXNAME];
	size_t al, bl;
	if (tld_line_reader_owner(o->rd, so, lo, a, &al) != TLD_OK ||
	    tld_line_reader_owner(n->rd, sn, ln, b, &bl) != TLD_OK) {
		return tld_delta_refuse(n->name, "line %zu: an owner the fast reader does not read",
		                        n->line + 1);
	}
	int c = tld_wire_name_canon_cmp(a, b);
	if (c == 0) {
		return tld_delta_refuse(n->name, "line %zu: an owner written otherwise", n->line + 1);
	}
	struct tld_walk_text *s = c < 0 ? o : n;
	size_t len = c < 0 ? lo : ln;
	if ((r = check_order(s, len)) == TLD_OK &&
	    (r = change_add(c < 0 ? rem : add, s, len, o->line)) == TLD_OK) {
		next_line(s, len);
	}
	return r;
}

/* Reads the SOA lines of both texts (their first lines). */
static int read_soas(struct tld_walk_text *o, struct tld_walk_text *n)
{
	size_t lo = line_len(o), ln = line_len(n);
	struct tld_walk_text *s[2] = { o, n };
	size_t l[2] = { lo, ln };
	int r;
	if (lo == ln && memcmp(o->t, n->t, lo) == 0) {
		return tld_delta_refuse(n->name, "the SOA line did not change");
	}
	for (int k = 0; k < 2; k++) {
		if ((r = tld_line_reader_read(s[k]->rd, s[k]->t, l[k])) != TLD_OK) {
			return r == TLD_EAGAIN ? tld_delta_refuse(s[k]->name, "line 1: not a plain record line")
			                       : r;
		}
		const uint8_t *rec = tld_line_reader_records(s[k]->rd)->data;
		if (tld_get16(rec + 1 + rec[0]) != TLD_RR_SOA) {
			return tld_delta_refuse(s[k]->name, "line 1: not the SOA");
		}
	}
	size_t to = owner_token_len(o->t, lo);
	if (to != owner_token_len(n->t, ln) || memcmp(o->t, n->t, to) != 0) {
		return tld_delta_refuse(n->name, "line 1: the SOA owner is written otherwise");
	}
	next_line(o, lo);
	next_line(n, ln);
	return TLD_OK;
}

/*
 * Walks both texts: equal stretches by one comparison, the lines that differ
 * into rem (current text) and add (new text).  Sets *lines to the number of
 * lines of the current text.
 */
int tld_zone_walk(struct tld_walk_text *o, struct tld_walk_text *n, struct tld_line_changes *rem,
                  struct tld_line_changes *add, size_t *lines)
{
	size_t most = 1024 + (o->len + n->len) / 1024;
	int r = read_soas(o, n);
	while (r == TLD_OK && (o->pos < o->len || n->pos < n->len)) {
		/* the lines here must name owner and TTL: what follows reads alike in both */
		if ((o->pos < o->len && !names_owner_and_ttl(o->t + o->pos, line_len(o))) ||
		    (n->pos < n->len && !names_owner_and_ttl(n->t + n->pos, line_len(n)))) {
			return tld_delta_refuse(n->name, "line %zu or current line %zu: owner or TTL not named",
			                        n->line + 1, o->line + 1);
		}
		size_t rest = o->len - o->pos < n->len - n->pos ? o->len - o->pos : n->len - n->pos;
		size_t nl = 0;
		bool special = false;
		size_t m = equal_stretch(o, n, rest, &nl, &special);
		if (special) {
			return tld_delta_refuse(o->name, "after line %zu: a directive, comment, parenthesis, "
			                        "quote, escape or control byte", o->line + 1);
		}
		/* back to the start of the line where they differ */
		size_t back = 0;
		while (back < m && o->t[o->pos + m - back - 1] != '\n') {
			back++;
		}
		if (m == rest && o->len - o->pos == n->len - n->pos) {
			/* the same to the end: the last line counts even without a newline */
			o->line += nl + (back > 0);
			break;
		}
		o->pos += m - back;
		n->pos += m - back;
		o->line += nl;
		n->line += nl;
		if ((r = change_step(o, n, rem, add)) != TLD_OK) {
			return r;
		}
		if (rem->n + add->n > most) {
			return tld_delta_refuse(n->name, "more than %zu lines changed", most);
		}
	}
	*lines = o->line;
	return r;
}
