/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The splice plan of a patch run (patch_internal.h: struct sign_patch_plan):
 * where each of the run's text blocks goes among the previous file's blocks
 * and which previous blocks go.
 *
 * It is made from the run's names, not from the run's text: the run's blocks
 * are one per node of its zone and one per NSEC3 record, in the order
 * sign_write.c's write_part() writes them (the apex; then before each node
 * the NSEC3 records whose owners sort before it; the rest after the last
 * node), and a block's owner is its node's name or its record's hashed
 * owner.  So the plan needs no signature: sign.c makes it on a thread of its
 * own once the run's chain is built, while the replaced names' RRsets are
 * planned and signed (the HSM's workers are other processes: the run's own
 * thread only waits for them).  What it relies on is checked once the text
 * is formatted (sign_patch_plan_check()): as many blocks, the same ones
 * empty (an empty non-terminal's block has no text), and each other block's
 * owner -- the first field of its first line, parsed as before this plan
 * was made apart -- the planned one, byte for byte in sort-key form.  Any
 * difference: TLD_EAGAIN, nothing written, the whole zone signed.
 *
 * The previous blocks are found in one ordered walk over the previous text
 * index: each search's first probe at the average distance of the blocks
 * still sought, galloping on, then a binary search whose next probes' text
 * is fetched ahead; the removed owners and the NSEC3 records gone sorted and
 * found in a second walk.  Where a block to take out is not found, or two
 * blocks have one owner, the previous text is not as its index says:
 * TLD_EAGAIN.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "signer/grow.h"
#include "signer/patch_internal.h"
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

/* The sort key of the owner of the line at p (its first field); 0 when it is not a name. */
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

struct planning {
	const struct sign_run *run;
	const struct sign_patch *pc;
	const struct signer_sigfile *sf;
	struct sign_patch_plan *plan;
	size_t dcap;                          /* of plan->drop */
	struct key_memo *memo;                /* KEY_CACHE */
};

/* Empty blocks (empty non-terminals) looked past for an owner, at most. */
#define EMPTY_RUN_MAX 64

/*
 * The owner of previous block b: the first line's; an empty block (an empty
 * non-terminal's) takes the next block's, and after the last block *klen is
 * 0 (after every name).  *key points into the memo, valid until the next call.
 */
static int owner_key_of_block(struct planning *pg, size_t b, const uint8_t **key, size_t *klen)
{
	struct key_memo *m = &pg->memo[b % KEY_CACHE];
	if (m->block == b) {
		*key = m->key;
		*klen = m->klen;
		return TLD_OK;
	}
	const char *text = pg->pc->prev_text;
	size_t n = (size_t)pg->sf->text->nblocks, at = b;
	const uint64_t *off = pg->sf->block_off; /* an empty block: the same offset as the next (one array read) */
	for (size_t k = 0; at < n && off[at + 1] == off[at]; k++, at++) {
		if (k == EMPTY_RUN_MAX) {
			return TLD_EAGAIN;
		}
	}
	m->block = SIZE_MAX;
	m->klen = 0;
	if (at < n) {
		pg->plan->parsed++;
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
static int key_before_block(struct planning *pg, size_t b, const uint8_t *key, size_t klen, int *cmp)
{
	const uint8_t *k = NULL;
	size_t kl = 0;
	int ret = owner_key_of_block(pg, b, &k, &kl);
	*cmp = ret != TLD_OK || kl == 0 ? -1 : signer_key_cmp(key, klen, k, kl);
	return ret;
}

/* Starts fetching the first bytes of block b's text (a probe that may come next: its miss overlaps this one's). */
static void prefetch_block(const struct planning *pg, size_t b)
{
	if (b < (size_t)pg->sf->text->nblocks) {
		__builtin_prefetch(pg->pc->prev_text + pg->sf->block_off[b]);
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
static int find_block(struct planning *pg, const uint8_t *key, size_t klen, size_t from, size_t step, size_t *at,
                      bool *equal)
{
	size_t n = (size_t)pg->sf->text->nblocks, lo = from, hi = n;
	int cmp = 0;
	step = step > 0 ? step : 1;
	while (lo < n) {
		size_t probe = step - 1 < n - lo ? lo + step - 1 : n - 1;
		if (key_before_block(pg, probe, key, klen, &cmp) != TLD_OK) {
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
		prefetch_block(pg, lo + (mid - lo) / 2);          /* the next probe, key before mid's owner */
		prefetch_block(pg, mid + 1 + (hi - mid - 1) / 2); /* or after it */
		if (key_before_block(pg, mid, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		if (cmp > 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	while (lo < n && pg->sf->block_off[lo + 1] == pg->sf->block_off[lo]) { /* the block with the owner itself */
		lo++;
	}
	*at = lo;
	*equal = false;
	if (lo < n) {
		if (key_before_block(pg, lo, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		*equal = cmp == 0;
	}
	if (*equal && lo + 1 < n) { /* one block an owner, or the text is not as indexed */
		if (key_before_block(pg, lo + 1, key, klen, &cmp) != TLD_OK || cmp == 0) {
			return TLD_EAGAIN;
		}
	}
	return TLD_OK;
}

/* The first probe's distance for the next of left keys sought after block from: their average gap. */
static size_t gap_of(const struct planning *pg, size_t from, size_t left)
{
	size_t n = (size_t)pg->sf->text->nblocks;
	return left > 0 && from < n ? (n - from) / left : 1;
}

static int drop_block(struct planning *pg, size_t b)
{
	struct sign_patch_plan *p = pg->plan;
	if (signer_grow((void **)&p->drop, &pg->dcap, p->ndrop + 1, sizeof(*p->drop)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	p->drop[p->ndrop++] = b;
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

/* The wire owner of NSEC3 hash in zone origin (olen bytes).  \return its length, 0 when too long */
static size_t nsec3_wire(const uint8_t *hash, const uint8_t *origin, size_t olen, uint8_t *wire)
{
	char b32[64];
	size_t n = signer_base32hex(hash, SIGNER_NSEC3_HASH_LEN, b32);
	if (n + 1 + olen > SIGNER_DNAME_MAX) {
		return 0;
	}
	wire[0] = (uint8_t)n;
	memcpy(wire + 1, b32, n);
	memcpy(wire + 1 + n, origin, olen);
	return n + 1 + olen;
}

/* The keys of the removed owners and of the NSEC3 records gone, in canonical order. */
static int gone_keys_make(const struct planning *pg, struct gone_keys *g)
{
	const struct patch_names *rm = &pg->pc->removed;
	for (size_t i = 0; rm->slot != NULL && i <= rm->mask; i++) {
		if (rm->slot[i] != NULL && gone_key_add(g, rm->slot[i] + 1, rm->slot[i] + 1, 0) != TLD_OK) {
			return TLD_ENOMEM;
		}
	}
	const struct signer_zone *z = pg->run->z;
	for (size_t i = 0; i < pg->pc->ngone; i++) {
		uint8_t wire[SIGNER_DNAME_MAX];
		if (nsec3_wire(pg->pc->gone[i], z->origin, z->origin_len, wire) == 0) {
			return TLD_EAGAIN;
		}
		if (gone_key_add(g, wire, NULL, i) != TLD_OK) {
			return TLD_ENOMEM;
		}
	}
	signer_sort(g->k, g->n, sizeof(*g->k), gone_key_cmp, g->buf);
	return TLD_OK;
}

/* Logs a name to take out that the previous text does not have. */
static void not_there(const struct planning *pg, const struct gone_key *k)
{
	char text[1024];
	if (k->wire != NULL) {
		signer_dname_to_text(k->wire, text, sizeof(text));
	} else {
		size_t n = signer_base32hex(pg->pc->gone[k->hash], SIGNER_NSEC3_HASH_LEN, text);
		text[n] = '\0';
	}
	tld_info("signing: %s is not in the previous zone text", text);
}

/* Takes out the previous blocks of the removed owners and the NSEC3 records gone: each must be there. */
static int drop_gone(struct planning *pg)
{
	struct gone_keys g = { 0 };
	int ret = gone_keys_make(pg, &g);
	size_t from = 0;
	for (size_t i = 0; i < g.n && ret == TLD_OK; i++) {
		bool equal = false;
		size_t at = 0;
		ret = find_block(pg, g.buf + g.k[i].off, g.k[i].len, from, gap_of(pg, from, g.n - i), &at, &equal);
		if (ret == TLD_OK && !equal) {
			not_there(pg, &g.k[i]);
			ret = TLD_EAGAIN;
		}
		if (ret == TLD_OK) {
			ret = drop_block(pg, at);
			from = at; /* the next key sorts after: at or after this block (one owner twice: taken out twice) */
		}
	}
	free(g.buf);
	free(g.k);
	return ret;
}

/* Appends a run block with this owner key (empty: it has no text); p->key_off and p->empty have room. */
static int add_block(struct sign_patch_plan *p, size_t *keys_cap, const uint8_t *key, size_t klen, bool empty)
{
	if (signer_grow((void **)&p->keys, keys_cap, p->key_off[p->nblocks] + klen, 1) != TLD_OK) {
		return TLD_ENOMEM;
	}
	memcpy(p->keys + p->key_off[p->nblocks], key, klen);
	p->empty[p->nblocks] = empty;
	p->key_off[p->nblocks + 1] = p->key_off[p->nblocks] + klen;
	p->nblocks++;
	return TLD_OK;
}

/*
 * The run's blocks as sign_write.c's write_part() writes them: their owner
 * keys and which have no text (a node without records: an empty
 * non-terminal; the denial is NSEC3, so no node has an NSEC record).
 */
static int run_blocks(const struct sign_run *run, struct sign_patch_plan *p)
{
	const struct signer_zone *z = run->z;
	size_t j = 0, nn3 = run->n3 != NULL ? run->n3->count : 0, keys_cap = 0, n = z->nnodes + nn3;
	if (run->nsec != NULL) {
		return TLD_EAGAIN;
	}
	p->key_off = malloc((n + 1) * sizeof(*p->key_off));
	p->empty = malloc(n ? n : 1);
	if (p->key_off == NULL || p->empty == NULL) {
		return TLD_ENOMEM;
	}
	p->key_off[0] = 0;
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len = 0;
	if (j < nn3 && (key_len = sign_nsec3_key(run, j, key)) == 0) {
		return TLD_EAGAIN;
	}
	int ret = TLD_OK;
	for (size_t i = 0; i < z->nnodes && ret == TLD_OK; i++) {
		const struct signer_node *nd = &z->nodes[i];
		while (i > 0 && j < nn3 && ret == TLD_OK &&
		       signer_key_cmp(key, key_len, signer_node_key(z, nd), nd->key_len) < 0) {
			ret = add_block(p, &keys_cap, key, key_len, false);
			if (ret == TLD_OK && ++j < nn3 && (key_len = sign_nsec3_key(run, j, key)) == 0) {
				ret = TLD_EAGAIN;
			}
		}
		if (ret == TLD_OK) {
			ret = add_block(p, &keys_cap, signer_node_key(z, nd), nd->key_len,
			                nd->rr_count == 0 && !(nd->flags & SIGNER_NODE_APEX));
		}
	}
	for (; j < nn3 && ret == TLD_OK; j++) {
		ret = add_block(p, &keys_cap, key, key_len, false);
		if (ret == TLD_OK && j + 1 < nn3 && (key_len = sign_nsec3_key(run, j + 1, key)) == 0) {
			ret = TLD_EAGAIN;
		}
	}
	return ret;
}

/* Where each of the run's blocks goes and which previous blocks go. */
static int make_plan(struct planning *pg)
{
	struct sign_patch_plan *p = pg->plan;
	int ret = run_blocks(pg->run, p);
	if (ret != TLD_OK) {
		return ret;
	}
	p->pos = malloc((p->nblocks ? p->nblocks : 1) * sizeof(*p->pos));
	pg->memo = malloc(KEY_CACHE * sizeof(*pg->memo));
	if (p->pos == NULL || pg->memo == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < KEY_CACHE; i++) {
		pg->memo[i].block = SIZE_MAX;
	}
	const uint8_t *prev_key = NULL;
	size_t prev_klen = 0, from = 0;
	for (size_t i = 0; i < p->nblocks; i++) {
		if (p->empty[i]) { /* an empty non-terminal: no text; the previous one's block stays */
			p->pos[i] = SIZE_MAX;
			continue;
		}
		const uint8_t *key = p->keys + p->key_off[i];
		size_t klen = p->key_off[i + 1] - p->key_off[i];
		bool equal = false;
		if (klen == 0 || (prev_klen > 0 && signer_key_cmp(prev_key, prev_klen, key, klen) >= 0)) {
			return TLD_EAGAIN;
		}
		prev_key = key;
		prev_klen = klen;
		ret = find_block(pg, key, klen, from, gap_of(pg, from, p->nblocks - i), &p->pos[i], &equal);
		from = p->pos[i];
		if (ret == TLD_OK && equal) {
			ret = drop_block(pg, p->pos[i]);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	ret = drop_gone(pg);
	if (ret != TLD_OK) {
		return ret;
	}
	qsort(p->drop, p->ndrop, sizeof(*p->drop), size_cmp);
	for (size_t i = 1; i < p->ndrop; i++) {
		if (p->drop[i] == p->drop[i - 1]) {
			return TLD_EAGAIN; /* one block for two names: not as indexed */
		}
	}
	return TLD_OK;
}

/*
 * The patched text's index but the run's blocks' entries (they come with the
 * text): the previous blocks kept, in order, and a place for each of the
 * run's blocks with text where the plan puts it -- the blocks in the order
 * the writer (sign_patch_write.c) writes them, which counts them too.
 */
static int plan_index(struct planning *pg)
{
	struct sign_patch_plan *p = pg->plan;
	const struct signer_sigfile *sf = pg->sf;
	size_t n = (size_t)sf->text->nblocks, b = 0, d = 0, k = 0;
	p->ix = malloc((n + p->nblocks + 1) * sizeof(*p->ix));
	p->run_at = malloc((p->nblocks ? p->nblocks : 1) * sizeof(*p->run_at));
	if (p->ix == NULL || p->run_at == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i <= p->nblocks; i++) {
		size_t to = i < p->nblocks ? p->pos[i] : n;
		if (to == SIZE_MAX) { /* an empty block: none in the text */
			p->run_at[i] = SIZE_MAX;
			continue;
		}
		for (; b < to; b++) {
			if (d < p->ndrop && p->drop[d] == b) {
				d++;
				continue;
			}
			p->ix[k++] = sf->blocks[b];
			p->kept_size += sf->blocks[b].len;
		}
		if (i < p->nblocks) {
			p->run_at[i] = k++;
		}
	}
	p->nix = k;
	return TLD_OK;
}

static void *planner_main(void *arg)
{
	struct sign_patch_planner *pl = arg;
	double t0 = tld_mono_seconds(), c0 = tld_thread_cpu_seconds();
	struct planning pg = { .run = pl->run, .pc = pl->pc, .sf = pl->pc->sf, .plan = &pl->plan };
	pl->ret = make_plan(&pg);
	if (pl->ret == TLD_OK) {
		pl->ret = plan_index(&pg);
	}
	free(pg.memo);
	pl->plan.seconds = tld_mono_seconds() - t0;
	pl->plan.cpu = tld_thread_cpu_seconds() - c0;
	return NULL;
}

/* -- public API -- */

void sign_patch_plan_start(struct sign_patch_planner *pl, const struct sign_run *run, const struct sign_patch *pc)
{
	memset(pl, 0, sizeof(*pl));
	pl->run = run;
	pl->pc = pc;
	pl->ret = TLD_OK;
	pl->started = true;
	const char *env = getenv("TLDSIGN_SIGN_PATCH_PLAN"); /* "here" (tests only): made at the join */
	pl->threaded = (env == NULL || strcmp(env, "here") != 0) && pthread_create(&pl->tid, NULL, planner_main, pl) == 0;
	pl->pending = !pl->threaded;
}

int sign_patch_plan_join(struct sign_patch_planner *pl, double *waited)
{
	double t0 = tld_mono_seconds();
	if (pl->threaded) {
		pthread_join(pl->tid, NULL);
		pl->threaded = false;
	} else if (pl->pending) {
		planner_main(pl);
	}
	pl->pending = false;
	if (waited != NULL) {
		*waited = tld_mono_seconds() - t0;
	}
	return pl->started ? pl->ret : TLD_EAGAIN; /* no plan to use: the whole zone is signed */
}

void sign_patch_plan_end(struct sign_patch_planner *pl)
{
	if (pl->threaded) {
		pthread_join(pl->tid, NULL);
		pl->threaded = false;
	}
	pl->pending = false;
	struct sign_patch_plan *p = &pl->plan;
	free(p->keys);
	free(p->key_off);
	free(p->empty);
	free(p->pos);
	free(p->drop);
	free(p->ix);
	free(p->run_at);
	memset(p, 0, sizeof(*p));
}

void sign_patch_plan_fill(struct sign_patch_plan *p, const struct signer_sigfile_block *mb, uint64_t *size)
{
	*size = p->kept_size;
	for (size_t i = 0; i < p->nblocks; i++) {
		if (p->run_at[i] != SIZE_MAX) {
			p->ix[p->run_at[i]] = mb[i];
			*size += mb[i].len;
		}
	}
}

int sign_patch_plan_check(const struct sign_patch_plan *p, const char *text, const struct signer_sigfile_block *mb,
                          size_t nmb)
{
	if (nmb != p->nblocks) {
		tld_info("signing: patch: %zu blocks formatted, %zu planned", nmb, p->nblocks);
		return TLD_EAGAIN;
	}
	size_t off = 0;
	for (size_t i = 0; i < nmb; i++) {
		if ((mb[i].len == 0) != (p->empty[i] != 0)) {
			tld_info("signing: patch: block %zu is %s, planned %s", i, mb[i].len == 0 ? "empty" : "not empty",
			         p->empty[i] ? "empty" : "not");
			return TLD_EAGAIN;
		}
		if (mb[i].len > 0) {
			uint8_t key[SIGNER_KEY_MAX];
			size_t klen = line_owner_key(text + off, text + off + mb[i].len, key);
			if (klen == 0 || klen != p->key_off[i + 1] - p->key_off[i] ||
			    memcmp(key, p->keys + p->key_off[i], klen) != 0) {
				tld_info("signing: patch: block %zu's owner is not the one planned", i);
				return TLD_EAGAIN;
			}
		}
		off += mb[i].len;
	}
	return TLD_OK;
}
