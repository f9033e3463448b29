/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state's tag of its zone file (verify/filemac.h): GMAC with AES-256. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "verify/filemac.h"

/* fed in pieces so that no length overflows an int inside a provider */
#define PIECE ((size_t)1 << 24)

int vfy_filemac_new_key(struct vfy_filemac *m)
{
	memset(m->tag, 0, sizeof(m->tag));
	return RAND_priv_bytes(m->key, sizeof(m->key)) == 1 && RAND_bytes(m->iv, sizeof(m->iv)) == 1
	               ? TLD_OK
	               : TLD_ECRYPTO;
}

int vfy_filemac_tag(const struct vfy_filemac *m, const void *text, size_t len, uint8_t *tag)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "GMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-256-GCM", 0),
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_IV, (void *)m->iv, sizeof(m->iv)),
		OSSL_PARAM_construct_end(),
	};
	const uint8_t *p = text;
	size_t out = 0;
	bool ok = ctx != NULL && EVP_MAC_init(ctx, m->key, sizeof(m->key), params) == 1;

	for (size_t off = 0; ok && off < len; off += PIECE) {
		ok = EVP_MAC_update(ctx, p + off, len - off < PIECE ? len - off : PIECE) == 1;
	}
	ok = ok && EVP_MAC_final(ctx, tag, &out, VFY_FILEMAC_TAG) == 1 && out == VFY_FILEMAC_TAG;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok) {
		memset(tag, 0, VFY_FILEMAC_TAG);
	}
	return ok ? TLD_OK : TLD_ECRYPTO;
}

bool vfy_filemac_check(const struct vfy_filemac *m, const void *text, size_t len)
{
	uint8_t tag[VFY_FILEMAC_TAG];
	return vfy_filemac_tag(m, text, len, tag) == TLD_OK &&
	       CRYPTO_memcmp(tag, m->tag, sizeof(tag)) == 0;
}
