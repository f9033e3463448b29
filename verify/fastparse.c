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

#include "common/error.h"
#include "verify/internal.h"

#define MAX_TOKENS 64

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

/* Absolute name to lower-cased wire; false for anything not plain. */
static bool put_name(const struct tok *t, uint8_t *w, size_t cap, size_t *len)
{
	size_t o = 0, start = 0;
	if (t->n < 2 || t->p[t->n - 1] != '.' || t->n + 1 > VFY_NAME_MAX || t->n + 1 > cap) {
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] == '.') {
			size_t l = i - start;
			if (l == 0 || l > 63) {
				return false;
			}
			w[o++] = (uint8_t)l;
			for (size_t j = start; j < i; j++) {
				char c = t->p[j];
				/* plain host-name characters only; anything else goes to ldns */
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*')) {
					return false;
				}
				w[o++] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
			}
			start = i + 1;
		}
	}
	w[o++] = 0;
	*len = o;
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

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Concatenated base64 tokens (RFC 4648, padded, strict) into out; bytes or -1. */
static long put_b64(const struct tok *t, size_t nt, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0, chars = 0, pad = 0;
	for (size_t k = 0; k < nt; k++) {
		for (size_t i = 0; i < t[k].n; i++) {
			char c = t[k].p[i];
			chars++;
			if (c == '=') {
				pad++;
				continue;
			}
			int v = b64val(c);
			if (v < 0 || pad > 0) {
				return -1;
			}
			acc = (acc << 6) | (uint32_t)v;
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

static bool put_type(const struct tok *t, uint16_t *out)
{
	char name[16];
	if (t->n == 0 || t->n >= sizeof(name)) {
		return false;
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

static long put_bitmap(const struct tok *t, size_t nt, uint8_t *out, size_t cap)
{
	struct vfy_typeset s;
	size_t n = 0;
	vfy_typeset_clear(&s);
	for (size_t k = 0; k < nt; k++) {
		uint16_t type;
		if (!put_type(&t[k], &type)) {
			return -1;
		}
		vfy_typeset_add(&s, type);
	}
	for (unsigned win = 0; win < 256; win++) {
		int last = -1;
		for (int b = 31; b >= 0; b--) {
			if (s.bits[win * 32 + (unsigned)b]) {
				last = b;
				break;
			}
		}
		if (last < 0) {
			continue;
		}
		if (n + 2 + (size_t)last + 1 > cap) {
			return -1;
		}
		out[n++] = (uint8_t)win;
		out[n++] = (uint8_t)(last + 1);
		memcpy(out + n, s.bits + win * 32, (size_t)last + 1);
		n += (size_t)last + 1;
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
	while (i < len) {
		char c = line[i];
		if (c == '(' || c == ')' || c == '"' || c == '\\' || c == ';' || c == '$' ||
		    c == '\n' || c == '\r' || c == 0) {
			return TLD_ENOTIMPL;
		}
		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (nt == MAX_TOKENS) {
			return TLD_ENOTIMPL;
		}
		t[nt].p = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			if (line[i] == '(' || line[i] == ')' || line[i] == '"' || line[i] == '\\' ||
			    line[i] == ';' || line[i] == '\n' || line[i] == '\r' || line[i] == 0) {
				return TLD_ENOTIMPL;
			}
			i++;
		}
		t[nt].n = (size_t)(line + i - t[nt].p);
		nt++;
	}
	uint32_t ttl;
	uint16_t type;
	size_t olen, p;
	if (nt < 5 || !put_name(&t[0], wire, VFY_NAME_MAX, &olen) || !get_uint(&t[1], INT32_MAX, &ttl) ||
	    t[2].n != 2 || strncasecmp(t[2].p, "IN", 2) != 0 || !put_type(&t[3], &type)) {
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
