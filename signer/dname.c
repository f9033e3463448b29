/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/dname.h"

#include <stdio.h>
#include <string.h>

size_t signer_dname_len(const uint8_t *wire, size_t max)
{
	size_t pos = 0;
	while (pos < max) {
		uint8_t l = wire[pos];
		if (l > 63) {
			return 0;
		}
		pos += 1 + (size_t)l;
		if (pos > SIGNER_DNAME_MAX || pos > max) {
			return 0;
		}
		if (l == 0) {
			return pos;
		}
	}
	return 0;
}

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

void signer_dname_copy_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++) { /* branch-free: the compiler vectorises it */
		uint8_t c = src[i];
		dst[i] = (uint8_t)(c | (uint8_t)((uint8_t)(c - 'A') < 26) << 5);
	}
}

void signer_dname_lower(uint8_t *wire)
{
	while (*wire) {
		uint8_t l = *wire++;
		for (uint8_t i = 0; i < l; i++) {
			wire[i] = lower(wire[i]);
		}
		wire += l;
	}
}

unsigned signer_dname_labels(const uint8_t *wire)
{
	unsigned n = 0;
	while (*wire) {
		n++;
		wire += 1 + *wire;
	}
	return n;
}

bool signer_dname_is_wildcard(const uint8_t *wire)
{
	return wire[0] == 1 && wire[1] == '*';
}

bool signer_dname_is_sub(const uint8_t *name, const uint8_t *zone)
{
	size_t nl = signer_dname_len(name, SIGNER_DNAME_MAX);
	size_t zl = signer_dname_len(zone, SIGNER_DNAME_MAX);
	if (nl < zl) {
		return false;
	}
	/* walk name's labels until the remaining suffix has zone's length */
	const uint8_t *p = name;
	size_t rest = nl;
	while (rest > zl) {
		rest -= 1 + (size_t)*p;
		p += 1 + *p;
	}
	return rest == zl && memcmp(p, zone, zl) == 0;
}

size_t signer_dname_key(const uint8_t *wire, uint8_t *key)
{
	const uint8_t *labels[128];
	unsigned n = 0;
	for (const uint8_t *p = wire; *p && n < 128; p += 1 + *p) {
		labels[n++] = p;
	}
	size_t k = 0;
	while (n > 0) {
		const uint8_t *l = labels[--n];
		for (uint8_t i = 1; i <= l[0]; i++) {
			uint8_t c = lower(l[i]);
			if (c <= 1) {
				key[k++] = 1;
				key[k++] = (uint8_t)(c + 1);
			} else {
				key[k++] = c;
			}
		}
		key[k++] = 0;
	}
	return k;
}

size_t signer_dname_to_text(const uint8_t *wire, char *buf, size_t size)
{
	size_t o = 0;
	if (*wire == 0) {
		if (size < 2) {
			return 0;
		}
		buf[0] = '.';
		buf[1] = 0;
		return 1;
	}
	while (*wire) {
		uint8_t l = *wire++;
		for (uint8_t i = 0; i < l; i++) {
			uint8_t c = wire[i];
			if (o + 5 >= size) {
				return 0;
			}
			if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
			    c == '@' || c == '$') {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (c <= ' ' || c >= 0x7f) {
				o += (size_t)snprintf(buf + o, size - o, "\\%03u", c);
			} else {
				buf[o++] = (char)c;
			}
		}
		wire += l;
		if (o + 2 >= size) {
			return 0;
		}
		buf[o++] = '.';
	}
	buf[o] = 0;
	return o;
}
