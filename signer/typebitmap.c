/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/typebitmap.h"

#include <string.h>

#include "signer/rrtype.h"

size_t signer_bitmap_encode(const uint16_t *types, size_t n, uint8_t *out)
{
	size_t o = 0;
	size_t i = 0;
	while (i < n) {
		uint8_t window = (uint8_t)(types[i] >> 8);
		uint8_t bits[32];
		memset(bits, 0, sizeof(bits));
		unsigned len = 0;
		for (; i < n && (types[i] >> 8) == window; i++) {
			uint8_t low = (uint8_t)(types[i] & 0xff);
			bits[low / 8] |= (uint8_t)(0x80 >> (low % 8));
			if (low / 8 + 1u > len) {
				len = low / 8 + 1u;
			}
		}
		out[o++] = window;
		out[o++] = (uint8_t)len;
		memcpy(out + o, bits, len);
		o += len;
	}
	return o;
}

static size_t insert_sorted(uint16_t *types, size_t n, uint16_t t)
{
	size_t i = n;
	while (i > 0 && types[i - 1] > t) {
		i--;
	}
	if (i > 0 && types[i - 1] == t) {
		return n;
	}
	memmove(types + i + 1, types + i, (n - i) * sizeof(*types));
	types[i] = t;
	return n + 1;
}

size_t signer_node_denial_types(const struct signer_zone *z, const struct signer_node *node,
                                bool nsec3, uint16_t *types)
{
	size_t n = 0;
	if (node->flags & SIGNER_NODE_ENT) {
		return 0;
	}
	if (node->flags & SIGNER_NODE_DELEG) {
		types[n++] = SIGNER_T_NS;
		if (node->flags & SIGNER_NODE_SECURE) {
			types[n++] = SIGNER_T_DS;
			types[n++] = SIGNER_T_RRSIG;
		}
	} else {
		for (uint32_t i = 0; i < node->rr_count; i++) {
			uint16_t t = z->rrs[node->rr_first + i].type;
			if (n == 0 || types[n - 1] != t) {
				types[n++] = t;
			}
		}
		n = insert_sorted(types, n, SIGNER_T_RRSIG);
		if (nsec3 && (node->flags & SIGNER_NODE_APEX)) {
			n = insert_sorted(types, n, SIGNER_T_NSEC3PARAM);
		}
	}
	if (!nsec3) {
		n = insert_sorted(types, n, SIGNER_T_NSEC);
		n = insert_sorted(types, n, SIGNER_T_RRSIG);
	}
	return n;
}
