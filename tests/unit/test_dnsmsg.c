/* SPDX-License-Identifier: GPL-3.0-or-later */
/* publish/dnswire: the bounded parser and the compressing writer (ldns as referee). */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "publish/dnswire.h"
#include "tests/tap/tap.h"

static const uint8_t SOA_QUERY[] = {
	0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 't', 'e', 's', 't', 0x00, 0x00, 0x06, 0x00, 0x01,
};

static void test_parse_valid(void)
{
	struct tld_msg m;
	is_int(TLD_OK, tld_msg_parse(SOA_QUERY, sizeof(SOA_QUERY), &m), "SOA query parses");
	is_int(0x1234, m.id, "id");
	is_int(TLD_RR_SOA, m.qtype, "qtype");
	is_int(6, (long long)m.qname_len, "qname length");
	ok(!m.has_tsig && !m.has_opt, "no TSIG, no OPT");
}

static void test_parse_malformed(void)
{
	struct tld_msg m;
	uint8_t buf[600];
	int bad = 0;
	for (size_t n = 0; n < sizeof(SOA_QUERY); n++) {
		bad += tld_msg_parse(SOA_QUERY, n, &m) == TLD_EPROTO;
	}
	is_int((long long)sizeof(SOA_QUERY), bad, "every truncation is rejected");

	memcpy(buf, SOA_QUERY, sizeof(SOA_QUERY));
	buf[sizeof(SOA_QUERY)] = 0;
	is_int(TLD_EPROTO, tld_msg_parse(buf, sizeof(SOA_QUERY) + 1, &m), "trailing garbage rejected");

	memcpy(buf, SOA_QUERY, 12);
	buf[12] = 0xC0; buf[13] = 12;  /* pointer to itself */
	memcpy(buf + 14, "\x00\x06\x00\x01", 4);
	is_int(TLD_EPROTO, tld_msg_parse(buf, 18, &m), "self pointer rejected");

	buf[12] = 0xC0; buf[13] = 20;  /* forward pointer */
	is_int(TLD_EPROTO, tld_msg_parse(buf, 18, &m), "forward pointer rejected");

	buf[12] = 0x80;  /* reserved label type */
	is_int(TLD_EPROTO, tld_msg_parse(buf, 18, &m), "extended label type rejected");

	/* a 300-byte name: five 59-byte labels */
	size_t p = 12;
	for (int i = 0; i < 5; i++) {
		buf[p++] = 59;
		memset(buf + p, 'a', 59);
		p += 59;
	}
	buf[p++] = 0;
	memcpy(buf + p, "\x00\x06\x00\x01", 4);
	is_int(TLD_EPROTO, tld_msg_parse(buf, p + 4, &m), "name over 255 bytes rejected");

	memcpy(buf, SOA_QUERY, sizeof(SOA_QUERY));
	buf[5] = 2;  /* qdcount 2 */
	is_int(TLD_EPROTO, tld_msg_parse(buf, sizeof(SOA_QUERY), &m), "two questions rejected");

	memcpy(buf, SOA_QUERY, sizeof(SOA_QUERY));
	buf[11] = 1;  /* arcount 1 but nothing there */
	is_int(TLD_EPROTO, tld_msg_parse(buf, sizeof(SOA_QUERY), &m), "missing additional record rejected");
}

static void test_writer_compression(void)
{
	static struct tld_msg_writer w;
	static uint8_t buf[65535];
	uint8_t owner[TLD_DNS_MAXNAME], ns[TLD_DNS_MAXNAME];
	size_t ol, nl, raw = 12;
	char text[64];
	int added = 0;

	tld_writer_init(&w, buf, sizeof(buf), 60000, 7, 0x8400);
	tld_name_from_text("test.", owner, &ol);
	tld_writer_question(&w, owner, ol, TLD_RR_AXFR, TLD_CLASS_IN);
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "dom%d.test.", i);
		tld_name_from_text(text, owner, &ol);
		snprintf(text, sizeof(text), "ns1.dom%d.example.", i);
		tld_name_from_text(text, ns, &nl);
		added += tld_writer_rr(&w, 1, owner, ol, TLD_RR_NS, TLD_CLASS_IN, 3600, ns, (uint16_t)nl) == TLD_OK;
		raw += ol + 10 + nl;
	}
	tld_writer_finish(&w);
	is_int(200, added, "200 records added");
	ok(w.len < raw, "compressed message (%zu) is smaller than uncompressed (%zu)", w.len, raw);

	ldns_pkt *pkt = NULL;
	is_int(LDNS_STATUS_OK, ldns_wire2pkt(&pkt, buf, w.len), "ldns parses the message");
	if (pkt != NULL) {
		is_int(200, ldns_pkt_ancount(pkt), "200 answers");
		char *owner_text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(pkt), 123)));
		is_str("dom123.test.", owner_text, "owner of record 123 decompresses correctly");
		free(owner_text);
		ldns_pkt_free(pkt);
	}
	struct tld_msg m;
	is_int(TLD_OK, tld_msg_parse(buf, w.len, &m), "our parser reads it back");

	/* limit: a small soft limit stops adding but never truncates a record */
	tld_writer_init(&w, buf, sizeof(buf), 100, 8, 0x8400);
	tld_name_from_text("dom1.test.", owner, &ol);
	added = 0;
	while (tld_writer_rr(&w, 1, owner, ol, TLD_RR_NS, TLD_CLASS_IN, 1, ns, (uint16_t)nl) == TLD_OK && added < 100) {
		added++;
	}
	ok(added >= 1 && w.len <= 100 + 255, "soft limit respected (%d records, %zu bytes)", added, w.len);
}

static void test_names(void)
{
	uint8_t n[TLD_DNS_MAXNAME];
	size_t l;
	char text[1024];
	is_int(TLD_OK, tld_name_from_text("NIC.Test.", n, &l), "name from text");
	tld_name_to_text(n, text, sizeof(text));
	is_str("nic.test.", text, "lower-cased round trip");
	is_int(TLD_EINVAL, tld_name_from_text("a..b.", n, &l), "empty label rejected");
	is_int(TLD_OK, tld_name_from_text(".", n, &l), "root");
	is_int(1, (long long)l, "root length");
}

/* RDATA names of NS, MX, SOA compressed; ldns reads back the same records. */
static void test_rdata_compression(void)
{
	static struct tld_msg_writer w;
	static uint8_t buf[4096];
	uint8_t owner[256], ns[256], ns2[256], soa[600], mx[300], upper[256];
	size_t ol, nl, n2l, l1, l2, ul;
	tld_name_from_text("dom1.test.", owner, &ol);
	tld_name_from_text("ns1.dom1.test.", ns, &nl);
	tld_name_from_text("ns1.example.", ns2, &n2l);
	tld_name_from_text("ns1.nic.test.", soa, &l1);
	tld_name_from_text("hostmaster.nic.test.", soa + l1, &l2);
	memset(soa + l1 + l2, 7, 20);
	mx[0] = 0;
	mx[1] = 10;
	memcpy(mx + 2, ns, nl);
	memcpy(upper, ns2, n2l);
	upper[1] = 'N';  /* "Ns1.example." stays as written */
	ul = n2l;

	tld_writer_init(&w, buf, sizeof(buf), sizeof(buf), 7, 0x8400);
	ok(tld_writer_rr(&w, 1, soa, l1, TLD_RR_SOA, TLD_CLASS_IN, 3600, soa, (uint16_t)(l1 + l2 + 20)) == TLD_OK &&
	   tld_writer_rr(&w, 1, owner, ol, TLD_RR_NS, TLD_CLASS_IN, 3600, ns, (uint16_t)nl) == TLD_OK &&
	   tld_writer_rr(&w, 1, owner, ol, TLD_RR_NS, TLD_CLASS_IN, 3600, ns2, (uint16_t)n2l) == TLD_OK &&
	   tld_writer_rr(&w, 1, owner, ol, 15, TLD_CLASS_IN, 3600, mx, (uint16_t)(2 + nl)) == TLD_OK &&
	   tld_writer_rr(&w, 1, owner, ol, TLD_RR_NS, TLD_CLASS_IN, 3600, upper, (uint16_t)ul) == TLD_OK,
	   "SOA, NS, NS, MX, NS written");
	tld_writer_finish(&w);
	size_t plain = 12 + (l1 + 10 + l1 + l2 + 20) + (ol + 10 + nl) + (ol + 10 + n2l) + (ol + 10 + 2 + nl) + (ol + 10 + ul);
	ok(w.len < plain - 40, "compressed: %zu bytes, %zu without any compression", w.len, plain);

	ldns_pkt *pkt = NULL;
	is_int(LDNS_STATUS_OK, ldns_wire2pkt(&pkt, buf, w.len), "ldns parses the message");
	if (pkt != NULL) {
		ldns_rr_list *an = ldns_pkt_answer(pkt);
		is_int(5, (long long)ldns_rr_list_rr_count(an), "five answers");
		const char *want[] = { "ns1.nic.test.", "ns1.dom1.test.", "ns1.example.", "ns1.dom1.test.", "Ns1.example." };
		size_t field[] = { 0, 0, 0, 1, 0 };
		for (size_t i = 0; i < 5 && i < ldns_rr_list_rr_count(an); i++) {
			char *t = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(an, i), field[i]));
			is_str(want[i], t, "record %zu: rdata name", i);
			free(t);
		}
		ldns_rr *s0 = ldns_rr_list_rr(an, 0);
		char *rn = ldns_rdf2str(ldns_rr_rdf(s0, 1));
		is_str("hostmaster.nic.test.", rn, "SOA rname");
		free(rn);
		ok(ldns_rdf2native_int32(ldns_rr_rdf(s0, 2)) == 0x07070707u, "SOA serial kept");
		/* the upper-case name was copied as is: its bytes are in the message */
		ok(memmem(buf, w.len, upper, ul) != NULL, "an upper-case rdata name is not compressed");
		ldns_pkt_free(pkt);
	}
	/* a message too small for the compressed record: ENOSPC and nothing changed */
	tld_writer_init(&w, buf, 12 + ol + 10 + 3, 12 + ol + 10 + 3, 7, 0x8400);
	size_t before = w.len;
	is_int(TLD_ENOSPC, tld_writer_rr(&w, 1, owner, ol, TLD_RR_NS, TLD_CLASS_IN, 3600, ns2, (uint16_t)n2l),
	       "no room: ENOSPC");
	is_int((long long)before, (long long)w.len, "message unchanged");
}

int main(void)
{
	plan_lazy();
	test_parse_valid();
	test_parse_malformed();
	test_writer_compression();
	test_names();
	test_rdata_compression();
	return exit_status();
}
