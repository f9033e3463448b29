/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/nsec.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/nsec3.h"
#include "signer/typebitmap.h"

/* -- public API -- */

int signer_nsec_chain_build(const struct signer_zone *z, struct signer_nsec_chain **out)
{
	if (!z->built || z->soa_rr == UINT32_MAX) {
		return TLD_EINVAL;
	}
	struct signer_nsec_chain *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return TLD_ENOMEM;
	}
	size_t count = 0;
	for (size_t i = 0; i < z->nnodes; i++) {
		count += !(z->nodes[i].flags & (SIGNER_NODE_OCCLUDED | SIGNER_NODE_ENT));
	}
	c->nodes = malloc((count ? count : 1) * sizeof(*c->nodes));
	if (c->nodes == NULL) {
		free(c);
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < z->nnodes; i++) {
		if (!(z->nodes[i].flags & (SIGNER_NODE_OCCLUDED | SIGNER_NODE_ENT))) {
			c->nodes[c->count++] = (uint32_t)i;
		}
	}
	c->ttl = signer_zone_denial_ttl(z);
	*out = c;
	return TLD_OK;
}

void signer_nsec_chain_free(struct signer_nsec_chain *chain)
{
	if (chain == NULL) {
		return;
	}
	free(chain->nodes);
	free(chain);
}

size_t signer_nsec_rdata(const struct signer_zone *z, const struct signer_nsec_chain *c, size_t i,
                         uint8_t *out)
{
	const struct signer_node *next = &z->nodes[c->nodes[(i + 1) % c->count]];
	memcpy(out, signer_node_wire(z, next), next->wire_len);
	size_t o = next->wire_len;
	const struct signer_node *n = &z->nodes[c->nodes[i]];
	uint16_t stack_types[64];
	uint16_t *types = n->rr_count + 4 <= 64 ? stack_types : malloc((n->rr_count + 4) * sizeof(uint16_t));
	if (types == NULL) {
		return 0;
	}
	size_t nt = signer_node_denial_types(z, n, false, types);
	o += signer_bitmap_encode(types, nt, out + o);
	if (types != stack_types) {
		free(types);
	}
	return o;
}
