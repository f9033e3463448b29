/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The verified-signature cache file: hashing, reading, writing (verify/vcache.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "verify/vcache.h"

#define MAGIC "TLDSIGN-VCACHE\n"      /* 15 characters and the NUL: 16 bytes */
#define MAGIC_LEN 16
#define VERSION 1u
#define DIGEST_LEN 32
#define DOMAIN_TAG "tldsign-vcache-1" /* hashed with its NUL */
#define BUCKETS 65536u

struct vfy_vcache {
	uint8_t *buf;              /* the whole file */
	const uint8_t *hashes;     /* into buf */
	size_t n;
	size_t bucket[BUCKETS + 1]; /* entries with first two bytes b: [bucket[b], bucket[b+1]) */
};

static void put_u16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (24 - 8 * i));
	}
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

static unsigned bucket_of(const uint8_t *h)
{
	return ((unsigned)h[0] << 8) | h[1];
}

int vfy_vcache_hash(EVP_MD_CTX *ctx, const EVP_MD *sha256, const uint8_t *key, size_t key_len,
                    const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t data_len,
                    uint8_t *out)
{
	uint8_t klen[2], slen[2], dlen[4], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (key_len > UINT16_MAX || sig_len > UINT16_MAX || data_len > UINT32_MAX) {
		return TLD_ECRYPTO;
	}
	put_u16(klen, key_len);
	put_u16(slen, sig_len);
	put_u32(dlen, data_len);
	if (EVP_DigestInit_ex(ctx, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, DOMAIN_TAG, sizeof(DOMAIN_TAG)) != 1 ||
	    EVP_DigestUpdate(ctx, klen, 2) != 1 || EVP_DigestUpdate(ctx, key, key_len) != 1 ||
	    EVP_DigestUpdate(ctx, slen, 2) != 1 || EVP_DigestUpdate(ctx, sig, sig_len) != 1 ||
	    EVP_DigestUpdate(ctx, dlen, 4) != 1 || EVP_DigestUpdate(ctx, data, data_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < VFY_VCACHE_HASH) {
		return TLD_ECRYPTO;
	}
	memcpy(out, md, VFY_VCACHE_HASH);
	return TLD_OK;
}

/* Reads a whole file into a new buffer. */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *b = NULL;

	if (f == NULL) {
		int e = errno;
		if (e != ENOENT) {
			tld_warning("%s: %s; verifying every signature", path, strerror(e));
		}
		return e == ENOENT ? TLD_ENOENT : TLD_EIO;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		tld_warning("%s: %s; verifying every signature", path, strerror(errno));
		fclose(f);
		return TLD_EIO;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		fclose(f);
		return TLD_ENOMEM;
	}
	size_t got = fread(b, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size || ferror(f)) {
		tld_warning("%s: short read; verifying every signature", path);
		free(b);
		fclose(f);
		return TLD_EIO;
	}
	fclose(f);
	*buf = b;
	*len = got;
	return TLD_OK;
}

/* Checks the layout; returns NULL when fine, else the reason. */
static const char *check_layout(const uint8_t *b, size_t len, const uint8_t *apex, size_t apex_len,
                                size_t *n_out, size_t *off_out)
{
	uint8_t md[DIGEST_LEN];
	unsigned mdlen = 0;

	if (len < MAGIC_LEN + 4 + 4 + 8 + 1 + DIGEST_LEN || memcmp(b, MAGIC, MAGIC_LEN) != 0) {
		return "not a verified-signature cache (bad magic or too short)";
	}
	if (get_be(b + 16, 4) != VERSION || get_be(b + 20, 4) != VFY_VCACHE_HASH) {
		return "another format version";
	}
	uint64_t n = get_be(b + 24, 8);
	size_t alen = b[32];
	size_t off = 33 + alen;
	if (n > (len / VFY_VCACHE_HASH) || len != off + n * VFY_VCACHE_HASH + DIGEST_LEN) {
		return "truncated or damaged (its length does not match its header)";
	}
	if (EVP_Digest(b, len - DIGEST_LEN, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != DIGEST_LEN || memcmp(md, b + len - DIGEST_LEN, DIGEST_LEN) != 0) {
		return "damaged (its SHA-256 does not match)";
	}
	if (alen != apex_len || memcmp(b + 33, apex, apex_len) != 0) {
		return "written for another zone";
	}
	const uint8_t *h = b + off;
	for (uint64_t i = 1; i < n; i++) {
		if (memcmp(h + (i - 1) * VFY_VCACHE_HASH, h + i * VFY_VCACHE_HASH, VFY_VCACHE_HASH) >= 0) {
			return "damaged (entries out of order)";
		}
	}
	*n_out = (size_t)n;
	*off_out = off;
	return NULL;
}

int vfy_vcache_load(const char *path, const uint8_t *apex_wire, size_t apex_len,
                    struct vfy_vcache **out)
{
	struct vfy_vcache *c = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0, off = 0;
	int ret = read_file(path, &buf, &len);

	if (ret != TLD_OK) {
		return ret;
	}
	const char *why = check_layout(buf, len, apex_wire, apex_len, &n, &off);
	if (why != NULL) {
		tld_warning("%s: verified-signature cache ignored: %s; verifying every signature",
		            path, why);
		free(buf);
		return TLD_EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		free(buf);
		return TLD_ENOMEM;
	}
	c->buf = buf;
	c->hashes = buf + off;
	c->n = n;
	/* bucket[b] = first entry whose two leading bytes are >= b */
	size_t i = 0;
	for (unsigned b = 0; b < BUCKETS; b++) {
		c->bucket[b] = i;
		while (i < n && bucket_of(c->hashes + i * VFY_VCACHE_HASH) == b) {
			i++;
		}
	}
	c->bucket[BUCKETS] = n;
	*out = c;
	return TLD_OK;
}

void vfy_vcache_free(struct vfy_vcache *c)
{
	if (c != NULL) {
		free(c->buf);
		free(c);
	}
}

size_t vfy_vcache_count(const struct vfy_vcache *c)
{
	return c != NULL ? c->n : 0;
}

bool vfy_vcache_has(const struct vfy_vcache *c, const uint8_t *h)
{
	if (c == NULL) {
		return false;
	}
	unsigned b = bucket_of(h);
	size_t lo = c->bucket[b], hi = c->bucket[b + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(c->hashes + mid * VFY_VCACHE_HASH, h, VFY_VCACHE_HASH);
		if (cmp == 0) {
			return true;
		}
		if (cmp < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return false;
}

void vfy_hashvec_push(struct vfy_hashvec *v, const uint8_t *h)
{
	if (v->err != TLD_OK) {
		return;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		uint8_t *p = realloc(v->h, cap * VFY_VCACHE_HASH);
		if (p == NULL) {
			v->err = TLD_ENOMEM;
			return;
		}
		v->h = p;
		v->cap = cap;
	}
	memcpy(v->h + v->n * VFY_VCACHE_HASH, h, VFY_VCACHE_HASH);
	v->n++;
}

void vfy_hashvec_clear(struct vfy_hashvec *v)
{
	free(v->h);
	memset(v, 0, sizeof(*v));
}

/*
 * Sorts n hashes into dst: a counting pass on the first two bytes (the
 * hashes are uniform, so buckets hold a few entries each), then insertion
 * sort inside each bucket.
 */
static int sort_hashes(const struct vfy_hashvec *vecs, size_t nv, uint8_t *dst, size_t n)
{
	size_t *start = calloc(BUCKETS + 1, sizeof(*start));
	if (start == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t v = 0; v < nv; v++) {
		for (size_t i = 0; i < vecs[v].n; i++) {
			start[bucket_of(vecs[v].h + i * VFY_VCACHE_HASH) + 1]++;
		}
	}
	for (unsigned b = 0; b < BUCKETS; b++) {
		start[b + 1] += start[b];
	}
	for (size_t v = 0; v < nv; v++) {
		for (size_t i = 0; i < vecs[v].n; i++) {
			const uint8_t *h = vecs[v].h + i * VFY_VCACHE_HASH;
			memcpy(dst + start[bucket_of(h)]++ * VFY_VCACHE_HASH, h, VFY_VCACHE_HASH);
		}
	}
	/* start[b] now is the end of bucket b; bucket b begins at start[b-1] */
	for (unsigned b = 0; b < BUCKETS; b++) {
		size_t lo = b ? start[b - 1] : 0, hi = start[b];
		for (size_t i = lo + 1; i < hi; i++) {
			uint8_t tmp[VFY_VCACHE_HASH];
			memcpy(tmp, dst + i * VFY_VCACHE_HASH, VFY_VCACHE_HASH);
			size_t j = i;
			while (j > lo && memcmp(dst + (j - 1) * VFY_VCACHE_HASH, tmp, VFY_VCACHE_HASH) > 0) {
				memcpy(dst + j * VFY_VCACHE_HASH, dst + (j - 1) * VFY_VCACHE_HASH,
				       VFY_VCACHE_HASH);
				j--;
			}
			memcpy(dst + j * VFY_VCACHE_HASH, tmp, VFY_VCACHE_HASH);
		}
	}
	(void)n;
	free(start);
	return TLD_OK;
}

/* Removes the duplicates of n sorted hashes at h in place.  \return how many are kept */
static size_t distinct(uint8_t *h, size_t n)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (kept == 0 ||
		    memcmp(h + (kept - 1) * VFY_VCACHE_HASH, h + i * VFY_VCACHE_HASH, VFY_VCACHE_HASH) != 0) {
			memmove(h + kept * VFY_VCACHE_HASH, h + i * VFY_VCACHE_HASH, VFY_VCACHE_HASH);
			kept++;
		}
	}
	return kept;
}

/*
 * The file around kept sorted, distinct hashes at buf + off (buf of off + kept
 * hashes + DIGEST_LEN bytes at least): header, apex, digest.  \return its
 * length, or 0 when the digest fails
 */
static size_t seal_file(const uint8_t *apex_wire, size_t apex_len, uint8_t *buf, size_t off,
                        size_t kept)
{
	size_t len = off + kept * VFY_VCACHE_HASH + DIGEST_LEN;
	unsigned mdlen = 0;

	memcpy(buf, MAGIC, MAGIC_LEN);
	put_u32(buf + 16, VERSION);
	put_u32(buf + 20, VFY_VCACHE_HASH);
	put_u64(buf + 24, kept);
	buf[32] = (uint8_t)apex_len;
	memcpy(buf + 33, apex_wire, apex_len);
	if (EVP_Digest(buf, len - DIGEST_LEN, buf + len - DIGEST_LEN, &mdlen, EVP_sha256(), NULL) != 1) {
		return 0;
	}
	return len;
}

/* seal_file(), then the file written atomically. */
static int write_file(const char *path, const uint8_t *apex_wire, size_t apex_len, uint8_t *buf,
                      size_t off, size_t kept)
{
	size_t len = seal_file(apex_wire, apex_len, buf, off, kept);
	return len == 0 ? TLD_ECRYPTO : tld_atomic_write(path, buf, len, 0644);
}

int vfy_vcache_write(const char *path, const uint8_t *apex_wire, size_t apex_len,
                     const struct vfy_hashvec *vecs, size_t nv)
{
	size_t n = 0;
	int ret;

	if (apex_len > 255) {
		return TLD_EINVAL;
	}
	for (size_t v = 0; v < nv; v++) {
		n += vecs[v].n;
	}
	size_t off = 33 + apex_len;
	uint8_t *buf = malloc(off + n * VFY_VCACHE_HASH + DIGEST_LEN);
	if (buf == NULL) {
		return TLD_ENOMEM;
	}
	if ((ret = sort_hashes(vecs, nv, buf + off, n)) != TLD_OK) {
		goto fail;
	}
	/* remove duplicates (one RRSIG twice in a zone file) */
	ret = write_file(path, apex_wire, apex_len, buf, off, distinct(buf + off, n));
fail:
	free(buf);
	return ret;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, VFY_VCACHE_HASH);
}

/*
 * The file of a delta verification's cache, built in a new buffer (*buf,
 * *len): the entries of in but the dropped ones (sorted here), and the new
 * ones (added: sorted, distinct), in order, each once: vfy_vcache_write()'s
 * entries for the same sets.
 */
static int build_delta(const uint8_t *apex_wire, size_t apex_len, const struct vfy_vcache *in,
                       struct vfy_hashvec *dropped, const uint8_t *added, size_t n_new,
                       uint8_t **buf_out, size_t *len_out)
{
	size_t n_in = in != NULL ? in->n : 0;

	if (apex_len > 255) {
		return TLD_EINVAL;
	}
	size_t off = 33 + apex_len;
	uint8_t *buf = malloc(off + (n_in + n_new) * VFY_VCACHE_HASH + DIGEST_LEN);
	if (buf == NULL) {
		return TLD_ENOMEM;
	}
	if (dropped->n > 1) {
		qsort(dropped->h, dropped->n, VFY_VCACHE_HASH, hash_cmp);
	}
	uint8_t *h = buf + off;
	size_t kept = 0, i = 0, j = 0, a = 0;
	while (i < n_in || a < n_new) {
		const uint8_t *x = NULL;
		if (i < n_in) {
			const uint8_t *c = in->hashes + i * VFY_VCACHE_HASH;
			int d = -1;
			while (j < dropped->n && (d = memcmp(dropped->h + j * VFY_VCACHE_HASH, c, VFY_VCACHE_HASH)) < 0) {
				j++;
			}
			if (j < dropped->n && d == 0) {
				i++; /* dropped */
				continue;
			}
			x = c;
		}
		const uint8_t *y = a < n_new ? added + a * VFY_VCACHE_HASH : NULL;
		if (x != NULL && (y == NULL || memcmp(x, y, VFY_VCACHE_HASH) <= 0)) {
			i++;
		} else {
			x = y;
			a++;
		}
		if (kept == 0 || memcmp(h + (kept - 1) * VFY_VCACHE_HASH, x, VFY_VCACHE_HASH) != 0) {
			memcpy(h + kept * VFY_VCACHE_HASH, x, VFY_VCACHE_HASH);
			kept++;
		}
	}
	if ((*len_out = seal_file(apex_wire, apex_len, buf, off, kept)) == 0) {
		free(buf);
		return TLD_ECRYPTO;
	}
	*buf_out = buf;
	return TLD_OK;
}

/* The hashes of the vectors sorted, duplicates removed, in a new buffer (*out, *n_out of them). */
static int sorted_set(const struct vfy_hashvec *vecs, size_t nv, uint8_t **out, size_t *n_out)
{
	size_t n = 0;
	for (size_t v = 0; v < nv; v++) {
		n += vecs[v].n;
	}
	uint8_t *h = malloc((n ? n : 1) * VFY_VCACHE_HASH);
	int ret = h != NULL ? sort_hashes(vecs, nv, h, n) : TLD_ENOMEM;
	if (ret != TLD_OK) {
		free(h);
		return ret;
	}
	*out = h;
	*n_out = distinct(h, n);
	return TLD_OK;
}

int vfy_vcache_write_delta(const char *path, const uint8_t *apex_wire, size_t apex_len,
                           const struct vfy_vcache *in, struct vfy_hashvec *dropped,
                           const struct vfy_hashvec *vecs, size_t n)
{
	uint8_t *added = NULL, *buf = NULL;
	size_t n_new = 0, len = 0;
	/* the new entries (few) sorted; the cache read is sorted and distinct (checked when read) */
	int ret = sorted_set(vecs, n, &added, &n_new);
	if (ret == TLD_OK &&
	    (ret = build_delta(apex_wire, apex_len, in, dropped, added, n_new, &buf, &len)) == TLD_OK) {
		ret = tld_atomic_write(path, buf, len, 0644);
	}
	free(added);
	free(buf);
	return ret;
}

struct vfy_vcache_ahead {
	tld_atomic_file_t *af;     /* the temporary, written and synced */
	uint8_t *guess;            /* the guessed new entries, sorted and distinct */
	size_t n_guess;
};

int vfy_vcache_ahead_start(const char *path, const uint8_t *apex_wire, size_t apex_len,
                           const struct vfy_vcache *in, struct vfy_hashvec *dropped,
                           const struct vfy_hashvec *guess, struct vfy_vcache_ahead **out)
{
	struct vfy_vcache_ahead *a = calloc(1, sizeof(*a));
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = a != NULL ? sorted_set(guess, 1, &a->guess, &a->n_guess) : TLD_ENOMEM;

	*out = NULL;
	if (ret == TLD_OK &&
	    (ret = build_delta(apex_wire, apex_len, in, dropped, a->guess, a->n_guess, &buf, &len)) == TLD_OK &&
	    (ret = tld_atomic_file_open(path, 0644, &a->af)) == TLD_OK) {
		if (fwrite(buf, 1, len, tld_atomic_file_stream(a->af)) != len) {
			ret = tld_errno(errno);
			tld_error("cannot write %s: %s", path, strerror(errno));
		} else {
			ret = tld_atomic_file_sync(a->af);
		}
	}
	free(buf);
	if (ret != TLD_OK) {
		vfy_vcache_ahead_abort(a);
		return ret;
	}
	*out = a;
	return TLD_OK;
}

int vfy_vcache_ahead_end(struct vfy_vcache_ahead *a, const struct vfy_hashvec *vecs, size_t n)
{
	uint8_t *made = NULL;
	size_t n_made = 0;
	int ret = sorted_set(vecs, n, &made, &n_made);

	if (ret == TLD_OK) {
		/* the same set of new entries: the file holds vfy_vcache_write_delta()'s bytes */
		bool same = n_made == a->n_guess && memcmp(made, a->guess, n_made * VFY_VCACHE_HASH) == 0;
		if (same) {
			ret = tld_atomic_file_commit_synced(a->af); /* renamed, the directory synced */
			a->af = NULL;
		} else {
			ret = TLD_EAGAIN;
		}
	}
	free(made);
	vfy_vcache_ahead_abort(a);
	return ret;
}

void vfy_vcache_ahead_abort(struct vfy_vcache_ahead *a)
{
	if (a != NULL) {
		tld_atomic_file_abort(a->af);
		free(a->guess);
		free(a);
	}
}
