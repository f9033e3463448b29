/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The patch index of the side file (sigfile.h, version 5) from a signed run:
 * the NSEC3 chain with the node each record stands for, every slot with its
 * owner, hash and the span of its RRSIGs' times, and the wire names they
 * point into.  Made on the side file's thread (sign_write.c) beside the
 * zone text, so it touches only what it writes: a bitmap of the nodes
 * named (one bit a node), a count per 64 nodes, and the names of those
 * nodes alone (about one node in ten of a TLD has a slot or an NSEC3
 * record), copied once each in node order.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/sign_internal.h"
#include "signer/textout.h"

_Static_assert((int)SLOT_ZONE == (int)SIGNER_SIGFILE_ZONE && (int)SLOT_NSEC == (int)SIGNER_SIGFILE_NSEC &&
                       (int)SLOT_NSEC3 == (int)SIGNER_SIGFILE_NSEC3,
               "the side file stores enum slot_kind as it is");

/* Slots ahead whose first RRSIG is fetched while this one is made: the arena is read out of cache. */
#define PREFETCH_AHEAD 16

/* -- internal API -- */

/* The nodes named in the index and where each one's name is in the names. */
struct name_map {
	uint64_t *bits;   /* node i named: bit i % 64 of bits[i / 64] */
	uint32_t *before; /* per word of bits: nodes named in the words before it */
	uint32_t *off;    /* per named node, in node order: its name's offset */
};

static void mark(uint64_t *bits, size_t node)
{
	bits[node / 64] |= (uint64_t)1 << (node % 64);
}

static uint32_t name_of(const struct name_map *m, size_t node)
{
	uint64_t lower = m->bits[node / 64] & (((uint64_t)1 << (node % 64)) - 1);
	return m->off[m->before[node / 64] + (uint32_t)__builtin_popcountll(lower)];
}

/* The names of the nodes with a zone slot (ZONE or NSEC) or an NSEC3 record, each once, in node order. */
static int make_names(const struct sign_run *run, struct name_map *m, struct sign_patch_index *pi)
{
	const struct signer_zone *z = run->z;
	size_t nw = (z->nnodes + 63) / 64;
	m->bits = calloc(nw + 1, sizeof(*m->bits));
	m->before = malloc((nw + 1) * sizeof(*m->before));
	if (m->bits == NULL || m->before == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t s = 0; s < run->nzone_slots; s++) {
		mark(m->bits, run->slots[s].node);
	}
	for (size_t j = 0; run->n3 != NULL && j < run->n3->count; j++) {
		mark(m->bits, run->n3->items[j].node);
	}
	uint64_t named = 0;
	for (size_t w = 0; w < nw; w++) {
		m->before[w] = (uint32_t)named;
		named += (uint64_t)__builtin_popcountll(m->bits[w]);
	}
	/* one pass over the named nodes: their names into a buffer grown as needed (about 24 bytes a name) */
	size_t cap = (size_t)named * 24 + 256, len = 0;
	m->off = malloc((named ? named : 1) * sizeof(*m->off));
	pi->names = malloc(cap);
	if (m->off == NULL || pi->names == NULL) {
		return TLD_ENOMEM;
	}
	uint32_t k = 0;
	for (size_t w = 0; w < nw; w++) {
		for (uint64_t b = m->bits[w]; b != 0; b &= b - 1) {
			const struct signer_node *n = &z->nodes[w * 64 + (size_t)__builtin_ctzll(b)];
			if (cap - len < n->wire_len) {
				uint8_t *more = realloc(pi->names, cap *= 2);
				if (more == NULL) {
					return TLD_ENOMEM;
				}
				pi->names = more;
			}
			if (len + n->wire_len > UINT32_MAX) { /* offsets and names_len are 32-bit */
				return TLD_ERANGE;
			}
			m->off[k++] = (uint32_t)len;
			memcpy(pi->names + len, signer_node_wire(z, n), n->wire_len);
			len += n->wire_len;
		}
	}
	pi->hdr.names_len = len;
	return TLD_OK;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Slot i of the run: its hash, owner (name: the caller's), type, kind, and
 * its RRSIGs' earliest expiration and latest inception.
 */
static void make_slot(const struct sign_run *run, size_t i, uint32_t name, struct signer_sigfile_slot *out)
{
	const struct slot *s = &run->slots[i];
	tld_time_t now = run->o->now;
	memset(out, 0, sizeof(*out));
	memcpy(out->hash, s->hash, sizeof(out->hash));
	out->name = name;
	out->type = s->type;
	out->kind = s->kind;
	out->nsigs = (uint8_t)(s->nsigs < 255 ? s->nsigs : 255);
	tld_time_t exp_min = 0, inc_max = 0;
	for (uint32_t k = 0; k < s->nsigs; k++) {
		const uint8_t *rd = run->arena + run->sigs[s->sig_first + k].off; /* RFC 4034 3.1 */
		uint32_t exp = get32(rd + 8), inc = get32(rd + 12);
		tld_time_t e = signer_rrsig_time_abs(exp, now), in = signer_rrsig_time_abs(inc, now);
		if (k == 0 || e < exp_min) {
			exp_min = e;
			out->exp_min = exp;
		}
		if (k == 0 || in > inc_max) {
			inc_max = in;
			out->inc_max = inc;
		}
	}
}

/* -- public API -- */

int sign_patch_index(const struct sign_run *run, struct sign_patch_index *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->hdr.now = run->o->now;
	memcpy(pi->hdr.keys_digest, run->keys_digest, sizeof(pi->hdr.keys_digest));
	memcpy(pi->hdr.policy_digest, run->policy_digest, sizeof(pi->hdr.policy_digest));
	pi->hdr.nchain = run->n3 != NULL ? run->n3->count : 0;
	pi->hdr.nslots = run->nslots;
	struct name_map m = { 0 };
	int ret = make_names(run, &m, pi);
	if (ret == TLD_OK) {
		pi->chain = malloc((pi->hdr.nchain ? pi->hdr.nchain : 1) * sizeof(*pi->chain));
		pi->slots = malloc((pi->hdr.nslots ? pi->hdr.nslots : 1) * sizeof(*pi->slots));
		ret = pi->chain != NULL && pi->slots != NULL ? TLD_OK : TLD_ENOMEM;
	}
	for (size_t j = 0; ret == TLD_OK && j < pi->hdr.nchain; j++) {
		memcpy(pi->chain[j].hash, run->n3->items[j].hash, sizeof(pi->chain[j].hash));
		pi->chain[j].name = name_of(&m, run->n3->items[j].node);
	}
	/* zone slots: a node's slots one after the other; NSEC3 slot nzone_slots + j: chain item j's node */
	size_t node = SIZE_MAX;
	uint32_t name = 0;
	for (size_t i = 0; ret == TLD_OK && i < pi->hdr.nslots; i++) {
		if (i >= run->nzone_slots) {
			name = pi->chain[run->slots[i].node].name; /* node: the chain index */
		} else if (run->slots[i].node != node) {
			node = run->slots[i].node;
			name = name_of(&m, node);
		}
		if (i + PREFETCH_AHEAD < pi->hdr.nslots && run->slots[i + PREFETCH_AHEAD].nsigs > 0) {
			__builtin_prefetch(run->arena + run->sigs[run->slots[i + PREFETCH_AHEAD].sig_first].off + 8);
		}
		make_slot(run, i, name, &pi->slots[i]);
	}
	free(m.bits);
	free(m.before);
	free(m.off);
	if (ret != TLD_OK) {
		sign_patch_index_free(pi);
	}
	return ret;
}

void sign_patch_index_free(struct sign_patch_index *pi)
{
	free(pi->chain);
	free(pi->slots);
	free(pi->names);
	memset(pi, 0, sizeof(*pi));
}
