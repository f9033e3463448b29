/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The signer's zone filled from zonegen's records in wire form
 * (run/unsigned.h): what signer_zone_read() makes of STATE_DIR/unsigned.zone,
 * without the text.  The same records are refused or dropped as there.
 *
 * A large zone is filled by two threads, as zone_read.c reads a large file:
 * one walks zonegen's records into chunks of a bounded ring, the other adds
 * them to the zone in the same order -- the zone is the same as with one.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/zone.h"
#include "zonegen/name.h"
#include "zonegen/zonegen.h"

#define CLASS_IN 1
#define TTL_MAX 2147483647u /* RFC 2181 8, as the zone file parser */

/* Zones from this many records on are filled by two threads (TLDSIGN_FILL_PIPELINE=1/0: always/never). */
#define PIPE_MIN_RECORDS 200000u
/* The ring: chunks of records, each record at most 1 + 255 + 14 + 65535 bytes. */
#define PIPE_CHUNK (1u << 20)
#define PIPE_CHUNKS 8
#define PIPE_FIXED 14 /* type, class, TTL, line, RDLENGTH */

struct fill {
	struct signer_zone *zone;
	const char *source;
	size_t dropped;
};

/* -- internal API -- */

/* The signer makes these itself (zone_read.c drops them from a file the same way). */
static bool dropped_type(uint16_t t)
{
	return t == SIGNER_T_RRSIG || t == SIGNER_T_NSEC || t == SIGNER_T_NSEC3 ||
	       t == SIGNER_T_NSEC3PARAM || t == SIGNER_T_DNSKEY;
}

static int refuse(const struct fill *f, const struct tld_zonegen_rr *rr, const char *why)
{
	char name[1024], tname[32];
	signer_dname_to_text(rr->owner, name, sizeof(name));
	tld_error("%s:%lu: %s %s: %s", f->source, rr->line, name,
	          signer_type_name(rr->type, tname, sizeof(tname)), why);
	return TLD_EPARSE;
}

static int add(void *ctx, const struct tld_zonegen_rr *rr)
{
	struct fill *f = ctx;
	if (rr->rclass != CLASS_IN) {
		return refuse(f, rr, "class other than IN");
	}
	if (rr->ttl > TTL_MAX) {
		return refuse(f, rr, "bad TTL");
	}
	if (dropped_type(rr->type)) {
		f->dropped++;
		return TLD_OK;
	}
	int err = signer_zone_add(f->zone, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen,
	                          rr->line <= UINT32_MAX ? (uint32_t)rr->line : 0);
	if (err == TLD_EINVAL) {
		return refuse(f, rr, "malformed RDATA");
	}
	if (err == TLD_ERANGE) {
		refuse(f, rr, "zone too large for the signer (more than 4 GiB of RDATA or of names)");
	}
	return err;
}

/*
 * The ring: the walker fills chunk tail % PIPE_CHUNKS while fewer than
 * PIPE_CHUNKS are waiting, the adder empties chunk head % PIPE_CHUNKS.
 * head, tail, done, walk_ret and stop are guarded by mu.
 */
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[PIPE_CHUNKS];
	size_t len[PIPE_CHUNKS];
	size_t head, tail;
	size_t fill;              /* bytes in the chunk being filled (walker only) */
	bool done;                /* the walk finished ... */
	int walk_ret;             /* ... with this */
	bool stop;                /* the adder failed: the walker stops */
	const struct tld_zonegen *zg;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walker side: hands the chunk being filled over, then waits for a free one. */
static int pipe_publish(struct pipe *pp)
{
	int ret = TLD_OK;
	pthread_mutex_lock(&pp->mu);
	pp->len[pp->tail % PIPE_CHUNKS] = pp->fill;
	pp->tail++;
	pthread_cond_broadcast(&pp->cv);
	while (pp->tail - pp->head >= PIPE_CHUNKS && !pp->stop) {
		pthread_cond_wait(&pp->cv, &pp->mu);
	}
	if (pp->stop) {
		ret = TLD_ECANCELED;
	}
	pthread_mutex_unlock(&pp->mu);
	pp->fill = 0;
	return ret;
}

/* Walker side: one record into the ring (owner length, owner, fixed fields, RDATA). */
static int pipe_record(void *ctx, const struct tld_zonegen_rr *rr)
{
	struct pipe *pp = ctx;
	size_t need = 1 + rr->owner_len + PIPE_FIXED + rr->rdlen;
	if (pp->fill + need > PIPE_CHUNK) {
		int ret = pipe_publish(pp);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	uint8_t *p = pp->buf[pp->tail % PIPE_CHUNKS] + pp->fill;
	p[0] = (uint8_t)rr->owner_len;
	memcpy(p + 1, rr->owner, rr->owner_len);
	p += 1 + rr->owner_len;
	put16(p, rr->type);
	put16(p + 2, rr->rclass);
	put32(p + 4, rr->ttl);
	put32(p + 8, rr->line <= UINT32_MAX ? (uint32_t)rr->line : 0);
	put16(p + 12, rr->rdlen);
	memcpy(p + PIPE_FIXED, rr->rdata, rr->rdlen);
	pp->fill += need;
	return TLD_OK;
}

static void *pipe_walker(void *arg)
{
	struct pipe *pp = arg;
	int ret = tld_zonegen_records(pp->zg, pipe_record, pp);
	pthread_mutex_lock(&pp->mu);
	if (pp->fill > 0 && !pp->stop) { /* the last chunk: there is room, the last publish made sure */
		pp->len[pp->tail % PIPE_CHUNKS] = pp->fill;
		pp->tail++;
	}
	pp->done = true;
	pp->walk_ret = ret;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

/* Adder side: the records of one chunk, in order. */
static int add_chunk(struct fill *f, const uint8_t *p, const uint8_t *end)
{
	int ret = TLD_OK;
	while (p < end && ret == TLD_OK) {
		struct tld_zonegen_rr rr = { .owner = p + 1, .owner_len = p[0] };
		p += 1 + p[0];
		rr.type = get16(p);
		rr.rclass = get16(p + 2);
		rr.ttl = get32(p + 4);
		rr.line = get32(p + 8);
		rr.rdlen = get16(p + 12);
		rr.rdata = p + PIPE_FIXED;
		p += PIPE_FIXED + rr.rdlen;
		ret = add(f, &rr);
	}
	return ret;
}

/*
 * Walks on a second thread and adds here, chunk by chunk, in order.  An
 * error of the adder stops the walker; otherwise the walk's result is the
 * result.
 */
static int fill_pipelined(const struct tld_zonegen *zg, struct fill *f)
{
	struct pipe pp = { .zg = zg };
	int ret = TLD_OK;
	size_t nbuf = 0;
	for (; nbuf < PIPE_CHUNKS; nbuf++) {
		pp.buf[nbuf] = malloc(PIPE_CHUNK);
		if (pp.buf[nbuf] == NULL) {
			ret = TLD_ENOMEM;
			goto out;
		}
	}
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	pthread_t tid;
	if (pthread_create(&tid, NULL, pipe_walker, &pp) != 0) {
		ret = tld_zonegen_records(zg, add, f); /* one thread, then */
		goto destroy;
	}
	for (;;) {
		pthread_mutex_lock(&pp.mu);
		while (pp.head == pp.tail && !pp.done) {
			pthread_cond_wait(&pp.cv, &pp.mu);
		}
		if (pp.head == pp.tail) { /* done, all taken */
			pthread_mutex_unlock(&pp.mu);
			break;
		}
		const uint8_t *p = pp.buf[pp.head % PIPE_CHUNKS];
		const uint8_t *end = p + pp.len[pp.head % PIPE_CHUNKS];
		pthread_mutex_unlock(&pp.mu);
		ret = add_chunk(f, p, end);
		pthread_mutex_lock(&pp.mu);
		pp.head++;
		if (ret != TLD_OK) {
			pp.stop = true;
		}
		pthread_cond_broadcast(&pp.cv);
		pthread_mutex_unlock(&pp.mu);
		if (ret != TLD_OK) {
			break;
		}
	}
	pthread_join(tid, NULL);
	if (ret == TLD_OK) {
		ret = pp.walk_ret;
	}
destroy:
	pthread_cond_destroy(&pp.cv);
	pthread_mutex_destroy(&pp.mu);
out:
	for (size_t i = 0; i < nbuf; i++) {
		free(pp.buf[i]);
	}
	return ret;
}

static bool pipelined(const struct tld_zonegen *zg)
{
	const char *env = getenv("TLDSIGN_FILL_PIPELINE");
	if (env != NULL && env[0] != '\0') {
		return strcmp(env, "1") == 0;
	}
	const struct tld_zonegen_stats *st = tld_zonegen_stats(zg);
	uint64_t records = st->ns_records + st->ds_records + st->glue_records;
	return records >= PIPE_MIN_RECORDS && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/* -- public API -- */

int tld_run_unsigned_zone(const struct tld_zonegen *zg, const char *origin, const char *source,
                          struct signer_zone **out)
{
	uint8_t wire[SIGNER_DNAME_MAX];
	struct fill f = { .source = source };
	if (tld_name_text_to_wire(origin, strlen(origin), wire) == 0) {
		tld_error("%s: bad origin '%s'", source, origin);
		return TLD_EPARSE;
	}
	int err = signer_zone_new(wire, source, &f.zone);
	if (err != TLD_OK) {
		return err;
	}
	err = pipelined(zg) ? fill_pipelined(zg, &f) : tld_zonegen_records(zg, add, &f);
	if (err == TLD_EINVAL) { /* a name of zonegen without wire form: not after a build */
		tld_error("%s: a name of the built zone has no wire form", source);
		err = TLD_EPARSE;
	}
	if (err != TLD_OK) {
		signer_zone_free(f.zone);
		return err;
	}
	if (f.dropped > 0) {
		tld_notice("%s: %zu DNSSEC records of the input dropped (RRSIG, NSEC, NSEC3, NSEC3PARAM, "
		           "DNSKEY)", source, f.dropped);
	}
	*out = f.zone;
	return TLD_OK;
}
