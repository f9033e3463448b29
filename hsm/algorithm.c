/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hsm/algorithm.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hsm/p11.h"

/* DigestInfo prefixes, RFC 8017 section 9.2 note 1. */
static const uint8_t DI_SHA256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t DI_SHA512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };
/* Curve OIDs: prime256v1, secp384r1, id-Ed25519, id-Ed448. */
static const uint8_t OID_P256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t OID_P384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t OID_ED25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t OID_ED448[] = { 0x06, 0x03, 0x2b, 0x65, 0x71 };

static const struct tld_alg_info ALGS[] = {
	{ 8, "rsasha256", TLD_KIND_RSA, "SHA256", DI_SHA256, sizeof(DI_SHA256), NULL, 0, 0, 0,
	  1024, 4096, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS },
	{ 10, "rsasha512", TLD_KIND_RSA, "SHA512", DI_SHA512, sizeof(DI_SHA512), NULL, 0, 0, 0,
	  1024, 4096, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS },
	{ 13, "ecdsap256sha256", TLD_KIND_EC, "SHA256", NULL, 0, OID_P256, sizeof(OID_P256), 64, 64,
	  0, 0, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA },
	{ 14, "ecdsap384sha384", TLD_KIND_EC, "SHA384", NULL, 0, OID_P384, sizeof(OID_P384), 96, 96,
	  0, 0, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA },
	{ 15, "ed25519", TLD_KIND_EDDSA, NULL, NULL, 0, OID_ED25519, sizeof(OID_ED25519), 32, 64,
	  0, 0, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA },
	{ 16, "ed448", TLD_KIND_EDDSA, NULL, NULL, 0, OID_ED448, sizeof(OID_ED448), 57, 114,
	  0, 0, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA },
};

const struct tld_alg_info *tld_alg_info(int alg)
{
	for (size_t i = 0; i < sizeof(ALGS) / sizeof(ALGS[0]); i++) {
		if (ALGS[i].number == alg) {
			return &ALGS[i];
		}
	}
	return NULL;
}

const struct tld_alg_info *tld_alg_info_parse(const char *text)
{
	if (text == NULL || *text == '\0') {
		return NULL;
	}
	char *end = NULL;
	long n = strtol(text, &end, 10);
	if (*end == '\0') {
		return (n > 0 && n < 256) ? tld_alg_info((int)n) : NULL;
	}
	for (size_t i = 0; i < sizeof(ALGS) / sizeof(ALGS[0]); i++) {
		if (strcasecmp(ALGS[i].name, text) == 0) {
			return &ALGS[i];
		}
	}
	return NULL;
}
