/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "zonegen/ds.h"

size_t tld_ds_digest_len(uint8_t digest_type)
{
	switch (digest_type) {
	case 1:
		return 20;
	case 2:
		return 32;
	case 3:
		return 32;
	case 4:
		return 48;
	default:
		return 0;
	}
}

uint16_t tld_zg_keytag(const uint8_t *rdata, size_t len)
{
	if (len >= 4 && rdata[3] == 1) {
		/* RFC 4034 B.1: algorithm 1, the most significant 16 of the last 24 bits */
		if (len < 5) {
			return 0;
		}
		return (uint16_t)((rdata[len - 3] << 8) | rdata[len - 2]);
	}
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++) {
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	}
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

int tld_zg_ds_from_dnskey(const uint8_t *owner_wire, size_t owner_len, const uint8_t *rdata,
                       size_t rdata_len, uint8_t digest_type, struct tld_ds *out)
{
	const EVP_MD *md;
	if (digest_type == 2) {
		md = EVP_sha256();
	} else if (digest_type == 4) {
		md = EVP_sha384();
	} else {
		return TLD_EINVAL;
	}
	if (rdata_len < 4) {
		return TLD_EINVAL;
	}
	int ret = TLD_ECRYPTO;
	unsigned int dlen = 0;
	struct tld_ds ds = { 0 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		return TLD_ENOMEM;
	}
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, owner_wire, owner_len) != 1 ||
	    EVP_DigestUpdate(ctx, rdata, rdata_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, ds.digest, &dlen) != 1) {
		goto fail;
	}
	ds.key_tag = tld_zg_keytag(rdata, rdata_len);
	ds.algorithm = rdata[3];
	ds.digest_type = digest_type;
	ds.digest_len = (uint8_t)dlen;
	*out = ds;
	ret = TLD_OK;
fail:
	EVP_MD_CTX_free(ctx);
	return ret;
}

size_t tld_name_to_wire(const char *name, uint8_t *wire)
{
	size_t w = 0;
	const char *p = name;
	if (p[0] == '.' && p[1] == '\0') {
		wire[0] = 0;
		return 1;
	}
	while (*p != '\0') {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 63 || w + l + 2 > 255) {
			return 0;
		}
		wire[w++] = (uint8_t)l;
		memcpy(wire + w, p, l);
		w += l;
		p += l;
		if (*p == '.') {
			p++;
		}
	}
	wire[w++] = 0;
	return w;
}
