/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/rrsig.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/dname.h"

uint8_t signer_rrsig_labels(const uint8_t *owner)
{
	unsigned l = signer_dname_labels(owner);
	if (signer_dname_is_wildcard(owner)) {
		l--;
	}
	return (uint8_t)l;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

size_t signer_rrsig_header(const struct signer_rrsig_fields *f, uint8_t *out)
{
	uint8_t *p = out;
	p = put16(p, f->type_covered);
	*p++ = f->algorithm;
	*p++ = f->labels;
	p = put32(p, f->original_ttl);
	p = put32(p, f->expiration);
	p = put32(p, f->inception);
	p = put16(p, f->key_tag);
	size_t sl = signer_dname_len(f->signer, SIGNER_DNAME_MAX);
	memcpy(p, f->signer, sl);
	signer_dname_lower(p);
	return (size_t)(p - out) + sl;
}

int signer_rrsig_message(const struct signer_zone *z, size_t first, size_t count,
                         const struct signer_rrsig_fields *f, uint8_t **out, size_t *out_len)
{
	const struct signer_node *n = &z->nodes[z->rrs[first].node];
	const uint8_t *owner = signer_node_wire(z, n);
	uint8_t owner_c[SIGNER_DNAME_MAX];
	size_t ol = n->wire_len;
	memcpy(owner_c, owner, ol);
	/* owner as signed: "*." + the rightmost Labels labels when fewer than the owner's */
	unsigned have = signer_dname_labels(owner);
	if (f->labels < have) {
		const uint8_t *s = owner;
		for (unsigned i = 0; i < have - f->labels; i++) {
			s += 1 + *s;
		}
		size_t sl = signer_dname_len(s, SIGNER_DNAME_MAX);
		owner_c[0] = 1;
		owner_c[1] = '*';
		memcpy(owner_c + 2, s, sl);
		ol = 2 + sl;
	}
	size_t total = 18 + SIGNER_DNAME_MAX;
	for (size_t i = 0; i < count; i++) {
		total += ol + 10 + z->rrs[first + i].rdlen;
	}
	if (total > 4 * 65536) {
		return TLD_ERANGE;
	}
	uint8_t *buf = malloc(total);
	if (buf == NULL) {
		return TLD_ENOMEM;
	}
	uint8_t *p = buf + signer_rrsig_header(f, buf);
	for (size_t i = 0; i < count; i++) {
		const struct signer_rr *rr = &z->rrs[first + i];
		memcpy(p, owner_c, ol);
		p += ol;
		p = put16(p, rr->type);
		p = put16(p, 1);
		p = put32(p, f->original_ttl);
		p = put16(p, rr->rdlen);
		memcpy(p, signer_rr_rdata(z, rr), rr->rdlen);
		p += rr->rdlen;
	}
	*out = buf;
	*out_len = (size_t)(p - buf);
	return TLD_OK;
}
