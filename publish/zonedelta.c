/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The delta path of a publish preparation: see publish/zonedelta.h for what it relies on. */
#include "publish/zonedelta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_ident.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "common/side_job.h"
#include "publish/zonewalk.h"

/* Records an added one's place may be from its line's, at most. */
#define SEARCH_MAX 4096

/*
 * The current image's records are indexed sparsely, every MARK_STRIDE-th: a
 * full index (8 bytes a record, 25 MiB at a million delegations) costs more
 * in fresh pages than the hop or two from a mark to a record near a change
 * (1M incremental: about 13 ms of page faults against 3; longer strides
 * cost more in hops, each a load that waits for the one before).
 */
#define MARK_STRIDE 4

struct mapped {
	int fd;
	const char *p;
	size_t len;
};

struct tld_zone_delta {
	struct mapped old_text, old_image;
	const uint8_t *img;        /*!< the current image's records */
	size_t img_len, count;
	size_t *mark;              /*!< offsets in img of records 0, MARK_STRIDE, 2 MARK_STRIDE, ... */
	uint32_t old_serial;
	uint64_t old_check;        /*!< the current image's check as recorded */
	uint64_t new_check;        /*!< the new image's */
	tld_line_reader_t *old_rd, *new_rd;
	struct tld_line_changes removed, added;   /*!< after cancelling, in canonical order */
	size_t *removed_at;        /*!< current index of each removed record, ascending */
	size_t *added_at;          /*!< current index each added record goes before, non-decreasing */
	const uint8_t *soa;
	uint32_t serial;
	size_t new_count;
	uint64_t new_len;
};

/* Offset in the current image of its record i (img_len for i == count). */
static size_t rec_off(const struct tld_zone_delta *d, size_t i)
{
	if (i >= d->count) {
		return d->img_len;
	}
	size_t p = d->mark[i / MARK_STRIDE];
	for (size_t k = i % MARK_STRIDE; k > 0; k--) {
		p += tld_image_record_len(d->img + p);  /* within the image: checked by the index pass */
	}
	return p;
}

/* The current image's record i (i < count). */
static const uint8_t *rec_at(const struct tld_zone_delta *d, size_t i)
{
	return d->img + rec_off(d, i);
}

/* Maps path whole.  \return TLD_OK, or the error of open/mmap */
static int map_file(const char *path, struct mapped *m)
{
	struct stat st;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0 || fstat(m->fd, &st) != 0) {
		return tld_errno(errno);
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		return TLD_EINVAL;
	}
	m->len = (size_t)st.st_size;
	/* no MAP_POPULATE: faults map runs of large folios, cheaper than its page-by-page walk;
	 * a file not in the page cache (the current version, after a reboot) is read ahead */
	void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, m->fd, 0);
	if (p == MAP_FAILED) {
		return tld_errno(errno);
	}
	(void)madvise(p, m->len, MADV_WILLNEED);  /* a hint */
	m->p = p;
	return TLD_OK;
}

static void unmap_file(struct mapped *m)
{
	if (m->p != NULL) {
		munmap((void *)m->p, m->len);
	}
	if (m->fd >= 0) {
		close(m->fd);
	}
	m->p = NULL;
	m->fd = -1;
}

/* Canonical order of changes by their records. */
static int change_cmp(const void *a, const void *b)
{
	const struct tld_line_change *x = a, *y = b;
	return tld_image_canon_cmp(x->rec, y->rec);
}

/* Reads the changed lines of one text; records sorted in canonical order. */
static int read_changes(const struct tld_walk_text *s, struct tld_line_changes *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = tld_line_reader_read(s->rd, s->t + l->v[i].off, l->v[i].len);
		if (r != TLD_OK) {
			return r == TLD_EAGAIN ? tld_delta_refuse(s->name, "line %zu: not a plain record line",
			                                          l->v[i].line + 1)
			                       : r;
		}
	}
	const struct tld_zone_image *img = tld_line_reader_records(s->rd);
	for (size_t i = 0; i < l->n; i++) {
		l->v[i].rec = img->data + img->rr[i + 1];  /* record 0: the SOA */
		if (tld_get16(l->v[i].rec + 1 + l->v[i].rec[0]) == TLD_RR_SOA) {
			return tld_delta_refuse(s->name, "line %zu: a second SOA", l->v[i].line + 1);
		}
	}
	/* the walk meets them in order, mostly: sorted only when they are not (the same order
	 * either way: records that compare equal are the same bytes) */
	for (size_t i = 1; i < l->n; i++) {
		if (change_cmp(&l->v[i - 1], &l->v[i]) > 0) {
			qsort(l->v, l->n, sizeof(*l->v), change_cmp);
			break;
		}
	}
	return TLD_OK;
}

/* Drops the records removed and added alike (a line written otherwise, the same record). */
static void cancel_alike(struct tld_line_changes *rem, struct tld_line_changes *add)
{
	size_t i = 0, j = 0, ki = 0, kj = 0;
	while (i < rem->n || j < add->n) {
		int c = i == rem->n ? 1
		        : j == add->n ? -1 : tld_image_canon_cmp(rem->v[i].rec, add->v[j].rec);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			rem->v[ki++] = rem->v[i++];
		} else {
			add->v[kj++] = add->v[j++];
		}
	}
	rem->n = ki;
	add->n = kj;
}

static bool same_owner(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && memcmp(a + 1, b + 1, a[0]) == 0;
}

/* Finds each removed record in the current image, among the records of its owner at its line's place. */
static int place_removed(struct tld_zone_delta *d, const char *name)
{
	for (size_t k = 0; k < d->removed.n; k++) {
		const struct tld_line_change *c = &d->removed.v[k];
		size_t h = c->hint, i;
		if (h < 1 || h >= d->count || !same_owner(rec_at(d, h), c->rec)) {
			return tld_delta_refuse(name, "current line %zu: its record is not at its place in "
			                        "the image", c->line + 1);
		}
		i = h;
		while (i > 1 && h - i < SEARCH_MAX && same_owner(rec_at(d, i - 1), c->rec)) {
			i--;
		}
		/* the same record removed twice: the next one */
		if (k > 0 && tld_image_same_record(d->removed.v[k - 1].rec, c->rec) &&
		    i <= d->removed_at[k - 1]) {
			i = d->removed_at[k - 1] + 1;
		}
		const uint8_t *r = i < d->count ? rec_at(d, i) : NULL;  /* record i, on with i */
		for (size_t lim = h + SEARCH_MAX; i < d->count && i < lim && same_owner(r, c->rec); i++) {
			if (tld_image_same_record(r, c->rec)) {
				break;
			}
			r += tld_image_record_len(r);
		}
		if (i == d->count || !tld_image_same_record(r, c->rec)) {
			return tld_delta_refuse(name, "current line %zu: its record is not in the image",
			                        c->line + 1);
		}
		if (k > 0 && i <= d->removed_at[k - 1]) {
			return tld_delta_refuse(name, "current image not in canonical order near record %zu",
			                        i);
		}
		d->removed_at[k] = i;
	}
	return TLD_OK;
}

/* Finds where each added record goes: before the first current record not before it. */
static int place_added(struct tld_zone_delta *d, const char *name)
{
	for (size_t k = 0; k < d->added.n; k++) {
		const struct tld_line_change *c = &d->added.v[k];
		size_t p = c->hint < 1 ? 1 : c->hint > d->count ? d->count : c->hint, steps = 0;
		const uint8_t *r = p < d->count ? rec_at(d, p) : NULL;  /* record p, on with p */
		while (p < d->count && tld_image_canon_cmp(r, c->rec) < 0 && steps++ < SEARCH_MAX) {
			r += tld_image_record_len(r);
			p++;
		}
		while (p > 1 && tld_image_canon_cmp(rec_at(d, p - 1), c->rec) > 0 &&
		       steps++ < SEARCH_MAX) {
			p--;
		}
		if (steps >= SEARCH_MAX || (k > 0 && p < d->added_at[k - 1])) {
			return tld_delta_refuse(name, "line %zu: no place for its record near its line's",
			                        c->line + 1);
		}
		d->added_at[k] = p;
	}
	return TLD_OK;
}

/* A check of the current version beside the text walk. */
struct check_job {
	struct tld_side_job run;
	struct tld_zone_delta *d;
	const struct tld_version_info *cur;
	const char *name;
	int r;
};

/* Waits for a check.  \return its result */
static int check_join(struct check_job *job)
{
	tld_side_join(&job->run);
	return job->r;
}

/* The current image: mapped, its header, every record checked and indexed, its check the recorded one. */
static void check_image(void *arg)
{
	struct check_job *job = arg;
	struct tld_zone_delta *d = job->d;
	const char *path = job->cur->image;
	uint32_t hserial, from;
	uint64_t len, sum = 0;
	int r = map_file(path, &d->old_image);
	if (r != TLD_OK) {
		job->r = r == TLD_ENOMEM ? r : tld_delta_refuse(job->name, "%s: %s", path, tld_strerror(r));
		return;
	}
	if (d->old_image.len < TLD_IMAGE_HEADER_LEN ||
	    tld_image_header_read((const uint8_t *)d->old_image.p, d->old_image.len, &hserial, &from,
	                          &d->count, &len) != TLD_OK || hserial != job->cur->serial) {
		job->r = tld_delta_refuse(job->name, "%s: not the image of serial %u", path,
		                          job->cur->serial);
		return;
	}
	d->img = (const uint8_t *)d->old_image.p + TLD_IMAGE_HEADER_LEN;
	d->img_len = (size_t)len;
	d->old_serial = hserial;
	if ((d->mark = malloc((d->count / MARK_STRIDE + 1) * sizeof(*d->mark))) == NULL) {
		job->r = TLD_ENOMEM;
		return;
	}
	/* every record checked and its check summed in one pass */
	if (tld_image_index(d->img, d->img_len, d->mark, d->count, MARK_STRIDE, &sum) != TLD_OK ||
	    tld_get16(d->img + 1 + d->img[0]) != TLD_RR_SOA) {
		job->r = tld_delta_refuse(job->name, "%s: corrupt zone image", path);
		return;
	}
	if (sum != d->old_check) {
		job->r = tld_delta_refuse(job->name, "%s: not the image recorded (its check differs)", path);
		return;
	}
	job->r = TLD_OK;
}

/* A recorded check (16 hex digits).  \return false when none is recorded */
static bool recorded_check(const char *hex, uint64_t *out)
{
	char *end = NULL;
	*out = strtoull(hex, &end, 16);
	return hex[0] != 0 && end != NULL && *end == 0;
}

int tld_zone_delta_plan(const struct tld_version_info *cur, const char *name, const char *text,
                        size_t len, struct tld_zone_delta **out)
{
	struct tld_zone_delta *d = calloc(1, sizeof(*d));
	struct check_job image = { .d = d, .cur = cur, .name = name };
	struct tld_text_check old_text_check;
	uint64_t want_text_check = 0;
	size_t lines = 0;
	int r = TLD_ENOMEM;
	if (d == NULL) {
		return TLD_ENOMEM;
	}
	d->old_text.fd = d->old_image.fd = -1;
	if (!recorded_check(cur->image_check, &d->old_check)) {
		r = tld_delta_refuse(name, "no check of image %s recorded", cur->image);
		goto fail;
	}
	if (!recorded_check(cur->text_check, &want_text_check)) {
		r = tld_delta_refuse(name, "no check of %s recorded", cur->file);
		goto fail;
	}
	tld_side_start(&image.run, check_image, &image);
	if ((r = map_file(cur->file, &d->old_text)) != TLD_OK) {
		r = r == TLD_ENOMEM ? r : tld_delta_refuse(name, "%s: %s", cur->file, tld_strerror(r));
		goto fail;
	}
	if ((r = tld_line_reader_new(cur->file, &d->old_rd)) != TLD_OK ||
	    (r = tld_line_reader_new(name, &d->new_rd)) != TLD_OK) {
		goto fail;
	}
	/* the current file's check fed by the walk, which reads every byte of it */
	tld_text_check_init(&old_text_check);
	struct tld_walk_text o = { .t = d->old_text.p, .len = d->old_text.len, .rd = d->old_rd,
	                           .name = cur->file, .check = &old_text_check };
	struct tld_walk_text n = { .t = text, .len = len, .rd = d->new_rd, .name = name };
	if ((r = tld_zone_walk(&o, &n, &d->removed, &d->added, &lines)) != TLD_OK) {
		goto fail;
	}
	/* the current file is the one recorded */
	if (tld_text_check_end(&old_text_check, o.t, o.len) != want_text_check) {
		r = tld_delta_refuse(name, "%s: not the file recorded (its check differs)", cur->file);
		goto fail;
	}
	if ((r = check_join(&image)) != TLD_OK) {
		goto fail;
	}
	if (lines != d->count) {
		r = tld_delta_refuse(name, "%s has %zu lines, its image %zu records", cur->file, lines,
		                     d->count);
		goto fail;
	}
	if ((r = read_changes(&o, &d->removed)) != TLD_OK || (r = read_changes(&n, &d->added)) != TLD_OK) {
		goto fail;
	}
	/* the current SOA line read again is the image's SOA */
	const uint8_t *old_soa = tld_line_reader_records(d->old_rd)->data;
	if (!tld_image_same_record(old_soa, d->img)) {
		r = tld_delta_refuse(name, "%s: its SOA is not the image's", cur->file);
		goto fail;
	}
	size_t changed = d->removed.n + d->added.n;
	cancel_alike(&d->removed, &d->added);
	r = TLD_ENOMEM;
	if ((d->removed_at = malloc((d->removed.n + 1) * sizeof(size_t))) == NULL ||
	    (d->added_at = malloc((d->added.n + 1) * sizeof(size_t))) == NULL) {
		goto fail;
	}
	if ((r = place_removed(d, name)) != TLD_OK || (r = place_added(d, name)) != TLD_OK) {
		goto fail;
	}
	d->soa = tld_line_reader_records(d->new_rd)->data;
	struct tld_image_rr soa;
	struct tld_zone_image one = { .data = (uint8_t *)d->soa, .rr = &(size_t){ 0 }, .count = 1 };
	tld_image_rr(&one, 0, &soa);
	d->serial = tld_get32(soa.rdata + soa.rdlen - 20);
	d->new_count = d->count - d->removed.n + d->added.n;
	d->new_len = d->img_len - tld_image_record_len(d->img) + tld_image_record_len(d->soa);
	d->new_check = d->old_check - tld_image_record_check(d->img) + tld_image_record_check(d->soa);
	for (size_t k = 0; k < d->removed.n; k++) {
		d->new_len -= tld_image_record_len(d->removed.v[k].rec);
		d->new_check -= tld_image_record_check(d->removed.v[k].rec);
	}
	for (size_t k = 0; k < d->added.n; k++) {
		d->new_len += tld_image_record_len(d->added.v[k].rec);
		d->new_check += tld_image_record_check(d->added.v[k].rec);
	}
	if (d->new_count > UINT32_MAX) {
		r = tld_delta_refuse(name, "too many records");
		goto fail;
	}
	tld_info("%s: delta from serial %u: %zu lines differ, %zu records removed, %zu added", name,
	         cur->serial, changed, d->removed.n, d->added.n);
	tld_debug("publish: delta: current image checked and indexed in %.3f s (%.3f CPU s) beside the walk",
	          image.run.seconds, image.run.cpu_seconds);
	*out = d;
	return TLD_OK;
fail:
	check_join(&image);
	tld_zone_delta_free(d);
	return r;
}

uint64_t tld_zone_delta_check(const struct tld_zone_delta *d)
{
	return d->new_check;
}

const uint8_t *tld_zone_delta_soa(const struct tld_zone_delta *d)
{
	return d->soa;
}

uint32_t tld_zone_delta_serial(const struct tld_zone_delta *d)
{
	return d->serial;
}

size_t tld_zone_delta_records(const struct tld_zone_delta *d)
{
	return d->new_count;
}

/* Output gathered: the runs straight from the mapped image, IOV_BATCH pieces a call. */
#define IOV_BATCH 1024

/* Writeback is started every WRITEBACK_STEP bytes, so that the final fsync waits for little. */
#define WRITEBACK_STEP ((off_t)32 << 20)

/* The new image file's bytes in order: pieces of the current image, the header, the new records. */
struct pieces {
	struct iovec *v;
	size_t n, cap;
	bool bad;                   /*!< out of memory */
};

/* Room for one more piece.  \return false when out of memory (ps->bad) */
static bool room(struct pieces *ps)
{
	if (ps->n == ps->cap && !ps->bad) {
		size_t cap = ps->cap ? ps->cap * 2 : 1024;
		void *v = realloc(ps->v, cap * sizeof(*ps->v));
		if (v == NULL) {
			ps->bad = true;
		} else {
			ps->v = v;
			ps->cap = cap;
		}
	}
	return !ps->bad;
}

static void piece(struct pieces *ps, const void *p, size_t len)
{
	if (len > 0 && room(ps)) {
		ps->v[ps->n++] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
	}
}

/*
 * The pieces written in order by this thread.  Not in two halves on two
 * threads: ext4 copies a buffered write into the page cache under the
 * inode's lock, so a second writer of the same file only waits for it,
 * spinning (perf at 1M: rwsem_spin_on_owner, 0.045 CPU s; 170 MiB written
 * in 0.06 s, 0.06 CPU s by one thread, 0.07 s, 0.09 CPU s by two).
 */
static int write_pieces(int fd, struct pieces *ps)
{
	off_t at = 0, started = 0;
	size_t i = 0;
	while (i < ps->n) {
		int n = ps->n - i < IOV_BATCH ? (int)(ps->n - i) : IOV_BATCH;
		ssize_t k = pwritev(fd, ps->v + i, n, at);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			return k < 0 ? tld_errno(errno) : TLD_EIO;
		}
		at += (off_t)k;
		for (; i < ps->n && (size_t)k >= ps->v[i].iov_len; i++) {
			k -= (ssize_t)ps->v[i].iov_len;
		}
		if (k > 0) {
			ps->v[i].iov_base = (char *)ps->v[i].iov_base + k;
			ps->v[i].iov_len -= (size_t)k;
		}
		if (at - started >= WRITEBACK_STEP) {
			/* a hint: failures show at the fsync */
			(void)sync_file_range(fd, started, at - started, SYNC_FILE_RANGE_WRITE);
			started = at;
		}
	}
	return TLD_OK;
}

int tld_zone_delta_save(const struct tld_zone_delta *d, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct pieces ps = { 0 };
	uint8_t hdr[TLD_IMAGE_HEADER_LEN];
	int r;
	if (fd < 0) {
		tld_error("%s: cannot create: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	tld_image_header_write(hdr, d->serial, 0, d->new_count, d->new_len);
	tld_image_file_reserve(fd, sizeof(hdr) + d->new_len);
	piece(&ps, hdr, sizeof(hdr));
	piece(&ps, d->soa, tld_image_record_len(d->soa));
	/* current records 1.. in runs, less the removed, the added before their places */
	size_t run = 1, ri = 0, ai = 0;
	for (;;) {
		size_t next_r = ri < d->removed.n ? d->removed_at[ri] : d->count;
		size_t next_a = ai < d->added.n ? d->added_at[ai] : d->count;
		size_t stop = next_r < next_a ? next_r : next_a;
		size_t from = rec_off(d, run);
		piece(&ps, d->img + from, rec_off(d, stop) - from);
		run = stop;
		if (ai < d->added.n && next_a <= next_r) {
			piece(&ps, d->added.v[ai].rec, tld_image_record_len(d->added.v[ai].rec));
			ai++;
		} else if (ri < d->removed.n) {
			run = next_r + 1;
			ri++;
		} else {
			break;
		}
	}
	r = ps.bad ? TLD_ENOMEM : write_pieces(fd, &ps);
	free(ps.v);
	return tld_image_file_end(fd, r, path);
}

int tld_zone_delta_journal(const struct tld_zone_delta *d, struct tld_zone_image **out)
{
	struct tld_image_builder b = { .img = calloc(1, sizeof(struct tld_zone_image)) };
	int r = b.img != NULL ? TLD_OK : TLD_ENOMEM;
	if (r == TLD_OK) {
		r = tld_image_builder_add(&b, d->img, tld_image_record_len(d->img));
	}
	for (size_t k = 0; r == TLD_OK && k < d->removed.n; k++) {
		r = tld_image_builder_add(&b, d->removed.v[k].rec, tld_image_record_len(d->removed.v[k].rec));
	}
	if (r == TLD_OK) {
		r = tld_image_builder_add(&b, d->soa, tld_image_record_len(d->soa));
	}
	for (size_t k = 0; r == TLD_OK && k < d->added.n; k++) {
		r = tld_image_builder_add(&b, d->added.v[k].rec, tld_image_record_len(d->added.v[k].rec));
	}
	if (r != TLD_OK) {
		tld_image_free(b.img);
		return r;
	}
	b.img->soa = 0;
	b.img->serial = d->serial;
	b.img->from_serial = d->old_serial;
	*out = b.img;
	return TLD_OK;
}

void tld_zone_delta_free(struct tld_zone_delta *d)
{
	if (d == NULL) {
		return;
	}
	unmap_file(&d->old_text);
	unmap_file(&d->old_image);
	tld_line_reader_free(d->old_rd);
	tld_line_reader_free(d->new_rd);
	free(d->mark);
	free(d->removed.v);
	free(d->added.v);
	free(d->removed_at);
	free(d->added_at);
	free(d);
}
