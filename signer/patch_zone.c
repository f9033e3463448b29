/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The replaced names' zone, its groups parsed ahead where they can be (signer/patch_zone.h). */
#include "signer/patch_zone.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/error.h"
#include "common/side_job.h"
#include "signer/dname.h"
#include "signer/patch_driver.h"
#include "signer/rrtype.h"
#include "signer/zparse.h"

#define CLASS_IN 1
#define TTL_MAX 2147483647u /* RFC 2181 8, as the zone file parser */
#define AHEAD_SLACK (1u << 20) /* bytes of the records' mapping beyond four times their groups' text */
/*
 * The thread's nice value: its work waits until the zone is made, while the
 * halves the driver runs on both cores meanwhile (change facts, the chain's
 * lookups) are waited for at once: they take the second core first (at 1M
 * the chain planned in 0.025-0.037 s instead of 0.036-0.072, the whole
 * planning 0.13-0.16 s instead of 0.16-0.20).
 */
#define AHEAD_NICE 5

/* One record parsed ahead, in the buffer: this, then its owner (owner_len bytes), then its RDATA. */
struct rec {
	uint32_t ttl, line;
	uint16_t type, rclass, rdlen;
	uint8_t owner_len;
};

/* One group parsed ahead: text[off, off + len), its records buf[from, to), its verdict. */
struct group {
	size_t off, len;
	size_t from, to;
	int ret;
	bool origin_changed;
};

struct patch_zone_ahead {
	const char *source, *text;
	uint8_t origin[SIGNER_DNAME_MAX];
	struct group *g;           /* by offset, ascending */
	size_t ng;
	size_t parsed;             /* g[0, parsed) parsed (the thread's; read after the join) */
	atomic_bool stop;          /* patch_zone_ahead_end(): no more groups (the thread checks between them) */
	uint8_t *buf;
	size_t len, cap;
	int ret;                   /* TLD_OK: every group parsed; else (no memory) none is taken */
	pthread_t tid;
	bool joined;
};

/* One record of a group into the buffer. */
static int keep_record(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                       const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct patch_zone_ahead *a = ctx;
	size_t ol = signer_dname_len(owner, SIGNER_DNAME_MAX);
	size_t need = sizeof(struct rec) + ol + rdlen;
	need += (sizeof(struct rec) - need % sizeof(struct rec)) % sizeof(struct rec); /* the next one aligned */
	if (need > a->cap - a->len) {
		return TLD_ENOMEM; /* (then nothing is taken: every group parsed at the zone's making) */
	}
	struct rec r = { .ttl = ttl, .line = line, .type = type, .rclass = rclass, .rdlen = rdlen,
	                 .owner_len = (uint8_t)ol };
	memcpy(a->buf + a->len, &r, sizeof(r));
	memcpy(a->buf + a->len + sizeof(r), owner, ol);
	memcpy(a->buf + a->len + sizeof(r) + ol, rdata, rdlen);
	a->len += need;
	return TLD_OK;
}

static void *ahead_main(void *arg)
{
	struct patch_zone_ahead *a = arg;
	tld_thread_nice(AHEAD_NICE);
	struct signer_zparser *zp = NULL;
	a->ret = signer_zparser_new(&zp);
	for (size_t i = 0; i < a->ng && a->ret == TLD_OK; i++) {
		if (atomic_load_explicit(&a->stop, memory_order_relaxed)) {
			break; /* a fall-back: nothing of it is taken, the full sign waits for the join */
		}
		struct group *g = &a->g[i];
		struct signer_zparse_slice sl = { .first_line = 0, .fresh = true, .quiet = true };
		g->from = a->len;
		g->ret = signer_zparser_span(zp, a->source, a->text + g->off, g->len, a->origin, &sl, keep_record, a);
		g->to = a->len;
		g->origin_changed = sl.origin_changed;
		if (g->ret == TLD_ENOMEM) {
			a->ret = TLD_ENOMEM; /* (a group cut short by the buffer, or the parser's own) */
		} else {
			a->parsed = i + 1;
		}
	}
	signer_zparser_free(zp);
	return NULL;
}

void patch_zone_ahead_start(const char *source, const char *text, const uint8_t *origin,
                            const struct signer_owner_change *ch, size_t n, struct patch_zone_ahead **out)
{
	*out = NULL;
	const char *env = getenv("TLDSIGN_SIGN_PATCH_AHEAD"); /* "0" (tests only): nothing parsed ahead */
	if (n == 0 || (env != NULL && strcmp(env, "0") == 0)) {
		return;
	}
	struct patch_zone_ahead *a = calloc(1, sizeof(*a));
	if (a == NULL || (a->g = malloc(n * sizeof(*a->g))) == NULL) {
		free(a);
		return;
	}
	atomic_init(&a->stop, false);
	a->source = source;
	a->text = text;
	memcpy(a->origin, origin, signer_dname_len(origin, SIGNER_DNAME_MAX));
	for (size_t i = 0; i < n; i++) {
		if (ch[i].kind == SIGNER_OWNER_REMOVED || ch[i].new_len == 0) {
			continue;
		}
		if (a->ng > 0 && ch[i].new_off < a->g[a->ng - 1].off + a->g[a->ng - 1].len) {
			break; /* not in text order (the diff gives them so): what is in order is parsed ahead */
		}
		a->g[a->ng++] = (struct group){ .off = ch[i].new_off, .len = ch[i].new_len };
	}
	size_t text_bytes = 0;
	for (size_t i = 0; i < a->ng; i++) {
		text_bytes += a->g[i].len;
	}
	/*
	 * The records in a mapping of their own, not in the heap: only the pages
	 * written count, and the thread leaves no grown arena behind for the
	 * threads of the stages to come (measured: +55 MB peak at 1M with a
	 * buffer grown by realloc() on the thread).  Records in wire form take
	 * about the bytes of their text; four times that is room enough, and
	 * more (names relative to a long origin) runs out: nothing is taken.
	 */
	a->cap = text_bytes < (SIZE_MAX - AHEAD_SLACK) / 4 ? text_bytes * 4 + AHEAD_SLACK : 0;
	a->buf = a->ng > 0 && a->cap > 0
	                 ? mmap(NULL, a->cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
	                 : MAP_FAILED;
	if (a->buf == MAP_FAILED || pthread_create(&a->tid, NULL, ahead_main, a) != 0) {
		if (a->buf != MAP_FAILED) {
			munmap(a->buf, a->cap);
		}
		free(a->g);
		free(a);
		return;
	}
	*out = a;
}

/* Waits for the thread (once). */
static void ahead_wait(struct patch_zone_ahead *a)
{
	if (a != NULL && !a->joined) {
		pthread_join(a->tid, NULL);
		a->joined = true;
	}
}

size_t patch_zone_ahead_end(struct patch_zone_ahead *a)
{
	if (a == NULL) {
		return 0;
	}
	atomic_store_explicit(&a->stop, true, memory_order_relaxed); /* (after patch_make_zone(): joined already) */
	ahead_wait(a);
	size_t parsed = a->parsed;
	munmap(a->buf, a->cap);
	free(a->g);
	free(a);
	return parsed;
}

/* The group parsed ahead that is exactly text[off, off + len), or NULL (of the groups parsed only). */
static const struct group *parsed_ahead(const struct patch_zone_ahead *a, size_t off, size_t len)
{
	size_t lo = 0, hi = a->parsed;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->g[mid].off < off) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < a->parsed && a->g[lo].off == off && a->g[lo].len == len ? &a->g[lo] : NULL;
}

/* One record of a replaced name's lines into the zone (what the full path's fill takes and drops). */
static int add_record(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                      const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct signer_zone *z = ctx;
	if (rclass != CLASS_IN || ttl > TTL_MAX) {
		return TLD_EPARSE;
	}
	if (signer_rrtype_made_by_signer(type)) {
		return TLD_OK;
	}
	return signer_zone_add(z, owner, type, ttl, rdata, rdlen, line);
}

/* A group parsed ahead into the zone: its records as the parse gave them, then its verdict. */
static int replay(const struct patch_zone_ahead *a, const struct group *g, struct signer_zone *z)
{
	for (size_t at = g->from; at < g->to;) {
		struct rec r;
		memcpy(&r, a->buf + at, sizeof(r));
		const uint8_t *owner = a->buf + at + sizeof(r);
		int ret = add_record(z, owner, r.type, r.rclass, r.ttl, owner + r.owner_len, r.rdlen, r.line);
		if (ret != TLD_OK) {
			return ret;
		}
		size_t used = sizeof(r) + r.owner_len + r.rdlen;
		at += used + (sizeof(r) - used % sizeof(r)) % sizeof(r);
	}
	return g->ret;
}

int patch_make_zone(const struct driver *d, struct patch_zone_ahead *a, struct signer_zone **out,
                    size_t *replayed)
{
	ahead_wait(a);
	if (a != NULL && a->ret != TLD_OK) {
		a = NULL; /* nothing taken from it */
	}
	struct signer_zone *z = NULL;
	struct signer_zparser *zp = NULL;
	int ret = signer_zone_new(d->origin, d->o->source, &z);
	if (ret == TLD_OK) {
		ret = signer_zparser_new(&zp);
	}
	bool origin_changed = false;
	size_t taken = 0;
	for (size_t i = 0; i < d->nr && ret == TLD_OK; i++) {
		const struct replaced *r = &d->r[i];
		if (r->len == 0) {
			continue; /* (an empty non-terminal: the build makes it) */
		}
		const struct group *g = a != NULL ? parsed_ahead(a, r->off, r->len) : NULL;
		if (g != NULL) {
			ret = replay(a, g, z);
			origin_changed |= g->origin_changed;
			taken++;
		} else {
			struct signer_zparse_slice sl = { .first_line = 0, .fresh = true, .quiet = true };
			ret = signer_zparser_span(zp, d->o->source, d->o->new_text + r->off, r->len, d->origin, &sl,
			                          add_record, z);
			origin_changed |= sl.origin_changed;
		}
	}
	if (ret == TLD_OK && origin_changed) {
		ret = TLD_EPARSE;
	}
	signer_zparser_free(zp);
	if (ret != TLD_OK) {
		signer_zone_free(z);
		return ret == TLD_EPARSE || ret == TLD_EINVAL
		               ? patch_fall_back("a changed name's records are not as the full path takes them")
		               : ret;
	}
	*out = z;
	*replayed = taken;
	return TLD_OK;
}
