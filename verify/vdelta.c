/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Delta verification: a new version of a signed zone checked by its changes
 * against the previous version, which the verifier checked and found correct
 * (its facts are in the state file, verify/vstate.h).
 *
 * The unit of change is the top-level subtree: the apex alone, or one label
 * directly below the apex with every name under it (in a TLD: a delegation
 * with its glue; an NSEC3 owner).  Every per-name check of the verifier
 * depends only on the name's subtree, the apex and the options:
 *   - the name's flags (apex, delegation, secure, glue below a cut, empty
 *     non-terminal, needs its own NSEC3): build_names() derives them from the
 *     name's records and its ancestors below the apex, all in its subtree
 *     (at a subtree's start its state is the same as at the zone's start:
 *     the common ancestor with the name before is the apex, no cut above);
 *   - the signature checks (vsig.c): the RRset, its RRSIGs, the flags, the
 *     apex's DNSKEY set, now and the refresh window;
 *   - an NSEC3 record's own checks (owner, parameters, flags, TTL): the
 *     record and the apex (NSEC3PARAM, SOA TTL and MINIMUM);
 *   - a name's NSEC3 hash: the name and the NSEC3PARAM.
 * What is global: the NSEC3 chain (closed, ordered, no duplicate), each
 * name's match or opt-out cover, each NSEC3 matched by a name, a match's
 * bitmap, every signature's times against now, and the counts.  The state
 * holds exactly what these need (vstate.h).
 *
 * The delta path runs only when all of this holds, else the full path runs:
 *   - the state is intact, of this zone, and describes exactly the bytes of
 *     the previous file (their tag under the state's key, computed now:
 *     verify/filemac.h);
 *   - the apex digest (DNSKEY records, NSEC3PARAM, min(SOA TTL, MINIMUM)) is
 *     the state's: every unchanged signature was checked against the same
 *     key set and algorithms, every unchanged NSEC3 against the same
 *     parameters and TTL, every unchanged name hashed with them;
 *   - both files are "line-oriented": every line one whole record with an
 *     absolute owner, no directive, comment, blank line, parenthesis,
 *     quote or escape (the previous file: when its state was written; the
 *     new one: every line not byte-identical to the previous file's), so a
 *     line's parse depends on nothing around it;
 *   - in both files the lines of each subtree are together and the subtrees
 *     come in canonical order (checked here for the new file's changed
 *     lines; the previous file's order is a condition of writing its state).
 * Then the two files are walked together: byte-identical runs cost a memcmp;
 * at a difference, the subtrees that differ (changed, added or removed) are
 * taken whole from both files, with the apex's lines.  Those of the new file
 * are loaded as a partial zone and get every per-name check in full (vsig.c
 * with the verified-signature cache, vdenial.c's per-NSEC3 checks); those of
 * the previous file are loaded too, for what they contributed to the facts.
 * The new facts are old facts - previous parts + new parts, and the global
 * checks run on them in full: the whole NSEC3 ring, every name's match or
 * cover, every NSEC3 matched, every signature's times.  A bitmap is checked
 * again when its name or its NSEC3 changed: for a changed name against its
 * types; for an unchanged name whose NSEC3 changed, against the previous
 * NSEC3 with the same hash, which matched this unchanged name's types (no
 * such record: the full path).  An unchanged name with an unchanged NSEC3
 * was checked with the same bytes when the previous version passed.
 *
 * The delta path only ever concludes "passes": any failure of the changed
 * part, of the global checks, or anything unexpected, and the verification
 * runs again in full, so a failing zone gets exactly the full path's report.
 * Soundness therefore rests on: the state describing a version that passed
 * (written only then, checksummed, tied to the file by a keyed MAC whose key
 * only the state holds; whoever can write it can write the zone beside it
 * too), and the locality above.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "verify/internal.h"

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- the tag of a file's text, and its line check, on a thread ---- */

/* Whether the byte may not appear in a line-oriented record (see above). */
static bool bad_char(unsigned char c)
{
	return c == '(' || c == ')' || c == '"' || c == '\\' || c == ';' || c == 0;
}

/* Whether any byte of p is a bad_char(): 16 at a time where SSE2 is there. */
static bool has_bad_byte(const char *p, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8('('), b = _mm_set1_epi8(')'), q = _mm_set1_epi8('"'),
	              s = _mm_set1_epi8('\\'), c = _mm_set1_epi8(';'), z = _mm_setzero_si128();
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(
		        _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)),
		        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, s)),
		                     _mm_or_si128(_mm_cmpeq_epi8(v, c), _mm_cmpeq_epi8(v, z))));
		if (_mm_movemask_epi8(m) != 0) {
			return true;
		}
	}
#endif
	for (; i < n; i++) {
		if (bad_char((unsigned char)p[i])) {
			return true;
		}
	}
	return false;
}

/* A line's start: not blank, no directive; an absolute owner, then a blank. */
static bool line_start_ok(const char *p, size_t len)
{
	if (len == 0 || p[0] == ' ' || p[0] == '\t' || p[0] == '$' || p[0] == '\r') {
		return false;
	}
	size_t ol = 0;
	while (ol < len && p[ol] != ' ' && p[ol] != '\t') {
		ol++;
	}
	return ol < len && p[ol - 1] == '.';
}

/* One line: whole record with an absolute owner, nothing that depends on other lines. */
static bool line_ok(const char *p, size_t len)
{
	return line_start_ok(p, len) && !has_bad_byte(p, len);
}

bool vfy_text_line_oriented(const char *text, size_t len)
{
	if (has_bad_byte(text, len)) {
		return false;
	}
	size_t pos = 0;
	while (pos < len) {
		const char *e = memchr(text + pos, '\n', len - pos);
		size_t l = e ? (size_t)(e - (text + pos)) : len - pos;
		if (!line_start_ok(text + pos, l)) {
			return false;
		}
		pos += l + 1;
	}
	return true;
}

static void *mac_run(void *arg)
{
	for (struct vfy_mac_job *j = arg; j != NULL; j = j->then) {
		j->ret = j->mac != NULL ? vfy_filemac_tag(j->mac, j->text, j->len, j->tag) : TLD_ECRYPTO;
		if (j->check_lines) {
			j->line_oriented = vfy_text_line_oriented(j->text, j->len);
		}
	}
	tld_debug("verify: a tag%s done, thread cpu %.3f s", ((struct vfy_mac_job *)arg)->check_lines ? " and line check" : "", tld_thread_cpu_seconds());
	return NULL;
}

void vfy_mac_start(struct vfy_mac_job *j)
{
	j->started = pthread_create(&j->thread, NULL, mac_run, j) == 0;
	if (!j->started) {
		mac_run(j);
	}
}

void vfy_mac_wait(struct vfy_mac_job *j)
{
	if (j->started) {
		pthread_join(j->thread, NULL);
		j->started = false;
	}
}

/* ---- the walk ---- */

enum { G_APEX, G_LABEL, G_END, G_BAD };

/* A line's subtree: the apex, a label below it, the end of the file, or not in the zone. */
struct grp {
	int kind;
	const char *lab;
	size_t len;
};

struct file {
	const char *t;
	size_t len;
};

struct ranges {
	size_t (*v)[2];
	size_t n, cap;
	size_t bytes;
};

struct walk {
	struct file o, n;
	const char *apex;          /* presentation form, e.g. "test." */
	size_t apex_len;
	struct ranges ro, rn;
	size_t groups;
	const char *why;
};

static size_t line_len(const struct file *f, size_t pos)
{
	const char *e = memchr(f->t + pos, '\n', f->len - pos);
	return e ? (size_t)(e - (f->t + pos)) : f->len - pos;
}

static struct grp group_of(const struct walk *w, const struct file *f, size_t pos)
{
	struct grp g = { .kind = G_END };
	if (pos >= f->len) {
		return g;
	}
	const char *p = f->t + pos;
	size_t len = line_len(f, pos), ol = 0;
	while (ol < len && p[ol] != ' ' && p[ol] != '\t') {
		ol++;
	}
	g.kind = G_BAD;
	if (ol == w->apex_len && strncasecmp(p, w->apex, ol) == 0) {
		g.kind = G_APEX;
	} else if (ol > w->apex_len + 1 && p[ol - w->apex_len - 1] == '.' &&
	           strncasecmp(p + ol - w->apex_len, w->apex, w->apex_len) == 0) {
		size_t end = ol - w->apex_len - 1, start = end;
		while (start > 0 && p[start - 1] != '.') {
			start--;
		}
		if (start < end) {
			g = (struct grp){ .kind = G_LABEL, .lab = p + start, .len = end - start };
		}
	}
	return g;
}

/* Canonical order of subtrees: the apex, labels (lower-cased octets, a prefix first), the end. */
static int grp_cmp(const struct grp *a, const struct grp *b)
{
	if (a->kind != b->kind || a->kind != G_LABEL) {
		return a->kind - b->kind;
	}
	size_t m = a->len < b->len ? a->len : b->len;
	for (size_t i = 0; i < m; i++) {
		int x = (unsigned char)a->lab[i], y = (unsigned char)b->lab[i];
		x = x >= 'A' && x <= 'Z' ? x + 32 : x;
		y = y >= 'A' && y <= 'Z' ? y + 32 : y;
		if (x != y) {
			return x - y;
		}
	}
	return a->len < b->len ? -1 : a->len > b->len;
}

static bool push_range(struct walk *w, struct ranges *r, size_t from, size_t to)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		void *p = realloc(r->v, cap * sizeof(*r->v));
		if (p == NULL) {
			w->why = "out of memory";
			return false;
		}
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n][0] = from;
	r->v[r->n][1] = to;
	r->n++;
	r->bytes += to - from + 1;
	return true;
}

/* End of the subtree g starting at pos; the new file's lines are checked. */
static size_t group_end(struct walk *w, const struct file *f, size_t pos, const struct grp *g,
                        bool check)
{
	while (pos < f->len) {
		struct grp h = group_of(w, f, pos);
		if (grp_cmp(&h, g) != 0) {
			break;
		}
		size_t l = line_len(f, pos);
		if (check && !line_ok(f->t + pos, l)) {
			w->why = "a changed line is not one whole record with an absolute owner";
			return (size_t)-1;
		}
		pos += l + 1;
	}
	return pos < f->len ? pos : f->len;
}

/*
 * Length of the common prefix of a and b (n bytes at most), at memcmp speed:
 * 4 KiB blocks by memcmp(), then the block that differs 16 bytes at a time
 * where SSE2 is there (else 8), then bytes.
 */
static size_t common_len(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	while (i + 4096 <= n && memcmp(a + i, b + i, 4096) == 0) {
		i += 4096;
	}
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
		if (same != 0xffffu) {
			return i + (size_t)__builtin_ctz(~same);
		}
	}
#else
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
			break;
		}
	}
#endif
	while (i < n && a[i] == b[i]) {
		i++;
	}
	return i;
}

/* Start of the line before the one starting at pos (pos > base). */
static size_t prev_line(const char *t, size_t base, size_t pos)
{
	size_t p = pos - 1;
	while (p > base && t[p - 1] != '\n') {
		p--;
	}
	return p;
}

/* Takes one differing subtree (or two: one of each file) at po, pn. */
static bool step(struct walk *w, size_t *po, size_t *pn, struct grp *last)
{
	struct grp go = group_of(w, &w->o, *po), gn = group_of(w, &w->n, *pn);
	if (go.kind == G_BAD || gn.kind == G_BAD) {
		w->why = "an owner is not at or below the apex, or not absolute";
		return false;
	}
	int c = grp_cmp(&go, &gn);
	if (c <= 0) {
		size_t e = group_end(w, &w->o, *po, &go, false);
		if (e == (size_t)-1 || !push_range(w, &w->ro, *po, e)) {
			return false;
		}
		*po = e;
	}
	if (c >= 0) {
		if (grp_cmp(&gn, last) <= 0) {
			w->why = "the new file's lines are not in canonical order by subtree";
			return false;
		}
		size_t e = group_end(w, &w->n, *pn, &gn, true);
		if (e == (size_t)-1 || !push_range(w, &w->rn, *pn, e)) {
			return false;
		}
		*pn = e;
		*last = gn;
	}
	w->groups++;
	return true;
}

static bool walk(struct walk *w)
{
	struct grp a0 = group_of(w, &w->o, 0), b0 = group_of(w, &w->n, 0);
	if (a0.kind != G_APEX || b0.kind != G_APEX) {
		w->why = "a file does not begin with the apex";
		return false;
	}
	size_t po = group_end(w, &w->o, 0, &a0, false), pn = group_end(w, &w->n, 0, &b0, true);
	if (po == (size_t)-1 || pn == (size_t)-1 || !push_range(w, &w->ro, 0, po) ||
	    !push_range(w, &w->rn, 0, pn)) {
		return false;
	}
	struct grp last = b0;
	for (;;) {
		size_t ro = w->o.len - po, rn = w->n.len - pn;
		size_t d = common_len(w->o.t + po, w->n.t + pn, ro < rn ? ro : rn);
		if (d == ro && d == rn) {
			return true;
		}
		size_t ls = d;
		while (ls > 0 && w->o.t[po + ls - 1] != '\n') {
			ls--;
		}
		if (ls > 0) {
			/* the subtree of the last common line is taken whole when it goes on in a file */
			size_t pl = prev_line(w->o.t, po, po + ls) - po;
			struct grp gp = group_of(w, &w->o, po + pl);
			struct grp go = group_of(w, &w->o, po + ls), gn = group_of(w, &w->n, pn + ls);
			if (grp_cmp(&gp, &go) == 0 || grp_cmp(&gp, &gn) == 0) {
				ls = pl;
				while (ls > 0) {
					size_t q = prev_line(w->o.t, po, po + ls) - po;
					struct grp gq = group_of(w, &w->o, po + q);
					if (grp_cmp(&gq, &gp) != 0) {
						break;
					}
					ls = q;
				}
			}
			if (ls > 0) {
				last = group_of(w, &w->o, prev_line(w->o.t, po, po + ls));
			}
		}
		po += ls;
		pn += ls;
		if (!step(w, &po, &pn, &last)) {
			return false;
		}
	}
}

/* The apex and the taken subtrees of one file, as one text. */
static char *part_text(const struct file *f, const struct ranges *r, size_t *len)
{
	char *buf = malloc(r->bytes + 1);
	size_t n = 0;
	if (buf == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t a = r->v[i][0], b = r->v[i][1];
		memcpy(buf + n, f->t + a, b - a);
		n += b - a;
		if (n > 0 && buf[n - 1] != '\n') {
			buf[n++] = '\n';
		}
	}
	*len = n;
	return buf;
}

/* ---- facts of a zone ---- */

void vfy_apex_digest(const struct vfy_zone *z, uint8_t out[32])
{
	const struct vfy_name *apex = &z->names[z->apex_name];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint32_t ttl = z->soa_ttl < z->soa_minimum ? z->soa_ttl : z->soa_minimum;
	uint8_t t[4] = { (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl };
	unsigned mdlen = 0;
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(ctx, "tldsign-vstate-apex-1", 22) == 1 &&
	          EVP_DigestUpdate(ctx, t, 4) == 1;
	for (size_t i = apex->first; ok && i < apex->first + apex->count; i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (!r->is_sig && (r->type == LDNS_RR_TYPE_DNSKEY || r->type == LDNS_RR_TYPE_NSEC3PARAM)) {
			uint8_t l[4] = { (uint8_t)(r->wire_len >> 24), (uint8_t)(r->wire_len >> 16),
			                 (uint8_t)(r->wire_len >> 8), (uint8_t)r->wire_len };
			ok = EVP_DigestUpdate(ctx, l, 4) == 1 && EVP_DigestUpdate(ctx, r->wire, r->wire_len) == 1;
		}
	}
	if (!ok || EVP_DigestFinal_ex(ctx, out, &mdlen) != 1) {
		memset(out, 0, 32); /* never equal to a written state's */
	}
	EVP_MD_CTX_free(ctx);
}

int vfy_zone_facts(const struct vfy_zone *z, struct vfy_facts *f)
{
	struct vfy_counts c = { 0 };

	if (z->apex_wlen > sizeof(f->apex)) {
		return TLD_EINVAL;
	}
	memcpy(f->apex, z->apex_wire, z->apex_wlen);
	f->apex_len = z->apex_wlen;
	vfy_apex_digest(z, f->apex_digest);
	for (size_t i = 0; i < z->n_names; i++) {
		const struct vfy_name *n = &z->names[i];
		if (vfy_name_hashable(n)) {
			vfy_facts_add_name(f, n->hash, (n->flags & VFY_NEEDS_DENIAL) != 0);
		}
	}
	for (size_t i = 0; i < z->n_nsec3; i++) {
		const struct vfy_nsec3 *n = &z->nsec3[i];
		struct vfy_nsec3_rdata rd;
		if (n->hash_len != VFY_VS_HASH || n->next_len != VFY_VS_HASH) {
			return TLD_EINVAL;
		}
		vfy_rec_nsec3(&z->recs[n->rec], &rd);
		vfy_facts_add_nsec3(f, n->hash, n->next, n->flags, rd.bitmap, rd.bitmap_len);
	}
	for (size_t i = 0; i < z->n_recs; i++) {
		const struct vfy_rec *r = &z->recs[i];
		struct vfy_rrsig sig;
		size_t len;
		const uint8_t *rd = vfy_rdata(r, &len);
		if (r->is_sig && vfy_parse_rrsig(rd, len, &sig) == TLD_OK) {
			vfy_facts_add_sig(f, sig.inception, sig.expiration);
		}
	}
	vfy_count_names(z, 0, z->n_names, &c);
	vfy_count_signatures(z, 0, z->n_names, &c);
	f->counts = (struct vfy_vs_counts){
		.records = z->n_recs, .names = c.names, .ents = c.ents,
		.rrsets_signed = c.rrsets_signed, .rrsigs_verified = c.rrsigs_verified,
		.delegations_secure = c.delegations_secure,
		.delegations_insecure = c.delegations_insecure, .nsec3 = z->n_nsec3,
	};
	if (f->err != TLD_OK) {
		return f->err;
	}
	vfy_facts_sort(f);
	return TLD_OK;
}

/* ---- old facts - removed + added ---- */

static bool nsec3_same(const struct vfy_facts *fa, const struct vfy_vs_nsec3 *a,
                       const struct vfy_facts *fb, const struct vfy_vs_nsec3 *b)
{
	return memcmp(a->hash, b->hash, VFY_VS_HASH) == 0 && memcmp(a->next, b->next, VFY_VS_HASH) == 0 &&
	       a->flags == b->flags && a->bm_len == b->bm_len &&
	       memcmp(vfy_facts_bitmap(fa, a), vfy_facts_bitmap(fb, b), a->bm_len) == 0;
}

static int name_cmp(const struct vfy_vs_name *a, const struct vfy_vs_name *b)
{
	int c = vfy_vs_hash_cmp(a->hash, b->hash);
	return c != 0 ? c : (int)a->needs - (int)b->needs;
}

/* First position in [from, n) of sorted names whose name is >= x (upper: > x). */
static size_t names_bound(const struct vfy_vs_name *v, size_t from, size_t n,
                          const struct vfy_vs_name *x, bool upper)
{
	size_t lo = from, hi = n, step = 1;
	/* galloping from `from`: the next change is mostly a few dozen names on */
	while (lo + step < n) {
		int c = name_cmp(&v[lo + step], x);
		if (!(c < 0 || (upper && c == 0))) {
			hi = lo + step;
			break;
		}
		lo += step + 1;
		step *= 2;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(&v[mid], x);
		if (c < 0 || (upper && c == 0)) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Appends n names at p to out's runs (cap of them), joining a run that ends at p. */
static bool push_run(struct vfy_facts *out, size_t cap, const struct vfy_vs_name *p, size_t n)
{
	if (n == 0) {
		return true;
	}
	if (out->n_runs > 0) {
		struct vfy_vs_run *last = &out->runs[out->n_runs - 1];
		if (last->names + last->n == p) {
			last->n += n;
			return true;
		}
	}
	if (out->n_runs == cap) {
		return false; /* more runs than the merge can make: never */
	}
	out->runs[out->n_runs++] = (struct vfy_vs_run){ p, n };
	return true;
}

/*
 * Merges the names into out (empty) as runs of old's and add's names, not
 * copied (they must outlive out): false when a removed one is not in the old
 * facts, or out of memory (out->err).
 *
 * The result is that of one merge walk over the three sorted lists (each
 * removed name takes the first equal old name not taken yet; an added name
 * goes after the old names equal to it), done by spans: each removed
 * name's position by binary search from the one before, each added name's
 * likewise, and the old names between them taken as one run.  The runs:
 * at most one of old names before each removed or added name and one after
 * the last, one for each added name.
 */
static bool merge_names(const struct vfy_facts *old, const struct vfy_facts *rem,
                        const struct vfy_facts *add, struct vfy_facts *out)
{
	size_t n_old = old->n_names, cap = n_old - rem->n_names + add->n_names, k = 0;
	size_t *gone = NULL;

	if (rem->n_names > n_old) {
		return false;
	}
	size_t cap_runs = rem->n_names + 2 * add->n_names + 1;
	if ((out->runs = malloc(cap_runs * sizeof(*out->runs))) == NULL ||
	    (gone = malloc((rem->n_names + 1) * sizeof(*gone))) == NULL) {
		out->err = TLD_ENOMEM;
		return false;
	}
	for (size_t r = 0, i = 0; r < rem->n_names; r++) {
		size_t j = names_bound(old->names, i, n_old, &rem->names[r], false);
		if (j == n_old || name_cmp(&old->names[j], &rem->names[r]) != 0) {
			free(gone);
			return false;
		}
		gone[r] = j;
		i = j + 1;
	}
	gone[rem->n_names] = n_old;
	size_t i = 0, g = 0;
	bool fits = true;
	for (size_t a = 0; a <= add->n_names && fits; a++) {
		size_t to = a < add->n_names ? names_bound(old->names, i, n_old, &add->names[a], true) : n_old;
		while (i < to && fits) {
			size_t end = gone[g] < to ? gone[g] : to;
			fits = push_run(out, cap_runs, old->names + i, end - i);
			k += end - i;
			i = end;
			if (i == gone[g] && i < to) {
				i++;
				g++;
			}
		}
		if (a < add->n_names && fits) {
			fits = push_run(out, cap_runs, add->names + a, 1);
			k++;
		}
	}
	free(gone);
	out->n_names = k;
	return fits && k == cap;
}

static bool merge_nsec3(const struct vfy_facts *old, const struct vfy_facts *rem,
                        const struct vfy_facts *add, struct vfy_facts *out)
{
	size_t i = 0, r = 0, a = 0, n3 = old->n_nsec3 + add->n_nsec3;
	size_t bytes = old->bitmaps_len + add->bitmaps_len;

	/* sized for the most it can take: filled in place, not grown */
	out->nsec3 = malloc((n3 ? n3 : 1) * sizeof(*out->nsec3));
	out->bitmaps = malloc(bytes ? bytes : 1);
	if (out->nsec3 == NULL || out->bitmaps == NULL) {
		out->err = TLD_ENOMEM;
		return false;
	}
	out->bitmaps_cap = bytes;
	while (i < old->n_nsec3 || a < add->n_nsec3) {
		if (i < old->n_nsec3 && r < rem->n_nsec3) {
			int c = vfy_vs_hash_cmp(rem->nsec3[r].hash, old->nsec3[i].hash);
			if (c < 0 || (c == 0 && !nsec3_same(rem, &rem->nsec3[r], old, &old->nsec3[i]))) {
				return false;
			}
			if (c == 0) {
				i++;
				r++;
				continue;
			}
		}
		bool take_old = i < old->n_nsec3 &&
		                (a == add->n_nsec3 ||
		                 vfy_vs_hash_cmp(old->nsec3[i].hash, add->nsec3[a].hash) <= 0);
		const struct vfy_facts *src = take_old ? old : add;
		const struct vfy_vs_nsec3 *n = take_old ? &old->nsec3[i++] : &add->nsec3[a++];
		struct vfy_vs_nsec3 *o = &out->nsec3[out->n_nsec3++];
		*o = *n;
		o->bm_off = out->bitmaps_len;
		memcpy(out->bitmaps + o->bm_off, vfy_facts_bitmap(src, n), n->bm_len);
		out->bitmaps_len += n->bm_len;
	}
	return r == rem->n_nsec3;
}

/* One sorted multiset of times: old - rem + add into out (n_old - n_rem + n_add of them). */
static bool merge_times(const uint32_t *old, size_t n_old, const uint32_t *rem, size_t n_rem,
                        const uint32_t *add, size_t n_add, uint32_t *out)
{
	size_t i = 0, r = 0, a = 0, k = 0, cap = n_old - n_rem + n_add;
	while (i < n_old || a < n_add) {
		if (i < n_old && r < n_rem) {
			if (rem[r] < old[i]) {
				return false;
			}
			if (rem[r] == old[i]) {
				i++;
				r++;
				continue;
			}
		}
		bool take_old = i < n_old && (a == n_add || old[i] <= add[a]);
		if (k == cap) {
			return false; /* a removed time is not in the old facts */
		}
		out[k++] = take_old ? old[i++] : add[a++];
	}
	return r == n_rem;
}

static bool merge_counts(const struct vfy_vs_counts *o, const struct vfy_vs_counts *r,
                         const struct vfy_vs_counts *a, struct vfy_vs_counts *out)
{
	const uint64_t *ov = &o->records, *rv = &r->records, *av = &a->records;
	uint64_t *dv = &out->records;
	size_t n = sizeof(*o) / sizeof(uint64_t);
	for (size_t i = 0; i < n; i++) {
		if (rv[i] > ov[i]) {
			return false;
		}
		dv[i] = ov[i] - rv[i] + av[i];
	}
	return true;
}

/* ---- the global checks on the new facts ---- */

static tld_time_t serial_time(tld_time_t now, uint32_t t)
{
	return now + (int32_t)(t - (uint32_t)now);
}

/* Names with hash h in sorted facts (not runs). */
static size_t names_with(const struct vfy_facts *f, const uint8_t *h)
{
	size_t lo = 0, hi = f->n_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (vfy_vs_hash_cmp(f->names[mid].hash, h) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	size_t n = 0;
	while (lo + n < f->n_names && vfy_vs_hash_cmp(f->names[lo + n].hash, h) == 0) {
		n++;
	}
	return n;
}

static const char *check_chain(const struct vfy_facts *f)
{
	size_t m = f->n_nsec3;
	if (m == 0) {
		return "no NSEC3 chain";
	}
	for (size_t i = 0; i < m; i++) {
		const struct vfy_vs_nsec3 *a = &f->nsec3[i], *b = &f->nsec3[(i + 1) % m];
		if (i + 1 < m && vfy_vs_hash_cmp(a->hash, b->hash) >= 0) {
			return "duplicate NSEC3 owner hash";
		}
		if (memcmp(a->next, b->hash, VFY_VS_HASH) != 0) {
			return "NSEC3 chain broken";
		}
	}
	uint8_t *matched = calloc(m, 1);
	if (matched == NULL) {
		return "out of memory";
	}
	const char *why = NULL;
	size_t j = 0;
	struct vfy_vs_run one;
	const struct vfy_vs_run *runs;
	size_t n_runs = vfy_facts_name_runs(f, &one, &runs);
	for (size_t r = 0; r < n_runs && why == NULL; r++) {
		for (size_t i = 0; i < runs[r].n && why == NULL; i++) {
			const struct vfy_vs_name *n = &runs[r].names[i];
			while (j < m && vfy_vs_hash_cmp(f->nsec3[j].hash, n->hash) < 0) {
				j++;
			}
			if (j < m && vfy_vs_hash_cmp(f->nsec3[j].hash, n->hash) == 0) {
				matched[j] = 1;
				continue;
			}
			const struct vfy_vs_nsec3 *cover = &f->nsec3[j == 0 ? m - 1 : j - 1];
			if (n->needs) {
				why = "a name that needs its own NSEC3 has none";
			} else if (!(cover->flags & 1)) {
				why = "a name is covered by an NSEC3 without opt-out";
			}
		}
	}
	for (size_t i = 0; i < m && why == NULL; i++) {
		if (!matched[i]) {
			why = "an NSEC3 matches no name";
		}
	}
	free(matched);
	return why;
}

static const char *check_times(const struct vfy_facts *f, const struct tld_verify_opts *opts)
{
	for (size_t i = 0; i < f->n_sigs; i++) {
		tld_time_t exp = serial_time(opts->now, f->expirations[i]);
		if (exp < opts->now || exp < opts->now + opts->refresh_window) {
			return "a signature expires within the refresh window";
		}
		if (serial_time(opts->now, f->inceptions[i]) > opts->now) {
			return "a signature is not yet valid";
		}
	}
	return NULL;
}

/*
 * The bitmap of the new part's names, and of its NSEC3 matched by unchanged
 * names.  f: old - rem + add (merge_names() checked that rem is in old), so
 * that the names of f with a hash are those of old, less rem's, with add's.
 */
static const char *check_bitmaps(const struct vfy_zone *nz, const struct vfy_facts *add,
                                 const struct vfy_facts *rem, const struct vfy_facts *old,
                                 const struct vfy_facts *f)
{
	struct vfy_typeset want, have, was;
	/* the changed names are many and their hashes random: looked up by an index */
	size_t *index = vfy_facts_nsec3_index(f);
	const char *why = NULL;

	for (size_t i = 0; i < nz->n_names && why == NULL; i++) {
		const struct vfy_name *n = &nz->names[i];
		if (!vfy_name_hashable(n)) {
			continue;
		}
		size_t j = index != NULL ? vfy_facts_nsec3_lower_in(f, index, n->hash) : vfy_facts_nsec3_lower(f, n->hash);
		if (j == f->n_nsec3 || vfy_vs_hash_cmp(f->nsec3[j].hash, n->hash) != 0) {
			continue;
		}
		if (n->flags & VFY_ENT) {
			vfy_typeset_clear(&want);
		} else {
			vfy_name_types(nz, n, &want);
		}
		const struct vfy_vs_nsec3 *x = &f->nsec3[j];
		if (vfy_bitmap_decode(vfy_facts_bitmap(f, x), x->bm_len, &have) != TLD_OK ||
		    !vfy_typeset_equal(&want, &have)) {
			why = "a changed name's NSEC3 bitmap is not its types";
		}
	}
	free(index);
	if (why != NULL) {
		return why;
	}
	for (size_t i = 0; i < add->n_nsec3; i++) {
		const struct vfy_vs_nsec3 *x = &add->nsec3[i];
		if (names_with(old, x->hash) == names_with(rem, x->hash)) {
			continue; /* matched by changed names only (f's are old's - rem's + add's): checked above */
		}
		size_t j = vfy_facts_nsec3_lower(old, x->hash);
		if (j == old->n_nsec3 || vfy_vs_hash_cmp(old->nsec3[j].hash, x->hash) != 0) {
			return "an unchanged name gets an NSEC3 it did not have";
		}
		const struct vfy_vs_nsec3 *o = &old->nsec3[j];
		if (vfy_bitmap_decode(vfy_facts_bitmap(add, x), x->bm_len, &have) != TLD_OK ||
		    vfy_bitmap_decode(vfy_facts_bitmap(old, o), o->bm_len, &was) != TLD_OK ||
		    !vfy_typeset_equal(&have, &was)) {
			return "the NSEC3 bitmap of an unchanged name changed";
		}
	}
	return NULL;
}

/* ---- the delta verification ---- */

struct vfy_delta {
	struct vfy_text cur;
	struct vfy_mac_job cur_mac;
	struct vfy_filemac cur_key; /* the new file's key and IV, drawn now */
	struct tld_verify_prev *pv; /* the previous file, its state and tag (vprev.c) */
	bool pv_own;               /* pv read here, not the caller's opts->prev_ahead */
	struct vfy_facts add;      /* the new part's facts: the merged facts' runs point here too */
	struct vfy_facts rem;      /* the previous part's facts (old_job's) */
	pthread_t old_thread;      /* old_job() when old_started */
	bool old_started, old_done;
	int old_ret;
	uint8_t digest[32];        /* the new apex's vfy_apex_digest() */
	struct walk w;
	struct vfy_zone *oz, *nz;  /* the parts of the previous and the new file */
	char *oz_path, *nz_path;
};

struct vfy_zone *vfy_delta_zone(struct vfy_delta *d)
{
	return d->nz;
}

const struct vfy_zone *vfy_delta_old_zone(const struct vfy_delta *d)
{
	return d->oz;
}

size_t vfy_delta_subtrees(const struct vfy_delta *d)
{
	return d->w.groups;
}

/*
 * The previous part's names hashed and its facts taken (for the merge): they
 * need nothing of the new part nor of the checks, so they run on a thread
 * beside the new part's checks (vfy_delta_old_start()), else in the merge.
 */
static void *old_job(void *arg)
{
	struct vfy_delta *d = arg;
	d->old_ret = vfy_hash_names(d->oz, 0, d->oz->n_names);
	if (d->old_ret == TLD_OK) {
		d->old_ret = vfy_zone_facts(d->oz, &d->rem);
	}
	tld_debug("verify: the previous part's facts taken, thread cpu %.3f s", tld_thread_cpu_seconds());
	return NULL;
}

void vfy_delta_old_start(struct vfy_delta *d)
{
	if (!d->old_started && !d->old_done) {
		d->old_started = pthread_create(&d->old_thread, NULL, old_job, d) == 0;
	}
}

/* Waits for old_job(), or runs it here when it was not started; once. */
static int old_join(struct vfy_delta *d)
{
	if (d->old_started) {
		pthread_join(d->old_thread, NULL);
		d->old_started = false;
		d->old_done = true;
	} else if (!d->old_done && d->oz != NULL) {
		old_job(d);
		d->old_done = true;
	}
	return d->old_ret;
}

void vfy_delta_free(struct vfy_delta *d)
{
	if (d == NULL) {
		return;
	}
	vfy_mac_wait(&d->cur_mac);
	if (d->old_started) {
		pthread_join(d->old_thread, NULL); /* before the part and the facts it works on go */
	}
	if (d->pv_own) {
		vfy_prev_free(d->pv);
	}
	vfy_text_unmap(&d->cur);
	vfy_facts_clear(&d->add);
	vfy_facts_clear(&d->rem);
	free(d->w.ro.v);
	free(d->w.rn.v);
	vfy_zone_free(d->oz);
	vfy_zone_free(d->nz);
	free(d->oz_path);
	free(d->nz_path);
	free(d);
}

/* Loads one file's part; TLD_EAGAIN with *why when it does not load or check clean. */
static int load_part(const char *name, const struct file *f, const struct ranges *r,
                     unsigned threads, char **path_out, struct vfy_zone **out, const char **why)
{
	struct vfy_issue_list fails = { 0 };
	size_t len = 0;
	char *text = part_text(f, r, &len);
	int ret;

	if (text == NULL || asprintf(path_out, "%s (changed part)", name) < 0) {
		free(text);
		*path_out = NULL;
		return TLD_ENOMEM;
	}
	ret = vfy_zone_load_text(*path_out, text, len, threads, true, &fails, out);
	free(text);
	if (ret == TLD_ENOMEM || fails.err == TLD_ENOMEM) {
		ret = TLD_ENOMEM;
	} else if (ret != TLD_OK) {
		*why = "the changed part does not load";
		ret = TLD_EAGAIN;
	} else if (fails.n > 0) {
		*why = "the changed part fails a denial check";
		ret = TLD_EAGAIN;
	} else if (!(*out)->uses_nsec3 || (*out)->uses_nsec) {
		*why = "not an NSEC3 zone";
		ret = TLD_EAGAIN;
	}
	vfy_issue_list_clear(&fails);
	return ret;
}

int vfy_delta_open(const char *path, const struct tld_verify_opts *opts, unsigned threads,
                   struct vfy_delta **out, const char **why)
{
	struct vfy_delta *d = calloc(1, sizeof(*d));
	char apex[VFY_NAME_MAX * 4 + 2];
	int ret;

	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*out = NULL;
	if (d == NULL) {
		return TLD_ENOMEM;
	}
	if (access(opts->previous, R_OK) != 0 || access(opts->state_in, R_OK) != 0) {
		*why = access(opts->previous, R_OK) != 0 ? "no previous file" : "no verification state";
		vfy_delta_free(d);
		return TLD_EAGAIN;
	}
	if (vfy_prev_is(opts->prev_ahead, opts->previous, opts->state_in)) {
		d->pv = opts->prev_ahead;
		tld_debug("verify: the previous file and state were read ahead");
	} else if ((ret = vfy_prev_open(opts->previous, opts->state_in, &d->pv)) != TLD_OK) {
		vfy_delta_free(d);
		return ret;
	} else {
		d->pv_own = true;
	}
	if ((ret = d->pv->map_ret) != TLD_OK || (ret = vfy_text_map(path, &d->cur)) != TLD_OK) {
		*why = "a file cannot be read";
		vfy_delta_free(d);
		return ret == TLD_ENOMEM ? ret : TLD_EAGAIN;
	}
	tld_debug("verify: files mapped at %.3f s (thread cpu %.3f s)", since(&t0), tld_thread_cpu_seconds());
	/*
	 * Beside the walk: the state read, then the previous file's tag (it
	 * needs the state's key), on one thread (vprev.c; started ahead by the
	 * caller, or above); the new file's tag, under a key drawn now, on
	 * another.  Whether the state is usable (and of this
	 * zone: its apex is compared with the new part's) is acted on after
	 * the walk and the parts, so that the reason for a full verification
	 * is the same as when the state was read there.
	 */
	if (opts->state_out != NULL) {
		d->cur_mac = (struct vfy_mac_job){ .text = d->cur.text, .len = d->cur.len };
		d->cur_mac.mac = vfy_filemac_new_key(&d->cur_key) == TLD_OK ? &d->cur_key : NULL;
		vfy_mac_start(&d->cur_mac);
	}
	/* the apex, from the SOA line the previous file begins with */
	struct file pf = { d->pv->text.text, d->pv->text.len };
	size_t l0 = line_len(&pf, 0), ol = 0;
	while (ol < l0 && pf.t[ol] != ' ' && pf.t[ol] != '\t') {
		ol++;
	}
	if (ol == 0 || ol >= sizeof(apex) || ol == l0 || pf.t[ol - 1] != '.' || ol == 1) {
		*why = "the previous file does not begin with the apex";
		vfy_delta_free(d);
		return TLD_EAGAIN;
	}
	memcpy(apex, pf.t, ol);
	apex[ol] = 0;
	d->w = (struct walk){ .o = pf, .n = { d->cur.text, d->cur.len }, .apex = apex, .apex_len = ol };
	if (!walk(&d->w)) {
		*why = d->w.why;
		d->w.apex = NULL;
		vfy_delta_free(d);
		return TLD_EAGAIN;
	}
	d->w.apex = NULL;
	tld_info("verify: %s against %s: %zu changed subtrees (%zu and %zu bytes)", path,
	         opts->previous, d->w.groups, d->w.ro.bytes, d->w.rn.bytes);
	tld_debug("verify: files walked at %.3f s (thread cpu %.3f s)", since(&t0), tld_thread_cpu_seconds());
	if ((ret = load_part(opts->previous, &d->w.o, &d->w.ro, threads, &d->oz_path, &d->oz, why)) ==
	            TLD_OK &&
	    (ret = load_part(path, &d->w.n, &d->w.rn, threads, &d->nz_path, &d->nz, why)) == TLD_OK) {
		vfy_prev_wait(d->pv);
		ret = d->pv->state_ret;
		if (ret == TLD_OK && (d->pv->state.apex_len != d->nz->apex_wlen ||
		                      memcmp(d->pv->state.apex, d->nz->apex_wire, d->nz->apex_wlen) != 0)) {
			tld_warning("%s: verification state ignored: written for another zone; verifying "
			            "in full", opts->state_in);
			ret = TLD_EINVAL;
		}
		if (ret != TLD_OK) {
			*why = ret == TLD_ENOENT ? "no verification state" : "the verification state is not usable";
			ret = TLD_EAGAIN;
		}
	}
	tld_debug("verify: changed parts and state loaded at %.3f s (thread cpu %.3f s)", since(&t0), tld_thread_cpu_seconds());
	if (ret == TLD_OK && d->oz->apex_wlen != d->nz->apex_wlen) {
		*why = "the apex changed";
		ret = TLD_EAGAIN;
	}
	if (ret != TLD_OK) {
		vfy_delta_free(d);
		return ret;
	}
	*out = d;
	return TLD_OK;
}

int vfy_delta_merge(struct vfy_delta *d, const struct tld_verify_opts *opts,
                    struct vfy_facts *facts, const char **why)
{
	struct vfy_facts *rem = &d->rem, *add = &d->add;
	int ret;

	memset(facts, 0, sizeof(*facts));
	vfy_facts_clear(add);
	tld_debug("verify: whole-zone checks start (thread cpu %.3f s)", tld_thread_cpu_seconds());
	ret = old_join(d);
	vfy_apex_digest(d->nz, d->digest);
	if (memcmp(d->digest, d->pv->state.apex_digest, 32) != 0) {
		*why = "the DNSKEY set, the NSEC3PARAM or the SOA TTLs changed";
		return TLD_EAGAIN;
	}
	if (ret != TLD_OK || (ret = vfy_zone_facts(d->nz, add)) != TLD_OK) {
		*why = "the changed part's facts cannot be taken";
		ret = ret == TLD_ENOMEM ? ret : TLD_EAGAIN;
		goto out;
	}
	tld_debug("verify: facts of the changed parts taken (thread cpu %.3f s)", tld_thread_cpu_seconds());
	size_t ns = d->pv->state.n_sigs - rem->n_sigs + add->n_sigs;
	if (rem->n_sigs > d->pv->state.n_sigs || rem->n_names > d->pv->state.n_names ||
	    rem->n_nsec3 > d->pv->state.n_nsec3) {
		*why = "the verification state does not describe the previous file";
		ret = TLD_EAGAIN;
		goto out;
	}
	facts->expirations = malloc((ns ? ns : 1) * sizeof(uint32_t));
	facts->inceptions = malloc((ns ? ns : 1) * sizeof(uint32_t));
	if (facts->expirations == NULL || facts->inceptions == NULL) {
		ret = TLD_ENOMEM;
		goto out;
	}
	facts->n_sigs = ns;
	if (!merge_names(&d->pv->state, rem, add, facts) || !merge_nsec3(&d->pv->state, rem, add, facts) ||
	    !merge_times(d->pv->state.expirations, d->pv->state.n_sigs, rem->expirations, rem->n_sigs,
	                 add->expirations, add->n_sigs, facts->expirations) ||
	    !merge_times(d->pv->state.inceptions, d->pv->state.n_sigs, rem->inceptions, rem->n_sigs,
	                 add->inceptions, add->n_sigs, facts->inceptions) ||
	    !merge_counts(&d->pv->state.counts, &rem->counts, &add->counts, &facts->counts)) {
		*why = facts->err == TLD_ENOMEM ? "out of memory"
		                                : "the verification state does not describe the previous file";
		ret = facts->err == TLD_ENOMEM ? TLD_ENOMEM : TLD_EAGAIN;
		goto out;
	}
	tld_debug("verify: facts merged (thread cpu %.3f s)", tld_thread_cpu_seconds());
	memcpy(facts->apex, d->pv->state.apex, d->pv->state.apex_len);
	facts->apex_len = d->pv->state.apex_len;
	memcpy(facts->apex_digest, d->digest, 32);
	if (opts->state_out != NULL) {
		vfy_mac_wait(&d->cur_mac); /* started with the walk: done long since */
		if (d->cur_mac.ret != TLD_OK) {
			*why = "the new file's tag failed";
			ret = TLD_EAGAIN;
			goto out;
		}
		facts->file_mac = d->cur_key;
		memcpy(facts->file_mac.tag, d->cur_mac.tag, VFY_FILEMAC_TAG);
	}
	ret = TLD_OK;
out:
	if (ret != TLD_OK) {
		vfy_facts_clear(facts);
	}
	return ret;
}

int vfy_delta_check(struct vfy_delta *d, const struct tld_verify_opts *opts,
                    const struct vfy_facts *facts, const char **why)
{
	if ((*why = check_chain(facts)) != NULL || (*why = check_times(facts, opts)) != NULL ||
	    (*why = check_bitmaps(d->nz, &d->add, &d->rem, &d->pv->state, facts)) != NULL) {
		return TLD_EAGAIN;
	}
	tld_debug("verify: whole-zone checks done (thread cpu %.3f s)", tld_thread_cpu_seconds());
	vfy_prev_wait(d->pv);
	vfy_mac_wait(&d->cur_mac);
	tld_debug("verify: tags of the files done");
	if (d->pv->tag_ret != TLD_OK ||
	    CRYPTO_memcmp(d->pv->tag, d->pv->state.file_mac.tag, VFY_FILEMAC_TAG) != 0) {
		*why = "the previous file is not the one the verification state describes";
		return TLD_EAGAIN;
	}
	/*
	 * the new file is read no more (walked, its part loaded, tagged): its
	 * mapping goes now, beside the state's and the cache's writers, not after
	 */
	vfy_text_unmap(&d->cur);
	return TLD_OK;
}
