/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 of many small inputs, one context per thread (signer/sha256.c).
 *
 * OpenSSL 3.0's EVP_DigestInit_ex2() frees the provider's digest context and
 * allocates a new one at every digest -- with a NULL type and through
 * EVP_MD_CTX_copy_ex() from an initialised context too (measured: 225 ns for
 * each of the three forms per 150-byte digest) -- which is about 40 ns of a
 * 100 to 150 ns digest of one node or RRset.  A signer_sha256 keeps one
 * context of the provider that EVP_MD_fetch() chose for the caller's EVP_MD
 * and calls that provider's own digest functions (provider-digest(7):
 * init, update, final) on it, digest after digest: the same implementation
 * of SHA-256, the same bytes out, no allocation per digest.
 *
 * Whenever the provider does not give those functions, or its context does
 * not give SHA-256("abc") of FIPS 180-2 B.1 and what EVP_Digest() gives for
 * a longer input at setup, the EVP calls are used instead (slower, same
 * bytes).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*! Bytes of a SHA-256 digest. */
#define SIGNER_SHA256_LEN 32

/*! One thread's SHA-256 context; opaque. */
struct signer_sha256;

/*!
 * \brief A context for SHA-256 with md (a fetched "SHA256"; the caller keeps
 *        it alive as long as the context).
 * \param[out] out  the caller's: signer_sha256_free()
 * \return TLD_OK, TLD_ENOMEM, TLD_ECRYPTO (md is not SHA-256)
 */
int signer_sha256_new(const EVP_MD *md, struct signer_sha256 **out);

/*! \brief Frees h; NULL is fine. */
void signer_sha256_free(struct signer_sha256 *h);

/*! \brief Starts a digest (any digest in progress is dropped). \return TLD_OK, TLD_ECRYPTO */
int signer_sha256_begin(struct signer_sha256 *h);

/*! \brief Adds len bytes. \return TLD_OK, TLD_ECRYPTO */
int signer_sha256_update(struct signer_sha256 *h, const void *data, size_t len);

/*! \brief Ends the digest into out (32 bytes). \return TLD_OK, TLD_ECRYPTO */
int signer_sha256_end(struct signer_sha256 *h, uint8_t *out);

/*! \brief SHA-256 of one buffer into out (32 bytes). \return TLD_OK, TLD_ECRYPTO */
int signer_sha256_of(struct signer_sha256 *h, const void *data, size_t len, uint8_t *out);

/*! \brief Whether h calls the provider's functions (else the EVP calls); for tests and logs. */
int signer_sha256_direct(const struct signer_sha256 *h);
