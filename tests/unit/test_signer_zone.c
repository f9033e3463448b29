/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone model: canonical order (RFC 4034 section 6.1), empty non-terminals,
 * node flags, and every content rejection, each with a malformed zone.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/zone.h"
#include "signer/zone_read.h"
#include "tests/tap/tap.h"
#include "tests/unit/signer_zone_same.h"

static char tmpdir[] = "/tmp/test_signer_zone.XXXXXX";

static int load_text(const char *text, struct signer_zone **out)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/z.zone", tmpdir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		return TLD_EIO;
	}
	fputs(text, fp);
	fclose(fp);
	struct signer_zone *z = NULL;
	int ret = signer_zone_read(path, NULL, &z);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = signer_zone_build(z);
	if (ret != TLD_OK) {
		signer_zone_free(z);
		return ret;
	}
	*out = z;
	return TLD_OK;
}

#define HEAD "$ORIGIN example.\n$TTL 3600\n@ SOA ns1 h 1 2 3 4 300\n@ NS ns1\nns1 A 192.0.2.1\n"

static void test_canonical_order(void)
{
	/* RFC 4034 section 6.1, in canonical order */
	const char *names[] = { "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
	                        "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
	                        "\\200.z.example." };
	uint8_t prev[SIGNER_KEY_MAX];
	size_t prev_len = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_rdf *rdf = NULL;
		ldns_str2rdf_dname(&rdf, names[i]);
		uint8_t key[SIGNER_KEY_MAX];
		size_t kl = signer_dname_key(ldns_rdf_data(rdf), key);
		if (i > 0) {
			size_t m = kl < prev_len ? kl : prev_len;
			int c = memcmp(prev, key, m);
			ok(c < 0 || (c == 0 && prev_len < kl), "%s < %s", names[i - 1], names[i]);
		}
		memcpy(prev, key, kl);
		prev_len = kl;
		ldns_rdf_deep_free(rdf);
	}
	/* a label with a zero byte sorts before any longer label with that prefix */
	uint8_t a[] = { 2, 'a', 0, 0 }, b[] = { 2, 'y', 'y', 1, 'a', 0 };
	uint8_t ka[SIGNER_KEY_MAX], kb[SIGNER_KEY_MAX];
	size_t la = signer_dname_key(a, ka), lb = signer_dname_key(b, kb);
	ok(memcmp(kb, ka, la < lb ? la : lb) < 0, "yy.a. < a\\000. (escaped zero byte)");
	char text[64];
	signer_dname_to_text(a, text, sizeof(text));
	is_str("a\\000.", text, "zero byte written escaped");
}

/* Lower-casing a whole name at once equals doing it label by label: every byte value, length octets kept. */
static void test_copy_lower(void)
{
	uint8_t name[256], a[256], b[256];
	size_t len = 0, same = 0;
	for (int v = 0; v < 256;) { /* labels of up to 63 bytes holding every byte value */
		size_t l = 256 - v < 63 ? (size_t)(256 - v) : 63;
		if (len + 1 + l + 1 > 255) {
			break;
		}
		name[len++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			name[len++] = (uint8_t)v++;
		}
	}
	name[len++] = 0;
	for (int round = 0; round < 2; round++) {
		memcpy(a, name, len);
		signer_dname_lower(a);
		signer_dname_copy_lower(b, name, len);
		same += memcmp(a, b, len) == 0;
		for (size_t i = 0; i < len; i++) { /* then with the letters already lower case */
			name[i] = a[i];
		}
	}
	ok(same == 2 && signer_dname_len(b, sizeof(b)) == len, "copy_lower: same bytes as label by label (%zu bytes)",
	   len);
	memcpy(a, name, len);
	signer_dname_copy_lower(a, a, len);
	ok(memcmp(a, b, len) == 0, "copy_lower: in place");
}

static void test_model(void)
{
	struct signer_zone *z = NULL;
	int ret = load_text(HEAD
	                    "b.c.d A 192.0.2.2\n"
	                    "sec NS ns.sec\nsec DS 1 13 2 0011223344556677889900112233445566778899001122334455667788990011\n"
	                    "ns.sec A 192.0.2.3\n"
	                    "ins NS ns.ins.\n"
	                    "deep.glue.ins A 192.0.2.4\n"
	                    "*.w MX 1 MAIL.Example.\n"
	                    "B.c.d A 192.0.2.2\n", &z);
	is_int(TLD_OK, ret, "zone builds");
	if (z == NULL) {
		return;
	}
	uint32_t i;
	i = signer_zone_find(z, (const uint8_t *)"\1d\7example");
	ok(i != UINT32_MAX && (z->nodes[i].flags & SIGNER_NODE_ENT), "d.example. is an empty non-terminal");
	i = signer_zone_find(z, (const uint8_t *)"\1c\7example");
	ok(i == UINT32_MAX, "c.example. does not exist");
	i = signer_zone_find(z, (const uint8_t *)"\1c\1d\7example");
	ok(i != UINT32_MAX && (z->nodes[i].flags & SIGNER_NODE_ENT), "c.d.example. is an ENT");
	i = signer_zone_find(z, (const uint8_t *)"\1B\1c\1d\7example");
	ok(i != UINT32_MAX && z->nodes[i].rr_count == 1, "duplicate record (case differs) dropped");
	i = signer_zone_find(z, (const uint8_t *)"\3sec\7example");
	ok(i != UINT32_MAX && (z->nodes[i].flags & SIGNER_NODE_SECURE) && (z->nodes[i].flags & SIGNER_NODE_DELEG),
	   "sec.example. secure delegation");
	i = signer_zone_find(z, (const uint8_t *)"\3ins\7example");
	ok(i != UINT32_MAX && !(z->nodes[i].flags & SIGNER_NODE_SECURE) && (z->nodes[i].flags & SIGNER_NODE_DELEG),
	   "ins.example. insecure delegation");
	i = signer_zone_find(z, (const uint8_t *)"\4glue\3ins\7example");
	ok(i != UINT32_MAX && (z->nodes[i].flags & SIGNER_NODE_OCCLUDED) && (z->nodes[i].flags & SIGNER_NODE_ENT),
	   "ENT below a cut is occluded");
	i = signer_zone_find(z, (const uint8_t *)"\4deep\4glue\3ins\7example");
	ok(i != UINT32_MAX && (z->nodes[i].flags & SIGNER_NODE_OCCLUDED), "glue is occluded");
	i = signer_zone_find(z, (const uint8_t *)"\1*\1w\7example");
	ok(i != UINT32_MAX && (z->nodes[i].flags & SIGNER_NODE_WILDCARD), "wildcard flagged");
	if (i != UINT32_MAX) {
		const struct signer_rr *rr = &z->rrs[z->nodes[i].rr_first];
		ok(memcmp(signer_rr_rdata(z, rr) + 2, "\4mail\7example", 14) == 0, "MX target lower-cased");
	}
	ok(z->nodes[0].flags & SIGNER_NODE_APEX, "first node is the apex");
	for (size_t k = 1; k < z->nnodes; k++) {
		const struct signer_node *p = &z->nodes[k - 1], *n = &z->nodes[k];
		size_t m = p->key_len < n->key_len ? p->key_len : n->key_len;
		int c = memcmp(signer_node_key(z, p), signer_node_key(z, n), m);
		if (!(c < 0 || (c == 0 && p->key_len < n->key_len))) {
			ok(0, "nodes %zu and %zu out of order", k - 1, k);
		}
	}
	signer_zone_free(z);
}

struct bad_case {
	const char *what;
	const char *text;
	int err;
};

static void test_rejections(void)
{
	static const struct bad_case cases[] = {
		{ "CNAME beside other data", HEAD "x CNAME y\nx A 192.0.2.1\n", TLD_EZONE },
		{ "two CNAMEs", HEAD "x CNAME y\nx CNAME z\n", TLD_EZONE },
		{ "CNAME at the apex", HEAD "@ CNAME y\n", TLD_EZONE },
		{ "out-of-zone data", HEAD "other.test. A 192.0.2.1\n", TLD_EZONE },
		{ "second SOA", HEAD "@ SOA ns2 h 2 2 3 4 300\n", TLD_EZONE },
		{ "SOA below the apex", HEAD "x SOA ns2 h 2 2 3 4 300\n", TLD_EZONE },
		{ "no SOA", "$ORIGIN example.\n$TTL 1\n@ NS ns1\n", TLD_EPARSE },
		{ "no apex NS", "$ORIGIN example.\n$TTL 1\n@ SOA ns1 h 1 2 3 4 5\n", TLD_EZONE },
		{ "two DNAMEs", HEAD "x DNAME y.\nx DNAME z.\n", TLD_EZONE },
		{ "data below a DNAME", HEAD "x DNAME y.\na.x A 192.0.2.1\n", TLD_EZONE },
		{ "DS at the apex", HEAD "@ DS 1 13 2 00112233445566778899001122334455667788990011223344556677889900AA\n", TLD_EZONE },
		{ "DS without NS", HEAD "x DS 1 13 2 00112233445566778899001122334455667788990011223344556677889900AA\n", TLD_EZONE },
		{ "RRset with two TTLs", HEAD "x 10 A 192.0.2.1\nx 20 A 192.0.2.2\n", TLD_EZONE },
		{ "$INCLUDE", HEAD "$INCLUDE /etc/passwd\n", TLD_EPARSE },
		{ "syntax error", HEAD "x A 300.1.1.1\n", TLD_EPARSE },
		{ "unknown type", HEAD "x FOO 1\n", TLD_EPARSE },
		{ "class CH", HEAD "x CH A 1.2.3.4\n", TLD_EPARSE },
		{ "empty file", "", TLD_EPARSE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct signer_zone *z = NULL;
		int ret = load_text(cases[i].text, &z);
		is_int(cases[i].err, ret, "rejected: %s", cases[i].what);
		signer_zone_free(z);
	}
}

/* Reads path with the parser/adder ring on (pipe "1") or off ("0"); never in two slices. */
static int read_with(const char *path, const char *pipe, struct signer_zone **z)
{
	setenv("TLDSIGN_READ_PIPELINE", pipe, 1);
	setenv("TLDSIGN_READ_SLICES", "0", 1); /* the ring itself, not the two slices */
	*z = NULL;
	int ret = signer_zone_read(path, NULL, z);
	unsetenv("TLDSIGN_READ_PIPELINE");
	unsetenv("TLDSIGN_READ_SLICES");
	return ret;
}

static bool same_zone(const struct signer_zone *a, const struct signer_zone *b)
{
	return a->nrrs == b->nrrs && a->nnodes == b->nnodes && a->rdata_len == b->rdata_len &&
	       a->node_arena_len == b->node_arena_len && a->soa_rr == b->soa_rr &&
	       memcmp(a->rrs, b->rrs, a->nrrs * sizeof(*a->rrs)) == 0 &&
	       memcmp(a->nodes, b->nodes, a->nnodes * sizeof(*a->nodes)) == 0 &&
	       memcmp(a->rdata, b->rdata, a->rdata_len) == 0 &&
	       memcmp(a->node_arena, b->node_arena, a->node_arena_len) == 0;
}

/*
 * The two-thread reader (parser thread + adder, a ring of 8 chunks of 1 MiB)
 * gives the very zone the one-thread reader gives, on a file large enough to
 * fill the ring many times over; errors of either side end the read with
 * the same code.
 */
static void test_pipelined_read(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/big.zone", tmpdir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		ok(false, "big zone written");
		return;
	}
	fputs("$ORIGIN example.\n$TTL 3600\n@ SOA ns1 h 1 2 3 4 300\n@ NS ns1\nns1 A 192.0.2.1\n", fp);
	for (unsigned i = 0; i < 120000; i++) { /* ~25 MiB of records in the ring */
		fprintf(fp, "d%u NS ns1.provider%u.net.\n NS ns2.provider%u.net.\n", i, i % 997, i % 997);
		if (i % 10 == 0) {
			fprintf(fp, "d%u 86400 DS %u 13 2 %064x\n", i, i & 0xffff, i);
		}
		if (i % 7 == 0) {
			fprintf(fp, "$TTL %u\nns.d%u A 10.%u.%u.1\n", 3600 + i % 5, i, i % 250, i / 250 % 250);
		}
		if (i % 50000 == 0) {
			fprintf(fp, "big%u TXT", i);
			for (int k = 0; k < 200; k++) {
				fprintf(fp, " \"%0200d\"", k);
			}
			fputc('\n', fp);
		}
	}
	fclose(fp);
	struct signer_zone *a = NULL, *b = NULL;
	is_int(TLD_OK, read_with(path, "0", &a), "one thread reads the big zone");
	is_int(TLD_OK, read_with(path, "1", &b), "two threads read the big zone");
	ok(a != NULL && b != NULL && same_zone(a, b), "the same zone either way (%zu records)", a ? a->nrrs : 0);
	signer_zone_free(a);
	signer_zone_free(b);

	/* a syntax error near the end (parser side) and a malformed RDATA early (adder side) */
	fp = fopen(path, "a");
	fputs("late A 999.1.1.1\n", fp);
	fclose(fp);
	is_int(TLD_EPARSE, read_with(path, "0", &a), "one thread: the bad line at the end is refused");
	is_int(TLD_EPARSE, read_with(path, "1", &b), "two threads: the bad line at the end is refused");
	ok(a == NULL && b == NULL, "no zone either way");
	fp = fopen(path, "w");
	fputs("$ORIGIN example.\n$TTL 3600\nd1 NS ns1\n@ SOA ns1 h 1 2 3 4 300\n", fp);
	for (unsigned i = 0; i < 60000; i++) {
		fprintf(fp, "d%u NS ns1.provider%u.net.\n", i, i % 997);
	}
	fclose(fp);
	is_int(TLD_EPARSE, read_with(path, "1", &b), "two threads: a zone not opened by its SOA is refused (adder side)");
	ok(b == NULL, "no zone");
	unlink(path);
}

/*
 * A zone large enough for the parallel node sort (70,000 owners in shuffled
 * order) with 20,000 empty non-terminals to merge in: the built nodes are in
 * strictly increasing canonical order, every ENT is there once.
 */
static void test_big_build(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/build.zone", tmpdir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		ok(false, "zone written");
		return;
	}
	fputs("$ORIGIN example.\n$TTL 3600\n@ SOA ns1 h 1 2 3 4 300\n@ NS ns1\nns1 A 192.0.2.1\n", fp);
	uint32_t x = 12345;
	for (unsigned i = 0; i < 50000; i++) {
		x = x * 1103515245u + 12345u;
		fprintf(fp, "d%u-%u NS ns1.other.\n", (x >> 8) % 1000000, i); /* shuffled, distinct */
	}
	for (unsigned i = 0; i < 20000; i++) { /* owner x.eN.ents.: eN.ents. (and ents.) are empty non-terminals */
		fprintf(fp, "x.e%u.ents A 192.0.2.2\n", (i * 7919u) % 20000);
	}
	fclose(fp);
	struct signer_zone *z = NULL;
	int ret = signer_zone_read(path, NULL, &z);
	if (ret == TLD_OK) {
		ret = signer_zone_build(z);
	}
	if (!is_int(TLD_OK, ret, "big zone built")) {
		signer_zone_free(z);
		return;
	}
	/* apex, ns1, 50,000 delegations, 20,000 owners, 20,000 + 1 ENTs */
	is_int(1 + 1 + 50000 + 20000 + 20001, (long long)z->nnodes, "every owner and every ENT, once");
	size_t bad = 0, ents = 0;
	for (size_t i = 0; i < z->nnodes; i++) {
		const struct signer_node *n = &z->nodes[i];
		ents += (n->flags & SIGNER_NODE_ENT) != 0;
		if (i == 0) {
			continue;
		}
		const struct signer_node *p = &z->nodes[i - 1];
		size_t m = p->key_len < n->key_len ? p->key_len : n->key_len;
		int c = memcmp(signer_node_key(z, p), signer_node_key(z, n), m);
		bad += !(c < 0 || (c == 0 && p->key_len < n->key_len));
	}
	is_int(0, (long long)bad, "nodes in strictly increasing canonical order");
	is_int(20001, (long long)ents, "20,001 empty non-terminals flagged");
	signer_zone_free(z);
	unlink(path);
}

/*
 * Owners already in canonical order but for records added at the apex after
 * them (as the signer adds DNSKEY and NSEC3PARAM to a zonegen file), and a
 * few stragglers: the short unsorted tail is merged in, and the result is
 * the same strict canonical order with one node per name.
 */
static void test_sorted_with_tail(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/sorted.zone", tmpdir);
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		ok(false, "zone written");
		return;
	}
	fputs("example. 3600 IN SOA ns1.example. h.example. 1 2 3 4 300\nexample. 3600 IN NS ns1.example.\n", fp);
	for (unsigned i = 0; i < 5000; i++) { /* d00000 .. d04999: canonical order */
		fprintf(fp, "d%05u.example. 3600 IN NS ns1.other.\n", i);
	}
	fputs("ns1.example. 3600 IN A 192.0.2.1\n", fp);
	fputs("d00100x.example. 3600 IN NS ns1.other.\nd00007.example. 3600 IN DS 1 13 2 00\n", fp); /* stragglers */
	fclose(fp);
	struct signer_zone *z = NULL;
	int ret = signer_zone_read(path, NULL, &z);
	static const uint8_t key[] = { 1, 2, 3 };
	ok(ret == TLD_OK && z->nodes_in_order == 1 + 5000 + 1 && z->nnodes == 1 + 5000 + 1 + 2,
	   "the nodes added in order are counted up to the first straggler (the build checks the rest)");
	if (ret == TLD_OK) {
		ret = signer_zone_add(z, z->origin, 48, 3600, key, sizeof(key), 0); /* DNSKEY at the apex, last */
	}
	if (ret == TLD_OK) {
		ret = signer_zone_build(z);
	}
	if (!is_int(TLD_OK, ret, "zone in order with an unsorted tail built")) {
		signer_zone_free(z);
		return;
	}
	is_int(1 + 5000 + 1 + 1, (long long)z->nnodes, "apex, 5,000 delegations, ns1, the straggler: each once");
	size_t bad = 0;
	for (size_t i = 1; i < z->nnodes; i++) {
		const struct signer_node *p = &z->nodes[i - 1], *n = &z->nodes[i];
		size_t m = p->key_len < n->key_len ? p->key_len : n->key_len;
		int c = memcmp(signer_node_key(z, p), signer_node_key(z, n), m);
		bad += !(c < 0 || (c == 0 && p->key_len < n->key_len));
	}
	is_int(0, (long long)bad, "nodes in strictly increasing canonical order");
	ok(z->nodes[0].flags & SIGNER_NODE_APEX && signer_node_has_type(z, &z->nodes[0], 48) &&
	   signer_node_has_type(z, &z->nodes[0], 6), "the apex has its SOA and the DNSKEY added last");
	signer_zone_free(z);
	unlink(path);
}

/* Reads and builds path; slices: "0" reads in one pass, NULL lets the reader cut the file in two. */
static int read_built(const char *path, const char *slices, struct signer_zone **z)
{
	setenv("TLDSIGN_READ_PIPELINE", "1", 1);
	if (slices != NULL) {
		setenv("TLDSIGN_READ_SLICES", slices, 1);
	}
	*z = NULL;
	int ret = signer_zone_read(path, NULL, z);
	unsetenv("TLDSIGN_READ_PIPELINE");
	unsetenv("TLDSIGN_READ_SLICES");
	if (ret == TLD_OK) {
		ret = signer_zone_build(*z);
	}
	return ret;
}

/*
 * The reader cuts a large file in two slices read on two threads: the zone
 * is the same as one pass gives, also when the second slice depends on the
 * first ($TTL, $ORIGIN, parentheses across the cut: then it reads in one
 * pass), and an error in the second half is reported with its line.
 */
static void test_sliced_read(void)
{
	static const char *const variants[] = { "plain", "$TTL", "$ORIGIN", "parentheses", "owner omitted" };
	char path[512];
	snprintf(path, sizeof(path), "%s/slices.zone", tmpdir);
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		FILE *fp = fopen(path, "w");
		if (fp == NULL) {
			ok(false, "zone written");
			return;
		}
		if (v == 1) {
			fputs("$TTL 300\n", fp);
		}
		fputs("example. 3600 IN SOA ns1.example. h.example. 1 2 3 4 300\nexample. 3600 IN NS ns1.example.\n", fp);
		if (v == 2) {
			fputs("$ORIGIN example.\n", fp);
		}
		for (unsigned i = 0; i < 4000; i++) {
			const char *ttl = v == 1 ? "" : "3600 ";
			if (v == 2) {
				fprintf(fp, "d%05u %sIN NS ns1.d%05u\nns1.d%05u 3600 IN A 192.0.2.1\n", i, ttl, i, i);
			} else if (v == 3 && i % 50 == 0) {
				fprintf(fp, "d%05u.example. %sIN NS ns1.other.\nd%05u.example. %sIN DS ( 1 13 2\n00ff )\n", i, ttl,
				        i, ttl);
			} else if (v == 4) {
				fprintf(fp, "d%05u.example. 3600 IN NS ns1.d%05u.example.\n 3600 IN NS ns2.other.\n", i, i);
			} else {
				fprintf(fp, "d%05u.example. %sIN NS ns1.d%05u.example.\nns1.d%05u.example. %sIN A 192.0.2.1\n", i,
				        ttl, i, i, ttl);
			}
		}
		fclose(fp);
		struct signer_zone *one = NULL, *two = NULL;
		int r1 = read_built(path, "0", &one), r2 = read_built(path, NULL, &two);
		ok(r1 == TLD_OK && r2 == TLD_OK && signer_zone_same_built(one, two, true), "sliced read (%s): the zone of one pass",
		   variants[v]);
		signer_zone_free(one);
		signer_zone_free(two);
	}
	/* a bad record in the second half: refused, with its line */
	FILE *fp = fopen(path, "a");
	if (fp != NULL) {
		fputs("bad.example. 3600 IN A 1.2.3\n", fp);
		fclose(fp);
	}
	struct signer_zone *z = NULL;
	is_int(TLD_EPARSE, read_built(path, NULL, &z), "sliced read: an error in the second half is refused");
	ok(z == NULL, "sliced read: no zone on error");
	unlink(path);
}

/* Adds n delegations (NS and A glue) to z, owners in order. */
static int add_many(struct signer_zone *z, size_t n)
{
	static const uint8_t soa[] = "\3ns1\7example\0\1h\7example\0"
	                             "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\1\54";
	static const uint8_t ns1[] = "\3ns1\7example";
	int ret = signer_zone_add(z, (const uint8_t *)"\7example", SIGNER_T_SOA, 3600, soa, sizeof(soa) - 1, 1);
	for (size_t i = 0; i < n && ret == TLD_OK; i++) {
		uint8_t owner[64], ns[80];
		int l = snprintf((char *)owner + 1, sizeof(owner) - 1, "d%06zu", i);
		owner[0] = (uint8_t)l;
		memcpy(owner + 1 + l, "\7example", 9);
		ns[0] = 3;
		memcpy(ns + 1, "NS1", 3);
		memcpy(ns + 4, owner, (size_t)l + 10);
		ret = signer_zone_add(z, owner, SIGNER_T_NS, 3600, ns, (uint16_t)(l + 14), (uint32_t)(2 * i + 2));
		if (ret == TLD_OK) {
			ret = signer_zone_add(z, ns, SIGNER_T_A, 3600, (const uint8_t *)"\300\0\2\1", 4, (uint32_t)(2 * i + 3));
		}
	}
	if (ret == TLD_OK) {
		ret = signer_zone_add(z, (const uint8_t *)"\7example", SIGNER_T_NS, 3600, ns1, sizeof(ns1), 0);
	}
	return ret;
}

/* signer_zone_reserve(): room made ahead changes nothing in the zone; nonsense figures are ignored. */
static void test_reserve(void)
{
	struct signer_zone *plain = NULL, *roomy = NULL, *silly = NULL;
	const uint8_t *origin = (const uint8_t *)"\7example";
	is_int(TLD_OK, signer_zone_new(origin, "r.zone", &plain), "a zone");
	is_int(TLD_OK, signer_zone_new(origin, "r.zone", &roomy), "a zone with room made");
	is_int(TLD_OK, signer_zone_new(origin, "r.zone", &silly), "a zone asked for nonsense room");
	if (plain == NULL || roomy == NULL || silly == NULL) {
		return;
	}
	signer_zone_reserve(roomy, 50000, 2000000, 50000, 2000000);
	ok(roomy->rrs_cap >= 50000 && roomy->rdata_cap > 2000000 && roomy->nodes_cap >= 50000 &&
	   roomy->node_arena_cap >= 4000000 && roomy->nrrs == 0 && roomy->nnodes == 0,
	   "room made, nothing added");
	signer_zone_reserve(silly, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX);
	signer_zone_reserve(silly, (size_t)UINT32_MAX + 1, 10, 10, 10);
	ok(silly->rrs_cap == 0 && silly->rdata_cap == 0 && silly->nodes_cap == 0 && silly->node_arena_cap == 0,
	   "figures past the 4 GiB limits change nothing");
	is_int(TLD_OK, add_many(plain, 30000), "records added to the plain zone");
	is_int(TLD_OK, add_many(roomy, 30000), "the same records added to the one with room");
	is_int(TLD_OK, add_many(silly, 30000), "and to the third");
	ok(same_zone(plain, roomy) && same_zone(plain, silly), "the three zones are the same");
	is_int(TLD_OK, signer_zone_build(plain), "the plain zone builds");
	is_int(TLD_OK, signer_zone_build(roomy), "the one with room builds");
	ok(signer_zone_same_built(plain, roomy, true), "built, the same");
	size_t cap = roomy->rrs_cap;
	signer_zone_reserve(roomy, cap * 4, 10, 10, 10);
	ok(roomy->rrs_cap == cap, "a built zone is left alone");
	signer_zone_free(plain);
	signer_zone_free(roomy);
	signer_zone_free(silly);
}

/* Owners repeated back to back share a node whatever their case; the name kept is lower case. */
static void test_repeated_owner_case(void)
{
	struct signer_zone *z = NULL;
	is_int(TLD_OK, signer_zone_new((const uint8_t *)"\7example", "c.zone", &z), "a zone");
	if (z == NULL) {
		return;
	}
	const uint8_t a[] = { 192, 0, 2, 1 }, b[] = { 192, 0, 2, 2 }, c[] = { 192, 0, 2, 3 };
	is_int(TLD_OK, signer_zone_add(z, (const uint8_t *)"\3www\7example", SIGNER_T_A, 60, a, 4, 1), "lower case");
	is_int(TLD_OK, signer_zone_add(z, (const uint8_t *)"\3WwW\7EXAMPLE", SIGNER_T_A, 60, b, 4, 2), "mixed case");
	is_int(TLD_OK, signer_zone_add(z, (const uint8_t *)"\3www\7example", SIGNER_T_A, 60, c, 4, 3), "lower again");
	is_int(1, z->nnodes, "one node for the three");
	is_int(TLD_OK, signer_zone_add(z, (const uint8_t *)"\3WWX\7example", SIGNER_T_A, 60, a, 4, 4), "another, upper");
	is_int(TLD_OK, signer_zone_add(z, (const uint8_t *)"\3wwx\7example", SIGNER_T_A, 60, b, 4, 5), "the same, lower");
	is_int(TLD_OK, signer_zone_add(z, (const uint8_t *)"\4wwxy\7example", SIGNER_T_A, 60, c, 4, 6), "a longer one");
	is_int(3, z->nnodes, "three nodes in all");
	ok(z->nnodes == 3 && memcmp(signer_node_wire(z, &z->nodes[1]), "\3wwx\7example", 13) == 0,
	   "the name kept is lower case");
	ok(z->nrrs == 6 && z->rrs[4].node == 1 && z->rrs[5].node == 2, "records on their nodes");
	signer_zone_free(z);
}

/* Adds delegation i (NS, line given) to z. */
static int add_deleg(struct signer_zone *z, size_t i, uint32_t line)
{
	uint8_t owner[64], ns[80];
	int l = snprintf((char *)owner + 1, sizeof(owner) - 1, "p%05zu", i);
	owner[0] = (uint8_t)l;
	memcpy(owner + 1 + l, "\7example", 9);
	memcpy(ns, "\3ns1", 4);
	memcpy(ns + 4, owner, (size_t)l + 10);
	return signer_zone_add(z, owner, SIGNER_T_NS, 3600, ns, (uint16_t)(l + 14), line);
}

/* signer_zone_append_lines(): a zone filled in two parts, the second's lines counted from 1, is the one filled at once. */
static void test_append_lines(void)
{
	struct signer_zone *whole = NULL, *head = NULL, *tail = NULL;
	const uint8_t *origin = (const uint8_t *)"\7example";
	if (signer_zone_new(origin, "a.zone", &whole) != TLD_OK || signer_zone_new(origin, "a.zone", &head) != TLD_OK ||
	    signer_zone_new(origin, "a.zone", &tail) != TLD_OK) {
		ok(0, "zones");
		return;
	}
	int ret = TLD_OK;
	for (size_t i = 0; i < 3000 && ret == TLD_OK; i++) {
		ret = add_deleg(whole, i, (uint32_t)i + 1);
		if (ret == TLD_OK) {
			ret = i < 1200 ? add_deleg(head, i, (uint32_t)i + 1) : add_deleg(tail, i, (uint32_t)(i - 1200) + 1);
		}
	}
	is_int(TLD_OK, ret, "3000 records, 1200 in the head and 1800 in the tail");
	is_int(TLD_OK, signer_zone_append_lines(head, tail, 1200), "the tail appended, its lines moved by 1200");
	ok(same_zone(whole, head), "the same zone as filled at once, lines included");
	ok(head->nrrs == 3000 && head->rrs[1200].line == 1201 && head->rrs[2999].line == 3000,
	   "the first and last appended records on lines 1201 and 3000");
	struct signer_zone *empty = NULL;
	if (signer_zone_new(origin, "a.zone", &empty) == TLD_OK) {
		is_int(TLD_OK, signer_zone_append_lines(head, empty, 7), "an empty tail appends nothing");
		ok(same_zone(whole, head), "the zone unchanged");
	}
	signer_zone_free(whole);
	signer_zone_free(head);
}

/* The apex (SOA, NS) and delegations [from, to) of step 1 or -1 into z; lines from line. */
static int fill_apex_delegs(struct signer_zone *z, bool apex, long from, long to, uint32_t line)
{
	static const uint8_t soa[22] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 1, 44 };
	int ret = TLD_OK;
	if (apex) {
		ret = signer_zone_add(z, z->origin, SIGNER_T_SOA, 3600, soa, sizeof(soa), line++);
		if (ret == TLD_OK) {
			ret = signer_zone_add(z, z->origin, SIGNER_T_NS, 3600, (const uint8_t *)"ns1example", 13,
			                      line++);
		}
	}
	for (long i = from; i != to && ret == TLD_OK; i += from < to ? 1 : -1) {
		ret = add_deleg(z, (size_t)i, line++);
	}
	return ret;
}

/*
 * signer_zone_append(): the count of nodes known to be in order goes on over
 * the tail only when all of the head is in order and the tail's first owner
 * follows the head's last; the build is the one of the zone filled at once
 * in every case (a tail after the head, one starting at the head's last
 * owner or before it, a head not in order).
 */
static void test_append_in_order(void)
{
	static const struct {
		long head_from, head_to, tail_from, tail_to;
		size_t in_order; /* nodes known in order after the append */
		const char *what;
	} cases[] = {
		{ 0, 1200, 1200, 3000, 3001, "a tail after the head" },
		{ 0, 1200, 1199, 3000, 1201, "a tail starting at the head's last owner" },
		{ 0, 1200, 100, 3000, 1201, "a tail starting before the head's last owner" },
		{ 1199, -1, 1200, 3000, 2, "a head not in order" },
		{ 0, 1200, 3000, 1200, 1202, "a tail not in order" },
	};
	const uint8_t *origin = (const uint8_t *)"\7example";
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct signer_zone *whole = NULL, *head = NULL, *tail = NULL;
		if (signer_zone_new(origin, "a.zone", &whole) != TLD_OK || signer_zone_new(origin, "a.zone", &head) != TLD_OK ||
		    signer_zone_new(origin, "a.zone", &tail) != TLD_OK) {
			ok(0, "zones");
			return;
		}
		int ret = fill_apex_delegs(whole, true, cases[c].head_from, cases[c].head_to, 1);
		if (ret == TLD_OK) {
			ret = fill_apex_delegs(whole, false, cases[c].tail_from, cases[c].tail_to, 5000);
		}
		if (ret == TLD_OK) {
			ret = fill_apex_delegs(head, true, cases[c].head_from, cases[c].head_to, 1);
		}
		if (ret == TLD_OK) {
			ret = fill_apex_delegs(tail, false, cases[c].tail_from, cases[c].tail_to, 1);
		}
		size_t head_in_order = head->nodes_in_order;
		is_int(TLD_OK, ret, "%s: filled", cases[c].what);
		is_int(TLD_OK, signer_zone_append_lines(head, tail, 4999), "%s: appended", cases[c].what);
		is_int((long long)cases[c].in_order, (long long)head->nodes_in_order,
		       "%s: %zu nodes known in order (the head's own: %zu)", cases[c].what, cases[c].in_order,
		       head_in_order);
		int wb = signer_zone_build(whole), hb = signer_zone_build(head);
		ok(wb == TLD_OK && hb == TLD_OK && signer_zone_same_built(whole, head, false),
		   "%s: built, the zone filled at once (%d, %d)", cases[c].what, wb, hb);
		signer_zone_free(whole);
		signer_zone_free(head);
	}
}

/* One record of a zone made for test_rr_tail(): owner p<owner>.example (-1: the apex). */
struct rec {
	long owner;
	uint16_t type;
	uint32_t ttl;
	uint8_t rd; /* the RDATA: 4 bytes of it */
};

/* A built zone of recs (after an apex SOA and NS); the tail merged in or not (TLDSIGN_BUILD_RR_MERGE). */
static struct signer_zone *build_recs(const struct rec *recs, size_t n, bool merge, int *ret)
{
	static const uint8_t soa[22] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 1, 44 };
	struct signer_zone *z = NULL;
	*ret = signer_zone_new((const uint8_t *)"\7example", "t.zone", &z);
	if (*ret != TLD_OK) {
		return NULL;
	}
	*ret = signer_zone_add(z, z->origin, SIGNER_T_SOA, 3600, soa, sizeof(soa), 1);
	if (*ret == TLD_OK) {
		*ret = signer_zone_add(z, z->origin, SIGNER_T_NS, 3600, (const uint8_t *)"\3ns1\7example", 13, 2);
	}
	for (size_t i = 0; i < n && *ret == TLD_OK; i++) {
		/* NS: the name \1<rd>; the others: 4 bytes */
		uint8_t owner[64], rd[4] = { 1, recs[i].rd, 0, 0 };
		uint16_t rdlen = recs[i].type == SIGNER_T_NS ? 3 : 4;
		if (recs[i].owner < 0) {
			memcpy(owner, z->origin, z->origin_len);
		} else {
			int l = snprintf((char *)owner + 1, sizeof(owner) - 1, "p%05ld", recs[i].owner);
			owner[0] = (uint8_t)l;
			memcpy(owner + 1 + l, "\7example", 9);
		}
		*ret = signer_zone_add(z, owner, recs[i].type, recs[i].ttl, rd, rdlen, (uint32_t)i + 3);
	}
	if (merge) {
		unsetenv("TLDSIGN_BUILD_RR_MERGE");
	} else {
		setenv("TLDSIGN_BUILD_RR_MERGE", "0", 1);
	}
	if (*ret == TLD_OK) {
		*ret = signer_zone_build(z);
	}
	unsetenv("TLDSIGN_BUILD_RR_MERGE");
	return z;
}

/* recs built with the tail merged in and with the placement: the same zone; whether the merge was taken. */
static bool same_both_ways(const struct rec *recs, size_t n, bool *merged)
{
	int r1 = TLD_OK, r2 = TLD_OK;
	struct signer_zone *a = build_recs(recs, n, true, &r1), *b = build_recs(recs, n, false, &r2);
	bool same = a != NULL && b != NULL && r1 == r2 && !b->rrs_merged && same_zone(a, b);
	if (r1 != TLD_OK || !same) {
		diag("built: %d and %d, the same: %d", r1, r2, same);
	}
	*merged = a != NULL && a->rrs_merged;
	signer_zone_free(a);
	signer_zone_free(b);
	return same;
}

/*
 * The build's merge of a short tail of records into a zone otherwise in
 * order (merge_rr_tail()) gives the zone the bucket placement gives, byte
 * for byte (lines included): taken for the apex records the signer adds
 * and for a tail on several nodes and with a node's records out of order
 * before it; refused (the placement then) for a tail with a record equal
 * to one before it or to another of the tail, two equal records of a node
 * before it (other TTLs: which one is kept must not change), a tail too
 * long, a record of a later node early; and 300 random zones of all kinds.
 */
static void test_rr_tail(void)
{
	enum { A = SIGNER_T_A, NS = SIGNER_T_NS, DS = SIGNER_T_DS, DNSKEY = SIGNER_T_DNSKEY, TXT = SIGNER_T_TXT };
	struct rec recs[200];
	size_t n = 0;
	for (long i = 0; i < 40; i++) {
		recs[n++] = (struct rec){ i, NS, 3600, 1 };
		recs[n++] = (struct rec){ i, NS, 3600, 2 };
		if (i % 3 == 0) {
			recs[n++] = (struct rec){ i, DS, 3600, 9 };
		}
	}
	size_t base = n;
	bool merged = false;
	ok(same_both_ways(recs, n, &merged) && merged, "rr tail: records all in order: taken, the same zone");
	recs[n++] = (struct rec){ -1, DNSKEY, 3600, 7 };
	recs[n++] = (struct rec){ -1, DNSKEY, 3600, 3 };
	recs[n++] = (struct rec){ -1, TXT, 300, 1 };
	ok(same_both_ways(recs, n, &merged) && merged, "rr tail: apex records at the end: merged, the same zone");
	recs[n++] = (struct rec){ 20, TXT, 60, 5 };
	recs[n++] = (struct rec){ 39, TXT, 60, 5 };
	recs[n++] = (struct rec){ 0, A, 60, 5 };
	ok(same_both_ways(recs, n, &merged) && merged, "rr tail: a tail on several nodes, the last and first too: merged");
	recs[n++] = (struct rec){ 20, NS, 60, 2 }; /* p00020 NS 2 again, other TTL */
	ok(same_both_ways(recs, n, &merged) && !merged, "rr tail: a record equal to one before the tail: refused");
	n--;
	recs[n++] = (struct rec){ -1, DNSKEY, 7200, 7 }; /* the tail's first DNSKEY again */
	ok(same_both_ways(recs, n, &merged) && !merged, "rr tail: two equal records in the tail: refused");
	n = base;
	for (int k = 0; k < 65; k++) {
		recs[n++] = (struct rec){ -1, TXT, 300, (uint8_t)(200 - k) };
	}
	ok(same_both_ways(recs, n, &merged) && !merged, "rr tail: a tail of 65 records: refused");
	n = base;
	recs[4] = (struct rec){ 1, NS, 3600, 0 }; /* p00001: NS 1, NS 0 */
	recs[n++] = (struct rec){ -1, DNSKEY, 3600, 7 };
	ok(same_both_ways(recs, n, &merged) && merged, "rr tail: a node's records out of order before the tail: merged");
	recs[2] = (struct rec){ 0, NS, 60, 1 }; /* p00000: NS 1, NS 2, NS 1 (other TTL) */
	ok(same_both_ways(recs, n, &merged) && !merged, "rr tail: two equal records of a node out of order: refused");
	recs[2] = (struct rec){ 0, DS, 3600, 9 };
	recs[3] = (struct rec){ 30, NS, 3600, 0 }; /* a node of later out of place: the tail is long */
	ok(same_both_ways(recs, n, &merged) && !merged, "rr tail: a record of a later node early: refused");

	/* random: an ordered part, then a tail of records anywhere, now and then equal to another */
	unsigned seed = 12345;
	bool all_same = true;
	size_t taken = 0, refused = 0;
	for (int trial = 0; trial < 300; trial++) {
		n = 0;
		long owners = 1 + (long)(rand_r(&seed) % 30);
		for (long i = 0; i < owners; i++) {
			uint8_t rd = 0;
			bool any = rand_r(&seed) % 4 == 0; /* records out of order, maybe equal */
			for (int r = 0, nr = rand_r(&seed) % 4; r < nr; r++) {
				rd = any ? (uint8_t)(rand_r(&seed) % 5) : (uint8_t)(rd + 1 + rand_r(&seed) % 3);
				recs[n++] = (struct rec){ i, NS, 3600, rd };
			}
		}
		for (int k = 0, nt = rand_r(&seed) % 8; k < nt; k++) {
			if (n > 0 && rand_r(&seed) % 6 == 0) {
				recs[n] = recs[rand_r(&seed) % n]; /* a record equal to another, other TTL */
				recs[n++].ttl = 60;
			} else {
				recs[n++] = (struct rec){ (long)(rand_r(&seed) % (owners + 1)) - 1,
				                          rand_r(&seed) % 2 ? NS : TXT, 3600, (uint8_t)(rand_r(&seed) % 6) };
			}
		}
		all_same &= same_both_ways(recs, n, &merged);
		taken += merged;
		refused += !merged;
	}
	ok(all_same && taken > 50 && refused > 50, "rr tail: 300 random zones the same both ways (%zu merged, %zu not)",
	   taken, refused);
}

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_WARNING, false);
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("no temporary directory");
	}
	test_canonical_order();
	test_copy_lower();
	test_model();
	test_rejections();
	tld_log_init(TLD_LOG_ERROR, false);
	test_pipelined_read();
	test_big_build();
	test_sorted_with_tail();
	test_sliced_read();
	test_reserve();
	test_repeated_owner_case();
	test_append_lines();
	test_append_in_order();
	test_rr_tail();
	char path[512];
	snprintf(path, sizeof(path), "%s/z.zone", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return exit_status();
}
