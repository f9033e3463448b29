/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone file reader: the file is mapped and fed to signer_zparse().  A large
 * file is read by two threads: one parses the text into records (wire
 * owner, type, TTL, RDATA) in chunks of a bounded ring, the other adds them
 * to the zone in the same order -- the zone is the same as with one thread.
 */
#include "signer/zone_read.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/record_ring.h"
#include "signer/rrtype.h"
#include "signer/zparse.h"

/* Files from this size on are parsed and added by two threads (TLDSIGN_READ_PIPELINE=1, tests only: all). */
#define PIPE_MIN_SIZE (8u << 20)

struct read_ctx {
	const char *path;
	struct signer_zone *zone;
	size_t dropped;
	bool quiet;               /* a slice: errors returned, not logged (the file is read again to report them) */
};

static int add_record(void *vctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                      const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct read_ctx *ctx = vctx;
	char name[1024], tname[32];
	(void)rclass;
	if (ctx->zone == NULL) {
		if (type != SIGNER_T_SOA && ctx->quiet) {
			return TLD_EPARSE;
		}
		if (type != SIGNER_T_SOA) {
			signer_dname_to_text(owner, name, sizeof(name));
			tld_error("%s:%u: %s %s: the first record must be the SOA (or give the origin)", ctx->path,
			          line, name, signer_type_name(type, tname, sizeof(tname)));
			return TLD_EPARSE;
		}
		int ret = signer_zone_new(owner, ctx->path, &ctx->zone);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	if (signer_rrtype_made_by_signer(type)) {
		ctx->dropped++;
		return TLD_OK;
	}
	int ret = signer_zone_add(ctx->zone, owner, type, ttl, rdata, rdlen, line);
	if (ret != TLD_OK && ctx->quiet) {
		return ret == TLD_EINVAL ? TLD_EPARSE : ret;
	}
	if (ret == TLD_EINVAL) {
		signer_dname_to_text(owner, name, sizeof(name));
		tld_error("%s:%u: %s %s: malformed RDATA", ctx->path, line, name,
		          signer_type_name(type, tname, sizeof(tname)));
		return TLD_EPARSE;
	}
	if (ret == TLD_ERANGE) {
		signer_dname_to_text(owner, name, sizeof(name));
		tld_error("%s:%u: %s %s: zone too large for the signer (more than 4 GiB of RDATA or of names)",
		          ctx->path, line, name, signer_type_name(type, tname, sizeof(tname)));
	}
	return ret;
}

/* Parser side: one record into the ring. */
static int ring_record(void *vctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                       const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct signer_ring_rr rr = { .owner = owner,
	                             .owner_len = (uint8_t)signer_dname_len(owner, SIGNER_DNAME_MAX),
	                             .type = type, .rclass = rclass, .ttl = ttl, .line = line,
	                             .rdata = rdata, .rdlen = rdlen };
	return signer_ring_put(vctx, &rr);
}

struct ring_parse {
	const char *path, *text;
	size_t text_len;
	const uint8_t *origin;
};

static int ring_parse(void *vctx, struct signer_ring *ring)
{
	const struct ring_parse *rp = vctx;
	return signer_zparse_mapped(rp->path, rp->text, rp->text_len, rp->origin, ring_record, ring);
}

/* Adder side: one record out of the ring. */
static int ring_add(void *vctx, const struct signer_ring_rr *rr)
{
	return add_record(vctx, rr->owner, rr->type, 1, rr->ttl, rr->rdata, rr->rdlen, rr->line);
}

/*
 * Parses on a second thread and adds here, chunk by chunk, in file order,
 * through the bounded ring (signer/record_ring.h).  An error of the adder
 * stops the parser (which may have logged an error of a later line
 * meanwhile); otherwise the parser's result is the result.
 */
static int parse_pipelined(const char *path, const char *text, size_t len, const uint8_t *origin,
                           struct read_ctx *ctx)
{
	struct ring_parse rp = { .path = path, .text = text, .text_len = len, .origin = origin };
	return signer_ring_run(ring_parse, &rp, ring_add, ctx);
}

/*
 * Two slices of one file, each parsed and added to a zone of its own on a
 * thread of its own, the second zone then appended to the first: the zone
 * is the same as one pass gives when nothing in the second slice depends on
 * the state the first leaves (owner, TTL, $TTL, $ORIGIN, an open
 * parenthesis or quote).  The slices check that (quietly); when it fails
 * the caller reads the file in one pass, which reports the errors.
 */
struct slice_job {
	const char *path, *text;
	size_t len;
	const uint8_t *origin;
	struct signer_zparse_slice sl;
	struct read_ctx ctx;
	int ret;
};

static void *slice_thread(void *arg)
{
	struct slice_job *j = arg;
	j->ret = signer_zparse_slice(j->path, j->text, j->len, j->origin, &j->sl, add_record, &j->ctx);
	return NULL;
}

/* Where the second slice begins: a line near the middle that starts a record with its owner; 0 if none. */
static size_t slice_point(const char *text, size_t len)
{
	for (size_t i = len / 2; i < len && i < len / 2 + (1u << 20); i++) {
		const char *nl = memchr(text + i, '\n', len - i);
		if (nl == NULL) {
			return 0;
		}
		i = (size_t)(nl - text);
		if (i + 1 < len && i >= 2 && text[i - 1] != '\\' && text[i - 2] != '\\') {
			char c = text[i + 1];
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ';' && c != '$' && c != '(' &&
			    c != ')' && c != '"') {
				return i + 1;
			}
		}
	}
	return 0;
}

static uint32_t lines_before(const char *text, size_t len)
{
	uint32_t n = 0;
	for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		n++;
	}
	return n;
}

/* TLD_ECANCELED: no use, read in one pass; else the result (ctx->zone filled). */
static int parse_sliced(const char *path, const char *text, size_t len, const uint8_t *origin,
                        struct read_ctx *ctx)
{
	size_t cut = slice_point(text, len);
	const char *env = getenv("TLDSIGN_READ_SLICES");
	if (cut == 0 || (env != NULL && strcmp(env, "0") == 0)) {
		return TLD_ECANCELED;
	}
	static const uint8_t root[1] = { 0 };
	struct slice_job a = { .path = path, .text = text, .len = cut, .origin = origin,
	                       .sl = { .quiet = true }, .ctx = { .path = path, .zone = ctx->zone, .quiet = true } };
	struct slice_job b = { .path = path, .text = text + cut, .len = len - cut, .origin = origin,
	                       .sl = { .quiet = true, .fresh = true }, .ctx = { .path = path, .quiet = true } };
	ctx->zone = NULL; /* the first slice's now */
	int ret = signer_zone_new(root, path, &b.ctx.zone); /* any origin: only appended */
	pthread_t tid;
	bool threaded = false;
	if (ret == TLD_OK) {
		threaded = pthread_create(&tid, NULL, slice_thread, &a) == 0;
		if (!threaded) {
			slice_thread(&a);
		}
		b.sl.first_line = 1 + lines_before(text, cut);
		slice_thread(&b);
		if (threaded) {
			pthread_join(tid, NULL);
		}
		ret = a.ret != TLD_OK ? a.ret : b.ret;
	}
	if (ret == TLD_OK && (a.sl.origin_changed || a.ctx.zone == NULL)) {
		ret = TLD_ECANCELED; /* the second slice read names against another origin / no SOA first */
	}
	if (ret == TLD_OK) {
		ctx->dropped = a.ctx.dropped + b.ctx.dropped;
		ret = signer_zone_append(a.ctx.zone, b.ctx.zone);
		b.ctx.zone = NULL;
		ctx->zone = a.ctx.zone;
		a.ctx.zone = NULL;
		return ret;
	}
	signer_zone_free(a.ctx.zone);
	signer_zone_free(b.ctx.zone);
	if (ret == TLD_ENOMEM) {
		return ret;
	}
	if (origin != NULL) { /* the given origin's empty zone, as the one pass expects */
		int r = signer_zone_new(origin, path, &ctx->zone);
		if (r != TLD_OK) {
			return r;
		}
	}
	tld_debug("%s: read in one pass (the slices did not fit: %s)", path, tld_strerror(ret));
	return TLD_ECANCELED;
}

static bool pipelined(size_t size)
{
	const char *env = getenv("TLDSIGN_READ_PIPELINE");
	if (env != NULL && env[0] != '\0') {
		return strcmp(env, "1") == 0;
	}
	return size >= PIPE_MIN_SIZE && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

int signer_zone_read(const char *path, const char *origin, struct signer_zone **out)
{
	int ret = TLD_OK;
	struct read_ctx ctx = { .path = path };
	uint8_t orig[SIGNER_DNAME_MAX];
	const uint8_t *origp = NULL;
	void *map = MAP_FAILED;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		ret = tld_errno(errno);
		tld_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (origin != NULL) {
		if (signer_zparse_name(origin, strlen(origin), (const uint8_t *)"", orig) == 0) {
			tld_error("%s: bad origin '%s'", path, origin);
			ret = TLD_EPARSE;
			goto fail;
		}
		origp = orig;
		ret = signer_zone_new(orig, path, &ctx.zone);
		if (ret != TLD_OK) {
			goto fail;
		}
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ret = tld_errno(errno);
			tld_error("%s: %s", path, strerror(errno));
			goto fail;
		}
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
		ret = TLD_ECANCELED;
		if (pipelined((size_t)st.st_size)) {
			ret = parse_sliced(path, map, (size_t)st.st_size, origp, &ctx);
			if (ret == TLD_ECANCELED) {
				ret = parse_pipelined(path, map, (size_t)st.st_size, origp, &ctx);
			}
		} else {
			ret = signer_zparse_mapped(path, map, (size_t)st.st_size, origp, add_record, &ctx);
		}
		if (ret != TLD_OK) {
			goto fail;
		}
	}
	if (ctx.zone == NULL) {
		tld_error("%s: no records", path);
		ret = TLD_EPARSE;
		goto fail;
	}
	if (ctx.dropped > 0) {
		tld_notice("%s: %zu DNSSEC records of the input dropped (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY)",
		           path, ctx.dropped);
	}
	*out = ctx.zone;
	ctx.zone = NULL;
fail:
	if (map != MAP_FAILED) {
		munmap(map, (size_t)st.st_size);
	}
	if (fd >= 0) {
		close(fd);
	}
	signer_zone_free(ctx.zone);
	return ret;
}
