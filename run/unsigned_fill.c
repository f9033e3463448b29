/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The signer's zone filled from zonegen's records in wire form
 * (run/unsigned.h): what signer_zone_read() makes of STATE_DIR/unsigned.zone,
 * without the text.  The same records are refused or dropped as there.
 *
 * A large zone is filled by two threads: zonegen's records split at an
 * owner into two parts (tld_zonegen_records_part()), each added to a zone
 * of its own, then the second zone appended to the first with its lines
 * moved by the first part's count (signer_zone_append()): the records, RDATA,
 * owners and lines are those of a fill in one pass, in the same order.  A
 * refusal is not logged by the parts: on any failure of a part the fill is
 * done again in one pass, which logs exactly what it always logged (the
 * first refused record, file and line); refusals come only from
 * apex.records, so that repeat costs nothing in practice.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
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

/* Zones from this many records on are filled by two threads (TLDSIGN_FILL_PIPELINE=1/0: always/never). */
#define PARTS_MIN_RECORDS 200000u

struct fill {
	struct signer_zone *zone;
	const char *source;
	size_t dropped;
	bool quiet;                /* a part of a fill in two: refusals not logged */
};

/* -- internal API -- */

static int refuse(const struct fill *f, const struct tld_zonegen_rr *rr, const char *why)
{
	if (f->quiet) {
		return TLD_EPARSE;
	}
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
		(void)refuse(f, rr, "zone too large for the signer (more than 4 GiB of RDATA or of names)");
	}
	return err;
}

/* Records and bytes per record counted on ahead (signer_zone_reserve(); a hint). */
#define NS_RDATA_GUESS 40
#define DS_RDATA_GUESS 52
#define GLUE_RDATA_GUESS 16
#define OWNER_GUESS 32
#define APEX_ROOM 64 /* apex records, and those the signer adds at the apex */

/* A new zone for the fill, with room made for about share/parts of the built zone. */
static int new_zone(const struct tld_zonegen *zg, const uint8_t *wire, const char *source,
                    unsigned share, unsigned parts, struct signer_zone **out)
{
	int err = signer_zone_new(wire, source, out);
	if (err != TLD_OK) {
		return err;
	}
	const struct tld_zonegen_stats *st = tld_zonegen_stats(zg);
	uint64_t owners = st->delegated + st->glue_records;
	uint64_t rrs = st->ns_records + st->ds_records + st->glue_records;
	uint64_t rdata = st->ns_records * NS_RDATA_GUESS + st->ds_records * DS_RDATA_GUESS +
	                 st->glue_records * GLUE_RDATA_GUESS;
	if (rrs < SIZE_MAX / 4) { /* a hint: nonsense figures are no reason to refuse */
		signer_zone_reserve(*out, (size_t)(rrs * share / parts) + APEX_ROOM,
		                    (size_t)(rdata * share / parts) + APEX_ROOM * 512,
		                    (size_t)(owners * share / parts) + APEX_ROOM,
		                    (size_t)(owners * share / parts + APEX_ROOM) * OWNER_GUESS);
	}
	return TLD_OK;
}

/* One part of a fill in two parts. */
struct part {
	const struct tld_zonegen *zg;
	unsigned index;
	struct fill f;
	struct tld_zonegen_text *text; /* its text, when asked for */
	unsigned long count;       /* its records (lines) */
	int err;
	pthread_t thread;
	bool threaded;
};

static void *part_main(void *arg)
{
	struct part *p = arg;
	p->err = tld_zonegen_records_part(p->zg, p->index, 2, add, &p->f, p->text, &p->count);
	return NULL;
}

/* The parts' texts joined into *text (when asked for, and all went well), else freed. */
static void join_texts(struct part *p, struct tld_zonegen_text **text)
{
	if (text != NULL && p[0].text != NULL && p[1].text != NULL &&
	    tld_zonegen_text_join(p[0].text, p[1].text) == TLD_OK) { /* frees p[1].text */
		*text = p[0].text;
		return;
	}
	if (text == NULL || p[0].text == NULL || p[1].text == NULL) {
		tld_zonegen_text_free(p[1].text);
	}
	tld_zonegen_text_free(p[0].text);
}

/*
 * The fill in two parts, the second on a thread (here after the first when
 * no thread can be had): the zone in *out, the records dropped counted in
 * f, with text the text of the file made beside it (NULL when it could not
 * be made).  Any failure: nothing logged, TLD_EAGAIN, *out untouched -- the
 * caller fills in one pass instead.
 */
static int fill_parts(const struct tld_zonegen *zg, const uint8_t *wire, struct fill *f,
                      struct signer_zone **out, struct tld_zonegen_text **text)
{
	struct part p[2];
	for (unsigned k = 0; k < 2; k++) {
		p[k] = (struct part){ .zg = zg, .index = k, .f = { .source = f->source, .quiet = true },
		                      .err = TLD_OK };
		/* the first zone gets room for the whole: the second is appended to it */
		if (new_zone(zg, wire, f->source, k == 0 ? 2 : 1, 2, &p[k].f.zone) != TLD_OK) {
			signer_zone_free(p[0].f.zone);
			tld_zonegen_text_free(p[0].text);
			return TLD_EAGAIN;
		}
		if (text != NULL && tld_zonegen_text_new(zg, &p[k].text) != TLD_OK) {
			p[k].text = NULL; /* no text: the file is formatted from zonegen */
		}
	}
	p[1].threaded = pthread_create(&p[1].thread, NULL, part_main, &p[1]) == 0;
	part_main(&p[0]);
	if (p[1].threaded) {
		pthread_join(p[1].thread, NULL);
	} else if (p[0].err == TLD_OK) {
		part_main(&p[1]);
	} else {
		p[1].err = p[0].err;
	}
	double t_parts = tld_mono_seconds();
	struct signer_zone *z = p[0].f.zone, *tail = p[1].f.zone;
	if (p[0].err != TLD_OK || p[1].err != TLD_OK || p[0].count > UINT32_MAX ||
	    p[0].count + p[1].count > UINT32_MAX) {
		signer_zone_free(z);
		signer_zone_free(tail);
		join_texts(p, NULL);
		return TLD_EAGAIN;
	}
	/* the second part's lines are counted from its first record: moved by the first part's */
	if (signer_zone_append_lines(z, tail, (uint32_t)p[0].count) != TLD_OK) { /* frees tail */
		signer_zone_free(z);
		join_texts(p, NULL);
		return TLD_EAGAIN;
	}
	join_texts(p, text);
	tld_debug("%s: filled in two parts (%lu and %lu records), the second appended in %.2f s",
	          f->source, p[0].count, p[1].count, tld_mono_seconds() - t_parts);
	f->dropped = p[0].f.dropped + p[1].f.dropped;
	*out = z;
	return TLD_OK;
}

static bool in_parts(const struct tld_zonegen *zg)
{
	const char *env = getenv("TLDSIGN_FILL_PIPELINE");
	if (env != NULL && env[0] != '\0') {
		return strcmp(env, "1") == 0;
	}
	const struct tld_zonegen_stats *st = tld_zonegen_stats(zg);
	uint64_t records = st->ns_records + st->ds_records + st->glue_records;
	return records >= PARTS_MIN_RECORDS && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/* -- public API -- */

int tld_run_unsigned_zone(const struct tld_zonegen *zg, const char *origin, const char *source,
                          struct signer_zone **out, struct tld_zonegen_text **text)
{
	if (text != NULL) {
		*text = NULL;
	}
	uint8_t wire[SIGNER_DNAME_MAX];
	struct fill f = { .source = source };
	if (tld_name_text_to_wire(origin, strlen(origin), wire) == 0) {
		tld_error("%s: bad origin '%s'", source, origin);
		return TLD_EPARSE;
	}
	int err = TLD_EAGAIN;
	if (in_parts(zg)) {
		err = fill_parts(zg, wire, &f, &f.zone, text);
	}
	if (err == TLD_EAGAIN) { /* one pass: small zones, no thread, or a part failed */
		f.dropped = 0;
		if ((err = new_zone(zg, wire, source, 1, 1, &f.zone)) != TLD_OK) {
			return err;
		}
		if (text != NULL && tld_zonegen_text_new(zg, text) != TLD_OK) {
			*text = NULL; /* no text: the file is formatted from zonegen */
		}
		err = tld_zonegen_records_part(zg, 0, 1, add, &f, text != NULL ? *text : NULL, NULL);
	}
	if (err == TLD_EINVAL) { /* a name of zonegen without wire form: not after a build */
		tld_error("%s: a name of the built zone has no wire form", source);
		err = TLD_EPARSE;
	}
	if (err != TLD_OK) {
		signer_zone_free(f.zone);
		if (text != NULL) {
			tld_zonegen_text_free(*text);
			*text = NULL;
		}
		return err;
	}
	if (f.dropped > 0) {
		tld_notice("%s: %zu DNSSEC records of the input dropped (RRSIG, NSEC, NSEC3, NSEC3PARAM, "
		           "DNSKEY)", source, f.dropped);
	}
	*out = f.zone;
	return TLD_OK;
}
