/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Key tags (RFC 4034 Appendix B) and DS digests (RFC 4034 5.4, RFC 4509 2.3,
 * RFC 6605 6, RFC 8080 6) against ../shared/vectors: every DNSKEY listed in
 * keytags.tsv, every DS of SHA-256 or SHA-384 in the same files.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "hsm/keys.h"
#include "tests/tap/tap.h"

struct dnskey {
	char owner[256];
	unsigned flags, alg;
	uint8_t rdata[1100];
	size_t len;
};

static size_t b64_decode(const char *in, uint8_t *out, size_t size)
{
	size_t n = strlen(in);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > size) {
		return 0;
	}
	int got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (got < 0) {
		return 0;
	}
	size_t len = (size_t)got;
	if (in[n - 1] == '=') len--;
	if (in[n - 2] == '=') len--;
	return len;
}

/* Reads the DNSKEYs of a vectors file. */
static size_t read_dnskeys(const char *file, struct dnskey *keys, size_t max)
{
	char path[512], line[4096];
	snprintf(path, sizeof(path), "%s/%s", tap_vectors_dir(), file);
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f == NULL) {
		return 0;
	}
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		char owner[256], b64[3000];
		unsigned flags, proto, alg;
		if (sscanf(line, "%255s %*u IN DNSKEY %u %u %u %2999s", owner, &flags, &proto, &alg, b64) != 5) {
			continue;
		}
		uint8_t pub[1024];
		size_t plen = b64_decode(b64, pub, sizeof(pub));
		struct dnskey *k = &keys[n];
		snprintf(k->owner, sizeof(k->owner), "%s", owner);
		k->flags = flags;
		k->alg = alg;
		if (plen > 0 && tld_dnskey_rdata_from_pubkey((uint16_t)flags, (uint8_t)alg, pub, plen,
		                                             k->rdata, sizeof(k->rdata), &k->len) == TLD_OK) {
			n++;
		}
	}
	fclose(f);
	return n;
}

static void test_tags(void)
{
	char path[512], line[1024];
	snprintf(path, sizeof(path), "%s/keytags.tsv", tap_vectors_dir());
	FILE *f = fopen(path, "r");
	if (!ok(f != NULL, "open %s", path)) {
		return;
	}
	size_t rows = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char file[256], owner[256];
		unsigned flags, alg, tag;
		if (line[0] == '#' || sscanf(line, "%255s %255s %u %u %u", file, owner, &flags, &alg, &tag) != 5) {
			continue;
		}
		struct dnskey keys[8];
		size_t n = read_dnskeys(file, keys, 8);
		bool found = false;
		for (size_t i = 0; i < n; i++) {
			if (keys[i].flags == flags && keys[i].alg == alg && strcasecmp(keys[i].owner, owner) == 0 &&
			    tld_keytag(keys[i].rdata, keys[i].len) == tag) {
				found = true;
			}
		}
		ok(found, "key tag %u of %s %s alg %u", tag, file, owner, alg);
		rows++;
	}
	fclose(f);
	ok(rows >= 10, "keytags.tsv has %zu rows", rows);
}

static void test_ds_file(const char *file)
{
	char path[512], line[4096];
	struct dnskey keys[8];
	size_t nkeys = read_dnskeys(file, keys, 8);
	snprintf(path, sizeof(path), "%s/%s", tap_vectors_dir(), file);
	FILE *f = fopen(path, "r");
	if (!ok(f != NULL && nkeys > 0, "%s: %zu DNSKEYs", file, nkeys)) {
		if (f) fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char owner[256], hex[200];
		unsigned tag, alg, dt;
		if (sscanf(line, "%255s %*u IN DS %u %u %u %199s", owner, &tag, &alg, &dt, hex) != 5 ||
		    (dt != 2 && dt != 4)) {
			continue;
		}
		for (size_t i = 0; i < nkeys; i++) {
			if (tld_keytag(keys[i].rdata, keys[i].len) != tag) {
				continue;
			}
			uint8_t ds[64];
			size_t dlen = 0;
			char got[200] = "";
			int ret = tld_ds_from_dnskey(owner, keys[i].rdata, keys[i].len, (uint8_t)dt, ds,
			                             sizeof(ds), &dlen);
			for (size_t j = 4; ret == TLD_OK && j < dlen; j++) {
				sprintf(got + 2 * (j - 4), "%02x", ds[j]);
			}
			ok(ret == TLD_OK && strcasecmp(got, hex) == 0 && ds[2] == alg && ds[3] == dt &&
			   ((ds[0] << 8) | ds[1]) == (int)tag, "%s DS %u %u %u", file, tag, alg, dt);
		}
	}
	fclose(f);
}

int main(void)
{
	plan_lazy();
	/* RFC 4034 Appendix B worked by hand on a tiny RDATA. */
	const uint8_t tiny[] = { 0x01, 0x01, 0x03, 0x08, 0xff, 0xff, 0x01 };
	/* 0x0101 + 0x0308 + 0xffff + 0x0100 = 0x10508; fold the carry: 0x0508 + 1 */
	is_int(0x0509, tld_keytag(tiny, sizeof(tiny)), "carry folded back in");
	test_tags();
	test_ds_file("rfc4034/dskey.zone");
	test_ds_file("rfc6605/p256.zone");
	test_ds_file("rfc6605/p384.zone");
	test_ds_file("rfc8080/ed25519-1.zone");
	test_ds_file("rfc8080/ed25519-2.zone");
	test_ds_file("rfc8080/ed448-1.zone");
	test_ds_file("rfc8080/ed448-2.zone");
	uint8_t wire[300];
	size_t wl;
	is_int(TLD_EINVAL, tld_dname_to_wire("a..b.", wire, sizeof(wire), &wl), "empty label rejected");
	is_int(TLD_OK, tld_dname_to_wire("ExAmple.COM.", wire, sizeof(wire), &wl), "name to wire");
	is_mem("\x07" "example" "\x03" "com", 13, wire, wl, "lower-cased wire form");
	return exit_status();
}
