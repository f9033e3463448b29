/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test tool: birthday search for two ECDSA P-256 keys whose DNSKEYs (flags
 * 257, algorithm 13) share a key tag.  Generates at most 4000 keys with
 * OpenSSL (a collision is all but certain after ~300; none in 4000 has
 * probability e^-120) and writes the pair as PKCS#8 PEM files, for
 * `softhsm2-util --import` and `tldsign key import` in the tests.
 *
 *   hsm_tag_collision OUT1.pem OUT2.pem     prints the shared tag
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/keys.h"

#define MAX_KEYS 4000

static int write_pem(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");
	int ok = f != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
	if (f != NULL && fclose(f) != 0) {
		ok = 0;
	}
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	static EVP_PKEY *seen[65536];
	int rc = 1;
	if (argc != 3) {
		fprintf(stderr, "usage: %s OUT1.pem OUT2.pem\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < MAX_KEYS; i++) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		uint8_t pt[65], rdata[68];
		size_t plen = 0, rlen = 0;
		if (k == NULL || EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt),
		                                                 &plen) != 1 || plen != 65 ||
		    tld_dnskey_rdata_from_pubkey(257, 13, pt + 1, 64, rdata, sizeof(rdata), &rlen) != 0) {
			fprintf(stderr, "key generation failed\n");
			EVP_PKEY_free(k);
			goto done;
		}
		uint16_t tag = tld_keytag(rdata, rlen);
		if (seen[tag] != NULL) {
			if (write_pem(seen[tag], argv[1]) != 0 || write_pem(k, argv[2]) != 0) {
				fprintf(stderr, "cannot write the PEM files\n");
			} else {
				printf("%u %d\n", tag, i + 1);
				rc = 0;
			}
			EVP_PKEY_free(k);
			goto done;
		}
		seen[tag] = k;
	}
	fprintf(stderr, "no collision in %d keys\n", MAX_KEYS);
done:
	for (size_t t = 0; t < 65536; t++) {
		EVP_PKEY_free(seen[t]);
	}
	return rc;
}
