/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The signer's zone filled from zonegen's records in wire form
 * (run/unsigned.h): what signer_zone_read() makes of STATE_DIR/unsigned.zone,
 * without the text.  The same records are refused or dropped as there.
 *
 * A large zone is filled by two threads, as zone_read.c reads a large file:
 * one walks zonegen's records into chunks of a bounded ring, the other adds
 * them to the zone in the same order -- the zone is the same as with one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "signer/dname.h"
#include "signer/record_ring.h"
#include "signer/rrtype.h"
#include "signer/zone.h"
#include "zonegen/name.h"
#include "zonegen/zonegen.h"

#define CLASS_IN 1
#define TTL_MAX 2147483647u /* RFC 2181 8, as the zone file parser */

/* Zones from this many records on are filled by two threads (TLDSIGN_FILL_PIPELINE=1/0: always/never). */
#define PIPE_MIN_RECORDS 200000u

struct fill {
	struct signer_zone *zone;
	const char *source;
	size_t dropped;
};

/* -- internal API -- */

static int refuse(const struct fill *f, const struct tld_zonegen_rr *rr, const char *why)
{
	char name[1024], tname[32];
	signer_dname_to_text(rr->owner, name, sizeof(name));
	tld_error("%s:%lu: %s %s: %s", f->source, rr->line, name,
	          signer_type_name(rr->type, tname, sizeof(tname)), why);
	return TLD_EPARSE;
}

static int add(void *ctx, const struct tld_zonegen_rr *rr)
{
	struct fill *f = ctx;
	if (rr->rclass != CLASS_IN) {
		return refuse(f, rr, "class other than IN");
	}
	if (rr->ttl > TTL_MAX) {
		return refuse(f, rr, "bad TTL");
	}
	if (signer_rrtype_made_by_signer(rr->type)) {
		f->dropped++;
		return TLD_OK;
	}
	int err = signer_zone_add(f->zone, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen,
	                          rr->line <= UINT32_MAX ? (uint32_t)rr->line : 0);
	if (err == TLD_EINVAL) {
		return refuse(f, rr, "malformed RDATA");
	}
	if (err == TLD_ERANGE) {
		refuse(f, rr, "zone too large for the signer (more than 4 GiB of RDATA or of names)");
	}
	return err;
}

/* Walker side: one record of zonegen into the ring. */
static int ring_record(void *ctx, const struct tld_zonegen_rr *rr)
{
	struct signer_ring_rr r = { .owner = rr->owner, .owner_len = (uint8_t)rr->owner_len,
	                            .type = rr->type, .rclass = rr->rclass, .ttl = rr->ttl,
	                            .line = rr->line <= UINT32_MAX ? (uint32_t)rr->line : 0,
	                            .rdata = rr->rdata, .rdlen = rr->rdlen };
	return signer_ring_put(ctx, &r);
}

static int ring_walk(void *ctx, struct signer_ring *ring)
{
	const struct tld_zonegen *const *zg = ctx;
	return tld_zonegen_records(*zg, ring_record, ring);
}

/* Adder side: one record out of the ring. */
static int ring_add(void *ctx, const struct signer_ring_rr *r)
{
	struct tld_zonegen_rr rr = { .owner = r->owner, .owner_len = r->owner_len, .type = r->type,
	                             .rclass = r->rclass, .ttl = r->ttl, .rdata = r->rdata,
	                             .rdlen = r->rdlen, .line = r->line };
	return add(ctx, &rr);
}

/*
 * Walks on a second thread and adds here, chunk by chunk, in order, through
 * the bounded ring (signer/record_ring.h).  An error of the adder stops the
 * walker; otherwise the walk's result is the result.
 */
static int fill_pipelined(const struct tld_zonegen *zg, struct fill *f)
{
	return signer_ring_run(ring_walk, &zg, ring_add, f);
}

static bool pipelined(const struct tld_zonegen *zg)
{
	const char *env = getenv("TLDSIGN_FILL_PIPELINE");
	if (env != NULL && env[0] != '\0') {
		return strcmp(env, "1") == 0;
	}
	const struct tld_zonegen_stats *st = tld_zonegen_stats(zg);
	uint64_t records = st->ns_records + st->ds_records + st->glue_records;
	return records >= PIPE_MIN_RECORDS && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/* -- public API -- */

int tld_run_unsigned_zone(const struct tld_zonegen *zg, const char *origin, const char *source,
                          struct signer_zone **out)
{
	uint8_t wire[SIGNER_DNAME_MAX];
	struct fill f = { .source = source };
	if (tld_name_text_to_wire(origin, strlen(origin), wire) == 0) {
		tld_error("%s: bad origin '%s'", source, origin);
		return TLD_EPARSE;
	}
	int err = signer_zone_new(wire, source, &f.zone);
	if (err != TLD_OK) {
		return err;
	}
	err = pipelined(zg) ? fill_pipelined(zg, &f) : tld_zonegen_records(zg, add, &f);
	if (err == TLD_EINVAL) { /* a name of zonegen without wire form: not after a build */
		tld_error("%s: a name of the built zone has no wire form", source);
		err = TLD_EPARSE;
	}
	if (err != TLD_OK) {
		signer_zone_free(f.zone);
		return err;
	}
	if (f.dropped > 0) {
		tld_notice("%s: %zu DNSSEC records of the input dropped (RRSIG, NSEC, NSEC3, NSEC3PARAM, "
		           "DNSKEY)", source, f.dropped);
	}
	*out = f.zone;
	return TLD_OK;
}
