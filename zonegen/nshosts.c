/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The name servers' names packed for the record walks (zg_internal.h,
 * zg_pack_ns_hosts()): a few hundred thousand hosts serve millions of
 * delegations, so that each host's wire form and text are made once, side
 * by side in one small arena, and the walks in canonical order (the records
 * for the signer, the text of the file) read one packed entry per NS record
 * instead of the host's name entry, then its text elsewhere, then a
 * conversion to wire form.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

/* -- internal API -- */

/* Bytes of arena made ahead for each NS host (an entry of a 20-character
 * host name is 41): only a first size, the arena grows past it. */
#define PACKED_TYPICAL 48

/* Appends host's entry (wire length, wire form, text length, text) to the arena. */
static int pack(struct tld_zonegen *zg, const struct zg_name *host, uint32_t *off)
{
	size_t need = 2 + 256 + host->len;
	if (zg->ns_names_len + need > UINT32_MAX) {
		return TLD_ERANGE;
	}
	if (zg->ns_names_len + need > zg->ns_names_cap) {
		/* first made for the hosts at a typical length (their entries are
		 * about 40 bytes): growing copies what is there to fresh pages */
		size_t cap = zg->ns_names_cap ? zg->ns_names_cap * 2
		                              : (1u << 16) + zg->ns_host_count * PACKED_TYPICAL;
		while (cap < zg->ns_names_len + need) {
			cap *= 2;
		}
		uint8_t *b = realloc(zg->ns_names, cap);
		if (b == NULL) {
			return TLD_ENOMEM;
		}
		zg->ns_names = b;
		zg->ns_names_cap = cap;
	}
	tld_prefault_ahead(&zg->ns_names_pf, zg->ns_names, zg->ns_names_cap, zg->ns_names_len,
	                   zg->ns_names_len + need);
	uint8_t *p = zg->ns_names + zg->ns_names_len;
	size_t wl = tld_name_text_to_wire(host->text, host->len, p + 1);
	if (wl == 0 || wl > 255 || host->len > 255) {
		return TLD_EINVAL; /* not after the rules: every host is a checked name */
	}
	p[0] = (uint8_t)wl;
	p[1 + wl] = (uint8_t)host->len;
	memcpy(p + 2 + wl, host->text, host->len);
	*off = (uint32_t)zg->ns_names_len;
	zg->ns_names_len += 2 + wl + host->len;
	return TLD_OK;
}

/* -- internal API (zg_internal.h) -- */

int zg_pack_ns_hosts(struct tld_zonegen *zg)
{
	/* by name id: its entry's offset plus one, 0 while not packed (zeroed
	 * by calloc(): only the pages of the hosts' ids are ever touched) */
	uint32_t *at = calloc(zg->name_count ? zg->name_count : 1, sizeof(*at));
	zg->ns_packed = malloc((zg->ns_count ? zg->ns_count : 1) * sizeof(*zg->ns_packed));
	if (at == NULL || zg->ns_packed == NULL) {
		free(at);
		return TLD_ENOMEM;
	}
	int ret = TLD_OK;
	struct tld_prefault pf = { 0 };
	for (size_t k = 0; k < zg->ns_count && ret == TLD_OK; k++) {
		tld_prefault_ahead(&pf, zg->ns_packed, zg->ns_count * sizeof(*zg->ns_packed),
		                   k * sizeof(*zg->ns_packed), (k + 1) * sizeof(*zg->ns_packed));
		uint32_t h = zg->ns[k].host;
		if (at[h] == 0) {
			uint32_t off = 0;
			ret = pack(zg, &zg->names[h], &off);
			at[h] = off + 1; /* pack() keeps offsets below UINT32_MAX */
		}
		zg->ns_packed[k] = at[h] - 1;
	}
	free(at);
	return ret;
}
