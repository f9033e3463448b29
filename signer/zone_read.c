/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone file reader on ldns's parser (ldns_rr_new_frm_fp_l).
 */
#include "signer/zone_read.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/rrtype.h"

static bool dropped_type(uint16_t t)
{
	return t == SIGNER_T_RRSIG || t == SIGNER_T_NSEC || t == SIGNER_T_NSEC3 ||
	       t == SIGNER_T_NSEC3PARAM || t == SIGNER_T_DNSKEY;
}

int signer_zone_read(const char *path, const char *origin, struct signer_zone **out)
{
	int ret = TLD_OK;
	struct signer_zone *z = NULL;
	ldns_rdf *orig = NULL, *prev = NULL;
	ldns_buffer *buf = ldns_buffer_new(4096);
	uint32_t default_ttl = 3600;
	int line = 1;
	size_t dropped = 0;
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		ret = tld_errno(errno);
		tld_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (buf == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	if (origin != NULL) {
		if (ldns_str2rdf_dname(&orig, origin) != LDNS_STATUS_OK) {
			tld_error("%s: bad origin '%s'", path, origin);
			ret = TLD_EPARSE;
			goto fail;
		}
		prev = ldns_rdf_clone(orig);
	}
	for (;;) {
		ldns_rr *rr = NULL;
		int start = line;
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &default_ttl, &orig, &prev, &line);
		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN) {
			if (feof(fp)) {
				break;
			}
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_INCLUDE) {
			tld_error("%s:%d: $INCLUDE is not supported", path, line);
			ret = TLD_EPARSE;
			goto fail;
		}
		if (s != LDNS_STATUS_OK) {
			if (feof(fp) && s == LDNS_STATUS_SYNTAX_ERR) {
				/* trailing garbage-free end of file */
			}
			tld_error("%s:%d: %s", path, line > start ? line : start, ldns_get_errorstr_by_id(s));
			ret = TLD_EPARSE;
			goto fail;
		}
		const ldns_rdf *owner = ldns_rr_owner(rr);
		uint16_t type = (uint16_t)ldns_rr_get_type(rr);
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			tld_error("%s:%d: class other than IN", path, line);
			ldns_rr_free(rr);
			ret = TLD_EPARSE;
			goto fail;
		}
		if (z == NULL) {
			const ldns_rdf *apex = orig != NULL && origin != NULL ? orig : owner;
			if (origin == NULL && type != SIGNER_T_SOA) {
				tld_error("%s:%d: the first record must be the SOA (or give the origin)", path, line);
				ldns_rr_free(rr);
				ret = TLD_EPARSE;
				goto fail;
			}
			ret = signer_zone_new(ldns_rdf_data(apex), path, &z);
			if (ret != TLD_OK) {
				ldns_rr_free(rr);
				goto fail;
			}
		}
		if (dropped_type(type)) {
			dropped++;
			ldns_rr_free(rr);
			continue;
		}
		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK ||
		    ldns_buffer_position(buf) > 65535) {
			tld_error("%s:%d: RDATA cannot be encoded", path, line);
			ldns_rr_free(rr);
			ret = TLD_EPARSE;
			goto fail;
		}
		ret = signer_zone_add(z, ldns_rdf_data(owner), type, ldns_rr_ttl(rr),
		                      ldns_buffer_begin(buf), (uint16_t)ldns_buffer_position(buf),
		                      (uint32_t)line);
		ldns_rr_free(rr);
		if (ret == TLD_EINVAL) {
			tld_error("%s:%d: malformed RDATA", path, line);
			ret = TLD_EPARSE;
		}
		if (ret != TLD_OK) {
			goto fail;
		}
	}
	if (z == NULL) {
		tld_error("%s: no records", path);
		ret = TLD_EPARSE;
		goto fail;
	}
	if (dropped > 0) {
		tld_notice("%s: %zu DNSSEC records of the input dropped (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY)",
		           path, dropped);
	}
	*out = z;
	z = NULL;
fail:
	if (fp != NULL) {
		fclose(fp);
	}
	ldns_buffer_free(buf);
	ldns_rdf_deep_free(orig);
	ldns_rdf_deep_free(prev);
	signer_zone_free(z);
	return ret;
}
