/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The verifier's own zone index: the file mapped and cut into slices
 * (vsplit.c) that threads parse (the fast path of fastparse.c, else ldns's
 * parser) and sort, the sorted slices merged by canonical owner key, grouped
 * into names, empty non-terminals inserted, and one pass that flags apex,
 * delegations, glue and what needs denial.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "verify/internal.h"

#define ARENA_BLOCK_SIZE (4u << 20)
#define WIRE_MAX (65536u + 512u)

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * An error in the text: logged as an error, or for a part of a zone (a
 * delta verification's, vdelta.c) only as debug: the verification then runs
 * in full and reports it with the file's own line numbers.
 */
#define load_error(partial, ...)                   \
	do {                                        \
		if (partial) {                      \
			tld_debug(__VA_ARGS__);     \
		} else {                            \
			tld_error(__VA_ARGS__);     \
		}                                   \
	} while (0)

/* Bump allocator: blocks listed in *blocks, freed with the zone. */
struct arena {
	uint8_t ***blocks;
	size_t *n_blocks;
	size_t cap_blocks;
	uint8_t *block;
	size_t used;
};

static uint8_t *arena_copy(struct arena *a, const uint8_t *data, size_t len)
{
	if (a->block == NULL || a->used + len > ARENA_BLOCK_SIZE) {
		if (*a->n_blocks == a->cap_blocks) {
			size_t cap = a->cap_blocks ? a->cap_blocks * 2 : 16;
			uint8_t **b = realloc(*a->blocks, cap * sizeof(*b));
			if (b == NULL) {
				return NULL;
			}
			*a->blocks = b;
			a->cap_blocks = cap;
		}
		size_t size = len > ARENA_BLOCK_SIZE ? len : ARENA_BLOCK_SIZE;
		uint8_t *blk = malloc(size);
		if (blk == NULL) {
			return NULL;
		}
		(*a->blocks)[(*a->n_blocks)++] = blk;
		if (len > ARENA_BLOCK_SIZE) {
			memcpy(blk, data, len); /* a block of its own; keep filling the current one */
			return blk;
		}
		a->block = blk;
		a->used = 0;
	}
	uint8_t *p = a->block + a->used;
	memcpy(p, data, len);
	a->used += len;
	return p;
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct vfy_rec *a = pa, *b = pb;
	int c = a->key == b->key ? 0 : vfy_key_cmp(a->key, a->klen, b->key, b->klen);
	if (c != 0) {
		return c;
	}
	if (a->type != b->type) {
		return a->type < b->type ? -1 : 1;
	}
	if (a->is_sig != b->is_sig) {
		return a->is_sig < b->is_sig ? -1 : 1;
	}
	return a->line < b->line ? -1 : a->line > b->line;
}

/*
 * Signers write owners in canonical order; only the records of one owner may
 * come in another order (SOA first at the apex).  When the owners are in
 * order, sorting each owner's run with rec_cmp gives the very array a full
 * sort would (rec_cmp orders by owner first, and is total: the line breaks
 * ties).  Returns false when an owner is out of order: then sort it all.
 */
static bool sort_by_owner_runs(struct vfy_rec *recs, size_t n_recs, const char *path)
{
	size_t start = 0;
	for (size_t i = 1; i <= n_recs; i++) {
		int c = 1;
		if (i < n_recs) {
			const struct vfy_rec *a = &recs[i - 1], *b = &recs[i];
			c = a->key == b->key ? 0 : vfy_key_cmp(b->key, b->klen, a->key, a->klen);
		}
		if (c < 0) {
			tld_debug("verify: %s:%u: owners out of canonical order; sorting all records",
			          path, recs[i].line);
			return false;
		}
		if (c > 0) {
			if (i - start > 16) {
				qsort(recs + start, i - start, sizeof(*recs), rec_cmp);
			} else {
				/* a name's few records, mostly in order already */
				for (size_t j = start + 1; j < i; j++) {
					struct vfy_rec r = recs[j];
					size_t k = j;
					while (k > start && rec_cmp(&recs[k - 1], &r) > 0) {
						recs[k] = recs[k - 1];
						k--;
					}
					recs[k] = r;
				}
			}
			start = i;
		}
	}
	return true;
}

/* Sorts records by rec_cmp: by owner runs when the owners are in order (returned). */
static bool sort_records(struct vfy_rec *recs, size_t n_recs, const char *path)
{
	if (!sort_by_owner_runs(recs, n_recs, path)) {
		qsort(recs, n_recs, sizeof(*recs), rec_cmp);
		return false;
	}
	return true;
}

/*
 * Merges n sorted runs (run k: [start[k], start[k] + count[k]) of recs) into
 * one sorted array; *out is a new array, or recs itself when the runs follow
 * each other in order already (*in_order).
 */
static int merge_runs(struct vfy_rec *recs, size_t total, const size_t *start, const size_t *count,
                      size_t n, struct vfy_rec **out, bool *in_order)
{
	bool ordered = true;
	size_t last = (size_t)-1;
	for (size_t k = 0; k < n; k++) {
		if (count[k] == 0) {
			continue;
		}
		if (last != (size_t)-1 && rec_cmp(&recs[last], &recs[start[k]]) > 0) {
			ordered = false;
		}
		last = start[k] + count[k] - 1;
	}
	*in_order = ordered;
	if (ordered) {
		*out = recs;
		return TLD_OK;
	}
	struct vfy_rec *dst = malloc((total ? total : 1) * sizeof(*dst));
	size_t *pos = calloc(n, sizeof(*pos));
	if (dst == NULL || pos == NULL) {
		free(dst);
		free(pos);
		return TLD_ENOMEM;
	}
	for (size_t o = 0; o < total; o++) {
		size_t best = n;
		for (size_t k = 0; k < n; k++) {
			if (pos[k] < count[k] &&
			    (best == n || rec_cmp(&recs[start[k] + pos[k]], &recs[start[best] + pos[best]]) < 0)) {
				best = k;
			}
		}
		dst[o] = recs[start[best] + pos[best]++];
	}
	free(pos);
	*out = dst;
	return TLD_OK;
}

/* One slice of the file, parsed by one thread into its own arrays and arenas. */
struct loader {
	const char *path;
	struct vfy_slice s;        /*!< the slice of the file, and the state at its start */
	struct vfy_rec *recs;      /*!< own (grown), or a part of the zone's array (fixed) */
	size_t n_recs, cap;
	bool fixed;                /*!< recs is the zone's: cap is a bound, never grown */
	bool ordered;              /*!< the slice's owners came in canonical order */
	bool partial;              /*!< the zone's partial: errors logged as debug */
	uint8_t **key_blocks, **wire_blocks;
	size_t n_key_blocks, n_wire_blocks;
	struct arena keys, wires;
	ldns_buffer *buf;
	uint8_t *wire;             /*!< the fast path's output */
	pthread_t thread;
	int ret;
};

/* Adds one record given in canonical wire form (owner olen bytes). */
static int add_wire(struct loader *ld, const uint8_t *w, size_t wlen, size_t olen, int line)
{
	uint8_t key[VFY_NAME_MAX];
	size_t klen = 0;
	struct vfy_rec *prev = ld->n_recs ? &ld->recs[ld->n_recs - 1] : NULL;
	/* the same owner as the record before (canonical wire: same bytes): same key */
	bool same_owner = prev != NULL && prev->owner_len == olen && memcmp(prev->wire, w, olen) == 0;

	if (olen > VFY_NAME_MAX || olen + 10 > wlen ||
	    (!same_owner && vfy_name_key(w, olen, key, &klen) != TLD_OK)) {
		load_error(ld->partial, "%s:%d: unsupported owner name", ld->path, line);
		return TLD_EPARSE;
	}
	uint16_t type = (uint16_t)((w[olen] << 8) | w[olen + 1]);
	if (vfy_rdata_check(type, w + olen + 10, wlen - olen - 10) != TLD_OK) {
		load_error(ld->partial, "%s:%d: malformed RDATA for its type", ld->path, line);
		return TLD_EPARSE;
	}
	if (ld->n_recs == ld->cap) {
		if (ld->fixed) {
			/* cannot be: a record takes at least one line */
			tld_error("%s:%d: more records than lines in a slice", ld->path, line);
			return TLD_EPARSE;
		}
		size_t ncap = ld->cap ? ld->cap * 2 : 65536;
		struct vfy_rec *r = realloc(ld->recs, ncap * sizeof(*r));
		if (r == NULL) {
			return TLD_ENOMEM;
		}
		ld->recs = r;
		ld->cap = ncap;
		prev = ld->n_recs ? &ld->recs[ld->n_recs - 1] : NULL;
	}
	struct vfy_rec *rec = &ld->recs[ld->n_recs];
	if (same_owner) {
		rec->key = prev->key;
		klen = prev->klen;
	} else if (prev != NULL && prev->klen == klen && memcmp(prev->key, key, klen) == 0) {
		rec->key = prev->key;
	} else if ((rec->key = arena_copy(&ld->keys, key, klen)) == NULL) {
		return TLD_ENOMEM;
	}
	if ((rec->wire = arena_copy(&ld->wires, w, wlen)) == NULL) {
		return TLD_ENOMEM;
	}
	rec->wire_len = (uint32_t)wlen;
	rec->owner_len = (uint8_t)olen;
	rec->klen = (uint16_t)klen;
	rec->line = (uint32_t)line;
	rec->is_sig = type == LDNS_RR_TYPE_RRSIG;
	rec->type = rec->is_sig ? (uint16_t)((w[olen + 10] << 8) | w[olen + 11]) : type;
	ld->n_recs++;
	return TLD_OK;
}

static int add_record(struct loader *ld, ldns_rr *rr, int line)
{
	ldns_buffer_clear(ld->buf);
	if (ldns_rr2buffer_wire_canonical(ld->buf, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
		return TLD_ENOMEM;
	}
	return add_wire(ld, ldns_buffer_begin(ld->buf), ldns_buffer_position(ld->buf),
	                ldns_rdf_size(ldns_rr_owner(rr)), line);
}

/* TLDSIGN_VERIFY_CROSSCHECK=1: every fast-path record is parsed by ldns too. */
static int crosscheck(struct loader *ld, const char *text, size_t len, const uint8_t *w,
                      size_t wlen, int line)
{
	char *str = strndup(text, len);
	ldns_rr *rr = NULL;
	int ret = TLD_EPARSE;

	if (str == NULL) {
		return TLD_ENOMEM;
	}
	if (ldns_rr_new_frm_str(&rr, str, 3600, NULL, NULL) == LDNS_STATUS_OK) {
		ldns_buffer_clear(ld->buf);
		if (ldns_rr2buffer_wire_canonical(ld->buf, rr, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK &&
		    ldns_buffer_position(ld->buf) == wlen &&
		    memcmp(ldns_buffer_begin(ld->buf), w, wlen) == 0) {
			ret = TLD_OK;
		}
	}
	if (ret != TLD_OK) {
		tld_error("%s:%d: the fast parser and ldns disagree on this record", ld->path, line);
	}
	ldns_rr_free(rr);
	free(str);
	return ret;
}

/* Whether text holds only blanks and comments. */
static bool only_blank(const char *p, size_t n)
{
	bool comment = false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			comment = false;
		} else if (p[i] == ';') {
			comment = true;
		} else if (!comment && p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
			return false;
		}
	}
	return true;
}

static void *parse_slice(void *arg)
{
	struct loader *ld = arg;
	uint32_t default_ttl = ld->s.default_ttl;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = ld->s.first_line;
	FILE *fp = NULL;
	int ret = TLD_OK;

	ld->keys = (struct arena){ .blocks = &ld->key_blocks, .n_blocks = &ld->n_key_blocks };
	ld->wires = (struct arena){ .blocks = &ld->wire_blocks, .n_blocks = &ld->n_wire_blocks };
	ld->buf = ldns_buffer_new(WIRE_MAX);
	ld->wire = malloc(WIRE_MAX);
	if (ld->buf == NULL || ld->wire == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	if (ld->s.origin[0] != 0 && (origin = ldns_dname_new_frm_str(ld->s.origin)) == NULL) {
		load_error(ld->partial, "%s:%d: bad $ORIGIN", ld->path, line);
		ret = TLD_EPARSE;
		goto fail;
	}
	if (ld->s.len == 0) {
		goto fail;
	}
	fp = fmemopen((void *)ld->s.text, ld->s.len, "r");
	if (fp == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	const char *check_env = getenv("TLDSIGN_VERIFY_CROSSCHECK");
	bool check = check_env != NULL && strcmp(check_env, "1") == 0;
	uint8_t fast_owner[VFY_NAME_MAX];
	size_t fast_owner_len = 0; /* owner of the last record, when the fast path read it */
	size_t pos = 0;
	while (pos < ld->s.len) {
		const char *lp = ld->s.text + pos;
		const char *e = memchr(lp, '\n', ld->s.len - pos);
		size_t llen = e ? (size_t)(e - lp) : ld->s.len - pos;
		size_t wlen, olen;
		if (vfy_fast_parse(lp, llen, ld->wire, WIRE_MAX, &wlen, &olen) == TLD_OK) {
			if (check && (ret = crosscheck(ld, lp, llen, ld->wire, wlen, line)) != TLD_OK) {
				goto fail;
			}
			if ((ret = add_wire(ld, ld->wire, wlen, olen, line)) != TLD_OK) {
				goto fail;
			}
			memcpy(fast_owner, ld->wire, olen);
			fast_owner_len = olen;
			pos += llen + (e != NULL);
			line++;
			continue;
		}
		if (only_blank(lp, llen)) {
			/* blank or comment only: skipped here so that the next record
			 * gets its own line number, not the first line ldns would skip */
			pos += llen + (e != NULL);
			line++;
			continue;
		}
		if (fast_owner_len > 0) {
			/* ldns's idea of the previous owner, for a record without one */
			ldns_rdf_deep_free(prev);
			prev = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, fast_owner_len, fast_owner);
			fast_owner_len = 0;
			if (prev == NULL) {
				ret = TLD_ENOMEM;
				goto fail;
			}
		}
		if (fseek(fp, (long)pos, SEEK_SET) != 0) {
			ret = TLD_EIO;
			goto fail;
		}
		ldns_rr *rr = NULL;
		int start_line = line;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &default_ttl, &origin, &prev, &line);
		long np = ftell(fp);
		if (np < 0 || (size_t)np <= pos) {
			np = (long)ld->s.len; /* nothing consumed: end of the slice */
		}
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN) {
			pos = (size_t)np;
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			ldns_rr_free(rr);
			if (only_blank(lp, ld->s.len - pos)) {
				break; /* ldns reports trailing blanks or comments as an error */
			}
			load_error(ld->partial, "%s:%d: %s", ld->path, start_line, ldns_get_errorstr_by_id(st));
			ret = TLD_EPARSE;
			goto fail;
		}
		ret = add_record(ld, rr, start_line);
		ldns_rr_free(rr);
		if (ret != TLD_OK) {
			goto fail;
		}
		pos = (size_t)np;
	}
fail:
	if (fp != NULL) {
		fclose(fp);
	}
	ldns_buffer_free(ld->buf);
	ld->buf = NULL;
	free(ld->wire);
	ld->wire = NULL;
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (ret == TLD_OK) {
		/* each slice sorted on its thread; read_records() merges */
		ld->ordered = sort_records(ld->recs, ld->n_recs, ld->path);
	}
	ld->ret = ret;
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	tld_debug("verify: slice from line %d: %zu records, thread cpu %.3f s", ld->s.first_line,
	          ld->n_recs, (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9);
	return NULL;
}

static int read_records(struct vfy_zone *z, const char *text, size_t len, unsigned threads)
{
	struct loader *ld = calloc(threads, sizeof(*ld));
	size_t n;
	int ret = TLD_OK;

	if (ld == NULL) {
		return TLD_ENOMEM;
	}
	struct timespec t0;
	struct vfy_slice *sl = calloc(threads, sizeof(*sl));
	bool scanned = false;
	if (sl == NULL) {
		free(ld);
		return TLD_ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = threads > 1 && len > (1u << 20) ? vfy_split_text(text, len, sl, threads, &scanned) : 0;
	tld_debug("verify: split into %zu slices in %.3f s%s", n, since(&t0),
	          scanned ? " (scanned: parentheses, escapes, directives or quotes over lines)" : "");
	for (size_t i = 0; i < n; i++) {
		ld[i].s = sl[i];
	}
	free(sl);
	if (n == 0) {
		ld[0].s.text = text;
		ld[0].s.len = len;
		ld[0].s.first_line = 1;
		ld[0].s.default_ttl = 3600;
		n = 1;
	} else {
		/*
		 * One array for the zone, each slice writing its part in place: a
		 * slice holds at most one record per line (its newlines), and
		 * the parts close up after, moving nothing when no line is blank, a
		 * comment or a directive.  Pages never written cost nothing.
		 */
		size_t bound = 0;
		for (size_t i = 0; i < n; i++) {
			/* a slice but the last ends with the newline before the next's start */
			ld[i].cap = ld[i].s.newlines + (i + 1 == n);
			bound += ld[i].cap;
		}
		if ((z->recs = malloc(bound * sizeof(*z->recs))) == NULL) {
			free(ld);
			return TLD_ENOMEM;
		}
		bound = 0;
		for (size_t i = 0; i < n; i++) {
			ld[i].recs = z->recs + bound;
			ld[i].fixed = true;
			bound += ld[i].cap;
		}
	}
	size_t started = 0;
	for (size_t i = 0; i < n; i++) {
		ld[i].path = z->path;
		ld[i].partial = z->partial;
		if (n == 1) {
			parse_slice(&ld[0]);
			started = 1;
		} else if (pthread_create(&ld[i].thread, NULL, parse_slice, &ld[i]) == 0) {
			started++;
		} else {
			ret = TLD_ENOMEM;
			break;
		}
	}
	for (size_t i = 0; i < started && n > 1; i++) {
		pthread_join(ld[i].thread, NULL);
	}
	tld_debug("verify: slices parsed in %.3f s", since(&t0));
	size_t kb = 0, wb = 0;
	for (size_t i = 0; i < started; i++) {
		if (ld[i].ret != TLD_OK && ret == TLD_OK) {
			ret = ld[i].ret;
		}
		kb += ld[i].n_key_blocks;
		wb += ld[i].n_wire_blocks;
	}
	/* the zone takes every block, whatever happens, and frees them with itself */
	z->key_blocks = calloc(kb + 1, sizeof(*z->key_blocks));
	z->wire_blocks = calloc(wb + 1, sizeof(*z->wire_blocks));
	if (!ld[0].fixed) {
		/* one slice: its array is the zone's */
		z->recs = ld[0].recs;
		z->n_recs = ld[0].n_recs;
		ld[0].recs = NULL;
	}
	for (size_t i = 0; i < started; i++) {
		for (size_t j = 0; j < ld[i].n_key_blocks; j++) {
			if (z->key_blocks != NULL) {
				z->key_blocks[z->n_key_blocks++] = ld[i].key_blocks[j];
			} else {
				free(ld[i].key_blocks[j]);
			}
		}
		for (size_t j = 0; j < ld[i].n_wire_blocks; j++) {
			if (z->wire_blocks != NULL) {
				z->wire_blocks[z->n_wire_blocks++] = ld[i].wire_blocks[j];
			} else {
				free(ld[i].wire_blocks[j]);
			}
		}
		if (ld[i].fixed && ld[i].n_recs > 0) {
			if (ld[i].recs != z->recs + z->n_recs) {
				memmove(z->recs + z->n_recs, ld[i].recs, ld[i].n_recs * sizeof(*z->recs));
			}
			z->n_recs += ld[i].n_recs;
		}
		free(ld[i].key_blocks);
		free(ld[i].wire_blocks);
		if (!ld[i].fixed) {
			free(ld[i].recs);
		}
	}
	if (ret == TLD_OK && (z->key_blocks == NULL || z->wire_blocks == NULL)) {
		ret = TLD_ENOMEM;
	}
	z->owners_ordered = true;
	for (size_t i = 0; i < started; i++) {
		z->owners_ordered &= ld[i].ordered;
	}
	if (ret == TLD_OK && ld[0].fixed) {
		/* the slices came sorted: in order one after the other, or merged */
		size_t *start = calloc(n, sizeof(*start)), *count = calloc(n, sizeof(*count));
		struct vfy_rec *merged = NULL;
		bool in_order = false;
		size_t off = 0;
		for (size_t i = 0; i < n && start != NULL && count != NULL; i++) {
			start[i] = off;
			count[i] = ld[i].n_recs;
			off += ld[i].n_recs;
		}
		ret = start != NULL && count != NULL
		              ? merge_runs(z->recs, z->n_recs, start, count, n, &merged, &in_order)
		              : TLD_ENOMEM;
		z->owners_ordered &= in_order;
		if (ret == TLD_OK && merged != z->recs) {
			free(z->recs);
			z->recs = merged;
		}
		free(start);
		free(count);
	}
	free(ld);
	return ret;
}

static int find_apex(struct vfy_zone *z)
{
	size_t soa = (size_t)-1;

	for (size_t i = 0; i < z->n_recs; i++) {
		if (z->recs[i].type == LDNS_RR_TYPE_SOA && !z->recs[i].is_sig) {
			if (soa != (size_t)-1) {
				load_error(z->partial,
				           "%s:%u: a second SOA record (the first is on line %u)", z->path,
				           z->recs[i].line, z->recs[soa].line);
				return TLD_EZONE;
			}
			soa = i;
		}
	}
	if (soa == (size_t)-1) {
		load_error(z->partial, "%s: no SOA record", z->path);
		return TLD_EZONE;
	}
	size_t rdlen;
	const uint8_t *rd = vfy_rdata(&z->recs[soa], &rdlen);
	z->soa = soa;
	z->soa_ttl = vfy_rec_ttl(&z->recs[soa]);
	z->soa_minimum = ((uint32_t)rd[rdlen - 4] << 24) | ((uint32_t)rd[rdlen - 3] << 16) |
	                 ((uint32_t)rd[rdlen - 2] << 8) | rd[rdlen - 1];
	z->apex_klen = z->recs[soa].klen;
	memcpy(z->apex_key, z->recs[soa].key, z->apex_klen);
	z->apex_wlen = vfy_key_to_wire(z->apex_key, z->apex_klen, z->apex_wire);
	return TLD_OK;
}

static int push_name(struct vfy_name **names, size_t *n, size_t *cap, const struct vfy_name *v)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 65536;
		struct vfy_name *p = realloc(*names, ncap * sizeof(*p));
		if (p == NULL) {
			return TLD_ENOMEM;
		}
		*names = p;
		*cap = ncap;
	}
	(*names)[(*n)++] = *v;
	return TLD_OK;
}

/* Length of the longest common ancestor (label boundary) of two keys. */
static size_t common_ancestor_len(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	size_t last = 0;
	for (size_t i = 0; i < m && a[i] == b[i]; i++) {
		if (a[i] == 0) {
			last = i + 1;
		}
	}
	return last;
}

static int build_names(struct vfy_zone *z)
{
	struct vfy_name *names = NULL;
	size_t n = 0, cap = 0;
	size_t ent_stack[128];
	size_t n_ent = 0;
	const uint8_t *cut = NULL, *prev = NULL;
	size_t cut_len = 0, prev_len = 0;
	bool have_apex = false;
	int ret;

	for (size_t i = 0; i < z->n_recs;) {
		size_t j = i;
		bool has_ns = false, has_ds = false, denial_only = true;
		while (j < z->n_recs && z->recs[j].key == z->recs[i].key) {
			const struct vfy_rec *r = &z->recs[j];
			has_ns |= r->type == LDNS_RR_TYPE_NS && !r->is_sig;
			has_ds |= r->type == LDNS_RR_TYPE_DS && !r->is_sig;
			denial_only &= r->type == LDNS_RR_TYPE_NSEC3;
			j++;
		}
		/* records sort by key bytes: equal keys in different arena copies */
		while (j < z->n_recs && z->recs[j].klen == z->recs[i].klen &&
		       memcmp(z->recs[j].key, z->recs[i].key, z->recs[i].klen) == 0) {
			z->recs[j].key = z->recs[i].key;
			const struct vfy_rec *r = &z->recs[j];
			has_ns |= r->type == LDNS_RR_TYPE_NS && !r->is_sig;
			has_ds |= r->type == LDNS_RR_TYPE_DS && !r->is_sig;
			denial_only &= r->type == LDNS_RR_TYPE_NSEC3;
			j++;
		}
		struct vfy_name v = {
			.first = i, .count = (uint32_t)(j - i),
			.key = z->recs[i].key, .klen = z->recs[i].klen,
		};
		const uint8_t *key = v.key;
		size_t klen = v.klen;
		i = j;

		if (!vfy_key_is_prefix(z->apex_key, z->apex_klen, key, klen)) {
			v.flags = VFY_OUTSIDE;
			if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
				goto fail;
			}
			continue;
		}
		if (klen == z->apex_klen) {
			v.flags = VFY_APEX | VFY_NEEDS_DENIAL;
			have_apex = true;
			z->apex_name = n;
			prev = key;
			prev_len = klen;
			if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
				goto fail;
			}
			continue;
		}
		if (denial_only) {
			v.flags = VFY_DENIAL_ONLY;
			if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
				goto fail;
			}
			continue;
		}
		if (cut != NULL && vfy_key_is_prefix(cut, cut_len, key, klen)) {
			v.flags |= VFY_OCCLUDED;
		} else {
			cut = NULL;
			/* empty non-terminals between the previous name and this one */
			while (n_ent > 0 && !vfy_key_is_prefix(names[ent_stack[n_ent - 1]].key,
			                                       names[ent_stack[n_ent - 1]].klen,
			                                       key, klen)) {
				n_ent--;
			}
			size_t lca = prev ? common_ancestor_len(prev, prev_len, key, klen)
			                  : z->apex_klen;
			if (lca < z->apex_klen) {
				lca = z->apex_klen;
			}
			for (size_t p = lca; p < klen - 1; p++) {
				if (key[p] != 0) {
					continue;
				}
				struct vfy_name ent = { .flags = VFY_ENT, .key = v.key,
				                        .klen = (uint16_t)(p + 1) };
				if ((ret = push_name(&names, &n, &cap, &ent)) != TLD_OK) {
					goto fail;
				}
				if (n_ent < 128) {
					ent_stack[n_ent++] = n - 1;
				}
			}
			if (has_ns) {
				v.flags |= VFY_DELEG;
				cut = key;
				cut_len = klen;
				if (has_ds) {
					v.flags |= VFY_SECURE;
				}
			}
			if (!(v.flags & VFY_DELEG) || (v.flags & VFY_SECURE)) {
				v.flags |= VFY_NEEDS_DENIAL;
				for (size_t e = 0; e < n_ent; e++) {
					names[ent_stack[e]].flags |= VFY_NEEDS_DENIAL;
				}
			}
		}
		prev = key;
		prev_len = klen;
		if ((ret = push_name(&names, &n, &cap, &v)) != TLD_OK) {
			goto fail;
		}
	}
	if (!have_apex) {
		load_error(z->partial, "%s: no records at the apex", z->path);
		ret = TLD_EZONE;
		goto fail;
	}
	z->names = names;
	z->n_names = n;
	return TLD_OK;
fail:
	free(names);
	return ret;
}

static int collect_dnskeys(struct vfy_zone *z)
{
	const struct vfy_name *apex = &z->names[z->apex_name];
	size_t nk = 0;

	z->dnskeys = ldns_rr_list_new();
	z->dnskey_recs = calloc(apex->count + 1, sizeof(*z->dnskey_recs));
	z->key_tags = calloc(apex->count + 1, sizeof(*z->key_tags));
	z->keys = calloc(apex->count + 1, sizeof(*z->keys));
	if (z->dnskeys == NULL || z->dnskey_recs == NULL || z->key_tags == NULL || z->keys == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = apex->first; i < apex->first + apex->count; i++) {
		const struct vfy_rec *r = &z->recs[i];
		if (r->type != LDNS_RR_TYPE_DNSKEY || r->is_sig) {
			continue;
		}
		ldns_rr *k = vfy_rec_to_ldns(r);
		if (k == NULL || !ldns_rr_list_push_rr(z->dnskeys, k)) {
			ldns_rr_free(k);
			return TLD_ENOMEM;
		}
		size_t len;
		const uint8_t *rd = vfy_rdata(r, &len);
		const uint8_t *pk;
		size_t pk_len;
		uint16_t flags;
		uint8_t alg;
		vfy_parse_dnskey(rd, len, &flags, &alg, &pk, &pk_len);
		z->dnskey_recs[nk] = i;
		z->key_tags[nk] = vfy_keytag(rd, len);
		if (flags & LDNS_KEY_ZONE_KEY) {
			z->alg_present[alg] = true;
		}
		(void)vfy_key_build(rd, len, &z->keys[nk]); /* on failure ldns verifies this key */
		nk++;
	}
	for (unsigned a = 0; a < 256; a++) {
		if (z->alg_present[a]) {
			z->algs[z->n_algs++] = (uint8_t)a;
		}
	}
	return TLD_OK;
}

/* Reads a whole file into memory (NUL-terminated); caller frees. */
static int read_file(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (fp == NULL) {
		int e = errno;
		tld_error("%s: %s", path, strerror(e));
		return tld_errno(e);
	}
	for (;;) {
		if (n + 65536 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : (1u << 20);
			char *p = realloc(buf, ncap);
			if (p == NULL) {
				free(buf);
				fclose(fp);
				return TLD_ENOMEM;
			}
			buf = p;
			cap = ncap;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, fp);
		n += r;
		if (r == 0) {
			break;
		}
	}
	if (ferror(fp)) {
		int e = errno;
		tld_error("%s: %s", path, strerror(e));
		free(buf);
		fclose(fp);
		return tld_errno(e);
	}
	fclose(fp);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return TLD_OK;
}

/*
 * Maps a regular file read-only (no copy of a few hundred MB through read(),
 * no fresh pages to clear); anything else (a pipe, an empty file, a failed
 * mmap) is read into memory.  *mapped tells which: munmap() or free().
 * Not MAP_POPULATE: the pages are mapped by the threads that read them
 * first (the kernel maps the cached pages around each fault), which costs
 * no more CPU than populating them page by page here (0.035 s for the two
 * 205 MB files of a delta verification) and holds up no one.
 */
static int load_file(const char *path, char **out, size_t *len, bool *mapped)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*mapped = false;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			close(fd);
			*out = p;
			*len = (size_t)st.st_size;
			*mapped = true;
			return TLD_OK;
		}
	}
	if (fd >= 0) {
		close(fd);
	}
	return read_file(path, out, len);
}

/* vfy_denial_prepare() on a thread of its own. */
struct preparer {
	pthread_t thread;
	struct vfy_zone *z;
	struct vfy_issue_list *fails;
	int ret;
};

static void *preparer_run(void *arg)
{
	struct preparer *p = arg;
	p->ret = vfy_denial_prepare(p->z, p->fails);
	return NULL;
}

int vfy_zone_load_text(const char *path, const char *text, size_t len, unsigned threads,
                       bool partial, struct vfy_issue_list *denial_fails, struct vfy_zone **out)
{
	struct vfy_zone *z = calloc(1, sizeof(*z));
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (z == NULL) {
		return TLD_ENOMEM;
	}
	z->path = path;
	z->partial = partial;
	ret = read_records(z, text, len, threads ? threads : 1);
	tld_debug("verify: %zu records read at %.3f s", z->n_recs, since(&t0));
	if (ret != TLD_OK) {
		goto fail;
	}
	if ((ret = find_apex(z)) != TLD_OK) {
		goto fail;
	}
	/* the NSEC3 chain (sorted, indexed) beside the name index: they share no field */
	struct preparer prep = { .z = z, .fails = denial_fails, .ret = TLD_OK };
	bool preparing = denial_fails != NULL && threads > 1 &&
	                 pthread_create(&prep.thread, NULL, preparer_run, &prep) == 0;
	if ((ret = build_names(z)) == TLD_OK) {
		ret = collect_dnskeys(z);
	}
	tld_debug("verify: %zu names at %.3f s", z->n_names, since(&t0));
	if (preparing) {
		pthread_join(prep.thread, NULL);
	} else if (denial_fails != NULL && ret == TLD_OK) {
		prep.ret = vfy_denial_prepare(z, denial_fails);
	}
	if (ret == TLD_OK) {
		ret = prep.ret;
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	tld_debug("verify: %zu NSEC3 sorted and indexed at %.3f s", z->n_nsec3, since(&t0));
	*out = z;
	return TLD_OK;
fail:
	vfy_zone_free(z);
	return ret;
}

int vfy_text_map(const char *path, struct vfy_text *out)
{
	memset(out, 0, sizeof(*out));
	return load_file(path, &out->text, &out->len, &out->mapped);
}

void vfy_text_unmap(struct vfy_text *t)
{
	if (t->mapped) {
		munmap(t->text, t->len);
	} else {
		free(t->text);
	}
	memset(t, 0, sizeof(*t));
}

int vfy_zone_load(const char *path, unsigned threads, struct vfy_issue_list *denial_fails,
                  struct vfy_zone **out)
{
	struct vfy_text t;
	int ret = vfy_text_map(path, &t);

	if (ret != TLD_OK) {
		return ret;
	}
	tld_debug("verify: %zu bytes of %s", t.len, path);
	ret = vfy_zone_load_text(path, t.text, t.len, threads, false, denial_fails, out);
	vfy_text_unmap(&t);
	return ret;
}

void vfy_count_names(const struct vfy_zone *z, size_t from, size_t to, struct vfy_counts *counts)
{
	for (size_t i = from; i < to; i++) {
		uint16_t f = z->names[i].flags;
		counts->names += !(f & (VFY_ENT | VFY_DENIAL_ONLY));
		counts->ents += (f & VFY_ENT) != 0;
		counts->delegations_secure += (f & VFY_DELEG) && (f & VFY_SECURE);
		counts->delegations_insecure += (f & VFY_DELEG) && !(f & VFY_SECURE);
	}
}

void vfy_zone_free(struct vfy_zone *z)
{
	if (z == NULL) {
		return;
	}
	free(z->recs);
	free(z->names);
	for (size_t i = 0; i < z->n_key_blocks; i++) {
		free(z->key_blocks[i]);
	}
	free(z->key_blocks);
	for (size_t i = 0; i < z->n_wire_blocks; i++) {
		free(z->wire_blocks[i]);
	}
	free(z->wire_blocks);
	if (z->keys != NULL) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(z->dnskeys); i++) {
			vfy_key_clear(&z->keys[i]);
		}
	}
	free(z->keys);
	free(z->key_tags);
	free(z->dnskey_recs);
	ldns_rr_list_deep_free(z->dnskeys);
	free(z->nsec3);
	free(z->n3_prefix);
	free(z->n3_bucket);
	free(z);
}
