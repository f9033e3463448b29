/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/zoneimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

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

void tld_image_free(struct tld_zone_image *img)
{
	if (img == NULL) {
		return;
	}
	free(img->data);
	free(img->rr);
	free(img);
}

/* Growable image under construction. */
struct builder {
	struct tld_zone_image *img;
	size_t cap, rr_cap;
};

static int builder_add(struct builder *b, const uint8_t *rec, size_t len)
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

static size_t record_len(const uint8_t *p)
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

/* The text of line number `line` (1-based) of a file, for error messages. */
static void zone_line(const char *path, int line, char *out, size_t size)
{
	FILE *fp = fopen(path, "r");
	char buf[4096];
	out[0] = 0;
	for (int i = 1; fp != NULL && fgets(buf, sizeof(buf), fp) != NULL; i++) {
		if (i == line) {
			size_t n = strcspn(buf, "\r\n");
			n = n < size - 1 ? n : size - 1;
			memcpy(out, buf, n);
			out[n] = 0;
			break;
		}
	}
	if (fp != NULL) {
		fclose(fp);
	}
}

int tld_image_from_zone_file(const char *path, struct tld_zone_image **out)
{
	FILE *fp = NULL;
	ldns_zone *zone = NULL;
	ldns_buffer *buf = NULL;
	struct builder b = { 0 };
	int line = 0, r = TLD_ENOMEM;
	uint8_t rec[1 + 255 + 10 + 65535];

	b.img = calloc(1, sizeof(*b.img));
	buf = ldns_buffer_new(4096);
	if (b.img == NULL || buf == NULL) {
		goto fail;
	}
	fp = fopen(path, "r");
	if (fp == NULL) {
		r = tld_errno(errno);
		tld_error("%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	ldns_status st = ldns_zone_new_frm_fp_l(&zone, fp, NULL, 0, LDNS_RR_CLASS_IN, &line);
	if (st != LDNS_STATUS_OK) {
		char text[160];
		zone_line(path, line, text, sizeof(text));
		tld_error("%s:%d: %s: \"%s\"", path, line, ldns_get_errorstr_by_id(st), text);
		r = TLD_EPARSE;
		goto fail;
	}
	ldns_rr *soa = ldns_zone_soa(zone);
	ldns_rr_list *rrs = ldns_zone_rrs(zone);
	if (soa == NULL) {
		tld_error("%s: no SOA record", path);
		r = TLD_EZONE;
		goto fail;
	}
	size_t n = ldns_rr_list_rr_count(rrs);
	for (size_t i = 0; i <= n; i++) {
		ldns_rr *rr = i == 0 ? soa : ldns_rr_list_rr(rrs, i - 1);
		if (i > 0 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			tld_error("%s: more than one SOA record", path);
			r = TLD_EZONE;
			goto fail;
		}
		ldns_dname2canonical(ldns_rr_owner(rr));
		ldns_buffer_clear(buf);
		if (ldns_rr2buffer_wire(buf, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
			tld_error("%s: record %zu cannot be converted to wire format", path, i);
			r = TLD_EZONE;
			goto fail;
		}
		size_t wl = ldns_buffer_position(buf);
		const uint8_t *w = ldns_buffer_begin(buf);
		size_t ol = tld_name_len(w, wl);
		if (ol == 0 || wl > sizeof(rec) - 1) {
			r = TLD_EZONE;
			goto fail;
		}
		rec[0] = (uint8_t)ol;
		memcpy(rec + 1, w, wl);
		r = builder_add(&b, rec, wl + 1);
		if (r != TLD_OK) {
			goto fail;
		}
	}
	struct tld_image_rr s;
	b.img->soa = 0;
	tld_image_rr(b.img, 0, &s);
	b.img->serial = soa_serial(&s);
	ldns_zone_deep_free(zone);
	ldns_buffer_free(buf);
	fclose(fp);
	*out = b.img;
	return TLD_OK;
fail:
	if (zone) {
		ldns_zone_deep_free(zone);
	}
	ldns_buffer_free(buf);
	if (fp) {
		fclose(fp);
	}
	tld_image_free(b.img);
	return r;
}

static int write_all(int fd, const void *data, size_t len)
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
	uint8_t hdr[8 + 4 + 4 + 4 + 8];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		tld_error("%s: cannot create: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	memcpy(hdr, IMAGE_MAGIC, 8);
	tld_put32(hdr + 8, img->serial);
	tld_put32(hdr + 12, img->from_serial);
	tld_put32(hdr + 16, (uint32_t)img->count);
	tld_put32(hdr + 20, (uint32_t)(img->len >> 32));
	tld_put32(hdr + 24, (uint32_t)img->len);
	int r = write_all(fd, hdr, sizeof(hdr));
	if (r == TLD_OK) {
		r = write_all(fd, img->data, img->len);
	}
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
	uint8_t hdr[28];
	struct tld_zone_image *img = NULL;
	int r = TLD_EPARSE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return tld_errno(errno);
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, IMAGE_MAGIC, 8) != 0) {
		goto fail;
	}
	uint64_t len = (uint64_t)tld_get32(hdr + 20) << 32 | tld_get32(hdr + 24);
	size_t count = tld_get32(hdr + 16);
	if (len != (uint64_t)st.st_size - sizeof(hdr) || count == 0 || count > len / 12) {
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
	img->serial = tld_get32(hdr + 8);
	img->from_serial = tld_get32(hdr + 12);
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
	r = TLD_EPARSE;
	size_t pos = 0;
	for (size_t i = 0; i < count; i++) {
		if (pos + 1 > len || pos + 1 + img->data[pos] + 10 > len) {
			goto fail;
		}
		size_t rl = record_len(img->data + pos);
		if (pos + rl > len || tld_name_len(img->data + pos + 1, img->data[pos]) != img->data[pos]) {
			goto fail;
		}
		img->rr[i] = pos;
		pos += rl;
	}
	if (pos != len) {
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

static const struct tld_zone_image *sort_img;

static int cmp_rec(const void *a, const void *b)
{
	const uint8_t *ra = sort_img->data + *(const size_t *)a;
	const uint8_t *rb = sort_img->data + *(const size_t *)b;
	size_t la = record_len(ra), lb = record_len(rb);
	int c = memcmp(ra, rb, la < lb ? la : lb);
	return c ? c : (la < lb ? -1 : la > lb);
}

/* Sorted copy of the record offsets without the SOA. */
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
	sort_img = img;  /* publish runs single-threaded */
	qsort(o, k, sizeof(*o), cmp_rec);
	*n = k;
	return o;
}

int tld_image_diff(const struct tld_zone_image *old_img, const struct tld_zone_image *new_img,
                   struct tld_zone_image **out)
{
	size_t no, nn, i = 0, j = 0;
	size_t *so = sorted_offsets(old_img, &no);
	size_t *sn = sorted_offsets(new_img, &nn);
	struct builder b = { 0 };
	int r = TLD_ENOMEM;

	b.img = calloc(1, sizeof(*b.img));
	if (so == NULL || sn == NULL || b.img == NULL) {
		goto fail;
	}
	const uint8_t *old_soa = old_img->data + old_img->rr[old_img->soa];
	const uint8_t *new_soa = new_img->data + new_img->rr[new_img->soa];
	/* pass 1: removed (in old, not in new); pass 2: added */
	r = builder_add(&b, old_soa, record_len(old_soa));
	for (int pass = 0; pass < 2 && r == TLD_OK; pass++) {
		if (pass == 1) {
			r = builder_add(&b, new_soa, record_len(new_soa));
		}
		i = j = 0;
		while (r == TLD_OK && (i < no || j < nn)) {
			const uint8_t *a = i < no ? old_img->data + so[i] : NULL;
			const uint8_t *c = j < nn ? new_img->data + sn[j] : NULL;
			int cmp;
			if (a == NULL) {
				cmp = 1;
			} else if (c == NULL) {
				cmp = -1;
			} else {
				size_t la = record_len(a), lc = record_len(c);
				cmp = memcmp(a, c, la < lc ? la : lc);
				if (cmp == 0) {
					cmp = la < lc ? -1 : la > lc;
				}
			}
			if (cmp == 0) {
				i++;
				j++;
			} else if (cmp < 0) {
				if (pass == 0) {
					r = builder_add(&b, a, record_len(a));
				}
				i++;
			} else {
				if (pass == 1) {
					r = builder_add(&b, c, record_len(c));
				}
				j++;
			}
		}
	}
	if (r != TLD_OK) {
		goto fail;
	}
	b.img->soa = 0;
	b.img->serial = new_img->serial;
	b.img->from_serial = old_img->serial;
	free(so);
	free(sn);
	*out = b.img;
	return TLD_OK;
fail:
	free(so);
	free(sn);
	tld_image_free(b.img);
	return r;
}
