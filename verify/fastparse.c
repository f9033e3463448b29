/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A fast path for the records that make up nearly all of a signed TLD zone
 * (NS, DS, A, AAAA, RRSIG, NSEC3), written one per line with an absolute
 * owner, a TTL and class IN, as signers print them.  It turns such a line
 * straight into canonical wire form; any other line (directives, relative or
 * escaped names, parentheses, quotes, comments, other types, anything odd) is
 * left to ldns's parser.  The fuzz target and TLDSIGN_VERIFY_CROSSCHECK=1
 * compare it with ldns record by record.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "verify/internal.h"

#define MAX_TOKENS 64

/* Characters of a line: inside a token, between tokens, or never on the fast path. */
enum { CC_PLAIN = 0, CC_BLANK = 1, CC_REJECT = 2 };
static const uint8_t char_class[256] = {
	[' '] = CC_BLANK, ['\t'] = CC_BLANK,
	['('] = CC_REJECT, [')'] = CC_REJECT, ['"'] = CC_REJECT, ['\\'] = CC_REJECT,
	[';'] = CC_REJECT, ['\n'] = CC_REJECT, ['\r'] = CC_REJECT, [0] = CC_REJECT,
};

/* Whether the line holds a CC_REJECT character. */
static bool has_reject_char(const char *line, size_t len)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i c0 = _mm_set1_epi8('('), c1 = _mm_set1_epi8(')'), c2 = _mm_set1_epi8('"');
	const __m128i c3 = _mm_set1_epi8('\\'), c4 = _mm_set1_epi8(';'), c5 = _mm_set1_epi8('\n');
	const __m128i c6 = _mm_set1_epi8('\r'), c7 = _mm_setzero_si128();
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(line + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, c0), _mm_cmpeq_epi8(v, c1)),
		                         _mm_or_si128(_mm_cmpeq_epi8(v, c2), _mm_cmpeq_epi8(v, c3)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, c4),
		                                              _mm_cmpeq_epi8(v, c5)),
		                                 _mm_or_si128(_mm_cmpeq_epi8(v, c6),
		                                              _mm_cmpeq_epi8(v, c7))));
		if (_mm_movemask_epi8(m) != 0) {
			return true;
		}
	}
#endif
	for (; i < len; i++) {
		if (char_class[(uint8_t)line[i]] == CC_REJECT) {
			return true;
		}
	}
	return false;
}

/* Index of the first blank at or after i (len if none). */
static size_t next_blank(const char *line, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(line + i));
		unsigned m = (unsigned)_mm_movemask_epi8(
		        _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
		if (m != 0) {
			return i + (unsigned)__builtin_ctz(m);
		}
	}
#endif
	while (i < len && line[i] != ' ' && line[i] != '\t') {
		i++;
	}
	return i;
}

struct tok {
	const char *p;
	size_t n;
};

static bool is_digits(const struct tok *t)
{
	if (t->n == 0 || t->n > 10) {
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9') {
			return false;
		}
	}
	return true;
}

static bool get_uint(const struct tok *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!is_digits(t)) {
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* Plain host-name characters, lower-cased; 0 for anything ldns must read. */
static const uint8_t name_char[256] = {
	['-'] = '-', ['_'] = '_', ['*'] = '*',
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
	['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
	['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
	['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
	['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
	['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
	['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
};

/* Absolute name to lower-cased wire; false for anything not plain. */
static bool put_name(const struct tok *t, uint8_t *w, size_t cap, size_t *len)
{
	size_t o = 1, lab = 0;
	if (t->n < 2 || t->p[t->n - 1] != '.' || t->n + 1 > VFY_NAME_MAX || t->n + 1 > cap) {
		return false;
	}
	/* w[lab] is the length byte of the label being written */
	for (size_t i = 0; i < t->n; i++) {
		uint8_t c = (uint8_t)t->p[i];
		if (c == '.') {
			size_t l = o - lab - 1;
			if (l == 0 || l > 63) {
				return false;
			}
			w[lab] = (uint8_t)l;
			lab = o++;
			continue;
		}
		uint8_t v = name_char[c];
		if (v == 0) {
			return false; /* anything else goes to ldns */
		}
		w[o++] = v;
	}
	/* the last '.' opened an empty label: the root */
	w[lab] = 0;
	*len = lab + 1;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Concatenated hex tokens into out; returns the byte count or -1. */
static long put_hex(const struct tok *t, size_t nt, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (size_t k = 0; k < nt; k++) {
		for (size_t i = 0; i < t[k].n; i++) {
			int v = hexval(t[k].p[i]);
			if (v < 0) {
				return -1;
			}
			if (hi < 0) {
				hi = v;
			} else {
				if (n == cap) {
					return -1;
				}
				out[n++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
		}
	}
	return hi < 0 ? (long)n : -1;
}

/* Base64 digit values plus one; 65 for '=', 0 for anything else. */
static const uint8_t b64_value[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23,
	['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44,
	['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51,
	['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58,
	['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64, ['='] = 65,
};

/* Concatenated base64 tokens (RFC 4648, padded, strict) into out; bytes or -1. */
static long put_b64(const struct tok *t, size_t nt, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0, chars = 0, pad = 0;
	for (size_t k = 0; k < nt; k++) {
		const uint8_t *p = (const uint8_t *)t[k].p;
		size_t len = t[k].n, i = 0;
		chars += len;
		/* whole quanta of four digits while no padding has been seen */
		if (bits == 0 && pad == 0) {
			for (; i + 4 <= len; i += 4) {
				/* 0 (not a digit) wraps around, 65 ('=') becomes 64 */
				uint32_t a = b64_value[p[i]] - 1u, b = b64_value[p[i + 1]] - 1u;
				uint32_t c = b64_value[p[i + 2]] - 1u, d = b64_value[p[i + 3]] - 1u;
				if ((a | b | c | d) >= 64) {
					break; /* padding or a bad digit: the loop below decides */
				}
				if (n + 3 > cap) {
					return -1;
				}
				uint32_t v = a << 18 | b << 12 | c << 6 | d;
				out[n] = (uint8_t)(v >> 16);
				out[n + 1] = (uint8_t)(v >> 8);
				out[n + 2] = (uint8_t)v;
				n += 3;
			}
		}
		for (; i < len; i++) {
			uint32_t v = b64_value[p[i]];
			if (v == 65) {
				pad++;
				continue;
			}
			if (v == 0 || pad > 0) {
				return -1;
			}
			acc = (acc << 6) | (v - 1);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (n == cap) {
					return -1;
				}
				out[n++] = (uint8_t)(acc >> bits);
				acc &= (1u << bits) - 1;
			}
		}
	}
	if (chars == 0 || chars % 4 != 0 || pad > 2 || acc != 0) {
		return -1;
	}
	return (long)n;
}

static bool put_time(const struct tok *t, uint32_t *out)
{
	if (t->n == 14) {
		struct tm tm = { 0 };
		int v[6];
		const int w[6] = { 4, 2, 2, 2, 2, 2 };
		size_t p = 0;
		for (int i = 0; i < 6; i++) {
			v[i] = 0;
			for (int j = 0; j < w[i]; j++, p++) {
				if (t->p[p] < '0' || t->p[p] > '9') {
					return false;
				}
				v[i] = v[i] * 10 + (t->p[p] - '0');
			}
		}
		if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
		    v[4] > 59 || v[5] > 59) {
			return false;
		}
		tm.tm_year = v[0] - 1900;
		tm.tm_mon = v[1] - 1;
		tm.tm_mday = v[2];
		tm.tm_hour = v[3];
		tm.tm_min = v[4];
		tm.tm_sec = v[5];
		time_t s = timegm(&tm);
		if (s < 0 || s > (time_t)UINT32_MAX) {
			return false;
		}
		*out = (uint32_t)s;
		return true;
	}
	return t->n < 14 && get_uint(t, UINT32_MAX, out);
}

/* The mnemonics a signed zone is made of; anything else is looked up by ldns. */
static const struct {
	const char *name;
	uint8_t len;
	uint16_t type;
} common_types[] = {
	{ "A", 1, LDNS_RR_TYPE_A },           { "NS", 2, LDNS_RR_TYPE_NS },
	{ "DS", 2, LDNS_RR_TYPE_DS },         { "MX", 2, LDNS_RR_TYPE_MX },
	{ "SOA", 3, LDNS_RR_TYPE_SOA },       { "TXT", 3, LDNS_RR_TYPE_TXT },
	{ "AAAA", 4, LDNS_RR_TYPE_AAAA },     { "NSEC", 4, LDNS_RR_TYPE_NSEC },
	{ "RRSIG", 5, LDNS_RR_TYPE_RRSIG },   { "NSEC3", 5, LDNS_RR_TYPE_NSEC3 },
	{ "CNAME", 5, LDNS_RR_TYPE_CNAME },   { "DNSKEY", 6, LDNS_RR_TYPE_DNSKEY },
	{ "NSEC3PARAM", 10, LDNS_RR_TYPE_NSEC3PARAM },
};

static bool put_type(const struct tok *t, uint16_t *out)
{
	char name[16];
	if (t->n == 0 || t->n >= sizeof(name)) {
		return false;
	}
	for (size_t i = 0; i < sizeof(common_types) / sizeof(common_types[0]); i++) {
		if (common_types[i].len != t->n) {
			continue;
		}
		size_t j = 0;
		while (j < t->n) {
			char c = t->p[j];
			if ((c >= 'a' && c <= 'z' ? c - 32 : c) != common_types[i].name[j]) {
				break;
			}
			j++;
		}
		if (j == t->n) {
			*out = common_types[i].type;
			return true;
		}
	}
	memcpy(name, t->p, t->n);
	name[t->n] = 0;
	ldns_rr_type type = ldns_get_rr_type_by_name(name);
	if (type == 0) {
		return false;
	}
	*out = (uint16_t)type;
	return true;
}

/* RFC 4034 4.1.2 type bitmap of the type tokens; bytes written or -1. */
static long put_bitmap(const struct tok *t, size_t nt, uint8_t *out, size_t cap)
{
	uint16_t types[MAX_TOKENS];
	size_t n = 0, nty = 0;
	for (size_t k = 0; k < nt; k++) {
		uint16_t type;
		if (!put_type(&t[k], &type)) {
			return -1;
		}
		size_t j = nty++;
		for (; j > 0 && types[j - 1] > type; j--) {
			types[j] = types[j - 1];
		}
		types[j] = type;
	}
	for (size_t i = 0; i < nty;) {
		unsigned win = types[i] >> 8;
		size_t end = i;
		while (end < nty && (types[end] >> 8) == win) {
			end++;
		}
		size_t blen = ((types[end - 1] & 0xffu) >> 3) + 1;
		if (n + 2 + blen > cap) {
			return -1;
		}
		out[n++] = (uint8_t)win;
		out[n++] = (uint8_t)blen;
		memset(out + n, 0, blen);
		for (; i < end; i++) {
			out[n + ((types[i] & 0xffu) >> 3)] |= (uint8_t)(0x80u >> (types[i] & 7));
		}
		n += blen;
	}
	return (long)n;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int vfy_fast_parse(const char *line, size_t len, uint8_t *wire, size_t cap, size_t *wire_len,
                   size_t *owner_len)
{
	struct tok t[MAX_TOKENS];
	size_t nt = 0, i = 0;

	if (len == 0 || line[0] == ' ' || line[0] == '\t' || cap < 1024) {
		return TLD_ENOTIMPL;
	}
	/* a line with any of these characters anywhere is ldns's */
	if (has_reject_char(line, len)) {
		return TLD_ENOTIMPL;
	}
	while (i < len) {
		if (line[i] == ' ' || line[i] == '\t') {
			i++;
			continue;
		}
		if (line[i] == '$' || nt == MAX_TOKENS) {
			return TLD_ENOTIMPL;
		}
		t[nt].p = line + i;
		i = next_blank(line, i + 1, len);
		t[nt].n = (size_t)(line + i - t[nt].p);
		nt++;
	}
	uint32_t ttl;
	uint16_t type;
	size_t olen, p;
	if (nt < 5 || !put_name(&t[0], wire, VFY_NAME_MAX, &olen) || !get_uint(&t[1], INT32_MAX, &ttl) ||
	    t[2].n != 2 || (t[2].p[0] | 0x20) != 'i' || (t[2].p[1] | 0x20) != 'n' ||
	    !put_type(&t[3], &type)) {
		return TLD_ENOTIMPL;
	}
	p = olen;
	put16(wire + p, type);
	put16(wire + p + 2, LDNS_RR_CLASS_IN);
	put32(wire + p + 4, ttl);
	size_t rd = p + 10;          /* RDATA start */
	uint8_t *o = wire + rd;
	size_t room = cap - rd;
	size_t n = 0, l;
	const struct tok *r = &t[4];
	size_t nr = nt - 4;
	uint32_t v[8];
	long k;

	switch (type) {
	case LDNS_RR_TYPE_A:
		if (nr != 1 || r[0].n > 15) {
			return TLD_ENOTIMPL;
		} else {
			char a[16];
			memcpy(a, r[0].p, r[0].n);
			a[r[0].n] = 0;
			if (inet_pton(AF_INET, a, o) != 1) {
				return TLD_ENOTIMPL;
			}
			n = 4;
		}
		break;
	case LDNS_RR_TYPE_AAAA:
		if (nr != 1 || r[0].n > 45) {
			return TLD_ENOTIMPL;
		} else {
			char a[46];
			memcpy(a, r[0].p, r[0].n);
			a[r[0].n] = 0;
			if (inet_pton(AF_INET6, a, o) != 1) {
				return TLD_ENOTIMPL;
			}
			n = 16;
		}
		break;
	case LDNS_RR_TYPE_NS:
		if (nr != 1 || !put_name(&r[0], o, room, &l)) {
			return TLD_ENOTIMPL;
		}
		n = l;
		break;
	case LDNS_RR_TYPE_DS:
		if (nr < 4 || !get_uint(&r[0], 65535, &v[0]) || !get_uint(&r[1], 255, &v[1]) ||
		    !get_uint(&r[2], 255, &v[2])) {
			return TLD_ENOTIMPL;
		}
		put16(o, v[0]);
		o[2] = (uint8_t)v[1];
		o[3] = (uint8_t)v[2];
		k = put_hex(&r[3], nr - 3, o + 4, room - 4);
		if (k <= 0) {
			return TLD_ENOTIMPL;
		}
		n = 4 + (size_t)k;
		break;
	case LDNS_RR_TYPE_RRSIG: {
		uint16_t covered;
		uint32_t exp, inc;
		if (nr < 9 || !put_type(&r[0], &covered) || !get_uint(&r[1], 255, &v[1]) ||
		    !get_uint(&r[2], 255, &v[2]) || !get_uint(&r[3], UINT32_MAX, &v[3]) ||
		    !put_time(&r[4], &exp) || !put_time(&r[5], &inc) || !get_uint(&r[6], 65535, &v[6])) {
			return TLD_ENOTIMPL;
		}
		put16(o, covered);
		o[2] = (uint8_t)v[1];
		o[3] = (uint8_t)v[2];
		put32(o + 4, v[3]);
		put32(o + 8, exp);
		put32(o + 12, inc);
		put16(o + 16, v[6]);
		if (!put_name(&r[7], o + 18, room - 18, &l)) {
			return TLD_ENOTIMPL;
		}
		k = put_b64(&r[8], nr - 8, o + 18 + l, room - 18 - l);
		if (k <= 0) {
			return TLD_ENOTIMPL;
		}
		n = 18 + l + (size_t)k;
		break;
	}
	case LDNS_RR_TYPE_NSEC3: {
		if (nr < 5 || !get_uint(&r[0], 255, &v[0]) || !get_uint(&r[1], 255, &v[1]) ||
		    !get_uint(&r[2], 65535, &v[2])) {
			return TLD_ENOTIMPL;
		}
		o[0] = (uint8_t)v[0];
		o[1] = (uint8_t)v[1];
		put16(o + 2, v[2]);
		if (r[3].n == 1 && r[3].p[0] == '-') {
			o[4] = 0;
			n = 5;
		} else {
			k = put_hex(&r[3], 1, o + 5, 255);
			if (k <= 0) {
				return TLD_ENOTIMPL;
			}
			o[4] = (uint8_t)k;
			n = 5 + (size_t)k;
		}
		char b32[128];
		if (r[4].n >= sizeof(b32) || r[4].n % 8 != 0) { /* whole quanta only */
			return TLD_ENOTIMPL;
		}
		memcpy(b32, r[4].p, r[4].n);
		int hl = vfy_base32hex_decode(b32, r[4].n, o + n + 1);
		if (hl <= 0) {
			return TLD_ENOTIMPL;
		}
		o[n] = (uint8_t)hl;
		n += 1 + (size_t)hl;
		k = put_bitmap(&r[5], nr - 5, o + n, room - n);
		if (k < 0) {
			return TLD_ENOTIMPL;
		}
		n += (size_t)k;
		break;
	}
	default:
		return TLD_ENOTIMPL;
	}
	if (n > 65535) {
		return TLD_ENOTIMPL;
	}
	put16(wire + p + 8, (uint32_t)n);
	*wire_len = rd + n;
	*owner_len = olen;
	return TLD_OK;
}
