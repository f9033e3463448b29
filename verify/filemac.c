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

int vfy_filemac_begin(struct vfy_filemac_stream *s, const struct vfy_filemac *m)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "GMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-256-GCM", 0),
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_IV, (void *)m->iv, sizeof(m->iv)),
		OSSL_PARAM_construct_end(),
	};

	s->mac = mac;
	s->ctx = ctx;
	s->bad = ctx == NULL || EVP_MAC_init(ctx, m->key, sizeof(m->key), params) != 1;
	if (s->bad) {
		vfy_filemac_end(s, NULL);
		return TLD_ECRYPTO;
	}
	return TLD_OK;
}

void vfy_filemac_add(struct vfy_filemac_stream *s, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t off = 0; !s->bad && off < len; off += PIECE) {
		s->bad = EVP_MAC_update(s->ctx, b + off, len - off < PIECE ? len - off : PIECE) != 1;
	}
}

int vfy_filemac_end(struct vfy_filemac_stream *s, uint8_t *tag)
{
	size_t out = 0;
	bool ok = !s->bad && tag != NULL && s->ctx != NULL &&
	          EVP_MAC_final(s->ctx, tag, &out, VFY_FILEMAC_TAG) == 1 && out == VFY_FILEMAC_TAG;
	EVP_MAC_CTX_free(s->ctx);
	EVP_MAC_free(s->mac);
	s->ctx = s->mac = NULL;
	s->bad = true;
	if (!ok && tag != NULL) {
		memset(tag, 0, VFY_FILEMAC_TAG);
	}
	return ok ? TLD_OK : TLD_ECRYPTO;
}

int vfy_filemac_tag(const struct vfy_filemac *m, const void *text, size_t len, uint8_t *tag)
{
	struct vfy_filemac_stream s;
	if (vfy_filemac_begin(&s, m) != TLD_OK) {
		memset(tag, 0, VFY_FILEMAC_TAG);
		return TLD_ECRYPTO;
	}
	vfy_filemac_add(&s, text, len);
	return vfy_filemac_end(&s, tag);
}

bool vfy_filemac_check(const struct vfy_filemac *m, const void *text, size_t len)
{
	uint8_t tag[VFY_FILEMAC_TAG];
	return vfy_filemac_tag(m, text, len, tag) == TLD_OK &&
	       CRYPTO_memcmp(tag, m->tag, sizeof(tag)) == 0;
}
