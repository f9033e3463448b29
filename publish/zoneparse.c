/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The publisher's zone reader.  A signed zone is millions of lines of the
 * form "owner TTL IN TYPE rdata" with absolute names; those are converted to
 * wire directly.  Every line outside that subset (other types, relative or
 * escaped names, omitted fields, parentheses, quotes, units) goes to ldns
 * one record at a time, so the result is what ldns would read
 * (tests/unit/test_publish_zoneparse.c compares the two on every test zone,
 * fuzz_publish_zoneparse on random text).  One deliberate difference: a
 * record without TTL gets $TTL, else the last record's TTL (RFC 2308 4).
 */
#include "publish/zoneimage.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "publish/zoneimage_ldns.h"

#define MAX_TOKENS 96
#define REC_MAX (1 + 255 + 10 + 65535)

/* Result of the fast path for one line. */
enum { FAST_OK = 0, FAST_NO = 1 };

struct token {
	const char *s;
	size_t len;
};

struct reader {
	const char *name;
	uint8_t origin[TLD_DNS_MAXNAME];
	size_t origin_len;
	uint32_t dollar_ttl;       /*!< $TTL, when dollar_ttl_set */
	bool dollar_ttl_set;
	uint32_t last_ttl;         /*!< TTL of the last record, when have_last */
	bool have_last;
	uint8_t prev[TLD_DNS_MAXNAME];
	size_t prev_len;
	struct tld_image_builder b;
	uint8_t rec[REC_MAX];
};

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Text name to wire as written; relative names get the origin.  FAST_NO for anything unusual. */
static int fast_name(const struct reader *rd, const struct token *t, uint8_t *out,
                     size_t *out_len)
{
	size_t o = 0, i = 0;
	if (t->len == 1 && t->s[0] == '@') {
		if (rd->origin_len == 0) {
			return FAST_NO;
		}
		memcpy(out, rd->origin, rd->origin_len);
		*out_len = rd->origin_len;
		return FAST_OK;
	}
	if (t->len == 1 && t->s[0] == '.') {
		out[0] = 0;
		*out_len = 1;
		return FAST_OK;
	}
	while (i < t->len) {
		size_t start = i;
		while (i < t->len && t->s[i] != '.') {
			unsigned char c = (unsigned char)t->s[i];
			if (c == '\\' || c == '@' || c < 0x21 || c > 0x7e) {
				/* escapes, '@', and bytes outside printable ASCII: ldns has its own rules */
				return FAST_NO;
			}
			i++;
		}
		size_t l = i - start;
		if (l == 0 || l > 63 || o + 1 + l + 1 > TLD_DNS_MAXNAME) {
			return FAST_NO;
		}
		out[o++] = (uint8_t)l;
		for (size_t k = start; k < i; k++) {
			out[o++] = (uint8_t)t->s[k];  /* as written; owners are lower-cased by the caller */
		}
		if (i < t->len) {
			i++;  /* the dot */
			if (i == t->len) {
				out[o++] = 0;
				*out_len = o;
				return FAST_OK;
			}
		}
	}
	/* relative */
	if (rd->origin_len == 0 || o + rd->origin_len > TLD_DNS_MAXNAME) {
		return FAST_NO;
	}
	memcpy(out + o, rd->origin, rd->origin_len);
	*out_len = o + rd->origin_len;
	return FAST_OK;
}

/* Unsigned decimal <= max. */
static int fast_uint(const struct token *t, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (t->len == 0 || t->len > 10) {
		return FAST_NO;
	}
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9') {
			return FAST_NO;
		}
		x = x * 10 + (uint64_t)(t->s[i] - '0');
	}
	if (x > max) {
		return FAST_NO;
	}
	*v = x;
	return FAST_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Hex digits of tokens t[0..n), concatenated.  \return FAST_OK / FAST_NO */
static int fast_hex(const struct token *t, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t o = 0;
	int hi = -1;
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < t[k].len; i++) {
			int v = hexval(t[k].s[i]);
			if (v < 0) {
				return FAST_NO;
			}
			if (hi < 0) {
				hi = v;
			} else {
				if (o >= cap) {
					return FAST_NO;
				}
				out[o++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
		}
	}
	if (hi >= 0 || o == 0) {
		return FAST_NO;
	}
	*out_len = o;
	return FAST_OK;
}

/* Base64 digit values; -1 for every other byte. */
static const int8_t B64[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * One base64 token of whole quads with at most two '=' at its end (what
 * signers write).  \return FAST_OK, or FAST_NO for anything else (then the
 * general decoder below judges)
 */
static int fast_base64_quads(const struct token *t, uint8_t *out, size_t cap, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)t->s;
	size_t len = t->len, o = 0;
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap) {
		return FAST_NO;
	}
	size_t pad = p[len - 1] == '=' ? (p[len - 2] == '=' ? 2 : 1) : 0;
	size_t full = len - (pad ? 4 : 0);
	for (size_t i = 0; i < full; i += 4) {
		int a = B64[p[i]], b = B64[p[i + 1]], c = B64[p[i + 2]], d = B64[p[i + 3]];
		if ((a | b | c | d) < 0) {
			return FAST_NO;
		}
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (pad) {
		int a = B64[p[full]], b = B64[p[full + 1]];
		int c = pad == 1 ? B64[p[full + 2]] : 0;
		/* bits beyond the last byte must be zero (as ldns requires) */
		if ((a | b | c) < 0 || (pad == 2 ? (b & 0xf) : (c & 0x3)) != 0) {
			return FAST_NO;
		}
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		out[o++] = (uint8_t)(v >> 16);
		if (pad == 1) {
			out[o++] = (uint8_t)(v >> 8);
		}
	}
	*out_len = o;
	return FAST_OK;
}

/* Base64 of tokens t[0..n) concatenated; strict (padding only at the end). */
static int fast_base64(const struct token *t, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t o = 0, pad = 0, chars = 0;
	uint32_t acc = 0;
	if (n == 1 && fast_base64_quads(t, out, cap, out_len) == FAST_OK) {
		return FAST_OK;
	}
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < t[k].len; i++) {
			char c = t[k].s[i];
			if (c == '=') {
				pad++;
				acc <<= 6;
			} else {
				int v = B64[(unsigned char)c];
				if (v < 0 || pad > 0) {
					return FAST_NO;
				}
				acc = acc << 6 | (uint32_t)v;
			}
			if (++chars % 4 == 0) {
				/* pad > 2, or bits beyond the last byte not zero: ldns judges */
				if (pad > 2 || o + 3 > cap || (pad > 0 && (acc & ((1u << (8 * pad)) - 1)) != 0)) {
					return FAST_NO;
				}
				out[o++] = (uint8_t)(acc >> 16);
				out[o++] = (uint8_t)(acc >> 8);
				out[o++] = (uint8_t)acc;
				acc = 0;
			}
		}
	}
	if (chars == 0 || chars % 4 != 0) {
		return FAST_NO;
	}
	*out_len = o - pad;
	return FAST_OK;
}

/* Base32hex (RFC 4648, no padding), case-insensitive, whole bytes. */
static int fast_base32hex(const struct token *t, uint8_t *out, size_t cap, size_t *out_len)
{
	uint64_t acc = 0;
	size_t bits = 0, o = 0;
	if (t->len == 0 || (t->len * 5) % 8 >= 5) {
		return FAST_NO;
	}
	for (size_t i = 0; i < t->len; i++) {
		char c = (char)lower((uint8_t)t->s[i]);
		int v = c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'v' ? c - 'a' + 10 : -1);
		if (v < 0) {
			return FAST_NO;
		}
		acc = acc << 5 | (uint64_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= cap) {
				return FAST_NO;
			}
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0) {
		return FAST_NO;  /* non-zero trailing bits: let ldns judge */
	}
	*out_len = o;
	return FAST_OK;
}

/* The types the fast path knows by mnemonic (for RRSIG and NSEC3 bitmaps too). */
static const struct {
	const char *name;
	uint8_t len;
	uint16_t type;
} TYPES[] = {
	{ "A", 1, 1 }, { "NS", 2, 2 }, { "CNAME", 5, 5 }, { "SOA", 3, 6 }, { "PTR", 3, 12 },
	{ "MX", 2, 15 }, { "TXT", 3, 16 }, { "AAAA", 4, 28 }, { "SRV", 3, 33 }, { "DS", 2, 43 },
	{ "SSHFP", 5, 44 }, { "RRSIG", 5, 46 }, { "NSEC", 4, 47 }, { "DNSKEY", 6, 48 },
	{ "NSEC3", 5, 50 }, { "NSEC3PARAM", 10, 51 }, { "TLSA", 4, 52 }, { "CDS", 3, 59 },
	{ "CDNSKEY", 7, 60 }, { "ZONEMD", 6, 63 }, { "SVCB", 4, 64 }, { "HTTPS", 5, 65 },
	{ "CAA", 3, 257 },
};

static int fast_type(const struct token *t, uint16_t *type)
{
	char up[12];
	if (t->len == 0 || t->len > 10) {
		return FAST_NO;
	}
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		up[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
	}
	for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
		if (TYPES[i].len == t->len && memcmp(TYPES[i].name, up, t->len) == 0) {
			*type = TYPES[i].type;
			return FAST_OK;
		}
	}
	return FAST_NO;
}

/* YYYYMMDDHHmmSS to seconds since 1970 modulo 2^32 (RFC 4034 3.2). */
static int fast_time(const struct token *t, uint32_t *out)
{
	int v[6], w[6] = { 4, 2, 2, 2, 2, 2 }, p = 0;
	if (t->len != 14) {
		return FAST_NO;
	}
	for (int k = 0; k < 6; k++) {
		v[k] = 0;
		for (int i = 0; i < w[k]; i++, p++) {
			if (t->s[p] < '0' || t->s[p] > '9') {
				return FAST_NO;
			}
			v[k] = v[k] * 10 + (t->s[p] - '0');
		}
	}
	int y = v[0], m = v[1], d = v[2];
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59) {
		return FAST_NO;
	}
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap)) {
		return FAST_NO;
	}
	/* days from civil (Howard Hinnant) */
	int yy = y - (m <= 2);
	int era = yy / 400;
	int yoe = yy - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	int64_t secs = days * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
	*out = (uint32_t)secs;
	return FAST_OK;
}

static int type_cmp(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return x < y ? -1 : x > y;
}

/* NSEC3 type bitmap (RFC 4034 4.1.2) from mnemonics. */
static int fast_bitmap(const struct token *t, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	uint16_t types[64];
	size_t o = 0;
	if (n > 64) {
		return FAST_NO;
	}
	for (size_t i = 0; i < n; i++) {
		if (fast_type(&t[i], &types[i]) != FAST_OK) {
			return FAST_NO;
		}
	}
	qsort(types, n, sizeof(types[0]), type_cmp);
	for (size_t i = 0; i < n;) {
		uint8_t window = (uint8_t)(types[i] >> 8), bits[32];
		size_t len = 0;
		memset(bits, 0, sizeof(bits));
		for (; i < n && (types[i] >> 8) == window; i++) {
			uint8_t lo = (uint8_t)types[i];
			bits[lo / 8] |= (uint8_t)(0x80 >> (lo % 8));
			len = (size_t)lo / 8 + 1;
		}
		if (o + 2 + len > cap) {
			return FAST_NO;
		}
		out[o++] = window;
		out[o++] = (uint8_t)len;
		memcpy(out + o, bits, len);
		o += len;
	}
	*out_len = o;
	return FAST_OK;
}

/* Writes the rdata of one record of a fast type.  \return FAST_OK / FAST_NO */
static int fast_rdata(const struct reader *rd, uint16_t type, const struct token *t, size_t n,
                      uint8_t *out, size_t cap, size_t *out_len)
{
	uint64_t v[4];
	size_t l = 0, l2 = 0;
	uint16_t covered;
	uint32_t t1, t2;
	switch (type) {
	case 1:
		if (n != 1 || t[0].len >= 16) {
			return FAST_NO;
		}
		{
			char buf[16];
			memcpy(buf, t[0].s, t[0].len);
			buf[t[0].len] = 0;
			if (inet_pton(AF_INET, buf, out) != 1) {
				return FAST_NO;
			}
		}
		*out_len = 4;
		return FAST_OK;
	case 28:
		if (n != 1 || t[0].len >= 46) {
			return FAST_NO;
		}
		{
			char buf[46];
			memcpy(buf, t[0].s, t[0].len);
			buf[t[0].len] = 0;
			if (inet_pton(AF_INET6, buf, out) != 1) {
				return FAST_NO;
			}
		}
		*out_len = 16;
		return FAST_OK;
	case 2:
		return n == 1 ? fast_name(rd, &t[0], out, out_len) : FAST_NO;
	case 6:
		if (n != 7 || fast_name(rd, &t[0], out, &l) || fast_name(rd, &t[1], out + l, &l2)) {
			return FAST_NO;
		}
		l += l2;
		for (int k = 0; k < 5; k++) {
			if (fast_uint(&t[2 + k], 0xffffffffu, &v[0])) {
				return FAST_NO;
			}
			tld_put32(out + l, (uint32_t)v[0]);
			l += 4;
		}
		*out_len = l;
		return FAST_OK;
	case 43:
		if (n < 4 || fast_uint(&t[0], 0xffff, &v[0]) || fast_uint(&t[1], 0xff, &v[1]) ||
		    fast_uint(&t[2], 0xff, &v[2]) || fast_hex(t + 3, n - 3, out + 4, cap - 4, &l)) {
			return FAST_NO;
		}
		tld_put16(out, (uint16_t)v[0]);
		out[2] = (uint8_t)v[1];
		out[3] = (uint8_t)v[2];
		*out_len = 4 + l;
		return FAST_OK;
	case 48:
		if (n < 4 || fast_uint(&t[0], 0xffff, &v[0]) || fast_uint(&t[1], 0xff, &v[1]) ||
		    fast_uint(&t[2], 0xff, &v[2]) || fast_base64(t + 3, n - 3, out + 4, cap - 4, &l)) {
			return FAST_NO;
		}
		tld_put16(out, (uint16_t)v[0]);
		out[2] = (uint8_t)v[1];
		out[3] = (uint8_t)v[2];
		*out_len = 4 + l;
		return FAST_OK;
	case 46:
		if (n < 9 || fast_type(&t[0], &covered) || fast_uint(&t[1], 0xff, &v[0]) ||
		    fast_uint(&t[2], 0xff, &v[1]) || fast_uint(&t[3], 0xffffffffu, &v[2]) ||
		    fast_time(&t[4], &t1) || fast_time(&t[5], &t2) || fast_uint(&t[6], 0xffff, &v[3]) ||
		    fast_name(rd, &t[7], out + 18, &l) ||
		    fast_base64(t + 8, n - 8, out + 18 + l, cap - 18 - l, &l2)) {
			return FAST_NO;
		}
		tld_put16(out, covered);
		out[2] = (uint8_t)v[0];
		out[3] = (uint8_t)v[1];
		tld_put32(out + 4, (uint32_t)v[2]);
		tld_put32(out + 8, t1);
		tld_put32(out + 12, t2);
		tld_put16(out + 16, (uint16_t)v[3]);
		*out_len = 18 + l + l2;
		return FAST_OK;
	case 50:
	case 51:
		if (n < 4 || fast_uint(&t[0], 0xff, &v[0]) || fast_uint(&t[1], 0xff, &v[1]) ||
		    fast_uint(&t[2], 0xffff, &v[2])) {
			return FAST_NO;
		}
		out[0] = (uint8_t)v[0];
		out[1] = (uint8_t)v[1];
		tld_put16(out + 2, (uint16_t)v[2]);
		if (t[3].len == 1 && t[3].s[0] == '-') {
			l = 0;
		} else if (fast_hex(&t[3], 1, out + 5, 255, &l)) {
			return FAST_NO;
		}
		out[4] = (uint8_t)l;
		l += 5;
		if (type == 51) {
			if (n != 4) {
				return FAST_NO;
			}
			*out_len = l;
			return FAST_OK;
		}
		if (n < 5 || fast_base32hex(&t[4], out + l + 1, 255, &l2) || l2 == 0) {
			return FAST_NO;
		}
		out[l] = (uint8_t)l2;
		l += 1 + l2;
		if (fast_bitmap(t + 5, n - 5, out + l, cap - l, &l2)) {
			return FAST_NO;
		}
		*out_len = l + l2;
		return FAST_OK;
	default:
		return FAST_NO;
	}
}

/* Splits a line (no comment, no quotes, no parentheses) into tokens. */
static size_t tokenize(const char *s, size_t len, struct token *t, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
			i++;
		}
		if (i == len) {
			break;
		}
		size_t start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
			i++;
		}
		if (n == max) {
			return max + 1;
		}
		t[n].s = s + start;
		t[n].len = i - start;
		n++;
	}
	return n;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/*
 * Bit i set when byte i of the 16 at p cannot continue a plain token: a
 * blank, a control or non-ASCII byte (signed compare: >= 0x80 is negative),
 * DEL, a quote, an escape, a parenthesis or ';'.
 */
static inline unsigned nontoken_mask16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x21)),
	                         _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(';')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('(')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(')')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/*
 * One pass over a line of the common form ("owner TTL IN TYPE rdata", only
 * printable ASCII, blanks): finds its end and splits it into tokens.  Sets
 * *plain false when the line holds anything else (control or non-ASCII
 * bytes, quotes, escapes, parentheses, a comment): then only the returned
 * length is meaningful and the general path reads the line.  *n is
 * MAX_TOKENS + 1 when the line has more tokens than t holds.
 * \return the line length without its newline
 */
static size_t scan_line(const char *s, size_t rem, struct token *t, size_t *n, bool *plain)
{
	size_t i = 0, nt = 0, start = 0;
	bool in_token = false;
	*plain = true;
	for (; i < rem; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c > 0x20 && c < 0x7f) {
			if (c == '"' || c == '(' || c == ')' || c == ';' || c == '\\') {
				*plain = false;
				break;
			}
			if (!in_token) {
				in_token = true;
				start = i;
			}
#if defined(__SSE2__)
			/* the rest of a long token (names, base64), 16 bytes at a time */
			while (i + 17 <= rem) {
				unsigned m = nontoken_mask16(s + i + 1);
				if (m != 0) {
					i += (size_t)__builtin_ctz(m);  /* i: the token's last byte */
					break;
				}
				i += 16;
			}
#endif
			continue;
		}
		if (in_token) {
			if (nt < MAX_TOKENS) {
				t[nt].s = s + start;
				t[nt].len = i - start;
			}
			nt += nt <= MAX_TOKENS;
			in_token = false;
		}
		if (c == '\n') {
			break;
		}
		if (c != ' ' && c != '\t' && c != '\r') {
			*plain = false;
			break;
		}
	}
	if (!*plain) {
		const char *nl = memchr(s + i, '\n', rem - i);
		return nl ? (size_t)(nl - s) : rem;
	}
	if (in_token) {
		if (nt < MAX_TOKENS) {
			t[nt].s = s + start;
			t[nt].len = i - start;
		}
		nt += nt <= MAX_TOKENS;
	}
	*n = nt;
	return i;
}

/* The fast path for one line split into n tokens t.  \return FAST_OK, FAST_NO or a TLD_E* code */
static int fast_tokens(struct reader *rd, const char *s, size_t len, const struct token *t, size_t n)
{
	uint64_t ttl;
	uint16_t type;
	size_t ol = 0, rl = 0;
	if (len == 0 || s[0] == ' ' || s[0] == '\t') {
		return FAST_NO;  /* owner inherited */
	}
	if (n < 5 || n > MAX_TOKENS || fast_uint(&t[1], 0x7fffffff, &ttl) ||
	    t[2].len != 2 || strncasecmp(t[2].s, "IN", 2) != 0 || fast_type(&t[3], &type)) {
		return FAST_NO;
	}
	uint8_t *rec = rd->rec, owner[TLD_DNS_MAXNAME];
	if (fast_name(rd, &t[0], owner, &ol)) {
		return FAST_NO;
	}
	for (size_t i = 0; i < ol; i++) {
		rec[1 + i] = lower(owner[i]);  /* label lengths (< 64) are unchanged */
	}
	uint8_t *f = rec + 1 + ol;
	if (fast_rdata(rd, type, t + 4, n - 4, f + 10, 65535, &rl)) {
		return FAST_NO;
	}
	rec[0] = (uint8_t)ol;
	tld_put16(f, type);
	tld_put16(f + 2, 1);
	tld_put32(f + 4, (uint32_t)ttl);
	tld_put16(f + 8, (uint16_t)rl);
	memcpy(rd->prev, owner, ol);  /* as written: ldns expands @ and relative names with it */
	rd->prev_len = ol;
	return tld_image_builder_add(&rd->b, rec, 1 + ol + 10 + rl);
}

/* The fast path for one line.  \return FAST_OK, FAST_NO or a TLD_E* code */
static int fast_line(struct reader *rd, const char *s, size_t len)
{
	struct token t[MAX_TOKENS];
	size_t n = tokenize(s, len, t, MAX_TOKENS);
	return fast_tokens(rd, s, len, t, n);
}

static void report(const struct reader *rd, size_t line, const char *msg, const char *s, size_t len)
{
	tld_error("%s:%zu: %s: \"%.*s\"", rd->name, line, msg, (int)(len < 160 ? len : 160), s);
}

/* After each record: as ldns, the SOA owner becomes the origin when no $ORIGIN was given. */
static void after_record(struct reader *rd)
{
	const uint8_t *last = rd->b.img->data + rd->b.img->rr[rd->b.img->count - 1];
	const uint8_t *f = last + 1 + last[0];
	rd->last_ttl = tld_get32(f + 4);
	rd->have_last = true;
	if (rd->origin_len == 0 && tld_get16(f) == TLD_RR_SOA) {
		memcpy(rd->origin, rd->prev, rd->prev_len);  /* the owner as written */
		rd->origin_len = rd->prev_len;
	}
}

static bool is_directive(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && memcmp(s, name, n) == 0 && (s[n] == ' ' || s[n] == '\t');
}

/*
 * $ORIGIN / $TTL (upper case, as ldns); $INCLUDE and unknown directives are refused.
 * \return TLD_OK, FAST_NO (not a directive: a record) or TLD_EPARSE
 */
static int directive(struct reader *rd, size_t line, const char *s, size_t len)
{
	struct token t[3];
	size_t n = tokenize(s, len, t, 2);
	uint64_t v;
	if (is_directive(s, len, "$ORIGIN")) {
		uint8_t name[TLD_DNS_MAXNAME];
		size_t nl;
		static const struct reader root = { .origin = { 0 }, .origin_len = 1 };
		/* ldns reads a relative $ORIGIN as absolute; so do we */
		if (n == 2 && fast_name(&root, &t[1], name, &nl) == FAST_OK) {
			memcpy(rd->origin, name, nl);
			rd->origin_len = nl;
			return TLD_OK;
		}
	} else if (is_directive(s, len, "$TTL")) {
		if (n == 2 && fast_uint(&t[1], 0x7fffffff, &v) == FAST_OK) {
			rd->dollar_ttl = (uint32_t)v;
			rd->dollar_ttl_set = true;
			return TLD_OK;
		}
		char buf[32];
		uint32_t p;
		const char *end = NULL;
		if (n == 2 && t[1].len < sizeof(buf)) {
			memcpy(buf, t[1].s, t[1].len);
			buf[t[1].len] = 0;
			p = ldns_str2period(buf, &end);
			if (end != NULL && *end == 0) {
				rd->dollar_ttl = p;
				rd->dollar_ttl_set = true;
				return TLD_OK;
			}
		}
	} else if (len >= 8 && memcmp(s, "$INCLUDE", 8) == 0) {
		report(rd, line, "$INCLUDE is not supported", s, len);
		return TLD_EPARSE;
	} else if (len > 0 && s[0] == '$') {
		/* as the signer's reader: a line starting with '$' is a directive;
		 * an unknown one is refused, never read as an owner name */
		report(rd, line, "unknown directive", s, len);
		return TLD_EPARSE;
	} else {
		return FAST_NO;
	}
	report(rd, line, "malformed directive", s, len);
	return TLD_EPARSE;
}

/*
 * Line end: offset of the comment (outside quotes) or len; sets *special for
 * quotes, parentheses, escapes, and *escaped_newline for a backslash that
 * ends the line (ldns's reader would join the next line to it).
 */
static size_t content_len(const char *s, size_t len, int *parens, bool *special,
                          bool *escaped_newline)
{
	bool quoted = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 == len) {
			*special = true;
			*escaped_newline = true;
		} else if (c == '\\') {
			*special = true;
			i++;
		} else if (c == '"') {
			quoted = !quoted;
			*special = true;
		} else if (!quoted && c == ';') {
			return i;
		} else if (!quoted && c == '(') {
			(*parens)++;
			*special = true;
		} else if (!quoted && c == ')') {
			(*parens)--;
			*special = true;
		}
	}
	return len;
}

/*
 * Reads the records that start before stop (a record in parentheses may run
 * on past it, to len) from *pos on, counting lines in *line.
 * \return TLD_OK or the error (logged)
 */
static int read_records(struct reader *rd, const char *text, size_t len, size_t stop, size_t *pos_io,
                        size_t *line_io, char **joined, size_t *jcap)
{
	size_t pos = *pos_io, line = *line_io;
	int r = TLD_OK;
	while (pos < stop) {
		const char *s = text + pos;
		struct token tok[MAX_TOKENS];
		size_t ntok = 0;
		bool plain;
		size_t ll = scan_line(s, len - pos, tok, &ntok, &plain);
		size_t first_line = ++line;
		int parens = 0;
		bool special = false;
		pos += ll + (pos + ll < len);
		if (plain && ntok == 0) {
			continue;  /* blank */
		}
		if (plain && s[0] != '$') {
			/* the common case: one pass over the line, then the fast path */
			r = fast_tokens(rd, s, ll, tok, ntok);
			if (r == FAST_OK) {
				after_record(rd);
				continue;
			}
			if (r < 0) {
				return r;
			}
		}
		if (memchr(s, 0, ll) != NULL) {
			report(rd, line, "NUL byte in zone text", s, ll);
			r = TLD_EPARSE;
			return r;
		}
		/* Signers write names and strings with \DDD escapes; a raw control
		 * or non-ASCII byte is refused rather than guessed at (ldns and
		 * other readers disagree on them). */
		for (size_t b = 0; b < ll; b++) {
			unsigned char c = (unsigned char)s[b];
			if ((c < 0x20 && c != '\t' && c != '\r') || c >= 0x7f) {
				report(rd, line, "raw control or non-ASCII byte (write it as \\DDD)", s, ll);
				r = TLD_EPARSE;
				return r;
			}
		}
		bool escaped_newline = false;
		size_t cl = content_len(s, ll, &parens, &special, &escaped_newline);
		size_t k = 0;
		while (k < cl && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) {
			k++;
		}
		if (k == cl) {
			if (parens == 0) {
				continue;  /* blank or comment */
			}
		}
		if (s[0] == '$' && special) {
			report(rd, line, "quotes, parentheses or escapes in a directive", s, ll);
			r = TLD_EPARSE;
			return r;
		}
		if (s[0] == '$') {
			r = directive(rd, line, s, cl);
			if (r == TLD_OK) {
				continue;
			}
			if (r != FAST_NO) {
				return r;
			}
		}
		if (!special) {
			r = fast_line(rd, s, cl);
			if (r == FAST_OK) {
				after_record(rd);
				continue;
			}
			if (r < 0) {
				return r;
			}
		}
		/* ldns for this record; a parenthesised record runs to its ')' */
		size_t need = ll + 1, rec_end = pos;
		while (parens > 0 && rec_end < len) {
			const char *s2 = text + rec_end;
			const char *nl2 = memchr(s2, '\n', len - rec_end);
			size_t l2 = nl2 ? (size_t)(nl2 - s2) : len - rec_end;
			content_len(s2, l2, &parens, &special, &escaped_newline);
			rec_end += l2 + (nl2 != NULL);
			line++;
		}
		if (escaped_newline) {
			/* signers write \DDD; a line joined to the next is not guessed at */
			report(rd, first_line, "a backslash at the end of a line (an escaped newline)", s, ll);
			r = TLD_EPARSE;
			return r;
		}
		if (parens != 0) {
			report(rd, first_line, "unbalanced parentheses", s, ll);
			r = TLD_EPARSE;
			return r;
		}
		need = rec_end - (size_t)(s - text) + 1;
		if (need > *jcap) {
			char *j = realloc((*joined), need);
			if (j == NULL) {
				r = TLD_ENOMEM;
				return r;
			}
			(*joined) = j;
			*jcap = need;
		}
		memcpy((*joined), s, need - 1);
		(*joined)[need - 1] = 0;
		for (size_t i = 0; i + 1 < need; i++) {
			if ((*joined)[i] == '\n') {
				(*joined)[i] = ' ';
			}
		}
		{
			/* comments end at their line; the newlines are gone, so blank them here */
			for (size_t i = 0, q = 0; i + 1 < need; i++) {
				if ((*joined)[i] == '\\' && i + 2 < need) {
					i++;  /* an escaped '"' or ';' neither opens a string nor a comment */
				} else if ((*joined)[i] == '"') {
					q = !q;
				} else if (!q && (*joined)[i] == ';') {
					while (i + 1 < need && text[(size_t)(s - text) + i] != '\n') {
						(*joined)[i++] = ' ';
					}
				}
			}
		}
		for (size_t e = need - 1; e > 0 && ((*joined)[e - 1] == ' ' || (*joined)[e - 1] == '\t' ||
		                                    (*joined)[e - 1] == '\r'); e--) {
			(*joined)[e - 1] = 0;  /* ldns takes trailing blanks after a quoted string for more text */
		}
		pos = rec_end;
		const char *err = NULL;
		/*
		 * A record without TTL: $TTL, else the last record's (RFC 1035 5.1,
		 * RFC 2308 4), 3600 before anything.  (ldns's zone reader has its
		 * own corner cases here; a signed zone states every TTL.)
		 */
		uint32_t dflt = rd->dollar_ttl_set ? rd->dollar_ttl : rd->have_last ? rd->last_ttl : 3600;
		r = tld_image_add_ldns_text(&rd->b, (*joined), dflt, rd->origin, rd->origin_len,
		                            rd->prev, &rd->prev_len, &err);
		if (r == TLD_EPARSE) {
			report(rd, first_line, err ? err : "syntax error", s, ll);
		} else if (r == TLD_OK) {
			after_record(rd);
		}
		if (r != TLD_OK) {
			return r;
		}
	}
	*pos_io = pos;
	*line_io = line;
	return TLD_OK;
}

/*
 * The second part of a long text, read on a thread of its own while the
 * first part is read: only lines the fast path takes whatever came before
 * (absolute names, no directive, nothing for ldns); anything else and the
 * part is given up, then the first reader goes on through it.
 */
struct part_job {
	struct reader *rd;             /*!< its own reader: no origin, so relative names give up */
	const char *text;
	size_t len;
	int r;                         /*!< TLD_OK, FAST_NO (given up) or TLD_ENOMEM */
};

static void *read_part(void *arg)
{
	struct part_job *job = arg;
	size_t pos = 0;
	job->r = TLD_OK;
	while (pos < job->len) {
		const char *s = job->text + pos;
		struct token tok[MAX_TOKENS];
		size_t ntok = 0;
		bool plain;
		size_t ll = scan_line(s, job->len - pos, tok, &ntok, &plain);
		pos += ll + (pos + ll < job->len);
		if (!plain || (ntok > 0 && s[0] == '$')) {
			job->r = FAST_NO;
			return NULL;
		}
		if (ntok > 0 && (job->r = fast_tokens(job->rd, s, ll, tok, ntok)) != FAST_OK) {
			return NULL;
		}
	}
	return NULL;
}

/* Texts at least this long are read in two parts at once. */
#define PART_MIN ((size_t)8 << 20)

int tld_image_from_zone_text_parts(const char *name, const char *text, size_t len, size_t part_min,
                                   struct tld_zone_image **out)
{
	struct reader *rd = calloc(1, sizeof(*rd)), *rd2 = NULL;
	struct part_job job = { .r = FAST_NO };
	pthread_t thread;
	bool started = false;
	char *joined = NULL;
	size_t jcap = 0, pos = 0, line = 0, stop = len;
	int r = TLD_ENOMEM;
	if (rd == NULL || (rd->b.img = calloc(1, sizeof(*rd->b.img))) == NULL) {
		goto fail;
	}
	rd->name = name;
	/* the second part starts at a line near the middle */
	const char *mid = len >= part_min && len >= 2 ? memchr(text + len / 2, '\n', len - len / 2) : NULL;
	if (mid != NULL && mid + 1 < text + len && (rd2 = calloc(1, sizeof(*rd2))) != NULL &&
	    (rd2->b.img = calloc(1, sizeof(*rd2->b.img))) != NULL) {
		rd2->name = name;
		job.rd = rd2;
		job.text = mid + 1;
		job.len = (size_t)(text + len - (mid + 1));
		started = pthread_create(&thread, NULL, read_part, &job) == 0;
		if (started) {
			stop = (size_t)(mid + 1 - text);
		}
	}
	r = read_records(rd, text, len, stop, &pos, &line, &joined, &jcap);
	if (started) {
		pthread_join(thread, NULL);
		started = false;
	}
	if (r != TLD_OK) {
		goto fail;
	}
	if (stop < len) {
		tld_debug("%s: second part from byte %zu %s", name, stop,
		          job.r == TLD_OK && pos == stop ? "read beside the first" : "read after the first");
	}
	if (pos < len) {
		/* the part was read when it was wholly plain and the first part ended at its start */
		if (job.r == TLD_OK && pos == stop) {
			r = tld_image_builder_append(&rd->b, rd2->b.img);
		} else if (job.r < 0) {
			r = job.r;
		} else {
			r = read_records(rd, text, len, len, &pos, &line, &joined, &jcap);
		}
		if (r != TLD_OK) {
			goto fail;
		}
	}
	r = tld_image_builder_finish(&rd->b, name, out);
fail:
	if (started) {
		pthread_join(thread, NULL);
	}
	if (rd != NULL) {
		tld_image_free(rd->b.img);
	}
	if (rd2 != NULL) {
		tld_image_free(rd2->b.img);
	}
	free(rd);
	free(rd2);
	free(joined);
	return r;
}

int tld_image_from_zone_text(const char *name, const char *text, size_t len,
                             struct tld_zone_image **out)
{
	return tld_image_from_zone_text_parts(name, text, len, PART_MIN, out);
}

int tld_image_from_zone_file(const char *path, struct tld_zone_image **out)
{
	char *text = NULL;
	int r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		r = tld_errno(errno);
		tld_error("%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	size_t len = (size_t)st.st_size, got = 0;
	text = malloc(len ? len : 1);
	if (text == NULL) {
		r = TLD_ENOMEM;
		goto fail;
	}
	while (got < len) {
		ssize_t n = read(fd, text + got, len - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			r = TLD_EIO;
			tld_error("%s: read failed: %s", path, n < 0 ? strerror(errno) : "file shrank");
			goto fail;
		}
		got += (size_t)n;
	}
	r = tld_image_from_zone_text(path, text, len, out);
fail:
	if (fd >= 0) {
		close(fd);
	}
	free(text);
	return r;
}

/* -- single lines (the delta path, publish/zonedelta.c) -- */

struct tld_line_reader {
	struct reader rd;
};

int tld_line_reader_new(const char *name, tld_line_reader_t **out)
{
	struct tld_line_reader *lr = calloc(1, sizeof(*lr));
	if (lr == NULL || (lr->rd.b.img = calloc(1, sizeof(*lr->rd.b.img))) == NULL) {
		free(lr);
		return TLD_ENOMEM;
	}
	lr->rd.name = name;
	*out = lr;
	return TLD_OK;
}

int tld_line_reader_read(tld_line_reader_t *lr, const char *line, size_t len)
{
	struct token tok[MAX_TOKENS];
	size_t ntok = 0;
	bool plain;
	if (len == 0 || line[0] == '$' || scan_line(line, len, tok, &ntok, &plain) != len || !plain ||
	    ntok == 0) {
		return TLD_EAGAIN;
	}
	int r = fast_tokens(&lr->rd, line, len, tok, ntok);
	if (r == FAST_OK) {
		after_record(&lr->rd);
		return TLD_OK;
	}
	return r == FAST_NO ? TLD_EAGAIN : r;
}

int tld_line_reader_owner(const tld_line_reader_t *lr, const char *line, size_t len, uint8_t *owner,
                          size_t *owner_len)
{
	struct token t = { .s = line, .len = 0 };
	while (t.len < len && line[t.len] != ' ' && line[t.len] != '\t') {
		t.len++;
	}
	if (t.len == 0 || fast_name(&lr->rd, &t, owner, owner_len) != FAST_OK) {
		return TLD_EAGAIN;
	}
	for (size_t i = 0; i < *owner_len; i++) {
		owner[i] = lower(owner[i]);
	}
	return TLD_OK;
}

const struct tld_zone_image *tld_line_reader_records(const tld_line_reader_t *lr)
{
	return lr->rd.b.img;
}

void tld_line_reader_free(tld_line_reader_t *lr)
{
	if (lr != NULL) {
		tld_image_free(lr->rd.b.img);
		free(lr);
	}
}
