/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The signer's zone filled from zonegen's records in wire form
 * (run/unsigned.h): what signer_zone_read() makes of STATE_DIR/unsigned.zone,
 * without the text.  The same records are refused or dropped as there.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/zone.h"
#include "zonegen/name.h"
#include "zonegen/zonegen.h"

#define CLASS_IN 1
#define TTL_MAX 2147483647u /* RFC 2181 8, as the zone file parser */

struct fill {
	struct signer_zone *zone;
	const char *source;
	size_t dropped;
};

/* -- internal API -- */

/* The signer makes these itself (zone_read.c drops them from a file the same way). */
static bool dropped_type(uint16_t t)
{
	return t == SIGNER_T_RRSIG || t == SIGNER_T_NSEC || t == SIGNER_T_NSEC3 ||
	       t == SIGNER_T_NSEC3PARAM || t == SIGNER_T_DNSKEY;
}

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
	if (dropped_type(rr->type)) {
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
	err = tld_zonegen_records(zg, add, &f);
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
