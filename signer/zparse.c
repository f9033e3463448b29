/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/zparse.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/zone.h"

struct tok {
	const char *s;
	size_t len;
	bool quoted;
};

struct parser {
	const char *file;
	const char *p, *end;
	uint32_t line;        /* current line */
	uint32_t entry_line;  /* first line of the current entry */
	bool leading_ws;      /* the entry began with white space: owner omitted */

	uint8_t origin[256];
	bool have_origin;
	uint8_t owner[256];
	bool have_owner;
	uint32_t default_ttl;
	bool have_default_ttl;
	uint32_t last_ttl;
	bool have_last_ttl;

	struct tok *toks;
	size_t ntok, tok_cap;

	signer_zparse_cb cb;
	void *ctx;
	const char *release_from; /* mapped text: pages before the entry read are dropped from memory */
	bool fresh;               /* a slice from the middle of a file: no state from before it may be needed */
	bool quiet;               /* errors are not logged */
	bool origin_changed;      /* a $ORIGIN was met */
	size_t rdlen;
	char msg_owner[1024];
	char msg_type[32];
	bool msg_owner_lazy;   /* msg_owner is ps->owner, not yet written as text */
	uint16_t msg_type_lazy; /* msg_type is this type, not yet written as text */
	/*
	 * The record's RDATA, rdlen bytes of it written (nothing reads past
	 * them): last, and not cleared when a parser is made (parse()), so
	 * that a parse of a few lines -- a patch parses one slice per name
	 * re-signed -- does not clear 64 KiB.
	 */
	uint8_t rd[65536];
};

/* The owner and type of the record for messages: text made only when needed. */
static void fill_msg(struct parser *ps)
{
	if (ps->msg_owner_lazy) {
		signer_dname_to_text(ps->owner, ps->msg_owner, sizeof(ps->msg_owner));
		ps->msg_owner_lazy = false;
	}
	if (ps->msg_type_lazy != 0) {
		signer_type_name(ps->msg_type_lazy, ps->msg_type, sizeof(ps->msg_type));
		ps->msg_type_lazy = 0;
	}
}

static int perr(struct parser *ps, const char *fmt, const char *arg)
{
	char what[512];
	if (ps->quiet) {
		return TLD_EPARSE;
	}
	fill_msg(ps);
	snprintf(what, sizeof(what), fmt, arg);
	if (ps->msg_owner[0] != 0) {
		tld_error("%s:%u: %s %s: %s", ps->file, ps->entry_line, ps->msg_owner, ps->msg_type, what);
	} else {
		tld_error("%s:%u: %s", ps->file, ps->entry_line, what);
	}
	return TLD_EPARSE;
}

static int push_tok(struct parser *ps, const char *s, size_t len, bool quoted)
{
	if (ps->ntok == ps->tok_cap) {
		size_t ncap = ps->tok_cap ? ps->tok_cap * 2 : 64;
		struct tok *n = realloc(ps->toks, ncap * sizeof(*n));
		if (n == NULL) {
			return TLD_ENOMEM;
		}
		ps->toks = n;
		ps->tok_cap = ncap;
	}
	ps->toks[ps->ntok++] = (struct tok){ s, len, quoted };
	return TLD_OK;
}

/* Reads one entry into ps->toks; ps->ntok == 0 at the end of input. */
static int read_entry(struct parser *ps)
{
	int paren = 0;
	bool line_start = true; /* entries always begin at the start of a line */
	ps->ntok = 0;
	ps->leading_ws = false;
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (ps->ntok == 0 && paren == 0 && line_start) {
			ps->entry_line = ps->line;
			ps->leading_ws = (c == ' ' || c == '\t');
			line_start = false;
		}
		if (c == '\n') {
			ps->line++;
			ps->p++;
			if (paren == 0) {
				if (ps->ntok > 0) {
					return TLD_OK;
				}
				line_start = true;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
			continue;
		}
		if (c == ';') {
			while (ps->p < ps->end && *ps->p != '\n') {
				ps->p++;
			}
			continue;
		}
		if (c == '(') {
			paren++;
			ps->p++;
			continue;
		}
		if (c == ')') {
			if (--paren < 0) {
				return perr(ps, "%s", "')' without '('");
			}
			ps->p++;
			continue;
		}
		int ret;
		if (c == '"') {
			const char *s = ++ps->p;
			while (ps->p < ps->end && *ps->p != '"') {
				if (*ps->p == '\\' && ps->p + 1 < ps->end) {
					ps->p++;
				}
				if (*ps->p == '\n') {
					ps->line++;
				}
				ps->p++;
			}
			if (ps->p >= ps->end) {
				return perr(ps, "%s", "unterminated quoted string");
			}
			ret = push_tok(ps, s, (size_t)(ps->p - s), true);
			ps->p++;
		} else {
			const char *s = ps->p;
			while (ps->p < ps->end) {
				char d = *ps->p;
				if (d == '\\' && ps->p + 1 < ps->end) {
					ps->p += 2;
					continue;
				}
				if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '(' ||
				    d == ')' || d == '"') {
					break;
				}
				ps->p++;
			}
			ret = push_tok(ps, s, (size_t)(ps->p - s), false);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	if (paren != 0) {
		return perr(ps, "%s", "'(' not closed before the end of the file");
	}
	return TLD_OK;
}

size_t signer_zparse_name(const char *t, size_t len, const uint8_t *origin, uint8_t *out)
{
	if (len == 1 && t[0] == '@') {
		if (origin == NULL) {
			return 0;
		}
		size_t ol = signer_dname_len(origin, SIGNER_DNAME_MAX);
		memcpy(out, origin, ol);
		return ol;
	}
	if (len == 1 && t[0] == '.') {
		out[0] = 0;
		return 1;
	}
	size_t o = 0, lstart = 0;
	bool absolute = false;
	out[o++] = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)t[i];
		if (c == '.') {
			size_t ll = o - lstart - 1;
			if (ll == 0 || ll > 63) {
				return 0;
			}
			out[lstart] = (uint8_t)ll;
			if (i == len - 1) {
				absolute = true;
				break;
			}
			lstart = o;
			if (o >= SIGNER_DNAME_MAX) {
				return 0;
			}
			out[o++] = 0;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= len) {
				return 0;
			}
			if (t[i + 1] >= '0' && t[i + 1] <= '9') {
				if (i + 3 >= len || t[i + 2] < '0' || t[i + 2] > '9' || t[i + 3] < '0' || t[i + 3] > '9') {
					return 0;
				}
				unsigned v = (unsigned)(t[i + 1] - '0') * 100 + (unsigned)(t[i + 2] - '0') * 10 +
				             (unsigned)(t[i + 3] - '0');
				if (v > 255) {
					return 0;
				}
				c = (uint8_t)v;
				i += 3;
			} else {
				c = (uint8_t)t[++i];
			}
		}
		if (o >= SIGNER_DNAME_MAX) {
			return 0;
		}
		out[o++] = c;
	}
	if (!absolute) {
		size_t ll = o - lstart - 1;
		if (ll == 0 || ll > 63 || origin == NULL) {
			return 0;
		}
		out[lstart] = (uint8_t)ll;
		size_t ol = signer_dname_len(origin, SIGNER_DNAME_MAX);
		if (o + ol > SIGNER_DNAME_MAX) {
			return 0;
		}
		memcpy(out + o, origin, ol);
		return o + ol;
	}
	if (o + 1 > SIGNER_DNAME_MAX) {
		return 0;
	}
	out[o++] = 0;
	return o;
}

static bool parse_uint(const struct tok *t, uint64_t max, uint64_t *out)
{
	if (t->len == 0 || t->len > 20 || t->quoted) {
		return false;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9') {
			return false;
		}
		v = v * 10 + (uint64_t)(t->s[i] - '0');
		if (v > max) {
			return false;
		}
	}
	*out = v;
	return true;
}

/* TTL: decimal seconds or units (1w2d3h4m5s), at most 2^31-1 (RFC 2181 8) */
static bool parse_ttl(const struct tok *t, uint32_t *out)
{
	if (t->len == 0 || t->quoted || t->s[0] < '0' || t->s[0] > '9') {
		return false;
	}
	uint64_t total = 0, cur = 0;
	bool digits = false;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			digits = true;
			if (cur > 0x7fffffff) {
				return false;
			}
			continue;
		}
		uint64_t mult;
		switch (c | 0x20) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		default: return false;
		}
		if (!digits) {
			return false;
		}
		total += cur * mult;
		cur = 0;
		digits = false;
		if (total > 0x7fffffff) {
			return false;
		}
	}
	total += cur;
	if (total > 0x7fffffff) {
		return false;
	}
	*out = (uint32_t)total;
	return true;
}

static bool put(struct parser *ps, const void *d, size_t n)
{
	if (ps->rdlen + n > 65535) {
		return false;
	}
	memcpy(ps->rd + ps->rdlen, d, n);
	ps->rdlen += n;
	return true;
}

static bool put_u8(struct parser *ps, const struct tok *t)
{
	uint64_t v;
	uint8_t b;
	if (!parse_uint(t, 0xff, &v)) {
		return false;
	}
	b = (uint8_t)v;
	return put(ps, &b, 1);
}

static bool put_u16(struct parser *ps, const struct tok *t)
{
	uint64_t v;
	if (!parse_uint(t, 0xffff, &v)) {
		return false;
	}
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return put(ps, b, 2);
}

static bool put_u32(struct parser *ps, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return put(ps, b, 4);
}

static bool put_name(struct parser *ps, const struct tok *t)
{
	uint8_t w[SIGNER_DNAME_MAX];
	if (t->quoted) {
		return false;
	}
	size_t l = signer_zparse_name(t->s, t->len, ps->have_origin ? ps->origin : NULL, w);
	return l > 0 && put(ps, w, l);
}

static bool put_string(struct parser *ps, const struct tok *t)
{
	uint8_t buf[256];
	size_t o = 1;
	for (size_t i = 0; i < t->len; i++) {
		uint8_t c = (uint8_t)t->s[i];
		if (c == '\\') {
			if (i + 1 >= t->len) {
				return false;
			}
			if (t->s[i + 1] >= '0' && t->s[i + 1] <= '9') {
				if (i + 3 >= t->len || t->s[i + 2] < '0' || t->s[i + 2] > '9' ||
				    t->s[i + 3] < '0' || t->s[i + 3] > '9') {
					return false;
				}
				unsigned v = (unsigned)(t->s[i + 1] - '0') * 100 + (unsigned)(t->s[i + 2] - '0') * 10 +
				             (unsigned)(t->s[i + 3] - '0');
				if (v > 255) {
					return false;
				}
				c = (uint8_t)v;
				i += 3;
			} else {
				c = (uint8_t)t->s[++i];
			}
		}
		if (o > 255) {
			return false;
		}
		buf[o++] = c;
	}
	buf[0] = (uint8_t)(o - 1);
	return put(ps, buf, o);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* hex spread over tokens [from, ntok) */
static bool put_hex(struct parser *ps, size_t from)
{
	int hi = -1;
	size_t n = 0;
	for (size_t k = from; k < ps->ntok; k++) {
		const struct tok *t = &ps->toks[k];
		if (t->quoted) {
			return false;
		}
		for (size_t i = 0; i < t->len; i++) {
			int v = hexval(t->s[i]);
			if (v < 0) {
				return false;
			}
			if (hi < 0) {
				hi = v;
			} else {
				uint8_t b = (uint8_t)(hi << 4 | v);
				if (!put(ps, &b, 1)) {
					return false;
				}
				hi = -1;
				n++;
			}
		}
	}
	return hi < 0 && n > 0;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

static bool put_base64(struct parser *ps, size_t from)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t chars = 0;
	for (size_t k = from; k < ps->ntok; k++) {
		const struct tok *t = &ps->toks[k];
		if (t->quoted) {
			return false;
		}
		for (size_t i = 0; i < t->len; i++) {
			if (t->s[i] == '=') {
				pad++;
				chars++;
				continue;
			}
			int v = b64val(t->s[i]);
			if (v < 0 || pad > 0) {
				return false;
			}
			chars++;
			acc = acc << 6 | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				uint8_t b = (uint8_t)(acc >> bits);
				if (!put(ps, &b, 1)) {
					return false;
				}
			}
		}
	}
	return chars > 0 && chars % 4 == 0 && pad <= 2;
}

/* The types a TLD zone is made of, looked up before ldns's list of every type. */
static const struct {
	const char *name;
	uint8_t len;
	uint16_t type;
} common_types[] = {
	{ "NS", 2, 2 },     { "DS", 2, 43 },    { "A", 1, 1 },       { "AAAA", 4, 28 },
	{ "SOA", 3, 6 },    { "TXT", 3, 16 },   { "DNSKEY", 6, 48 }, { "MX", 2, 15 },
	{ "CNAME", 5, 5 },  { "RRSIG", 5, 46 }, { "NSEC3", 5, 50 },  { "NSEC", 4, 47 },
};

static uint16_t type_from(const struct tok *t)
{
	char buf[32];
	if (t->quoted || t->len == 0 || t->len >= sizeof(buf)) {
		return 0;
	}
	for (size_t k = 0; k < sizeof(common_types) / sizeof(common_types[0]); k++) {
		if (t->len == common_types[k].len && strncasecmp(t->s, common_types[k].name, t->len) == 0) {
			return common_types[k].type;
		}
	}
	memcpy(buf, t->s, t->len);
	buf[t->len] = 0;
	if (strncasecmp(buf, "TYPE", 4) == 0 && buf[4] >= '0' && buf[4] <= '9') {
		struct tok n = { buf + 4, t->len - 4, false };
		uint64_t v;
		return parse_uint(&n, 0xffff, &v) ? (uint16_t)v : 0;
	}
	return (uint16_t)ldns_get_rr_type_by_name(buf);
}

/* any other type: ldns's RDATA parser, for this one record */
static int rdata_by_ldns(struct parser *ps, uint16_t type, size_t from)
{
	size_t cap = 64;
	for (size_t k = from; k < ps->ntok; k++) {
		cap += ps->toks[k].len + 3;
	}
	char *line = malloc(cap + sizeof(ps->msg_owner) + 64);
	if (line == NULL) {
		return TLD_ENOMEM;
	}
	fill_msg(ps);
	/* only the RDATA is taken: a root owner keeps an odd owner's text out of ldns's way */
	int o = snprintf(line, cap + 64, ". 0 IN %s", ps->msg_type);
	for (size_t k = from; k < ps->ntok; k++) {
		const struct tok *t = &ps->toks[k];
		o += snprintf(line + o, cap + 64 - (size_t)o, t->quoted ? " \"%.*s\"" : " %.*s", (int)t->len, t->s);
	}
	ldns_rr *rr = NULL;
	ldns_rdf *orig = ps->have_origin ? ldns_dname_new_frm_data((uint16_t)signer_dname_len(ps->origin, 255),
	                                                            ps->origin)
	                                 : NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, line, 0, orig, NULL);
	free(line);
	ldns_rdf_deep_free(orig);
	if (s != LDNS_STATUS_OK || (uint16_t)ldns_rr_get_type(rr) != type) {
		ldns_rr_free(rr);
		return perr(ps, "bad RDATA (%s)", s != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(s) : "type");
	}
	ldns_buffer *b = ldns_buffer_new(512);
	int ret = TLD_OK;
	if (b == NULL || ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK ||
	    !put(ps, ldns_buffer_begin(b), ldns_buffer_position(b))) {
		ret = perr(ps, "%s", "RDATA cannot be encoded");
	}
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	return ret;
}

static int rdata(struct parser *ps, uint16_t type, size_t i)
{
	const struct tok *t = ps->toks + i;
	size_t n = ps->ntok - i;
	ps->rdlen = 0;
	if (n >= 1 && !t[0].quoted && t[0].len == 2 && t[0].s[0] == '\\' && t[0].s[1] == '#') {
		uint64_t len;
		if (n < 2 || !parse_uint(&t[1], 65535, &len)) {
			return perr(ps, "%s", "bad generic RDATA length");
		}
		if (len == 0 ? n != 2 : !put_hex(ps, i + 2)) {
			return perr(ps, "%s", "bad generic RDATA hex");
		}
		if (ps->rdlen != len) {
			return perr(ps, "%s", "generic RDATA length does not match its data");
		}
		return TLD_OK;
	}
	bool good;
	switch (type) {
	case SIGNER_T_A: {
		char buf[64];
		good = n == 1 && t[0].len < sizeof(buf) && !t[0].quoted;
		if (good) {
			memcpy(buf, t[0].s, t[0].len);
			buf[t[0].len] = 0;
			good = inet_pton(AF_INET, buf, ps->rd) == 1;
			ps->rdlen = 4;
		}
		break;
	}
	case SIGNER_T_AAAA: {
		char buf[64];
		good = n == 1 && t[0].len < sizeof(buf) && !t[0].quoted;
		if (good) {
			memcpy(buf, t[0].s, t[0].len);
			buf[t[0].len] = 0;
			good = inet_pton(AF_INET6, buf, ps->rd) == 1;
			ps->rdlen = 16;
		}
		break;
	}
	case SIGNER_T_NS: case SIGNER_T_CNAME: case SIGNER_T_DNAME: case SIGNER_T_PTR:
		good = n == 1 && put_name(ps, &t[0]);
		break;
	case SIGNER_T_MX:
		good = n == 2 && put_u16(ps, &t[0]) && put_name(ps, &t[1]);
		break;
	case SIGNER_T_SRV:
		good = n == 4 && put_u16(ps, &t[0]) && put_u16(ps, &t[1]) && put_u16(ps, &t[2]) &&
		       put_name(ps, &t[3]);
		break;
	case SIGNER_T_SOA: {
		uint64_t serial;
		uint32_t v[4];
		good = n == 7 && put_name(ps, &t[0]) && put_name(ps, &t[1]) &&
		       parse_uint(&t[2], 0xffffffff, &serial) && put_u32(ps, (uint32_t)serial);
		for (int k = 0; good && k < 4; k++) {
			good = parse_ttl(&t[3 + k], &v[k]) && put_u32(ps, v[k]);
		}
		break;
	}
	case SIGNER_T_TXT: case 99 /* SPF */:
		good = n >= 1;
		for (size_t k = 0; good && k < n; k++) {
			good = put_string(ps, &t[k]);
		}
		break;
	case SIGNER_T_HINFO:
		good = n == 2 && put_string(ps, &t[0]) && put_string(ps, &t[1]);
		break;
	case SIGNER_T_DS: case SIGNER_T_CDS:
		good = n >= 4 && put_u16(ps, &t[0]) && put_u8(ps, &t[1]) && put_u8(ps, &t[2]) && put_hex(ps, i + 3);
		break;
	case SIGNER_T_DNSKEY: case SIGNER_T_CDNSKEY:
		good = n >= 4 && put_u16(ps, &t[0]) && put_u8(ps, &t[1]) && put_u8(ps, &t[2]) &&
		       put_base64(ps, i + 3);
		break;
	default:
		return rdata_by_ldns(ps, type, i);
	}
	return good ? TLD_OK : perr(ps, "%s", "bad RDATA");
}

static int directive(struct parser *ps)
{
	const struct tok *t = ps->toks;
	if (t[0].len == 7 && strncasecmp(t[0].s, "$ORIGIN", 7) == 0) {
		uint8_t next[SIGNER_DNAME_MAX];
		size_t l = ps->ntok == 2 && !t[1].quoted
		                   ? signer_zparse_name(t[1].s, t[1].len, ps->have_origin ? ps->origin : NULL, next)
		                   : 0;
		if (l == 0) {
			return perr(ps, "%s", "bad $ORIGIN");
		}
		memcpy(ps->origin, next, l);
		ps->have_origin = true;
		ps->origin_changed = true;
		return TLD_OK;
	}
	if (t[0].len == 4 && strncasecmp(t[0].s, "$TTL", 4) == 0) {
		if (ps->ntok != 2 || !parse_ttl(&t[1], &ps->default_ttl)) {
			return perr(ps, "%s", "bad $TTL");
		}
		ps->have_default_ttl = true;
		return TLD_OK;
	}
	if (t[0].len == 8 && strncasecmp(t[0].s, "$INCLUDE", 8) == 0) {
		return perr(ps, "%s", "$INCLUDE is not supported: give one self-contained file");
	}
	char d[40];
	snprintf(d, sizeof(d), "%.*s", (int)(t[0].len > 30 ? 30 : t[0].len), t[0].s);
	return perr(ps, "unknown directive %s", d);
}

static int entry(struct parser *ps)
{
	size_t i = 0;
	ps->msg_owner[0] = 0;
	ps->msg_type[0] = 0;
	ps->msg_owner_lazy = false;
	ps->msg_type_lazy = 0;
	if (!ps->leading_ws && ps->toks[0].len > 0 && ps->toks[0].s[0] == '$' && !ps->toks[0].quoted) {
		return directive(ps);
	}
	if (!ps->leading_ws) {
		const struct tok *t = &ps->toks[0];
		if (t->quoted || signer_zparse_name(t->s, t->len, ps->have_origin ? ps->origin : NULL, ps->owner) == 0) {
			snprintf(ps->msg_owner, sizeof(ps->msg_owner), "%.*s", (int)(t->len > 200 ? 200 : t->len), t->s);
			return perr(ps, "%s", ps->have_origin ? "bad owner name" : "bad owner name (or relative name without $ORIGIN)");
		}
		ps->have_owner = true;
		i = 1;
	} else if (!ps->have_owner) {
		return perr(ps, "%s", "record without an owner name");
	}
	ps->msg_owner[0] = '.'; /* placeholder: perr() writes the owner when it reports */
	ps->msg_owner[1] = 0;
	ps->msg_owner_lazy = true;
	bool have_ttl = false, have_class = false;
	uint32_t ttl = 0;
	uint16_t type = 0;
	for (; i < ps->ntok; i++) {
		const struct tok *t = &ps->toks[i];
		if (!have_ttl && t->len > 0 && t->s[0] >= '0' && t->s[0] <= '9') {
			if (!parse_ttl(t, &ttl)) {
				return perr(ps, "%s", "bad TTL");
			}
			have_ttl = true;
			continue;
		}
		if (!have_class && t->len == 2 && strncasecmp(t->s, "IN", 2) == 0) {
			have_class = true;
			continue;
		}
		if (!have_class && (t->len == 2 && (strncasecmp(t->s, "CH", 2) == 0 || strncasecmp(t->s, "HS", 2) == 0 ||
		                                    strncasecmp(t->s, "CS", 2) == 0))) {
			return perr(ps, "%s", "class other than IN");
		}
		type = type_from(t);
		if (type == 0) {
			snprintf(ps->msg_type, sizeof(ps->msg_type), "%.*s", (int)(t->len > 20 ? 20 : t->len), t->s);
			return perr(ps, "%s", "unknown RR type");
		}
		i++;
		break;
	}
	if (type == 0) {
		return perr(ps, "%s", "no RR type");
	}
	ps->msg_type_lazy = type;
	if (!have_ttl && ps->fresh && !ps->have_default_ttl) {
		/* the TTL would come from before the slice (a $TTL there comes first, then the last TTL) */
		return perr(ps, "%s", "no TTL and no $TTL in this slice");
	}
	if (!have_ttl) {
		if (ps->have_default_ttl) {
			ttl = ps->default_ttl;
		} else if (ps->have_last_ttl) {
			ttl = ps->last_ttl;
		} else if (type == SIGNER_T_SOA) {
			ttl = 0; /* fixed below from the SOA minimum */
		} else {
			return perr(ps, "%s", "no TTL and no $TTL before");
		}
	} else {
		ps->last_ttl = ttl;
		ps->have_last_ttl = true;
	}
	int ret = rdata(ps, type, i);
	if (ret != TLD_OK) {
		return ret;
	}
	if (type == SIGNER_T_SOA && !have_ttl && !ps->have_default_ttl && !ps->have_last_ttl) {
		if (ps->rdlen < 20) { /* generic RDATA (\# form) too short to hold the MINIMUM */
			return perr(ps, "%s", "SOA RDATA too short for its MINIMUM (the TTL)");
		}
		const uint8_t *m = ps->rd + ps->rdlen - 4;
		ttl = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	}
	return ps->cb(ps->ctx, ps->owner, type, 1, ttl, ps->rd, (uint16_t)ps->rdlen, ps->entry_line);
}

/* Drops the mapped pages the parser has left behind (re-read from the file if ever touched again). */
static void release_behind(struct parser *ps)
{
	const size_t chunk = 16u << 20;
	uintptr_t from = (uintptr_t)ps->release_from, to = (uintptr_t)ps->p & ~(uintptr_t)4095;
	if (to > from && to - from >= chunk) {
		madvise((void *)from, to - from, MADV_DONTNEED);
		ps->release_from = (const char *)to;
	}
}

/*
 * Sets ps up for a parse of text[0, len) as a parser made anew would be
 * (rd aside: written before it is read), keeping its token buffer.
 */
static void parser_start(struct parser *ps, const char *file, const char *text, size_t len, const uint8_t *origin,
                         signer_zparse_cb cb, void *ctx, bool release, const struct signer_zparse_slice *sl)
{
	struct tok *toks = ps->toks;
	size_t tok_cap = ps->tok_cap;
	memset(ps, 0, offsetof(struct parser, rd));
	ps->toks = toks;
	ps->tok_cap = tok_cap;
	ps->file = file;
	ps->p = text;
	ps->end = text + len;
	ps->line = sl != NULL && sl->first_line > 0 ? sl->first_line : 1;
	ps->cb = cb;
	ps->ctx = ctx;
	ps->fresh = sl != NULL && sl->fresh;
	ps->quiet = sl != NULL && sl->quiet;
	/* from the first page boundary in the text (a slice may begin inside a page) */
	ps->release_from = release ? (const char *)(((uintptr_t)text + 4095) & ~(uintptr_t)4095) : NULL;
	if (origin != NULL) {
		memcpy(ps->origin, origin, signer_dname_len(origin, SIGNER_DNAME_MAX));
		ps->have_origin = true;
	}
}

/* Every entry of the text parser_start() gave ps. */
static int parser_run(struct parser *ps)
{
	int ret;
	for (;;) {
		ret = read_entry(ps);
		if (ret != TLD_OK || ps->ntok == 0) {
			break;
		}
		ret = entry(ps);
		if (ret != TLD_OK) {
			break;
		}
		if (ps->release_from != NULL) {
			release_behind(ps);
		}
	}
	return ret;
}

struct signer_zparser {
	struct parser ps;
};

int signer_zparser_new(struct signer_zparser **out)
{
	struct signer_zparser *zp = malloc(sizeof(*zp));
	if (zp == NULL) {
		return TLD_ENOMEM;
	}
	zp->ps.toks = NULL; /* (parser_start() sets the rest) */
	zp->ps.tok_cap = 0;
	*out = zp;
	return TLD_OK;
}

void signer_zparser_free(struct signer_zparser *zp)
{
	if (zp != NULL) {
		free(zp->ps.toks);
		free(zp);
	}
}

static int parse(const char *file, const char *text, size_t len, const uint8_t *origin, signer_zparse_cb cb,
                 void *ctx, bool release, struct signer_zparse_slice *sl)
{
	struct signer_zparser *zp = NULL;
	if (signer_zparser_new(&zp) != TLD_OK) {
		return TLD_ENOMEM;
	}
	parser_start(&zp->ps, file, text, len, origin, cb, ctx, release, sl);
	int ret = parser_run(&zp->ps);
	if (sl != NULL) {
		sl->origin_changed = zp->ps.origin_changed;
	}
	signer_zparser_free(zp);
	return ret;
}

int signer_zparse(const char *file, const char *text, size_t len, const uint8_t *origin,
                  signer_zparse_cb cb, void *ctx)
{
	return parse(file, text, len, origin, cb, ctx, false, NULL);
}

int signer_zparse_mapped(const char *file, const char *text, size_t len, const uint8_t *origin,
                         signer_zparse_cb cb, void *ctx)
{
	return parse(file, text, len, origin, cb, ctx, true, NULL);
}

int signer_zparse_slice(const char *file, const char *text, size_t len, const uint8_t *origin,
                        struct signer_zparse_slice *sl, signer_zparse_cb cb, void *ctx)
{
	return parse(file, text, len, origin, cb, ctx, true, sl);
}

int signer_zparser_span(struct signer_zparser *zp, const char *file, const char *text, size_t len,
                        const uint8_t *origin, struct signer_zparse_slice *sl, signer_zparse_cb cb, void *ctx)
{
	parser_start(&zp->ps, file, text, len, origin, cb, ctx, false, sl);
	int ret = parser_run(&zp->ps);
	sl->origin_changed = zp->ps.origin_changed;
	return ret;
}
