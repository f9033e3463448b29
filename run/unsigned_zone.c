/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * STATE_DIR/unsigned.zone, written once with its SHA-256 computed on the way
 * (run/unsigned.h).  The file is for operators and `tldsign sign`: the run's
 * own signer gets the zone in memory, and every run rebuilds the file from
 * the export, so it is renamed into place without fsync; a crash leaves the
 * previous file or the new one, and the next run rewrites it either way.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "zonegen/zonegen.h"

/* A FILE that hashes what passes through it into the file underneath. */
struct tee {
	FILE *under;
	EVP_MD_CTX *md;
	int err;                   /* errno of the first failed write */
};

static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
	struct tee *t = cookie;
	if (EVP_DigestUpdate(t->md, buf, size) != 1) {
		t->err = EIO;
		errno = EIO;
		return -1;
	}
	if (fwrite(buf, 1, size, t->under) != size) {
		t->err = errno ? errno : EIO;
		errno = t->err;
		return -1;
	}
	return (ssize_t)size;
}

/* Writes the zone through the tee into under; returns TLD_OK or the failure. */
static int write_through(const struct tld_zonegen *zg, struct tee *t)
{
	cookie_io_functions_t io = { .write = tee_write };
	FILE *f = fopencookie(t, "w", io);
	if (f == NULL) {
		return TLD_ENOMEM;
	}
	errno = 0;
	int err = tld_zonegen_write_alone(zg, f); /* beside the run: one core at most */
	int e = errno;
	if (fclose(f) != 0 && err == TLD_OK) {
		err = TLD_EIO;
		e = errno;
	}
	if (err != TLD_OK && (t->err != 0 || e != 0)) {
		err = tld_errno(t->err != 0 ? t->err : e); /* ENOSPC, EDQUOT, ... */
	}
	return err;
}

/* -- public API -- */

int tld_run_write_unsigned(const struct tld_zonegen *zg, const char *path, char hex[65])
{
	size_t len = strlen(path) + sizeof(".tmp.XXXXXX");
	char *tmp = malloc(len);
	struct tee t = { 0 };
	int fd = -1, err = TLD_ENOMEM;
	bool created = false;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	if (tmp == NULL || (t.md = EVP_MD_CTX_new()) == NULL) {
		goto fail;
	}
	snprintf(tmp, len, "%s.tmp.XXXXXX", path); /* swept by the next run if this one dies */
	if ((fd = mkstemp(tmp)) >= 0) {
		created = true;
	}
	if (fd < 0 || fchmod(fd, 0644) != 0) {
		err = tld_errno(errno);
		tld_error("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if ((t.under = fdopen(fd, "w")) == NULL) {
		err = tld_errno(errno);
		goto fail;
	}
	fd = -1;
	if (EVP_DigestInit_ex(t.md, EVP_sha256(), NULL) != 1) {
		err = TLD_ECRYPTO;
		goto fail;
	}
	if ((err = write_through(zg, &t)) != TLD_OK) {
		goto fail;
	}
	FILE *under = t.under;
	t.under = NULL;
	if (fclose(under) != 0) {
		err = tld_errno(errno);
		goto fail;
	}
	if (EVP_DigestFinal_ex(t.md, d, &dlen) != 1 || dlen != 32) {
		err = TLD_ECRYPTO;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		err = tld_errno(errno);
		tld_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < dlen; i++) {
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	}
	EVP_MD_CTX_free(t.md);
	free(tmp);
	return TLD_OK;
fail:
	if (t.under != NULL) {
		fclose(t.under);
	}
	if (fd >= 0) {
		close(fd);
	}
	if (created) {
		(void)unlink(tmp);
	}
	if (err != TLD_ENOMEM && err != TLD_ECRYPTO) {
		tld_error("%s: writing the unsigned zone failed: %s", path, tld_strerror(err));
	}
	EVP_MD_CTX_free(t.md);
	free(tmp);
	return err;
}
