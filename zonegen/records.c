/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The built zone record by record in wire form (tld_zonegen_records()): the
 * records tld_zonegen_write() formats, in its order, so that a consumer in
 * the same process (the run's signer) needs no text in between.  The order
 * here must stay the order of write.c: the apex (SOA, NS, apex.records),
 * then per owner in canonical order apex.records data, A glue, NS, AAAA
 * glue, DS.  The unit test compares the two walks record by record.  The
 * owners' entries are read ahead in small batches (zg_touch_owners()).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

#define T_A 1
#define T_NS 2
#define T_SOA 6
#define T_AAAA 28
#define T_DS 43
#define C_IN 1

/* One walk: the callback, the line count, the owner of the records. */
struct walk {
	tld_zonegen_rr_fn fn;
	void *ctx;
	struct tld_zonegen_rr rr;
	unsigned char owner[256];
	size_t touched;            /*!< what zg_touch_owners() read (kept so that it reads) */
};

/* -- internal API -- */

static unsigned char *put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

static int set_owner(struct walk *w, const char *text, size_t len)
{
	w->rr.owner_len = tld_name_text_to_wire(text, len, w->owner);
	return w->rr.owner_len == 0 ? TLD_EINVAL : TLD_OK;
}

static inline int emit(struct walk *w, uint16_t type, uint16_t rclass, uint32_t ttl,
                       const unsigned char *rdata, size_t rdlen)
{
	w->rr.type = type;
	w->rr.rclass = rclass;
	w->rr.ttl = ttl;
	w->rr.rdata = rdata;
	w->rr.rdlen = (uint16_t)rdlen;
	w->rr.line++;
	return w->fn(w->ctx, &w->rr);
}

static int emit_name(struct walk *w, uint16_t type, uint32_t ttl, const char *text, size_t len)
{
	unsigned char rd[256];
	size_t rl = tld_name_text_to_wire(text, len, rd);
	return rl == 0 ? TLD_EINVAL : emit(w, type, C_IN, ttl, rd, rl);
}

static int emit_extras(struct walk *w, const struct tld_zonegen *zg, uint32_t owner)
{
	const struct zg_extra *prev = NULL;
	for (size_t i = zg_extra_first(zg, owner); i < zg->extra_count && zg->extra[i].owner == owner;
	     i++) {
		const struct zg_extra *x = &zg->extra[i];
		if (zg_extra_repeats(prev, x)) {
			continue; /* written once */
		}
		if (x->rdata_len > UINT16_MAX) {
			return TLD_EINVAL;
		}
		int err = emit(w, x->type, x->rclass, x->ttl, x->rdata, x->rdata_len);
		if (err != TLD_OK) {
			return err;
		}
		prev = x;
	}
	return TLD_OK;
}

static int emit_apex(struct walk *w, const struct tld_zonegen *zg)
{
	const struct tld_soa_config *soa = &zg->cfg->apex.soa;
	unsigned char rd[2 * 256 + 20];
	size_t ml = tld_name_text_to_wire(soa->mname, strlen(soa->mname), rd);
	size_t rl = ml == 0 ? 0 : tld_name_text_to_wire(soa->rname, strlen(soa->rname), rd + ml);
	if (rl == 0 || set_owner(w, zg->zone, zg->zone_len) != TLD_OK) {
		return TLD_EINVAL;
	}
	unsigned char *p = put32(rd + ml + rl, 0); /* serial placeholder: the signer assigns it */
	p = put32(put32(put32(put32(p, soa->refresh), soa->retry), soa->expire), soa->minimum);
	int err = emit(w, T_SOA, C_IN, soa->ttl, rd, (size_t)(p - rd));
	char **ns = NULL;
	if (err != TLD_OK || (err = zg_apex_ns_sorted(zg, &ns)) != TLD_OK) {
		return err;
	}
	for (size_t i = 0; i < zg->cfg->apex.ns_count && err == TLD_OK; i++) {
		if (i > 0 && strcmp(ns[i - 1], ns[i]) == 0) {
			continue;
		}
		err = emit_name(w, T_NS, zg->cfg->ttl.delegation_ns, ns[i], strlen(ns[i]));
	}
	free(ns);
	if (err == TLD_OK && zg->apex_id != ZG_NONE) {
		err = emit_extras(w, zg, zg->apex_id);
	}
	return err;
}

static int emit_addrs(struct walk *w, const struct tld_zonegen *zg, const struct zg_name *n,
                      uint8_t family)
{
	for (uint32_t i = 0; i < n->addr_count; i++) {
		const struct zg_addr *a = &zg->addrs[n->addr_first + i];
		if (a->family != family) {
			continue;
		}
		int err = family == 4 ? emit(w, T_A, C_IN, zg->cfg->ttl.glue, a->addr, 4)
		                      : emit(w, T_AAAA, C_IN, zg->cfg->ttl.glue, a->addr, 16);
		if (err != TLD_OK) {
			return err;
		}
	}
	return TLD_OK;
}

static int emit_ds(struct walk *w, const struct tld_zonegen *zg, const struct zg_name *n)
{
	for (uint32_t i = 0; i < n->ds_count; i++) {
		const struct tld_ds *ds = &zg->ds[n->ds_first + i].ds;
		unsigned char rd[4 + TLD_DS_MAX_DIGEST];
		put16(rd, ds->key_tag);
		rd[2] = ds->algorithm;
		rd[3] = ds->digest_type;
		memcpy(rd + 4, ds->digest, ds->digest_len);
		int err = emit(w, T_DS, C_IN, zg->cfg->ttl.ds, rd, 4u + ds->digest_len);
		if (err != TLD_OK) {
			return err;
		}
	}
	return TLD_OK;
}

static int emit_owner(struct walk *w, const struct tld_zonegen *zg, uint32_t id)
{
	const struct zg_name *n = &zg->names[id];
	int err = set_owner(w, n->text, n->len);
	if (err == TLD_OK && (n->flags & ZG_APEX_DATA)) {
		err = emit_extras(w, zg, id);
	}
	if (err == TLD_OK && (n->flags & ZG_GLUE)) {
		err = emit_addrs(w, zg, n, 4);
	}
	if (n->flags & ZG_DELEGATED) {
		for (uint32_t k = 0; k < n->ns_count && err == TLD_OK; k++) {
			size_t len;
			const uint8_t *wire = zg_ns_wire(zg, n->ns_first + k, &len);
			err = emit(w, T_NS, C_IN, zg->cfg->ttl.delegation_ns, wire, len);
		}
	}
	if (err == TLD_OK && (n->flags & ZG_GLUE)) {
		err = emit_addrs(w, zg, n, 6);
	}
	if (err == TLD_OK && (n->flags & ZG_DELEGATED)) {
		err = emit_ds(w, zg, n);
	}
	return err;
}

/* -- public API -- */

int tld_zonegen_records(const struct tld_zonegen *zg, tld_zonegen_rr_fn fn, void *ctx)
{
	return tld_zonegen_records_part(zg, 0, 1, fn, ctx, NULL, NULL);
}

int tld_zonegen_records_part(const struct tld_zonegen *zg, unsigned part, unsigned parts,
                             tld_zonegen_rr_fn fn, void *ctx, struct tld_zonegen_text *text,
                             unsigned long *count)
{
	if (parts == 0 || part >= parts) {
		return TLD_EINVAL;
	}
	struct walk w = { .fn = fn, .ctx = ctx };
	w.rr.owner = w.owner;
	size_t from = zg->order_count / parts * part;
	size_t to = part + 1 == parts ? zg->order_count : zg->order_count / parts * (part + 1);
	int err = part == 0 ? emit_apex(&w, zg) : TLD_OK;
	if (part == 0 && text != NULL) {
		zg_text_apex(text, zg);
	}
	for (size_t batch = from; batch < to && err == TLD_OK; batch += ZG_TOUCH_OWNERS) {
		size_t end = to - batch > ZG_TOUCH_OWNERS ? batch + ZG_TOUCH_OWNERS : to;
		w.touched += zg_touch_owners(zg, batch, end);
		for (size_t i = batch; i < end && err == TLD_OK; i++) {
			err = emit_owner(&w, zg, zg->order[i]);
			if (text != NULL) {
				zg_text_owner(text, zg, i); /* the owner's data still in the cache */
			}
		}
	}
	if (err == TLD_OK && count != NULL) {
		*count = w.rr.line;
	}
	return err;
}
