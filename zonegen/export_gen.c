/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The synthetic export generator (tests/tools/gen-export, tldsign init).
 * A fixed PRNG (splitmix64) and no wall clock: the same options give the
 * same bytes.  About 1 in 200 domains is on clientHold/serverHold; 2-3 NS per
 * domain at out-of-zone providers, or in-zone ns1/ns2 under the domain with
 * IPv4 and IPv6 glue; DS (alg 13, SHA-256) or keyData (one in ten).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "zonegen/export_gen.h"

#define OUT_BUF_SIZE (1u << 18)
#define PROVIDERS 500

/* -- internal API -- */

struct out_file {
	const char *name;
	FILE *f;
	EVP_MD_CTX *md;
	char buf[OUT_BUF_SIZE];
	size_t used;
	uint64_t rows;
	bool failed;
};


static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double rng_unit(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) / 9007199254740992.0;
}

static void out_flush(struct out_file *o)
{
	if (o->used == 0) {
		return;
	}
	if (EVP_DigestUpdate(o->md, o->buf, o->used) != 1 ||
	    fwrite(o->buf, 1, o->used, o->f) != o->used) {
		o->failed = true;
	}
	o->used = 0;
}

static void out_printf(struct out_file *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(struct out_file *o, const char *fmt, ...)
{
	if (OUT_BUF_SIZE - o->used < 1024) {
		out_flush(o);
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, OUT_BUF_SIZE - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= OUT_BUF_SIZE - o->used) {
		o->failed = true;
		return;
	}
	o->used += (size_t)n;
}

static int out_open(struct out_file *o, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o->name = name;
	o->used = 0;
	o->rows = 0;
	o->failed = false;
	o->f = fopen(path, "wb");
	if (o->f == NULL) {
		tld_error("%s: %s", path, strerror(errno));
		return -1;
	}
	o->md = EVP_MD_CTX_new();
	if (o->md == NULL || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
		tld_error("SHA-256 unavailable");
		return -1;
	}
	return 0;
}

/* Flushes and closes; writes the manifest entry. */
static int out_close(struct out_file *o, FILE *manifest)
{
	unsigned char digest[32];
	unsigned int dlen = 0;
	out_flush(o);
	int ret = 0;
	if (o->failed || EVP_DigestFinal_ex(o->md, digest, &dlen) != 1 || fclose(o->f) != 0) {
		tld_error("writing %s failed", o->name);
		ret = -1;
	}
	EVP_MD_CTX_free(o->md);
	if (ret == 0) {
		fprintf(manifest, "  %s:\n    rows: %" PRIu64 "\n    sha256: ", o->name, o->rows);
		for (unsigned i = 0; i < dlen; i++) {
			fprintf(manifest, "%02x", digest[i]);
		}
		fprintf(manifest, "\n");
	}
	return ret;
}

static void random_hex(uint64_t *rng, char *dst, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < bytes; i++) {
		unsigned v = (unsigned)(rng_next(rng) & 0xff);
		dst[2 * i] = hex[v >> 4];
		dst[2 * i + 1] = hex[v & 15];
	}
	dst[2 * bytes] = '\0';
}

static void random_base64(uint64_t *rng, char *dst, size_t bytes)
{
	unsigned char raw[256];
	for (size_t i = 0; i < bytes; i++) {
		raw[i] = (unsigned char)(rng_next(rng) & 0xff);
	}
	EVP_EncodeBlock((unsigned char *)dst, raw, (int)bytes);
}

/* Domain label: 3-10 random letters followed by the decimal index (unique). */
static void make_label(uint64_t *rng, char *dst, size_t size, uint64_t index)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	unsigned len = 3 + (unsigned)(rng_next(rng) % 8);
	char prefix[16];
	for (unsigned i = 0; i < len; i++) {
		prefix[i] = letters[rng_next(rng) % 26];
	}
	prefix[len] = '\0';
	snprintf(dst, size, "%s%" PRIu64, prefix, index);
}

static const char *pick_status(uint64_t *rng, bool *held)
{
	uint64_t r = rng_next(rng) % 1000;
	*held = false;
	if (r < 3) {
		*held = true;
		return "clientHold";
	}
	if (r < 5) {
		*held = true;
		return "serverHold clientTransferProhibited";
	}
	if (r < 300) {
		return "clientTransferProhibited";
	}
	if (r < 330) {
		return "clientDeleteProhibited clientTransferProhibited clientUpdateProhibited";
	}
	return "ok";
}

/* -- public API -- */

int tld_export_generate(const struct tld_export_gen *opts, const char *dir)
{
	char tld[256];
	size_t tl = opts->tld ? strlen(opts->tld) : 0;
	if (tl == 0 || tl >= sizeof(tld) || opts->ds_share < 0 || opts->ds_share > 1 ||
	    opts->glue_share < 0 || opts->glue_share > 1 || opts->exported_at == NULL) {
		return TLD_EINVAL;
	}
	memcpy(tld, opts->tld, tl + 1);
	if (tld[tl - 1] == '.') {
		tld[--tl] = '\0';
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		tld_error("%s: %s", dir, strerror(errno));
		return tld_errno(errno);
	}
	enum { DOM, NS, HOSTS, DS, KEYS, NFILES };
	static const char *const names[NFILES] = { "domains.csv", "nameservers.csv", "hosts.csv",
		                                   "ds.csv", "dnskeys.csv" };
	static const char *const headers[NFILES] = {
		"name,statuses\n", "domain,host\n", "host,address\n",
		"domain,key_tag,algorithm,digest_type,digest\n",
		"domain,flags,protocol,algorithm,public_key\n",
	};
	struct out_file *out = calloc(NFILES, sizeof(*out));
	if (out == NULL) {
		return TLD_ENOMEM;
	}
	int ret = TLD_EIO;
	int opened = 0;
	for (; opened < NFILES; opened++) {
		if (out_open(&out[opened], dir, names[opened]) != 0) {
			goto fail;
		}
		out_printf(&out[opened], "%s", headers[opened]);
	}
	struct out_file *dom = &out[DOM], *ns = &out[NS], *hosts = &out[HOSTS], *ds = &out[DS],
	                *keys = &out[KEYS];
	uint64_t state = opts->seed * 0x2545F4914F6CDD1DULL + 1;
	uint64_t *rng = &state;
	char label[64], hex[129], b64[128];
	for (uint64_t i = 0; i < opts->delegations; i++) {
		make_label(rng, label, sizeof(label), i);
		bool held;
		const char *status = pick_status(rng, &held);
		out_printf(dom, "%s.%s,%s\n", label, tld, status);
		dom->rows++;

		if (rng_unit(rng) < opts->glue_share) {
			uint64_t a = rng_next(rng);
			out_printf(ns, "%s.%s,ns1.%s.%s\n", label, tld, label, tld);
			out_printf(ns, "%s.%s,ns2.%s.%s\n", label, tld, label, tld);
			ns->rows += 2;
			out_printf(hosts, "ns1.%s.%s,%u.%u.%u.%u\n", label, tld, 10u,
			           (unsigned)(a >> 8 & 255), (unsigned)(a >> 16 & 255),
			           (unsigned)(a >> 24 & 254) + 1);
			out_printf(hosts, "ns1.%s.%s,2001:db8:%x:%x::53\n", label, tld,
			           (unsigned)(a >> 32 & 0xffff), (unsigned)(a >> 48 & 0xffff));
			out_printf(hosts, "ns2.%s.%s,192.0.2.%u\n", label, tld, (unsigned)(a & 127) + 1);
			hosts->rows += 3;
		} else {
			unsigned count = 2 + (unsigned)(rng_next(rng) % 2);
			unsigned p = (unsigned)(rng_next(rng) % PROVIDERS);
			for (unsigned k = 0; k < count; k++) {
				out_printf(ns, "%s.%s,ns%u.provider%u.net\n", label, tld, k + 1, p);
				ns->rows++;
			}
		}

		if (rng_unit(rng) < opts->ds_share) {
			if (rng_next(rng) % 10 == 0) {
				random_base64(rng, b64, 64);
				out_printf(keys, "%s.%s,257,3,13,%s\n", label, tld, b64);
				keys->rows++;
			} else {
				unsigned tag = (unsigned)(rng_next(rng) & 0xffff);
				random_hex(rng, hex, 32);
				out_printf(ds, "%s.%s,%u,13,2,%s\n", label, tld, tag, hex);
				ds->rows++;
			}
		}
	}

	char mpath[4096];
	snprintf(mpath, sizeof(mpath), "%s/manifest.yaml", dir);
	FILE *m = fopen(mpath, "wb");
	if (m == NULL) {
		tld_error("%s: %s", mpath, strerror(errno));
		goto fail;
	}
	fprintf(m, "format: 1\ntld: %s.\nexported_at: \"%s\"\nfiles:\n", tld, opts->exported_at);
	int bad = 0;
	for (; opened > 0; opened--) {
		bad |= out_close(&out[NFILES - opened], m);
	}
	if (fclose(m) != 0 || bad != 0) {
		tld_error("writing %s failed", mpath);
		goto fail;
	}
	ret = TLD_OK;
fail:
	for (int i = 0; i < opened; i++) {
		fclose(out[i].f);
		EVP_MD_CTX_free(out[i].md);
	}
	free(out);
	return ret;
}
