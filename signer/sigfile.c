/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/sigfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/sort.h"

#define MAGIC "TLDSIGS"
#define BOM 0x01020304u
#define VERSION SIGNER_SIGFILE_VERSION
#define TEXT_MAGIC "TEXTIDX"
#define PATCH_MAGIC SIGNER_SIGFILE_PATCH_MAGIC

/* -- internal API -- */

static int item_cmp(const void *a, const void *b, void *ctx)
{
	(void)ctx;
	return memcmp(((const struct signer_sigfile_item *)a)->hash, ((const struct signer_sigfile_item *)b)->hash,
	              SIGNER_SIGFILE_HASH);
}

static bool put(FILE *out, const void *p, size_t n)
{
	return n == 0 || fwrite(p, 1, n, out) == n;
}

/* Many small pieces into a stream: gathered and written a large buffer at a time. */
struct outbuf {
	FILE *out;
	size_t len;
	bool failed;
	uint8_t buf[1u << 16];
};

static bool ob_flush(struct outbuf *ob)
{
	if (!ob->failed && !put(ob->out, ob->buf, ob->len)) {
		ob->failed = true;
	}
	ob->len = 0;
	return !ob->failed;
}

static void ob_put(struct outbuf *ob, const void *p, size_t n)
{
	if (sizeof(ob->buf) - ob->len < n) {
		ob_flush(ob);
		if (n > sizeof(ob->buf)) {
			ob->failed = ob->failed || !put(ob->out, p, n);
			return;
		}
	}
	memcpy(ob->buf + ob->len, p, n);
	ob->len += n;
}

static bool zeros(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

/*
 * Whether names[0, len) is whole wire names one after the other (labels of
 * at most 63 bytes, the root label within 255 bytes); the start of each is
 * set in starts (len bits, cleared by the caller).
 */
static bool walk_names(const uint8_t *names, uint64_t len, uint64_t *starts)
{
	for (uint64_t at = 0; at < len;) {
		starts[at / 64] |= (uint64_t)1 << (at % 64);
		uint64_t from = at;
		while (at < len && names[at] != 0) {
			if (names[at] > 63) {
				return false;
			}
			at += 1 + (uint64_t)names[at];
		}
		if (at >= len || at - from + 1 > 255) {
			return false;
		}
		at++;
	}
	return true;
}

static bool starts_name(const uint64_t *starts, uint64_t len, uint32_t off)
{
	return off < len && (starts[off / 64] >> (off % 64) & 1) != 0;
}

/*
 * The patch index of a version 5 file at data + off, up to size (see
 * sigfile.h for what is checked); sets sf->patch, chain, pslots, names.
 */
static bool patch_ok(struct signer_sigfile *sf, const uint8_t *data, uint64_t off, size_t size)
{
	if (size - off < sizeof(struct signer_sigfile_patch)) {
		return false;
	}
	const struct signer_sigfile_patch *p = (const void *)(data + off);
	off += sizeof(*p);
	uint64_t left = size - off;
	if (memcmp(p->magic, PATCH_MAGIC, sizeof(PATCH_MAGIC)) != 0 || (p->flags & ~SIGNER_SIGFILE_PATCHED) != 0 ||
	    p->pad != 0 || p->nchain > left / sizeof(struct signer_sigfile_chain_item)) {
		return false;
	}
	left -= p->nchain * sizeof(struct signer_sigfile_chain_item);
	if (p->nslots > left / sizeof(struct signer_sigfile_slot) || p->nchain > p->nslots) {
		return false;
	}
	left -= p->nslots * sizeof(struct signer_sigfile_slot);
	if (p->names_len > left || p->names_len > UINT32_MAX || left != ((p->names_len + 7) & ~(uint64_t)7)) {
		return false;
	}
	const struct signer_sigfile_chain_item *chain = (const void *)(data + off);
	const struct signer_sigfile_slot *slots = (const void *)(chain + p->nchain);
	const uint8_t *names = (const uint8_t *)(slots + p->nslots);
	uint64_t *starts = calloc((size_t)p->names_len / 64 + 1, sizeof(*starts));
	bool good = starts != NULL && zeros(names + p->names_len, (size_t)(left - p->names_len)) &&
	            walk_names(names, p->names_len, starts);
	for (uint64_t i = 0; good && i < p->nchain; i++) {
		good = starts_name(starts, p->names_len, chain[i].name) &&
		       (i == 0 || memcmp(chain[i - 1].hash, chain[i].hash, sizeof(chain[i].hash)) < 0);
	}
	uint64_t first_nsec3 = p->nslots - p->nchain;
	for (uint64_t i = 0; good && i < p->nslots; i++) {
		const struct signer_sigfile_slot *s = &slots[i];
		if (i >= first_nsec3) {
			good = s->kind == SIGNER_SIGFILE_NSEC3 && s->name == chain[i - first_nsec3].name;
		} else {
			good = (s->kind == SIGNER_SIGFILE_ZONE || (s->kind == SIGNER_SIGFILE_NSEC && p->nchain == 0)) &&
			       starts_name(starts, p->names_len, s->name);
		}
	}
	free(starts);
	if (!good) {
		return false;
	}
	sf->patch = p;
	sf->chain = chain;
	sf->pslots = slots;
	sf->names = names;
	return true;
}

/*
 * Checks header and sizes and sets the pointers into data.  Version 1 has
 * no text index; the index of version 2 (blocks of another layout) is
 * ignored; that of versions 3 and 4 is checked to fit the file exactly, as
 * are that of version 5 and the patch index after it (patch_ok()).
 */
static bool layout_ok(struct signer_sigfile *sf, const void *data, size_t size)
{
	if (size < sizeof(struct signer_sigfile_header) || ((uintptr_t)data & 7) != 0) {
		return false;
	}
	const struct signer_sigfile_header *h = data;
	uint64_t table = (uint64_t)sizeof(*h);
	if (memcmp(h->magic, MAGIC, sizeof(MAGIC)) != 0 || h->bom != BOM || h->version < 1 || h->version > VERSION ||
	    h->origin_len == 0 || h->origin_len > 255 || h->nentries > size / sizeof(struct signer_sigfile_entry) ||
	    h->blob_len > size || table + h->nentries * sizeof(struct signer_sigfile_entry) + h->blob_len > size) {
		return false;
	}
	uint64_t end = table + h->nentries * sizeof(struct signer_sigfile_entry) + h->blob_len;
	sf->hdr = h;
	sf->entries = (const struct signer_sigfile_entry *)((const uint8_t *)data + table);
	sf->blob = (const uint8_t *)(sf->entries + h->nentries);
	sf->text = NULL;
	sf->blocks = NULL;
	if (h->version == 1) {
		return end == size;
	}
	end = (end + 7) & ~(uint64_t)7;
	if (end > size || size - end < sizeof(struct signer_sigfile_text)) {
		return false;
	}
	if (h->version == 2) {
		return true; /* its text index is not of this layout: not used */
	}
	/* versions 3 to 5: the same text index (4 takes the unsigned hash otherwise; 5 pads it, the patch index follows) */
	const struct signer_sigfile_text *t = (const void *)((const uint8_t *)data + end);
	end += sizeof(*t);
	if (memcmp(t->magic, TEXT_MAGIC, sizeof(TEXT_MAGIC)) != 0 ||
	    t->nblocks > (size - end) / sizeof(struct signer_sigfile_block)) {
		return false;
	}
	sf->text = t;
	sf->blocks = (const void *)((const uint8_t *)data + end);
	end += t->nblocks * sizeof(struct signer_sigfile_block);
	if (h->version < 5) {
		return end == size;
	}
	uint64_t padded = (end + 7) & ~(uint64_t)7;
	return padded <= size && zeros((const uint8_t *)data + end, padded - end) && patch_ok(sf, data, padded, size);
}

/*
 * The offsets of the text blocks (the sums of the lengths before each),
 * which must add up to the text's size.  Without memory the index is
 * dropped (nothing is copied).
 * \return false when the lengths do not tile the text
 */
static bool index_text(struct signer_sigfile *sf)
{
	if (sf->text == NULL) {
		return true;
	}
	uint64_t n = sf->text->nblocks, off = 0;
	sf->block_off = n < SIZE_MAX / sizeof(*sf->block_off) - 1 ? malloc(((size_t)n + 1) * sizeof(*sf->block_off))
	                                                          : NULL;
	for (uint64_t i = 0; i < n; i++) {
		if (sf->blocks[i].len > sf->text->text_size - off) {
			return false;
		}
		if (sf->block_off != NULL) {
			sf->block_off[i] = off;
		}
		off += sf->blocks[i].len;
	}
	if (off != sf->text->text_size) {
		return false;
	}
	if (sf->block_off == NULL) {
		sf->text = NULL;
		sf->blocks = NULL;
		return true;
	}
	sf->block_off[n] = off;
	return true;
}

static size_t block_slot(const struct signer_sigfile *sf, const uint8_t *digest)
{
	uint64_t h;
	memcpy(&h, digest, sizeof(h));
	return (size_t)h & sf->block_mask;
}

/*
 * The hash table of the text blocks by digest (open addressing, block
 * number + 1, 0 for an empty place; at most 2/3 full).  Without memory the
 * index is dropped (nothing is copied).
 */
static void hash_blocks(struct signer_sigfile *sf)
{
	uint64_t n = sf->text != NULL ? sf->text->nblocks : 0;
	size_t size = 1;
	while (n > 0 && n < UINT32_MAX / 2 && size < n + n / 2) {
		size *= 2;
	}
	if (n == 0 || n >= UINT32_MAX / 2 || (sf->block_table = calloc(size, sizeof(*sf->block_table))) == NULL) {
		sf->text = NULL;
		sf->blocks = NULL;
		return;
	}
	sf->block_mask = size - 1;
	for (size_t i = 0; i < n; i++) {
		size_t h = block_slot(sf, sf->blocks[i].digest);
		while (sf->block_table[h] != 0) {
			h = (h + 1) & sf->block_mask;
		}
		sf->block_table[h] = (uint32_t)(i + 1);
	}
}

/* The first 1 to 16 bits of an entry hash: its bucket in the directory. */
static size_t bucket_of(const struct signer_sigfile *sf, const uint8_t *hash)
{
	return ((size_t)hash[0] << 8 | hash[1]) >> (16 - sf->dir_bits);
}

/*
 * The directory of the entries by the first dir_bits bits of their hash:
 * bucket b holds entries [dir[b], dir[b + 1]) (the entries are sorted by
 * hash).  About one entry per bucket, at most 2^16 buckets.  Without one
 * (no memory, too many entries) lookups search the whole table.
 */
static void build_dir(struct signer_sigfile *sf)
{
	uint64_t n = sf->hdr->nentries;
	unsigned bits = 1;
	while (bits < 16 && ((uint64_t)1 << bits) < n) {
		bits++;
	}
	if (n >= UINT32_MAX || (sf->dir = malloc((((size_t)1 << bits) + 1) * sizeof(*sf->dir))) == NULL) {
		return;
	}
	sf->dir_bits = bits;
	size_t e = 0;
	for (size_t b = 0; b <= (size_t)1 << bits; b++) {
		while (e < n && bucket_of(sf, sf->entries[e].hash) < b) {
			e++;
		}
		sf->dir[b] = (uint32_t)e;
	}
}

/* -- public API -- */

int signer_sigfile_from_memory(const void *data, size_t size, struct signer_sigfile **out)
{
	struct signer_sigfile *sf = calloc(1, sizeof(*sf));
	if (sf == NULL) {
		return TLD_ENOMEM;
	}
	if (!layout_ok(sf, data, size) || !index_text(sf)) {
		signer_sigfile_close(sf);
		return TLD_EPARSE;
	}
	build_dir(sf);
	hash_blocks(sf);
	*out = sf;
	return TLD_OK;
}

/* signer_sigfile_open(), with or without the table of the blocks by digest. */
static int open_file(const char *path, bool block_table, struct signer_sigfile **out)
{
	int ret = TLD_EPARSE;
	struct stat st;
	struct signer_sigfile *sf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? TLD_ENOENT : tld_errno(errno);
	}
	if (fstat(fd, &st) != 0) {
		ret = tld_errno(errno);
		goto fail;
	}
	size_t size = (size_t)st.st_size;
	if (size < sizeof(struct signer_sigfile_header)) {
		tld_warning("%s: too short for a signature side file; not reused", path);
		goto fail;
	}
	sf = calloc(1, sizeof(*sf));
	if (sf == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	sf->map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (sf->map == MAP_FAILED) {
		sf->map = NULL;
		ret = tld_errno(errno);
		goto fail;
	}
	sf->size = size;
	if (!layout_ok(sf, sf->map, size) || !index_text(sf)) {
		tld_warning("%s: not a signature side file of this version and host; not reused", path);
		goto fail;
	}
	close(fd);
	build_dir(sf);
	if (block_table) {
		hash_blocks(sf);
	}
	*out = sf;
	return TLD_OK;
fail:
	close(fd);
	signer_sigfile_close(sf);
	return ret;
}

int signer_sigfile_open(const char *path, struct signer_sigfile **out)
{
	return open_file(path, true, out);
}

int signer_sigfile_open_no_block_table(const char *path, struct signer_sigfile **out)
{
	return open_file(path, false, out);
}

void signer_sigfile_drop_signatures(const struct signer_sigfile *sf)
{
	if (sf == NULL || sf->map == NULL) {
		return;
	}
	size_t end = sizeof(*sf->hdr) + (size_t)sf->hdr->nentries * sizeof(*sf->entries) + (size_t)sf->hdr->blob_len;
	(void)madvise(sf->map, end & ~(size_t)4095, MADV_DONTNEED); /* whole pages; the text index after them stays */
}

void signer_sigfile_close(struct signer_sigfile *sf)
{
	if (sf == NULL) {
		return;
	}
	if (sf->map != NULL) {
		munmap(sf->map, sf->size);
	}
	free(sf->dir);
	free(sf->block_off);
	free(sf->block_table);
	free(sf);
}

const struct signer_sigfile_entry *signer_sigfile_find(const struct signer_sigfile *sf, const uint8_t *hash)
{
	size_t lo = 0, hi = (size_t)sf->hdr->nentries;
	if (sf->dir != NULL) {
		size_t b = bucket_of(sf, hash);
		lo = sf->dir[b];
		hi = sf->dir[b + 1];
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(sf->entries[mid].hash, hash, SIGNER_SIGFILE_HASH);
		if (c == 0) {
			return &sf->entries[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

size_t signer_sigfile_find_block(const struct signer_sigfile *sf, const uint8_t *digest)
{
	if (sf->block_table == NULL) {
		return SIZE_MAX;
	}
	for (size_t h = block_slot(sf, digest); sf->block_table[h] != 0; h = (h + 1) & sf->block_mask) {
		size_t b = sf->block_table[h] - 1;
		if (memcmp(sf->blocks[b].digest, digest, SIGNER_SIGFILE_HASH) == 0) {
			return b;
		}
	}
	return SIZE_MAX;
}

bool signer_sigfile_next(const struct signer_sigfile *sf, const struct signer_sigfile_entry *e, size_t *pos,
                         const uint8_t **rdata, uint16_t *len)
{
	if (e->off > sf->hdr->blob_len || e->len > sf->hdr->blob_len - e->off || *pos + 2 > e->len) {
		return false;
	}
	const uint8_t *p = sf->blob + e->off + *pos;
	uint16_t l;
	memcpy(&l, p, 2);
	if (*pos + 2 + l > e->len) {
		return false;
	}
	*rdata = p + 2;
	*len = l;
	*pos += 2 + (size_t)l;
	return true;
}

int signer_sigfile_write(FILE *out, const uint8_t *origin, size_t origin_len, uint32_t serial,
                         const uint8_t *unsigned_hash, struct signer_sigfile_item *items, size_t n, signer_sigfile_sig_fn sig, void *ctx)
{
	if (origin_len == 0 || origin_len > 255) {
		return TLD_EINVAL;
	}
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++) {
		sorted = memcmp(items[i - 1].hash, items[i].hash, SIGNER_SIGFILE_HASH) <= 0;
	}
	if (!sorted) {
		signer_sort(items, n, sizeof(*items), item_cmp, NULL);
	}
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w > 0 && memcmp(items[w - 1].hash, items[i].hash, SIGNER_SIGFILE_HASH) == 0) {
			continue;
		}
		items[w++] = items[i];
	}
	n = w;
	/* pass 1: the bytes of each entry's signatures */
	uint32_t *elen = malloc((n ? n : 1) * sizeof(*elen));
	if (elen == NULL) {
		return TLD_ENOMEM;
	}
	uint64_t blob_len = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t len = 0;
		for (uint32_t s = 0; s < items[i].nsigs; s++) {
			uint16_t l;
			sig(ctx, items[i].sig_first + s, &l);
			len += 2 + (uint64_t)l;
		}
		elen[i] = (uint32_t)len;
		blob_len += len;
	}
	struct signer_sigfile_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, sizeof(MAGIC));
	h.bom = BOM;
	h.version = VERSION;
	h.serial = serial;
	h.origin_len = (uint32_t)origin_len;
	memcpy(h.origin, origin, origin_len);
	memcpy(h.unsigned_hash, unsigned_hash, sizeof(h.unsigned_hash));
	h.nentries = n;
	h.blob_len = blob_len;
	struct outbuf ob = { .out = out };
	ob_put(&ob, &h, sizeof(h));
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		struct signer_sigfile_entry e;
		memset(&e, 0, sizeof(e));
		memcpy(e.hash, items[i].hash, SIGNER_SIGFILE_HASH);
		e.off = off;
		e.nsigs = (uint16_t)items[i].nsigs;
		e.len = elen[i];
		off += e.len;
		ob_put(&ob, &e, sizeof(e));
	}
	free(elen);
	/* pass 2: the blob, padded to 8 bytes for the text index */
	for (size_t i = 0; i < n; i++) {
		for (uint32_t s = 0; s < items[i].nsigs; s++) {
			uint16_t l;
			const uint8_t *rd = sig(ctx, items[i].sig_first + s, &l);
			ob_put(&ob, &l, 2);
			ob_put(&ob, rd, l);
		}
	}
	static const uint8_t zeros[8];
	size_t end = sizeof(h) + n * sizeof(struct signer_sigfile_entry) + (size_t)h.blob_len;
	ob_put(&ob, zeros, (8 - end % 8) % 8);
	return ob_flush(&ob) ? TLD_OK : TLD_EIO;
}

int signer_sigfile_write_text(FILE *out, uint64_t text_size, const struct signer_sigfile_block *blocks, size_t n)
{
	struct signer_sigfile_text t;
	memset(&t, 0, sizeof(t));
	memcpy(t.magic, TEXT_MAGIC, sizeof(TEXT_MAGIC));
	t.text_size = text_size;
	t.nblocks = n;
	static const uint8_t zero[8];
	size_t pad = (size_t)signer_sigfile_text_bytes(n) - sizeof(t) - n * sizeof(*blocks);
	if (!put(out, &t, sizeof(t)) || !put(out, blocks, n * sizeof(*blocks)) || !put(out, zero, pad)) {
		return TLD_EIO;
	}
	return TLD_OK;
}

uint64_t signer_sigfile_text_bytes(uint64_t n)
{
	return (sizeof(struct signer_sigfile_text) + n * sizeof(struct signer_sigfile_block) + 7) & ~(uint64_t)7;
}

int signer_sigfile_write_patch(FILE *out, const struct signer_sigfile_patch *hdr,
                               const struct signer_sigfile_chain_item *chain,
                               const struct signer_sigfile_slot *slots, const uint8_t *names)
{
	static const uint8_t zero[8];
	struct signer_sigfile_patch p = *hdr;
	memset(p.magic, 0, sizeof(p.magic));
	memcpy(p.magic, PATCH_MAGIC, sizeof(PATCH_MAGIC));
	p.pad = 0;
	if (!put(out, &p, sizeof(p)) || !put(out, chain, (size_t)p.nchain * sizeof(*chain)) ||
	    !put(out, slots, (size_t)p.nslots * sizeof(*slots)) || !put(out, names, (size_t)p.names_len) ||
	    !put(out, zero, (8 - p.names_len % 8) % 8)) {
		return TLD_EIO;
	}
	return TLD_OK;
}
