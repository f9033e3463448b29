/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Node digests (sign_internal.h): one SHA-256 per node of the built zone,
 * taken once, on all cores, beside the denial chain, and used twice: the
 * unsigned hash is made of them, and so are the text block digests of the
 * nodes (sign_write.c), which so hash each node's records once per run
 * instead of twice.
 *
 * A node digest is taken over SIGN_TEXT_FORMAT_VERSION, a marker no block digest
 * header has, the node's flags and record count, its wire name, and for each
 * record its type, RDATA length, TTL and RDATA: every field whole and wire
 * names delimiting themselves, so two nodes with equal digest inputs are the
 * same node with the same records.
 *
 * The unsigned hash: the nodes are taken in parts of SIGN_DIGEST_PART in
 * zone order; each part's digest is SHA-256 over the full (32-byte) node
 * digests of its delegation and occluded nodes, and the unsigned hash is
 * SHA-256 over the part digests in order.  A tree of SHA-256 over
 * fixed-length inputs, so as collision resistant as SHA-256 over the records
 * themselves; it covers every record no RRSIG covers (it covers the DS of a
 * secure delegation and the nodes' flags too, which the slot hashes cover
 * anyway, and the node list, which only makes two zones equal less often).
 * The parts are fixed by the zone, not by the number of threads.  (A bump
 * of SIGN_TEXT_FORMAT_VERSION changes every node digest and so the unsigned
 * hash: the version made after it gets a new serial even when nothing else
 * changed, once -- as after an upgrade from side file version 3.)
 *
 * What it relies on: after the build the zone's records change only in the
 * SOA serial (sign.c sets it once the previous version is known), so the
 * apex's digest is taken again when its block is written (sign_write.c);
 * every other node digest stays what its records are.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "signer/sign_internal.h"

/* Threads at most. */
#define DIGEST_THREADS_MAX 16
/* Marks a node digest's input (block digest headers hold a node count, at most 1, there) */
#define NODE_MARK 0xffffffffu

/* -- internal API -- */

static void pk_flush(struct sign_packer *p)
{
	if (p->len > 0 && p->ret == TLD_OK) {
		p->ret = signer_sha256_update(p->md, p->buf, p->len);
	}
	p->len = 0;
}

static void pk_put(struct sign_packer *p, const void *d, size_t len)
{
	if (sizeof(p->buf) - p->len < len) {
		pk_flush(p);
		if (len > sizeof(p->buf)) {
			if (p->ret == TLD_OK) {
				p->ret = signer_sha256_update(p->md, d, len);
			}
			return;
		}
	}
	memcpy(p->buf + p->len, d, len);
	p->len += len;
}

/* One thread: parts taken one at a time from the shared counter, their node digests and part digest. */
struct digest_job {
	struct sign_run *run;
	uint8_t *part_digest;        /* 32 per part */
	size_t nparts;
	atomic_size_t *next;
	int ret;
};

static void *digest_thread(void *arg)
{
	struct digest_job *j = arg;
	const struct signer_zone *z = j->run->z;
	struct signer_sha256 *md = NULL;
	struct sign_packer *pk = malloc(sizeof(*pk));
	uint8_t *full = malloc(32 * (size_t)SIGN_DIGEST_PART); /* a part's unsigned nodes' digests, hashed at once */
	j->ret = pk == NULL || full == NULL ? TLD_ENOMEM : signer_sha256_new(j->run->sha256, &md);
	for (size_t k; j->ret == TLD_OK && (k = atomic_fetch_add(j->next, 1)) < j->nparts;) {
		size_t from = k * SIGN_DIGEST_PART, to = from + SIGN_DIGEST_PART < z->nnodes ? from + SIGN_DIGEST_PART
		                                                                            : z->nnodes;
		size_t nfull = 0;
		pk->md = md;
		for (size_t i = from; i < to && j->ret == TLD_OK; i++) {
			uint8_t *d = full + 32 * nfull;
			j->ret = sign_node_digest(z, i, pk, d);
			memcpy(j->run->node_digest + i * SIGN_NODE_DIGEST, d, SIGN_NODE_DIGEST);
			nfull += (z->nodes[i].flags & (SIGNER_NODE_DELEG | SIGNER_NODE_OCCLUDED)) != 0;
		}
		if (j->ret == TLD_OK) {
			j->ret = signer_sha256_of(md, full, 32 * nfull, j->part_digest + 32 * k);
		}
	}
	signer_sha256_free(md);
	free(pk);
	free(full);
	return NULL;
}

/* -- public API -- */

int sign_node_digest(const struct signer_zone *z, size_t i, struct sign_packer *pk, uint8_t *full)
{
	const struct signer_node *n = &z->nodes[i];
	uint32_t head[4] = { SIGN_TEXT_FORMAT_VERSION, NODE_MARK, n->flags, n->rr_count };
	pk->len = 0;
	pk->ret = signer_sha256_begin(pk->md);
	pk_put(pk, head, sizeof(head));
	pk_put(pk, signer_node_wire(z, n), n->wire_len);
	for (uint32_t r = 0; r < n->rr_count; r++) {
		const struct signer_rr *rr = &z->rrs[n->rr_first + r];
		uint32_t rh[2] = { (uint32_t)rr->type << 16 | rr->rdlen, rr->ttl };
		pk_put(pk, rh, sizeof(rh));
		pk_put(pk, signer_rr_rdata(z, rr), rr->rdlen);
	}
	pk_flush(pk);
	if (pk->ret == TLD_OK) {
		pk->ret = signer_sha256_end(pk->md, full);
	}
	return pk->ret;
}

int sign_node_digests(struct sign_run *run)
{
	const struct signer_zone *z = run->z;
	size_t nparts = (z->nnodes + SIGN_DIGEST_PART - 1) / SIGN_DIGEST_PART;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus < 1 ? 1 : cpus > DIGEST_THREADS_MAX ? DIGEST_THREADS_MAX : (size_t)cpus;
	if (nt > nparts) {
		nt = nparts > 0 ? nparts : 1;
	}
	atomic_size_t next = 0;
	struct digest_job jobs[DIGEST_THREADS_MAX];
	pthread_t tid[DIGEST_THREADS_MAX];
	size_t started = 0;
	uint8_t *parts = malloc(nparts > 0 ? nparts * 32 : 1);
	free(run->node_digest);
	run->node_digest = malloc(z->nnodes > 0 ? z->nnodes * SIGN_NODE_DIGEST : 1);
	if (parts == NULL || run->node_digest == NULL) {
		free(parts);
		return TLD_ENOMEM;
	}
	for (size_t k = 0; k < nt; k++) {
		jobs[k] = (struct digest_job){ .run = run, .part_digest = parts, .nparts = nparts, .next = &next };
	}
	for (; started + 1 < nt && pthread_create(&tid[started], NULL, digest_thread, &jobs[started + 1]) == 0;
	     started++) {
	}
	digest_thread(&jobs[0]); /* here too; and alone when no thread could be had */
	for (size_t k = 0; k < started; k++) {
		pthread_join(tid[k], NULL);
	}
	int ret = TLD_OK;
	for (size_t k = 0; k < nt && ret == TLD_OK; k++) {
		ret = jobs[k].ret;
	}
	struct signer_sha256 *md = NULL;
	if (ret == TLD_OK) {
		ret = signer_sha256_new(run->sha256, &md);
	}
	if (ret == TLD_OK) {
		ret = signer_sha256_of(md, parts, nparts * 32, run->unsigned_hash);
	}
	signer_sha256_free(md);
	free(parts);
	return ret;
}
