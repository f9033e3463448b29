/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tld_zonegen_records(): the records of tld_zonegen_write() in wire form;
 * glue address texts (zonegen/addr_text.h) against inet_ntop().
 * The text is parsed back with the signer's zone parser and compared record
 * by record (owner, type, class, TTL, RDATA, line) with the wire walk, on a
 * hand-made export with apex.records and on a generated one;
 * tld_zonegen_write_alone() against tld_zonegen_write();
 * tld_zonegen_records_part(): the parts in order are the whole walk, lines
 * moved by the earlier parts' counts; and tld_name_text_to_wire() on its own.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "signer/zparse.h"
#include "tests/tap/tap.h"
#include "tests/unit/zonegen_fixture.h"
#include "zonegen/addr_text.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

#define NOW "2026-11-21T10:00:00Z"

static char tmpdir[256];

/* Records as a flat list: line(4) type(2) class(2) ttl(4) owner_len(1) rdlen(2) owner rdata. */
struct rrlist {
	unsigned char *buf;
	size_t len, cap;
	size_t count;
	int stop_after;            /* > 0: fail with TLD_ECANCELED after that many */
};

static int push(struct rrlist *l, const uint8_t *owner, size_t ol, uint16_t type, uint16_t rclass,
                uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	if (l->stop_after > 0 && l->count == (size_t)l->stop_after) {
		return TLD_ECANCELED;
	}
	size_t need = 15 + ol + rdlen;
	if (l->len + need > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		while (cap < l->len + need) {
			cap *= 2;
		}
		unsigned char *b = realloc(l->buf, cap);
		if (b == NULL) {
			return TLD_ENOMEM;
		}
		l->buf = b;
		l->cap = cap;
	}
	unsigned char *p = l->buf + l->len;
	uint32_t v[3] = { line, (uint32_t)type << 16 | rclass, ttl };
	memcpy(p, v, sizeof(v));
	p[12] = (unsigned char)ol;
	memcpy(p + 13, &rdlen, 2);
	memcpy(p + 15, owner, ol);
	memcpy(p + 15 + ol, rdata, rdlen);
	l->len += need;
	l->count++;
	return TLD_OK;
}

static int from_text(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                     const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	size_t ol = 0;
	while (owner[ol] != 0) {
		ol += owner[ol] + 1u;
	}
	return push(ctx, owner, ol + 1, type, rclass, ttl, rdata, rdlen, line);
}

static int from_wire(void *ctx, const struct tld_zonegen_rr *rr)
{
	return push(ctx, rr->owner, rr->owner_len, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen,
	            (uint32_t)rr->line);
}

/* The zone's text parsed by the signer and the wire walk give the same records. */
static void same_records(struct tld_zonegen *zg, const char *text, const char *what)
{
	struct rrlist a = { 0 }, b = { 0 };
	int pa = signer_zparse("unsigned.zone", text, strlen(text), NULL, from_text, &a);
	int pb = tld_zonegen_records(zg, from_wire, &b);
	is_int(TLD_OK, pa, "%s: the text parses", what);
	is_int(TLD_OK, pb, "%s: the wire walk succeeds", what);
	ok(a.count > 0 && a.count == b.count, "%s: %zu records each way (%zu)", what, a.count, b.count);
	ok(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0,
	   "%s: same owners, types, classes, TTLs, RDATA and lines, in the same order", what);
	free(a.buf);
	free(b.buf);
}

/* Line offset added to the records of a part (the lines of the earlier parts). */
struct shifted {
	struct rrlist *l;
	unsigned long offset;
};

static int from_part(void *ctx, const struct tld_zonegen_rr *rr)
{
	struct shifted *s = ctx;
	return push(s->l, rr->owner, rr->owner_len, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen,
	            (uint32_t)(rr->line + s->offset));
}

/* A text drained into memory; after fail_after calls the callback fails (0: never). */
struct sink {
	FILE *f;
	int calls, fail_after;
};

static int to_sink(void *ctx, const char *buf, size_t len)
{
	struct sink *k = ctx;
	if (k->fail_after > 0 && k->calls == k->fail_after) {
		return TLD_EIO;
	}
	k->calls++;
	return fwrite(buf, 1, len, k->f) == len ? TLD_OK : TLD_EIO;
}

/* The text made beside 1 .. 4-part walks, joined in part order and drained,
 * is what tld_zonegen_write() writes, byte for byte. */
static void same_text_in_parts(struct tld_zonegen *zg, const char *text, const char *what)
{
	for (unsigned parts = 1; parts <= 4; parts++) {
		struct tld_zonegen_text *t[4] = { NULL };
		struct rrlist l = { 0 };
		int err = TLD_OK;
		for (unsigned k = 0; k < parts && err == TLD_OK; k++) {
			err = tld_zonegen_text_new(zg, &t[k]);
			if (err == TLD_OK) {
				err = tld_zonegen_records_part(zg, k, parts, from_wire, &l, t[k], NULL);
			}
		}
		for (unsigned k = 1; k < parts && err == TLD_OK; k++) {
			err = tld_zonegen_text_join(t[0], t[k]); /* frees t[k] */
			t[k] = NULL;
		}
		is_int(TLD_OK, err, "%s: the text made beside %u parts and joined", what, parts);
		char *out = NULL;
		size_t out_len = 0;
		struct sink k = { .f = open_memstream(&out, &out_len) };
		is_int(TLD_OK, k.f != NULL && t[0] != NULL ? tld_zonegen_text_drain(t[0], to_sink, &k) : -1,
		       "%s: drained (%u parts)", what, parts);
		fclose(k.f);
		ok(out != NULL && out_len == strlen(text) && memcmp(out, text, out_len) == 0,
		   "%s: %u parts: the text of tld_zonegen_write(), byte for byte (%zu bytes)", what, parts,
		   out_len);
		free(out);
		for (unsigned j = 0; j < 4; j++) {
			tld_zonegen_text_free(t[j]);
		}
		free(l.buf);
	}
	/* the callback's error stops the drain; an empty text hands out nothing */
	struct tld_zonegen_text *t = NULL;
	struct rrlist l = { 0 };
	char *out = NULL;
	size_t out_len = 0;
	struct sink k = { .f = open_memstream(&out, &out_len), .fail_after = 1 };
	if (tld_zonegen_text_new(zg, &t) == TLD_OK && tld_zonegen_records_part(zg, 0, 1, from_wire, &l, t, NULL) == TLD_OK) {
		int err = tld_zonegen_text_drain(t, to_sink, &k);
		ok(strlen(text) <= (1u << 20) || (err == TLD_EIO && k.calls == 1),
		   "%s: the callback's error stops the drain (%d after %d calls)", what, err, k.calls);
	}
	tld_zonegen_text_free(t);
	fclose(k.f);
	free(out);
	free(l.buf);
	struct sink e = { .f = open_memstream(&out, &out_len) };
	if (tld_zonegen_text_new(zg, &t) == TLD_OK) {
		is_int(TLD_OK, tld_zonegen_text_drain(t, to_sink, &e), "%s: an empty text drains", what);
		is_int(0, e.calls, "%s: and hands out nothing", what);
	}
	tld_zonegen_text_free(t);
	fclose(e.f);
	free(out);
}

/*
 * tld_zonegen_format(): the apex and any ranges of owners, formatted from
 * the start or to the end of a buffer, side by side, are the text of
 * tld_zonegen_write() (text), byte for byte; a buffer one byte short is
 * refused, never overrun; bad ranges are refused.
 */
static void same_formatted(struct tld_zonegen *zg, const char *text, const char *what)
{
	size_t len = strlen(text), n = tld_zonegen_owner_count(zg), got = 0;
	ok(tld_zonegen_text_bound(zg) >= len, "%s: the bound (%zu) holds the text (%zu)", what,
	   tld_zonegen_text_bound(zg), len);
	is_int(TLD_OK, tld_zonegen_format(zg, true, 0, n, TLD_ZONEGEN_MEASURE, NULL, 0, &got),
	       "%s: measured", what);
	is_int((long long)len, (long long)got, "%s: the length measured is the text's", what);
	const size_t guard = 64;
	char *buf = malloc(2 * len + 2 * guard + 2);
	if (buf == NULL) {
		ok(0, "memory");
		return;
	}
	/* whole, from the start and to the end, in a room of exactly its size and one byte less */
	for (int place = 0; place < 2; place++) {
		enum tld_zonegen_place pl = place ? TLD_ZONEGEN_TO_END : TLD_ZONEGEN_FROM_START;
		const char *name = place ? "to the end" : "from the start";
		memset(buf, '#', 2 * len + 2 * guard + 2);
		got = 0;
		is_int(TLD_OK, tld_zonegen_format(zg, true, 0, n, pl, buf + guard, len, &got),
		       "%s: whole, %s, in a room of its size", what, name);
		ok(got == len && memcmp(buf + guard, text, len) == 0, "%s: %s: the text, byte for byte",
		   what, name);
		bool kept = true;
		for (size_t i = 0; i < guard; i++) {
			kept &= buf[i] == '#' && buf[guard + len + i] == '#';
		}
		ok(kept, "%s: %s: nothing written outside the room", what, name);
		memset(buf, '#', 2 * len + 2 * guard + 2);
		got = 7;
		is_int(TLD_ENOSPC, tld_zonegen_format(zg, true, 0, n, pl, buf + guard, len - 1, &got),
		       "%s: %s: a room one byte short is refused", what, name);
		kept = got == 7;
		for (size_t i = 0; i < guard; i++) {
			kept &= buf[i] == '#' && buf[guard + len - 1 + i] == '#';
		}
		ok(kept, "%s: %s: and not overrun, the length untouched", what, name);
	}
	/* two parts meeting at mid: the first placed to the end, the second from there on */
	size_t cuts[] = { 0, 1, n / 3, n / 2, n > 0 ? n - 1 : 0, n };
	bool all = true;
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		size_t m = cuts[c] <= n ? cuts[c] : n, a = 0, b = 0;
		memset(buf, '#', 2 * len + 2 * guard + 2);
		char *mid = buf + guard + len;
		int e0 = tld_zonegen_format(zg, true, 0, m, TLD_ZONEGEN_TO_END, buf + guard, len, &a);
		int e1 = tld_zonegen_format(zg, false, m, n, TLD_ZONEGEN_FROM_START, mid, len + 1, &b);
		bool same = e0 == TLD_OK && e1 == TLD_OK && a + b == len &&
		            memcmp(mid - a, text, len) == 0;
		if (!same) {
			diag("%s: split at owner %zu of %zu: %d %d, %zu + %zu bytes", what, m, n, e0, e1, a, b);
		}
		all &= same;
		/* three parts, each from the start of its own buffer */
		size_t c1 = m / 2, l0 = 0, l1 = 0, l2 = 0;
		memset(buf, '#', 2 * len + 2 * guard + 2);
		e0 = tld_zonegen_format(zg, true, 0, c1, TLD_ZONEGEN_FROM_START, buf, len + 1, &l0);
		e1 = tld_zonegen_format(zg, false, c1, m, TLD_ZONEGEN_FROM_START, buf + l0, len + 1, &l1);
		int e2 = tld_zonegen_format(zg, false, m, n, TLD_ZONEGEN_FROM_START, buf + l0 + l1,
		                            len + 1, &l2);
		all &= e0 == TLD_OK && e1 == TLD_OK && e2 == TLD_OK && l0 + l1 + l2 == len &&
		       memcmp(buf, text, len) == 0;
	}
	ok(all, "%s: parts at owners 0, 1, n/3, n/2, n-1, n side by side are the text", what);
	is_int(TLD_EINVAL, tld_zonegen_format(zg, true, 1, 0, TLD_ZONEGEN_FROM_START, buf, len, &got),
	       "%s: a range that ends before it starts is refused", what);
	is_int(TLD_EINVAL, tld_zonegen_format(zg, true, 0, n + 1, TLD_ZONEGEN_TO_END, buf, len, &got),
	       "%s: a range past the last owner is refused", what);
	is_int(TLD_EINVAL, tld_zonegen_format(zg, true, 0, n, TLD_ZONEGEN_FROM_START, NULL, len, &got),
	       "%s: no buffer is refused unless measured", what);
	free(buf);
}

/* tld_addr_text() against inet_ntop() for one address; false (with a diagnostic) when they differ. */
static bool addr_same(uint8_t family, const uint8_t *a)
{
	char want[INET6_ADDRSTRLEN], got[TLD_ADDR_TEXT_MAX + 1];
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, want, sizeof(want));
	size_t len = tld_addr_text(family, a, got);
	got[len] = '\0';
	if (strcmp(want, got) != 0) {
		diag("address text %s, inet_ntop() %s", got, want);
		return false;
	}
	return true;
}

/*
 * Glue address texts: IPv4 with every octet value in every place; IPv6 with
 * every pattern of zero groups (runs of every length, ties, the mapped and
 * compatible IPv4 forms) under several group values; random addresses.
 */
static void addr_texts(void)
{
	bool same = true;
	uint8_t a[16] = { 0 };
	for (int place = 0; place < 4; place++) {
		for (int v = 0; v < 256; v++) {
			memcpy(a, (uint8_t[]){ 192, 0, 2, 1 }, 4);
			a[place] = (uint8_t)v;
			same &= addr_same(4, a);
		}
	}
	ok(same, "IPv4: every octet value in every place as inet_ntop() writes it");
	same = true;
	static const unsigned values[] = { 1, 0x10, 0xabc, 0xffff, 0x1000, 0xf00d };
	for (unsigned mask = 0; mask < 256; mask++) {
		for (unsigned v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			for (int w = 0; w < 8; w++) {
				unsigned x = (mask >> w & 1) ? 0 : values[(v + (unsigned)w) % 6];
				a[2 * w] = (uint8_t)(x >> 8);
				a[2 * w + 1] = (uint8_t)x;
			}
			same &= addr_same(6, a);
			a[10] = a[11] = 0xff; /* group 5 all ones: the mapped form when 0-4 are zero */
			same &= addr_same(6, a);
		}
	}
	ok(same, "IPv6: every pattern of zero groups as inet_ntop() writes it");
	same = true;
	unsigned long x = 88172645463325252UL;
	for (int i = 0; i < 100000; i++) {
		for (int k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			a[k] = (x & 3) == 0 ? 0 : (uint8_t)(x >> 24); /* zero bytes often */
		}
		same &= addr_same(4, a) && addr_same(6, a);
	}
	ok(same, "100000 random addresses of both families as inet_ntop() writes them");
	char out[TLD_ADDR_TEXT_MAX];
	is_int(0, (long long)tld_addr_text(5, a, out), "another family: no text");
}

/* The parts of 1 .. 5-part walks, in order and with lines moved, are the whole walk. */
static void same_in_parts(struct tld_zonegen *zg, const char *what)
{
	struct rrlist whole = { 0 };
	is_int(TLD_OK, tld_zonegen_records(zg, from_wire, &whole), "%s: the whole walk", what);
	for (unsigned parts = 1; parts <= 5; parts++) {
		struct rrlist l = { 0 };
		struct shifted s = { .l = &l };
		int err = TLD_OK;
		for (unsigned k = 0; k < parts && err == TLD_OK; k++) {
			unsigned long count = 0;
			size_t before = l.count;
			err = tld_zonegen_records_part(zg, k, parts, from_part, &s, NULL, &count);
			if (err == TLD_OK && count != l.count - before) {
				err = TLD_EINVAL; /* the count given is not the records handed out */
			}
			s.offset += count;
		}
		is_int(TLD_OK, err, "%s: %u parts walked, each counting its records", what, parts);
		ok(l.count == whole.count && l.len == whole.len && memcmp(l.buf, whole.buf, l.len) == 0,
		   "%s: %u parts in order are the whole walk, lines included", what, parts);
		free(l.buf);
	}
	struct rrlist none = { 0 };
	unsigned long count = 7;
	is_int(TLD_EINVAL, tld_zonegen_records_part(zg, 2, 2, from_wire, &none, NULL, &count),
	       "%s: a part past the last is refused", what);
	is_int(TLD_EINVAL, tld_zonegen_records_part(zg, 0, 0, from_wire, &none, NULL, &count),
	       "%s: zero parts are refused", what);
	ok(none.count == 0 && count == 7, "%s: nothing handed out, the count untouched", what);
	free(whole.buf);
}

static void name_wire(const char *text, const char *want, size_t want_len)
{
	unsigned char wire[256];
	size_t len = tld_name_text_to_wire(text, strlen(text), wire);
	ok(len == want_len && memcmp(wire, want, want_len) == 0, "'%.40s' -> %zu octets", text, want_len);
}

static void name_bad(const char *text)
{
	unsigned char wire[256];
	is_int(0, tld_name_text_to_wire(text, strlen(text), wire), "'%.40s' has no wire form", text);
}

static void names(void)
{
	name_wire(".", "", 1);
	name_wire("ab.test.", "\2ab\4test", 9);
	name_wire("ab.test", "\2ab\4test", 9);
	name_wire("Ab.TEST.", "\2Ab\4TEST", 9);
	name_wire("a\\.b.test.", "\3a.b\4test", 10);
	name_wire("\\065\\032b.test.", "\3A b\4test", 10);
	name_wire("*._tcp.test.", "\1*\4_tcp\4test", 13);
	name_bad("a..test.");
	name_bad(".test.");
	name_bad("a\\");
	name_bad("a\\25.test.");
	name_bad("a\\256.test.");
	char label[80], name[400];
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.test.", label);
	unsigned char wire[256];
	is_int(70, tld_name_text_to_wire(name, strlen(name), wire), "63-octet label");
	snprintf(name, sizeof(name), "a%s.test.", label);
	name_bad(name);
	/* 4 labels of 63 + "a": 4 * 64 + 2 + 1 = 259 octets; 3 of 63 + 61: 255 */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s.", label, label, label, label);
	is_int(255, tld_name_text_to_wire(name, strlen(name), wire), "255-octet name");
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s.", label, label, label, label);
	name_bad(name);
}

static char *build_at(const char *sub, const struct fx_file *files, size_t n, const char *apex,
                      struct tld_config *cfg, struct tld_zonegen **zg, int *ret)
{
	static char dirs[4][512];
	static int seq;
	char *dir = dirs[seq++ % 4];
	snprintf(dir, 512, "%s/%s", tmpdir, sub);
	if (fx_export(dir, files, n, NOW, "test.") != 0) {
		*ret = -1;
		return NULL;
	}
	fx_config(cfg, dir);
	if (apex != NULL) {
		static char apex_path[600];
		snprintf(apex_path, sizeof(apex_path), "%s/apex.zone", tmpdir);
		FILE *f = fopen(apex_path, "w");
		if (f == NULL) {
			*ret = -1;
			return NULL;
		}
		fputs(apex, f);
		fclose(f);
		cfg->apex.records = apex_path;
	}
	return fx_zone(cfg, zg, ret);
}

/* A generated export of n domains: NS in and out of the zone, glue of both families, DS. */
static void generated(size_t n)
{
	size_t cap = n * 200 + 1024;
	char *dom = malloc(cap), *ns = malloc(cap), *hosts = malloc(cap), *ds = malloc(cap);
	if (dom == NULL || ns == NULL || hosts == NULL || ds == NULL) {
		ok(0, "memory for the generated export");
		goto out;
	}
	size_t ld = (size_t)sprintf(dom, "name,statuses\n");
	size_t ln = (size_t)sprintf(ns, "domain,host\n");
	size_t lh = (size_t)sprintf(hosts, "host,address\n");
	size_t ls = (size_t)sprintf(ds, "domain,key_tag,algorithm,digest_type,digest\n");
	unsigned long x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		char name[64];
		snprintf(name, sizeof(name), "d%lx-%zu.test", (x >> 40) & 0xfff, i);
		ld += (size_t)sprintf(dom + ld, "%s,%s\n", name, (x >> 20) % 17 == 0 ? "clientHold" : "ok");
		if ((x >> 8) % 3 == 0) { /* in-zone name servers with glue */
			ln += (size_t)sprintf(ns + ln, "%s,ns1.%s\n%s,ns2.%s\n", name, name, name, name);
			lh += (size_t)sprintf(hosts + lh, "ns1.%s,192.0.2.%zu\nns1.%s,2001:db8::%zx\n"
			                      "ns2.%s,198.51.100.%zu\n", name, i % 250 + 1, name, i + 1, name,
			                      (i * 7) % 250 + 1);
		} else {
			ln += (size_t)sprintf(ns + ln, "%s,ns%lu.provider%lu.net\n%s,ns.other.example\n",
			                      name, (x >> 30) % 4, (x >> 12) % 50, name);
		}
		if ((x >> 16) % 10 == 0) {
			ls += (size_t)sprintf(ds + ls, "%s,%lu,13,2,%016lx%016lx%016lx%016lx\n", name,
			                      (x >> 24) % 65536, x, x * 3, x * 5, x * 7);
		}
	}
	const struct fx_file files[] = {
		{ "domains.csv", dom }, { "nameservers.csv", ns }, { "hosts.csv", hosts }, { "ds.csv", ds },
	};
	struct tld_config cfg;
	struct tld_zonegen *zg = NULL;
	int ret;
	char *text = build_at("gen", files, 4, NULL, &cfg, &zg, &ret);
	is_int(TLD_OK, ret, "a generated export of %zu domains builds", n);
	is_int(0, zg ? (long long)tld_zonegen_stats(zg)->bad_rows : -1, "no row rejected");
	if (text != NULL) {
		same_records(zg, text, "generated export");
		same_in_parts(zg, "generated export");
		same_text_in_parts(zg, text, "generated export");
		same_formatted(zg, text, "generated export");
		char *alone = NULL;
		size_t alone_len = 0;
		FILE *f = open_memstream(&alone, &alone_len);
		is_int(TLD_OK, f ? tld_zonegen_write_alone(zg, f) : TLD_ENOMEM, "written on one thread");
		if (f != NULL) {
			fclose(f);
		}
		ok(zg->order_count > 16384, "%zu owners: several chunks of the writer", zg->order_count);
		ok(alone != NULL && strcmp(alone, text) == 0,
		   "on one thread the same bytes as with the helper (%zu bytes)", alone_len);
		free(alone);
	}
	free(text);
	tld_zonegen_free(zg);
out:
	free(dom);
	free(ns);
	free(hosts);
	free(ds);
}

int main(void)
{
	plan_lazy();
	tld_time_t now;
	tld_time_parse(NOW, &now);
	tld_clock_pin(now);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_zonegen_records.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("no temp dir");
	}
	names();
	addr_texts();

	const struct fx_file basic[] = {
		{ "domains.csv", "name,statuses\n"
		                 "example.test,ok\n"
		                 "held.test,clientHold\n"
		                 "glue.test,ok\n"
		                 "a.test,ok\n"
		                 "xn--bcher-kva.test,ok\n" },
		{ "nameservers.csv", "domain,host\n"
		                     "example.test,ns2.provider.net.\n"
		                     "example.test,NS1.provider.net\n"
		                     "held.test,ns1.held.test\n"
		                     "glue.test,ns1.glue.test\n"
		                     "glue.test,ns2.glue.test\n"
		                     "a.test,ns1.glue.test\n"
		                     "xn--bcher-kva.test,ns1.nic.test\n" },
		{ "hosts.csv", "host,address\n"
		               "ns1.glue.test,192.0.2.1\n"
		               "ns1.glue.test,2001:db8::1\n"
		               "ns2.glue.test,192.0.2.2\n" },
		{ "ds.csv", "domain,key_tag,algorithm,digest_type,digest\n"
		            "example.test,12345,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
		            "example.test,54321,14,4,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		            "abcdef0123456789abcdef0123456789\n" },
		{ "dnskeys.csv", "domain,flags,protocol,algorithm,public_key\n"
		                 "glue.test,257,3,13,"
		                 "V8z78HWPFqltewsK859e7PcvYQpuz9Qz5MJg1bNJ5NMWp6INZQgJF2ZA9W7EwlCC67EzGJ3DYpk0WG92arU90w==\n" },
	};
	/* apex data: several types, a repeated record, escaped and wildcard owners, TTLs of its own */
	const char *apex = "$TTL 600\n"
	                   "ns1.nic.test. 3600 IN A 192.0.2.53\n"
	                   "ns1.nic.test. 3600 IN AAAA 2001:db8::53\n"
	                   "ns1.nic.test. 3600 IN A 192.0.2.53\n"
	                   "test. IN TXT \"registry\" \"two strings\"\n"
	                   "test. 300 IN MX 10 Mail.NIC.test.\n"
	                   "_dmarc.test. IN TXT \"v=DMARC1; p=none\"\n"
	                   "*.wild.test. 60 IN TXT \"wild\"\n"
	                   "a\\.b.test. IN TXT \"escaped dot\"\n"
	                   "test. IN CAA 0 issue \"ca.example\"\n";
	struct tld_config cfg;
	struct tld_zonegen *zg = NULL;
	int ret;
	char *text = build_at("basic", basic, 5, apex, &cfg, &zg, &ret);
	is_int(TLD_OK, ret, "the export builds");
	if (text != NULL) {
		same_records(zg, text, "hand-made export with apex.records");
		same_in_parts(zg, "hand-made export");
		same_text_in_parts(zg, text, "hand-made export");
		same_formatted(zg, text, "hand-made export");
		struct rrlist l = { .stop_after = 3 };
		is_int(TLD_ECANCELED, tld_zonegen_records(zg, from_wire, &l),
		       "the callback's error stops the walk and is returned");
		is_int(3, l.count, "no record after the error");
		free(l.buf);
	}
	free(text);
	tld_zonegen_free(zg);

	/* no domain at all: the apex alone (with and without apex.records) */
	const struct fx_file empty[] = {
		{ "domains.csv", "name,statuses\n" },
		{ "nameservers.csv", "domain,host\n" },
		{ "hosts.csv", "host,address\n" },
	};
	for (int with_apex = 0; with_apex < 2; with_apex++) {
		text = build_at(with_apex ? "empty-apex" : "empty", empty, 3, with_apex ? apex : NULL, &cfg,
		                &zg, &ret);
		is_int(TLD_OK, ret, "an empty export builds (%s)", with_apex ? "apex.records" : "no apex.records");
		if (text != NULL) {
			is_int(with_apex ? 4 : 0, (long long)tld_zonegen_owner_count(zg),
			       "owners below the apex: those of apex.records only");
			same_formatted(zg, text, with_apex ? "empty export, apex.records" : "empty export");
		}
		free(text);
		tld_zonegen_free(zg);
	}

	generated(12000); /* over 16384 owners: more than one chunk of the writer */

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		diag("cleanup of %s failed", tmpdir);
	}
	return exit_status();
}
