/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sign_patch_write() (patch_internal.h): the patched version's zone text and
 * side file.
 *
 * The text: the previous file's blocks (sigfile.h: a node or an NSEC3
 * record each, in canonical order of their owners) in order, without those
 * of the replaced names, the removed owners and the NSEC3 records gone, with
 * the blocks of the replaced names (formatted by sign_write.c's own code)
 * merged in by owner.  A block's owner is the first field of its first line.
 * Where a block to take out is not found, or two blocks have one owner, the
 * previous text is not as its index says: TLD_EAGAIN before anything is
 * written.
 *
 * The side file (sign_patch_side.c) is written on a thread beside the
 * text, from the text index made first; both are committed as sign_write()
 * commits (the side file first: it names the text's size and serial).
 *
 * The same thread then makes the text's SHA-256 and check (common/textcheck.h)
 * for the publish preparation, which would otherwise read the file again
 * for them, when a core is busy verifying: from the very pieces the text is
 * written from, in the same order (a third walk of the one plan, checked to
 * come to the same block count and size as the other two), so they are the
 * digest and check of the file's bytes.  It never holds the text up: when
 * the text is written first, the hashing stops between two pieces and what
 * it made, the stream of the text's first bytes, is handed on for the
 * preparation to go on with from the file's.  With them goes the file's identity
 * once committed (common/file_ident.h), taken only when the committed file
 * is still the one written (device, inode, size and modification time as
 * the stream left them): the preparation trusts the digest only for a file
 * with that identity, and hashes the file itself otherwise.  Hashing is an
 * optimisation: when it fails, no digest is handed on.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/file_ident.h"
#include "common/log.h"
#include "signer/grow.h"
#include "signer/patch_internal.h"
#include "signer/rrsig.h"
#include "signer/textout.h"
#include "signer/sign_internal.h"
#include "signer/sort.h"
#include "signer/zparse.h"

/* -- internal API -- */

/*
 * The sort key (signer/dname.h) of an absolute name in presentation form
 * without escapes, made from the text directly: labels from the last,
 * lower-cased, each ended by 0 -- what signer_dname_key() makes of its wire
 * form.  0 when the name is not that simple (the caller parses it).
 */
static size_t simple_name_key(const char *p, size_t n, uint8_t *key)
{
	if (n < 2 || p[n - 1] != '.' || memchr(p, '\\', n) != NULL) {
		return 0;
	}
	size_t k = 0, end = n - 1, wire = 1;
	for (;;) {
		size_t start = end;
		while (start > 0 && p[start - 1] != '.') {
			start--;
		}
		size_t len = end - start;
		wire += len + 1;
		if (len == 0 || len > 63 || wire > SIGNER_DNAME_MAX) {
			return 0;
		}
		for (size_t i = start; i < end; i++) {
			uint8_t c = (uint8_t)p[i];
			if (c <= 1) {
				return 0;
			}
			key[k++] = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
		}
		key[k++] = 0;
		if (start == 0) {
			return k;
		}
		end = start - 1;
	}
}

static size_t line_owner_key(const char *p, const char *end, uint8_t *key)
{
	const char *q = p;
	while (q < end && *q != '\t' && *q != ' ' && *q != '\n') {
		q++;
	}
	size_t fast = q > p ? simple_name_key(p, (size_t)(q - p), key) : 0;
	if (fast > 0) {
		return fast;
	}
	uint8_t wire[SIGNER_DNAME_MAX];
	if (q == p || signer_zparse_name(p, (size_t)(q - p), NULL, wire) == 0) {
		return 0;
	}
	return signer_dname_key(wire, key);
}

/* Previous blocks' owner keys kept, by block number modulo this: a block probed twice is parsed once. */
#define KEY_CACHE 64

struct key_memo {
	size_t block;                         /* SIZE_MAX: none */
	size_t klen;
	uint8_t key[SIGNER_KEY_MAX];
};

struct splice {
	struct sign_run *run;
	struct sign_patch *pc;
	const struct signer_sigfile *sf;
	char *mtext;                          /* the replaced names' blocks */
	size_t mlen;
	struct signer_sigfile_block *mb;
	size_t nmb;
	size_t *moff;                         /* nmb + 1 */
	size_t *pos;                          /* per run block: the first previous block after it */
	size_t *drop;                         /* previous blocks taken out, sorted */
	size_t ndrop, dcap;
	struct key_memo *memo;                /* KEY_CACHE */
	size_t parsed;                        /* owners of previous blocks parsed (the plan's work) */
};

/* Empty blocks (empty non-terminals) looked past for an owner, at most. */
#define EMPTY_RUN_MAX 64

/*
 * The owner of previous block b: the first line's; an empty block (an empty
 * non-terminal's) takes the next block's, and after the last block *klen is
 * 0 (after every name).  *key points into the memo, valid until the next call.
 */
static int owner_key_of_block(struct splice *sp, size_t b, const uint8_t **key, size_t *klen)
{
	struct key_memo *m = &sp->memo[b % KEY_CACHE];
	if (m->block == b) {
		*key = m->key;
		*klen = m->klen;
		return TLD_OK;
	}
	const char *text = sp->pc->prev_text;
	size_t n = (size_t)sp->sf->text->nblocks, at = b;
	const uint64_t *off = sp->sf->block_off; /* an empty block: the same offset as the next (one array read) */
	for (size_t k = 0; at < n && off[at + 1] == off[at]; k++, at++) {
		if (k == EMPTY_RUN_MAX) {
			return TLD_EAGAIN;
		}
	}
	m->block = SIZE_MAX;
	m->klen = 0;
	if (at < n) {
		sp->parsed++;
		m->klen = line_owner_key(text + off[at], text + off[at + 1], m->key);
		if (m->klen == 0) {
			return TLD_EAGAIN;
		}
	}
	m->block = b;
	*key = m->key;
	*klen = m->klen;
	return TLD_OK;
}

/* key < the owner of block b (klen 0: after every name) */
static int key_before_block(struct splice *sp, size_t b, const uint8_t *key, size_t klen, int *cmp)
{
	const uint8_t *k = NULL;
	size_t kl = 0;
	int ret = owner_key_of_block(sp, b, &k, &kl);
	*cmp = ret != TLD_OK || kl == 0 ? -1 : signer_key_cmp(key, klen, k, kl);
	return ret;
}

/* Starts fetching the first bytes of block b's text (a probe that may come next: its miss overlaps this one's). */
static void prefetch_block(const struct splice *sp, size_t b)
{
	if (b < (size_t)sp->sf->text->nblocks) {
		__builtin_prefetch(sp->pc->prev_text + sp->sf->block_off[b]);
	}
}

/*
 * The first previous block at or after from whose owner sorts at or after
 * key (none before from does); *equal when its owner is key.  The first
 * probe is step blocks on (the keys sought come in order, about step
 * blocks apart: the caller's estimate), then galloping on from there, then
 * a binary search between the last two probes.  Whatever the estimate, the
 * block found is the same: the one after the last probed block whose owner
 * sorts before key, and itself probed at or after key (the end aside).
 */
static int find_block(struct splice *sp, const uint8_t *key, size_t klen, size_t from, size_t step, size_t *at,
                      bool *equal)
{
	size_t n = (size_t)sp->sf->text->nblocks, lo = from, hi = n;
	int cmp = 0;
	step = step > 0 ? step : 1;
	while (lo < n) {
		size_t probe = step - 1 < n - lo ? lo + step - 1 : n - 1;
		if (key_before_block(sp, probe, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		if (cmp <= 0) {
			hi = probe;
			break;
		}
		lo = probe + 1;
		step = step <= n ? step * 2 : n;
	}
	if (hi < lo) {
		hi = lo;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		prefetch_block(sp, lo + (mid - lo) / 2);          /* the next probe, key before mid's owner */
		prefetch_block(sp, mid + 1 + (hi - mid - 1) / 2); /* or after it */
		if (key_before_block(sp, mid, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		if (cmp > 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	while (lo < n && sp->sf->block_off[lo + 1] == sp->sf->block_off[lo]) { /* the block with the owner itself */
		lo++;
	}
	*at = lo;
	*equal = false;
	if (lo < n) {
		if (key_before_block(sp, lo, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		*equal = cmp == 0;
	}
	if (*equal && lo + 1 < n) { /* one block an owner, or the text is not as indexed */
		if (key_before_block(sp, lo + 1, key, klen, &cmp) != TLD_OK || cmp == 0) {
			return TLD_EAGAIN;
		}
	}
	return TLD_OK;
}

/* The first probe's distance for the next of left keys sought after block from: their average gap. */
static size_t gap_of(const struct splice *sp, size_t from, size_t left)
{
	size_t n = (size_t)sp->sf->text->nblocks;
	return left > 0 && from < n ? (n - from) / left : 1;
}

static int drop_block(struct splice *sp, size_t b)
{
	if (signer_grow((void **)&sp->drop, &sp->dcap, sp->ndrop + 1, sizeof(*sp->drop)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	sp->drop[sp->ndrop++] = b;
	return TLD_OK;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* The sort keys of the names whose blocks go (removed owners, NSEC3 records gone), packed. */
struct gone_keys {
	uint8_t *buf;
	size_t len, cap;
	struct gone_key {
		size_t off, len;
		const uint8_t *wire;      /* the removed set's copy; NULL: an NSEC3 record's (hash) */
		size_t hash;              /* that record's index in pc->gone */
	} *k;
	size_t n, kcap;
};

static int gone_key_add(struct gone_keys *g, const uint8_t *wire, const uint8_t *copy, size_t hash)
{
	uint8_t key[SIGNER_KEY_MAX];
	size_t klen = signer_dname_key(wire, key);
	if (signer_grow((void **)&g->buf, &g->cap, g->len + klen, 1) != TLD_OK ||
	    signer_grow((void **)&g->k, &g->kcap, g->n + 1, sizeof(*g->k)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	memcpy(g->buf + g->len, key, klen);
	g->k[g->n++] = (struct gone_key){ .off = g->len, .len = klen, .wire = copy, .hash = hash };
	g->len += klen;
	return TLD_OK;
}

static int gone_key_cmp(const void *a, const void *b, void *ctx)
{
	const struct gone_key *x = a, *y = b;
	const uint8_t *buf = ctx;
	return signer_key_cmp(buf + x->off, x->len, buf + y->off, y->len);
}

/* The keys of the removed owners and of the NSEC3 records gone, in canonical order. */
static int gone_keys_make(const struct splice *sp, struct gone_keys *g)
{
	const struct patch_names *rm = &sp->pc->removed;
	for (size_t i = 0; rm->slot != NULL && i <= rm->mask; i++) {
		if (rm->slot[i] != NULL && gone_key_add(g, rm->slot[i] + 1, rm->slot[i] + 1, 0) != TLD_OK) {
			return TLD_ENOMEM;
		}
	}
	const uint8_t *origin = sp->run->z->origin;
	size_t olen = sp->run->z->origin_len;
	for (size_t i = 0; i < sp->pc->ngone; i++) {
		uint8_t wire[SIGNER_DNAME_MAX];
		char b32[64];
		size_t n = signer_base32hex(sp->pc->gone[i], SIGNER_NSEC3_HASH_LEN, b32);
		if (n + 1 + olen > SIGNER_DNAME_MAX) {
			return TLD_EAGAIN;
		}
		wire[0] = (uint8_t)n;
		memcpy(wire + 1, b32, n);
		memcpy(wire + 1 + n, origin, olen);
		if (gone_key_add(g, wire, NULL, i) != TLD_OK) {
			return TLD_ENOMEM;
		}
	}
	signer_sort(g->k, g->n, sizeof(*g->k), gone_key_cmp, g->buf);
	return TLD_OK;
}

/* Logs a name to take out that the previous text does not have. */
static void not_there(const struct splice *sp, const struct gone_key *k)
{
	char text[1024];
	if (k->wire != NULL) {
		signer_dname_to_text(k->wire, text, sizeof(text));
	} else {
		size_t n = signer_base32hex(sp->pc->gone[k->hash], SIGNER_NSEC3_HASH_LEN, text);
		text[n] = '\0';
	}
	tld_info("signing: %s is not in the previous zone text", text);
}

/* Takes out the previous blocks of the removed owners and the NSEC3 records gone: each must be there. */
static int drop_gone(struct splice *sp)
{
	struct gone_keys g = { 0 };
	int ret = gone_keys_make(sp, &g);
	size_t from = 0;
	for (size_t i = 0; i < g.n && ret == TLD_OK; i++) {
		bool equal = false;
		size_t at = 0;
		ret = find_block(sp, g.buf + g.k[i].off, g.k[i].len, from, gap_of(sp, from, g.n - i), &at, &equal);
		if (ret == TLD_OK && !equal) {
			not_there(sp, &g.k[i]);
			ret = TLD_EAGAIN;
		}
		if (ret == TLD_OK) {
			ret = drop_block(sp, at);
			from = at; /* the next key sorts after: at or after this block (one owner twice: taken out twice) */
		}
	}
	free(g.buf);
	free(g.k);
	return ret;
}

/* Where each of the run's blocks goes and which previous blocks go. */
static int plan_splice(struct splice *sp)
{
	sp->moff = malloc((sp->nmb + 1) * sizeof(*sp->moff));
	sp->pos = malloc((sp->nmb ? sp->nmb : 1) * sizeof(*sp->pos));
	sp->memo = malloc(KEY_CACHE * sizeof(*sp->memo));
	if (sp->moff == NULL || sp->pos == NULL || sp->memo == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < KEY_CACHE; i++) {
		sp->memo[i].block = SIZE_MAX;
	}
	sp->moff[0] = 0;
	for (size_t i = 0; i < sp->nmb; i++) {
		sp->moff[i + 1] = sp->moff[i] + sp->mb[i].len;
	}
	uint8_t key[SIGNER_KEY_MAX], prev_key[SIGNER_KEY_MAX];
	size_t prev_klen = 0, from = 0;
	for (size_t i = 0; i < sp->nmb; i++) {
		if (sp->mb[i].len == 0) { /* an empty non-terminal: no text; the previous one's block stays */
			sp->pos[i] = SIZE_MAX;
			continue;
		}
		size_t klen = line_owner_key(sp->mtext + sp->moff[i], sp->mtext + sp->moff[i + 1], key);
		bool equal = false;
		if (klen == 0 || (prev_klen > 0 && signer_key_cmp(prev_key, prev_klen, key, klen) >= 0)) {
			return TLD_EAGAIN;
		}
		memcpy(prev_key, key, klen);
		prev_klen = klen;
		int ret = find_block(sp, key, klen, from, gap_of(sp, from, sp->nmb - i), &sp->pos[i], &equal);
		from = sp->pos[i];
		if (ret == TLD_OK && equal) {
			ret = drop_block(sp, sp->pos[i]);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	int ret = drop_gone(sp);
	if (ret != TLD_OK) {
		return ret;
	}
	qsort(sp->drop, sp->ndrop, sizeof(*sp->drop), size_cmp);
	for (size_t i = 1; i < sp->ndrop; i++) {
		if (sp->drop[i] == sp->drop[i - 1]) {
			return TLD_EAGAIN; /* one block for two names: not as indexed */
		}
	}
	return TLD_OK;
}

/* Written text is handed to the kernel's writeback in stretches of this size (as sign_write.c does). */
#define WRITEBACK_CHUNK (16u << 20)

/*
 * Where the text goes: out, with the writeback started as it goes, or the
 * stream hash until stop is set (both NULL: only the index is made).
 */
struct text_out {
	FILE *out;
	struct tld_text_stream *hash;
	const atomic_bool *stop;
	bool stopped;                         /* hash holds a prefix of the text: a piece was not added */
	uint64_t written, flushed;
};

static int out_put(struct text_out *o, const char *p, size_t len)
{
	if (o->hash != NULL) {
		if (o->stopped || atomic_load_explicit(o->stop, memory_order_relaxed)) {
			o->stopped = true;
			return TLD_EAGAIN;
		}
		return tld_text_stream_add(o->hash, p, len);
	}
	if (o->out == NULL) {
		return TLD_OK;
	}
	if (fwrite(p, 1, len, o->out) != len) {
		return TLD_EIO;
	}
	o->written += len;
	if (o->written - o->flushed >= WRITEBACK_CHUNK && fflush(o->out) == 0) {
		(void)sync_file_range(fileno(o->out), (off_t)o->flushed, (off_t)(o->written - o->flushed),
		                      SYNC_FILE_RANGE_WRITE);
		o->flushed = o->written;
	}
	return TLD_OK;
}

/* Previous blocks [from, to) but the dropped ones, to out and (ix not NULL) to the index; *nix counts them. */
static int copy_blocks(struct splice *sp, struct text_out *out, size_t from, size_t to, size_t *d,
                       struct signer_sigfile_block *ix, size_t *nix, uint64_t *size)
{
	const struct signer_sigfile *sf = sp->sf;
	while (from < to) {
		size_t end = to;
		while (*d < sp->ndrop && sp->drop[*d] < from) {
			(*d)++;
		}
		if (*d < sp->ndrop && sp->drop[*d] < to) {
			end = sp->drop[*d];
		}
		if (end > from) {
			size_t len = (size_t)(sf->block_off[end] - sf->block_off[from]);
			if (out_put(out, sp->pc->prev_text + sf->block_off[from], len) != TLD_OK) {
				return TLD_EIO;
			}
			*size += len;
			if (ix != NULL) {
				memcpy(ix + *nix, sf->blocks + from, (end - from) * sizeof(*ix));
			}
			*nix += end - from;
		}
		from = end < to ? end + 1 : to; /* past the dropped block */
	}
	return TLD_OK;
}

/*
 * The text: the previous blocks with the run's merged in, to out; its index
 * to ix (when not NULL); *nix blocks and *size bytes in all either way.
 */
static int write_spliced(struct splice *sp, struct text_out *out, struct signer_sigfile_block *ix, size_t *nix,
                         uint64_t *size)
{
	size_t cur = 0, d = 0;
	*nix = 0;
	*size = 0;
	int ret = TLD_OK;
	for (size_t i = 0; i < sp->nmb && ret == TLD_OK; i++) {
		if (sp->pos[i] == SIZE_MAX) {
			continue;
		}
		ret = copy_blocks(sp, out, cur, sp->pos[i], &d, ix, nix, size);
		if (ret == TLD_OK) {
			ret = out_put(out, sp->mtext + sp->moff[i], sp->mb[i].len);
		}
		if (ix != NULL) {
			ix[*nix] = sp->mb[i];
		}
		(*nix)++;
		*size += sp->mb[i].len;
		cur = sp->pos[i];
	}
	if (ret == TLD_OK) {
		ret = copy_blocks(sp, out, cur, (size_t)sp->sf->text->nblocks, &d, ix, nix, size);
	}
	return ret == TLD_OK && out->out != NULL && fflush(out->out) != 0 ? TLD_EIO : ret;
}

/* -- public API -- */

/*
 * The side file, on a thread of its own beside the text: written and on the
 * disk, committed after the join; then the text's digest and check.
 */
struct side_job {
	struct splice *sp;
	const char *path;
	uint32_t serial;
	const struct signer_sigfile_block *ix;
	size_t nix;
	uint64_t size;
	tld_atomic_file_t *af;
	int ret;
	double seconds, hash_seconds;
	bool hash;                            /* on a thread of its own: the text's digest too */
	atomic_bool stop;                     /* the text is written: the hashing stops */
	struct tld_text_digest digest;        /* hex "" and no partial when not made */
};

/*
 * The text's SHA-256 and check from the pieces it is written from, or the
 * stream of its first bytes when stopped (j->digest: nothing on failure).
 */
static void hash_text(struct side_job *j)
{
	struct tld_text_stream hs;
	struct text_out h = { .hash = &hs, .stop = &j->stop };
	size_t n = 0;
	uint64_t size = 0;
	if (tld_text_stream_init(&hs, true) != TLD_OK) {
		return;
	}
	int ret = write_spliced(j->sp, &h, NULL, &n, &size);
	if (ret == TLD_OK && n == j->nix && size == j->size) {
		if (tld_text_stream_end(&hs, j->digest.hex, &j->digest.check) != TLD_OK) {
			j->digest.hex[0] = 0;
		}
		return;
	}
	/* stopped between two pieces: every piece before added whole, none after */
	if (ret != TLD_OK && h.stopped && hs.len < j->size && (j->digest.partial = malloc(sizeof(hs))) != NULL) {
		*j->digest.partial = hs;
		return;
	}
	tld_text_stream_free(&hs);
}

static void *side_thread(void *arg)
{
	struct side_job *j = arg;
	double t0 = tld_mono_seconds();
	j->ret = tld_atomic_file_open(j->path, 0644, &j->af);
	if (j->ret == TLD_OK) {
		FILE *f = tld_atomic_file_stream(j->af);
		j->ret = sign_patch_side_write(j->sp->run, j->sp->pc, f, j->serial, j->ix, j->nix, j->size);
		if (j->ret == TLD_OK && (fflush(f) != 0 || fdatasync(fileno(f)) != 0)) {
			j->ret = TLD_EIO; /* the commit's fsync then finds nothing to wait for */
		}
	}
	double t1 = tld_mono_seconds();
	j->seconds = t1 - t0;
	if (j->ret == TLD_OK && j->hash) {
		hash_text(j);
	}
	j->hash_seconds = tld_mono_seconds() - t1;
	return NULL;
}

/* TLDSIGN_SIGN_PATCH_HASH (tests only): "whole" waits for the hashing, "none" hashes nothing. */
enum hash_mode { HASH_PART, HASH_WHOLE, HASH_NONE };

static enum hash_mode hash_mode(void)
{
	const char *env = getenv("TLDSIGN_SIGN_PATCH_HASH");
	return env == NULL ? HASH_PART : strcmp(env, "whole") == 0 ? HASH_WHOLE : strcmp(env, "none") == 0 ? HASH_NONE
	                                                                                                   : HASH_PART;
}

/*
 * The identity of the committed text path into d->ident when it is the file
 * written (*written: fstat of the stream after its last write); else d is
 * released: no digest is handed on.
 */
static void take_ident(const char *path, const struct stat *written, struct tld_text_digest *d)
{
	if ((d->hex[0] == 0 && d->partial == NULL) || !tld_file_ident_as_written(path, written, d->ident)) {
		tld_text_digest_release(d);
	}
}

int sign_patch_write(struct sign_run *run, struct sign_patch *pc, const char *path, uint32_t serial)
{
	struct splice sp = { .run = run, .pc = pc, .sf = pc->sf };
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return TLD_EINVAL;
	}
	double t0 = tld_mono_seconds();
	int ret = sign_write_text_memory(run, &sp.mtext, &sp.mlen, &sp.mb, &sp.nmb);
	double t1 = tld_mono_seconds(), c1 = tld_thread_cpu_seconds(), c2 = c1;
	if (ret == TLD_OK) {
		ret = plan_splice(&sp);
		c2 = tld_thread_cpu_seconds();
		if (ret == TLD_EAGAIN) {
			tld_info("signing: the previous zone text is not as its index says: the whole zone is signed");
		}
	}
	/* the index first (the side file holds it), then the side file beside the text */
	struct signer_sigfile_block *ix = NULL;
	struct text_out none = { 0 }, to = { 0 };
	struct side_job sj = { .sp = &sp, .path = side, .serial = serial, .ret = TLD_OK, .stop = false };
	struct stat written = { 0 };
	tld_atomic_file_t *af = NULL;
	pthread_t tid;
	bool threaded = false;
	if (ret == TLD_OK) {
		ix = malloc((size_t)(sp.sf->text->nblocks + sp.nmb + 1) * sizeof(*ix));
		ret = ix == NULL ? TLD_ENOMEM : write_spliced(&sp, &none, ix, &sj.nix, &sj.size);
		sj.ix = ix;
	}
	double t2 = tld_mono_seconds();
	if (ret == TLD_OK) {
		sj.hash = hash_mode() != HASH_NONE;
		threaded = pthread_create(&tid, NULL, side_thread, &sj) == 0;
		if (!threaded) {
			sj.hash = false; /* on the critical path it would only move the publish's work */
			side_thread(&sj);
		}
		ret = tld_atomic_file_open(path, 0644, &af);
	}
	if (ret == TLD_OK) {
		to.out = tld_atomic_file_stream(af);
		size_t n = 0;
		uint64_t size = 0;
		ret = write_spliced(&sp, &to, NULL, &n, &size); /* the index is made: only the text */
		if (ret == TLD_OK && (n != sj.nix || size != sj.size)) {
			ret = TLD_EINVAL; /* one plan, two walks: a bug */
		}
		if (ret == TLD_OK && fstat(fileno(to.out), &written) != 0) {
			ret = TLD_EIO;
		}
		if (ret != TLD_OK) {
			tld_error("%s: writing the signed zone failed: %s", path, tld_strerror(ret));
		}
	}
	double t3 = tld_mono_seconds();
	if (hash_mode() != HASH_WHOLE) {
		atomic_store(&sj.stop, true); /* the text is written: the hashing is not waited for */
	}
	if (threaded) {
		pthread_join(tid, NULL);
	}
	double t4 = tld_mono_seconds();
	if (ret == TLD_OK && sj.ret != TLD_OK) {
		ret = sj.ret;
		if (ret != TLD_EAGAIN) {
			tld_error("%s: writing the signature side file failed: %s", side, tld_strerror(ret));
		}
	}
	/* the side file first, as sign_write() commits: it names the text's size and serial */
	if (ret == TLD_OK) {
		ret = tld_atomic_file_commit(sj.af);
		sj.af = NULL;
	}
	if (ret == TLD_OK) {
		ret = tld_atomic_file_commit(af);
		af = NULL;
	}
	if (ret == TLD_OK) {
		take_ident(path, &written, &sj.digest);
		run->text_digest = sj.digest; /* handed on */
	} else {
		tld_text_digest_release(&sj.digest);
	}
	if (sj.af != NULL) {
		tld_atomic_file_abort(sj.af);
	}
	if (af != NULL) {
		tld_atomic_file_abort(af);
	}
	if (ret == TLD_OK) {
		run->text_formatted = sp.mlen;
		run->text_copied = sj.size - sp.mlen;
		tld_debug("signing: patch: %zu blocks (%.1f MiB) formatted in %.2f s; %zu previous blocks taken out, "
		          "planned in %.2f s (%zu owners parsed in %.3f CPU s), the text written in %.2f s beside the side "
		          "file (%.2f s), waited %.2f s for it, fsync and rename %.2f s; the text's SHA-256 and check %s on "
		          "that thread in %.2f s",
		          sp.nmb, (double)sp.mlen / 1048576.0, t1 - t0, sp.ndrop, t2 - t1, sp.parsed, c2 - c1, t3 - t2,
		          sj.seconds, t4 - t3, tld_mono_seconds() - t4,
		          run->text_digest.hex[0] != 0 ? "made"
		          : run->text_digest.partial != NULL ? "made in part (to be gone on with)" : "not made",
		          sj.hash_seconds);
		if (run->text_digest.partial != NULL) {
			tld_debug("signing: patch: the text's SHA-256 and check stopped at %.1f of %.1f MiB",
			          (double)run->text_digest.partial->len / 1048576.0, (double)sj.size / 1048576.0);
		}
	}
	free(ix);
	free(sp.mtext);
	free(sp.mb);
	free(sp.moff);
	free(sp.pos);
	free(sp.drop);
	free(sp.memo);
	return ret;
}
