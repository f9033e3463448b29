/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/zoneimage.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"

static const char IMAGE_MAGIC[8] = "TLDIMG01";

void tld_image_rr(const struct tld_zone_image *img, size_t i, struct tld_image_rr *out)
{
	const uint8_t *p = img->data + img->rr[i];
	out->owner_len = p[0];
	out->owner = p + 1;
	p += 1 + out->owner_len;
	out->type = tld_get16(p);
	out->rclass = tld_get16(p + 2);
	out->ttl = tld_get32(p + 4);
	out->rdlen = tld_get16(p + 8);
	out->rdata = p + 10;
}

uint64_t tld_image_record_check(const uint8_t *rec)
{
	size_t len = tld_image_record_len(rec), i = 0;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, rec + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, rec + i, len - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

uint64_t tld_image_check(const struct tld_zone_image *img)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < img->count; i++) {
		sum += tld_image_record_check(img->data + img->rr[i]);
	}
	return sum;
}

int tld_image_header_read(const uint8_t *hdr, uint64_t file_size, uint32_t *serial,
                          uint32_t *from_serial, size_t *count, uint64_t *len)
{
	if (memcmp(hdr, IMAGE_MAGIC, 8) != 0 || file_size < TLD_IMAGE_HEADER_LEN) {
		return TLD_EPARSE;
	}
	*len = (uint64_t)tld_get32(hdr + 20) << 32 | tld_get32(hdr + 24);
	*count = tld_get32(hdr + 16);
	if (*len != file_size - TLD_IMAGE_HEADER_LEN || *count == 0 || *count > *len / 12) {
		return TLD_EPARSE;
	}
	*serial = tld_get32(hdr + 8);
	*from_serial = tld_get32(hdr + 12);
	return TLD_OK;
}

void tld_image_header_write(uint8_t *hdr, uint32_t serial, uint32_t from_serial, size_t count,
                            uint64_t len)
{
	memcpy(hdr, IMAGE_MAGIC, 8);
	tld_put32(hdr + 8, serial);
	tld_put32(hdr + 12, from_serial);
	tld_put32(hdr + 16, (uint32_t)count);
	tld_put32(hdr + 20, (uint32_t)(len >> 32));
	tld_put32(hdr + 24, (uint32_t)len);
}

/*
 * The checks of four records at once, each what tld_image_record_check()
 * gives: one record's check is a chain of multiplications, each waiting for
 * the one before, so four chains side by side take little longer than one
 * (1M delegations: the current image's checks 0.039 -> 0.023 s).  A chain
 * steps on, reading, until the longest record's words are done, keeping its
 * value once its own are; so it reads up to 8 bytes past the longest
 * record's length from its start: the caller makes sure those bytes are
 * within the data (else tld_image_record_check(), one at a time).
 */
static inline uint64_t check_step(uint64_t h, const uint8_t *p, bool live)
{
	uint64_t w, x;
	memcpy(&w, p, 8);
	x = (h ^ w) * 0xff51afd7ed558ccdull;
	x ^= x >> 32;
	return live ? x : h;
}

/* A chain's last word: the record's last len % 8 bytes, as tld_image_record_check() reads them. */
static inline uint64_t check_end(uint64_t h, const uint8_t *rec, size_t len)
{
	size_t full = len / 8 * 8, rest = len - full;
	uint64_t w;
	memcpy(&w, rec + full, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w &= rest != 0 ? ~0ull << (64 - 8 * rest) : 0;
#else
	w &= rest != 0 ? ~0ull >> (64 - 8 * rest) : 0;
#endif
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

/* The sum of the checks of rec[0..3], len[k] bytes each; see above for what it reads. */
static uint64_t record_checks4(const uint8_t *const rec[4], const size_t len[4])
{
	const uint8_t *r0 = rec[0], *r1 = rec[1], *r2 = rec[2], *r3 = rec[3];
	size_t w0 = len[0] / 8, w1 = len[1] / 8, w2 = len[2] / 8, w3 = len[3] / 8;
	size_t most = w0 > w1 ? w0 : w1;
	most = most > w2 ? most : w2;
	most = most > w3 ? most : w3;
	uint64_t h0 = 0x9e3779b97f4a7c15ull ^ len[0], h1 = 0x9e3779b97f4a7c15ull ^ len[1];
	uint64_t h2 = 0x9e3779b97f4a7c15ull ^ len[2], h3 = 0x9e3779b97f4a7c15ull ^ len[3];
	for (size_t i = 0; i < most; i++) {
		h0 = check_step(h0, r0 + 8 * i, i < w0);
		h1 = check_step(h1, r1 + 8 * i, i < w1);
		h2 = check_step(h2, r2 + 8 * i, i < w2);
		h3 = check_step(h3, r3 + 8 * i, i < w3);
	}
	return check_end(h0, r0, len[0]) + check_end(h1, r1, len[1]) + check_end(h2, r2, len[2]) +
	       check_end(h3, r3, len[3]);
}

int tld_image_index(const uint8_t *data, size_t len, size_t *rr, size_t count, size_t stride,
                    uint64_t *check)
{
	size_t pos = 0, held_len[4], most = 0;
	const uint8_t *held[4];
	int n_held = 0;
	uint64_t sum = 0;
	for (size_t i = 0, next_mark = 0; i < count; i++) {
		if (pos + 1 > len || pos + 1 + data[pos] + 10 > len) {
			return TLD_EPARSE;
		}
		size_t rl = tld_image_record_len(data + pos);
		if (pos + rl > len || tld_name_len(data + pos + 1, data[pos]) != data[pos]) {
			return TLD_EPARSE;
		}
		if (check != NULL) {
			/* checked four at a time while the reads past them stay within the data */
			held[n_held] = data + pos;
			held_len[n_held++] = rl;
			most = rl > most ? rl : most;
			if (n_held == 4) {
				sum += pos + most + 8 <= len ? record_checks4(held, held_len)
				                             : tld_image_record_check(held[0]) +
				                                   tld_image_record_check(held[1]) +
				                                   tld_image_record_check(held[2]) +
				                                   tld_image_record_check(held[3]);
				n_held = 0;
				most = 0;
			}
		}
		if (i == next_mark) {
			rr[i / stride] = pos;
			next_mark += stride;
		}
		pos += rl;
	}
	for (int k = 0; k < n_held; k++) {
		sum += tld_image_record_check(held[k]);
	}
	if (check != NULL) {
		*check = sum;
	}
	return pos == len ? TLD_OK : TLD_EPARSE;
}

void tld_image_free(struct tld_zone_image *img)
{
	if (img == NULL) {
		return;
	}
	free(img->data);
	free(img->rr);
	free(img);
}

int tld_image_builder_add(struct tld_image_builder *b, const uint8_t *rec, size_t len)
{
	struct tld_zone_image *img = b->img;
	if (img->len + len > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap < img->len + len) {
			cap *= 2;
		}
		uint8_t *d = realloc(img->data, cap);
		if (d == NULL) {
			return TLD_ENOMEM;
		}
		img->data = d;
		b->cap = cap;
	}
	if (img->count == b->rr_cap) {
		size_t cap = b->rr_cap ? b->rr_cap * 2 : 1024;
		size_t *r = realloc(img->rr, cap * sizeof(*r));
		if (r == NULL) {
			return TLD_ENOMEM;
		}
		img->rr = r;
		b->rr_cap = cap;
	}
	img->rr[img->count++] = img->len;
	memcpy(img->data + img->len, rec, len);
	img->len += len;
	return TLD_OK;
}

int tld_image_builder_append(struct tld_image_builder *b, const struct tld_zone_image *part)
{
	struct tld_zone_image *img = b->img;
	if (part->count == 0) {
		return TLD_OK;
	}
	if (img->len + part->len > b->cap) {
		uint8_t *d = realloc(img->data, img->len + part->len);
		if (d == NULL) {
			return TLD_ENOMEM;
		}
		img->data = d;
		b->cap = img->len + part->len;
	}
	if (img->count + part->count > b->rr_cap) {
		size_t *r = realloc(img->rr, (img->count + part->count) * sizeof(*r));
		if (r == NULL) {
			return TLD_ENOMEM;
		}
		img->rr = r;
		b->rr_cap = img->count + part->count;
	}
	memcpy(img->data + img->len, part->data, part->len);
	for (size_t i = 0; i < part->count; i++) {
		img->rr[img->count + i] = img->len + part->rr[i];
	}
	img->count += part->count;
	img->len += part->len;
	return TLD_OK;
}

size_t tld_image_record_len(const uint8_t *p)
{
	size_t ol = p[0];
	return 1 + ol + 10 + tld_get16(p + 1 + ol + 8);
}

static uint32_t soa_serial(const struct tld_image_rr *rr)
{
	size_t n1 = tld_name_len(rr->rdata, rr->rdlen);
	size_t n2 = n1 ? tld_name_len(rr->rdata + n1, rr->rdlen - n1) : 0;
	if (n1 == 0 || n2 == 0 || n1 + n2 + 20 != rr->rdlen) {
		return 0;
	}
	return tld_get32(rr->rdata + n1 + n2);
}

void tld_image_file_reserve(int fd, uint64_t len)
{
	if (len > 0 && len <= (uint64_t)INT64_MAX) {
		(void)fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)len);
	}
}

int tld_image_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return tld_errno(errno);
		}
		p += w;
		len -= (size_t)w;
	}
	return TLD_OK;
}

int tld_image_save(const struct tld_zone_image *img, const char *path)
{
	uint8_t hdr[TLD_IMAGE_HEADER_LEN];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		tld_error("%s: cannot create: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	tld_image_header_write(hdr, img->serial, img->from_serial, img->count, img->len);
	tld_image_file_reserve(fd, sizeof(hdr) + (uint64_t)img->len);
	int r = tld_image_write_all(fd, hdr, sizeof(hdr));
	/* records in the order of rr[] (SOA first, then canonical order), staged */
	uint8_t *stage = malloc(1 << 20);
	size_t staged = 0;
	if (stage == NULL && r == TLD_OK) {
		r = TLD_ENOMEM;
	}
	for (size_t i = 0; r == TLD_OK && i < img->count; i++) {
		const uint8_t *p = img->data + img->rr[i];
		size_t l = tld_image_record_len(p);
		if (staged + l > (1 << 20)) {
			r = tld_image_write_all(fd, stage, staged);
			staged = 0;
		}
		memcpy(stage + staged, p, l);
		staged += l;
	}
	if (r == TLD_OK && staged > 0) {
		r = tld_image_write_all(fd, stage, staged);
	}
	free(stage);
	return tld_image_file_end(fd, r, path);
}

int tld_image_file_end(int fd, int r, const char *path)
{
	if (r == TLD_OK && fsync(fd) != 0) {
		r = tld_errno(errno);
	}
	if (close(fd) != 0 && r == TLD_OK) {
		r = TLD_EIO;
	}
	if (r != TLD_OK) {
		tld_error("%s: write failed: %s", path, tld_strerror(r));
	}
	return r;
}

int tld_image_load(const char *path, struct tld_zone_image **out)
{
	uint8_t hdr[TLD_IMAGE_HEADER_LEN];
	struct tld_zone_image *img = NULL;
	int r = TLD_EPARSE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return tld_errno(errno);
	}
	struct stat st;
	uint32_t serial, from_serial;
	uint64_t len;
	size_t count;
	if (fstat(fd, &st) != 0 || read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    tld_image_header_read(hdr, (uint64_t)st.st_size, &serial, &from_serial, &count, &len) !=
	        TLD_OK) {
		goto fail;
	}
	r = TLD_ENOMEM;
	img = calloc(1, sizeof(*img));
	if (img == NULL || (img->data = malloc(len)) == NULL ||
	    (img->rr = malloc(count * sizeof(size_t))) == NULL) {
		goto fail;
	}
	img->len = len;
	img->count = count;
	img->serial = serial;
	img->from_serial = from_serial;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, img->data + got, len - got);
		if (n <= 0) {
			r = TLD_EIO;
			goto fail;
		}
		got += (size_t)n;
	}
	/* walk and validate every record */
	if ((r = tld_image_index(img->data, len, img->rr, count, 1, NULL)) != TLD_OK) {
		goto fail;
	}
	struct tld_image_rr s;
	tld_image_rr(img, 0, &s);
	if (s.type != TLD_RR_SOA) {
		goto fail;
	}
	close(fd);
	*out = img;
	return TLD_OK;
fail:
	if (r == TLD_EPARSE) {
		tld_error("%s: corrupt zone image", path);
	}
	close(fd);
	tld_image_free(img);
	return r;
}

int tld_wire_name_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[128], *lb[128];
	int na = 0, nb = 0;
	for (const uint8_t *p = a; *p && na < 128; p += 1 + *p) {
		la[na++] = p;
	}
	for (const uint8_t *p = b; *p && nb < 128; p += 1 + *p) {
		lb[nb++] = p;
	}
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		size_t l = x[0] < y[0] ? x[0] : y[0];
		int c = memcmp(x + 1, y + 1, l);
		if (c != 0) {
			return c;
		}
		if (x[0] != y[0]) {
			return x[0] < y[0] ? -1 : 1;
		}
	}
	return na > 0 ? 1 : (nb > 0 ? -1 : 0);
}

/* Canonical order of two records of the same owner: type, class, rdata, then TTL. */
static int rest_cmp(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *fa = a + 1 + a[0], *fb = b + 1 + b[0];
	uint16_t ta = tld_get16(fa), tb = tld_get16(fb);
	if (ta != tb) {
		return ta < tb ? -1 : 1;
	}
	uint16_t ca = tld_get16(fa + 2), cb = tld_get16(fb + 2);
	if (ca != cb) {
		return ca < cb ? -1 : 1;
	}
	size_t ra = tld_get16(fa + 8), rb = tld_get16(fb + 8);
	int c = memcmp(fa + 10, fb + 10, ra < rb ? ra : rb);
	if (c != 0) {
		return c;
	}
	if (ra != rb) {
		return ra < rb ? -1 : 1;
	}
	uint32_t xa = tld_get32(fa + 4), xb = tld_get32(fb + 4);
	return xa < xb ? -1 : (xa > xb);
}

int tld_image_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	int c = a[0] == b[0] && memcmp(a + 1, b + 1, a[0]) == 0 ? 0 : tld_wire_name_canon_cmp(a + 1, b + 1);
	return c != 0 ? c : rest_cmp(a, b);
}

/* Merges the sorted runs o[lo..mid) and o[mid..hi) through tmp. */
static void merge_runs(const uint8_t *data, size_t *o, size_t *tmp, size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;
	if (tld_image_canon_cmp(data + o[mid - 1], data + o[mid]) <= 0) {
		return;  /* already in order */
	}
	while (i < mid && j < hi) {
		tmp[k++] = tld_image_canon_cmp(data + o[i], data + o[j]) <= 0 ? o[i++] : o[j++];
	}
	while (i < mid) {
		tmp[k++] = o[i++];
	}
	while (j < hi) {
		tmp[k++] = o[j++];
	}
	memcpy(o + lo, tmp + lo, (k - lo) * sizeof(*o));
}

static bool same_owner(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && memcmp(a + 1, b + 1, a[0]) == 0;
}

/* Largest group of one owner's records sorted in place by sort_by_owner(). */
#define OWNER_GROUP_MAX 64

/*
 * The order a signer writes: owners in canonical order, each owner's records
 * together, but within an owner not always in type order (an RRSIG next to
 * the RRset it covers, the SOA first).  Sorts each owner's records in place
 * (insertion sort: a handful each) and checks that every owner follows the
 * previous one; false when the input is not of that form (o may then be
 * permuted; the caller sorts in general).  Costs about one comparison per
 * record and one name comparison per owner.
 */
static bool sort_by_owner(const uint8_t *data, size_t *o, size_t n)
{
	size_t start = 0;
	for (size_t i = 1; i <= n; i++) {
		if (i < n && same_owner(data + o[start], data + o[i])) {
			continue;
		}
		bool in_order = true;
		for (size_t k = start + 1; k < i && in_order; k++) {
			in_order = rest_cmp(data + o[k - 1], data + o[k]) <= 0;
		}
		if (!in_order) {
			if (i - start > OWNER_GROUP_MAX) {
				return false;
			}
			for (size_t k = start + 1; k < i; k++) {
				size_t x = o[k], j = k;
				for (; j > start && rest_cmp(data + o[j - 1], data + x) > 0; j--) {
					o[j] = o[j - 1];
				}
				o[j] = x;
			}
		}
		/* owners strictly increasing: the same owner twice means scattered records */
		if (start > 0 && tld_wire_name_canon_cmp(data + o[start - 1] + 1, data + o[start] + 1) >= 0) {
			return false;
		}
		start = i;
	}
	return true;
}

/*
 * Sorts record offsets into canonical order.  Input in a signer's order
 * (sort_by_owner()) costs about n comparisons; anything else goes through a
 * natural merge sort: the runs the input already has are found in one pass.
 */
static int sort_offsets(const uint8_t *data, size_t *o, size_t n)
{
	size_t *runs = NULL, *tmp = NULL, nr = 0, cap = 0;
	int r = TLD_ENOMEM;
	if (sort_by_owner(data, o, n)) {
		return TLD_OK;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && tld_image_canon_cmp(data + o[j - 1], data + o[j]) <= 0) {
			j++;
		}
		if (nr + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			size_t *nrun = realloc(runs, cap * sizeof(*nrun));
			if (nrun == NULL) {
				goto fail;
			}
			runs = nrun;
		}
		runs[nr++] = i;
		i = j;
	}
	if (nr > 1) {
		tmp = malloc(n * sizeof(*tmp));
		if (tmp == NULL) {
			goto fail;
		}
		runs[nr] = n;
		while (nr > 1) {
			size_t k = 0;
			for (size_t i = 0; i + 1 < nr; i += 2) {
				merge_runs(data, o, tmp, runs[i], runs[i + 1], runs[i + 2]);
				runs[k++] = runs[i];
			}
			if (nr % 2) {
				runs[k++] = runs[nr - 1];
			}
			runs[k] = n;
			nr = k;
		}
	}
	r = TLD_OK;
fail:
	free(runs);
	free(tmp);
	return r;
}

int tld_image_builder_finish(struct tld_image_builder *b, const char *what, struct tld_zone_image **out)
{
	struct tld_zone_image *img = b->img;
	size_t soa = SIZE_MAX;
	for (size_t i = 0; i < img->count; i++) {
		const uint8_t *p = img->data + img->rr[i];
		if (tld_get16(p + 1 + p[0]) == TLD_RR_SOA) {
			if (soa != SIZE_MAX) {
				tld_error("%s: more than one SOA record", what);
				return TLD_EZONE;
			}
			soa = i;
		}
	}
	if (soa == SIZE_MAX) {
		tld_error("%s: no SOA record", what);
		return TLD_EZONE;
	}
	size_t soa_off = img->rr[soa];
	memmove(img->rr + 1, img->rr, soa * sizeof(size_t));
	img->rr[0] = soa_off;
	img->soa = 0;
	int r = sort_offsets(img->data, img->rr + 1, img->count - 1);
	if (r != TLD_OK) {
		return r;
	}
	img->sorted = true;
	struct tld_image_rr s;
	tld_image_rr(img, 0, &s);
	img->serial = soa_serial(&s);
	*out = img;
	b->img = NULL;
	return TLD_OK;
}

/* Byte-identical records (most of two consecutive versions): equal without a canonical comparison. */
bool tld_image_same_record(const uint8_t *a, const uint8_t *b)
{
	size_t la = tld_image_record_len(a);
	return la == tld_image_record_len(b) && memcmp(a, b, la) == 0;
}

/* Record offsets without the SOA, in canonical order (a copy sorted only when needed). */
static size_t *sorted_offsets(const struct tld_zone_image *img, size_t *n)
{
	size_t *o = malloc((img->count ? img->count : 1) * sizeof(*o));
	size_t k = 0;
	if (o == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < img->count; i++) {
		if (i != img->soa) {
			o[k++] = img->rr[i];
		}
	}
	if (!(img->sorted && img->soa == 0) && sort_offsets(img->data, o, k) != TLD_OK) {
		free(o);
		return NULL;
	}
	*n = k;
	return o;
}

/*
 * The end of a journal entry after its removed records: the new SOA, the
 * added records (offsets in new_img), the entry's SOA index and serials.
 */
static int journal_finish(struct tld_image_builder *b, const struct tld_zone_image *new_img,
                          const size_t *added, size_t na, uint32_t old_serial)
{
	const uint8_t *new_soa = new_img->data + new_img->rr[new_img->soa];
	int r = tld_image_builder_add(b, new_soa, tld_image_record_len(new_soa));
	for (size_t k = 0; r == TLD_OK && k < na; k++) {
		const uint8_t *c = new_img->data + added[k];
		r = tld_image_builder_add(b, c, tld_image_record_len(c));
	}
	if (r == TLD_OK) {
		b->img->soa = 0;
		b->img->serial = new_img->serial;
		b->img->from_serial = old_serial;
	}
	return r;
}

int tld_image_diff(const struct tld_zone_image *old_img, const struct tld_zone_image *new_img,
                   struct tld_zone_image **out)
{
	size_t no = 0, nn = 0, na = 0, i = 0, j = 0;
	size_t *so = sorted_offsets(old_img, &no);
	size_t *sn = sorted_offsets(new_img, &nn);
	size_t *added = NULL;
	struct tld_image_builder b = { 0 };
	int r = TLD_ENOMEM;

	b.img = calloc(1, sizeof(*b.img));
	added = malloc((nn ? nn : 1) * sizeof(*added));
	if (so == NULL || sn == NULL || b.img == NULL || added == NULL) {
		goto fail;
	}
	const uint8_t *old_soa = old_img->data + old_img->rr[old_img->soa];
	/* one merge walk: removed records go out at once, added ones are remembered */
	r = tld_image_builder_add(&b, old_soa, tld_image_record_len(old_soa));
	while (r == TLD_OK && (i < no || j < nn)) {
		const uint8_t *a = i < no ? old_img->data + so[i] : NULL;
		const uint8_t *c = j < nn ? new_img->data + sn[j] : NULL;
		int cmp = a == NULL ? 1 : c == NULL ? -1 :
		          tld_image_same_record(a, c) ? 0 : tld_image_canon_cmp(a, c);
		if (cmp == 0) {
			i++;
			j++;
		} else if (cmp < 0) {
			r = tld_image_builder_add(&b, a, tld_image_record_len(a));
			i++;
		} else {
			added[na++] = sn[j++];
		}
	}
	if (r == TLD_OK) {
		r = journal_finish(&b, new_img, added, na, old_img->serial);
	}
	if (r != TLD_OK) {
		goto fail;
	}
	free(so);
	free(sn);
	free(added);
	*out = b.img;
	return TLD_OK;
fail:
	free(so);
	free(sn);
	free(added);
	tld_image_free(b.img);
	return r;
}

int tld_image_load_soa(const char *path, uint8_t *rec, size_t cap)
{
	uint8_t hdr[28];
	int r = TLD_EPARSE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return tld_errno(errno);
	}
	size_t got = 0;
	ssize_t n = read(fd, hdr, sizeof(hdr));
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, IMAGE_MAGIC, 8) != 0 || cap < 1 + 255 + 10) {
		goto done;
	}
	/* owner length, owner, fixed fields; then the rdata */
	while (got < cap && (n = read(fd, rec + got, cap - got)) > 0) {
		got += (size_t)n;
		if (got >= 1 && got >= 1 + (size_t)rec[0] + 10) {
			break;
		}
	}
	if (got < 1 || got < 1 + (size_t)rec[0] + 10 || tld_name_len(rec + 1, rec[0]) != rec[0]) {
		goto done;
	}
	size_t need = tld_image_record_len(rec);
	while (got < need && need <= cap && (n = read(fd, rec + got, need - got)) > 0) {
		got += (size_t)n;
	}
	if (need > cap || got < need || tld_get16(rec + 1 + rec[0]) != TLD_RR_SOA) {
		goto done;
	}
	r = TLD_OK;
done:
	close(fd);
	return r;
}

/* Sequential reader of an image file's records through a window (tld_image_diff_file()). */
struct image_stream {
	int fd;
	uint8_t *buf;
	size_t cap, start, end;     /*!< unread bytes: buf[start..end) */
	uint64_t left;              /*!< bytes of records not yet in the window */
	size_t records_left;
	const char *path;
};

#define STREAM_WINDOW (4u << 20)
#define STREAM_RECORD_MAX (1 + 255 + 10 + 65535)

/*
 * Makes at least need bytes available from buf[start], keeping the bytes
 * from buf[keep] on (keep <= start): they move to the front.
 * \return TLD_OK, TLD_EIO, TLD_EPARSE (the file ends early)
 */
static int stream_fill(struct image_stream *s, size_t need, size_t *keep)
{
	if (s->end - s->start >= need) {
		return TLD_OK;
	}
	size_t from = *keep;
	memmove(s->buf, s->buf + from, s->end - from);
	s->start -= from;
	s->end -= from;
	*keep = 0;
	while (s->end - s->start < need) {
		if (s->left == 0) {
			return TLD_EPARSE;
		}
		size_t room = s->cap - s->end;
		ssize_t n = read(s->fd, s->buf + s->end, room < s->left ? room : (size_t)s->left);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return n == 0 ? TLD_EPARSE : TLD_EIO;
		}
		s->end += (size_t)n;
		s->left -= (uint64_t)n;
	}
	return TLD_OK;
}

/*
 * The next record, checked as tld_image_load() checks it, at buf + *at
 * (valid until the next call); keep as for stream_fill().
 * \return TLD_OK, TLD_ENOENT (no record left), TLD_EIO, TLD_EPARSE
 */
static int stream_next(struct image_stream *s, size_t *keep, size_t *at)
{
	if (s->records_left == 0) {
		return s->end == s->start && s->left == 0 ? TLD_ENOENT : TLD_EPARSE;
	}
	int r = stream_fill(s, 1, keep);
	if (r == TLD_OK) {
		r = stream_fill(s, 1 + (size_t)s->buf[s->start] + 10, keep);
	}
	if (r != TLD_OK) {
		return r;
	}
	size_t rl = tld_image_record_len(s->buf + s->start);
	if ((r = stream_fill(s, rl, keep)) != TLD_OK) {
		return r;
	}
	const uint8_t *p = s->buf + s->start;
	if (tld_name_len(p + 1, p[0]) != p[0]) {
		return TLD_EPARSE;
	}
	*at = s->start;
	s->start += rl;
	s->records_left--;
	return TLD_OK;
}

int tld_image_diff_file(const char *old_path, const struct tld_zone_image *new_img,
                        struct tld_zone_image **out)
{
	struct image_stream s = { .fd = -1, .path = old_path };
	struct tld_image_builder b = { 0 };
	size_t *sn = NULL, *added = NULL, nn = 0, na = 0, j = 0;
	uint8_t *old_soa = NULL;
	uint8_t hdr[TLD_IMAGE_HEADER_LEN];
	uint32_t old_serial = 0, old_from;
	bool unordered = false;
	int r = TLD_EPARSE;

	s.fd = open(old_path, O_RDONLY | O_CLOEXEC);
	if (s.fd < 0) {
		return tld_errno(errno);
	}
	struct stat st;
	if (fstat(s.fd, &st) != 0 || read(s.fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    tld_image_header_read(hdr, (uint64_t)st.st_size, &old_serial, &old_from, &s.records_left,
	                          &s.left) != TLD_OK) {
		goto fail;
	}
	r = TLD_ENOMEM;
	s.cap = STREAM_WINDOW + 2 * STREAM_RECORD_MAX;
	sn = sorted_offsets(new_img, &nn);
	if ((s.buf = malloc(s.cap)) == NULL || sn == NULL ||
	    (b.img = calloc(1, sizeof(*b.img))) == NULL ||
	    (added = malloc((nn ? nn : 1) * sizeof(*added))) == NULL) {
		goto fail;
	}
	/* the old SOA opens the image */
	size_t keep = 0, at = 0, prev = SIZE_MAX;
	if ((r = stream_next(&s, &keep, &at)) != TLD_OK) {
		goto fail;
	}
	size_t soa_len = tld_image_record_len(s.buf + at);
	if (tld_get16(s.buf + at + 1 + s.buf[at]) != TLD_RR_SOA) {
		r = TLD_EPARSE;
		goto fail;
	}
	if ((old_soa = malloc(soa_len)) == NULL) {
		r = TLD_ENOMEM;
		goto fail;
	}
	memcpy(old_soa, s.buf + at, soa_len);
	r = tld_image_builder_add(&b, old_soa, soa_len);
	/* one merge walk; the old records must come in canonical order (checked on the way) */
	bool have_old = false;
	keep = s.start;
	while (r == TLD_OK) {
		if (!have_old) {
			r = stream_next(&s, &keep, &at);
			if (r == TLD_ENOENT) {
				r = TLD_OK;
				break;
			}
			if (r != TLD_OK) {
				break;
			}
			if (prev != SIZE_MAX) {
				prev = keep;  /* the window may have moved: keep follows the previous record */
			}
			if (prev != SIZE_MAX && tld_image_canon_cmp(s.buf + prev, s.buf + at) > 0) {
				tld_info("%s: records not in canonical order", old_path);
				unordered = true;  /* not an image we wrote: the caller loads and sorts */
				r = TLD_EPARSE;
				break;
			}
			have_old = true;
		}
		const uint8_t *a = s.buf + at;
		const uint8_t *c = j < nn ? new_img->data + sn[j] : NULL;
		int cmp = c == NULL ? -1 : tld_image_same_record(a, c) ? 0 : tld_image_canon_cmp(a, c);
		if (cmp > 0) {
			added[na++] = sn[j++];
			continue;
		}
		if (cmp < 0) {
			r = tld_image_builder_add(&b, a, tld_image_record_len(a));
		} else {
			j++;
		}
		have_old = false;
		prev = at;        /* kept in the window for the order check */
		keep = prev;
	}
	while (r == TLD_OK && j < nn) {
		added[na++] = sn[j++];
	}
	if (r == TLD_OK) {
		r = journal_finish(&b, new_img, added, na, old_serial);
	}
	if (r != TLD_OK) {
		goto fail;
	}
	*out = b.img;
	b.img = NULL;
fail:
	if (r == TLD_EPARSE && !unordered) {
		tld_error("%s: corrupt zone image", old_path);
	}
	close(s.fd);
	free(s.buf);
	free(sn);
	free(added);
	free(old_soa);
	tld_image_free(b.img);
	return r;
}
