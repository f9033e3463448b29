/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A bounded producer/consumer ring of records, for a zone filled by two
 * threads: a producer thread (the zone file parser) hands
 * records over in chunks, the calling thread consumes them (adds them to a
 * zone) in the same order.
 *
 * Memory is bounded: SIGNER_RING_CHUNKS chunks of SIGNER_RING_CHUNK bytes,
 * allocated by signer_ring_run() and freed before it returns.  A record is
 * copied into a chunk as: owner length (1 byte), owner (wire form), type,
 * class (2 bytes each), TTL, line (4 bytes each), RDLENGTH (2 bytes), RDATA
 * -- at most 1 + 255 + 14 + 65535 bytes, so any record fits in one chunk.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SIGNER_RING_CHUNK (1u << 20)
#define SIGNER_RING_CHUNKS 8

/*! One record; every pointer borrowed (valid during the call it is given to). */
struct signer_ring_rr {
	const uint8_t *owner;     /*!< wire name */
	uint8_t owner_len;        /*!< its length (at most 255) */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint32_t line;
	const uint8_t *rdata;     /*!< uncompressed wire RDATA */
	uint16_t rdlen;
};

struct signer_ring;

/*!
 * \brief The producer: hands every record to signer_ring_put(ring, ...), in
 *        order, and returns TLD_OK or its error.  When signer_ring_put()
 *        fails it should stop and return that code.
 */
typedef int (*signer_ring_produce_fn)(void *ctx, struct signer_ring *ring);

/*! \brief The consumer: takes one record; TLD_OK or an error, which stops both sides. */
typedef int (*signer_ring_consume_fn)(void *ctx, const struct signer_ring_rr *rr);

/*!
 * \brief Producer side: copies one record into the ring; blocks while
 *        SIGNER_RING_CHUNKS chunks wait for the consumer.  Called only from
 *        the producer (on its thread).
 * \return TLD_OK; TLD_ECANCELED when the consumer failed (the producer
 *         stops); when the ring runs on one thread, the consumer's code
 */
int signer_ring_put(struct signer_ring *ring, const struct signer_ring_rr *rr);

/*!
 * \brief Runs produce(pctx, ring) on a second thread and consume(cctx, rr)
 *        on the calling thread for every record, in the order put, then
 *        joins the producer.  Neither side runs after it returns.
 *
 *        Errors: a consumer error stops the consumer at once and the
 *        producer at its next signer_ring_put() (TLD_ECANCELED there); the
 *        result is the consumer's error.  A producer error ends the stream:
 *        the records put before it are consumed, then the result is the
 *        producer's error (unless the consumer failed on one of them).  No
 *        side waits on the other once either has failed or finished.
 *
 *        If the thread cannot be started, produce runs on the calling
 *        thread and signer_ring_put() calls consume directly (same records,
 *        same order, same result).
 * \return TLD_OK, the consumer's or the producer's error, TLD_ENOMEM (the
 *         chunks: nothing ran)
 */
int signer_ring_run(signer_ring_produce_fn produce, void *pctx, signer_ring_consume_fn consume,
                    void *cctx);
