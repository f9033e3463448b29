/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state's tag of its zone file (verify/filemac.h): GMAC, AES-256, 128-bit tag. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "verify/filemac.h"

int main(void)
{
	struct vfy_filemac m, m2;
	uint8_t tag[VFY_FILEMAC_TAG], tag2[VFY_FILEMAC_TAG];
	size_t len = (1u << 25) + 77; /* more than one piece fed to OpenSSL */
	uint8_t *text = malloc(len);

	plan_lazy();
	if (text == NULL) {
		ok(0, "memory");
		return exit_status();
	}
	for (size_t i = 0; i < len; i++) {
		text[i] = (uint8_t)(i * 131 + (i >> 9));
	}

	/* a known answer: GMAC is AES-GCM with everything as additional data */
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < VFY_FILEMAC_KEY; i++) {
		m.key[i] = (uint8_t)i;
	}
	for (int i = 0; i < VFY_FILEMAC_IV; i++) {
		m.iv[i] = (uint8_t)(0xa0 + i);
	}
	is_int(TLD_OK, vfy_filemac_tag(&m, text, 1000, tag), "a tag");
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;
	uint8_t ref[16];
	ok(c != NULL && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, m.key, m.iv) == 1 &&
	   EVP_EncryptUpdate(c, NULL, &outl, text, 1000) == 1 &&
	   EVP_EncryptFinal_ex(c, ref, &outl) == 1 &&
	   EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, ref) == 1 && memcmp(ref, tag, 16) == 0,
	   "the tag is AES-256-GCM's over the text as additional data");
	EVP_CIPHER_CTX_free(c);

	is_int(TLD_OK, vfy_filemac_new_key(&m), "a fresh key");
	is_int(TLD_OK, vfy_filemac_new_key(&m2), "another fresh key");
	ok(memcmp(m.key, m2.key, sizeof(m.key)) != 0 && memcmp(m.iv, m2.iv, sizeof(m.iv)) != 0,
	   "fresh keys and IVs differ");
	is_int(TLD_OK, vfy_filemac_tag(&m, text, len, m.tag), "a large text's tag");
	ok(vfy_filemac_check(&m, text, len), "the same bytes: the tag matches");
	is_int(TLD_OK, vfy_filemac_tag(&m, text, len, tag2), "again");
	ok(memcmp(m.tag, tag2, sizeof(tag2)) == 0, "the tag is a function of key, IV and bytes");
	memcpy(m2.tag, m.tag, sizeof(m.tag));
	ok(!vfy_filemac_check(&m2, text, len), "another key: no match");

	size_t at[] = { 0, 15, 16, 1u << 24, (1u << 24) + 1, len - 1 };
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		text[at[k]] ^= 0x01;
		ok(!vfy_filemac_check(&m, text, len), "one bit changed at %zu: no match", at[k]);
		text[at[k]] ^= 0x01;
	}
	ok(!vfy_filemac_check(&m, text, len - 1), "one byte shorter: no match");
	ok(!vfy_filemac_check(&m, text, 0), "empty: no match");
	ok(vfy_filemac_check(&m, text, len), "restored: the tag matches again");
	memset(tag, 0x55, sizeof(tag));
	is_int(TLD_OK, vfy_filemac_tag(&m, text, 0, tag), "an empty text has a tag");
	m.tag[0] ^= 1;
	ok(!vfy_filemac_check(&m, text, len), "a changed tag: no match");
	free(text);
	return exit_status();
}
