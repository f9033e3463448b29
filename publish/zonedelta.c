/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The delta path of a publish preparation: see publish/zonedelta.h for what it relies on. */
#include "publish/zonedelta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "publish/sidejob.h"

/* Lines of one owner matched as a set at most; records an added one's place may be from its line's. */
#define GROUP_MAX 256
#define SEARCH_MAX 4096

struct mapped {
	int fd;
	const char *p;
	size_t len;
};

/* One of the two texts, walked line by line. */
struct side {
	const char *t;
	size_t len;
	size_t pos;                /*!< start of the current line */
	size_t line;               /*!< its index (0: the SOA line) */
	tld_line_reader_t *rd;     /*!< reads this text's changed lines (its SOA line first) */
	const char *name;
};

/* A changed line, and the index of the current image's record near which its record is. */
struct change {
	size_t off, len, line, hint;
	const uint8_t *rec;        /*!< its record, once read */
};

struct change_list {
	struct change *v;
	size_t n, cap;
};

struct tld_zone_delta {
	struct mapped old_text, old_image;
	const uint8_t *img;        /*!< the current image's records */
	size_t img_len, count;
	size_t *rr;                /*!< their offsets in img */
	uint32_t old_serial;
	uint64_t old_check;        /*!< the current image's check as recorded */
	uint64_t new_check;        /*!< the new image's */
	tld_line_reader_t *old_rd, *new_rd;
	struct change_list removed, added;   /*!< after cancelling, in canonical order */
	size_t *removed_at;        /*!< current index of each removed record, ascending */
	size_t *added_at;          /*!< current index each added record goes before, non-decreasing */
	const uint8_t *soa;
	uint32_t serial;
	size_t new_count;
	uint64_t new_len;
};

static int __attribute__((format(printf, 2, 3))) give_up(const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tld_info("%s: delta from the current version not taken: %s", name, msg);
	return TLD_EAGAIN;
}

/* Maps path whole.  \return TLD_OK, or the error of open/mmap */
static int map_file(const char *path, struct mapped *m)
{
	struct stat st;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0 || fstat(m->fd, &st) != 0) {
		return tld_errno(errno);
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		return TLD_EINVAL;
	}
	m->len = (size_t)st.st_size;
	void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, m->fd, 0);
	if (p == MAP_FAILED) {
		return tld_errno(errno);
	}
	m->p = p;
	return TLD_OK;
}

static void unmap_file(struct mapped *m)
{
	if (m->p != NULL) {
		munmap((void *)m->p, m->len);
	}
	if (m->fd >= 0) {
		close(m->fd);
	}
	m->p = NULL;
	m->fd = -1;
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
__attribute__((target_clones("avx2", "default")))
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

/* Length of the line at s->pos, without its newline. */
static size_t line_len(const struct side *s)
{
	const char *nl = memchr(s->t + s->pos, '\n', s->len - s->pos);
	return nl != NULL ? (size_t)(nl - (s->t + s->pos)) : s->len - s->pos;
}

/* Moves to the next line, past one of length l. */
static void next_line(struct side *s, size_t l)
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

/* A line of the plain form that names its owner and TTL (a line matched, not read). */
static bool plain_line(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (special_byte((unsigned char)s[i])) {
			return false;
		}
	}
	return names_owner_and_ttl(s, len);
}

static int change_add(struct change_list *l, const struct side *s, size_t len, size_t hint)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct change *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			return TLD_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct change){ .off = s->pos, .len = len, .line = s->line, .hint = hint };
	return TLD_OK;
}

/*
 * The owner of the line at s->pos (len bytes) must not sort before the
 * owner of the line before it: texts in canonical order only (out of order,
 * the delta would be large and the text not a signer's).
 */
static int check_order(const struct side *s, size_t len)
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
		return give_up(s->name, "line %zu: an owner the fast reader does not read", s->line + 1);
	}
	if (tld_wire_name_canon_cmp(a, b) >= 0) {
		return give_up(s->name, "line %zu: owner out of canonical order", s->line + 1);
	}
	return TLD_OK;
}

/* Lines from s->pos on whose owner token is tok: their lengths in lens, their number returned (0: too many). */
static size_t owner_group(const struct side *s, const char *tok, size_t tl, size_t *lens)
{
	struct side c = *s;
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
static int owner_step(struct side *o, struct side *n, size_t tl, struct change_list *rem,
                      struct change_list *add)
{
	size_t ol[GROUP_MAX], nlen[GROUP_MAX];
	bool nmatched[GROUP_MAX] = { false };
	const char *tok = o->t + o->pos;
	size_t no = owner_group(o, tok, tl, ol), nn = owner_group(n, tok, tl, nlen);
	size_t hint = o->line;
	int r;
	if (no == 0 || nn == 0) {
		return give_up(n->name, "line %zu: more than %d lines of one owner changed", n->line + 1,
		               GROUP_MAX);
	}
	if ((r = check_order(o, ol[0])) != TLD_OK || (r = check_order(n, nlen[0])) != TLD_OK) {
		return r;
	}
	/* each old line: alike one of the new lines, or removed */
	size_t npos[GROUP_MAX];
	struct side c = *n;
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
				return give_up(o->name, "line %zu: not a plain record line", o->line + 1);
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
static int change_step(struct side *o, struct side *n, struct change_list *rem,
                       struct change_list *add)
{
	int r;
	if (o->pos >= o->len || n->pos >= n->len) {
		struct side *s = o->pos >= o->len ? n : o;
		struct change_list *l = s == o ? rem : add;
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
		return give_up(n->name, "line %zu or current line %zu: no owner", n->line + 1, o->line + 1);
	}
	if (to == tn && memcmp(so, sn, to) == 0) {
		return owner_step(o, n, to, rem, add);
	}
	uint8_t a[TLD_DNS_MAXNAME], b[TLD_DNS_MAXNAME];
	size_t al, bl;
	if (tld_line_reader_owner(o->rd, so, lo, a, &al) != TLD_OK ||
	    tld_line_reader_owner(n->rd, sn, ln, b, &bl) != TLD_OK) {
		return give_up(n->name, "line %zu: an owner the fast reader does not read", n->line + 1);
	}
	int c = tld_wire_name_canon_cmp(a, b);
	if (c == 0) {
		return give_up(n->name, "line %zu: an owner written otherwise", n->line + 1);
	}
	struct side *s = c < 0 ? o : n;
	size_t len = c < 0 ? lo : ln;
	if ((r = check_order(s, len)) == TLD_OK &&
	    (r = change_add(c < 0 ? rem : add, s, len, o->line)) == TLD_OK) {
		next_line(s, len);
	}
	return r;
}

/* Reads the SOA lines of both texts (their first lines). */
static int read_soas(struct side *o, struct side *n)
{
	size_t lo = line_len(o), ln = line_len(n);
	struct side *s[2] = { o, n };
	size_t l[2] = { lo, ln };
	int r;
	if (lo == ln && memcmp(o->t, n->t, lo) == 0) {
		return give_up(n->name, "the SOA line did not change");
	}
	for (int k = 0; k < 2; k++) {
		if ((r = tld_line_reader_read(s[k]->rd, s[k]->t, l[k])) != TLD_OK) {
			return r == TLD_EAGAIN ? give_up(s[k]->name, "line 1: not a plain record line") : r;
		}
		const uint8_t *rec = tld_line_reader_records(s[k]->rd)->data;
		if (tld_get16(rec + 1 + rec[0]) != TLD_RR_SOA) {
			return give_up(s[k]->name, "line 1: not the SOA");
		}
	}
	size_t to = owner_token_len(o->t, lo);
	if (to != owner_token_len(n->t, ln) || memcmp(o->t, n->t, to) != 0) {
		return give_up(n->name, "line 1: the SOA owner is written otherwise");
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
static int walk(struct side *o, struct side *n, struct change_list *rem, struct change_list *add,
                size_t *lines)
{
	size_t most = 1024 + (o->len + n->len) / 1024;
	int r = read_soas(o, n);
	while (r == TLD_OK && (o->pos < o->len || n->pos < n->len)) {
		/* the lines here must name owner and TTL: what follows reads alike in both */
		if ((o->pos < o->len && !names_owner_and_ttl(o->t + o->pos, line_len(o))) ||
		    (n->pos < n->len && !names_owner_and_ttl(n->t + n->pos, line_len(n)))) {
			return give_up(n->name, "line %zu or current line %zu: owner or TTL not named",
			               n->line + 1, o->line + 1);
		}
		size_t rest = o->len - o->pos < n->len - n->pos ? o->len - o->pos : n->len - n->pos;
		size_t nl = 0;
		bool special = false;
		size_t m = common_prefix(o->t + o->pos, n->t + n->pos, rest, &nl, &special);
		if (special) {
			return give_up(o->name, "after line %zu: a directive, comment, parenthesis, quote, "
			               "escape or control byte", o->line + 1);
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
			return give_up(n->name, "more than %zu lines changed", most);
		}
	}
	*lines = o->line;
	return r;
}

/* Canonical order of changes by their records. */
static int change_cmp(const void *a, const void *b)
{
	return tld_image_canon_cmp(((const struct change *)a)->rec, ((const struct change *)b)->rec);
}

/* Reads the changed lines of one text; records sorted in canonical order. */
static int read_changes(const struct side *s, struct change_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = tld_line_reader_read(s->rd, s->t + l->v[i].off, l->v[i].len);
		if (r != TLD_OK) {
			return r == TLD_EAGAIN ? give_up(s->name, "line %zu: not a plain record line",
			                                 l->v[i].line + 1) : r;
		}
	}
	const struct tld_zone_image *img = tld_line_reader_records(s->rd);
	for (size_t i = 0; i < l->n; i++) {
		l->v[i].rec = img->data + img->rr[i + 1];  /* record 0: the SOA */
		if (tld_get16(l->v[i].rec + 1 + l->v[i].rec[0]) == TLD_RR_SOA) {
			return give_up(s->name, "line %zu: a second SOA", l->v[i].line + 1);
		}
	}
	qsort(l->v, l->n, sizeof(*l->v), change_cmp);
	return TLD_OK;
}

/* Drops the records removed and added alike (a line written otherwise, the same record). */
static void cancel_alike(struct change_list *rem, struct change_list *add)
{
	size_t i = 0, j = 0, ki = 0, kj = 0;
	while (i < rem->n || j < add->n) {
		int c = i == rem->n ? 1 : j == add->n ? -1 : tld_image_canon_cmp(rem->v[i].rec, add->v[j].rec);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			rem->v[ki++] = rem->v[i++];
		} else {
			add->v[kj++] = add->v[j++];
		}
	}
	rem->n = ki;
	add->n = kj;
}

static bool same_owner(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && memcmp(a + 1, b + 1, a[0]) == 0;
}

/* Finds each removed record in the current image, among the records of its owner at its line's place. */
static int place_removed(struct tld_zone_delta *d, const char *name)
{
	for (size_t k = 0; k < d->removed.n; k++) {
		const struct change *c = &d->removed.v[k];
		size_t h = c->hint, i;
		if (h < 1 || h >= d->count || !same_owner(d->img + d->rr[h], c->rec)) {
			return give_up(name, "current line %zu: its record is not at its place in the image",
			               c->line + 1);
		}
		i = h;
		while (i > 1 && h - i < SEARCH_MAX && same_owner(d->img + d->rr[i - 1], c->rec)) {
			i--;
		}
		/* the same record removed twice: the next one */
		if (k > 0 && tld_image_same_record(d->removed.v[k - 1].rec, c->rec) &&
		    i <= d->removed_at[k - 1]) {
			i = d->removed_at[k - 1] + 1;
		}
		for (size_t lim = h + SEARCH_MAX; i < d->count && i < lim && same_owner(d->img + d->rr[i], c->rec);
		     i++) {
			if (tld_image_same_record(d->img + d->rr[i], c->rec)) {
				break;
			}
		}
		if (i == d->count || !tld_image_same_record(d->img + d->rr[i], c->rec)) {
			return give_up(name, "current line %zu: its record is not in the image", c->line + 1);
		}
		if (k > 0 && i <= d->removed_at[k - 1]) {
			return give_up(name, "current image not in canonical order near record %zu", i);
		}
		d->removed_at[k] = i;
	}
	return TLD_OK;
}

/* Finds where each added record goes: before the first current record not before it. */
static int place_added(struct tld_zone_delta *d, const char *name)
{
	for (size_t k = 0; k < d->added.n; k++) {
		const struct change *c = &d->added.v[k];
		size_t p = c->hint < 1 ? 1 : c->hint > d->count ? d->count : c->hint, steps = 0;
		while (p < d->count && tld_image_canon_cmp(d->img + d->rr[p], c->rec) < 0 &&
		       steps++ < SEARCH_MAX) {
			p++;
		}
		while (p > 1 && tld_image_canon_cmp(d->img + d->rr[p - 1], c->rec) > 0 &&
		       steps++ < SEARCH_MAX) {
			p--;
		}
		if (steps >= SEARCH_MAX || (k > 0 && p < d->added_at[k - 1])) {
			return give_up(name, "line %zu: no place for its record near its line's",
			               c->line + 1);
		}
		d->added_at[k] = p;
	}
	return TLD_OK;
}

int tld_zone_text_digest(const char *text, size_t len, char hex[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, text, len) == 1 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	         mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		return TLD_ECRYPTO;
	}
	for (unsigned i = 0; i < 32; i++) {
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	return TLD_OK;
}

/* A check of the current version beside the text walk. */
struct check_job {
	struct tld_side_job run;
	struct tld_zone_delta *d;
	const struct tld_version_info *cur;
	const char *name;
	int r;
};

/* Waits for a check.  \return its result */
static int check_join(struct check_job *job)
{
	tld_side_join(&job->run);
	return job->r;
}

/* The current image: mapped, its header, every record checked and indexed, its check the recorded one. */
static void check_image(void *arg)
{
	struct check_job *job = arg;
	struct tld_zone_delta *d = job->d;
	const char *path = job->cur->image;
	uint32_t hserial, from;
	uint64_t len, sum = 0;
	int r = map_file(path, &d->old_image);
	if (r != TLD_OK) {
		job->r = r == TLD_ENOMEM ? r : give_up(job->name, "%s: %s", path, tld_strerror(r));
		return;
	}
	if (d->old_image.len < TLD_IMAGE_HEADER_LEN ||
	    tld_image_header_read((const uint8_t *)d->old_image.p, d->old_image.len, &hserial, &from,
	                          &d->count, &len) != TLD_OK || hserial != job->cur->serial) {
		job->r = give_up(job->name, "%s: not the image of serial %u", path, job->cur->serial);
		return;
	}
	d->img = (const uint8_t *)d->old_image.p + TLD_IMAGE_HEADER_LEN;
	d->img_len = (size_t)len;
	d->old_serial = hserial;
	if ((d->rr = malloc((d->count + 1) * sizeof(*d->rr))) == NULL) {
		job->r = TLD_ENOMEM;
		return;
	}
	if (tld_image_index(d->img, d->img_len, d->rr, d->count) != TLD_OK ||
	    tld_get16(d->img + 1 + d->img[0]) != TLD_RR_SOA) {
		job->r = give_up(job->name, "%s: corrupt zone image", path);
		return;
	}
	d->rr[d->count] = d->img_len;
	for (size_t i = 0; i < d->count; i++) {
		sum += tld_image_record_check(d->img + d->rr[i]);
	}
	if (sum != d->old_check) {
		job->r = give_up(job->name, "%s: not the image recorded (its check differs)", path);
		return;
	}
	job->r = TLD_OK;
}

/* The current zone file: the one recorded (its digest). */
static void check_text(void *arg)
{
	struct check_job *job = arg;
	char hex[65];
	job->r = tld_zone_text_digest(job->d->old_text.p, job->d->old_text.len, hex);
	if (job->r == TLD_OK && strcmp(hex, job->cur->digest) != 0) {
		job->r = give_up(job->name, "%s: not the file recorded (its digest differs)", job->cur->file);
	}
}

int tld_zone_delta_plan(const struct tld_version_info *cur, const char *name, const char *text,
                        size_t len, struct tld_zone_delta **out)
{
	struct tld_zone_delta *d = calloc(1, sizeof(*d));
	struct check_job image = { .d = d, .cur = cur, .name = name };
	struct check_job file = { .d = d, .cur = cur, .name = name };
	size_t lines = 0;
	char *end = NULL;
	int r = TLD_ENOMEM;
	if (d == NULL) {
		return TLD_ENOMEM;
	}
	d->old_text.fd = d->old_image.fd = -1;
	d->old_check = strtoull(cur->image_check, &end, 16);
	if (cur->image_check[0] == 0 || end == NULL || *end != 0) {
		r = give_up(name, "no check of image %s recorded", cur->image);
		goto fail;
	}
	tld_side_start(&image.run, check_image, &image);
	if ((r = map_file(cur->file, &d->old_text)) != TLD_OK) {
		r = r == TLD_ENOMEM ? r : give_up(name, "%s: %s", cur->file, tld_strerror(r));
		goto fail;
	}
	tld_side_start(&file.run, check_text, &file);
	if ((r = tld_line_reader_new(cur->file, &d->old_rd)) != TLD_OK ||
	    (r = tld_line_reader_new(name, &d->new_rd)) != TLD_OK) {
		goto fail;
	}
	struct side o = { .t = d->old_text.p, .len = d->old_text.len, .rd = d->old_rd, .name = cur->file };
	struct side n = { .t = text, .len = len, .rd = d->new_rd, .name = name };
	if ((r = walk(&o, &n, &d->removed, &d->added, &lines)) != TLD_OK ||
	    (r = check_join(&image)) != TLD_OK) {
		goto fail;
	}
	if (lines != d->count) {
		r = give_up(name, "%s has %zu lines, its image %zu records", cur->file, lines, d->count);
		goto fail;
	}
	if ((r = read_changes(&o, &d->removed)) != TLD_OK || (r = read_changes(&n, &d->added)) != TLD_OK) {
		goto fail;
	}
	/* the current SOA line read again is the image's SOA */
	const uint8_t *old_soa = tld_line_reader_records(d->old_rd)->data;
	if (!tld_image_same_record(old_soa, d->img)) {
		r = give_up(name, "%s: its SOA is not the image's", cur->file);
		goto fail;
	}
	size_t changed = d->removed.n + d->added.n;
	cancel_alike(&d->removed, &d->added);
	r = TLD_ENOMEM;
	if ((d->removed_at = malloc((d->removed.n + 1) * sizeof(size_t))) == NULL ||
	    (d->added_at = malloc((d->added.n + 1) * sizeof(size_t))) == NULL) {
		goto fail;
	}
	if ((r = place_removed(d, name)) != TLD_OK || (r = place_added(d, name)) != TLD_OK) {
		goto fail;
	}
	d->soa = tld_line_reader_records(d->new_rd)->data;
	struct tld_image_rr soa;
	struct tld_zone_image one = { .data = (uint8_t *)d->soa, .rr = &(size_t){ 0 }, .count = 1 };
	tld_image_rr(&one, 0, &soa);
	d->serial = tld_get32(soa.rdata + soa.rdlen - 20);
	d->new_count = d->count - d->removed.n + d->added.n;
	d->new_len = d->img_len - tld_image_record_len(d->img) + tld_image_record_len(d->soa);
	d->new_check = d->old_check - tld_image_record_check(d->img) + tld_image_record_check(d->soa);
	for (size_t k = 0; k < d->removed.n; k++) {
		d->new_len -= tld_image_record_len(d->removed.v[k].rec);
		d->new_check -= tld_image_record_check(d->removed.v[k].rec);
	}
	for (size_t k = 0; k < d->added.n; k++) {
		d->new_len += tld_image_record_len(d->added.v[k].rec);
		d->new_check += tld_image_record_check(d->added.v[k].rec);
	}
	if (d->new_count > UINT32_MAX) {
		r = give_up(name, "too many records");
		goto fail;
	}
	/* last: the current file is the one recorded (the slowest check) */
	if ((r = check_join(&file)) != TLD_OK) {
		goto fail;
	}
	tld_info("%s: delta from serial %u: %zu lines differ, %zu records removed, %zu added", name,
	         cur->serial, changed, d->removed.n, d->added.n);
	*out = d;
	return TLD_OK;
fail:
	check_join(&image);
	check_join(&file);
	tld_zone_delta_free(d);
	return r;
}

uint64_t tld_zone_delta_check(const struct tld_zone_delta *d)
{
	return d->new_check;
}

const uint8_t *tld_zone_delta_soa(const struct tld_zone_delta *d)
{
	return d->soa;
}

uint32_t tld_zone_delta_serial(const struct tld_zone_delta *d)
{
	return d->serial;
}

size_t tld_zone_delta_records(const struct tld_zone_delta *d)
{
	return d->new_count;
}

/* Output gathered: the runs straight from the mapped image, IOV_BATCH pieces a call. */
#define IOV_BATCH 1024

/* Writeback is started every WRITEBACK_STEP bytes, so that the final fsync waits for little. */
#define WRITEBACK_STEP ((off_t)32 << 20)

struct writer {
	int fd;
	struct iovec v[IOV_BATCH];
	int n;
	int r;
	off_t written, started;     /*!< bytes written; bytes whose writeback was started */
};

static void flush(struct writer *w)
{
	struct iovec *v = w->v;
	int n = w->n;
	w->n = 0;
	while (w->r == TLD_OK && n > 0) {
		ssize_t k = writev(w->fd, v, n);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			w->r = k < 0 ? tld_errno(errno) : TLD_EIO;
			break;
		}
		w->written += (off_t)k;
		for (; n > 0 && (size_t)k >= v->iov_len; v++, n--) {
			k -= (ssize_t)v->iov_len;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + k;
			v->iov_len -= (size_t)k;
		}
	}
	if (w->r == TLD_OK && w->written - w->started >= WRITEBACK_STEP) {
		/* a hint: failures show at the fsync */
		(void)sync_file_range(w->fd, w->started, w->written - w->started, SYNC_FILE_RANGE_WRITE);
		w->started = w->written;
	}
}

static void put(struct writer *w, const void *p, size_t len)
{
	if (len == 0) {
		return;
	}
	if (w->n == IOV_BATCH) {
		flush(w);
	}
	w->v[w->n++] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
}

int tld_zone_delta_save(const struct tld_zone_delta *d, const char *path)
{
	struct writer w = { .fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) };
	uint8_t hdr[TLD_IMAGE_HEADER_LEN];
	if (w.fd < 0) {
		tld_error("%s: cannot create: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	w.r = TLD_OK;
	tld_image_header_write(hdr, d->serial, 0, d->new_count, d->new_len);
	put(&w, hdr, sizeof(hdr));
	put(&w, d->soa, tld_image_record_len(d->soa));
	/* current records 1.. in runs, less the removed, the added before their places */
	size_t run = 1, ri = 0, ai = 0;
	for (;;) {
		size_t next_r = ri < d->removed.n ? d->removed_at[ri] : d->count;
		size_t next_a = ai < d->added.n ? d->added_at[ai] : d->count;
		size_t stop = next_r < next_a ? next_r : next_a;
		put(&w, d->img + d->rr[run], d->rr[stop] - d->rr[run]);
		run = stop;
		if (ai < d->added.n && next_a <= next_r) {
			put(&w, d->added.v[ai].rec, tld_image_record_len(d->added.v[ai].rec));
			ai++;
		} else if (ri < d->removed.n) {
			run = next_r + 1;
			ri++;
		} else {
			break;
		}
	}
	flush(&w);
	if (w.r == TLD_OK && fsync(w.fd) != 0) {
		w.r = tld_errno(errno);
	}
	if (close(w.fd) != 0 && w.r == TLD_OK) {
		w.r = TLD_EIO;
	}
	if (w.r != TLD_OK) {
		tld_error("%s: write failed: %s", path, tld_strerror(w.r));
	}
	return w.r;
}

int tld_zone_delta_journal(const struct tld_zone_delta *d, struct tld_zone_image **out)
{
	struct tld_image_builder b = { .img = calloc(1, sizeof(struct tld_zone_image)) };
	int r = b.img != NULL ? TLD_OK : TLD_ENOMEM;
	if (r == TLD_OK) {
		r = tld_image_builder_add(&b, d->img, tld_image_record_len(d->img));
	}
	for (size_t k = 0; r == TLD_OK && k < d->removed.n; k++) {
		r = tld_image_builder_add(&b, d->removed.v[k].rec, tld_image_record_len(d->removed.v[k].rec));
	}
	if (r == TLD_OK) {
		r = tld_image_builder_add(&b, d->soa, tld_image_record_len(d->soa));
	}
	for (size_t k = 0; r == TLD_OK && k < d->added.n; k++) {
		r = tld_image_builder_add(&b, d->added.v[k].rec, tld_image_record_len(d->added.v[k].rec));
	}
	if (r != TLD_OK) {
		tld_image_free(b.img);
		return r;
	}
	b.img->soa = 0;
	b.img->serial = d->serial;
	b.img->from_serial = d->old_serial;
	*out = b.img;
	return TLD_OK;
}

void tld_zone_delta_free(struct tld_zone_delta *d)
{
	if (d == NULL) {
		return;
	}
	unmap_file(&d->old_text);
	unmap_file(&d->old_image);
	tld_line_reader_free(d->old_rd);
	tld_line_reader_free(d->new_rd);
	free(d->rr);
	free(d->removed.v);
	free(d->added.v);
	free(d->removed_at);
	free(d->added_at);
	free(d);
}
