/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writing a signed zone: the text in canonical order (the SOA RRset first,
 * each RRset followed by its RRSIGs, NSEC3 records merged in by owner) and
 * the signature side file, both atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/sign_internal.h"
#include "signer/textout.h"

#define TEXT_BUFFER (8u << 20)

/* -- internal API -- */

static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c != 0) {
		return c;
	}
	return (al > bl) - (al < bl);
}

static int write_sigs(struct sign_run *run, struct signer_textout *t, const uint8_t *owner, uint32_t slot)
{
	const struct slot *s = &run->slots[slot];
	for (uint32_t i = 0; i < s->nsigs; i++) {
		const struct sig *sg = &run->sigs[s->sig_first + i];
		int ret = signer_textout_rr(t, owner, (uint32_t)(run->arena[sg->off + 4] << 24 | run->arena[sg->off + 5] << 16 |
		                                                  run->arena[sg->off + 6] << 8 | run->arena[sg->off + 7]),
		                            SIGNER_T_RRSIG, run->arena + sg->off, (uint16_t)sg->len);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

static int write_denial(struct sign_run *run, struct signer_textout *t, uint32_t slot)
{
	const struct slot *s = &run->slots[slot];
	uint8_t owner[SIGNER_DNAME_MAX];
	size_t ol = 0;
	size_t len = sign_denial_rdata(run, s, owner, &ol);
	if (len == 0) {
		return TLD_ENOMEM;
	}
	uint32_t ttl = s->kind == SLOT_NSEC ? run->nsec->ttl : run->n3->ttl;
	int ret = signer_textout_rr(t, owner, ttl, s->type, run->rdbuf, (uint16_t)len);
	if (ret == TLD_OK) {
		ret = write_sigs(run, t, owner, slot);
	}
	return ret;
}

/* One RRset of a node and, when it is signed, its RRSIGs. */
static int write_rrset(struct sign_run *run, struct signer_textout *t, const struct signer_node *n, uint32_t first,
                       uint32_t count, size_t s_begin, size_t s_end)
{
	const struct signer_zone *z = run->z;
	const uint8_t *owner = signer_node_wire(z, n);
	uint16_t type = z->rrs[first].type;
	for (uint32_t i = 0; i < count; i++) {
		const struct signer_rr *rr = &z->rrs[first + i];
		int ret = signer_textout_rr(t, owner, rr->ttl, rr->type, signer_rr_rdata(z, rr), rr->rdlen);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	for (size_t s = s_begin; s < s_end; s++) {
		if (run->slots[s].kind == SLOT_ZONE && run->slots[s].type == type) {
			return write_sigs(run, t, owner, (uint32_t)s);
		}
	}
	return TLD_OK;
}

static int write_node(struct sign_run *run, struct signer_textout *t, size_t i, size_t *slot)
{
	const struct signer_zone *z = run->z;
	const struct signer_node *n = &z->nodes[i];
	size_t s_begin = *slot, s_end = *slot;
	while (s_end < run->nzone_slots && run->slots[s_end].node == i) {
		s_end++;
	}
	int ret = TLD_OK;
	if (n->flags & SIGNER_NODE_APEX) { /* the SOA opens the file */
		ret = write_rrset(run, t, n, z->soa_rr, 1, s_begin, s_end);
	}
	for (uint32_t r = 0; r < n->rr_count && ret == TLD_OK;) {
		uint32_t first = n->rr_first + r, count = 0;
		uint16_t type = z->rrs[first].type;
		while (r < n->rr_count && z->rrs[n->rr_first + r].type == type) {
			r++;
			count++;
		}
		if ((n->flags & SIGNER_NODE_APEX) && type == SIGNER_T_SOA) {
			continue;
		}
		ret = write_rrset(run, t, n, first, count, s_begin, s_end);
	}
	for (size_t s = s_begin; s < s_end && ret == TLD_OK; s++) {
		if (run->slots[s].kind == SLOT_NSEC) {
			ret = write_denial(run, t, (uint32_t)s);
		}
	}
	*slot = s_end;
	return ret;
}

static int write_text(struct sign_run *run, FILE *out)
{
	const struct signer_zone *z = run->z;
	struct signer_textout t;
	int ret = signer_textout_init(&t, out, TEXT_BUFFER, run->o->now);
	if (ret != TLD_OK) {
		return ret;
	}
	size_t slot = 0, j = 0, nn3 = run->n3 ? run->n3->count : 0;
	uint8_t owner[SIGNER_DNAME_MAX], key[SIGNER_KEY_MAX];
	size_t key_len = 0;
	if (nn3 > 0) {
		signer_nsec3_owner(z, run->n3, 0, owner);
		key_len = signer_dname_key(owner, key);
	}
	for (size_t i = 0; i < z->nnodes && ret == TLD_OK; i++) {
		const struct signer_node *n = &z->nodes[i];
		/* NSEC3 owners that sort before this node (never before the apex) */
		while (i > 0 && j < nn3 && ret == TLD_OK && key_cmp(key, key_len, signer_node_key(z, n), n->key_len) < 0) {
			ret = write_denial(run, &t, (uint32_t)(run->nzone_slots + j));
			if (++j < nn3) {
				signer_nsec3_owner(z, run->n3, j, owner);
				key_len = signer_dname_key(owner, key);
			}
		}
		if (ret == TLD_OK) {
			ret = write_node(run, &t, i, &slot);
		}
	}
	for (; j < nn3 && ret == TLD_OK; j++) {
		ret = write_denial(run, &t, (uint32_t)(run->nzone_slots + j));
	}
	int fret = signer_textout_finish(&t);
	return ret != TLD_OK ? ret : fret;
}

static const uint8_t *sig_at(void *ctx, size_t i, uint16_t *len)
{
	const struct sign_run *run = ctx;
	*len = (uint16_t)run->sigs[i].len;
	return run->arena + run->sigs[i].off;
}

static int write_sidefile(struct sign_run *run, const char *path, uint32_t serial)
{
	struct signer_sigfile_item *items = malloc((run->nslots ? run->nslots : 1) * sizeof(*items));
	tld_atomic_file_t *af = NULL;
	if (items == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < run->nslots; i++) {
		memcpy(items[i].hash, run->slots[i].hash, SIGNER_SIGFILE_HASH);
		items[i].sig_first = run->slots[i].sig_first;
		items[i].nsigs = run->slots[i].nsigs;
	}
	int ret = tld_atomic_file_open(path, 0644, &af);
	if (ret == TLD_OK) {
		ret = signer_sigfile_write(tld_atomic_file_stream(af), run->z->origin, run->z->origin_len, serial, run->unsigned_hash, items,
		                           run->nslots, sig_at, run);
		if (ret != TLD_OK) {
			tld_error("%s: writing the signature side file failed: %s", path, tld_strerror(ret));
			tld_atomic_file_abort(af);
		} else {
			ret = tld_atomic_file_commit(af);
		}
	}
	free(items);
	return ret;
}

/* -- public API -- */

int sign_write(struct sign_run *run, const char *path)
{
	const uint8_t *soa = run->z->rdata + run->z->rrs[run->z->soa_rr].rdoff + run->z->rrs[run->z->soa_rr].rdlen - 20;
	uint32_t serial = (uint32_t)soa[0] << 24 | (uint32_t)soa[1] << 16 | (uint32_t)soa[2] << 8 | soa[3];
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return TLD_EINVAL;
	}
	/* side file first: it is content-addressed, so a crash between the two only costs reuse */
	int ret = write_sidefile(run, side, serial);
	if (ret != TLD_OK) {
		return ret;
	}
	tld_atomic_file_t *af = NULL;
	ret = tld_atomic_file_open(path, 0644, &af);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = write_text(run, tld_atomic_file_stream(af));
	if (ret != TLD_OK) {
		tld_error("%s: writing the signed zone failed: %s", path, tld_strerror(ret));
		tld_atomic_file_abort(af);
		return ret;
	}
	return tld_atomic_file_commit(af);
}
