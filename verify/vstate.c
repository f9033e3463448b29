/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The verification state file (verify/vstate.h): facts, reading, writing. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "verify/vstate.h"

#define MAGIC "TLDSIGN-VSTATE\n"
#define MAGIC_LEN 16
#define VERSION 2 /* 1: a SHA-256 of the zone file where the tag is */
#define DIGEST_LEN 32
#define SEAL_LEN VFY_FILEMAC_TAG
#define HEAD_LEN (MAGIC_LEN + 4 + VFY_FILEMAC_KEY + VFY_FILEMAC_IV) /* magic, version, seal key */
#define N_COUNTS 8
#define NAME_LEN (VFY_VS_HASH + 1)

#define GROW(arr, n, cap, f)                                                     \
	do {                                                                     \
		if ((n) == (cap)) {                                              \
			size_t ncap_ = (cap) ? (cap) * 2 : 1024;                 \
			void *p_ = realloc((arr), ncap_ * sizeof(*(arr)));       \
			if (p_ == NULL) {                                        \
				(f)->err = TLD_ENOMEM;                           \
				return;                                          \
			}                                                        \
			(arr) = p_;                                              \
			(cap) = ncap_;                                           \
		}                                                                \
	} while (0)

/* capacities, kept beside the facts (the struct holds only counts) */
struct caps {
	size_t names, nsec3, sigs;
};

void vfy_facts_clear(struct vfy_facts *f)
{
	if (f->map != NULL) {
		munmap(f->map, f->map_len); /* names pointed into it */
	} else {
		free(f->names);
	}
	free(f->runs);
	free(f->nsec3);
	free(f->expirations);
	free(f->inceptions);
	free(f->bitmaps);
	memset(f, 0, sizeof(*f));
}

/* The arrays grow by doubling: the capacity is the next power of two >= n. */
static size_t cap_of(size_t n)
{
	size_t c = 1024;
	while (c < n) {
		c *= 2;
	}
	return n == 0 ? 0 : c;
}

void vfy_facts_add_name(struct vfy_facts *f, const uint8_t *hash, bool needs)
{
	size_t cap = cap_of(f->n_names);
	if (f->err != TLD_OK) {
		return;
	}
	GROW(f->names, f->n_names, cap, f);
	memcpy(f->names[f->n_names].hash, hash, VFY_VS_HASH);
	f->names[f->n_names].needs = needs ? 1 : 0;
	f->n_names++;
}

void vfy_facts_add_nsec3(struct vfy_facts *f, const uint8_t *hash, const uint8_t *next,
                         uint8_t flags, const uint8_t *bm, size_t bm_len)
{
	size_t cap = cap_of(f->n_nsec3);
	if (f->err != TLD_OK) {
		return;
	}
	if (bm_len > UINT16_MAX) {
		f->err = TLD_EINVAL;
		return;
	}
	while (f->bitmaps_len + bm_len > f->bitmaps_cap) {
		size_t ncap = f->bitmaps_cap ? f->bitmaps_cap * 2 : 65536;
		uint8_t *p = realloc(f->bitmaps, ncap);
		if (p == NULL) {
			f->err = TLD_ENOMEM;
			return;
		}
		f->bitmaps = p;
		f->bitmaps_cap = ncap;
	}
	GROW(f->nsec3, f->n_nsec3, cap, f);
	struct vfy_vs_nsec3 *n = &f->nsec3[f->n_nsec3++];
	memcpy(n->hash, hash, VFY_VS_HASH);
	memcpy(n->next, next, VFY_VS_HASH);
	n->flags = flags;
	n->bm_len = (uint16_t)bm_len;
	n->bm_off = f->bitmaps_len;
	if (bm_len > 0) {
		memcpy(f->bitmaps + f->bitmaps_len, bm, bm_len);
	}
	f->bitmaps_len += bm_len;
}

void vfy_facts_add_sig(struct vfy_facts *f, uint32_t inception, uint32_t expiration)
{
	size_t cap = cap_of(f->n_sigs), cap2 = cap;
	if (f->err != TLD_OK) {
		return;
	}
	GROW(f->expirations, f->n_sigs, cap, f);
	GROW(f->inceptions, f->n_sigs, cap2, f);
	f->expirations[f->n_sigs] = expiration;
	f->inceptions[f->n_sigs] = inception;
	f->n_sigs++;
}

static int name_cmp(const void *pa, const void *pb)
{
	const struct vfy_vs_name *a = pa, *b = pb;
	int c = vfy_vs_hash_cmp(a->hash, b->hash);
	return c != 0 ? c : (int)a->needs - (int)b->needs;
}

static int nsec3_cmp(const void *pa, const void *pb)
{
	const struct vfy_vs_nsec3 *a = pa, *b = pb;
	return vfy_vs_hash_cmp(a->hash, b->hash);
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

/*
 * Sorts the names: NSEC3 hashes are uniform, so a counting pass on their
 * first two bytes leaves a few names a bucket, sorted by insertion (a zone's
 * million names in a few ms, where qsort takes a good part of a second).
 */
static void sort_names(struct vfy_facts *f)
{
	size_t n = f->n_names;
	size_t *start = n > 4096 ? calloc(65537, sizeof(*start)) : NULL;
	struct vfy_vs_name *tmp = start != NULL ? malloc(n * sizeof(*tmp)) : NULL;

	if (tmp == NULL) {
		free(start);
		qsort(f->names, n, sizeof(*f->names), name_cmp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		start[((unsigned)f->names[i].hash[0] << 8 | f->names[i].hash[1]) + 1]++;
	}
	for (size_t b = 0; b < 65536; b++) {
		start[b + 1] += start[b];
	}
	for (size_t i = 0; i < n; i++) {
		tmp[start[(unsigned)f->names[i].hash[0] << 8 | f->names[i].hash[1]]++] = f->names[i];
	}
	/* start[b] is now the end of bucket b */
	for (size_t b = 0; b < 65536; b++) {
		for (size_t i = (b ? start[b - 1] : 0) + 1; i < start[b]; i++) {
			struct vfy_vs_name v = tmp[i];
			size_t j = i;
			while (j > (b ? start[b - 1] : 0) && name_cmp(&tmp[j - 1], &v) > 0) {
				tmp[j] = tmp[j - 1];
				j--;
			}
			tmp[j] = v;
		}
	}
	memcpy(f->names, tmp, n * sizeof(*tmp));
	free(tmp);
	free(start);
}

void vfy_facts_sort(struct vfy_facts *f)
{
	if (f->n_names > 1) {
		sort_names(f);
	}
	if (f->n_nsec3 > 1) {
		qsort(f->nsec3, f->n_nsec3, sizeof(*f->nsec3), nsec3_cmp);
	}
	if (f->n_sigs > 1) {
		qsort(f->expirations, f->n_sigs, sizeof(uint32_t), u32_cmp);
		qsort(f->inceptions, f->n_sigs, sizeof(uint32_t), u32_cmp);
	}
}

/* The first NSEC3 in [lo, hi) whose hash is >= h (hi when none): a binary search. */
static size_t nsec3_lower_between(const struct vfy_facts *f, size_t lo, size_t hi, const uint8_t *h)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (vfy_vs_hash_cmp(f->nsec3[mid].hash, h) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * A binary search whose first probes are guessed from the hashes' first
 * eight bytes as numbers (NSEC3 hashes are uniform: a few probes near the
 * answer, not seventeen cache misses over a hundred thousand records).
 * Every probe is compared like a binary search's and only narrows the range
 * that holds the answer (all before lo are < h, all from hi on are >= h), so
 * the position is the binary search's whatever the hashes; guesses are
 * bounded in number, so a skewed set costs at most a few probes more.
 */
size_t vfy_facts_nsec3_lower(const struct vfy_facts *f, const uint8_t *h)
{
	size_t lo = 0, hi = f->n_nsec3;
	uint64_t key = vfy_vs_be64(h);

	for (int guesses = 0; guesses < 4 && hi - lo > 16; guesses++) {
		uint64_t a = vfy_vs_be64(f->nsec3[lo].hash), b = vfy_vs_be64(f->nsec3[hi - 1].hash);
		if (key <= a || key >= b) {
			break; /* at an end of the range: the binary search takes it */
		}
		/* a < key < b: the guess is in [lo, hi - 1) */
		size_t mid = lo + (size_t)((double)(key - a) / (double)(b - a) * (double)(hi - 1 - lo));
		mid = mid < lo ? lo : mid >= hi - 1 ? hi - 2 : mid;
		if (vfy_vs_hash_cmp(f->nsec3[mid].hash, h) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return nsec3_lower_between(f, lo, hi, h);
}

size_t *vfy_facts_nsec3_index(const struct vfy_facts *f)
{
	size_t *start = calloc(65537, sizeof(*start));
	if (start == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < f->n_nsec3; i++) {
		start[((unsigned)f->nsec3[i].hash[0] << 8 | f->nsec3[i].hash[1]) + 1]++;
	}
	for (size_t b = 0; b < 65536; b++) {
		start[b + 1] += start[b];
	}
	return start;
}

size_t vfy_facts_nsec3_lower_in(const struct vfy_facts *f, const size_t *index, const uint8_t *h)
{
	unsigned b = (unsigned)h[0] << 8 | h[1];
	size_t lo = index[b], hi = index[b + 1];
	/* before the bucket all are below h, from its end all above: the answer is in it or at its end */
	return nsec3_lower_between(f, lo, hi, h);
}

/* ---- the file ---- */

_Static_assert(sizeof(struct vfy_vs_name) == NAME_LEN, "names are stored as they are in memory");

/*
 * The file written through an unbuffered stream, sealed as it goes; bytes
 * staged in buf (WRITE_BUF bytes), large runs written from where they are:
 * each byte copied once here, once by the kernel.
 */
#define WRITE_BUF ((size_t)1 << 20)

struct writer {
	FILE *fp;
	struct vfy_filemac_stream seal;
	uint8_t *buf;
	size_t len;
	bool bad;
};

static void flush_buf(struct writer *w)
{
	if (w->len > 0 && !w->bad) {
		vfy_filemac_add(&w->seal, w->buf, w->len);
		w->bad = fwrite(w->buf, 1, w->len, w->fp) != w->len;
	}
	w->len = 0;
}

static void put(struct writer *w, const void *p, size_t n)
{
	if (n == 0) {
		return;
	}
	if (n > WRITE_BUF / 2) {
		/* large runs (the names) straight from memory */
		flush_buf(w);
		vfy_filemac_add(&w->seal, p, n);
		w->bad = w->bad || fwrite(p, 1, n, w->fp) != n;
		return;
	}
	if (w->len + n > WRITE_BUF) {
		flush_buf(w);
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_be(struct writer *w, uint64_t v, int n)
{
	uint8_t b[8];
	for (int i = 0; i < n; i++) {
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	}
	put(w, b, (size_t)n);
}

static void counts_array(const struct vfy_vs_counts *c, uint64_t v[N_COUNTS])
{
	v[0] = c->records;
	v[1] = c->names;
	v[2] = c->ents;
	v[3] = c->rrsets_signed;
	v[4] = c->rrsigs_verified;
	v[5] = c->delegations_secure;
	v[6] = c->delegations_insecure;
	v[7] = c->nsec3;
}

static void counts_from_array(struct vfy_vs_counts *c, const uint64_t v[N_COUNTS])
{
	c->records = v[0];
	c->names = v[1];
	c->ents = v[2];
	c->rrsets_signed = v[3];
	c->rrsigs_verified = v[4];
	c->delegations_secure = v[5];
	c->delegations_insecure = v[6];
	c->nsec3 = v[7];
}

static void put_facts(struct writer *w, const struct vfy_filemac *seal, const struct vfy_facts *f)
{
	uint64_t counts[N_COUNTS];

	put(w, MAGIC, MAGIC_LEN);
	put_be(w, VERSION, 4);
	put(w, seal->key, VFY_FILEMAC_KEY);
	put(w, seal->iv, VFY_FILEMAC_IV);
	put_be(w, f->apex_len, 1);
	put(w, f->apex, f->apex_len);
	put(w, f->file_mac.key, VFY_FILEMAC_KEY);
	put(w, f->file_mac.iv, VFY_FILEMAC_IV);
	put(w, f->file_mac.tag, VFY_FILEMAC_TAG);
	put(w, f->apex_digest, DIGEST_LEN);
	counts_array(&f->counts, counts);
	for (int i = 0; i < N_COUNTS; i++) {
		put_be(w, counts[i], 8);
	}
	put_be(w, f->n_names, 8);
	put_be(w, f->n_nsec3, 8);
	put_be(w, f->n_sigs, 8);
	struct vfy_vs_run one;
	const struct vfy_vs_run *runs;
	size_t n_runs = vfy_facts_name_runs(f, &one, &runs);
	for (size_t i = 0; i < n_runs; i++) {
		put(w, runs[i].names, runs[i].n * NAME_LEN);
	}
	for (size_t i = 0; i < f->n_nsec3; i++) {
		const struct vfy_vs_nsec3 *n = &f->nsec3[i];
		put(w, n->hash, VFY_VS_HASH);
		put(w, n->next, VFY_VS_HASH);
		put_be(w, n->flags, 1);
		put_be(w, n->bm_len, 2);
		put(w, vfy_facts_bitmap(f, n), n->bm_len);
	}
	for (size_t i = 0; i < f->n_sigs; i++) {
		put_be(w, f->expirations[i], 4);
	}
	for (size_t i = 0; i < f->n_sigs; i++) {
		put_be(w, f->inceptions[i], 4);
	}
	flush_buf(w);
}

/* A state being written: the temporary file, its thread, its result. */
struct vfy_vstate_job {
	const char *path;
	const struct vfy_facts *f;
	tld_atomic_file_t *af;
	struct vfy_filemac seal;
	struct writer w;
	pthread_t thread;
	bool started;
	int ret;
};

/* Writes, seals and syncs the temporary file (the job's thread). */
static void *job_run(void *arg)
{
	struct vfy_vstate_job *j = arg;
	struct writer *w = &j->w;

	put_facts(w, &j->seal, j->f);
	if (w->bad || vfy_filemac_end(&w->seal, j->seal.tag) != TLD_OK ||
	    fwrite(j->seal.tag, 1, SEAL_LEN, w->fp) != SEAL_LEN) {
		tld_error("%s: cannot write the verification state", j->path);
		j->ret = TLD_EIO;
	} else {
		j->ret = tld_atomic_file_sync(j->af);
	}
	return NULL;
}

static void job_free(struct vfy_vstate_job *j)
{
	tld_atomic_file_abort(j->af);
	vfy_filemac_end(&j->w.seal, NULL);
	free(j->w.buf);
	free(j);
}

int vfy_vstate_write_start(const char *path, const struct vfy_facts *f, struct vfy_vstate_job **out)
{
	struct vfy_vstate_job *j = NULL;
	int ret;

	*out = NULL;
	if (f->apex_len == 0 || f->apex_len > 255) {
		return TLD_EINVAL;
	}
	struct vfy_vs_run one;
	const struct vfy_vs_run *runs;
	size_t n_runs = vfy_facts_name_runs(f, &one, &runs), in_runs = 0;
	for (size_t i = 0; i < n_runs; i++) {
		in_runs += runs[i].n;
	}
	if (in_runs != f->n_names) {
		return TLD_EINVAL; /* the count written must be the names written */
	}
	for (size_t i = 1; i < f->n_nsec3; i++) {
		if (vfy_vs_hash_cmp(f->nsec3[i - 1].hash, f->nsec3[i].hash) >= 0) {
			return TLD_EINVAL; /* the chain has duplicates: such a zone does not pass */
		}
	}
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->w.buf = malloc(WRITE_BUF)) == NULL) {
		free(j);
		return TLD_ENOMEM;
	}
	j->path = path;
	j->f = f;
	j->w.seal.bad = true; /* nothing to free until begun */
	if (vfy_filemac_new_key(&j->seal) != TLD_OK || vfy_filemac_begin(&j->w.seal, &j->seal) != TLD_OK) {
		job_free(j);
		return TLD_ECRYPTO;
	}
	if ((ret = tld_atomic_file_open(path, 0600, &j->af)) != TLD_OK) {
		job_free(j);
		return ret;
	}
	j->w.fp = tld_atomic_file_stream(j->af);
	/* no I/O on the stream yet: unbuffered, the staging buffer is the only copy */
	(void)setvbuf(j->w.fp, NULL, _IONBF, 0);
	j->started = pthread_create(&j->thread, NULL, job_run, j) == 0;
	if (!j->started) {
		job_run(j);
	}
	*out = j;
	return TLD_OK;
}

int vfy_vstate_write_end(struct vfy_vstate_job *j, bool keep)
{
	if (j == NULL) {
		return TLD_OK;
	}
	if (j->started) {
		pthread_join(j->thread, NULL);
	}
	int ret = j->ret;
	if (keep && ret == TLD_OK) {
		ret = tld_atomic_file_commit_synced(j->af); /* synced on its thread: renamed, the directory synced */
		j->af = NULL;
	}
	job_free(j); /* not kept: the temporary removed */
	return ret;
}

int vfy_vstate_write(const char *path, const struct vfy_facts *f)
{
	struct vfy_vstate_job *j = NULL;
	int ret = vfy_vstate_write_start(path, f, &j);
	return ret == TLD_OK ? vfy_vstate_write_end(j, true) : ret;
}

/* A reader over the file's bytes that fails (once, for good) past the end. */
struct rbuf {
	const uint8_t *b;
	size_t len, pos;
	bool bad;
};

static const uint8_t *take(struct rbuf *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->b + r->pos;
	r->pos += n;
	return p;
}

static uint64_t get_be(struct rbuf *r, int n)
{
	const uint8_t *p = take(r, (size_t)n);
	uint64_t v = 0;
	for (int i = 0; p != NULL && i < n; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

/* Maps the file read-only (its names are used in place). */
static int map_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		int e = errno;
		if (e != ENOENT) {
			tld_warning("%s: %s; verifying in full", path, strerror(e));
		}
		return e == ENOENT ? TLD_ENOENT : TLD_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		tld_warning("%s: not a regular file with data; verifying in full", path);
		close(fd);
		return TLD_EIO;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		tld_warning("%s: %s; verifying in full", path, strerror(e));
		return TLD_EIO;
	}
	*buf = p;
	*len = (size_t)st.st_size;
	return TLD_OK;
}

/* The seal of a state image: its key and IV from the header. */
static int seal_of(const uint8_t *b, size_t len, uint8_t *tag)
{
	struct vfy_filemac m;
	if (len < HEAD_LEN + SEAL_LEN) {
		return TLD_EINVAL;
	}
	memcpy(m.key, b + MAGIC_LEN + 4, VFY_FILEMAC_KEY);
	memcpy(m.iv, b + MAGIC_LEN + 4 + VFY_FILEMAC_KEY, VFY_FILEMAC_IV);
	return vfy_filemac_tag(&m, b, len - SEAL_LEN, tag);
}

static bool sealed(const uint8_t *b, size_t len)
{
	uint8_t tag[SEAL_LEN];
	return seal_of(b, len, tag) == TLD_OK && CRYPTO_memcmp(tag, b + len - SEAL_LEN, SEAL_LEN) == 0;
}

int vfy_vstate_reseal(uint8_t *buf, size_t len)
{
	return seal_of(buf, len, buf + len - SEAL_LEN);
}

/* Parses the file into f; NULL when fine, else the reason. */
static const char *parse(const uint8_t *b, size_t len, const uint8_t *apex, size_t apex_len,
                         struct vfy_facts *f)
{
	struct rbuf r = { .b = b, .len = len };
	uint64_t counts[N_COUNTS];

	if (len < HEAD_LEN + SEAL_LEN || memcmp(b, MAGIC, MAGIC_LEN) != 0) {
		return "not a verification state (bad magic or too short)";
	}
	take(&r, MAGIC_LEN);
	if (get_be(&r, 4) != VERSION) {
		return "another format version";
	}
	if (!sealed(b, len)) {
		return "damaged (its seal does not match)";
	}
	r.len = len - SEAL_LEN;
	take(&r, VFY_FILEMAC_KEY + VFY_FILEMAC_IV); /* the seal's key and IV */
	f->apex_len = (size_t)get_be(&r, 1);
	const uint8_t *a = take(&r, f->apex_len);
	if (a == NULL || (apex != NULL && (f->apex_len != apex_len || memcmp(a, apex, apex_len) != 0))) {
		return "written for another zone";
	}
	memcpy(f->apex, a, f->apex_len);
	const uint8_t *key = take(&r, VFY_FILEMAC_KEY), *iv = take(&r, VFY_FILEMAC_IV),
	              *tag = take(&r, VFY_FILEMAC_TAG), *ad = take(&r, DIGEST_LEN);
	for (int i = 0; i < N_COUNTS; i++) {
		counts[i] = get_be(&r, 8);
	}
	uint64_t nn = get_be(&r, 8), n3 = get_be(&r, 8), ns = get_be(&r, 8);
	if (r.bad || nn > len / NAME_LEN || n3 > len / (2 * VFY_VS_HASH + 3) || ns > len / 8) {
		return "truncated or damaged (its counts do not fit its length)";
	}
	memcpy(f->file_mac.key, key, VFY_FILEMAC_KEY);
	memcpy(f->file_mac.iv, iv, VFY_FILEMAC_IV);
	memcpy(f->file_mac.tag, tag, VFY_FILEMAC_TAG);
	memcpy(f->apex_digest, ad, DIGEST_LEN);
	counts_from_array(&f->counts, counts);
	f->nsec3 = malloc((n3 ? n3 : 1) * sizeof(*f->nsec3));
	f->expirations = malloc((ns ? ns : 1) * sizeof(uint32_t));
	f->inceptions = malloc((ns ? ns : 1) * sizeof(uint32_t));
	f->bitmaps = malloc(len);
	if (f->nsec3 == NULL || f->expirations == NULL || f->inceptions == NULL ||
	    f->bitmaps == NULL) {
		f->err = TLD_ENOMEM;
		return "out of memory";
	}
	f->bitmaps_cap = len;
	/* the names in place: the file holds them as they are in memory */
	f->names = (struct vfy_vs_name *)(uintptr_t)take(&r, (size_t)nn * NAME_LEN);
	for (uint64_t i = 0; i < nn && !r.bad; i++) {
		if (f->names[i].needs > 1 || (i > 0 && name_cmp(&f->names[i - 1], &f->names[i]) > 0)) {
			return "damaged (names out of order)";
		}
	}
	f->n_names = r.bad ? 0 : (size_t)nn;
	for (uint64_t i = 0; i < n3 && !r.bad; i++) {
		const uint8_t *h = take(&r, VFY_VS_HASH), *nx = take(&r, VFY_VS_HASH);
		uint8_t flags = (uint8_t)get_be(&r, 1);
		size_t bl = (size_t)get_be(&r, 2);
		const uint8_t *bm = take(&r, bl);
		if (r.bad) {
			break;
		}
		if (i > 0 && vfy_vs_hash_cmp(f->nsec3[i - 1].hash, h) >= 0) {
			return "damaged (NSEC3 records out of order)";
		}
		struct vfy_vs_nsec3 *n = &f->nsec3[i];
		memcpy(n->hash, h, VFY_VS_HASH);
		memcpy(n->next, nx, VFY_VS_HASH);
		n->flags = flags;
		n->bm_len = (uint16_t)bl;
		n->bm_off = f->bitmaps_len;
		if (bl > 0) {
			memcpy(f->bitmaps + f->bitmaps_len, bm, bl);
		}
		f->bitmaps_len += bl;
	}
	f->n_nsec3 = (size_t)n3;
	for (uint64_t i = 0; i < ns && !r.bad; i++) {
		f->expirations[i] = (uint32_t)get_be(&r, 4);
	}
	for (uint64_t i = 0; i < ns && !r.bad; i++) {
		f->inceptions[i] = (uint32_t)get_be(&r, 4);
	}
	f->n_sigs = (size_t)ns;
	if (r.bad || r.pos != r.len) {
		return "truncated or damaged (its length does not match its contents)";
	}
	for (size_t i = 1; i < f->n_sigs; i++) {
		if (f->expirations[i - 1] > f->expirations[i] || f->inceptions[i - 1] > f->inceptions[i]) {
			return "damaged (times out of order)";
		}
	}
	return NULL;
}

int vfy_vstate_load(const char *path, const uint8_t *apex_wire, size_t apex_len,
                    struct vfy_facts *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = map_file(path, &buf, &len);

	memset(out, 0, sizeof(*out));
	if (ret != TLD_OK) {
		return ret;
	}
	out->map = buf;
	out->map_len = len;
	const char *why = parse(buf, len, apex_wire, apex_len, out);
	if (why != NULL) {
		ret = out->err == TLD_ENOMEM ? TLD_ENOMEM : TLD_EINVAL;
		if (ret == TLD_EINVAL) {
			tld_warning("%s: verification state ignored: %s; verifying in full", path, why);
		}
		vfy_facts_clear(out);
	}
	return ret;
}
