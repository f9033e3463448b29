/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The verified-signature cache file (verify/vcache.h): entries, round trip, rejection. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "tests/tap/tap.h"
#include "tests/unit/test_slurp.h"
#include "verify/vcache.h"

static const uint8_t apex[] = { 4, 't', 'e', 's', 't', 0 };
static const uint8_t other[] = { 5, 'o', 't', 'h', 'e', 'r', 0 };

static void entry(EVP_MD_CTX *ctx, const EVP_MD *md, const char *key, const char *sig,
                  const char *data, uint8_t *out)
{
	vfy_vcache_hash(ctx, md, (const uint8_t *)key, strlen(key), (const uint8_t *)sig, strlen(sig),
	                (const uint8_t *)data, strlen(data), out);
}

static void entries_are_sensitive(EVP_MD_CTX *ctx, const EVP_MD *md)
{
	uint8_t a[VFY_VCACHE_HASH], b[VFY_VCACHE_HASH];
	entry(ctx, md, "key", "sig", "data", a);
	entry(ctx, md, "key", "sig", "data", b);
	ok(memcmp(a, b, sizeof(a)) == 0, "entry is a function of its inputs");
	entry(ctx, md, "kex", "sig", "data", b);
	ok(memcmp(a, b, sizeof(a)) != 0, "another key, another entry");
	entry(ctx, md, "key", "sif", "data", b);
	ok(memcmp(a, b, sizeof(a)) != 0, "another signature, another entry");
	entry(ctx, md, "key", "sig", "datb", b);
	ok(memcmp(a, b, sizeof(a)) != 0, "other signed data, another entry");
	/* length prefixes: moving a byte from the key to the signature changes the entry */
	entry(ctx, md, "keys", "ig", "data", b);
	ok(memcmp(a, b, sizeof(a)) != 0, "field boundaries are part of the entry");
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		return -1;
	}
	size_t w = fwrite(buf, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Temporaries of the cache files in dir ("NAME.tmp.XXXXXX"). */
static int temporaries_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		n += strstr(e->d_name, ".vcache.tmp.") != NULL;
	}
	if (d != NULL) {
		closedir(d);
	}
	return n;
}

/*
 * A cache file written ahead (vfy_vcache_ahead_start/_end): in place with
 * the very bytes of vfy_vcache_write_delta() when the checks' entries are
 * the guessed set (in another order, cut otherwise, with a duplicate), and
 * never when they are not (one missing, one more, one other): the target
 * untouched and no temporary left, as after an abort.  want: the file
 * vfy_vcache_write_delta() wrote for the guessed entries.
 */
static void ahead_files(const char *dir, const char *want, const struct vfy_vcache *in, struct vfy_hashvec *dropped,
                        const struct vfy_hashvec *guess)
{
	char path[160];
	struct vfy_vcache_ahead *a = NULL;
	struct vfy_hashvec made[2] = { { 0 }, { 0 } };
	size_t wl = 0, al = 0;
	uint8_t *wb = test_slurp(want, &wl), *ab;
	const uint8_t sentinel[] = "not a cache";

	snprintf(path, sizeof(path), "%s/ahead.vcache", dir);
	/* the checks' entries: the guess backwards over two workers, one twice */
	for (size_t i = guess->n; i-- > 0;) {
		vfy_hashvec_push(&made[i % 2], guess->h + i * VFY_VCACHE_HASH);
	}
	vfy_hashvec_push(&made[1], guess->h);
	is_int(TLD_OK, vfy_vcache_ahead_start(path, apex, sizeof(apex), in, dropped, guess, &a), "ahead: written");
	ok(access(path, F_OK) != 0, "ahead: not in place before its end");
	is_int(1, temporaries_in(dir), "ahead: under a temporary name until then");
	is_int(TLD_OK, vfy_vcache_ahead_end(a, made, 2), "ahead: the same set: in place");
	ab = test_slurp(path, &al);
	ok(wb != NULL && ab != NULL && al == wl && memcmp(ab, wb, wl) == 0,
	   "ahead: the bytes vfy_vcache_write_delta() wrote for the same entries");
	free(ab);
	is_int(0, temporaries_in(dir), "ahead: no temporary left");

	/* other sets: one missing, one more, one other (the same count) */
	for (int k = 0; k < 3; k++) {
		struct vfy_hashvec alt = { 0 };
		uint8_t extra[VFY_VCACHE_HASH];
		memset(extra, 0x5a + k, sizeof(extra));
		for (size_t i = k == 0 ? 1 : 0; i < guess->n; i++) {
			vfy_hashvec_push(&alt, guess->h + i * VFY_VCACHE_HASH);
		}
		if (k == 1) {
			vfy_hashvec_push(&alt, extra);
		} else if (k == 2) {
			memcpy(alt.h + (alt.n - 1) * VFY_VCACHE_HASH, extra, sizeof(extra));
		}
		write_file(path, sentinel, sizeof(sentinel));
		a = NULL;
		is_int(TLD_OK, vfy_vcache_ahead_start(path, apex, sizeof(apex), in, dropped, guess, &a),
		       "ahead %d: written", k);
		is_int(TLD_EAGAIN, vfy_vcache_ahead_end(a, &alt, 1), "ahead %d: another set: refused", k);
		ab = test_slurp(path, &al);
		ok(ab != NULL && al == sizeof(sentinel) && memcmp(ab, sentinel, al) == 0,
		   "ahead %d: the file there untouched", k);
		free(ab);
		is_int(0, temporaries_in(dir), "ahead %d: no temporary left", k);
		vfy_hashvec_clear(&alt);
	}
	a = NULL;
	is_int(TLD_OK, vfy_vcache_ahead_start(path, apex, sizeof(apex), in, dropped, guess, &a), "ahead: written again");
	vfy_vcache_ahead_abort(a);
	vfy_vcache_ahead_abort(NULL);
	is_int(0, temporaries_in(dir), "ahead: aborted: no temporary left");
	/* failures: *out set to NULL (the caller may read it: nothing to end or abort) */
	static const uint8_t long_apex[256];
	static char mark;
	char missing[200];
	a = (struct vfy_vcache_ahead *)(void *)&mark;
	is_int(TLD_EINVAL, vfy_vcache_ahead_start(path, long_apex, sizeof(long_apex), in, dropped, guess, &a),
	       "ahead: an apex longer than a name refused");
	ok(a == NULL, "ahead: refused: *out set to NULL");
	snprintf(missing, sizeof(missing), "%s/no/such/dir.vcache", dir);
	a = (struct vfy_vcache_ahead *)(void *)&mark;
	ok(vfy_vcache_ahead_start(missing, apex, sizeof(apex), in, dropped, guess, &a) != TLD_OK,
	   "ahead: a file that cannot be made refused");
	ok(a == NULL, "ahead: cannot be made: *out set to NULL");
	is_int(0, temporaries_in(dir), "ahead: refused: no temporary left");
	unlink(path);
	free(wb);
	vfy_hashvec_clear(&made[0]);
	vfy_hashvec_clear(&made[1]);
}

int main(void)
{
	char dir[] = "/tmp/test-vcache.XXXXXX", path[128], bad[128];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	struct vfy_hashvec v[2] = { { 0 }, { 0 } };
	struct vfy_vcache *c = NULL;
	uint8_t h[VFY_VCACHE_HASH];

	tld_log_init(TLD_LOG_ERROR, false);
	plan_lazy();
	if (mkdtemp(dir) == NULL || ctx == NULL || md == NULL) {
		skip_all("setup failed");
	}
	snprintf(path, sizeof(path), "%s/signed.zone.vcache", dir);
	snprintf(bad, sizeof(bad), "%s/bad.vcache", dir);
	entries_are_sensitive(ctx, md);

	/* 3000 entries over two workers, one duplicated */
	for (int i = 0; i < 3000; i++) {
		char data[32];
		snprintf(data, sizeof(data), "rrset %d", i);
		entry(ctx, md, "key", "sig", data, h);
		vfy_hashvec_push(&v[i % 2], h);
	}
	vfy_hashvec_push(&v[1], v[0].h);
	is_int(TLD_OK, vfy_vcache_write(path, apex, sizeof(apex), v, 2), "cache written");
	is_int(TLD_ENOENT, vfy_vcache_load("/nonexistent/x.vcache", apex, sizeof(apex), &c),
	       "missing file: TLD_ENOENT");
	is_int(TLD_OK, vfy_vcache_load(path, apex, sizeof(apex), &c), "cache read back");
	is_int(3000, (long long)vfy_vcache_count(c), "3000 entries (duplicate removed)");
	int found = 0;
	for (int i = 0; i < 3000; i++) {
		found += vfy_vcache_has(c, v[i % 2].h + (size_t)(i / 2) * VFY_VCACHE_HASH);
	}
	is_int(3000, found, "every entry found");
	entry(ctx, md, "key", "sig", "rrset 3000", h);
	ok(!vfy_vcache_has(c, h), "an entry never written is not found");
	ok(!vfy_vcache_has(NULL, h), "no cache: nothing found");
	vfy_vcache_free(c);
	c = NULL;
	is_int(TLD_EINVAL, vfy_vcache_load(path, other, sizeof(other), &c),
	       "read for another zone: refused");

	size_t len = 0;
	uint8_t *buf = test_slurp(path, &len);
	ok(len == 33 + sizeof(apex) + 3000 * VFY_VCACHE_HASH + 32, "file size as documented (%zu)", len);
	for (size_t cut = 0; cut < len; cut += len / 7 + 1) {
		write_file(bad, buf, cut);
		is_int(TLD_EINVAL, vfy_vcache_load(bad, apex, sizeof(apex), &c), "truncated at %zu: refused",
		       cut);
	}
	for (size_t pos = 0; pos < len; pos += len / 9 + 1) {
		buf[pos] ^= 0x40;
		write_file(bad, buf, len);
		is_int(TLD_EINVAL, vfy_vcache_load(bad, apex, sizeof(apex), &c),
		       "byte %zu changed: refused", pos);
		buf[pos] ^= 0x40;
	}
	write_file(bad, buf, len);
	is_int(TLD_OK, vfy_vcache_load(bad, apex, sizeof(apex), &c), "restored copy accepted");
	vfy_vcache_free(c);

	struct vfy_hashvec empty = { 0 };
	is_int(TLD_OK, vfy_vcache_write(path, apex, sizeof(apex), &empty, 1), "empty cache written");
	c = NULL;
	is_int(TLD_OK, vfy_vcache_load(path, apex, sizeof(apex), &c), "empty cache read");
	is_int(0, (long long)vfy_vcache_count(c), "no entries");
	vfy_vcache_free(c);

	/* a delta write: the cache read, less the dropped entries, with the new ones */
	struct vfy_hashvec base = { 0 }, dropped = { 0 }, added = { 0 };
	unsigned seed = 11;
	uint8_t all_h[3000][VFY_VCACHE_HASH];
	for (int i = 0; i < 3000; i++) {
		for (int k = 0; k < VFY_VCACHE_HASH; k++) {
			seed = seed * 1103515245u + 12345u;
			all_h[i][k] = (uint8_t)(seed >> 16);
		}
		if (i < 2000) {
			vfy_hashvec_push(&base, all_h[i]); /* entries 0..1999 in the cache */
		}
		if (i % 3 == 0) {
			vfy_hashvec_push(&dropped, all_h[i]); /* some of them dropped, some never there */
		}
		if (i % 7 == 0 && i != 0) {
			vfy_hashvec_push(&dropped, all_h[i]); /* one twice */
		}
		if (i >= 1500 && i % 2 == 0) {
			vfy_hashvec_push(&added, all_h[i]); /* some new, some in the cache already */
		}
		if (i >= 2500 && i % 50 == 0) {
			vfy_hashvec_push(&added, all_h[i]); /* some new ones twice */
		}
	}
	char dpath[160];
	snprintf(dpath, sizeof(dpath), "%s/delta.vcache", dir);
	is_int(TLD_OK, vfy_vcache_write(dpath, apex, sizeof(apex), &base, 1), "delta: the cache before");
	struct vfy_vcache *before = NULL, *after = NULL;
	is_int(TLD_OK, vfy_vcache_load(dpath, apex, sizeof(apex), &before), "delta: read");
	is_int(TLD_OK, vfy_vcache_write_delta(dpath, apex, sizeof(apex), before, &dropped, &added, 1),
	       "delta: written");
	is_int(TLD_OK, vfy_vcache_load(dpath, apex, sizeof(apex), &after), "delta: read back");
	size_t want = 0;
	bool right = after != NULL;
	for (int i = 0; i < 3000 && right; i++) {
		bool in = (i < 2000 && !(i % 3 == 0 || (i % 7 == 0 && i != 0))) || (i >= 1500 && i % 2 == 0);
		want += in;
		right = vfy_vcache_has(after, all_h[i]) == in;
		if (!right) {
			diag("entry %d: %s", i, in ? "missing" : "kept wrongly");
		}
	}
	ok(right && vfy_vcache_count(after) == want, "delta: exactly the entries kept and added (%zu)",
	   want);
	/* byte for byte the file of the same entries written whole */
	struct vfy_hashvec expect = { 0 };
	for (int i = 2999; i >= 0; i--) {
		if ((i < 2000 && !(i % 3 == 0 || (i % 7 == 0 && i != 0))) || (i >= 1500 && i % 2 == 0)) {
			vfy_hashvec_push(&expect, all_h[i]);
		}
	}
	char wpath[160];
	snprintf(wpath, sizeof(wpath), "%s/whole.vcache", dir);
	size_t dl = 0, wl = 0;
	is_int(TLD_OK, vfy_vcache_write(wpath, apex, sizeof(apex), &expect, 1), "delta: the whole write");
	uint8_t *db = test_slurp(dpath, &dl), *wb = test_slurp(wpath, &wl);
	ok(db != NULL && wb != NULL && dl == wl && memcmp(db, wb, dl) == 0,
	   "delta: the same file as the whole write of the same entries");
	free(db);
	free(wb);
	unlink(wpath);
	vfy_hashvec_clear(&expect);
	ahead_files(dir, dpath, before, &dropped, &added);
	vfy_vcache_free(before);
	vfy_vcache_free(after);
	vfy_hashvec_clear(&base);
	vfy_hashvec_clear(&dropped);
	vfy_hashvec_clear(&added);
	unlink(dpath);

	free(buf);
	unlink(path);
	unlink(bad);
	rmdir(dir);
	vfy_hashvec_clear(&v[0]);
	vfy_hashvec_clear(&v[1]);
	EVP_MD_free(md);
	EVP_MD_CTX_free(ctx);
	return exit_status();
}
