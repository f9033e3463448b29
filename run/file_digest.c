/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SHA-256 of a file, hex (run/pipeline.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "run/pipeline.h"

/* -- public API -- */

int tld_run_file_digest(const char *path, char hex[65])
{
	unsigned char buf[1 << 16];
	int err = TLD_ECRYPTO;
	EVP_MD_CTX *md = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		tld_error("%s: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		err = TLD_ENOMEM;
		goto fail;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		goto fail;
	}
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (EVP_DigestUpdate(md, buf, n) != 1) {
			goto fail;
		}
	}
	if (ferror(f)) {
		tld_error("%s: read error", path);
		err = TLD_EIO;
		goto fail;
	}
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != 32) {
		goto fail;
	}
	for (unsigned i = 0; i < dlen; i++) {
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	}
	err = TLD_OK;
fail:
	EVP_MD_CTX_free(md);
	fclose(f);
	return err;
}
