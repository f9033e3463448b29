/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writing a signed zone: the text in canonical order (the SOA RRset first,
 * each RRset followed by its RRSIGs, NSEC3 records merged in by owner) and
 * the signature side file, both atomically.  The text is made of blocks
 * (a node or an NSEC3 record each); a block whose digest the previous version's
 * text index lists is read from the previous file instead of formatted,
 * and the index of this text ends the side file (sigfile.h).
 *
 * What the copy relies on: a block's digest (SHA-256, 128 bits kept) covers
 * everything its text is formatted from -- the node's name, flags and
 * records (through its node digest, sign_digest.c, which is the block's
 * digest when nothing else is written with the node), the hash and RRSIG
 * RDATA of each of its RRsets, the same of the NSEC3 records written with
 * it -- and SIGN_TEXT_FORMAT_VERSION; the formatter is a function of these
 * alone.  Node digests and block digest inputs cannot be taken for each
 * other: the second word of a node digest's input is a marker no block
 * header holds.  The apex's node digest is taken again here: its SOA serial
 * is set after the node digests.  So the previous text of a block with the same
 * digest is the text formatting would give.  The previous file is used only
 * when its side file's serial is the file's SOA serial and its size is the
 * size the index gives (so the index describes that file), and the index's
 * blocks are checked to tile it (sigfile.c).  Anything else: formatted.
 *
 * The side file ends with the patch index (sigfile.h version 5,
 * sign_patch_index.c), made and written on the side file's thread after the
 * room the text index will take, which is filled once the text is done: the
 * text has a block per node and per NSEC3 record (write_part()), so the
 * room is known before the text is written.  Should the text have another
 * number of blocks, the patch index is written again after the text index
 * and the file cut there: the bytes are those of writing the two one after
 * the other either way.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/error.h"
#include "signer/grow.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/sign_internal.h"
#include "signer/sort.h"
#include "signer/textout.h"

#define TEXT_BUFFER (8u << 20)
/* Nodes per part of the parallel text writer (a few MiB of text), and threads at most. */
#define TEXT_PART_NODES 16384
#define TEXT_THREADS_MAX 16
/* The fewest nodes in a part of a text formatted whole in memory (writer_threads()). */
#define SMALL_PART_NODES 1024
/*
 * Text blocks (see sigfile.h): every node (with its records and RRSIGs) and
 * every NSEC3 record (with its RRSIGs) is a block of its own, so a change
 * costs only the text of the nodes and NSEC3 records it touches.
 */
/* The version of the text and its digests: SIGN_TEXT_FORMAT_VERSION (sign_internal.h). */

/* -- internal API -- */

/* The previous zone text to copy unchanged blocks from (read only, shared by the writers). */
struct text_src {
	int fd;                                    /* the previous zone file (pread), or -1: nothing to copy */
	const struct signer_sigfile *sf;           /* its side file: the text index (sigfile.h) */
};

/* The text index of the file being written (or compared). */
struct text_index {
	struct signer_sigfile_block *blocks;
	size_t n, cap;
	uint64_t size;
};

/* One writer: its text buffer and its scratch RDATA buffer. */
struct text_part {
	const struct sign_run *run;
	const struct text_src *src;   /* NULL: format everything */
	struct signer_textout t;      /* the part's text, copied or formatted (memory mode) */
	uint8_t rdbuf[SIGN_RDBUF_SIZE];
	size_t node_from, node_to;    /* nodes [from, to): a block each */
	size_t slot;               /* first zone slot of the first node */
	size_t j;                  /* first NSEC3 not written before the first node */
	struct signer_sha256 *md;
	struct sign_packer pk;     /* the apex's node digest (pk.md = md) */
	uint8_t *dbuf;             /* what a block's digest is taken over */
	size_t dlen, dcap;
	struct signer_sigfile_block *out; /* the part's blocks: digest and length (offsets: write_text) */
	size_t nout, out_cap;
	size_t cursor;             /* previous block expected next */
	uint64_t pend_off;         /* previous text to read in one go before anything else is written */
	size_t pend_len;
	uint64_t copied;           /* bytes copied from the previous text */
	int ret;
};
static int write_sigs(struct text_part *tp, const uint8_t *owner, uint32_t slot)
{
	const struct sign_run *run = tp->run;
	const struct slot *s = &run->slots[slot];
	for (uint32_t i = 0; i < s->nsigs; i++) {
		const struct sig *sg = &run->sigs[s->sig_first + i];
		const uint8_t *rd = run->arena + sg->off;
		uint32_t ttl = (uint32_t)rd[4] << 24 | (uint32_t)rd[5] << 16 | (uint32_t)rd[6] << 8 | rd[7];
		int ret = signer_textout_rr(&tp->t, owner, ttl, SIGNER_T_RRSIG, rd, (uint16_t)sg->len);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

static int write_denial(struct text_part *tp, uint32_t slot)
{
	const struct sign_run *run = tp->run;
	const struct slot *s = &run->slots[slot];
	uint8_t owner[SIGNER_DNAME_MAX];
	size_t ol = 0;
	size_t len = sign_denial_rdata(run, s, tp->rdbuf, owner, &ol);
	if (len == 0) {
		return TLD_ENOMEM;
	}
	uint32_t ttl = s->kind == SLOT_NSEC ? run->nsec->ttl : run->n3->ttl;
	int ret = signer_textout_rr(&tp->t, owner, ttl, s->type, tp->rdbuf, (uint16_t)len);
	if (ret == TLD_OK) {
		ret = write_sigs(tp, owner, slot);
	}
	return ret;
}

/* One RRset of a node and, when it is signed, its RRSIGs. */
static int write_rrset(struct text_part *tp, const struct signer_node *n, uint32_t first, uint32_t count,
                       size_t s_begin, size_t s_end)
{
	const struct sign_run *run = tp->run;
	const struct signer_zone *z = run->z;
	const uint8_t *owner = signer_node_wire(z, n);
	uint16_t type = z->rrs[first].type;
	for (uint32_t i = 0; i < count; i++) {
		const struct signer_rr *rr = &z->rrs[first + i];
		int ret = signer_textout_rr(&tp->t, owner, rr->ttl, rr->type, signer_rr_rdata(z, rr), rr->rdlen);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	for (size_t s = s_begin; s < s_end; s++) {
		if (run->slots[s].kind == SLOT_ZONE && run->slots[s].type == type) {
			return write_sigs(tp, owner, (uint32_t)s);
		}
	}
	return TLD_OK;
}

static int write_node(struct text_part *tp, size_t i)
{
	const struct sign_run *run = tp->run;
	const struct signer_zone *z = run->z;
	const struct signer_node *n = &z->nodes[i];
	size_t s_begin = tp->slot, s_end = tp->slot;
	while (s_end < run->nzone_slots && run->slots[s_end].node == i) {
		s_end++;
	}
	int ret = TLD_OK;
	if (n->flags & SIGNER_NODE_APEX) { /* the SOA opens the file */
		ret = write_rrset(tp, n, z->soa_rr, 1, s_begin, s_end);
	}
	for (uint32_t r = 0; r < n->rr_count && ret == TLD_OK;) {
		uint32_t first = n->rr_first + r, count = 0;
		uint16_t type = z->rrs[first].type;
		while (r < n->rr_count && z->rrs[n->rr_first + r].type == type) {
			r++;
			count++;
		}
		if ((n->flags & SIGNER_NODE_APEX) && type == SIGNER_T_SOA) {
			continue;
		}
		ret = write_rrset(tp, n, first, count, s_begin, s_end);
	}
	for (size_t s = s_begin; s < s_end && ret == TLD_OK; s++) {
		if (run->slots[s].kind == SLOT_NSEC) {
			ret = write_denial(tp, (uint32_t)s);
		}
	}
	tp->slot = s_end;
	return ret;
}

size_t sign_nsec3_key(const struct sign_run *run, size_t j, uint8_t *key)
{
	uint8_t owner[SIGNER_DNAME_MAX];
	if (signer_nsec3_owner(run->z, run->n3, j, owner) == 0) {
		return 0;
	}
	return signer_dname_key(owner, key);
}

static int dput(struct text_part *tp, const void *p, size_t len)
{
	if (tp->dcap - tp->dlen < len) {
		size_t cap = tp->dcap ? tp->dcap : 4096;
		while (cap - tp->dlen < len) {
			cap *= 2;
		}
		uint8_t *n = realloc(tp->dbuf, cap);
		if (n == NULL) {
			return TLD_ENOMEM;
		}
		tp->dbuf = n;
		tp->dcap = cap;
	}
	memcpy(tp->dbuf + tp->dlen, p, len);
	tp->dlen += len;
	return TLD_OK;
}

/* A slot's hash and signatures into the digest input. */
static int dput_slot(struct text_part *tp, const struct slot *s)
{
	const struct sign_run *run = tp->run;
	uint32_t head[2] = { (uint32_t)s->type << 8 | s->kind, s->nsigs };
	int ret = dput(tp, s->hash, sizeof(s->hash));
	if (ret == TLD_OK) {
		ret = dput(tp, head, sizeof(head));
	}
	for (uint32_t i = 0; i < s->nsigs && ret == TLD_OK; i++) {
		const struct sig *sg = &run->sigs[s->sig_first + i];
		ret = dput(tp, &sg->len, sizeof(sg->len));
		if (ret == TLD_OK) {
			ret = dput(tp, run->arena + sg->off, sg->len);
		}
	}
	return ret;
}

/* The node digest of node i (sign_digest.c); the apex's taken again: its SOA serial was set after. */
static int node_digest(struct text_part *tp, size_t i, uint8_t *digest)
{
	const struct sign_run *run = tp->run;
	if (!(run->z->nodes[i].flags & SIGNER_NODE_APEX)) {
		memcpy(digest, run->node_digest + i * SIGN_NODE_DIGEST, SIGN_NODE_DIGEST);
		return TLD_OK;
	}
	uint8_t full[32];
	tp->pk.md = tp->md;
	int ret = sign_node_digest(run->z, i, &tp->pk, full);
	memcpy(digest, full, SIGN_NODE_DIGEST);
	return ret;
}

/*
 * The digest of a block: nodes [n0, n1) (their node digests, the hash and
 * RRSIGs of every slot) and NSEC3 records [j0, j1) (hash and RRSIGs).  The
 * text is a function of exactly these (their order follows from the names).
 * A lone node without slots: its node digest itself.  *slot advances past
 * the block's zone slots.
 */
static int block_digest(struct text_part *tp, size_t n0, size_t n1, size_t j0, size_t j1, size_t *slot,
                        uint8_t *digest)
{
	const struct sign_run *run = tp->run;
	if (n1 == n0 + 1 && j1 == j0 && (*slot >= run->nzone_slots || run->slots[*slot].node != n0)) {
		return node_digest(tp, n0, digest);
	}
	/* packed small (fewer SHA-256 blocks per node), every field whole */
	uint32_t head[3] = { SIGN_TEXT_FORMAT_VERSION, (uint32_t)(n1 - n0), (uint32_t)(j1 - j0) };
	tp->dlen = 0;
	int ret = dput(tp, head, sizeof(head));
	for (size_t j = j0; j < j1 && ret == TLD_OK; j++) {
		ret = dput_slot(tp, &run->slots[run->nzone_slots + j]);
	}
	for (size_t i = n0; i < n1 && ret == TLD_OK; i++) {
		uint8_t nd[SIGN_NODE_DIGEST];
		ret = node_digest(tp, i, nd);
		if (ret == TLD_OK) {
			ret = dput(tp, nd, sizeof(nd));
		}
		while (ret == TLD_OK && *slot < run->nzone_slots && run->slots[*slot].node == i) {
			ret = dput_slot(tp, &run->slots[(*slot)++]);
		}
	}
	uint8_t full[SIGNER_SHA256_LEN];
	if (ret == TLD_OK) {
		ret = signer_sha256_of(tp->md, tp->dbuf, tp->dlen, full);
	}
	if (ret == TLD_OK) {
		memcpy(digest, full, SIGNER_SIGFILE_HASH);
	}
	return ret;
}

/*
 * The previous block with this digest: the one after the last found (or the
 * one after that), else looked up; SIZE_MAX if none.
 */
static size_t find_prev(struct text_part *tp, const uint8_t *digest)
{
	const struct text_src *src = tp->src;
	if (src == NULL) {
		return SIZE_MAX;
	}
	if (tp->cursor < src->sf->text->nblocks &&
	    memcmp(src->sf->blocks[tp->cursor].digest, digest, SIGNER_SIGFILE_HASH) == 0) {
		return tp->cursor++;
	}
	/* the block after: the one expected was replaced by a block written anew */
	if (tp->cursor < src->sf->text->nblocks && tp->cursor + 1 < src->sf->text->nblocks &&
	    memcmp(src->sf->blocks[tp->cursor + 1].digest, digest, SIGNER_SIGFILE_HASH) == 0) {
		tp->cursor += 2;
		return tp->cursor - 1;
	}
	size_t b = signer_sigfile_find_block(src->sf, digest);
	if (b != SIZE_MAX) {
		tp->cursor = b + 1;
	}
	return b;
}

/* Reads the pending stretch of the previous text into the part's text. */
static int flush_copy(struct text_part *tp)
{
	if (tp->pend_len == 0) {
		return TLD_OK;
	}
	char *at = signer_textout_reserve(&tp->t, tp->pend_len);
	if (at == NULL) {
		return tp->t.err;
	}
	size_t done = 0;
	while (done < tp->pend_len) {
		ssize_t r = pread(tp->src->fd, at + done, tp->pend_len - done, (off_t)(tp->pend_off + done));
		if (r <= 0) {
			if (r < 0 && errno == EINTR) {
				continue;
			}
			tld_error("signing: reading the previous zone text: %s", r < 0 ? strerror(errno) : "short file");
			return TLD_EIO;
		}
		done += (size_t)r;
	}
	tp->copied += tp->pend_len;
	tp->pend_len = 0;
	return TLD_OK;
}

/* Copies previous block b: joined to the pending stretch when it follows it in the previous file. */
static int copy_block(struct text_part *tp, size_t b)
{
	uint64_t off = tp->src->sf->block_off[b];
	size_t len = tp->src->sf->blocks[b].len;
	if (tp->pend_len > 0 && tp->pend_off + tp->pend_len == off) {
		tp->pend_len += len;
		return TLD_OK;
	}
	int ret = flush_copy(tp);
	tp->pend_off = off;
	tp->pend_len = len;
	return ret;
}

static int add_out_block(struct text_part *tp, const uint8_t *digest, size_t len)
{
	if (len > UINT32_MAX) {
		return TLD_ERANGE;
	}
	if (signer_grow((void **)&tp->out, &tp->out_cap, tp->nout + 1, sizeof(*tp->out)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	struct signer_sigfile_block *b = &tp->out[tp->nout++];
	memset(b, 0, sizeof(*b));
	memcpy(b->digest, digest, SIGNER_SIGFILE_HASH);
	b->len = (uint32_t)len;
	return TLD_OK;
}

/* Formats NSEC3 records [j0, j1). */
static int write_nsec3s(struct text_part *tp, size_t j0, size_t j1)
{
	int ret = TLD_OK;
	for (size_t j = j0; j < j1 && ret == TLD_OK; j++) {
		ret = write_denial(tp, (uint32_t)(tp->run->nzone_slots + j));
	}
	return ret;
}

/*
 * One block: NSEC3 records [j, j1) and nodes [i, i1) (one of them, see
 * write_part()).  Copied from the previous text when that has a block of the
 * same digest (read with the stretch of copied blocks it belongs to), else
 * formatted into tp->t.
 */
static int write_block(struct text_part *tp, size_t i, size_t i1, size_t j, size_t j1)
{
	uint8_t digest[SIGNER_SIGFILE_HASH];
	size_t slot = tp->slot, len = 0;
	int ret = block_digest(tp, i, i1, j, j1, &slot, digest);
	if (ret != TLD_OK) {
		return ret;
	}
	size_t pb = find_prev(tp, digest);
	if (pb != SIZE_MAX) {
		ret = copy_block(tp, pb);
		len = tp->src->sf->blocks[pb].len;
		tp->slot = slot;
	} else {
		ret = flush_copy(tp);
		size_t before = tp->t.len;
		if (ret == TLD_OK) {
			ret = write_nsec3s(tp, j, j1);
		}
		for (size_t k = i; k < i1 && ret == TLD_OK; k++) {
			ret = write_node(tp, k);
		}
		if (ret == TLD_OK && tp->slot != slot) {
			ret = TLD_EINVAL; /* the digest did not cover what was written: a bug */
			tld_error("signing: text block of node %zu: digest and text disagree", i);
		}
		len = tp->t.len - before;
	}
	return ret == TLD_OK ? add_out_block(tp, digest, len) : ret;
}

/*
 * Writes the blocks of nodes [node_from, node_to) and of the NSEC3 records
 * among them: one per node, one per NSEC3 record (before each node those
 * sorting between the node before and it; after the last node the rest).
 */
static void write_part(struct text_part *tp)
{
	const struct sign_run *run = tp->run;
	const struct signer_zone *z = run->z;
	size_t j = tp->j, nn3 = run->n3 ? run->n3->count : 0;
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len = j < nn3 ? sign_nsec3_key(run, j, key) : 0;
	int ret = TLD_OK;
	tp->nout = 0;
	tp->pend_len = 0;
	tp->copied = 0;
	tp->cursor = SIZE_MAX;
	for (size_t i = tp->node_from; i < tp->node_to && ret == TLD_OK; i++) {
		const struct signer_node *n = &z->nodes[i];
		/* NSEC3 records [j, jb) sort between the node before and this one (none before the apex) */
		size_t jb = j;
		while (i > 0 && jb < nn3 && signer_key_cmp(key, key_len, signer_node_key(z, n), n->key_len) < 0) {
			if (++jb < nn3) {
				key_len = sign_nsec3_key(run, jb, key);
			}
		}
		for (; j < jb && ret == TLD_OK; j++) {
			ret = write_block(tp, i, i, j, j + 1);
		}
		if (ret == TLD_OK) {
			ret = write_block(tp, i, i + 1, j, j);
		}
	}
	for (; tp->node_to == z->nnodes && j < nn3 && ret == TLD_OK; j++) {
		ret = write_block(tp, z->nnodes, z->nnodes, j, j + 1);
	}
	if (ret == TLD_OK) {
		ret = flush_copy(tp);
	}
	tp->ret = ret == TLD_OK ? tp->t.err : ret;
}

/* First NSEC3 written at or after node i: those sorting before node i - 1 come earlier. */
static size_t first_nsec3_of(const struct sign_run *run, size_t i)
{
	size_t nn3 = run->n3 ? run->n3->count : 0;
	if (i <= 1 || nn3 == 0) {
		return 0;
	}
	const struct signer_node *prev = &run->z->nodes[i - 1];
	const uint8_t *pk = signer_node_key(run->z, prev);
	size_t lo = 0, hi = nn3;
	while (lo < hi) { /* count of NSEC3 keys below the previous node's */
		size_t mid = lo + (hi - lo) / 2;
		uint8_t key[SIGNER_KEY_MAX];
		size_t kl = sign_nsec3_key(run, mid, key);
		if (signer_key_cmp(key, kl, pk, prev->key_len) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* First zone slot of node i or after it. */
static size_t first_slot_of(const struct sign_run *run, size_t i)
{
	size_t lo = 0, hi = run->nzone_slots;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (run->slots[mid].node < i) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * Threads and nodes per part.  TLDSIGN_SIGN_TEXT_PART=N (tests only) sets
 * the part size and forces at least two threads, so that small zones take
 * the parallel path too.  With small_parts (a patch's few formatted nodes,
 * sign_write_text_memory(): nothing is copied, every node formatted) a zone
 * of SMALL_PART_NODES nodes or more is cut into about four parts a thread.
 */
static unsigned writer_threads(const struct sign_run *run, bool small_parts, size_t *part_nodes)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("TLDSIGN_SIGN_TEXT_PART");
	long forced = env != NULL ? strtol(env, NULL, 10) : 0;
	*part_nodes = TEXT_PART_NODES;
	if (n < 1) {
		n = 1;
	}
	if (n > TEXT_THREADS_MAX) {
		n = TEXT_THREADS_MAX;
	}
	if (forced > 0) {
		*part_nodes = (size_t)forced;
		n = n < 2 ? 2 : n;
	} else if (small_parts && n > 1 && run->z->nnodes >= 2 * SMALL_PART_NODES) {
		size_t part = run->z->nnodes / (4 * (size_t)n) + 1;
		*part_nodes = part < SMALL_PART_NODES ? SMALL_PART_NODES : part;
	} else if (run->z->nnodes < 4 * TEXT_PART_NODES) {
		n = 1;
	}
	return (unsigned)n;
}

/* Where the text goes: a stream, or a comparison with the existing file. */
struct text_sink {
	FILE *out;                /* stream, or NULL: compare with old[] */
	uint64_t flushed;         /* bytes of out handed to the kernel for writeback (sink_writeback) */
	const char *old;          /* mapped (page-aligned) */
	size_t old_len, pos;
	size_t released;          /* old[0 .. released) dropped from memory */
	bool differs;
};

/* Compared pages are dropped as the comparison goes, so the old file does not stay resident. */
#define SINK_RELEASE_CHUNK (4u << 20)
/* Written text is handed to the kernel's writeback in stretches of this size. */
#define SINK_WRITEBACK_CHUNK (16u << 20)

static int sink_put(struct text_sink *k, const char *buf, size_t len)
{
	if (k->out != NULL) {
		return fwrite(buf, 1, len, k->out) == len ? TLD_OK : TLD_EIO;
	}
	if (!k->differs && (k->old_len - k->pos < len || memcmp(k->old + k->pos, buf, len) != 0)) {
		k->differs = true;
	}
	k->pos += len;
	size_t behind = k->pos < k->old_len ? k->pos & ~(size_t)4095 : k->old_len & ~(size_t)4095;
	if (behind - k->released >= SINK_RELEASE_CHUNK) {
		madvise((void *)(k->old + k->released), behind - k->released, MADV_DONTNEED);
		k->released = behind;
	}
	return TLD_OK;
}

/* A part's n blocks at the end of ix, at once. */
static int index_add(struct text_index *ix, const struct signer_sigfile_block *b, size_t n)
{
	if (n == 0) {
		return TLD_OK;
	}
	if (signer_grow((void **)&ix->blocks, &ix->cap, ix->n + n, sizeof(*ix->blocks)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	memcpy(ix->blocks + ix->n, b, n * sizeof(*b));
	ix->n += n;
	for (size_t i = 0; i < n; i++) {
		ix->size += b[i].len;
	}
	return TLD_OK;
}

/*
 * Starts the writeback of what the stream holds so far (without waiting for
 * it): the fsync that commits the file then finds most of it on its way.
 * Only a hint; nothing depends on it.
 */
static void sink_writeback(struct text_sink *k, uint64_t size)
{
	if (k->out == NULL || size - k->flushed < SINK_WRITEBACK_CHUNK || fflush(k->out) != 0) {
		return;
	}
	(void)sync_file_range(fileno(k->out), (off_t)k->flushed, (off_t)(size - k->flushed), SYNC_FILE_RANGE_WRITE);
	k->flushed = size;
}

/* A finished part into the sink and its blocks into ix. */
static int part_emit(const struct text_part *tp, struct text_sink *sink, struct text_index *ix, uint64_t *copied)
{
	int ret = tp->ret;
	if (ret == TLD_OK) {
		ret = index_add(ix, tp->out, tp->nout);
	}
	if (ret == TLD_OK && tp->t.len > 0) {
		ret = sink_put(sink, tp->t.buf, tp->t.len);
	}
	*copied += tp->copied;
	return ret;
}

/*
 * The writers: nt threads take the parts in order, each into the next of
 * 2 x nt slots once the writer has emitted the part that held it; the
 * writer (the caller) emits them in order as they are done.  guarded by mu:
 * claimed, emitted, done[], stop.
 */
struct text_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct sign_run *run;
	struct text_part *slots;
	size_t nslots, nparts, part_nodes;
	size_t claimed, emitted;
	bool *done;
	bool stop;
};

/* Sets part k up in its slot: its nodes, first zone slot and first NSEC3 record. */
static struct text_part *part_setup(struct text_pool *p, size_t k)
{
	struct text_part *tp = &p->slots[k % p->nslots];
	size_t nn = p->run->z->nnodes;
	tp->node_from = k * p->part_nodes;
	tp->node_to = nn - tp->node_from > p->part_nodes ? tp->node_from + p->part_nodes : nn;
	tp->slot = first_slot_of(p->run, tp->node_from);
	tp->j = first_nsec3_of(p->run, tp->node_from);
	tp->t.len = 0;
	tp->ret = TLD_OK;
	return tp;
}

static void *pool_worker(void *arg)
{
	struct text_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->claimed < p->nparts && p->claimed >= p->emitted + p->nslots) {
			pthread_cond_wait(&p->cv, &p->mu);
		}
		if (p->stop || p->claimed >= p->nparts) {
			break;
		}
		size_t k = p->claimed++;
		pthread_mutex_unlock(&p->mu);
		write_part(part_setup(p, k));
		pthread_mutex_lock(&p->mu);
		p->done[k % p->nslots] = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * The zone text: parts of part_nodes nodes copied or formatted into memory
 * by the pool's threads while this thread writes the finished ones in
 * order; the text index of what was written goes to ix.  Without threads
 * the parts are made here, one after the other.
 */
static int write_text(const struct sign_run *run, const struct text_src *src, bool small_parts,
                      struct text_sink *sink, struct text_index *ix, uint64_t *copied)
{
	struct text_pool p = { .run = run };
	unsigned nt = writer_threads(run, small_parts, &p.part_nodes), started = 0, ready = 0;
	pthread_t tid[TEXT_THREADS_MAX];
	p.nslots = 2 * (size_t)nt;
	p.nparts = (run->z->nnodes + p.part_nodes - 1) / p.part_nodes;
	p.slots = calloc(p.nslots, sizeof(*p.slots));
	p.done = calloc(p.nslots, sizeof(*p.done));
	int ret = TLD_ENOMEM;
	*copied = 0;
	if (p.slots == NULL || p.done == NULL) {
		goto fail;
	}
	for (; ready < p.nslots; ready++) {
		p.slots[ready].run = run;
		p.slots[ready].src = src->fd >= 0 ? src : NULL;
		if (signer_textout_init(&p.slots[ready].t, NULL, TEXT_BUFFER / nt, run->o->now) != TLD_OK ||
		    signer_sha256_new(run->sha256, &p.slots[ready].md) != TLD_OK) {
			ready++;
			goto fail;
		}
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (; started < nt && pthread_create(&tid[started], NULL, pool_worker, &p) == 0; started++) {
	}
	ret = TLD_OK;
	double t0 = tld_mono_seconds(), t_put = 0;
	for (size_t k = 0; k < p.nparts && ret == TLD_OK; k++) {
		struct text_part *tp;
		if (started == 0) { /* no thread to be had: here */
			write_part(tp = part_setup(&p, k));
		} else {
			pthread_mutex_lock(&p.mu);
			while (!p.done[k % p.nslots]) {
				pthread_cond_wait(&p.cv, &p.mu);
			}
			pthread_mutex_unlock(&p.mu);
			tp = &p.slots[k % p.nslots];
		}
		double p0 = tld_mono_seconds();
		ret = part_emit(tp, sink, ix, copied);
		if (ret == TLD_OK && sink->out == NULL && sink->differs) {
			ret = TLD_ECANCELED; /* no need to go on comparing */
		}
		sink_writeback(sink, ix->size);
		t_put += tld_mono_seconds() - p0;
		pthread_mutex_lock(&p.mu);
		p.done[k % p.nslots] = false;
		p.emitted++;
		p.stop = ret != TLD_OK;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	for (unsigned k = 0; k < started; k++) {
		pthread_join(tid[k], NULL);
	}
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	if (ret == TLD_ECANCELED) {
		ret = TLD_OK; /* sink->differs tells */
	}
	if (ret == TLD_OK && sink->out != NULL && fflush(sink->out) != 0) {
		ret = TLD_EIO;
	}
	tld_debug("signing: zone text: %u threads copying or formatting %zu nodes in %.2f s (%.1f of %.1f MiB copied "
	          "from the previous version), written in order beside them %.2f s",
	          started, run->z->nnodes, tld_mono_seconds() - t0, (double)*copied / 1048576.0, (double)ix->size / 1048576.0,
	          t_put);
fail:
	for (unsigned k = 0; k < ready; k++) {
		signer_textout_finish(&p.slots[k].t);
		signer_sha256_free(p.slots[k].md);
		free(p.slots[k].dbuf);
		free(p.slots[k].out);
	}
	free(p.slots);
	free(p.done);
	return ret;
}

/*
 * Opens the previous text when the run kept its side file's text index and
 * the file still has the indexed size (the index's blocks tile it:
 * sigfile.c checks).  Otherwise src->fd stays -1: everything is formatted.
 */
static void text_src_open(const struct sign_run *run, struct text_src *src)
{
	memset(src, 0, sizeof(*src));
	src->fd = -1;
	const char *env = getenv("TLDSIGN_SIGN_TEXT_COPY"); /* "0": format everything (tests) */
	if (run->prev_text == NULL || run->prev == NULL || run->prev->text == NULL ||
	    (env != NULL && strcmp(env, "0") == 0)) {
		return;
	}
	struct stat st;
	int fd = open(run->prev_text, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != run->prev->text->text_size) {
		tld_info("%s: not the file its side file indexes; the zone text is formatted anew", run->prev_text);
		close(fd);
		return;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	src->fd = fd;
	src->sf = run->prev;
}

static void text_src_close(struct text_src *src)
{
	if (src->fd >= 0) {
		close(src->fd);
	}
	memset(src, 0, sizeof(*src));
	src->fd = -1;
}

static const uint8_t *sig_at(void *ctx, size_t i, uint16_t *len)
{
	const struct sign_run *run = ctx;
	*len = (uint16_t)run->sigs[i].len;
	return run->arena + run->sigs[i].off;
}

/* The side file of this run to a stream, without its text index (signer_sigfile_write_text() completes it). */
static int sidefile_to(const struct sign_run *run, FILE *out, uint32_t serial)
{
	struct signer_sigfile_item *items = malloc((run->nslots ? run->nslots : 1) * sizeof(*items));
	if (items == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < run->nslots; i++) { /* in hash order when sign_order_slots() made it */
		const struct slot *sl = &run->slots[run->order != NULL ? run->order[i] : i];
		memcpy(items[i].hash, sl->hash, SIGNER_SIGFILE_HASH);
		items[i].sig_first = sl->sig_first;
		items[i].nsigs = sl->nsigs;
	}
	int ret = signer_sigfile_write(out, run->z->origin, run->z->origin_len, serial, run->unsigned_hash, items,
	                               run->nslots, sig_at, (void *)run);
	free(items);
	return ret;
}

/*
 * The side file, on a thread of its own (see sign_write()): its entries and
 * signatures, then its patch index after the room the text index will take
 * -- a block per node and per NSEC3 record (write_part()) -- so that only
 * the text index is left to write once the text is done: side_complete()
 * puts it into the room, and sign_write() commits the file (or aborts it).
 */
struct side_job {
	struct sign_run *run;
	const char *path;
	uint32_t serial;
	tld_atomic_file_t *af;
	struct sign_patch_index patch;
	off_t text_at;             /* where the text index goes */
	uint64_t text_blocks;      /* the blocks it has room for */
	int ret;
	double seconds, cpu, patch_cpu; /* the thread's time and CPU seconds, and its CPU seconds for the patch index */
};

static int write_patch(FILE *out, const struct sign_patch_index *pi)
{
	return signer_sigfile_write_patch(out, &pi->hdr, pi->chain, pi->slots, pi->names);
}

/* The patch index after the room of the text index.  TLDSIGN_SIGN_PATCH_ROOM=0 (tests only): no room. */
static int patch_after_room(struct side_job *j, FILE *out)
{
	const struct sign_run *run = j->run;
	const char *env = getenv("TLDSIGN_SIGN_PATCH_ROOM");
	j->text_blocks = run->z->nnodes + (run->n3 != NULL ? run->n3->count : 0);
	if (env != NULL && strcmp(env, "0") == 0) {
		j->text_blocks = 0;
	}
	j->text_at = ftello(out);
	if (j->text_at < 0 ||
	    fseeko(out, j->text_at + (off_t)signer_sigfile_text_bytes(j->text_blocks), SEEK_SET) != 0) {
		return TLD_EIO;
	}
	return write_patch(out, &j->patch);
}

static void *side_thread(void *arg)
{
	struct side_job *j = arg;
	double t0 = tld_mono_seconds();
	j->ret = tld_atomic_file_open(j->path, 0644, &j->af);
	FILE *out = j->ret == TLD_OK ? tld_atomic_file_stream(j->af) : NULL;
	if (j->ret == TLD_OK) {
		j->ret = sidefile_to(j->run, out, j->serial);
	}
	double c0 = tld_thread_cpu_seconds();
	if (j->ret == TLD_OK) {
		j->ret = sign_patch_index(j->run, &j->patch);
	}
	if (j->ret == TLD_OK) {
		j->ret = patch_after_room(j, out);
	}
	j->patch_cpu = tld_thread_cpu_seconds() - c0;
	if (j->ret == TLD_OK) {
		struct text_sink sink = { .out = out };
		off_t end = ftello(out);
		if (end > 0) {
			sink_writeback(&sink, (uint64_t)end); /* on its way to the disk before the commit */
		}
	}
	j->seconds = tld_mono_seconds() - t0;
	j->cpu = tld_thread_cpu_seconds();
	return NULL;
}

/*
 * The text index into the room side_thread() left for it.  A text of
 * another number of blocks (not expected) gets its index all the same: the
 * patch index is written again after it and the file cut there.
 */
static int side_complete(struct side_job *j, const struct text_index *ix)
{
	FILE *out = tld_atomic_file_stream(j->af);
	if (fseeko(out, j->text_at, SEEK_SET) != 0) {
		return TLD_EIO;
	}
	int ret = signer_sigfile_write_text(out, ix->size, ix->blocks, ix->n);
	if (ret != TLD_OK || ix->n == j->text_blocks) {
		return ret;
	}
	tld_warning("signing: %zu text blocks where %" PRIu64 " were expected; the side file's patch index written "
	            "again after them", ix->n, j->text_blocks);
	ret = write_patch(out, &j->patch);
	off_t end = ftello(out);
	if (ret == TLD_OK && (end < 0 || fflush(out) != 0 || ftruncate(fileno(out), end) != 0)) {
		ret = TLD_EIO;
	}
	return ret;
}

static ssize_t sink_cookie_write(void *cookie, const char *buf, size_t len)
{
	return sink_put(cookie, buf, len) == TLD_OK ? (ssize_t)len : -1;
}

/* What file_matches() compares against: the text (which fills ix) or the side file (which writes ix). */
struct emit_ctx {
	const struct sign_run *run;
	const struct text_src *src;
	struct text_index *ix;
	uint32_t serial;
};

/* Whether the file at path holds exactly the bytes emit() writes (compared as they come, not kept). */
static bool file_matches(struct emit_ctx *ec, const char *path,
                         int (*emit)(struct emit_ctx *ec, struct text_sink *sink))
{
	struct text_sink sink = { 0 };
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		return false;
	}
	if (fstat(fd, &st) == 0 && st.st_size > 0 && S_ISREG(st.st_mode)) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
			sink.old = map;
			sink.old_len = (size_t)st.st_size;
			same = emit(ec, &sink) == TLD_OK && !sink.differs && sink.pos == sink.old_len;
			munmap(map, (size_t)st.st_size);
		}
	}
	close(fd);
	return same;
}

static int emit_text(struct emit_ctx *ec, struct text_sink *sink)
{
	uint64_t copied = 0;
	return write_text(ec->run, ec->src, false, sink, ec->ix, &copied);
}

static int emit_sidefile(struct emit_ctx *ec, struct text_sink *sink)
{
	cookie_io_functions_t io = { .write = sink_cookie_write };
	FILE *f = fopencookie(sink, "w", io);
	if (f == NULL) {
		return TLD_ENOMEM;
	}
	struct sign_patch_index pi;
	int ret = sidefile_to(ec->run, f, ec->serial);
	if (ret == TLD_OK) {
		ret = signer_sigfile_write_text(f, ec->ix->size, ec->ix->blocks, ec->ix->n);
	}
	if (ret == TLD_OK) {
		ret = sign_patch_index(ec->run, &pi);
	}
	if (ret == TLD_OK) {
		/*
		 * Compared with the now of the file there: a file of the same
		 * signatures, slots and names is left as the run that signed
		 * them wrote it (its now is theirs), as the zone text is.
		 */
		ret = fflush(f) == 0 ? TLD_OK : TLD_EIO;
		if (ret == TLD_OK && !sink->differs && sink->old_len - sink->pos >= sizeof(pi.hdr) &&
		    memcmp(sink->old + sink->pos, SIGNER_SIGFILE_PATCH_MAGIC, sizeof(SIGNER_SIGFILE_PATCH_MAGIC)) == 0) {
			memcpy(&pi.hdr.now, sink->old + sink->pos + offsetof(struct signer_sigfile_patch, now),
			       sizeof(pi.hdr.now));
		}
		if (ret == TLD_OK) {
			ret = signer_sigfile_write_patch(f, &pi.hdr, pi.chain, pi.slots, pi.names);
		}
		sign_patch_index_free(&pi);
	}
	if (fclose(f) != 0 && ret == TLD_OK) {
		ret = TLD_EIO;
	}
	return ret;
}

/*
 * Whether the file at path and its side file already hold exactly what would
 * be written: both are made (the text copied or formatted) and compared, not
 * written.  The text first: it gives the side file's text index.
 */
static bool same_as_existing(const struct sign_run *run, const struct text_src *src, const char *path,
                             uint32_t serial)
{
	char side[4096];
	struct text_index ix = { 0 };
	struct emit_ctx ec = { .run = run, .src = src, .ix = &ix, .serial = serial };
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return false;
	}
	bool same = file_matches(&ec, path, emit_text) && file_matches(&ec, side, emit_sidefile);
	free(ix.blocks);
	return same;
}

/* -- public API -- */

int sign_write(struct sign_run *run, const char *path, bool unchanged)
{
	const uint8_t *soa = run->z->rdata + run->z->rrs[run->z->soa_rr].rdoff + run->z->rrs[run->z->soa_rr].rdlen - 20;
	uint32_t serial = (uint32_t)soa[0] << 24 | (uint32_t)soa[1] << 16 | (uint32_t)soa[2] << 8 | soa[3];
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return TLD_EINVAL;
	}
	struct text_src src;
	double t_open = tld_mono_seconds();
	text_src_open(run, &src);
	t_open = tld_mono_seconds() - t_open;
	if (unchanged && same_as_existing(run, &src, path, serial)) {
		tld_info("%s: unchanged and identical to the file there: not rewritten", path);
		text_src_close(&src);
		return TLD_OK;
	}
	/*
	 * The side file is written on its own thread while the text is
	 * copied or formatted, completed with the text index, and renamed into
	 * place before the text: it is content-addressed and its index names the
	 * text's size and serial, so a crash between the two renames only costs
	 * reuse.
	 */
	double t0 = tld_mono_seconds();
	struct side_job sj = { .run = run, .path = side, .serial = serial };
	struct text_index ix = { 0 };
	if (src.sf != NULL) { /* about as many blocks as before: no doubling past them */
		ix.cap = (size_t)src.sf->text->nblocks + (size_t)src.sf->text->nblocks / 16 + 1024;
		ix.blocks = malloc(ix.cap * sizeof(*ix.blocks));
		ix.cap = ix.blocks != NULL ? ix.cap : 0;
	}
	uint64_t copied = 0;
	pthread_t tid;
	bool threaded = pthread_create(&tid, NULL, side_thread, &sj) == 0;
	if (!threaded) {
		side_thread(&sj);
	}
	tld_atomic_file_t *af = NULL;
	int ret = tld_atomic_file_open(path, 0644, &af);
	if (ret == TLD_OK) {
		struct text_sink sink = { .out = tld_atomic_file_stream(af) };
		ret = write_text(run, &src, false, &sink, &ix, &copied);
		if (ret != TLD_OK) {
			tld_error("%s: writing the signed zone failed: %s", path, tld_strerror(ret));
		}
	}
	text_src_close(&src);
	double t1 = tld_mono_seconds();
	if (threaded) {
		pthread_join(tid, NULL);
	}
	double t2 = tld_mono_seconds();
	if (sj.ret == TLD_OK) {
		sj.ret = side_complete(&sj, &ix);
	}
	sign_patch_index_free(&sj.patch);
	double t3 = tld_mono_seconds();
	if (sj.ret != TLD_OK) {
		tld_error("%s: writing the signature side file failed: %s", side, tld_strerror(sj.ret));
	}
	free(ix.blocks);
	if (ret == TLD_OK && sj.ret != TLD_OK) {
		ret = sj.ret;
	}
	if (ret == TLD_OK) {
		ret = tld_atomic_file_commit(sj.af);
		sj.af = NULL;
	}
	if (ret != TLD_OK) {
		if (sj.af != NULL) {
			tld_atomic_file_abort(sj.af);
		}
		if (af != NULL) {
			tld_atomic_file_abort(af);
		}
		return ret;
	}
	ret = tld_atomic_file_commit(af);
	run->text_copied = copied;
	run->text_formatted = ix.size - copied;
	tld_debug("signing: previous text opened and its index hashed in %.2f s; side file (on its own thread) %.3f s "
	          "(%.3f CPU s, its patch index %.3f), zone text %.2f s, waited %.3f s for the side file, its text index %.3f s, "
	          "fsync and rename %.2f s",
	          t_open, sj.seconds, threaded ? sj.cpu : 0.0, sj.patch_cpu, t1 - t0, t2 - t1, t3 - t2, tld_mono_seconds() - t3);
	return ret;
}

int sign_write_text_memory(const struct sign_run *run, char **text, size_t *len, struct signer_sigfile_block **blocks,
                           size_t *nblocks)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (f == NULL) {
		return TLD_ENOMEM;
	}
	struct text_src src;
	memset(&src, 0, sizeof(src));
	src.fd = -1; /* nothing copied: every block formatted */
	struct text_sink sink = { .out = f };
	struct text_index ix = { 0 };
	uint64_t copied = 0;
	int ret = write_text(run, &src, true, &sink, &ix, &copied);
	if (fclose(f) != 0 && ret == TLD_OK) {
		ret = TLD_ENOMEM;
	}
	if (ret == TLD_OK && size != ix.size) {
		ret = TLD_EIO;
	}
	if (ret != TLD_OK) {
		free(buf);
		free(ix.blocks);
		return ret;
	}
	*text = buf;
	*len = size;
	*blocks = ix.blocks;
	*nblocks = ix.n;
	return TLD_OK;
}
