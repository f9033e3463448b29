/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writes the built zone: the apex (SOA with a placeholder serial, NS,
 * apex.records), then every owner in canonical order (RFC 4034 6.1), each
 * owner's RRs by type and RDATA order.  No printf per record.
 *
 * The zone is built, so formatting is split: ranges of owners ("chunks") are
 * formatted into buffers of their own by the calling thread and one helper
 * thread (tld_zonegen_write_alone(): the calling thread alone), and the
 * calling thread writes the chunks in order.  When the output is a regular
 * file, the kernel is told to start writing each chunk back to disk at once,
 * so that the caller's fsync() finds little to do.
 *
 * The same lines can be formatted straight into a caller's buffer
 * (tld_zonegen_format()): the apex and a range of owners, from the start of
 * the buffer or placed so that they end at its end (groups of owners
 * formatted in order, in the cache, and copied in front of the groups after
 * them), so that two threads fill one buffer from a meeting point.  Every
 * walk fetches its owners' entries ahead (zg_prefetch_ahead()).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "zonegen/addr_text.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

/* Owners per chunk, and chunk buffers in flight (bounds the memory). */
#define CHUNK_OWNERS 16384
#define CHUNK_BUFFERS 4
#define WBUF_START (1u << 20)

/*! A growing text buffer; failed once out of memory. */
struct wbuf {
	char *buf;
	size_t used, cap;
	bool failed;
	bool fixed;                 /*!< the caller's buffer: never grown (failed once full) */
};

/* "\tTTL\tIN\tTYPE\t" of the delegation record types, made once per write. */
struct heads {
	char ns[32], ds[32], a[32], aaaa[32];
	size_t ns_len, ds_len, a_len, aaaa_len;
};

/* -- internal API -- */

static bool w_grow(struct wbuf *w, size_t len)
{
	if (w->failed || w->fixed) {
		w->failed = true;
		return false;
	}
	size_t cap = w->cap ? w->cap : WBUF_START;
	while (cap - w->used < len) {
		cap *= 2;
	}
	char *b = realloc(w->buf, cap);
	if (b == NULL) {
		w->failed = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

static inline void w_mem(struct wbuf *w, const char *s, size_t len)
{
	if (w->cap - w->used < len && !w_grow(w, len)) {
		return;
	}
	memcpy(w->buf + w->used, s, len);
	w->used += len;
}

static inline void w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	char tmp[11];
	int i = 11;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	w_mem(w, tmp + i, (size_t)(11 - i));
}

/* "owner\tTTL\tIN\tTYPE\t" */
static void w_head(struct wbuf *w, const struct zg_name *owner, uint32_t ttl, const char *type)
{
	w_mem(w, owner->text, owner->len);
	w_mem(w, "\t", 1);
	w_u32(w, ttl);
	w_mem(w, "\tIN\t", 4);
	w_str(w, type);
	w_mem(w, "\t", 1);
}

static size_t make_head(char *buf, size_t size, uint32_t ttl, const char *type)
{
	int n = snprintf(buf, size, "\t%u\tIN\t%s\t", ttl, type);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void make_heads(const struct tld_config *cfg, struct heads *h)
{
	h->ns_len = make_head(h->ns, sizeof(h->ns), cfg->ttl.delegation_ns, "NS");
	h->ds_len = make_head(h->ds, sizeof(h->ds), cfg->ttl.ds, "DS");
	h->a_len = make_head(h->a, sizeof(h->a), cfg->ttl.glue, "A");
	h->aaaa_len = make_head(h->aaaa, sizeof(h->aaaa), cfg->ttl.glue, "AAAA");
}

static inline void w_owner_head(struct wbuf *w, const struct zg_name *owner, const char *head,
                                size_t head_len)
{
	w_mem(w, owner->text, owner->len);
	w_mem(w, head, head_len);
}

static void w_addrs(struct wbuf *w, const struct tld_zonegen *zg, const struct heads *h,
                    const struct zg_name *n, uint8_t family)
{
	for (uint32_t i = 0; i < n->addr_count; i++) {
		const struct zg_addr *a = &zg->addrs[n->addr_first + i];
		if (a->family != family) {
			continue;
		}
		char text[TLD_ADDR_TEXT_MAX + 1];
		size_t len = tld_addr_text(family, a->addr, text);
		text[len++] = '\n';
		if (family == 4) {
			w_owner_head(w, n, h->a, h->a_len);
		} else {
			w_owner_head(w, n, h->aaaa, h->aaaa_len);
		}
		w_mem(w, text, len);
	}
}

static void w_ds(struct wbuf *w, const struct tld_zonegen *zg, const struct heads *h,
                 const struct zg_name *n)
{
	static const char hex[] = "0123456789abcdef";
	for (uint32_t i = 0; i < n->ds_count; i++) {
		const struct tld_ds *ds = &zg->ds[n->ds_first + i].ds;
		w_owner_head(w, n, h->ds, h->ds_len);
		w_u32(w, ds->key_tag);
		w_mem(w, " ", 1);
		w_u32(w, ds->algorithm);
		w_mem(w, " ", 1);
		w_u32(w, ds->digest_type);
		w_mem(w, " ", 1);
		char digest[2 * TLD_DS_MAX_DIGEST];
		for (unsigned k = 0; k < ds->digest_len; k++) {
			digest[2 * k] = hex[ds->digest[k] >> 4];
			digest[2 * k + 1] = hex[ds->digest[k] & 15];
		}
		w_mem(w, digest, 2u * ds->digest_len);
		w_mem(w, "\n", 1);
	}
}

int zg_cmp_extra(const void *a, const void *b)
{
	const struct zg_extra *x = a, *y = b;
	if (x->owner != y->owner) {
		return x->owner < y->owner ? -1 : 1;
	}
	if (x->type != y->type) {
		return x->type < y->type ? -1 : 1;
	}
	size_t l = x->rdata_len < y->rdata_len ? x->rdata_len : y->rdata_len;
	int c = memcmp(x->rdata, y->rdata, l);
	if (c != 0) {
		return c;
	}
	return x->rdata_len < y->rdata_len ? -1 : x->rdata_len > y->rdata_len;
}

size_t zg_extra_first(const struct tld_zonegen *zg, uint32_t owner)
{
	/* extras are sorted by owner id: binary search for the first */
	size_t lo = 0, hi = zg->extra_count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (zg->extra[mid].owner < owner) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

bool zg_extra_repeats(const struct zg_extra *prev, const struct zg_extra *x)
{
	return prev != NULL && prev->type == x->type && prev->rdata_len == x->rdata_len &&
	       memcmp(prev->rdata, x->rdata, x->rdata_len) == 0;
}

static void w_extras(struct wbuf *w, const struct tld_zonegen *zg, uint32_t owner,
                     const struct zg_name *n)
{
	const struct zg_extra *prev = NULL;
	for (size_t i = zg_extra_first(zg, owner); i < zg->extra_count && zg->extra[i].owner == owner;
	     i++) {
		const struct zg_extra *x = &zg->extra[i];
		if (zg_extra_repeats(prev, x)) {
			continue; /* duplicate RR */
		}
		w_mem(w, n->text, n->len);
		w_mem(w, "\t", 1);
		w_str(w, x->text);
		prev = x;
	}
}

static int cmp_wire_str(const void *a, const void *b)
{
	return tld_name_wire_cmp(*(char *const *)a, *(char *const *)b);
}

static void w_apex(struct wbuf *w, const struct tld_zonegen *zg, char **ns, size_t ns_count)
{
	const struct tld_soa_config *soa = &zg->cfg->apex.soa;
	struct zg_name apex = { .text = zg->zone, .len = (uint32_t)zg->zone_len };
	w_head(w, &apex, soa->ttl, "SOA");
	w_str(w, soa->mname);
	w_mem(w, " ", 1);
	w_str(w, soa->rname);
	w_str(w, " 0 "); /* serial placeholder: the signer assigns the serial */
	w_u32(w, soa->refresh);
	w_mem(w, " ", 1);
	w_u32(w, soa->retry);
	w_mem(w, " ", 1);
	w_u32(w, soa->expire);
	w_mem(w, " ", 1);
	w_u32(w, soa->minimum);
	w_mem(w, "\n", 1);
	for (size_t i = 0; i < ns_count; i++) {
		if (i > 0 && strcmp(ns[i - 1], ns[i]) == 0) {
			continue;
		}
		w_head(w, &apex, zg->cfg->ttl.delegation_ns, "NS");
		w_str(w, ns[i]);
		w_mem(w, "\n", 1);
	}
	if (zg->apex_id != ZG_NONE) {
		w_extras(w, zg, zg->apex_id, &zg->names[zg->apex_id]);
	}
}

/*
 * Formats one owner: its name entry n (id its id, for apex.records data),
 * its addresses, NS and DS found through n in zg's tables -- zonegen's own,
 * or those of a view of a stream entry (text_drain()).
 */
static void w_owner(struct wbuf *w, const struct tld_zonegen *zg, const struct heads *h, uint32_t id,
                    const struct zg_name *n)
{
	if (n->flags & ZG_APEX_DATA) {
		w_extras(w, zg, id, n);
	}
	if (n->flags & ZG_GLUE) {
		w_addrs(w, zg, h, n, 4);
	}
	if (n->flags & ZG_DELEGATED) {
		for (uint32_t k = 0; k < n->ns_count; k++) {
			size_t len;
			const char *host = zg_ns_text(zg, n->ns_first + k, &len);
			w_owner_head(w, n, h->ns, h->ns_len);
			w_mem(w, host, len);
			w_mem(w, "\n", 1);
		}
	}
	if (n->flags & ZG_GLUE) {
		w_addrs(w, zg, h, n, 6);
	}
	if (n->flags & ZG_DELEGATED) {
		w_ds(w, zg, h, n);
	}
}

/* Formats owners order[from..to) into w, their entries fetched ahead (zg_prefetch_ahead()). */
static void w_owners(struct wbuf *w, const struct tld_zonegen *zg, const struct heads *h,
                     size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		zg_prefetch_ahead(zg, i, to);
		uint32_t id = zg->order[i];
		w_owner(w, zg, h, id, &zg->names[id]);
	}
}

/*
 * The chunks of one write.  Chunk c is formatted into buf[c % CHUNK_BUFFERS],
 * which is free once chunk c - CHUNK_BUFFERS has been written: a chunk may
 * be claimed while c < written + CHUNK_BUFFERS.
 */
struct chunks {
	const struct tld_zonegen *zg;
	const struct heads *h;
	size_t count;               /*!< chunks of the zone */
	pthread_mutex_t lock;
	pthread_cond_t changed;     /*!< a chunk formatted or written, stop */
	size_t claimed;             /*!< chunks given to a formatter */
	size_t written;             /*!< chunks written, in order */
	bool ready[CHUNK_BUFFERS];  /*!< buf[k] holds its chunk, formatted */
	bool stop;                  /*!< the write failed: format no more */
	struct wbuf buf[CHUNK_BUFFERS];
};

/* With the lock held: claims the next chunk to format, if its buffer is free. */
static bool claim(struct chunks *c, size_t *chunk)
{
	if (c->stop || c->claimed >= c->count || c->claimed >= c->written + CHUNK_BUFFERS) {
		return false;
	}
	*chunk = c->claimed++;
	return true;
}

/* Formats a claimed chunk (lock not held), then marks it ready. */
static void format_chunk(struct chunks *c, size_t chunk)
{
	struct wbuf *w = &c->buf[chunk % CHUNK_BUFFERS];
	size_t from = chunk * CHUNK_OWNERS;
	size_t to = from + CHUNK_OWNERS < c->zg->order_count ? from + CHUNK_OWNERS
	                                                      : c->zg->order_count;
	w->used = 0;
	w_owners(w, c->zg, c->h, from, to);
	pthread_mutex_lock(&c->lock);
	c->ready[chunk % CHUNK_BUFFERS] = true;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
}

static void *helper_main(void *arg)
{
	struct chunks *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stop && c->claimed < c->count) {
		size_t chunk;
		if (!claim(c, &chunk)) {
			pthread_cond_wait(&c->changed, &c->lock);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		format_chunk(c, chunk);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Output the kernel may write back as it comes: a regular file's descriptor. */
struct sink {
	FILE *f;
	int fd;                     /*!< -1: not a regular file */
	off_t synced;               /*!< bytes handed to sync_file_range() */
};

static bool sink_write(struct sink *s, const struct wbuf *w)
{
	if (w->used > 0 && fwrite(w->buf, 1, w->used, s->f) != w->used) {
		return false;
	}
	if (s->fd >= 0 && fflush(s->f) == 0) {
		off_t end = ftello(s->f);
		if (end > s->synced) {
			/* start the write-back only: a hint, its failure is fsync()'s */
			(void)sync_file_range(s->fd, s->synced, end - s->synced,
			                      SYNC_FILE_RANGE_WRITE);
			s->synced = end;
		}
	}
	return true;
}

/* Formats and writes every chunk in order, with the helper if there is one. */
static bool write_chunks(struct chunks *c, struct sink *s)
{
	bool ok = true;
	pthread_mutex_lock(&c->lock);
	while (c->written < c->count) {
		size_t k = c->written % CHUNK_BUFFERS, chunk;
		if (c->ready[k]) {
			pthread_mutex_unlock(&c->lock);
			ok = !c->buf[k].failed && sink_write(s, &c->buf[k]);
			pthread_mutex_lock(&c->lock);
			if (!ok) {
				break;
			}
			c->ready[k] = false;
			c->written++;
			pthread_cond_broadcast(&c->changed);
		} else if (claim(c, &chunk)) {
			pthread_mutex_unlock(&c->lock);
			format_chunk(c, chunk);
			pthread_mutex_lock(&c->lock);
		} else {
			pthread_cond_wait(&c->changed, &c->lock);
		}
	}
	c->stop = true;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	return ok;
}

int zg_apex_ns_sorted(const struct tld_zonegen *zg, char ***out)
{
	const struct tld_config *cfg = zg->cfg;
	char **ns = calloc(cfg->apex.ns_count ? cfg->apex.ns_count : 1, sizeof(*ns));
	if (ns == NULL) {
		return TLD_ENOMEM;
	}
	/* RDATA order of the apex NS set; names already lower case with dot */
	for (size_t i = 0; i < cfg->apex.ns_count; i++) {
		ns[i] = cfg->apex.ns[i];
	}
	qsort(ns, cfg->apex.ns_count, sizeof(*ns), cmp_wire_str);
	*out = ns;
	return TLD_OK;
}

/* The apex's lines (w_apex()) appended to w; TLD_OK or TLD_ENOMEM (w->failed: no room in w) */
static int w_apex_sorted(struct wbuf *w, const struct tld_zonegen *zg)
{
	char **ns = NULL;
	if (zg_apex_ns_sorted(zg, &ns) != TLD_OK) {
		return TLD_ENOMEM;
	}
	w_apex(w, zg, ns, zg->cfg->apex.ns_count);
	free(ns);
	return TLD_OK;
}

/* tld_zonegen_write(), with a helper thread formatting beside the writer when helper is set */
static int write_zone(const struct tld_zonegen *zg, FILE *f, bool helper)
{
	const struct tld_config *cfg = zg->cfg;
	struct wbuf apex = { 0 };
	if (w_apex_sorted(&apex, zg) != TLD_OK) {
		free(apex.buf);
		return TLD_ENOMEM;
	}

	struct heads h;
	make_heads(cfg, &h);

	struct sink s = { .f = f, .fd = -1 };
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && fflush(f) == 0) {
		off_t at = ftello(f);
		if (at >= 0) {
			s.fd = fileno(f);
			s.synced = at;
		}
	}
	bool ok = !apex.failed && sink_write(&s, &apex);
	free(apex.buf);

	struct chunks c = { .zg = zg, .h = &h };
	c.count = (zg->order_count + CHUNK_OWNERS - 1) / CHUNK_OWNERS;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.changed, NULL);
	pthread_t helper_thread;
	/* no helper (one chunk, or no thread to be had): the same output, slower */
	bool helped = helper && ok && c.count > 1 &&
	              pthread_create(&helper_thread, NULL, helper_main, &c) == 0;
	if (ok) {
		ok = write_chunks(&c, &s);
	}
	if (helped) {
		pthread_join(helper_thread, NULL);
	}
	bool out_of_memory = false;
	for (size_t k = 0; k < CHUNK_BUFFERS; k++) {
		out_of_memory |= c.buf[k].failed;
		free(c.buf[k].buf);
	}
	pthread_cond_destroy(&c.changed);
	pthread_mutex_destroy(&c.lock);
	if (!ok && (out_of_memory || apex.failed)) {
		return TLD_ENOMEM;
	}
	return (!ok || fflush(f) != 0 || ferror(f)) ? TLD_EIO : TLD_OK;
}

/* -- the text formatted into the caller's buffer (zonegen.h, tld_zonegen_format()) -- */

/* Owners formatted at a time when the text is placed from the end (about 150 KB of text). */
#define GROUP_OWNERS 1024

/* Longest line of a delegation record: owner, "\tTTL\tIN\tTYPE\t", RDATA, newline. */
#define HEAD_MAX 32
#define DS_TEXT_MAX (3 * 10 + 3 + 2 * TLD_DS_MAX_DIGEST)
#define RDATA_TEXT_MAX (TLD_NAME_MAX_TEXT > DS_TEXT_MAX ? TLD_NAME_MAX_TEXT : DS_TEXT_MAX)
#define LINE_MAX_TEXT (TLD_NAME_MAX_TEXT + HEAD_MAX + RDATA_TEXT_MAX + 1)
_Static_assert(TLD_ADDR_TEXT_MAX < RDATA_TEXT_MAX, "addresses are shorter than names");

/* a + b, or SIZE_MAX when it does not fit */
static size_t add_sat(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/*
 * Places the len bytes of group at the end of what is already placed
 * (*placed bytes, ending at buf[room]); TLD_ENOSPC when they do not fit.
 * buf NULL: measured only.
 */
static int place_at_end(char *buf, size_t room, size_t *placed, const struct wbuf *group)
{
	if (group->used > room - *placed) {
		return TLD_ENOSPC;
	}
	*placed += group->used;
	if (buf != NULL && group->used > 0) {
		memcpy(buf + room - *placed, group->buf, group->used);
	}
	return TLD_OK;
}

/*
 * tld_zonegen_format() placed at the end of buf (NULL: measured only): the
 * owners in groups from the last one back, each group formatted in order
 * into a buffer of its own (in the cache) and copied in front of the
 * groups after it, the apex last.
 */
static int format_to_end(const struct tld_zonegen *zg, const struct heads *h, bool apex,
                         size_t from, size_t to, char *buf, size_t room, size_t *len)
{
	struct wbuf group = { 0 };
	size_t placed = 0;
	int err = TLD_OK;
	for (size_t end = to; end > from && err == TLD_OK;) {
		size_t start = end - from > GROUP_OWNERS ? end - GROUP_OWNERS : from;
		group.used = 0;
		w_owners(&group, zg, h, start, end);
		err = group.failed ? TLD_ENOMEM : place_at_end(buf, room, &placed, &group);
		end = start;
	}
	if (err == TLD_OK && apex) {
		group.used = 0;
		err = w_apex_sorted(&group, zg);
		if (err == TLD_OK) {
			err = group.failed ? TLD_ENOMEM : place_at_end(buf, room, &placed, &group);
		}
	}
	free(group.buf);
	if (err == TLD_OK) {
		*len = placed;
	}
	return err;
}

/* -- the text made beside a walk of the records (zonegen.h) -- */

/*
 * The walk does not format: it copies what it found at random places for
 * each owner -- the name's entry and text, its addresses, the packed
 * offsets of its NS hosts -- into a stream read in order, and the text is
 * formatted from the stream later, on the writer's thread, by w_owner()
 * itself, through a view of zonegen whose tables are the stream's copies.
 * Entries are 4-byte aligned: a header, the text (padded), the addresses
 * (struct zg_addr), the NS offsets (uint32_t).
 */
#define STREAM_BLOCK (4u << 20)
#define DRAIN_OUT (1u << 20) /* text handed out in pieces of about this size */

enum stream_kind { STREAM_APEX = 1, STREAM_OWNER = 2 };

struct stream_entry {
	uint32_t kind;
	uint32_t id;                /*!< the owner's name id (apex.records data) */
	uint32_t flags;
	uint32_t text_len;
	uint32_t addr_count;        /*!< addresses copied (glue only) */
	uint32_t ns_count;          /*!< NS offsets copied (delegations only) */
	uint32_t ds_first, ds_count; /*!< into zg->ds (delegations only) */
};

struct stream_block {
	uint8_t *buf;
	size_t len;
};

struct tld_zonegen_text {
	const struct tld_zonegen *zg;
	struct stream_block cur;    /*!< the block being filled */
	size_t cur_cap;
	struct stream_block *blocks; /*!< the blocks before it, in order */
	size_t count, cap;
	bool failed;                /*!< out of memory once: the stream is incomplete */
};

#define ALIGN4(n) (((n) + 3) & ~(size_t)3)
_Static_assert(sizeof(struct stream_entry) % 4 == 0 && sizeof(struct zg_addr) % 4 == 0 &&
                   _Alignof(struct zg_addr) <= 4,
               "stream entries keep their parts 4-byte aligned");

/* Closes the block being filled (if it holds anything) onto the list. */
static void stream_close(struct tld_zonegen_text *t)
{
	if (t->cur.len == 0 || t->failed) {
		return;
	}
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct stream_block *b = realloc(t->blocks, cap * sizeof(*b));
		if (b == NULL) {
			t->failed = true;
			return;
		}
		t->blocks = b;
		t->cap = cap;
	}
	t->blocks[t->count++] = t->cur;
	t->cur = (struct stream_block){ 0 };
	t->cur_cap = 0;
}

/* Room for an entry of size bytes (a multiple of 4) at the end of the stream, or NULL. */
static uint8_t *stream_room(struct tld_zonegen_text *t, size_t size)
{
	if (t->failed) {
		return NULL;
	}
	if (t->cur_cap - t->cur.len < size) {
		stream_close(t);
		size_t cap = size > STREAM_BLOCK ? size : STREAM_BLOCK;
		if (t->failed || (t->cur.buf = malloc(cap)) == NULL) {
			t->failed = true;
			return NULL;
		}
		t->cur_cap = cap;
	}
	uint8_t *p = t->cur.buf + t->cur.len;
	t->cur.len += size;
	return p;
}

void zg_text_apex(struct tld_zonegen_text *t, const struct tld_zonegen *zg)
{
	(void)zg;
	uint8_t *p = stream_room(t, sizeof(struct stream_entry));
	if (p != NULL) {
		struct stream_entry e = { .kind = STREAM_APEX };
		memcpy(p, &e, sizeof(e));
	}
}

void zg_text_owner(struct tld_zonegen_text *t, const struct tld_zonegen *zg, size_t i)
{
	uint32_t id = zg->order[i];
	const struct zg_name *n = &zg->names[id];
	struct stream_entry e = { .kind = STREAM_OWNER, .id = id, .flags = n->flags, .text_len = n->len };
	if (n->flags & ZG_GLUE) {
		e.addr_count = n->addr_count;
	}
	if (n->flags & ZG_DELEGATED) {
		e.ns_count = n->ns_count;
		e.ds_first = n->ds_first;
		e.ds_count = n->ds_count;
	}
	size_t size = sizeof(e) + ALIGN4(e.text_len) + (size_t)e.addr_count * sizeof(struct zg_addr) +
	              (size_t)e.ns_count * sizeof(uint32_t);
	uint8_t *p = stream_room(t, size);
	if (p == NULL) {
		return;
	}
	memcpy(p, &e, sizeof(e));
	p += sizeof(e);
	memcpy(p, n->text, n->len);
	p += ALIGN4(e.text_len);
	if (e.addr_count > 0) { /* the tables are NULL in a zone without any */
		memcpy(p, zg->addrs + n->addr_first, (size_t)e.addr_count * sizeof(struct zg_addr));
		p += (size_t)e.addr_count * sizeof(struct zg_addr);
	}
	if (e.ns_count > 0) {
		memcpy(p, zg->ns_packed + n->ns_first, (size_t)e.ns_count * sizeof(uint32_t));
	}
}

/*
 * Formats the entries of one block into out, handing out through fn what
 * passes DRAIN_OUT.  view is a copy of zonegen whose address and NS tables
 * are pointed at each entry's copies.  Returns TLD_OK, fn's error, or
 * TLD_ENOMEM (out of memory formatting).
 */
static int drain_block(const struct stream_block *b, struct tld_zonegen *view, const struct heads *h,
                       struct wbuf *out, tld_zonegen_text_fn fn, void *ctx)
{
	const struct tld_zonegen *zg = view;
	int err = TLD_OK;
	for (size_t at = 0; at < b->len && err == TLD_OK;) {
		struct stream_entry e;
		memcpy(&e, b->buf + at, sizeof(e));
		const uint8_t *p = b->buf + at + sizeof(e);
		if (e.kind == STREAM_APEX) {
			if (w_apex_sorted(out, zg) != TLD_OK) {
				return TLD_ENOMEM;
			}
			at += sizeof(e);
		} else {
			struct zg_name n = { .text = (const char *)p, .len = e.text_len, .flags = e.flags,
			                     .addr_first = 0, .addr_count = e.addr_count, .ns_first = 0,
			                     .ns_count = e.ns_count, .ds_first = e.ds_first, .ds_count = e.ds_count };
			p += ALIGN4(e.text_len);
			view->addrs = (struct zg_addr *)(uintptr_t)p; /* read only, 4-byte aligned */
			p += (size_t)e.addr_count * sizeof(struct zg_addr);
			view->ns_packed = (uint32_t *)(uintptr_t)p;
			p += (size_t)e.ns_count * sizeof(uint32_t);
			w_owner(out, zg, h, e.id, &n);
			at = (size_t)(p - b->buf);
		}
		if (out->failed) {
			return TLD_ENOMEM;
		}
		if (out->used >= DRAIN_OUT) {
			err = fn(ctx, out->buf, out->used);
			out->used = 0;
		}
	}
	return err;
}

/* -- public API -- */

int tld_zonegen_text_new(const struct tld_zonegen *zg, struct tld_zonegen_text **out)
{
	struct tld_zonegen_text *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return TLD_ENOMEM;
	}
	t->zg = zg;
	*out = t;
	return TLD_OK;
}

int tld_zonegen_text_join(struct tld_zonegen_text *t, struct tld_zonegen_text *tail)
{
	stream_close(t);
	stream_close(tail);
	t->failed |= tail->failed;
	for (size_t i = 0; i < tail->count && !t->failed; i++) {
		t->cur = tail->blocks[i];
		t->cur_cap = tail->blocks[i].len;
		tail->blocks[i].buf = NULL;
		stream_close(t);
		if (t->failed) {
			free(t->cur.buf); /* not taken into the list: freed here */
			t->cur = (struct stream_block){ 0 };
		}
	}
	tld_zonegen_text_free(tail);
	return t->failed ? TLD_ENOMEM : TLD_OK;
}

int tld_zonegen_text_drain(struct tld_zonegen_text *t, tld_zonegen_text_fn fn, void *ctx)
{
	stream_close(t);
	struct wbuf out = { 0 };
	if (t->failed || !w_grow(&out, DRAIN_OUT + (DRAIN_OUT >> 2))) {
		free(out.buf);
		return TLD_EAGAIN; /* nothing handed out */
	}
	struct heads h;
	make_heads(t->zg->cfg, &h);
	struct tld_zonegen view = *t->zg; /* its address and NS tables: each entry's copies */
	int err = TLD_OK;
	for (size_t i = 0; i < t->count; i++) {
		if (err == TLD_OK) {
			err = drain_block(&t->blocks[i], &view, &h, &out, fn, ctx);
		}
		free(t->blocks[i].buf); /* given back as it goes */
		t->blocks[i].buf = NULL;
	}
	t->count = 0;
	if (err == TLD_OK && out.used > 0) {
		err = fn(ctx, out.buf, out.used);
	}
	free(out.buf);
	return err;
}

void tld_zonegen_text_free(struct tld_zonegen_text *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->count; i++) {
		free(t->blocks[i].buf);
	}
	free(t->blocks);
	free(t->cur.buf);
	free(t);
}

int tld_zonegen_write(const struct tld_zonegen *zg, FILE *f)
{
	return write_zone(zg, f, true);
}

int tld_zonegen_write_alone(const struct tld_zonegen *zg, FILE *f)
{
	return write_zone(zg, f, false);
}

size_t tld_zonegen_owner_count(const struct tld_zonegen *zg)
{
	return zg->order_count;
}

size_t tld_zonegen_text_bound(const struct tld_zonegen *zg)
{
	const struct tld_config *cfg = zg->cfg;
	const struct tld_soa_config *soa = &cfg->apex.soa;
	/* the SOA: owner, head, two names, five numbers and their spaces, newline */
	size_t b = zg->zone_len + HEAD_MAX + strlen(soa->mname) + strlen(soa->rname) + 5 * 11 + 6;
	for (size_t i = 0; i < cfg->apex.ns_count; i++) {
		b = add_sat(b, zg->zone_len + HEAD_MAX + strlen(cfg->apex.ns[i]) + 1);
	}
	for (size_t i = 0; i < zg->extra_count; i++) { /* owner, tab, the rest of the line */
		b = add_sat(b, TLD_NAME_MAX_TEXT + 1 + strlen(zg->extra[i].text));
	}
	const struct tld_zonegen_stats *st = &zg->stats;
	uint64_t records = st->ns_records + st->ds_records + st->glue_records;
	if (records > SIZE_MAX / LINE_MAX_TEXT) {
		return SIZE_MAX;
	}
	return add_sat(b, (size_t)records * LINE_MAX_TEXT);
}

int tld_zonegen_format(const struct tld_zonegen *zg, bool apex, size_t from, size_t to,
                       enum tld_zonegen_place place, char *buf, size_t room, size_t *len)
{
	if (from > to || to > zg->order_count || (place != TLD_ZONEGEN_MEASURE && buf == NULL)) {
		return TLD_EINVAL;
	}
	struct heads h;
	make_heads(zg->cfg, &h);
	if (place != TLD_ZONEGEN_FROM_START) {
		return format_to_end(zg, &h, apex, from, to, place == TLD_ZONEGEN_MEASURE ? NULL : buf,
		                     place == TLD_ZONEGEN_MEASURE ? SIZE_MAX : room, len);
	}
	struct wbuf w = { .buf = buf, .cap = room, .fixed = true };
	if (apex && w_apex_sorted(&w, zg) != TLD_OK) {
		return TLD_ENOMEM;
	}
	w_owners(&w, zg, &h, from, to);
	if (w.failed) {
		return TLD_ENOSPC; /* a fixed buffer fails only when full */
	}
	*len = w.used;
	return TLD_OK;
}
