/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/nsec3.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/sort.h"
#include "signer/typebitmap.h"

/* Threads hashing owner names at most, and names per thread at least. */
#define HASH_THREADS_MAX 16
#define HASH_MIN_ITEMS 1024

static int hash_with(EVP_MD_CTX *ctx, const EVP_MD *sha1, const struct signer_nsec3_params *p,
                     const uint8_t *name, uint8_t *hash)
{
	size_t nl = signer_dname_len(name, SIGNER_DNAME_MAX);
	unsigned int len = 0;
	if (EVP_DigestInit_ex(ctx, sha1, NULL) != 1 || EVP_DigestUpdate(ctx, name, nl) != 1 ||
	    EVP_DigestUpdate(ctx, p->salt, p->salt_len) != 1 || EVP_DigestFinal_ex(ctx, hash, &len) != 1) {
		return TLD_ECRYPTO;
	}
	for (unsigned i = 0; i < p->iterations; i++) {
		if (EVP_DigestInit_ex(ctx, sha1, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, hash, SIGNER_NSEC3_HASH_LEN) != 1 ||
		    EVP_DigestUpdate(ctx, p->salt, p->salt_len) != 1 ||
		    EVP_DigestFinal_ex(ctx, hash, &len) != 1) {
			return TLD_ECRYPTO;
		}
	}
	return len == SIGNER_NSEC3_HASH_LEN ? TLD_OK : TLD_ECRYPTO;
}

int signer_nsec3_hash(const struct signer_nsec3_params *p, const uint8_t *name, uint8_t *hash)
{
	if (p->algorithm != SIGNER_NSEC3_SHA1) {
		return TLD_EINVAL;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return TLD_ENOMEM;
	}
	int ret = hash_with(ctx, EVP_sha1(), p, name, hash);
	EVP_MD_CTX_free(ctx);
	return ret;
}

size_t signer_base32hex(const uint8_t *in, size_t len, char *out)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuv";
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) {
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	}
	out[o] = 0;
	return o;
}

static int nsec3_cmp(const void *pa, const void *pb, void *ctx)
{
	(void)ctx;
	const struct signer_nsec3 *a = pa, *b = pb;
	return memcmp(a->hash, b->hash, SIGNER_NSEC3_HASH_LEN);
}

void signer_nsec3_chain_free(struct signer_nsec3_chain *chain)
{
	if (chain == NULL) {
		return;
	}
	free(chain->items);
	free(chain->next);
	free(chain);
}

uint32_t signer_zone_denial_ttl(const struct signer_zone *z)
{
	const struct signer_rr *soa = &z->rrs[z->soa_rr];
	const uint8_t *rd = signer_rr_rdata(z, soa);
	const uint8_t *min = rd + soa->rdlen - 4;
	uint32_t minimum = (uint32_t)min[0] << 24 | (uint32_t)min[1] << 16 | (uint32_t)min[2] << 8 | min[3];
	return soa->ttl < minimum ? soa->ttl : minimum;
}

/* One thread's share of the owner hashes: items [from, to). */
struct hash_job {
	const struct signer_zone *z;
	const struct signer_nsec3_params *p;
	const EVP_MD *sha1;
	struct signer_nsec3 *items;
	size_t from, to;
	int ret;
};

static void *hash_job_run(void *arg)
{
	struct hash_job *j = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	j->ret = ctx != NULL ? TLD_OK : TLD_ENOMEM;
	for (size_t i = j->from; i < j->to && j->ret == TLD_OK; i++) {
		j->ret = hash_with(ctx, j->sha1, j->p, signer_node_wire(j->z, &j->z->nodes[j->items[i].node]),
		                   j->items[i].hash);
	}
	EVP_MD_CTX_free(ctx);
	return NULL;
}

/* The hashes of items[0 .. n) (their nodes set), on all cores. */
static int hash_items(const struct signer_zone *z, const struct signer_nsec3_params *p, struct signer_nsec3 *items,
                      size_t n)
{
	struct hash_job jobs[HASH_THREADS_MAX];
	pthread_t tid[HASH_THREADS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus < 1 ? 1 : cpus > HASH_THREADS_MAX ? HASH_THREADS_MAX : (size_t)cpus, started = 0;
	if (nt > n / HASH_MIN_ITEMS + 1) {
		nt = n / HASH_MIN_ITEMS + 1;
	}
	EVP_MD *sha1 = EVP_MD_fetch(NULL, "SHA1", NULL); /* once, not per hash */
	if (sha1 == NULL) {
		return TLD_ECRYPTO;
	}
	for (size_t k = 0; k < nt; k++) {
		jobs[k] = (struct hash_job){ z, p, sha1, items, n * k / nt, n * (k + 1) / nt, TLD_OK };
	}
	for (size_t k = 1; k < nt; k++) {
		if (pthread_create(&tid[k - 1], NULL, hash_job_run, &jobs[k]) != 0) {
			break;
		}
		started = k;
	}
	for (size_t k = started + 1; k < nt; k++) { /* no thread for these: here */
		hash_job_run(&jobs[k]);
	}
	hash_job_run(&jobs[0]);
	for (size_t k = 1; k <= started; k++) {
		pthread_join(tid[k - 1], NULL);
	}
	EVP_MD_free(sha1);
	for (size_t k = 0; k < nt; k++) {
		if (jobs[k].ret != TLD_OK) {
			return jobs[k].ret;
		}
	}
	return TLD_OK;
}

int signer_nsec3_chain_build(const struct signer_zone *z, const struct signer_nsec3_params *p,
                             struct signer_nsec3_chain **out)
{
	int ret = TLD_ENOMEM;
	struct signer_nsec3_chain *c = NULL;
	uint8_t *below = NULL; /* node has a descendant that gets an NSEC3 */

	if (!z->built || z->soa_rr == UINT32_MAX) {
		return TLD_EINVAL;
	}
	if (p->algorithm != SIGNER_NSEC3_SHA1) {
		return TLD_EINVAL;
	}
	c = calloc(1, sizeof(*c));
	below = calloc(z->nnodes ? z->nnodes : 1, 1);
	if (c == NULL || below == NULL) {
		goto fail;
	}
	c->params = *p;
	c->ttl = signer_zone_denial_ttl(z);

	/* children come after parents: walk backwards to learn about subtrees */
	size_t count = 0;
	for (size_t i = z->nnodes; i-- > 0;) {
		const struct signer_node *n = &z->nodes[i];
		bool needs;
		if (n->flags & SIGNER_NODE_OCCLUDED) {
			needs = false;
		} else if (n->flags & SIGNER_NODE_ENT) {
			needs = !p->opt_out || below[i];
		} else if ((n->flags & SIGNER_NODE_DELEG) && !(n->flags & SIGNER_NODE_SECURE)) {
			needs = !p->opt_out;
		} else {
			needs = true;
		}
		if (needs) {
			count++;
			below[i] = 2 | below[i];
		}
		if (n->parent != UINT32_MAX && (below[i] & 3)) {
			below[n->parent] |= 1;
		}
	}
	c->items = malloc((count ? count : 1) * sizeof(*c->items));
	if (c->items == NULL) {
		goto fail;
	}
	for (size_t i = 0; i < z->nnodes; i++) {
		if (!(below[i] & 2)) {
			continue;
		}
		c->items[c->count++].node = (uint32_t)i;
	}
	ret = hash_items(z, p, c->items, c->count);
	if (ret != TLD_OK) {
		goto fail;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	signer_sort_parallel(c->items, c->count, sizeof(*c->items), nsec3_cmp, NULL,
	                     cpus < 1 ? 1 : cpus > HASH_THREADS_MAX ? HASH_THREADS_MAX : (unsigned)cpus);
	ret = TLD_OK;
	for (size_t i = 1; i < c->count; i++) {
		if (memcmp(c->items[i - 1].hash, c->items[i].hash, SIGNER_NSEC3_HASH_LEN) == 0) {
			char a[1024], b[1024];
			signer_dname_to_text(signer_node_wire(z, &z->nodes[c->items[i - 1].node]), a, sizeof(a));
			signer_dname_to_text(signer_node_wire(z, &z->nodes[c->items[i].node]), b, sizeof(b));
			tld_error("%s: NSEC3 hash collision between %s and %s: change the salt", z->source, a, b);
			ret = TLD_EZONE;
		}
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	*out = c;
	c = NULL;
fail:
	free(below);
	signer_nsec3_chain_free(c);
	return ret;
}

size_t signer_nsec3_rdata(const struct signer_zone *z, const struct signer_nsec3_chain *c, size_t i,
                          uint8_t *out)
{
	const struct signer_nsec3_params *p = &c->params;
	size_t o = 0;
	out[o++] = p->algorithm;
	out[o++] = p->opt_out ? SIGNER_NSEC3_FLAG_OPTOUT : 0;
	out[o++] = (uint8_t)(p->iterations >> 8);
	out[o++] = (uint8_t)p->iterations;
	out[o++] = p->salt_len;
	memcpy(out + o, p->salt, p->salt_len);
	o += p->salt_len;
	out[o++] = SIGNER_NSEC3_HASH_LEN;
	memcpy(out + o, c->next != NULL ? c->next[i] : c->items[(i + 1) % c->count].hash, SIGNER_NSEC3_HASH_LEN);
	o += SIGNER_NSEC3_HASH_LEN;
	const struct signer_node *n = &z->nodes[c->items[i].node];
	uint16_t stack_types[64];
	uint16_t *types = n->rr_count + 4 <= 64 ? stack_types : malloc((n->rr_count + 4) * sizeof(uint16_t));
	if (types == NULL) {
		return 0;
	}
	size_t nt = signer_node_denial_types(z, n, true, types);
	o += signer_bitmap_encode(types, nt, out + o);
	if (types != stack_types) {
		free(types);
	}
	return o;
}

size_t signer_nsec3_owner(const struct signer_zone *z, const struct signer_nsec3_chain *c, size_t i,
                          uint8_t *out)
{
	char b32[40];
	size_t l = signer_base32hex(c->items[i].hash, SIGNER_NSEC3_HASH_LEN, b32);
	if (1 + l + z->origin_len > SIGNER_DNAME_MAX) {
		return 0;
	}
	out[0] = (uint8_t)l;
	memcpy(out + 1, b32, l);
	memcpy(out + 1 + l, z->origin, z->origin_len);
	return 1 + l + z->origin_len;
}

size_t signer_nsec3param_rdata(const struct signer_nsec3_params *p, uint8_t *out)
{
	out[0] = p->algorithm;
	out[1] = 0;
	out[2] = (uint8_t)(p->iterations >> 8);
	out[3] = (uint8_t)p->iterations;
	out[4] = p->salt_len;
	memcpy(out + 5, p->salt, p->salt_len);
	return 5 + (size_t)p->salt_len;
}
