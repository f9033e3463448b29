/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bounded producer/consumer ring of records (signer/record_ring.h). */
#include "signer/record_ring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define RING_FIXED 14 /* type, class, TTL, line, RDLENGTH */

/*
 * The producer fills chunk tail % SIGNER_RING_CHUNKS while fewer than
 * SIGNER_RING_CHUNKS are waiting, the consumer empties chunk
 * head % SIGNER_RING_CHUNKS.  head, tail, done, produce_ret and stop are
 * guarded by mu.
 */
struct signer_ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[SIGNER_RING_CHUNKS];
	size_t len[SIGNER_RING_CHUNKS];
	size_t head, tail;
	size_t fill;              /* bytes in the chunk being filled (producer only) */
	bool done;                /* the producer finished ... */
	int produce_ret;          /* ... with this */
	bool stop;                /* the consumer failed: the producer stops */
	bool direct;              /* one thread: put() consumes at once */
	signer_ring_produce_fn produce;
	void *pctx;
	signer_ring_consume_fn consume;
	void *cctx;
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

/* Producer side: hands the chunk being filled over, then waits for a free one. */
static int ring_publish(struct signer_ring *r)
{
	int ret = TLD_OK;
	pthread_mutex_lock(&r->mu);
	r->len[r->tail % SIGNER_RING_CHUNKS] = r->fill;
	r->tail++;
	pthread_cond_broadcast(&r->cv);
	while (r->tail - r->head >= SIGNER_RING_CHUNKS && !r->stop) {
		pthread_cond_wait(&r->cv, &r->mu);
	}
	if (r->stop) {
		ret = TLD_ECANCELED;
	}
	pthread_mutex_unlock(&r->mu);
	r->fill = 0;
	return ret;
}

int signer_ring_put(struct signer_ring *r, const struct signer_ring_rr *rr)
{
	if (r->direct) {
		return r->consume(r->cctx, rr);
	}
	size_t need = 1 + (size_t)rr->owner_len + RING_FIXED + rr->rdlen;
	if (r->fill + need > SIGNER_RING_CHUNK) {
		int ret = ring_publish(r);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	uint8_t *p = r->buf[r->tail % SIGNER_RING_CHUNKS] + r->fill;
	p[0] = rr->owner_len;
	memcpy(p + 1, rr->owner, rr->owner_len);
	p += 1 + rr->owner_len;
	put16(p, rr->type);
	put16(p + 2, rr->rclass);
	put32(p + 4, rr->ttl);
	put32(p + 8, rr->line);
	put16(p + 12, rr->rdlen);
	memcpy(p + RING_FIXED, rr->rdata, rr->rdlen);
	r->fill += need;
	return TLD_OK;
}

static void *ring_producer(void *arg)
{
	struct signer_ring *r = arg;
	int ret = r->produce(r->pctx, r);
	pthread_mutex_lock(&r->mu);
	if (r->fill > 0 && !r->stop) { /* the last chunk: there is room, the last publish made sure */
		r->len[r->tail % SIGNER_RING_CHUNKS] = r->fill;
		r->tail++;
	}
	r->done = true;
	r->produce_ret = ret;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Consumer side: the records of one chunk, in order. */
static int consume_chunk(struct signer_ring *r, const uint8_t *p, const uint8_t *end)
{
	int ret = TLD_OK;
	while (p < end && ret == TLD_OK) {
		struct signer_ring_rr rr = { .owner = p + 1, .owner_len = p[0] };
		p += 1 + p[0];
		rr.type = get16(p);
		rr.rclass = get16(p + 2);
		rr.ttl = get32(p + 4);
		rr.line = get32(p + 8);
		rr.rdlen = get16(p + 12);
		rr.rdata = p + RING_FIXED;
		p += RING_FIXED + rr.rdlen;
		ret = r->consume(r->cctx, &rr);
	}
	return ret;
}

int signer_ring_run(signer_ring_produce_fn produce, void *pctx, signer_ring_consume_fn consume,
                    void *cctx)
{
	struct signer_ring r = { .produce = produce, .pctx = pctx, .consume = consume, .cctx = cctx };
	int ret = TLD_OK;
	size_t nbuf = 0;
	for (; nbuf < SIGNER_RING_CHUNKS; nbuf++) {
		r.buf[nbuf] = malloc(SIGNER_RING_CHUNK);
		if (r.buf[nbuf] == NULL) {
			ret = TLD_ENOMEM;
			goto out;
		}
	}
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	pthread_t tid;
	if (pthread_create(&tid, NULL, ring_producer, &r) != 0) {
		r.direct = true; /* one thread, then */
		ret = produce(pctx, &r);
		goto destroy;
	}
	for (;;) {
		pthread_mutex_lock(&r.mu);
		while (r.head == r.tail && !r.done) {
			pthread_cond_wait(&r.cv, &r.mu);
		}
		if (r.head == r.tail) { /* done, all taken */
			pthread_mutex_unlock(&r.mu);
			break;
		}
		const uint8_t *p = r.buf[r.head % SIGNER_RING_CHUNKS];
		const uint8_t *end = p + r.len[r.head % SIGNER_RING_CHUNKS];
		pthread_mutex_unlock(&r.mu);
		ret = consume_chunk(&r, p, end);
		pthread_mutex_lock(&r.mu);
		r.head++;
		if (ret != TLD_OK) {
			r.stop = true;
		}
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		if (ret != TLD_OK) {
			break;
		}
	}
	pthread_join(tid, NULL);
	if (ret == TLD_OK) {
		ret = r.produce_ret;
	}
destroy:
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
out:
	for (size_t i = 0; i < nbuf; i++) {
		free(r.buf[i]);
	}
	return ret;
}
