/* SPDX-License-Identifier: GPL-3.0-or-later */
/* verify/fastparse.c: every line it accepts gives the same canonical wire as
 * ldns; every line outside its scope is declined (ldns parses those). */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "verify/internal.h"

static uint8_t wire[70000];

static bool same_as_ldns(const char *line)
{
	size_t wlen, olen;
	ldns_rr *rr = NULL;
	bool same = false;

	if (vfy_fast_parse(line, strlen(line), wire, sizeof(wire), &wlen, &olen) != TLD_OK) {
		return false;
	}
	if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) == LDNS_STATUS_OK) {
		ldns_buffer *b = ldns_buffer_new(70000);
		if (b != NULL && ldns_rr2buffer_wire_canonical(b, rr, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK) {
			same = ldns_buffer_position(b) == wlen && memcmp(ldns_buffer_begin(b), wire, wlen) == 0 &&
			       olen == ldns_rdf_size(ldns_rr_owner(rr));
		}
		ldns_buffer_free(b);
	}
	ldns_rr_free(rr);
	return same;
}

static bool declined(const char *line)
{
	size_t wlen, olen;
	return vfy_fast_parse(line, strlen(line), wire, sizeof(wire), &wlen, &olen) == TLD_ENOTIMPL;
}

int main(void)
{
	static const char *good[] = {
		"D00010.Test.\t172800\tIN\tNS\tNS1.Example.NET.",
		"d.test. 86400 IN DS 10 13 2 0000000000000000000000000000000000000000000000000000000000013556",
		"d.test. 86400 IN DS 10 13 2 00000000000000000000000000000000 00000000000000000000000000013556",
		"ns1.d.test. 172800 IN A 198.51.100.7",
		"ns1.d.test. 172800 in aaaa 2001:db8::53",
		"*.wild.test. 3600 IN RRSIG TXT 13 2 3600 20360101000000 20260101000000 57055 TEST. "
		"Ln3XI1LeDnCwqwjWRkwxfn9snEI6ljTPUgMlPJwvjrfjwMcuVVQbCe/8 5AcWaLKqyacnkf1za4Abh7JzrID3zw==",
		"example.com. 3600 IN RRSIG MX 15 2 3600 1440021600 1438207200 3613 example.com. "
		"oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==",
		"x.test. 3600 IN RRSIG A 8 2 3600 20360101000000 20260101000000 1 test. AAE=",
		"x.test. 3600 IN RRSIG A 8 2 3600 20360101000000 20260101000000 1 test. AAEC",
		"x.test. 3600 IN RRSIG A 8 2 3600 20360101000000 20260101000000 1 test. AQ==",
		"2T7B4G4VSA5SMI47K61MV5BV1A22BOJR.example. 3600 IN NSEC3 1 1 12 aabbccdd "
		"2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
		"5u2i2h5co0ebb4r9hipbku7pea6ggpsv.test. 3600 IN NSEC3 1 1 0 - 68cqatqct6pgjclqksg5m63h78dgl846 NS SOA RRSIG DNSKEY NSEC3PARAM",
		"w.test. 3600 IN NSEC3 1 0 0 - 68cqatqct6pgjclqksg5m63h78dgl846",
		"w.test. 3600 IN NSEC3 1 0 0 - 68cqatqct6pgjclqksg5m63h78dgl846 TYPE1234 CAA",
	};
	static const char *decline[] = {
		"rel 3600 IN NS ns.example.",         /* relative owner */
		"x.test. IN 3600 NS ns.example.",     /* class before TTL */
		"x.test. 1h IN NS ns.example.",       /* TTL with a unit */
		"x.test. 3600 IN NS ns ; comment",    /* comment */
		"x.test. 3600 IN RRSIG A 8 2 3600 20360101000000 20260101000000 1 test. ( AAEC )",
		"x\\.y.test. 3600 IN A 192.0.2.1",    /* escape */
		"x.test. 3600 IN TXT \"t\"",          /* other type */
		"x.test. 3600 CH A 192.0.2.1",        /* class */
		"x.test. 3600 IN A 192.0.2",          /* bad address */
		"x.test. 3600 IN DS 1 13 2 abc",      /* odd hex */
		"x.test. 3600 IN RRSIG A 8 2 3600 20360101000000 20260101000000 1 test. AAE",
		"x.test. 3600 IN RRSIG A 8 2 3600 20360101000000 20260101000000 1 test. AB==", /* padding bits */
		"x.test. 3600 IN RRSIG A 8 2 3600 20361301000000 20260101000000 1 test. AAEC", /* month 13 */
		"x.test. 3600 IN NSEC3 1 0 0 - 68cqatqct6pgjclqksg5m63h78dgl84w", /* not base32hex */
		"x.test. 3600 IN NSEC3 1 0 0 - 68cq A BOGUSTYPE",
		" x.test. 3600 IN A 192.0.2.1",       /* blank owner */
		"$ORIGIN test.",
		"",
	};
	plan_lazy();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(same_as_ldns(good[i]), "same wire as ldns: %.60s", good[i]);
	}
	for (size_t i = 0; i < sizeof(decline) / sizeof(decline[0]); i++) {
		ok(declined(decline[i]), "left to ldns: %s", decline[i]);
	}
	return exit_status();
}
