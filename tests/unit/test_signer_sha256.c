/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 of many small inputs (signer/sha256.c): the direct calls of the
 * provider's functions are taken on this build's OpenSSL and give what
 * EVP_Digest() gives for every length from 0 to 300 bytes (every padding
 * case), in one update and split in pieces, digest after digest on one
 * context, an unfinished digest dropped by the next begin; the same with the
 * EVP calls forced (TLDSIGN_SHA256_EVP=1); a digest that is not SHA-256 and
 * a NULL one are refused.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/sha256.h"
#include "tests/tap/tap.h"

/* Every length 0..300 against EVP_Digest(): whole, then in three pieces, on one context. */
static void test_lengths(struct signer_sha256 *h, const EVP_MD *md, const char *how)
{
	uint8_t in[300];
	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = (uint8_t)(i * 37 + 11);
	}
	bool whole = true, pieces = true;
	for (size_t len = 0; len <= sizeof(in); len++) {
		uint8_t want[EVP_MAX_MD_SIZE], got[SIGNER_SHA256_LEN];
		unsigned int wlen = 0;
		whole &= EVP_Digest(in, len, want, &wlen, md, NULL) == 1 && wlen == SIGNER_SHA256_LEN;
		whole &= signer_sha256_of(h, in, len, got) == TLD_OK && memcmp(want, got, SIGNER_SHA256_LEN) == 0;
		size_t a = len / 3, b = len / 2;
		pieces &= signer_sha256_begin(h) == TLD_OK && signer_sha256_update(h, in, a) == TLD_OK &&
		          signer_sha256_update(h, in + a, b - a) == TLD_OK &&
		          signer_sha256_update(h, in + b, len - b) == TLD_OK && signer_sha256_end(h, got) == TLD_OK &&
		          memcmp(want, got, SIGNER_SHA256_LEN) == 0;
	}
	ok(whole, "sha256 (%s): every length 0..300 in one piece is EVP_Digest's SHA-256", how);
	ok(pieces, "sha256 (%s): every length 0..300 in three pieces is the same", how);

	/* a digest begun and not ended is dropped by the next begin */
	uint8_t want[EVP_MAX_MD_SIZE], got[SIGNER_SHA256_LEN];
	unsigned int wlen = 0;
	EVP_Digest("tail", 4, want, &wlen, md, NULL);
	ok(signer_sha256_begin(h) == TLD_OK && signer_sha256_update(h, in, 200) == TLD_OK &&
	   signer_sha256_of(h, "tail", 4, got) == TLD_OK && memcmp(want, got, SIGNER_SHA256_LEN) == 0,
	   "sha256 (%s): an unfinished digest is dropped by the next one", how);
}

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_WARNING, false);
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD *sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	EVP_MD *sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	if (md == NULL || sha1 == NULL || sha384 == NULL) {
		skip_all("no SHA-256, SHA-1 or SHA-384 from OpenSSL");
	}

	struct signer_sha256 *h = NULL;
	unsetenv("TLDSIGN_SHA256_EVP");
	ok(signer_sha256_new(md, &h) == TLD_OK && h != NULL, "sha256: a context");
	ok(h != NULL && signer_sha256_direct(h), "sha256: the provider's functions are called directly here");
	if (h != NULL) {
		test_lengths(h, md, "direct");
	}
	signer_sha256_free(h);

	h = NULL;
	setenv("TLDSIGN_SHA256_EVP", "1", 1);
	ok(signer_sha256_new(md, &h) == TLD_OK && h != NULL && !signer_sha256_direct(h),
	   "sha256: TLDSIGN_SHA256_EVP=1: the EVP calls");
	if (h != NULL) {
		test_lengths(h, md, "EVP");
	}
	signer_sha256_free(h);
	unsetenv("TLDSIGN_SHA256_EVP");

	struct signer_sha256 *bad = (struct signer_sha256 *)&bad;
	is_int(TLD_ECRYPTO, signer_sha256_new(sha1, &bad), "sha256: SHA-1 is refused");
	ok(bad == NULL, "sha256: no context for it");
	is_int(TLD_ECRYPTO, signer_sha256_new(sha384, &bad), "sha256: SHA-384 is refused");
	is_int(TLD_ECRYPTO, signer_sha256_new(NULL, &bad), "sha256: no digest is refused");
	signer_sha256_free(NULL);
	ok(true, "sha256: freeing NULL is fine");

	EVP_MD_free(md);
	EVP_MD_free(sha1);
	EVP_MD_free(sha384);
	return exit_status();
}
