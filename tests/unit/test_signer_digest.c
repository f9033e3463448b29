/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Node digests and the unsigned hash (signer/sign_digest.c): the documented
 * input of a node digest (checked against SHA-256 taken here, with RDATA and
 * nodes larger than the packing buffer), the digests of all nodes (on
 * threads, in parts) equal to each taken alone, and the unsigned hash
 * changing with every record no RRSIG covers -- delegation NS, glue, in the
 * first part or a later one -- and with nothing else.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/keys.h"
#include "signer/dname.h"
#include "signer/sign_internal.h"
#include "signer/zone.h"
#include "signer/zone_read.h"
#include "tests/tap/tap.h"

static char tmpdir[] = "/tmp/test_signer_digest.XXXXXX";

/* A built zone from text; NULL on failure. */
static struct signer_zone *load(const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/z.zone", tmpdir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		return NULL;
	}
	fputs(text, fp);
	fclose(fp);
	struct signer_zone *z = NULL;
	if (signer_zone_read(path, NULL, &z) != TLD_OK) {
		return NULL;
	}
	if (signer_zone_build(z) != TLD_OK) {
		signer_zone_free(z);
		return NULL;
	}
	return z;
}

/* The node digests and unsigned hash of a zone's text. */
struct digests {
	bool ok;
	size_t nnodes;
	uint8_t *node;  /* SIGN_NODE_DIGEST per node */
	uint8_t unsigned_hash[32];
};

static struct digests digests_of(const char *text)
{
	struct digests d = { 0 };
	struct sign_run run;
	memset(&run, 0, sizeof(run));
	run.z = load(text);
	run.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (run.z != NULL && run.sha256 != NULL && sign_node_digests(&run) == TLD_OK) {
		d.ok = true;
		d.nnodes = run.z->nnodes;
		d.node = run.node_digest;
		memcpy(d.unsigned_hash, run.unsigned_hash, 32);
	} else {
		free(run.node_digest);
	}
	signer_zone_free(run.z);
	EVP_MD_free(run.sha256);
	return d;
}

/* Index of the node of a presentation name, or SIZE_MAX. */
static size_t node_of(const struct signer_zone *z, const char *name)
{
	uint8_t wire[SIGNER_DNAME_MAX];
	size_t len = 0;
	if (tld_dname_to_wire(name, wire, sizeof(wire), &len) != TLD_OK) {
		return SIZE_MAX;
	}
	uint32_t i = signer_zone_find(z, wire);
	return i == UINT32_MAX ? SIZE_MAX : i;
}

/* SHA-256 over the documented input of node i, taken here field by field. */
static void expected_digest(const struct signer_zone *z, size_t i, uint8_t *out)
{
	const struct signer_node *n = &z->nodes[i];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint32_t head[4] = { SIGN_TEXT_FORMAT_VERSION, 0xffffffffu, n->flags, n->rr_count };
	unsigned int len = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, head, sizeof(head));
	EVP_DigestUpdate(md, signer_node_wire(z, n), n->wire_len);
	for (uint32_t r = 0; r < n->rr_count; r++) {
		const struct signer_rr *rr = &z->rrs[n->rr_first + r];
		uint32_t rh[2] = { (uint32_t)rr->type << 16 | rr->rdlen, rr->ttl };
		EVP_DigestUpdate(md, rh, sizeof(rh));
		EVP_DigestUpdate(md, signer_rr_rdata(z, rr), rr->rdlen);
	}
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

#define HEAD "$ORIGIN test.\n$TTL 3600\n@ SOA ns1.nic hostmaster.nic 7 1800 900 1209600 3600\n" \
             "@ NS ns1.nic\nns1.nic A 192.0.2.1\n"

/* A TXT RDATA of n bytes of character strings (255 each). */
static void add_txt(char *buf, size_t cap, const char *owner, size_t n)
{
	size_t at = strlen(buf);
	at += (size_t)snprintf(buf + at, cap - at, "%s TXT", owner);
	for (size_t done = 0; done < n && at + 300 < cap; done += 256) {
		buf[at++] = ' ';
		buf[at++] = '"';
		for (size_t k = 0; k < 255; k++) {
			buf[at++] = (char)('a' + (done + k) % 26);
		}
		buf[at++] = '"';
	}
	buf[at++] = '\n';
	buf[at] = '\0';
}

static void test_encoding(void)
{
	static char text[65536];
	snprintf(text, sizeof(text), "%s", HEAD "d 172800 NS ns.d\nns.d 172800 A 198.51.100.1\n"
	                                        "s 86400 DS 1 13 2 00112233445566778899001122334455667788990011223344"
	                                        "55667788990011\ns 172800 NS ns.example.net.\n");
	add_txt(text, sizeof(text), "big", 6000);  /* one RDATA past the packing buffer */
	for (int k = 0; k < 40; k++) {            /* many records past it together */
		size_t at = strlen(text);
		snprintf(text + at, sizeof(text) - at, "many TXT \"%0120d\"\n", k);
	}
	struct signer_zone *z = load(text);
	struct sign_run run;
	memset(&run, 0, sizeof(run));
	run.z = z;
	run.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	ok(z != NULL && sign_node_digests(&run) == TLD_OK, "digest: a small zone's node digests");
	if (z == NULL || run.node_digest == NULL) {
		EVP_MD_free(run.sha256);
		signer_zone_free(z);
		return;
	}
	struct sign_packer *pk = malloc(sizeof(*pk));
	pk->md = NULL;
	ok(signer_sha256_new(run.sha256, &pk->md) == TLD_OK, "digest: a SHA-256 context");
	bool all_stored = true, all_documented = true;
	for (size_t i = 0; i < z->nnodes; i++) {
		uint8_t want[32], got[32];
		expected_digest(z, i, want);
		all_documented &= sign_node_digest(z, i, pk, got) == TLD_OK && memcmp(want, got, 32) == 0;
		all_stored &= memcmp(run.node_digest + i * SIGN_NODE_DIGEST, want, SIGN_NODE_DIGEST) == 0;
	}
	ok(all_documented, "digest: each node digest is SHA-256 over the documented input (%zu nodes)", z->nnodes);
	ok(all_stored, "digest: the stored digests are their first %d bytes", SIGN_NODE_DIGEST);
	size_t big = node_of(z, "big.test."), many = node_of(z, "many.test.");
	ok(big != SIZE_MAX && z->rrs[z->nodes[big].rr_first].rdlen > 4096 && many != SIZE_MAX &&
	   z->nodes[many].rr_count == 40, "digest: an RDATA and a node larger than the packing buffer are there");
	/* the same zone again: the same digests */
	struct digests a = digests_of(text), b = digests_of(text);
	ok(a.ok && b.ok && a.nnodes == b.nnodes && memcmp(a.node, b.node, a.nnodes * SIGN_NODE_DIGEST) == 0 &&
	   memcmp(a.unsigned_hash, b.unsigned_hash, 32) == 0, "digest: the same zone, the same digests");
	free(a.node);
	free(b.node);
	signer_sha256_free(pk->md);
	free(pk);
	free(run.node_digest);
	EVP_MD_free(run.sha256);
	signer_zone_free(z);
}

/*
 * A zone of n delegations (glue under every fifth, DS under every seventh, a
 * TXT at every 100th) with one change at delegation at (which must have
 * what is changed).
 */
enum change { NONE, DELEG_NS, GLUE, TXT, DS, TTL_GLUE };

static char *big_zone(size_t n, enum change what, size_t at)
{
	size_t cap = n * 200 + 4096, len = 0;
	char *t = malloc(cap);
	len += (size_t)snprintf(t + len, cap - len, "%s", HEAD);
	for (size_t i = 0; i < n; i++) {
		bool here = i == at;
		len += (size_t)snprintf(t + len, cap - len, "d%06zu 172800 NS ns%s.d%06zu\n", i,
		                        here && what == DELEG_NS ? "x" : "", i);
		if (i % 5 == 0) {
			len += (size_t)snprintf(t + len, cap - len, "ns.d%06zu %d A 198.51.100.%d\n", i,
			                        here && what == TTL_GLUE ? 600 : 172800, here && what == GLUE ? 2 : 1);
		}
		if (i % 7 == 0) {
			len += (size_t)snprintf(t + len, cap - len, "d%06zu 86400 DS %d 13 2 0011223344556677889900112233"
			                        "445566778899001122334455667788990011\n", i, here && what == DS ? 2 : 1);
		}
		if (i % 100 == 0) {
			len += (size_t)snprintf(t + len, cap - len, "t%06zu TXT \"%s\"\n", i, here && what == TXT ? "b" : "a");
		}
	}
	return t;
}

static void test_unsigned_hash(void)
{
	/* 3 parts of SIGN_DIGEST_PART nodes: changes in the first and the last */
	size_t n = SIGN_DIGEST_PART * 2 + 5000;
	char *base = big_zone(n, NONE, 0);
	struct digests d0 = digests_of(base);
	ok(d0.ok && d0.nnodes > 2 * SIGN_DIGEST_PART, "unsigned hash: %zu nodes in %zu parts", d0.nnodes,
	   (d0.nnodes + SIGN_DIGEST_PART - 1) / SIGN_DIGEST_PART);
	static const struct {
		enum change what;
		size_t at;
		bool unsigned_changes;
		const char *name;
	} cases[] = {
		{ DELEG_NS, 10, true, "a delegation's NS, first part" },
		{ DELEG_NS, SIGN_DIGEST_PART * 2 + 4000, true, "a delegation's NS, last part" },
		{ GLUE, 5, true, "a glue address" },
		{ GLUE, SIGN_DIGEST_PART + 3001, true, "a glue address, second part" },
		{ TTL_GLUE, 20, true, "a glue TTL" },
		{ DS, 14, true, "a DS (covered with its delegation)" },
		{ TXT, 200, false, "an authoritative TXT" },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *t = big_zone(n, cases[c].what, cases[c].at);
		struct digests d = digests_of(t);
		size_t differ = 0;
		for (size_t i = 0; d.ok && d0.ok && d.nnodes == d0.nnodes && i < d.nnodes; i++) {
			differ += memcmp(d.node + i * SIGN_NODE_DIGEST, d0.node + i * SIGN_NODE_DIGEST, SIGN_NODE_DIGEST) != 0;
		}
		ok(d.ok && d.nnodes == d0.nnodes && differ == 1, "%s: one node digest differs (%zu)", cases[c].name, differ);
		ok(d.ok && (memcmp(d.unsigned_hash, d0.unsigned_hash, 32) != 0) == cases[c].unsigned_changes,
		   "%s: the unsigned hash %s", cases[c].name, cases[c].unsigned_changes ? "changes" : "stays");
		free(d.node);
		free(t);
	}
	free(d0.node);
	free(base);
}

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_WARNING, false);
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("no temporary directory");
	}
	test_encoding();
	test_unsigned_hash();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0) {
		diag("could not remove %s", tmpdir);
	}
	return exit_status();
}
