/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gen-export: writes a synthetic registry export (DESIGN.md section 4) for
 * tests and benchmarks.
 *
 *   gen-export --delegations N [--ds-share 0.1] [--glue-share 0.1] [--seed S]
 *              [--tld test.] [--exported-at TIME] -o DIR
 *
 * Output is byte-identical for the same arguments: a fixed PRNG (splitmix64),
 * no wall clock (exported_at defaults to a fixed instant, see below).
 * Contents: domains.csv (about 1 in 200 on clientHold/serverHold), 2-3 NS per
 * domain (out-of-zone providers, or in-zone ns1/ns2 under the domain itself
 * with IPv4 and IPv6 glue for --glue-share of them), ds.csv (dsData, alg 13,
 * SHA-256) for --ds-share of them, one in ten of those as keyData in
 * dnskeys.csv instead, and manifest.yaml with row counts and SHA-256.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#define DEFAULT_EXPORTED_AT "2026-11-21T00:00:00Z"
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

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
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
		fprintf(stderr, "gen-export: %s: %s\n", path, strerror(errno));
		return -1;
	}
	o->md = EVP_MD_CTX_new();
	if (o->md == NULL || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "gen-export: SHA-256 unavailable\n");
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
		fprintf(stderr, "gen-export: writing %s failed\n", o->name);
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

static void random_hex(char *dst, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < bytes; i++) {
		unsigned v = (unsigned)(rng_next() & 0xff);
		dst[2 * i] = hex[v >> 4];
		dst[2 * i + 1] = hex[v & 15];
	}
	dst[2 * bytes] = '\0';
}

static void random_base64(char *dst, size_t bytes)
{
	unsigned char raw[256];
	for (size_t i = 0; i < bytes; i++) {
		raw[i] = (unsigned char)(rng_next() & 0xff);
	}
	EVP_EncodeBlock((unsigned char *)dst, raw, (int)bytes);
}

/* Domain label: 3-10 random letters followed by the decimal index (unique). */
static void make_label(char *dst, size_t size, uint64_t index)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	unsigned len = 3 + (unsigned)(rng_next() % 8);
	char prefix[16];
	for (unsigned i = 0; i < len; i++) {
		prefix[i] = letters[rng_next() % 26];
	}
	prefix[len] = '\0';
	snprintf(dst, size, "%s%" PRIu64, prefix, index);
}

static const char *pick_status(bool *held)
{
	uint64_t r = rng_next() % 1000;
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

static void usage(void)
{
	fprintf(stderr,
	        "usage: gen-export --delegations N [--ds-share F] [--glue-share F] [--seed S]\n"
	        "                  [--tld NAME] [--exported-at TIME] -o DIR\n");
}

static int parse_share(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || v < 0 || v > 1) {
		return -1;
	}
	*out = v;
	return 0;
}

/* -- main -- */

int main(int argc, char **argv)
{
	uint64_t n = 0, seed = 1;
	double ds_share = 0.1, glue_share = 0.1;
	const char *tld_arg = "test.";
	const char *exported_at = DEFAULT_EXPORTED_AT;
	const char *dir = NULL;
	static const struct option opts[] = {
		{ "delegations", required_argument, NULL, 'n' },
		{ "ds-share", required_argument, NULL, 'd' },
		{ "glue-share", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 's' },
		{ "tld", required_argument, NULL, 't' },
		{ "exported-at", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'n':
			n = strtoull(optarg, &end, 10);
			if (*end != '\0') {
				usage();
				return 2;
			}
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*end != '\0') {
				usage();
				return 2;
			}
			break;
		case 'd':
			if (parse_share(optarg, &ds_share) != 0) {
				usage();
				return 2;
			}
			break;
		case 'g':
			if (parse_share(optarg, &glue_share) != 0) {
				usage();
				return 2;
			}
			break;
		case 't':
			tld_arg = optarg;
			break;
		case 'e':
			exported_at = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (dir == NULL || optind != argc || n == 0) {
		usage();
		return 2;
	}
	/* the TLD without its trailing dot, lower case */
	char tld[256];
	size_t tl = strlen(tld_arg);
	if (tl == 0 || tl >= sizeof(tld)) {
		usage();
		return 2;
	}
	memcpy(tld, tld_arg, tl + 1);
	if (tld[tl - 1] == '.') {
		tld[--tl] = '\0';
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "gen-export: %s: %s\n", dir, strerror(errno));
		return 1;
	}

	static struct out_file dom, ns, hosts, ds, keys;
	if (out_open(&dom, dir, "domains.csv") != 0 || out_open(&ns, dir, "nameservers.csv") != 0 ||
	    out_open(&hosts, dir, "hosts.csv") != 0 || out_open(&ds, dir, "ds.csv") != 0 ||
	    out_open(&keys, dir, "dnskeys.csv") != 0) {
		return 1;
	}
	out_printf(&dom, "name,statuses\n");
	out_printf(&ns, "domain,host\n");
	out_printf(&hosts, "host,address\n");
	out_printf(&ds, "domain,key_tag,algorithm,digest_type,digest\n");
	out_printf(&keys, "domain,flags,protocol,algorithm,public_key\n");

	rng_state = seed * 0x2545F4914F6CDD1DULL + 1;
	char label[64], hex[129], b64[128];
	for (uint64_t i = 0; i < n; i++) {
		make_label(label, sizeof(label), i);
		bool held;
		const char *status = pick_status(&held);
		out_printf(&dom, "%s.%s,%s\n", label, tld, status);
		dom.rows++;

		if (rng_unit() < glue_share) {
			uint64_t a = rng_next();
			out_printf(&ns, "%s.%s,ns1.%s.%s\n", label, tld, label, tld);
			out_printf(&ns, "%s.%s,ns2.%s.%s\n", label, tld, label, tld);
			ns.rows += 2;
			out_printf(&hosts, "ns1.%s.%s,%u.%u.%u.%u\n", label, tld, 10u,
			           (unsigned)(a >> 8 & 255), (unsigned)(a >> 16 & 255),
			           (unsigned)(a >> 24 & 254) + 1);
			out_printf(&hosts, "ns1.%s.%s,2001:db8:%x:%x::53\n", label, tld,
			           (unsigned)(a >> 32 & 0xffff), (unsigned)(a >> 48 & 0xffff));
			out_printf(&hosts, "ns2.%s.%s,192.0.2.%u\n", label, tld,
			           (unsigned)(a & 127) + 1);
			hosts.rows += 3;
		} else {
			unsigned count = 2 + (unsigned)(rng_next() % 2);
			unsigned p = (unsigned)(rng_next() % PROVIDERS);
			for (unsigned k = 0; k < count; k++) {
				out_printf(&ns, "%s.%s,ns%u.provider%u.net\n", label, tld, k + 1, p);
				ns.rows++;
			}
		}

		if (rng_unit() < ds_share) {
			if (rng_next() % 10 == 0) {
				random_base64(b64, 64);
				out_printf(&keys, "%s.%s,257,3,13,%s\n", label, tld, b64);
				keys.rows++;
			} else {
				unsigned tag = (unsigned)(rng_next() & 0xffff);
				random_hex(hex, 32);
				out_printf(&ds, "%s.%s,%u,13,2,%s\n", label, tld, tag, hex);
				ds.rows++;
			}
		}
	}

	char mpath[4096];
	snprintf(mpath, sizeof(mpath), "%s/manifest.yaml", dir);
	FILE *m = fopen(mpath, "wb");
	if (m == NULL) {
		fprintf(stderr, "gen-export: %s: %s\n", mpath, strerror(errno));
		return 1;
	}
	fprintf(m, "format: 1\ntld: %s.\nexported_at: \"%s\"\nfiles:\n", tld, exported_at);
	int ret = 0;
	ret |= out_close(&dom, m);
	ret |= out_close(&ns, m);
	ret |= out_close(&hosts, m);
	ret |= out_close(&ds, m);
	ret |= out_close(&keys, m);
	if (fclose(m) != 0 || ret != 0) {
		fprintf(stderr, "gen-export: writing %s failed\n", mpath);
		return 1;
	}
	return 0;
}
