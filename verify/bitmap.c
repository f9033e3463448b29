/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NSEC/NSEC3 type bitmaps (RFC 4034 §4.1.2) decoded into type sets. */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

void vfy_typeset_clear(struct vfy_typeset *s)
{
	memset(s->bits, 0, sizeof(s->bits));
}

void vfy_typeset_add(struct vfy_typeset *s, uint16_t type)
{
	s->bits[type >> 3] |= (uint8_t)(0x80 >> (type & 7));
}

bool vfy_typeset_has(const struct vfy_typeset *s, uint16_t type)
{
	return (s->bits[type >> 3] & (0x80 >> (type & 7))) != 0;
}

bool vfy_typeset_equal(const struct vfy_typeset *a, const struct vfy_typeset *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

int vfy_bitmap_decode(const uint8_t *data, size_t len, struct vfy_typeset *out)
{
	size_t pos = 0;
	int last_window = -1;

	vfy_typeset_clear(out);
	while (pos < len) {
		if (pos + 2 > len) {
			return TLD_EINVAL;
		}
		int window = data[pos];
		size_t blen = data[pos + 1];
		if (window <= last_window || blen == 0 || blen > 32 || pos + 2 + blen > len) {
			return TLD_EINVAL;
		}
		if (data[pos + 2 + blen - 1] == 0) {
			return TLD_EINVAL; /* trailing zero octets must be omitted */
		}
		memcpy(out->bits + window * 32, data + pos + 2, blen);
		last_window = window;
		pos += 2 + blen;
	}
	return TLD_OK;
}

void vfy_typeset_format(const struct vfy_typeset *s, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned t = 0; t < 65536; t++) {
		if ((t & 7) == 0 && s->bits[t >> 3] == 0) {
			t += 7;
			continue;
		}
		if (!vfy_typeset_has(s, (uint16_t)t)) {
			continue;
		}
		char *name = ldns_rr_type2str((ldns_rr_type)t);
		int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "",
		                 name ? name : "?");
		free(name);
		if (n < 0 || (size_t)n >= size - used) {
			return;
		}
		used += (size_t)n;
	}
}
