/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdint.h>
#include <string.h>

#include "zonegen/bytes8.h"
#include "zonegen/name.h"

/* -- internal API -- */

static inline bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* The label of text[0 .. end) that ends at end: its start. */
static inline size_t label_start(const char *text, size_t end)
{
	size_t s = end;
	while (s > 0 && text[s - 1] != '.') {
		s--;
	}
	return s;
}

/* Appends one key byte with the escapes of tld_name_canon_key_wire(). */
static inline size_t key_byte(unsigned char *key, size_t k, unsigned char c)
{
	if (c <= 1) {
		key[k++] = 1;
		key[k++] = (unsigned char)(c + 1);
	} else {
		key[k++] = c;
	}
	return k;
}

/* A letter lowered, a digit, hyphen or dot as it is, 0 for any other byte. */
#define LDH_LOWER(c)                                                                   \
	((c) >= 'A' && (c) <= 'Z'                                                          \
	         ? (c) | 0x20                                                              \
	         : ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || (c) == '-' || \
	                           (c) == '.'                                              \
	                   ? (c)                                                           \
	                   : 0)
#define LDH4(c) LDH_LOWER(c), LDH_LOWER((c) + 1), LDH_LOWER((c) + 2), LDH_LOWER((c) + 3)
#define LDH16(c) LDH4(c), LDH4((c) + 4), LDH4((c) + 8), LDH4((c) + 12)
#define LDH64(c) LDH16(c), LDH16((c) + 16), LDH16((c) + 32), LDH16((c) + 48)
static const unsigned char ldh_lower[256] = { LDH64(0), LDH64(64), LDH64(128), LDH64(192) };

/* Eight bytes of a name lowered into *out as ldh_lower[] would; false if
 * any of them is not a letter, digit, hyphen or dot (*out then unspecified). */
static inline bool lower8(const char *in, char *out)
{
	uint64_t x;
	memcpy(&x, in, 8);
	uint64_t xh = x | BYTES8_HIGHS, ascii = ~x & BYTES8_HIGHS;
	uint64_t upper = bytes8_between(xh, 'A', 'Z') & ascii;
	uint64_t other = (bytes8_between(xh, 'a', 'z') | bytes8_between(xh, '0', '9') |
	                  bytes8_between(xh, '-', '.')) &
	                 ascii;
	x += upper >> 2; /* 0x20 in each upper-case letter: no carry past 'z' */
	memcpy(out, &x, 8);
	return (upper | other) == BYTES8_HIGHS;
}

/* The checks and messages of tld_name_normalize(), byte by byte. */
static size_t normalize_checked(const char *in, size_t len, char *out, const char **why)
{
	if (len > 0 && in[len - 1] == '.') {
		len--;
	}
	if (len == 0) {
		*why = "empty name";
		return 0;
	}
	if (len > 253) {
		*why = "name longer than 255 octets";
		return 0;
	}
	size_t label_start = 0;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? lower((unsigned char)in[i]) : '.';
		if (c >= 'a' && c <= 'z') {
			out[i] = (char)c; /* the common case */
			continue;
		}
		if (c == '.') {
			size_t llen = i - label_start;
			if (llen == 0) {
				*why = "empty label";
				return 0;
			}
			if (llen > 63) {
				*why = "label longer than 63 octets";
				return 0;
			}
			if (out[label_start] == '-' || out[i - 1] == '-') {
				*why = "label starts or ends with a hyphen";
				return 0;
			}
			if (llen >= 4 && out[label_start + 2] == '-' && out[label_start + 3] == '-' &&
			    !(out[label_start] == 'x' && out[label_start + 1] == 'n')) {
				*why = "hyphens in positions 3 and 4 (reserved; only xn-- A-labels)";
				return 0;
			}
			out[i] = '.';
			label_start = i + 1;
			continue;
		}
		if (!is_ldh(c)) {
			*why = c >= 0x80
			               ? "non-ASCII name (U-label); the export must use A-labels (xn--)"
			               : "character not allowed in a host name (letters, digits, hyphen)";
			return 0;
		}
		out[i] = (char)c;
	}
	out[len + 1] = '\0';
	return len + 1;
}

/* -- public API -- */

size_t tld_name_normalize(const char *in, size_t len, char *out, const char **why)
{
	/* a valid name in one pass without branches per byte, then its labels;
	 * anything else (and every message) is normalize_checked()'s */
	size_t n = len > 0 && in[len - 1] == '.' ? len - 1 : len;
	if (n == 0 || n > 253) {
		return normalize_checked(in, len, out, why);
	}
	unsigned char bad = 0;
	size_t i = 0;
	for (; i + 8 <= n && !bad; i += 8) {
		bad = !lower8(in + i, out + i);
	}
	for (; i < n; i++) {
		unsigned char c = ldh_lower[(unsigned char)in[i]];
		out[i] = (char)c;
		bad |= c == 0;
	}
	out[n] = '.'; /* the labels end at a dot, the last one at this one */
	for (size_t s = 0, e; !bad; s = e + 1) {
		for (e = s; out[e] != '.'; e++) {
		}
		size_t l = e - s;
		bad = l == 0 || l > 63 || out[s] == '-' || out[e - 1] == '-' ||
		      (l >= 4 && out[s + 2] == '-' && out[s + 3] == '-' &&
		       !(out[s] == 'x' && out[s + 1] == 'n'));
		if (e == n) {
			break;
		}
	}
	if (bad) {
		return normalize_checked(in, len, out, why);
	}
	out[n + 1] = '\0';
	return n + 1;
}

size_t tld_name_text_to_wire(const char *name, size_t len, unsigned char *wire)
{
	if (len == 1 && name[0] == '.') {
		wire[0] = 0;
		return 1;
	}
	size_t o = 0, lpos = 0, llen = 0; /* lpos: the current label's length byte */
	bool in_label = false;
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)name[i];
		if (c == '.') {
			if (!in_label) {
				return 0; /* empty label */
			}
			wire[lpos] = (unsigned char)llen;
			in_label = false;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= len) {
				return 0;
			}
			c = (unsigned char)name[++i];
			if (c >= '0' && c <= '9') {
				if (i + 2 >= len || name[i + 1] < '0' || name[i + 1] > '9' || name[i + 2] < '0' ||
				    name[i + 2] > '9') {
					return 0;
				}
				c = (c - '0') * 100 + (unsigned)(name[i + 1] - '0') * 10 +
				    (unsigned)(name[i + 2] - '0');
				i += 2;
				if (c > 255) {
					return 0;
				}
			}
		}
		if (!in_label) {
			lpos = o++;
			llen = 0;
			in_label = true;
		}
		if (llen == 63 || o >= 254) {
			return 0; /* label over 63 octets, name over 255 */
		}
		wire[o++] = (unsigned char)c;
		llen++;
	}
	if (in_label) {
		wire[lpos] = (unsigned char)llen;
	}
	wire[o++] = 0;
	return o;
}

bool tld_name_under(const char *name, size_t name_len, const char *zone, size_t zone_len,
                    bool strictly)
{
	if (zone_len == 1 && zone[0] == '.') {
		return !strictly || name_len > 1;
	}
	if (name_len < zone_len) {
		return false;
	}
	if (name_len == zone_len) {
		return !strictly && memcmp(name, zone, zone_len) == 0;
	}
	return name[name_len - zone_len - 1] == '.' &&
	       memcmp(name + name_len - zone_len, zone, zone_len) == 0;
}

size_t tld_name_labels(const char *name)
{
	if (name[0] == '.' && name[1] == '\0') {
		return 0;
	}
	size_t n = 0;
	for (const char *p = name; *p; p++) {
		n += (*p == '.');
	}
	return n;
}

int tld_name_wire_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		if (la != lb) {
			return la < lb ? -1 : 1;
		}
		if (la == 0) {
			return 0;
		}
		int c = memcmp(a, b, la);
		if (c != 0) {
			return c;
		}
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
}

size_t tld_name_canon_key_wire(const unsigned char *wire, unsigned char *key)
{
	const unsigned char *labels[128];
	size_t n = 0;
	for (const unsigned char *p = wire; *p != 0 && n < 128; p += *p + 1) {
		labels[n++] = p;
	}
	size_t k = 0;
	while (n > 0) {
		const unsigned char *l = labels[--n];
		for (unsigned i = 1; i <= l[0]; i++) {
			k = key_byte(key, k, lower(l[i]));
		}
		key[k++] = 0;
	}
	return k;
}

size_t tld_name_canon_key(const char *name, unsigned char *key)
{
	size_t len = strlen(name);
	size_t k = 0;
	/* walk labels right to left; name ends with '.' */
	size_t end = len > 0 ? len - 1 : 0; /* index of the trailing dot */
	while (end > 0) {
		size_t start = end;
		while (start > 0 && name[start - 1] != '.') {
			start--;
		}
		for (size_t i = start; i < end; i++) {
			k = key_byte(key, k, lower((unsigned char)name[i]));
		}
		key[k++] = 0;
		if (start == 0) {
			break;
		}
		end = start - 1;
	}
	return k;
}

int tld_name_canon_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t ea = alen > 0 ? alen - 1 : 0, eb = blen > 0 ? blen - 1 : 0; /* trailing dots */
	for (;;) {
		if (ea == 0 || eb == 0) {
			return ea == 0 ? (eb == 0 ? 0 : -1) : 1;
		}
		size_t sa = label_start(a, ea), sb = label_start(b, eb);
		size_t la = ea - sa, lb = eb - sb;
		size_t l = la < lb ? la : lb;
		for (size_t i = 0; i < l; i++) {
			unsigned char ca = lower((unsigned char)a[sa + i]);
			unsigned char cb = lower((unsigned char)b[sb + i]);
			if (ca != cb) {
				return ca < cb ? -1 : 1;
			}
		}
		if (la != lb) {
			return la < lb ? -1 : 1; /* the shorter label's 0x00 comes first */
		}
		ea = sa > 0 ? sa - 1 : 0;
		eb = sb > 0 ? sb - 1 : 0;
	}
}
