/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RRSIG messages, timing, serials, key selection.
 *
 * Known answer: for every RRSIG of RFC 5155 Appendix A over zone data, the
 * message the signer builds from unsigned.zone (with that RRSIG's fields)
 * verifies under the RFC's ZSK with the RFC's signature: owner/RDATA
 * canonical form, RR order, wildcard labels and original TTL all match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/keys.h"
#include "signer/rrsig.h"
#include "signer/rrtype.h"
#include "signer/timing.h"
#include "signer/zone.h"
#include "signer/zone_read.h"
#include "tests/tap/tap.h"

static void test_rfc5155_signatures(void)
{
	char path[4096];
	struct signer_zone *z = NULL;
	snprintf(path, sizeof(path), "%s/rfc5155/unsigned.zone", tap_vectors_dir());
	if (signer_zone_read(path, NULL, &z) != TLD_OK || signer_zone_build(z) != TLD_OK) {
		ok(0, "unsigned.zone loads");
		signer_zone_free(z);
		return;
	}
	snprintf(path, sizeof(path), "%s/rfc5155/signed.zone", tap_vectors_dir());
	FILE *fp = fopen(path, "r");
	ldns_zone *signed_zone = NULL;
	int line = 0;
	ok(fp != NULL && ldns_zone_new_frm_fp_l(&signed_zone, fp, NULL, 0, LDNS_RR_CLASS_IN, &line) == LDNS_STATUS_OK,
	   "signed.zone loads (ldns)");
	if (fp != NULL) {
		fclose(fp);
	}
	if (signed_zone == NULL) {
		signer_zone_free(z);
		return;
	}
	ldns_rr_list *all = ldns_rr_list_cat_clone(ldns_zone_rrs(signed_zone), NULL);
	ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_zone_soa(signed_zone)));
	const ldns_rdf *zsk = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY && ldns_calc_keytag(rr) == 40430) {
			zsk = ldns_rr_rdf(rr, 3);
		}
	}
	ok(zsk != NULL, "ZSK 40430 found");
	int checked = 0, expected = 0;
	for (size_t i = 0; zsk != NULL && i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *sig = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG) {
			continue;
		}
		uint16_t covered = (uint16_t)ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig));
		if (covered == SIGNER_T_NSEC3 || covered == SIGNER_T_DNSKEY || covered == SIGNER_T_NSEC3PARAM ||
		    ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)) != 40430) {
			continue;
		}
		expected++;
		char owner_text[1024];
		char *o = ldns_rdf2str(ldns_rr_owner(sig));
		snprintf(owner_text, sizeof(owner_text), "%s", o);
		free(o);
		uint32_t idx = signer_zone_find(z, ldns_rdf_data(ldns_rr_owner(sig)));
		if (idx == UINT32_MAX) {
			ok(0, "%s in the model", owner_text);
			continue;
		}
		const struct signer_node *n = &z->nodes[idx];
		size_t first = 0, count = 0;
		for (uint32_t k = 0; k < n->rr_count; k++) {
			if (z->rrs[n->rr_first + k].type == covered) {
				if (count++ == 0) {
					first = n->rr_first + k;
				}
			}
		}
		struct signer_rrsig_fields f = {
			.type_covered = covered,
			.algorithm = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig)),
			.labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)),
			.original_ttl = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig)),
			.expiration = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig)),
			.inception = ldns_rdf2native_int32(ldns_rr_rrsig_inception(sig)),
			.key_tag = 40430,
			.signer = z->origin,
		};
		is_int(signer_rrsig_labels(signer_node_wire(z, n)), f.labels, "%s labels field", owner_text);
		uint8_t *msg = NULL;
		size_t len = 0;
		if (count == 0 || signer_rrsig_message(z, first, count, &f, &msg, &len) != TLD_OK) {
			ok(0, "message for %s type %u", owner_text, covered);
			continue;
		}
		ldns_buffer *vb = ldns_buffer_new(len);
		ldns_buffer_write(vb, msg, len); /* ldns verifies begin .. position */
		const ldns_rdf *sigrdf = ldns_rr_rrsig_sig(sig);
		ldns_status s = ldns_verify_rrsig_buffers_raw(ldns_rdf_data(sigrdf), ldns_rdf_size(sigrdf), vb,
		                                              ldns_rdf_data(zsk), ldns_rdf_size(zsk), f.algorithm);
		ok(s == LDNS_STATUS_OK, "RFC signature verifies over our message: %s type %u (%s)", owner_text,
		   covered, ldns_get_errorstr_by_id(s));
		checked += s == LDNS_STATUS_OK;
		if (checked == 1) {
			/* the same check fails on a changed message: the test can fail */
			ldns_buffer *bad = ldns_buffer_new(len);
			msg[len - 1] ^= 1;
			ldns_buffer_write(bad, msg, len);
			ok(ldns_verify_rrsig_buffers_raw(ldns_rdf_data(sigrdf), ldns_rdf_size(sigrdf), bad,
			                                 ldns_rdf_data(zsk), ldns_rdf_size(zsk), f.algorithm) != LDNS_STATUS_OK,
			   "a changed message does not verify");
			ldns_buffer_free(bad);
		}
		ldns_buffer_free(vb);
		free(msg);
	}
	ok(expected >= 15, "RFC has %d zone-data RRSIGs by the ZSK", expected);
	is_int(expected, checked, "all of them verify");
	ldns_rr_list_deep_free(all);
	ldns_zone_deep_free(signed_zone);
	signer_zone_free(z);
}

static void test_timing(void)
{
	struct tld_policy pol = { 0 };
	pol.signatures.validity = 14 * 86400;
	pol.signatures.dnskey_validity = 21 * 86400;
	pol.signatures.jitter = 12 * 3600;
	pol.signatures.inception_offset = 3600;
	const uint8_t owner[] = { 1, 'a', 3, 't', 'l', 'd', 0 };
	struct signer_sig_times t1, t2, tk;
	tld_time_t now = 1795255200;
	is_int(TLD_OK, signer_sig_times(&pol, SIGNER_T_DS, owner, 42, now, &t1), "times");
	is_int(TLD_OK, signer_sig_times(&pol, SIGNER_T_DS, owner, 42, now, &t2), "times again");
	is_int(t1.expiration, t2.expiration, "deterministic for (owner, type, seed)");
	is_int((uint32_t)(now - 3600), t1.inception, "inception = now - offset");
	ok(t1.expiration >= now + 14 * 86400 - 12 * 3600 && t1.expiration <= now + 14 * 86400 + 12 * 3600,
	   "expiration within validity +- jitter");
	is_int(TLD_OK, signer_sig_times(&pol, SIGNER_T_DNSKEY, owner, 42, now, &tk), "DNSKEY times");
	ok(tk.expiration >= now + 21 * 86400 - 12 * 3600, "DNSKEY validity separate");
	int spread = 0;
	uint32_t firstexp = 0;
	for (int i = 0; i < 50; i++) {
		uint8_t o[] = { 2, 'a', (uint8_t)('a' + i % 26), 3, 't', 'l', 'd', 0 };
		o[1] = (uint8_t)('a' + i / 26);
		signer_sig_times(&pol, SIGNER_T_DS, o, 42, now, &t2);
		if (i == 0) {
			firstexp = t2.expiration;
		}
		spread += t2.expiration != firstexp;
	}
	ok(spread > 40, "expirations spread over the jitter window (%d of 49 differ)", spread);
	pol.signatures.jitter = pol.signatures.validity;
	is_int(TLD_EINVAL, signer_sig_times(&pol, SIGNER_T_DS, owner, 42, now, &t1), "jitter >= validity refused");
}

static void test_serial(void)
{
	uint32_t s;
	ok(signer_serial_gt(1, 0) && signer_serial_gt(0, 0xffffffff) && !signer_serial_gt(0x80000000u, 0) &&
	   !signer_serial_gt(5, 5), "RFC 1982 comparisons");
	is_int(TLD_OK, signer_serial_next(TLD_SERIAL_UNIXTIME, 7, false, 0, 1795255200, &s), "unixtime");
	is_int(1795255200u, s, "unixtime = now");
	signer_serial_next(TLD_SERIAL_UNIXTIME, 7, true, 1795255200u, 1795255200, &s);
	is_int(1795255201u, s, "unixtime never repeats");
	signer_serial_next(TLD_SERIAL_DATECOUNTER, 7, false, 0, 1795255200, &s);
	is_int(2026112100u, s, "datecounter YYYYMMDD00");
	signer_serial_next(TLD_SERIAL_DATECOUNTER, 7, true, 2026112100u, 1795255200, &s);
	is_int(2026112101u, s, "datecounter second run of the day");
	signer_serial_next(TLD_SERIAL_COUNTER, 7, false, 0, 0, &s);
	is_int(7, s, "counter starts from the input");
	signer_serial_next(TLD_SERIAL_COUNTER, 7, true, 0xffffffffu, 0, &s);
	is_int(0, s, "counter wraps (RFC 1982)");
	signer_serial_next(TLD_SERIAL_UNIXTIME, 7, true, 0xfffffff0u, 1795255200, &s);
	ok(signer_serial_gt(s, 0xfffffff0u), "greater than a far-ahead previous serial");
	is_int(TLD_EINVAL, signer_serial_next((enum tld_serial_scheme)9, 7, false, 0, 0, &s), "unknown scheme");
}

static void test_keys(void)
{
	struct signer_key k[3] = {
		{ .algorithm = 13, .key_tag = 1, .role = TLD_ROLE_KSK },
		{ .algorithm = 13, .key_tag = 2, .role = TLD_ROLE_ZSK },
		{ .algorithm = 13, .key_tag = 3, .role = TLD_ROLE_ZSK, .deleted = true },
	};
	struct signer_key_use u[3];
	is_int(TLD_OK, signer_select_keys(k, 3, u), "KSK + ZSK");
	ok(u[0].publish && u[0].sign_keys && !u[0].sign_zone, "KSK publishes and signs keys only");
	ok(u[1].publish && !u[1].sign_keys && u[1].sign_zone, "ZSK signs the zone only");
	ok(!u[2].publish && !u[2].sign_zone, "deleted key does nothing");
	struct signer_key csk = { .algorithm = 13, .key_tag = 9, .role = TLD_ROLE_CSK };
	is_int(TLD_OK, signer_select_keys(&csk, 1, u), "CSK alone");
	ok(u[0].sign_keys && u[0].sign_zone, "CSK signs both");
	is_int(TLD_EKEY, signer_select_keys(k, 1, u), "KSK alone refused");
	k[1].key_tag = 1;
	is_int(TLD_EKEYTAG, signer_select_keys(k, 2, u), "shared key tag refused");
}

int main(void)
{
	plan_lazy();
	tld_log_init(TLD_LOG_WARNING, false);
	test_rfc5155_signatures();
	test_timing();
	test_serial();
	test_keys();
	return exit_status();
}
