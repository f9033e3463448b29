/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bounded producer/consumer ring of records: every record comes out
 * as put, in order, across many wraps of the ring; an empty stream; a
 * producer error and a consumer error each stop both sides (no deadlock).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"
#include "signer/record_ring.h"
#include "tests/tap/tap.h"

struct prod {
	size_t records;           /* records to put */
	int fail;                 /* returned after them (TLD_OK: success) */
	size_t put;               /* records put */
	int put_ret;              /* the last signer_ring_put() error */
	bool endless;             /* put until signer_ring_put() fails */
};

struct cons {
	size_t seen;
	size_t fail_at;           /* fails on this record (SIZE_MAX: never) */
	int fail;
	size_t bad;               /* records not as put */
	size_t after_fail;        /* calls after a failure */
	uint64_t bytes;
};

static uint8_t owner_buf[255], rdata_buf[65535];

/* Record i: sizes vary, the largest record appears, contents depend on i. */
static void make_rr(size_t i, struct signer_ring_rr *rr)
{
	static const uint16_t rdlens[] = { 0, 4, 65535, 300, 16, 40000, 1 };
	rr->owner_len = (uint8_t)(1 + i % 255);
	rr->rdlen = rdlens[i % (sizeof(rdlens) / sizeof(rdlens[0]))];
	rr->type = (uint16_t)(i * 7);
	rr->rclass = (uint16_t)(1 + i % 3);
	rr->ttl = (uint32_t)(i * 2654435761u);
	rr->line = (uint32_t)i + 1;
	rr->owner = owner_buf + (255 - rr->owner_len);
	rr->rdata = rdata_buf + (i % 2 == 0 ? 0 : 65535 - rr->rdlen);
}

static int produce(void *ctx, struct signer_ring *ring)
{
	struct prod *p = ctx;
	for (size_t i = 0; p->endless || i < p->records; i++) {
		struct signer_ring_rr rr;
		make_rr(i, &rr);
		int ret = signer_ring_put(ring, &rr);
		if (ret != TLD_OK) {
			p->put_ret = ret;
			return ret;
		}
		p->put++;
	}
	return p->fail;
}

static int consume(void *ctx, const struct signer_ring_rr *got)
{
	struct cons *c = ctx;
	if (c->seen > c->fail_at) {
		c->after_fail++;
	}
	struct signer_ring_rr want;
	make_rr(c->seen, &want);
	if (got->owner_len != want.owner_len || got->rdlen != want.rdlen || got->type != want.type ||
	    got->rclass != want.rclass || got->ttl != want.ttl || got->line != want.line ||
	    memcmp(got->owner, want.owner, want.owner_len) != 0 ||
	    memcmp(got->rdata, want.rdata, want.rdlen) != 0) {
		c->bad++;
	}
	c->bytes += 1u + got->owner_len + 14u + got->rdlen;
	return c->seen++ == c->fail_at ? c->fail : TLD_OK;
}

static void test_empty(void)
{
	struct prod p = { .records = 0 };
	struct cons c = { .fail_at = SIZE_MAX };
	is_int(TLD_OK, signer_ring_run(produce, &p, consume, &c), "empty stream: TLD_OK");
	is_int(0, (long long)c.seen, "empty stream: no record consumed");

	struct prod pe = { .records = 0, .fail = TLD_EPARSE };
	struct cons ce = { .fail_at = SIZE_MAX };
	is_int(TLD_EPARSE, signer_ring_run(produce, &pe, consume, &ce), "empty stream, producer error: its code");
	is_int(0, (long long)ce.seen, "empty stream, producer error: no record consumed");
}

static void test_many_chunks(void)
{
	/* about 15 KiB a record on average: about 60 MiB, the 8 MiB ring wraps 7 times */
	struct prod p = { .records = 4000 };
	struct cons c = { .fail_at = SIZE_MAX };
	is_int(TLD_OK, signer_ring_run(produce, &p, consume, &c), "many chunks: TLD_OK");
	is_int(4000, (long long)c.seen, "many chunks: every record consumed");
	is_int(0, (long long)c.bad, "many chunks: each as put, in order");
	ok(c.bytes > 3ull * SIGNER_RING_CHUNKS * SIGNER_RING_CHUNK, "many chunks: the ring wrapped (%llu bytes)",
	   (unsigned long long)c.bytes);
}

static void test_producer_error(void)
{
	/* fails after records spread over several wraps of the ring */
	struct prod p = { .records = 3001, .fail = TLD_EPARSE };
	struct cons c = { .fail_at = SIZE_MAX };
	is_int(TLD_EPARSE, signer_ring_run(produce, &p, consume, &c), "producer error: its code");
	is_int(3001, (long long)c.seen, "producer error: the records put before it are consumed");
	is_int(0, (long long)c.bad, "producer error: each as put");

	/* an error with the records still in the chunk being filled */
	struct prod q = { .records = 3, .fail = TLD_ENOMEM };
	struct cons d = { .fail_at = SIZE_MAX };
	is_int(TLD_ENOMEM, signer_ring_run(produce, &q, consume, &d), "producer error, one chunk: its code");
	is_int(3, (long long)d.seen, "producer error, one chunk: its records consumed");
}

static void test_consumer_error(void)
{
	/* the producer would never end: the consumer's error must stop it */
	struct prod p = { .endless = true };
	struct cons c = { .fail_at = 1000, .fail = TLD_EPARSE };
	is_int(TLD_EPARSE, signer_ring_run(produce, &p, consume, &c), "consumer error: its code");
	is_int(1001, (long long)c.seen, "consumer error: no record consumed after it");
	is_int(0, (long long)c.after_fail, "consumer error: the consumer is not called again");
	is_int(TLD_ECANCELED, p.put_ret, "consumer error: the producer's put is canceled");
	ok(p.put < 1001 + 8 * 150, "consumer error: the producer stopped within the ring (%zu put)", p.put);

	/* the consumer fails on the first record, the producer had already finished */
	struct prod q = { .records = 2, .fail = TLD_OK };
	struct cons d = { .fail_at = 0, .fail = TLD_ERANGE };
	is_int(TLD_ERANGE, signer_ring_run(produce, &q, consume, &d), "consumer error, producer done: its code");
	is_int(1, (long long)d.seen, "consumer error, producer done: one record consumed");

	/* both fail: the consumer's error is the result */
	struct prod r = { .records = 500, .fail = TLD_EIO };
	struct cons e = { .fail_at = 10, .fail = TLD_EPARSE };
	is_int(TLD_EPARSE, signer_ring_run(produce, &r, consume, &e), "both fail: the consumer's code");
}

int main(void)
{
	plan_lazy();
	for (size_t i = 0; i < sizeof(owner_buf); i++) {
		owner_buf[i] = (uint8_t)(i * 31 + 7);
	}
	for (size_t i = 0; i < sizeof(rdata_buf); i++) {
		rdata_buf[i] = (uint8_t)(i * 131 + (i >> 8));
	}
	test_empty();
	test_many_chunks();
	test_producer_error();
	test_consumer_error();
	return exit_status();
}
