/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For tests and fuzz targets: whether two built signer zones hold the same
 * origin, nodes (names, flags, parents, record ranges) and records (owner,
 * type, TTL, RDATA; with_lines: also each record's source line).  Arena
 * places are not compared.
 */
#pragma once

#include <stdbool.h>
#include <string.h>

#include "signer/zone.h"

static inline bool signer_zone_same_built(const struct signer_zone *a, const struct signer_zone *b,
                                          bool with_lines)
{
	if (a->nnodes != b->nnodes || a->nrrs != b->nrrs || a->origin_len != b->origin_len ||
	    memcmp(a->origin, b->origin, a->origin_len) != 0) {
		return false;
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct signer_node *x = &a->nodes[i], *y = &b->nodes[i];
		if (x->wire_len != y->wire_len || x->flags != y->flags || x->rr_count != y->rr_count ||
		    x->rr_first != y->rr_first || x->parent != y->parent ||
		    memcmp(signer_node_wire(a, x), signer_node_wire(b, y), x->wire_len) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < a->nrrs; i++) {
		const struct signer_rr *x = &a->rrs[i], *y = &b->rrs[i];
		if (x->node != y->node || x->type != y->type || x->ttl != y->ttl || x->rdlen != y->rdlen ||
		    (with_lines && x->line != y->line) ||
		    memcmp(signer_rr_rdata(a, x), signer_rr_rdata(b, y), x->rdlen) != 0) {
			return false;
		}
	}
	return true;
}
