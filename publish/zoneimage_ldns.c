/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone text to image through ldns: the reference reader (whole file) and the
 * per-record fallback of the fast reader (publish/zoneparse.c).
 */
#include "publish/zoneimage_ldns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"

/* Appends rr (owner made canonical) to the image.  \return TLD_OK, TLD_EZONE, TLD_ENOMEM */
static int add_ldns_rr(struct tld_image_builder *b, ldns_buffer *buf, ldns_rr *rr)
{
	uint8_t rec[1 + 255 + 10 + 65535];
	ldns_dname2canonical(ldns_rr_owner(rr));
	ldns_buffer_clear(buf);
	if (ldns_rr2buffer_wire(buf, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
		return TLD_EZONE;
	}
	size_t wl = ldns_buffer_position(buf);
	const uint8_t *w = ldns_buffer_begin(buf);
	size_t ol = tld_name_len(w, wl);
	if (ol == 0 || wl > sizeof(rec) - 1) {
		return TLD_EZONE;
	}
	rec[0] = (uint8_t)ol;
	memcpy(rec + 1, w, wl);
	return tld_image_builder_add(b, rec, wl + 1);
}

int tld_image_add_ldns_text(struct tld_image_builder *b, const char *text, uint32_t default_ttl,
                            const uint8_t *origin, size_t origin_len, uint8_t *prev,
                            size_t *prev_len, const char **err)
{
	ldns_rr *rr = NULL;
	ldns_rdf *org = NULL, *prv = NULL;
	ldns_buffer *buf = ldns_buffer_new(4096);
	int r = TLD_ENOMEM;
	*err = NULL;
	if (buf == NULL) {
		goto fail;
	}
	if (origin_len > 0 &&
	    (org = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, origin_len, origin)) == NULL) {
		goto fail;
	}
	if (*prev_len > 0 &&
	    (prv = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, *prev_len, prev)) == NULL) {
		goto fail;
	}
	ldns_status st = ldns_rr_new_frm_str(&rr, text, default_ttl, org, &prv);
	if (st != LDNS_STATUS_OK) {
		*err = ldns_get_errorstr_by_id(st);
		r = TLD_EPARSE;
		goto fail;
	}
	if (ldns_rr_get_type(rr) == 0) {
		/* ldns makes type 0 of some garbage; it is reserved (RFC 6895 3.1) */
		*err = "record type 0 is reserved";
		r = TLD_EPARSE;
		goto fail;
	}
	size_t ol = ldns_rdf_size(ldns_rr_owner(rr));
	if (ol > TLD_DNS_MAXNAME) {
		*err = "owner name too long";
		r = TLD_EPARSE;
		goto fail;
	}
	uint8_t owner[TLD_DNS_MAXNAME];
	memcpy(owner, ldns_rdf_data(ldns_rr_owner(rr)), ol);  /* as written, before lower-casing */
	r = add_ldns_rr(b, buf, rr);
	if (r == TLD_EZONE) {
		*err = "record cannot be converted to wire format";
		r = TLD_EPARSE;
	}
	if (r == TLD_OK) {
		memcpy(prev, owner, ol);
		*prev_len = ol;
	}
fail:
	ldns_rr_free(rr);
	ldns_rdf_deep_free(org);
	ldns_rdf_deep_free(prv);
	ldns_buffer_free(buf);
	return r;
}

/* The text of line number `line` (1-based) of a file, for error messages. */
static void zone_line(const char *path, int line, char *out, size_t size)
{
	FILE *fp = fopen(path, "r");
	char buf[4096];
	out[0] = 0;
	for (int i = 1; fp != NULL && fgets(buf, sizeof(buf), fp) != NULL; i++) {
		if (i == line) {
			size_t n = strcspn(buf, "\r\n");
			n = n < size - 1 ? n : size - 1;
			memcpy(out, buf, n);
			out[n] = 0;
			break;
		}
	}
	if (fp != NULL) {
		fclose(fp);
	}
}

int tld_image_from_zone_fp_ldns(FILE *fp, const char *path, struct tld_zone_image **out)
{
	ldns_zone *zone = NULL;
	ldns_buffer *buf = NULL;
	struct tld_image_builder b = { 0 };
	int line = 0, r = TLD_ENOMEM;

	b.img = calloc(1, sizeof(*b.img));
	buf = ldns_buffer_new(4096);
	if (b.img == NULL || buf == NULL) {
		goto fail;
	}
	ldns_status st = ldns_zone_new_frm_fp_l(&zone, fp, NULL, 0, LDNS_RR_CLASS_IN, &line);
	if (st != LDNS_STATUS_OK) {
		char text[160];
		zone_line(path, line, text, sizeof(text));
		tld_error("%s:%d: %s: \"%s\"", path, line, ldns_get_errorstr_by_id(st), text);
		r = TLD_EPARSE;
		goto fail;
	}
	ldns_rr *soa = ldns_zone_soa(zone);
	ldns_rr_list *rrs = ldns_zone_rrs(zone);
	size_t n = ldns_rr_list_rr_count(rrs);
	for (size_t i = 0; i <= n; i++) {
		ldns_rr *rr = i == 0 ? soa : ldns_rr_list_rr(rrs, i - 1);
		if (rr == NULL) {
			continue;
		}
		r = add_ldns_rr(&b, buf, rr);
		if (r == TLD_EZONE) {
			tld_error("%s: record %zu cannot be converted to wire format", path, i);
		}
		if (r != TLD_OK) {
			goto fail;
		}
	}
	r = tld_image_builder_finish(&b, path, out);
fail:
	if (zone) {
		ldns_zone_deep_free(zone);
	}
	ldns_buffer_free(buf);
	tld_image_free(b.img);
	return r;
}

int tld_image_from_zone_file_ldns(const char *path, struct tld_zone_image **out)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		int r = tld_errno(errno);
		tld_error("%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	int r = tld_image_from_zone_fp_ldns(fp, path, out);
	fclose(fp);
	return r;
}
