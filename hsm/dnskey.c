/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DNSKEY RDATA, key tags and DS records. */
#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

#include "common/error.h"
#include "hsm/keys.h"

int tld_dnskey_rdata_from_pubkey(uint16_t flags, uint8_t algorithm, const uint8_t *pubkey,
                                 size_t pubkey_len, uint8_t *rdata, size_t size, size_t *len)
{
	if (pubkey_len + 4 > size) {
		return TLD_ERANGE;
	}
	rdata[0] = (uint8_t)(flags >> 8);
	rdata[1] = (uint8_t)flags;
	rdata[2] = 3;
	rdata[3] = algorithm;
	memcpy(rdata + 4, pubkey, pubkey_len);
	*len = pubkey_len + 4;
	return TLD_OK;
}

uint16_t tld_keytag(const uint8_t *rdata, size_t len)
{
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++) {
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	}
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

int tld_dname_to_wire(const char *name, uint8_t *wire, size_t size, size_t *len)
{
	size_t o = 0;
	const char *p = name;
	if (strcmp(name, ".") == 0 || *name == '\0') {
		if (size < 1) {
			return TLD_EINVAL;
		}
		wire[0] = 0;
		*len = 1;
		return TLD_OK;
	}
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || o + 1 + l + 1 > size || o + 1 + l + 1 > 255) {
			return TLD_EINVAL;
		}
		wire[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			wire[o++] = (uint8_t)tolower((unsigned char)p[i]);
		}
		p += l;
		if (*p == '.') {
			p++;
		}
	}
	wire[o++] = 0;
	*len = o;
	return TLD_OK;
}

int tld_ds_from_dnskey(const char *owner, const uint8_t *rdata, size_t len, uint8_t digest_type,
                       uint8_t *out, size_t size, size_t *out_len)
{
	uint8_t wire[256];
	size_t wlen = 0;
	const EVP_MD *md = digest_type == 2 ? EVP_sha256() : digest_type == 4 ? EVP_sha384() : NULL;
	if (md == NULL || len < 4 || tld_dname_to_wire(owner, wire, sizeof(wire), &wlen) != TLD_OK) {
		return TLD_EINVAL;
	}
	size_t dlen = (size_t)EVP_MD_get_size(md);
	if (size < 4 + dlen) {
		return TLD_ERANGE;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int got = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	         EVP_DigestUpdate(ctx, wire, wlen) == 1 && EVP_DigestUpdate(ctx, rdata, len) == 1 &&
	         EVP_DigestFinal_ex(ctx, out + 4, &got) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		return TLD_ECRYPTO;
	}
	uint16_t tag = tld_keytag(rdata, len);
	out[0] = (uint8_t)(tag >> 8);
	out[1] = (uint8_t)tag;
	out[2] = rdata[3];
	out[3] = digest_type;
	*out_len = 4 + got;
	return TLD_OK;
}
