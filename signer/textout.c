/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/textout.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "signer/dname.h"
#include "signer/nsec3.h"
#include "signer/rrtype.h"
#include "signer/zone.h"

/* Room one record can take at most: owner, numbers, RDATA as hex or base64 with escapes. */
#define RECORD_MAX (4 * 255 + 64 + 4 * 65536)

/* -- internal API -- */

static int flush(struct signer_textout *t)
{
	if (t->out == NULL) { /* memory mode: keep everything, grow */
		if (t->err == TLD_OK) {
			char *n = realloc(t->buf, t->cap * 2);
			if (n == NULL) {
				t->err = TLD_ENOMEM;
			} else {
				t->buf = n;
				t->cap *= 2;
			}
		}
		return t->err;
	}
	if (t->len > 0 && t->err == TLD_OK) {
		if (fwrite(t->buf, 1, t->len, t->out) != t->len) {
			t->err = TLD_EIO;
		}
	}
	t->len = 0;
	return t->err;
}

static inline void put(struct signer_textout *t, const void *s, size_t n)
{
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static inline void putc1(struct signer_textout *t, char c)
{
	t->buf[t->len++] = c;
}

static void put_u32(struct signer_textout *t, uint32_t v)
{
	char tmp[10];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0) {
		t->buf[t->len++] = tmp[--n];
	}
}

static bool put_name(struct signer_textout *t, const uint8_t *wire, size_t max)
{
	if (signer_dname_len(wire, max) == 0) {
		return false;
	}
	t->len += signer_dname_to_text(wire, t->buf + t->len, t->cap - t->len);
	return true;
}

static void put_hex(struct signer_textout *t, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		t->buf[t->len++] = hex[p[i] >> 4];
		t->buf[t->len++] = hex[p[i] & 15];
	}
}

static void put_base64(struct signer_textout *t, const uint8_t *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = t->buf + t->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		*o++ = b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		*o++ = '=';
	}
	t->len = (size_t)(o - t->buf);
}

static void put_type(struct signer_textout *t, uint16_t type)
{
	char name[32];
	signer_type_name(type, name, sizeof(name));
	put(t, name, strlen(name));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* "<character-string>" with quotes, backslash and non-printables escaped */
static bool put_string(struct signer_textout *t, const uint8_t *p, size_t avail, size_t *used)
{
	if (avail < 1 || (size_t)p[0] + 1 > avail) {
		return false;
	}
	size_t n = p[0];
	putc1(t, '"');
	for (size_t i = 1; i <= n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			putc1(t, '\\');
			putc1(t, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			putc1(t, '\\');
			putc1(t, (char)('0' + c / 100));
			putc1(t, (char)('0' + c / 10 % 10));
			putc1(t, (char)('0' + c % 10));
		} else {
			putc1(t, (char)c);
		}
	}
	putc1(t, '"');
	*used = n + 1;
	return true;
}

static bool put_bitmap(struct signer_textout *t, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (i + 2 > n || p[i + 1] == 0 || p[i + 1] > 32 || i + 2 + p[i + 1] > n) {
			return false;
		}
		unsigned window = p[i], blen = p[i + 1];
		for (unsigned b = 0; b < blen * 8; b++) {
			if (p[i + 2 + b / 8] & (0x80 >> (b % 8))) {
				if (window == 0 && b == 0) {
					return false;  /* type 0 has no presentation; generic form */
				}
				putc1(t, ' ');
				put_type(t, (uint16_t)(window * 256 + b));
			}
		}
		i += 2 + blen;
	}
	return true;
}

/* RDATA of the common types; false when the type is not handled here or the RDATA is malformed */
static bool put_rdata_fast(struct signer_textout *t, uint16_t type, const uint8_t *rd, size_t n)
{
	size_t nl, nl2, used;
	char addr[INET6_ADDRSTRLEN];
	switch (type) {
	case SIGNER_T_A:
		if (n != 4 || inet_ntop(AF_INET, rd, addr, sizeof(addr)) == NULL) {
			return false;
		}
		put(t, addr, strlen(addr));
		return true;
	case SIGNER_T_AAAA:
		if (n != 16 || inet_ntop(AF_INET6, rd, addr, sizeof(addr)) == NULL) {
			return false;
		}
		put(t, addr, strlen(addr));
		return true;
	case SIGNER_T_NS:
	case SIGNER_T_CNAME:
	case SIGNER_T_DNAME:
	case SIGNER_T_PTR:
		return signer_dname_len(rd, n) == n && put_name(t, rd, n);
	case SIGNER_T_MX:
		if (n < 3 || signer_dname_len(rd + 2, n - 2) != n - 2) {
			return false;
		}
		put_u32(t, get16(rd));
		putc1(t, ' ');
		return put_name(t, rd + 2, n - 2);
	case SIGNER_T_SOA:
		nl = signer_dname_len(rd, n);
		nl2 = nl ? signer_dname_len(rd + nl, n - nl) : 0;
		if (nl == 0 || nl2 == 0 || nl + nl2 + 20 != n) {
			return false;
		}
		put_name(t, rd, nl);
		putc1(t, ' ');
		put_name(t, rd + nl, nl2);
		for (size_t i = 0; i < 5; i++) {
			putc1(t, ' ');
			put_u32(t, get32(rd + nl + nl2 + 4 * i));
		}
		return true;
	case SIGNER_T_TXT:
		if (n == 0) {
			return false;
		}
		for (size_t o = 0; o < n; o += used) {
			if (o > 0) {
				putc1(t, ' ');
			}
			if (!put_string(t, rd + o, n - o, &used)) {
				return false;
			}
		}
		return true;
	case SIGNER_T_DS:
	case SIGNER_T_CDS:
		if (n < 5) {
			return false;
		}
		put_u32(t, get16(rd));
		putc1(t, ' ');
		put_u32(t, rd[2]);
		putc1(t, ' ');
		put_u32(t, rd[3]);
		putc1(t, ' ');
		put_hex(t, rd + 4, n - 4);
		return true;
	case SIGNER_T_DNSKEY:
	case SIGNER_T_CDNSKEY:
		if (n < 5) {
			return false;
		}
		put_u32(t, get16(rd));
		putc1(t, ' ');
		put_u32(t, rd[2]);
		putc1(t, ' ');
		put_u32(t, rd[3]);
		putc1(t, ' ');
		put_base64(t, rd + 4, n - 4);
		return true;
	case SIGNER_T_RRSIG: {
		if (n < 19) {
			return false;
		}
		nl = signer_dname_len(rd + 18, n - 18);
		if (nl == 0 || 18 + nl >= n) {
			return false;
		}
		char ts[16];
		put_type(t, get16(rd));
		putc1(t, ' ');
		put_u32(t, rd[2]);
		putc1(t, ' ');
		put_u32(t, rd[3]);
		putc1(t, ' ');
		put_u32(t, get32(rd + 4));
		putc1(t, ' ');
		signer_rrsig_time_text(get32(rd + 8), t->now, ts);
		put(t, ts, 14);
		putc1(t, ' ');
		signer_rrsig_time_text(get32(rd + 12), t->now, ts);
		put(t, ts, 14);
		putc1(t, ' ');
		put_u32(t, get16(rd + 16));
		putc1(t, ' ');
		put_name(t, rd + 18, nl);
		putc1(t, ' ');
		put_base64(t, rd + 18 + nl, n - 18 - nl);
		return true;
	}
	case SIGNER_T_NSEC:
		nl = signer_dname_len(rd, n);
		/* an NSEC always lists at least NSEC and RRSIG; an empty bitmap
		 * would not read back, so it goes out in the generic form */
		if (nl == 0 || nl == n) {
			return false;
		}
		put_name(t, rd, nl);
		return put_bitmap(t, rd + nl, n - nl);
	case SIGNER_T_NSEC3:
	case SIGNER_T_NSEC3PARAM: {
		if (n < 5 || (size_t)5 + rd[4] > n) {
			return false;
		}
		size_t salt = rd[4];
		put_u32(t, rd[0]);
		putc1(t, ' ');
		put_u32(t, rd[1]);
		putc1(t, ' ');
		put_u32(t, get16(rd + 2));
		putc1(t, ' ');
		if (salt == 0) {
			putc1(t, '-');
		} else {
			put_hex(t, rd + 5, salt);
		}
		if (type == SIGNER_T_NSEC3PARAM) {
			return n == 5 + salt;
		}
		size_t o = 5 + salt;
		if (o >= n || o + 1 + rd[o] > n || rd[o] == 0) {
			return false;
		}
		char b32[64];
		size_t hl = signer_base32hex(rd + o + 1, rd[o], b32);
		putc1(t, ' ');
		put(t, b32, hl);
		return put_bitmap(t, rd + o + 1 + rd[o], n - o - 1 - rd[o]);
	}
	default:
		return false;
	}
}

/*
 * Types put_rdata_fast() formats itself.  When one of them is malformed the
 * record goes out in the RFC 3597 generic form, never through ldns: ldns
 * accepts truncated RDATA of these types and prints what it got, which
 * would not read back (fuzz_textout: an NSEC3PARAM of one byte).
 */
static bool fast_type(uint16_t type)
{
	switch (type) {
	case SIGNER_T_A: case SIGNER_T_AAAA: case SIGNER_T_NS: case SIGNER_T_CNAME:
	case SIGNER_T_DNAME: case SIGNER_T_PTR: case SIGNER_T_MX: case SIGNER_T_SOA:
	case SIGNER_T_TXT: case SIGNER_T_DS: case SIGNER_T_CDS: case SIGNER_T_DNSKEY:
	case SIGNER_T_CDNSKEY: case SIGNER_T_RRSIG: case SIGNER_T_NSEC: case SIGNER_T_NSEC3:
	case SIGNER_T_NSEC3PARAM:
		return true;
	default:
		return false;
	}
}

/*
 * Whether ldns reads TEXT (RDATA in presentation form) back as exactly the
 * RDATA rd: the signer's reader parses these types with ldns the same way
 * (signer/zparse.c).  ldns prints some malformed RDATA it accepted from the
 * wire in a form it does not read back (fuzz_textout: a two-byte URI
 * printed as its priority alone); those go out in the generic form.
 */
static bool reads_back(uint16_t type, const char *text, size_t len, const uint8_t *rd, size_t n)
{
	ldns_rr_descriptor const *d = ldns_rr_descript(type);
	char generic[16];
	const char *name = d != NULL ? d->_name : NULL;
	if (name == NULL) {
		snprintf(generic, sizeof(generic), "TYPE%u", (unsigned)type);
		name = generic;
	}
	char *line = malloc(len + strlen(name) + 16);
	if (line == NULL) {
		return false;
	}
	snprintf(line, len + strlen(name) + 16, ". 0 IN %s %.*s", name, (int)len, text);
	ldns_rr *rr = NULL;
	ldns_buffer *b = NULL;
	bool same = false;
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) == LDNS_STATUS_OK && ldns_rr_get_type(rr) == type &&
	    (b = ldns_buffer_new(n + 64)) != NULL && ldns_rr_rdata2buffer_wire(b, rr) == LDNS_STATUS_OK) {
		same = ldns_buffer_position(b) == n && memcmp(ldns_buffer_begin(b), rd, n) == 0;
	}
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	free(line);
	return same;
}

/* Any other type: ldns's presentation of each RDATA field, when it reads back */
static bool put_rdata_ldns(struct signer_textout *t, uint16_t type, const uint8_t *rd, size_t n)
{
	uint8_t *wire = malloc(n + 11);
	ldns_rr *rr = NULL;
	bool ok = false;
	if (wire == NULL) {
		return false;
	}
	size_t pos = 0;
	wire[0] = 0;
	wire[1] = (uint8_t)(type >> 8);
	wire[2] = (uint8_t)type;
	wire[3] = 0;
	wire[4] = 1;
	memset(wire + 5, 0, 4);
	wire[9] = (uint8_t)(n >> 8);
	wire[10] = (uint8_t)n;
	memcpy(wire + 11, rd, n);
	if (ldns_wire2rr(&rr, wire, n + 11, &pos, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK && pos == n + 11) {
		size_t start = t->len;
		ok = true;
		for (size_t i = 0; i < ldns_rr_rd_count(rr) && ok; i++) {
			char *s = ldns_rdf2str(ldns_rr_rdf(rr, i));
			if (s == NULL || strlen(s) + 2 > t->cap - t->len - 64) {
				ok = false;
			} else {
				if (i > 0) {
					putc1(t, ' ');
				}
				put(t, s, strlen(s));
			}
			free(s);
		}
		if (ok) {
			ok = reads_back(type, t->buf + start, t->len - start, rd, n);
		}
		if (!ok) {
			t->len = start;
		}
	}
	ldns_rr_free(rr);
	free(wire);
	return ok;
}

/* -- public API -- */

tld_time_t signer_rrsig_time_abs(uint32_t v, tld_time_t now)
{
	/* the instant congruent to v modulo 2^32 nearest to now */
	int32_t delta = (int32_t)(v - (uint32_t)now);
	return now + delta;
}

void signer_rrsig_time_text(uint32_t v, tld_time_t now, char *out)
{
	time_t at = (time_t)signer_rrsig_time_abs(v, now);
	struct tm tm;
	if (at < 0 || gmtime_r(&at, &tm) == NULL) {
		at = (time_t)v;
		gmtime_r(&at, &tm);
	}
	unsigned v6[6] = { (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday,
		           (unsigned)tm.tm_hour, (unsigned)tm.tm_min, (unsigned)tm.tm_sec };
	size_t o = 0;
	for (int i = 0; i < 6; i++) {
		unsigned digits = i == 0 ? 4 : 2;
		for (unsigned d = digits; d-- > 0;) {
			out[o + d] = (char)('0' + v6[i] % 10);
			v6[i] /= 10;
		}
		o += digits;
	}
	out[o] = '\0';
}

int signer_textout_init(struct signer_textout *t, FILE *out, size_t cap, tld_time_t now)
{
	memset(t, 0, sizeof(*t));
	if (cap < 2 * RECORD_MAX) {
		cap = 2 * RECORD_MAX;
	}
	t->buf = malloc(cap);
	if (t->buf == NULL) {
		return TLD_ENOMEM;
	}
	t->cap = cap;
	t->out = out;
	t->now = now;
	return TLD_OK;
}

int signer_textout_finish(struct signer_textout *t)
{
	int ret = t->out != NULL ? flush(t) : t->err;
	free(t->buf);
	t->buf = NULL;
	return ret;
}

int signer_textout_rr(struct signer_textout *t, const uint8_t *owner, uint32_t ttl, uint16_t type,
                      const uint8_t *rdata, uint16_t rdlen)
{
	if (t->cap - t->len < RECORD_MAX && flush(t) != TLD_OK) {
		return t->err;
	}
	put_name(t, owner, SIGNER_DNAME_MAX);
	putc1(t, '\t');
	put_u32(t, ttl);
	put(t, "\tIN\t", 4);
	size_t type_at = t->len;
	put_type(t, type);
	putc1(t, '\t');
	size_t rd_at = t->len;
	if (!put_rdata_fast(t, type, rdata, rdlen)) {
		t->len = rd_at;
		if (fast_type(type) || !put_rdata_ldns(t, type, rdata, rdlen)) {
			/* RFC 3597 generic form: TYPEnnn \# len hex */
			t->len = type_at;
			put(t, "TYPE", 4);
			put_u32(t, type);
			put(t, "\t\\# ", 4);
			put_u32(t, rdlen);
			if (rdlen > 0) {
				putc1(t, ' ');
				put_hex(t, rdata, rdlen);
			}
		}
	}
	putc1(t, '\n');
	return TLD_OK;
}

char *signer_textout_reserve(struct signer_textout *t, size_t len)
{
	while (t->cap - t->len < len) {
		if (t->out != NULL && t->len == 0) { /* larger than the buffer */
			char *n = t->err == TLD_OK ? realloc(t->buf, len) : NULL;
			if (n == NULL) {
				t->err = t->err == TLD_OK ? TLD_ENOMEM : t->err;
				return NULL;
			}
			t->buf = n;
			t->cap = len;
			break;
		}
		if (flush(t) != TLD_OK) {
			return NULL;
		}
	}
	char *at = t->buf + t->len;
	t->len += len;
	return at;
}
