/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * apex.records: a zone-file snippet with apex data (NS addresses, TXT, ...),
 * parsed with ldns.  Data outside the zone, an SOA or apex NS (they come from
 * apex.soa and apex.ns) are configuration errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "zonegen/zg_internal.h"

/* -- internal API -- */

static int add_extra(struct tld_zonegen *zg, ldns_rr *rr, uint32_t owner)
{
	if (zg->extra_count == zg->extra_cap) {
		size_t cap = zg->extra_cap ? zg->extra_cap * 2 : 16;
		struct zg_extra *v = realloc(zg->extra, cap * sizeof(*v));
		if (v == NULL) {
			return TLD_ENOMEM;
		}
		zg->extra = v;
		zg->extra_cap = cap;
	}
	struct zg_extra x = { .owner = owner, .type = (uint16_t)ldns_rr_get_type(rr),
	                      .ttl = ldns_rr_ttl(rr), .rclass = (uint16_t)ldns_rr_get_class(rr) };
	ldns_buffer *buf = ldns_buffer_new(512);
	if (buf == NULL) {
		return TLD_ENOMEM;
	}
	if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK) {
		ldns_buffer_free(buf);
		return TLD_ENOMEM;
	}
	x.rdata_len = ldns_buffer_position(buf);
	x.rdata = malloc(x.rdata_len ? x.rdata_len : 1);
	if (x.rdata == NULL) {
		ldns_buffer_free(buf);
		return TLD_ENOMEM;
	}
	memcpy(x.rdata, ldns_buffer_begin(buf), x.rdata_len);
	ldns_buffer_free(buf);
	/* the text after the owner: "TTL\tIN\tTYPE\tRDATA\n" */
	char *line = ldns_rr2str(rr);
	if (line == NULL) {
		free(x.rdata);
		return TLD_ENOMEM;
	}
	char *tab = strchr(line, '\t');
	x.text = strdup(tab ? tab + 1 : line);
	free(line);
	if (x.text == NULL) {
		free(x.rdata);
		return TLD_ENOMEM;
	}
	zg->extra[zg->extra_count++] = x;
	return TLD_OK;
}

/* -- public API -- */

int zg_load_apex_records(struct tld_zonegen *zg)
{
	const struct tld_config *cfg = zg->cfg;
	if (cfg->apex.records == NULL || cfg->apex.records[0] == '\0') {
		return TLD_OK;
	}
	const char *path = cfg->apex.records;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		tld_error("%s: cannot open apex records: %s", path, strerror(errno));
		return TLD_ECONFIG;
	}
	int ret = TLD_OK;
	ldns_rdf *origin = ldns_dname_new_frm_str(zg->zone);
	ldns_rdf *prev = NULL;
	uint32_t ttl = cfg->apex.soa.ttl;
	int line = 1;
	if (origin == NULL) {
		fclose(f);
		return TLD_ENOMEM;
	}
	ldns_rdf *my_origin = ldns_rdf_clone(origin);
	while (ret == TLD_OK && !feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &my_origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN) {
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			if (feof(f) && rr == NULL && st == LDNS_STATUS_SYNTAX_ERR) {
				break;
			}
			tld_error("%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
			ret = TLD_ECONFIG;
			break;
		}
		ldns_rr2canonical(rr);
		ldns_rdf *owner = ldns_rr_owner(rr);
		ldns_rr_type type = ldns_rr_get_type(rr);
		bool apex = ldns_dname_compare(owner, origin) == 0;
		if (!apex && !ldns_dname_is_subdomain(owner, origin)) {
			char *o = ldns_rdf2str(owner);
			tld_error("%s:%d: %s is outside the zone %s", path, line, o ? o : "?", zg->zone);
			free(o);
			ret = TLD_ECONFIG;
		} else if (type == LDNS_RR_TYPE_SOA || (apex && type == LDNS_RR_TYPE_NS)) {
			tld_error("%s:%d: the apex %s comes from apex.%s in the config", path, line,
			          type == LDNS_RR_TYPE_SOA ? "SOA" : "NS",
			          type == LDNS_RR_TYPE_SOA ? "soa" : "ns");
			ret = TLD_ECONFIG;
		} else {
			char *o = ldns_rdf2str(owner);
			uint32_t id = ZG_NONE;
			ret = o == NULL ? TLD_ENOMEM : zg_intern(zg, o, strlen(o), &id);
			free(o);
			if (ret == TLD_OK) {
				zg->names[id].flags |= ZG_APEX_DATA | (apex ? 0 : ZG_IN_ZONE);
				ret = add_extra(zg, rr, id);
			}
		}
		ldns_rr_free(rr);
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(my_origin);
	ldns_rdf_deep_free(prev);
	fclose(f);
	return ret;
}

void zg_extra_free(struct tld_zonegen *zg)
{
	for (size_t i = 0; i < zg->extra_count; i++) {
		free(zg->extra[i].rdata);
		free(zg->extra[i].text);
	}
	free(zg->extra);
}
