/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 of many small inputs; see signer/sha256.h.
 *
 * What the direct calls rely on: md was fetched by EVP_MD_fetch(), so
 * EVP_MD_get0_provider() is the provider whose implementation EVP itself
 * would call, and OSSL_PROVIDER_query_operation() gives that provider's
 * digest implementations with their dispatch tables (the functions EVP calls
 * through, provider-digest(7)).  The implementation taken is the one whose
 * names EVP_MD_is_a() accepts for md; its context is made once and
 * re-initialised for every digest (OSSL_FUNC_digest_init resets it, as EVP
 * does after allocating it).  Setup checks the context against FIPS 180-2's
 * SHA-256("abc") and against EVP_Digest() over a 1000-byte input, split in
 * updates; any difference, any missing function: the EVP calls.
 * TLDSIGN_SHA256_EVP=1 forces the EVP calls (tests).
 */
#include "signer/sha256.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/provider.h>

#include "common/error.h"

struct signer_sha256 {
	EVP_MD_CTX *evp;                   /* the EVP calls, or NULL: the provider's */
	const EVP_MD *md;
	void *pctx;                        /* the provider's digest context */
	OSSL_FUNC_digest_init_fn *init;
	OSSL_FUNC_digest_update_fn *update;
	OSSL_FUNC_digest_final_fn *final;
	OSSL_FUNC_digest_freectx_fn *freectx;
};

/* -- internal API -- */

/* Whether one of the ':'-separated names is a name of md. */
static bool names_md(const char *names, const EVP_MD *md)
{
	char name[128];
	while (names != NULL && *names != '\0') {
		const char *end = strchr(names, ':');
		size_t len = end != NULL ? (size_t)(end - names) : strlen(names);
		if (len < sizeof(name)) {
			memcpy(name, names, len);
			name[len] = '\0';
			if (EVP_MD_is_a(md, name)) {
				return true;
			}
		}
		names = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* The provider's functions and a context of them into h; false when any is missing. */
static bool take_provider(struct signer_sha256 *h)
{
	const OSSL_PROVIDER *prov = EVP_MD_get0_provider(h->md);
	if (prov == NULL) {
		return false;
	}
	int no_store = 0;
	const OSSL_ALGORITHM *algs = OSSL_PROVIDER_query_operation(prov, OSSL_OP_DIGEST, &no_store);
	OSSL_FUNC_digest_newctx_fn *newctx = NULL;
	for (const OSSL_ALGORITHM *a = algs; a != NULL && a->algorithm_names != NULL; a++) {
		if (!names_md(a->algorithm_names, h->md)) {
			continue;
		}
		for (const OSSL_DISPATCH *d = a->implementation; d != NULL && d->function_id != 0; d++) {
			switch (d->function_id) {
			case OSSL_FUNC_DIGEST_NEWCTX:
				newctx = OSSL_FUNC_digest_newctx(d);
				break;
			case OSSL_FUNC_DIGEST_INIT:
				h->init = OSSL_FUNC_digest_init(d);
				break;
			case OSSL_FUNC_DIGEST_UPDATE:
				h->update = OSSL_FUNC_digest_update(d);
				break;
			case OSSL_FUNC_DIGEST_FINAL:
				h->final = OSSL_FUNC_digest_final(d);
				break;
			case OSSL_FUNC_DIGEST_FREECTX:
				h->freectx = OSSL_FUNC_digest_freectx(d);
				break;
			default:
				break;
			}
		}
		break;
	}
	if (algs != NULL) {
		OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_DIGEST, algs);
	}
	if (newctx == NULL || h->init == NULL || h->update == NULL || h->final == NULL || h->freectx == NULL) {
		return false;
	}
	h->pctx = newctx(OSSL_PROVIDER_get0_provider_ctx(prov));
	return h->pctx != NULL;
}

/* Whether h (direct) gives what FIPS 180-2 and EVP_Digest() give. */
static bool known_answers(struct signer_sha256 *h)
{
	static const uint8_t abc[SIGNER_SHA256_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t in[1000], want[EVP_MAX_MD_SIZE], got[SIGNER_SHA256_LEN];
	unsigned int wlen = 0;
	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = (uint8_t)(i * 131 + 7);
	}
	if (signer_sha256_of(h, "abc", 3, got) != TLD_OK || memcmp(got, abc, sizeof(abc)) != 0) {
		return false;
	}
	if (EVP_Digest(in, sizeof(in), want, &wlen, h->md, NULL) != 1 || wlen != SIGNER_SHA256_LEN) {
		return false;
	}
	/* twice: a context used before starts again from nothing */
	for (int round = 0; round < 2; round++) {
		if (signer_sha256_begin(h) != TLD_OK || signer_sha256_update(h, in, 1) != TLD_OK ||
		    signer_sha256_update(h, in + 1, 500) != TLD_OK || signer_sha256_update(h, in + 501, 499) != TLD_OK ||
		    signer_sha256_end(h, got) != TLD_OK || memcmp(got, want, SIGNER_SHA256_LEN) != 0) {
			return false;
		}
	}
	return true;
}

static void drop_provider(struct signer_sha256 *h)
{
	if (h->pctx != NULL) {
		h->freectx(h->pctx);
	}
	h->pctx = NULL;
}

/* -- public API -- */

int signer_sha256_new(const EVP_MD *md, struct signer_sha256 **out)
{
	*out = NULL;
	if (md == NULL || EVP_MD_get_size(md) != SIGNER_SHA256_LEN || !EVP_MD_is_a(md, "SHA2-256")) {
		return TLD_ECRYPTO;
	}
	struct signer_sha256 *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return TLD_ENOMEM;
	}
	h->md = md;
	const char *env = getenv("TLDSIGN_SHA256_EVP");
	bool direct = (env == NULL || strcmp(env, "1") != 0) && take_provider(h);
	if (direct && !known_answers(h)) {
		drop_provider(h);
	}
	if (h->pctx == NULL && (h->evp = EVP_MD_CTX_new()) == NULL) {
		free(h);
		return TLD_ENOMEM;
	}
	*out = h;
	return TLD_OK;
}

void signer_sha256_free(struct signer_sha256 *h)
{
	if (h == NULL) {
		return;
	}
	drop_provider(h);
	EVP_MD_CTX_free(h->evp);
	free(h);
}

int signer_sha256_begin(struct signer_sha256 *h)
{
	if (h->evp != NULL) {
		return EVP_DigestInit_ex2(h->evp, h->md, NULL) == 1 ? TLD_OK : TLD_ECRYPTO;
	}
	return h->init(h->pctx, NULL) == 1 ? TLD_OK : TLD_ECRYPTO;
}

int signer_sha256_update(struct signer_sha256 *h, const void *data, size_t len)
{
	if (len == 0) {
		return TLD_OK;
	}
	if (h->evp != NULL) {
		return EVP_DigestUpdate(h->evp, data, len) == 1 ? TLD_OK : TLD_ECRYPTO;
	}
	return h->update(h->pctx, data, len) == 1 ? TLD_OK : TLD_ECRYPTO;
}

int signer_sha256_end(struct signer_sha256 *h, uint8_t *out)
{
	if (h->evp != NULL) {
		unsigned int len = 0;
		return EVP_DigestFinal_ex(h->evp, out, &len) == 1 && len == SIGNER_SHA256_LEN ? TLD_OK : TLD_ECRYPTO;
	}
	size_t len = 0;
	return h->final(h->pctx, out, &len, SIGNER_SHA256_LEN) == 1 && len == SIGNER_SHA256_LEN ? TLD_OK
	                                                                                      : TLD_ECRYPTO;
}

int signer_sha256_of(struct signer_sha256 *h, const void *data, size_t len, uint8_t *out)
{
	int ret = signer_sha256_begin(h);
	if (ret == TLD_OK) {
		ret = signer_sha256_update(h, data, len);
	}
	return ret == TLD_OK ? signer_sha256_end(h, out) : ret;
}

int signer_sha256_direct(const struct signer_sha256 *h)
{
	return h->evp == NULL;
}
