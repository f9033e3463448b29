/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DS checks and keyData -> DS against the RFC vectors (RFC 6605 P-256 with
 * SHA-256, P-384 with SHA-384, RFC 8080 Ed25519; RFC 4034 key tags), and the
 * keyData rejection paths through zonegen.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "tests/unit/zonegen_fixture.h"
#include "zonegen/ds.h"

/* Reads "owner TTL IN DNSKEY flags proto alg KEY" and "... DS tag alg type HEX" of a vector. */
static int read_vector(const char *file, char *owner, char *dnskey_b64, unsigned *flags,
                       unsigned *alg, unsigned *tag, unsigned *dtype, char *hex)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tap_vectors_dir(), file);
	size_t len;
	char *text = tap_read_file(path, &len);
	if (text == NULL) {
		return -1;
	}
	int found = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned proto;
		if (sscanf(line, "%255s %*u IN DNSKEY %u %u %u %1023s", owner, flags, &proto, alg,
		           dnskey_b64) == 5) {
			found |= 1;
		} else if (sscanf(line, "%*s %*u IN DS %u %*u %u %127s", tag, dtype, hex) == 3) {
			found |= 2;
		}
		if (found == 3) {
			break;
		}
	}
	free(text);
	return found == 3 ? 0 : -1;
}

static void check_vector(const char *file)
{
	char owner[256], b64[1024], hex[128];
	unsigned flags, alg, tag, dtype;
	if (read_vector(file, owner, b64, &flags, &alg, &tag, &dtype, hex) != 0) {
		skip("vector %s not readable", file);
		return;
	}
	uint8_t rdata[1024];
	int n = EVP_DecodeBlock(rdata + 4, (const unsigned char *)b64, (int)strlen(b64));
	size_t l = strlen(b64);
	n -= (l > 0 && b64[l - 1] == '=') + (l > 1 && b64[l - 2] == '=');
	rdata[0] = (uint8_t)(flags >> 8);
	rdata[1] = (uint8_t)flags;
	rdata[2] = 3;
	rdata[3] = (uint8_t)alg;
	is_int(tag, tld_zg_keytag(rdata, 4 + (size_t)n), "%s: key tag %u", file, tag);
	if (dtype != 2 && dtype != 4) {
		return; /* keyData -> DS uses SHA-256 or SHA-384 only */
	}
	uint8_t wire[256];
	size_t wl = tld_name_to_wire(owner, wire);
	struct tld_ds ds;
	is_int(TLD_OK, tld_zg_ds_from_dnskey(wire, wl, rdata, 4 + (size_t)n, (uint8_t)dtype, &ds),
	       "%s: DS computed", file);
	char got[128];
	for (unsigned i = 0; i < ds.digest_len; i++) {
		snprintf(got + 2 * i, 3, "%02x", ds.digest[i]);
	}
	for (char *p = hex; *p; p++) {
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	}
	is_str(hex, got, "%s: DS digest type %u matches the RFC", file, dtype);
}

static char tmpdir[] = "/tmp/test_zonegen_ds.XXXXXX";

static char *zone_for(const char *dnskeys, enum tld_digest digest, struct tld_zonegen **zg)
{
	static int seq;
	static char dir[512];
	snprintf(dir, sizeof(dir), "%s/e%d", tmpdir, seq++);
	const struct fx_file files[] = {
		{ "domains.csv", "name,statuses\nexample.net,ok\n" },
		{ "nameservers.csv", "domain,host\nexample.net,ns1.example.org\n" },
		{ "dnskeys.csv", dnskeys },
	};
	fx_export(dir, files, 3, "2026-11-21T10:00:00Z", "net.");
	static struct tld_config cfg;
	fx_config(&cfg, dir);
	cfg.zone = "net.";
	cfg.zonegen.keydata_digest = digest;
	int ret;
	return fx_zone(&cfg, zg, &ret);
}

int main(void)
{
	plan_lazy();
	is_int(20, tld_ds_digest_len(1), "SHA-1 digest 20 octets");
	is_int(32, tld_ds_digest_len(2), "SHA-256 digest 32 octets");
	is_int(32, tld_ds_digest_len(3), "GOST digest 32 octets");
	is_int(48, tld_ds_digest_len(4), "SHA-384 digest 48 octets");
	is_int(0, tld_ds_digest_len(5), "unknown digest type");

	check_vector("rfc6605/p256.zone");
	check_vector("rfc6605/p384.zone");
	check_vector("rfc8080/ed25519-1.zone");
	check_vector("rfc4034/dskey.zone");
	check_vector("rfc8080/ed25519-2.zone");

	tld_time_t now;
	tld_time_parse("2026-11-21T10:00:00Z", &now);
	tld_clock_pin(now);
	if (mkdtemp(tmpdir) == NULL) {
		return exit_status();
	}
	static const char p256[] =
		"domain,flags,protocol,algorithm,public_key\n"
		"example.net,257,3,13,GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
		"e+MAnLr+Wi9xMWyQLc8NAA==\n";
	struct tld_zonegen *zg = NULL;
	char *zone = zone_for(p256, TLD_DIGEST_SHA256, &zg);
	ok(zone && strstr(zone, "example.net.\t86400\tIN\tDS\t55648 13 2 "
	                        "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17\n"),
	   "keyData -> DS with SHA-256 (RFC 6605 vector)");
	ok(zg && tld_zonegen_stats(zg)->ds_from_keydata == 1, "counted as from keyData");
	free(zone);
	tld_zonegen_free(zg);
	zone = zone_for(p256, TLD_DIGEST_SHA384, &zg);
	ok(zone && strstr(zone, "DS\t55648 13 4 ") != NULL, "keydata-digest sha384 honoured");
	free(zone);
	tld_zonegen_free(zg);

	static const struct {
		const char *row;
		const char *why;
	} bad[] = {
		{ "example.net,256,3,13,AAAA\n", NULL }, /* ZSK flags: fine (zone bit set) */
		{ "example.net,1,3,13,AAAA\n", "Zone Key bit" },
		{ "example.net,385,3,13,AAAA\n", "revoked" },
		{ "example.net,257,2,13,AAAA\n", "protocol" },
		{ "example.net,257,3,5,AAAA\n", "not allowed" },
		{ "example.net,257,3,13,not*base64\n", "base64" },
		{ "example.net,257,3,13,AAA\n", "base64" },
		{ "example.net,257,3,x,AAAA\n", "0..255" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "domain,flags,protocol,algorithm,public_key\n%s", bad[i].row);
		zone = zone_for(text, TLD_DIGEST_SHA256, &zg);
		const struct tld_zonegen_stats *s = zg ? tld_zonegen_stats(zg) : NULL;
		if (bad[i].why == NULL) {
			ok(s && s->bad_rows == 0 && s->ds_records == 1, "keyData '%.*s' accepted",
			   (int)strlen(bad[i].row) - 1, bad[i].row);
		} else {
			char rpath[600];
			snprintf(rpath, sizeof(rpath), "%s/r.json", tmpdir);
			tld_zonegen_write_report(zg, rpath);
			size_t len;
			char *rep = tap_read_file(rpath, &len);
			ok(s && s->bad_rows == 1 && s->ds_records == 0 && rep &&
			   strstr(rep, "dnskeys.csv:2: ") && strstr(rep, bad[i].why),
			   "keyData '%.*s' rejected (%s)", (int)strlen(bad[i].row) - 1, bad[i].row,
			   bad[i].why);
			free(rep);
		}
		ok(zone && strstr(zone, "example.net.\t172800\tIN\tNS\tns1.example.org.") != NULL,
		   "the delegation stays published");
		free(zone);
		tld_zonegen_free(zg);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		diag("cleanup failed");
	}
	return exit_status();
}
