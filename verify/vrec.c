/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RDATA of the types the verifier reads, parsed from canonical wire form. */
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Length of an uncompressed wire name at p (max bytes), 0 if malformed. */
static size_t name_len(const uint8_t *p, size_t max)
{
	size_t n = 0;
	while (n < max && p[n] != 0) {
		if (p[n] > 63) {
			return 0;
		}
		n += 1u + p[n];
	}
	return n < max && n + 1 <= 255 ? n + 1 : 0;
}

ldns_rr *vfy_rec_to_ldns(const struct vfy_rec *r)
{
	ldns_rr *rr = NULL;
	size_t pos = 0;
	if (ldns_wire2rr(&rr, r->wire, r->wire_len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
		return NULL;
	}
	return rr;
}

int vfy_parse_rrsig(const uint8_t *rd, size_t len, struct vfy_rrsig *out)
{
	if (len < 19) {
		return TLD_EINVAL;
	}
	size_t sl = name_len(rd + 18, len - 18);
	if (sl == 0) {
		return TLD_EINVAL;
	}
	out->covered = get16(rd);
	out->alg = rd[2];
	out->labels = rd[3];
	out->orig_ttl = get32(rd + 4);
	out->expiration = get32(rd + 8);
	out->inception = get32(rd + 12);
	out->tag = get16(rd + 16);
	out->signer = rd + 18;
	out->signer_len = sl;
	out->sig = rd + 18 + sl;
	out->sig_len = len - 18 - sl;
	return TLD_OK;
}

int vfy_parse_nsec3param(const uint8_t *rd, size_t len, struct vfy_nsec3_rdata *out)
{
	if (len < 5 || len < 5u + rd[4]) {
		return TLD_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->alg = rd[0];
	out->flags = rd[1];
	out->iterations = get16(rd + 2);
	out->salt_len = rd[4];
	out->salt = rd + 5;
	return TLD_OK;
}

int vfy_parse_nsec3(const uint8_t *rd, size_t len, struct vfy_nsec3_rdata *out)
{
	if (vfy_parse_nsec3param(rd, len, out) != TLD_OK) {
		return TLD_EINVAL;
	}
	size_t p = 5u + out->salt_len;
	if (p >= len || rd[p] == 0 || p + 1 + rd[p] > len) {
		return TLD_EINVAL;
	}
	out->next_len = rd[p];
	out->next = rd + p + 1;
	p += 1u + rd[p];
	out->bitmap = rd + p;
	out->bitmap_len = len - p;
	return TLD_OK;
}

int vfy_parse_nsec(const uint8_t *rd, size_t len, const uint8_t **next, size_t *next_len,
                   const uint8_t **bitmap, size_t *bitmap_len)
{
	size_t nl = name_len(rd, len);
	if (nl == 0) {
		return TLD_EINVAL;
	}
	*next = rd;
	*next_len = nl;
	*bitmap = rd + nl;
	*bitmap_len = len - nl;
	return TLD_OK;
}

int vfy_parse_dnskey(const uint8_t *rd, size_t len, uint16_t *flags, uint8_t *alg,
                     const uint8_t **key, size_t *key_len)
{
	if (len < 5) {
		return TLD_EINVAL;
	}
	*flags = get16(rd);
	*alg = rd[3];
	*key = rd + 4;
	*key_len = len - 4;
	return TLD_OK;
}

int vfy_rdata_check(uint16_t type, const uint8_t *rd, size_t len)
{
	struct vfy_rrsig sig;
	struct vfy_nsec3_rdata n3;
	const uint8_t *a, *b;
	size_t al, bl;
	uint16_t f;
	uint8_t alg;

	switch (type) {
	case LDNS_RR_TYPE_SOA: {
		size_t m = name_len(rd, len);
		size_t r = m ? name_len(rd + m, len - m) : 0;
		return m && r && m + r + 20 == len ? TLD_OK : TLD_EINVAL;
	}
	case LDNS_RR_TYPE_RRSIG:
		return vfy_parse_rrsig(rd, len, &sig);
	case LDNS_RR_TYPE_NSEC3:
		return vfy_parse_nsec3(rd, len, &n3);
	case LDNS_RR_TYPE_NSEC3PARAM:
		return vfy_parse_nsec3param(rd, len, &n3) == TLD_OK && len == 5u + n3.salt_len
		               ? TLD_OK : TLD_EINVAL;
	case LDNS_RR_TYPE_NSEC:
		return vfy_parse_nsec(rd, len, &a, &al, &b, &bl);
	case LDNS_RR_TYPE_DNSKEY:
		return vfy_parse_dnskey(rd, len, &f, &alg, &a, &al);
	case LDNS_RR_TYPE_DS:
		return len > 4 ? TLD_OK : TLD_EINVAL;
	default:
		return TLD_OK;
	}
}

uint16_t vfy_keytag(const uint8_t *rd, size_t len)
{
	uint32_t ac = 0;
	if (len > 3 && rd[3] == LDNS_RSAMD5) {
		return len >= 4 ? get16(rd + len - 3) : 0;
	}
	for (size_t i = 0; i < len; i++) {
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	}
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}
