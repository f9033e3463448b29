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
 * The side file: the previous entries but those of the replaced and removed
 * names' RRsets (the patch index names each RRset's owner), with the run's;
 * the text index of the new text; the patch index: the chain after the patch
 * and the slots in the full path's order (the zone's RRsets in canonical
 * order of their owners, then the NSEC3 records by hash -- one per record of
 * the chain, in the chain's order), its names the previous index's with the
 * replaced names appended.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "signer/patch_internal.h"
#include "signer/rrsig.h"
#include "signer/textout.h"
#include "signer/sign_internal.h"
#include "signer/zparse.h"

/* -- internal API -- */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The canonical sort key of the owner of the line at p (its first field), or 0 when it has none. */
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
};

/* Empty blocks (empty non-terminals) looked past for an owner, at most. */
#define EMPTY_RUN_MAX 64

/*
 * The owner of previous block b: the first line's; an empty block (an empty
 * non-terminal's) takes the next block's, and after the last block *klen is
 * 0 (after every name).
 */
static int owner_key_of_block(const struct splice *sp, size_t b, uint8_t *key, size_t *klen)
{
	const char *text = sp->pc->prev_text;
	size_t n = (size_t)sp->sf->text->nblocks;
	for (size_t k = 0; b < n && sp->sf->blocks[b].len == 0; k++, b++) {
		if (k == EMPTY_RUN_MAX) {
			return TLD_EAGAIN;
		}
	}
	if (b == n) {
		*klen = 0;
		return TLD_OK;
	}
	*klen = line_owner_key(text + sp->sf->block_off[b], text + sp->sf->block_off[b + 1], key);
	return *klen > 0 ? TLD_OK : TLD_EAGAIN;
}

/* key < the owner of block b (klen 0: after every name) */
static int key_before_block(const struct splice *sp, size_t b, const uint8_t *key, size_t klen, int *cmp)
{
	uint8_t k[SIGNER_KEY_MAX];
	size_t kl = 0;
	int ret = owner_key_of_block(sp, b, k, &kl);
	*cmp = kl == 0 ? -1 : signer_key_cmp(key, klen, k, kl);
	return ret;
}

/*
 * The first previous block at or after from whose owner sorts at or after
 * key (none before from does); *equal when its owner is key.  Galloping
 * from from: the run's blocks come in order, a few dozen blocks apart.
 */
static int find_block(const struct splice *sp, const uint8_t *key, size_t klen, size_t from, size_t *at,
                      bool *equal)
{
	size_t n = (size_t)sp->sf->text->nblocks, lo = from, hi = n, step = 1;
	int cmp = 0;
	while (lo < n) {
		size_t probe = lo + step - 1 < n ? lo + step - 1 : n - 1;
		if (key_before_block(sp, probe, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		if (cmp <= 0) {
			hi = probe;
			break;
		}
		lo = probe + 1;
		step *= 2;
	}
	if (hi < lo) {
		hi = lo;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_before_block(sp, mid, key, klen, &cmp) != TLD_OK) {
			return TLD_EAGAIN;
		}
		if (cmp > 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	while (lo < n && sp->sf->blocks[lo].len == 0) { /* the block with the owner itself */
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

static int drop_block(struct splice *sp, size_t b)
{
	if (sp->ndrop == sp->dcap) {
		size_t cap = sp->dcap ? sp->dcap * 2 : 1024;
		size_t *n = realloc(sp->drop, cap * sizeof(*n));
		if (n == NULL) {
			return TLD_ENOMEM;
		}
		sp->drop = n;
		sp->dcap = cap;
	}
	sp->drop[sp->ndrop++] = b;
	return TLD_OK;
}

/* Takes out the previous block of a name that must be there. */
static int drop_name(struct splice *sp, const uint8_t *wire)
{
	uint8_t key[SIGNER_KEY_MAX];
	size_t klen = signer_dname_key(wire, key), at = 0;
	bool equal = false;
	int ret = find_block(sp, key, klen, 0, &at, &equal);
	if (ret == TLD_OK && !equal) {
		char text[1024];
		signer_dname_to_text(wire, text, sizeof(text));
		tld_info("signing: %s is not in the previous zone text", text);
		ret = TLD_EAGAIN;
	}
	return ret == TLD_OK ? drop_block(sp, at) : ret;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* Where each of the run's blocks goes and which previous blocks go. */
static int plan_splice(struct splice *sp)
{
	sp->moff = malloc((sp->nmb + 1) * sizeof(*sp->moff));
	sp->pos = malloc((sp->nmb ? sp->nmb : 1) * sizeof(*sp->pos));
	if (sp->moff == NULL || sp->pos == NULL) {
		return TLD_ENOMEM;
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
		int ret = find_block(sp, key, klen, from, &sp->pos[i], &equal);
		from = sp->pos[i];
		if (ret == TLD_OK && equal) {
			ret = drop_block(sp, sp->pos[i]);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	const struct patch_names *rm = &sp->pc->removed;
	for (size_t i = 0; rm->slot != NULL && i <= rm->mask; i++) {
		int ret = rm->slot[i] != NULL ? drop_name(sp, rm->slot[i] + 1) : TLD_OK;
		if (ret != TLD_OK) {
			return ret;
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
		int ret = drop_name(sp, wire);
		if (ret != TLD_OK) {
			return ret;
		}
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

/* Where the text goes: out (NULL: only the index is made), with the writeback started as it goes. */
struct text_out {
	FILE *out;
	uint64_t written, flushed;
};

static int out_put(struct text_out *o, const char *p, size_t len)
{
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

/* Previous blocks [from, to) but the dropped ones, to out and to the index. */
static int copy_blocks(struct splice *sp, struct text_out *out, size_t from, size_t to, size_t *d,
                       struct signer_sigfile_block *ix, size_t *nix)
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
			memcpy(ix + *nix, sf->blocks + from, (end - from) * sizeof(*ix));
			*nix += end - from;
		}
		from = end < to ? end + 1 : to; /* past the dropped block */
	}
	return TLD_OK;
}

/* The text: the previous blocks with the run's merged in (and its index). */
static int write_spliced(struct splice *sp, struct text_out *out, struct signer_sigfile_block *ix, size_t *nix,
                         uint64_t *size)
{
	size_t cur = 0, d = 0;
	*nix = 0;
	int ret = TLD_OK;
	for (size_t i = 0; i < sp->nmb && ret == TLD_OK; i++) {
		if (sp->pos[i] == SIZE_MAX) {
			continue;
		}
		ret = copy_blocks(sp, out, cur, sp->pos[i], &d, ix, nix);
		if (ret == TLD_OK) {
			ret = out_put(out, sp->mtext + sp->moff[i], sp->mb[i].len);
		}
		ix[(*nix)++] = sp->mb[i];
		cur = sp->pos[i];
	}
	if (ret == TLD_OK) {
		ret = copy_blocks(sp, out, cur, (size_t)sp->sf->text->nblocks, &d, ix, nix);
	}
	*size = 0;
	for (size_t i = 0; i < *nix; i++) {
		*size += ix[i].len;
	}
	return ret == TLD_OK && out->out != NULL && fflush(out->out) != 0 ? TLD_EIO : ret;
}

/* -- the side file -- */

/* One signature of the new side file: in the previous blob or the run's arena. */
struct sig_ref {
	const uint8_t *rd;
	uint16_t len;
};

struct side {
	struct sig_ref *sigs;
	size_t nsigs, cap;
	struct signer_sigfile_item *items;
	size_t nitems;
};

static const uint8_t *side_sig(void *ctx, size_t i, uint16_t *len)
{
	const struct side *s = ctx;
	*len = s->sigs[i].len;
	return s->sigs[i].rd;
}

static int side_add_sig(struct side *s, const uint8_t *rd, uint16_t len)
{
	if (s->nsigs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		struct sig_ref *n = realloc(s->sigs, cap * sizeof(*n));
		if (n == NULL) {
			return TLD_ENOMEM;
		}
		s->sigs = n;
		s->cap = cap;
	}
	s->sigs[s->nsigs].rd = rd;
	s->sigs[s->nsigs++].len = len;
	return TLD_OK;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SIGNER_SIGFILE_HASH);
}

/* Is a previous slot's owner replaced or removed? */
static bool slot_replaced(const struct sign_patch *pc, const struct signer_sigfile_slot *s)
{
	const struct signer_sigfile *sf = pc->sf;
	const uint8_t *name = sf->names + s->name;
	size_t len = signer_dname_len(name, (size_t)(sf->patch->names_len - s->name));
	return patch_names_has(&pc->replaced, name, len) || patch_names_has(&pc->removed, name, len);
}

/* The entries: the previous ones but the replaced and removed names' RRsets, and the run's, by hash. */
static int side_entries(struct splice *sp, struct side *s)
{
	const struct signer_sigfile *sf = sp->sf;
	const struct sign_run *run = sp->run;
	size_t ngone = 0;
	uint8_t (*gone)[SIGNER_SIGFILE_HASH] = malloc((sf->patch->nslots + 1) * SIGNER_SIGFILE_HASH);
	s->items = malloc((sf->hdr->nentries + run->nslots + 1) * sizeof(*s->items));
	if (gone == NULL || s->items == NULL) {
		free(gone);
		return TLD_ENOMEM;
	}
	for (uint64_t i = 0; i < sf->patch->nslots; i++) {
		if (slot_replaced(sp->pc, &sf->pslots[i])) {
			memcpy(gone[ngone++], sf->pslots[i].hash, SIGNER_SIGFILE_HASH);
		}
	}
	qsort(gone, ngone, SIGNER_SIGFILE_HASH, hash_cmp);
	size_t g = 0, m = 0;
	int ret = TLD_OK;
	for (uint64_t i = 0; i <= sf->hdr->nentries && ret == TLD_OK; i++) {
		const struct signer_sigfile_entry *e = i < sf->hdr->nentries ? &sf->entries[i] : NULL;
		/* the run's entries that sort before this one */
		while (m < run->nslots && ret == TLD_OK) {
			const struct slot *sl = &run->slots[run->order != NULL ? run->order[m] : m];
			if (e != NULL && memcmp(sl->hash, e->hash, SIGNER_SIGFILE_HASH) > 0) {
				break;
			}
			struct signer_sigfile_item *it = &s->items[s->nitems++];
			memcpy(it->hash, sl->hash, SIGNER_SIGFILE_HASH);
			it->sig_first = (uint32_t)s->nsigs;
			it->nsigs = sl->nsigs;
			for (uint32_t k = 0; k < sl->nsigs && ret == TLD_OK; k++) {
				const struct sig *sg = &run->sigs[sl->sig_first + k];
				ret = side_add_sig(s, run->arena + sg->off, (uint16_t)sg->len);
			}
			m++;
		}
		if (e == NULL || ret != TLD_OK) {
			break;
		}
		while (g < ngone && memcmp(gone[g], e->hash, SIGNER_SIGFILE_HASH) < 0) {
			g++;
		}
		if (g < ngone && memcmp(gone[g], e->hash, SIGNER_SIGFILE_HASH) == 0) {
			continue;
		}
		struct signer_sigfile_item *it = &s->items[s->nitems++];
		memcpy(it->hash, e->hash, SIGNER_SIGFILE_HASH);
		it->sig_first = (uint32_t)s->nsigs;
		it->nsigs = 0;
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (ret == TLD_OK && signer_sigfile_next(sf, e, &pos, &rd, &len)) {
			ret = side_add_sig(s, rd, len);
			it->nsigs++;
		}
	}
	free(gone);
	return ret;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A run slot's entry of the patch index (its name at name_off). */
static void run_pslot(const struct sign_run *run, const struct slot *sl, uint32_t name_off,
                      struct signer_sigfile_slot *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->hash, sl->hash, SIGNER_SIGFILE_HASH);
	out->name = name_off;
	out->type = sl->type;
	out->kind = sl->kind;
	out->nsigs = sl->nsigs > 255 ? 255 : (uint8_t)sl->nsigs;
	tld_time_t emin = 0, imax = 0;
	for (uint32_t k = 0; k < sl->nsigs; k++) {
		const uint8_t *rd = run->arena + run->sigs[sl->sig_first + k].off;
		tld_time_t e = signer_rrsig_time_abs(get32(rd + 8), run->o->now);
		tld_time_t i = signer_rrsig_time_abs(get32(rd + 12), run->o->now);
		if (k == 0 || e < emin) {
			emin = e;
			out->exp_min = get32(rd + 8);
		}
		if (k == 0 || i > imax) {
			imax = i;
			out->inc_max = get32(rd + 12);
		}
	}
}

struct pindex {
	uint8_t *names;
	size_t names_len;
	uint32_t *node_name;                  /* per run node: its name's offset */
	struct signer_sigfile_chain_item *chain;
	struct signer_sigfile_slot *slots;
	size_t nslots;
};

static void keep_exp(struct sign_patch *pc, const struct signer_sigfile_slot *s, tld_time_t now)
{
	if (!pc->kept_any || signer_rrsig_time_abs(s->exp_min, now) < signer_rrsig_time_abs(pc->kept_exp_min, now)) {
		pc->kept_exp_min = s->exp_min;
		pc->kept_any = true;
	}
}

/* The run's chain item of a hash (its items are sorted by hash). */
static size_t run_chain_index(const struct sign_run *run, const uint8_t *hash)
{
	return patch_hash_find(run->n3->items, run->n3->count, sizeof(*run->n3->items), hash);
}

/* The previous chain item of a hash. */
static size_t prev_chain_index(const struct signer_sigfile *sf, const uint8_t *hash)
{
	return patch_hash_find(sf->chain, (size_t)sf->patch->nchain, sizeof(*sf->chain), hash);
}

/* The patch index after the patch (see the top of the file). */
static int make_pindex(struct splice *sp, struct pindex *px)
{
	const struct signer_sigfile *sf = sp->sf;
	struct sign_run *run = sp->run;
	struct sign_patch *pc = sp->pc;
	const struct signer_zone *z = run->z;
	size_t old_len = (size_t)sf->patch->names_len;
	px->names = malloc(old_len + (size_t)z->nnodes * SIGNER_DNAME_MAX + 8);
	px->node_name = malloc((z->nnodes ? z->nnodes : 1) * sizeof(*px->node_name));
	px->chain = malloc((pc->nchain ? pc->nchain : 1) * sizeof(*px->chain));
	px->slots = malloc((size_t)(sf->patch->nslots + run->nslots + 1) * sizeof(*px->slots));
	if (px->names == NULL || px->node_name == NULL || px->chain == NULL || px->slots == NULL) {
		return TLD_ENOMEM;
	}
	memcpy(px->names, sf->names, old_len);
	px->names_len = old_len;
	for (size_t i = 0; i < z->nnodes; i++) {
		const struct signer_node *n = &z->nodes[i];
		px->node_name[i] = (uint32_t)px->names_len;
		memcpy(px->names + px->names_len, signer_node_wire(z, n), n->wire_len);
		px->names_len += n->wire_len;
	}
	if (px->names_len > UINT32_MAX) {
		return TLD_EAGAIN;
	}
	/* the chain */
	for (size_t i = 0; i < pc->nchain; i++) {
		const struct patch_link *l = &pc->chain[i];
		memcpy(px->chain[i].hash, l->hash, SIGNER_NSEC3_HASH_LEN);
		if (patch_names_has(&pc->replaced, l->name, l->name_len)) {
			size_t k = run_chain_index(run, l->hash);
			if (k == SIZE_MAX) {
				return TLD_EAGAIN;
			}
			px->chain[i].name = px->node_name[run->n3->items[k].node];
		} else {
			px->chain[i].name = (uint32_t)(l->name - sf->names); /* the previous index's name */
		}
	}
	/* the zone's slots in canonical order of their owners: the previous ones merged with the run's */
	size_t m = 0;
	uint8_t key[SIGNER_KEY_MAX], mkey[SIGNER_KEY_MAX];
	size_t mklen = 0, mkey_of = SIZE_MAX;
	pc->kept_any = false;
	for (uint64_t i = 0; i <= sf->patch->nslots; i++) {
		const struct signer_sigfile_slot *s = i < sf->patch->nslots ? &sf->pslots[i] : NULL;
		if (s != NULL && s->kind == SLOT_NSEC3) {
			continue;
		}
		if (s != NULL && slot_replaced(pc, s)) {
			continue;
		}
		size_t klen = s != NULL ? signer_dname_key(sf->names + s->name, key) : 0;
		while (m < run->nzone_slots) {
			const struct slot *sl = &run->slots[m];
			if (s != NULL) {
				if (mkey_of != m) {
					mklen = signer_dname_key(signer_node_wire(z, &z->nodes[sl->node]), mkey);
					mkey_of = m;
				}
				if (signer_key_cmp(mkey, mklen, key, klen) > 0) {
					break;
				}
			}
			run_pslot(run, sl, px->node_name[sl->node], &px->slots[px->nslots++]);
			m++;
		}
		if (s == NULL) {
			break;
		}
		px->slots[px->nslots++] = *s;
		pc->kept_slots++;
		pc->kept_sigs += s->nsigs;
		keep_exp(pc, s, run->o->now);
	}
	/* the NSEC3 records, one per record of the chain, in its order */
	for (size_t i = 0; i < pc->nchain; i++) {
		const struct patch_link *l = &pc->chain[i];
		if (patch_names_has(&pc->replaced, l->name, l->name_len)) {
			size_t k = run_chain_index(run, l->hash);
			if (k == SIZE_MAX || run->nzone_slots + k >= run->nslots) {
				return TLD_EAGAIN;
			}
			const struct slot *sl = &run->slots[run->nzone_slots + k];
			run_pslot(run, sl, px->chain[i].name, &px->slots[px->nslots++]);
			continue;
		}
		size_t k = prev_chain_index(sf, l->hash);
		size_t nzone_prev = (size_t)(sf->patch->nslots - sf->patch->nchain);
		if (k == SIZE_MAX || sf->pslots[nzone_prev + k].kind != SLOT_NSEC3) {
			return TLD_EAGAIN;
		}
		px->slots[px->nslots++] = sf->pslots[nzone_prev + k];
		pc->kept_sigs += sf->pslots[nzone_prev + k].nsigs;
		keep_exp(pc, &sf->pslots[nzone_prev + k], run->o->now);
	}
	return TLD_OK;
}

static int write_side(struct splice *sp, FILE *out, uint32_t serial, const struct signer_sigfile_block *ix,
                      size_t nix, uint64_t text_size)
{
	struct side s = { 0 };
	struct pindex px = { 0 };
	static const uint8_t no_hash[32];
	const struct sign_run *run = sp->run;
	int ret = side_entries(sp, &s);
	if (ret == TLD_OK) {
		ret = make_pindex(sp, &px);
	}
	if (ret == TLD_OK) {
		ret = signer_sigfile_write(out, run->z->origin, run->z->origin_len, serial, no_hash, s.items, s.nitems,
		                           side_sig, &s);
	}
	if (ret == TLD_OK) {
		ret = signer_sigfile_write_text(out, text_size, ix, nix);
	}
	if (ret == TLD_OK) {
		struct signer_sigfile_patch hdr = { .now = run->o->now, .nchain = sp->pc->nchain, .nslots = px.nslots,
		                                    .names_len = px.names_len, .flags = SIGNER_SIGFILE_PATCHED };
		memcpy(hdr.keys_digest, run->keys_digest, sizeof(hdr.keys_digest));
		memcpy(hdr.policy_digest, run->policy_digest, sizeof(hdr.policy_digest));
		ret = signer_sigfile_write_patch(out, &hdr, px.chain, px.slots, px.names);
	}
	free(s.sigs);
	free(s.items);
	free(px.names);
	free(px.node_name);
	free(px.chain);
	free(px.slots);
	return ret;
}

/* -- public API -- */

/* The side file, on a thread of its own beside the text: written and on the disk, committed after the join. */
struct side_job {
	struct splice *sp;
	const char *path;
	uint32_t serial;
	const struct signer_sigfile_block *ix;
	size_t nix;
	uint64_t size;
	tld_atomic_file_t *af;
	int ret;
	double seconds;
};

static void *side_thread(void *arg)
{
	struct side_job *j = arg;
	double t0 = mono();
	j->ret = tld_atomic_file_open(j->path, 0644, &j->af);
	if (j->ret == TLD_OK) {
		FILE *f = tld_atomic_file_stream(j->af);
		j->ret = write_side(j->sp, f, j->serial, j->ix, j->nix, j->size);
		if (j->ret == TLD_OK && (fflush(f) != 0 || fdatasync(fileno(f)) != 0)) {
			j->ret = TLD_EIO; /* the commit's fsync then finds nothing to wait for */
		}
	}
	j->seconds = mono() - t0;
	return NULL;
}

int sign_patch_write(struct sign_run *run, struct sign_patch *pc, const char *path, uint32_t serial)
{
	struct splice sp = { .run = run, .pc = pc, .sf = pc->sf };
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return TLD_EINVAL;
	}
	double t0 = mono();
	int ret = sign_write_text_memory(run, &sp.mtext, &sp.mlen, &sp.mb, &sp.nmb);
	double t1 = mono();
	if (ret == TLD_OK) {
		ret = plan_splice(&sp);
		if (ret == TLD_EAGAIN) {
			tld_info("signing: the previous zone text is not as its index says: the whole zone is signed");
		}
	}
	/* the index first (the side file holds it), then the side file beside the text */
	struct signer_sigfile_block *ix = NULL;
	struct text_out none = { 0 }, to = { 0 };
	struct side_job sj = { .sp = &sp, .path = side, .serial = serial, .ret = TLD_OK };
	tld_atomic_file_t *af = NULL;
	pthread_t tid;
	bool threaded = false;
	if (ret == TLD_OK) {
		ix = malloc((size_t)(sp.sf->text->nblocks + sp.nmb + 1) * sizeof(*ix));
		ret = ix == NULL ? TLD_ENOMEM : write_spliced(&sp, &none, ix, &sj.nix, &sj.size);
		sj.ix = ix;
	}
	double t2 = mono();
	if (ret == TLD_OK) {
		threaded = pthread_create(&tid, NULL, side_thread, &sj) == 0;
		if (!threaded) {
			side_thread(&sj);
		}
		ret = tld_atomic_file_open(path, 0644, &af);
	}
	if (ret == TLD_OK) {
		to.out = tld_atomic_file_stream(af);
		size_t n = 0;
		uint64_t size = 0;
		struct signer_sigfile_block *again = malloc((size_t)(sp.sf->text->nblocks + sp.nmb + 1) * sizeof(*again));
		ret = again == NULL ? TLD_ENOMEM : write_spliced(&sp, &to, again, &n, &size);
		if (ret == TLD_OK && (n != sj.nix || size != sj.size)) {
			ret = TLD_EINVAL; /* one plan, two walks: a bug */
		}
		free(again);
		if (ret != TLD_OK) {
			tld_error("%s: writing the signed zone failed: %s", path, tld_strerror(ret));
		}
	}
	double t3 = mono();
	if (threaded) {
		pthread_join(tid, NULL);
	}
	double t4 = mono();
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
		          "planned in %.2f s, the text written in %.2f s beside the side file (%.2f s), waited %.2f s for it, "
		          "fsync and rename %.2f s", sp.nmb, (double)sp.mlen / 1048576.0, t1 - t0, sp.ndrop, t2 - t1,
		          t3 - t2, sj.seconds, t4 - t3, mono() - t4);
	}
	free(ix);
	free(sp.mtext);
	free(sp.mb);
	free(sp.moff);
	free(sp.pos);
	free(sp.drop);
	return ret;
}
