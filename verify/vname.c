/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Canonical-order keys of domain names (RFC 4034 §6.1). */
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

int vfy_name_key(const uint8_t *wire, size_t len, uint8_t *key, size_t *klen)
{
	size_t starts[128];
	size_t n = 0, pos = 0;

	while (pos < len && wire[pos] != 0) {
		uint8_t l = wire[pos];
		if (l > 63 || pos + 1 + l >= len || n == 128) {
			return TLD_EINVAL;
		}
		starts[n++] = pos;
		pos += 1 + l;
	}
	if (pos >= len || pos + 1 > VFY_NAME_MAX) {
		return TLD_EINVAL;
	}
	size_t k = 0;
	while (n > 0) {
		size_t s = starts[--n];
		uint8_t l = wire[s];
		for (size_t i = 0; i < l; i++) {
			uint8_t c = wire[s + 1 + i];
			if (c == 0) {
				return TLD_EINVAL;
			}
			key[k++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
		}
		key[k++] = 0;
	}
	*klen = k;
	return TLD_OK;
}

size_t vfy_key_to_wire(const uint8_t *key, size_t klen, uint8_t *wire)
{
	/* labels in the key are in reverse order: write them back to front */
	size_t total = klen + 1;
	size_t out = total - 1;
	size_t i = 0;

	wire[out] = 0;
	while (i < klen) {
		size_t j = i;
		while (key[j] != 0) {
			j++;
		}
		size_t l = j - i;
		out -= l + 1;
		wire[out] = (uint8_t)l;
		memcpy(wire + out + 1, key + i, l);
		i = j + 1;
	}
	return total;
}

unsigned vfy_key_labels(const uint8_t *key, size_t klen)
{
	unsigned n = 0;
	for (size_t i = 0; i < klen; i++) {
		n += key[i] == 0;
	}
	return n;
}

bool vfy_key_is_prefix(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen <= blen && memcmp(a, b, alen) == 0;
}

int vfy_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int c = memcmp(a, b, m);
	if (c != 0) {
		return c;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}
