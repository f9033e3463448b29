/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The apex digest the apex-change guard compares (run/pipeline.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "run/pipeline.h"

/* -- internal API -- */

static int cmp_names(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Hashes s in lower case, then a newline. */
static int hash_name(EVP_MD_CTX *md, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*s);
		if (EVP_DigestUpdate(md, &c, 1) != 1) {
			return TLD_ECRYPTO;
		}
	}
	return EVP_DigestUpdate(md, "\n", 1) == 1 ? TLD_OK : TLD_ECRYPTO;
}

/* -- public API -- */

int tld_run_apex_digest(char *const *ns, size_t ns_count, const char *mname, const char *rname,
                        char hex[65])
{
	int err = TLD_ENOMEM;
	EVP_MD_CTX *md = NULL;
	char **sorted = calloc(ns_count + 1, sizeof(*sorted));
	if (sorted == NULL) {
		goto fail;
	}
	memcpy(sorted, ns, ns_count * sizeof(*sorted));
	qsort(sorted, ns_count, sizeof(*sorted), cmp_names);
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		goto fail;
	}
	err = TLD_ECRYPTO;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		goto fail;
	}
	for (size_t i = 0; i < ns_count; i++) {
		if (hash_name(md, "NS") != TLD_OK || hash_name(md, sorted[i]) != TLD_OK) {
			goto fail;
		}
	}
	if (hash_name(md, "MNAME") != TLD_OK || hash_name(md, mname) != TLD_OK ||
	    hash_name(md, "RNAME") != TLD_OK || hash_name(md, rname) != TLD_OK) {
		goto fail;
	}
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != 32) {
		goto fail;
	}
	for (unsigned i = 0; i < dlen; i++) {
		static const char digits[] = "0123456789abcdef";
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
	err = TLD_OK;
fail:
	EVP_MD_CTX_free(md);
	free(sorted);
	return err;
}
