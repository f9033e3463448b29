/* SPDX-License-Identifier: GPL-3.0-or-later */
/* publish/tsig: RFC 8945 signing and verification, with ldns as an independent referee. */
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "publish/dnswire.h"
#include "publish/tsig.h"
#include "tests/tap/tap.h"

static uint8_t secret[32];
static char secret_b64[64];
static struct tld_tsig_key keys[2];

static size_t make_query(uint8_t *buf, size_t cap, uint16_t qtype)
{
	static struct tld_msg_writer w;
	uint8_t apex[TLD_DNS_MAXNAME];
	size_t al;
	tld_name_from_text("test.", apex, &al);
	tld_writer_init(&w, buf, cap, cap, 0x4242, 0);
	tld_writer_question(&w, apex, al, qtype, TLD_CLASS_IN);
	tld_writer_finish(&w);
	return w.len;
}

static void test_roundtrip(const struct tld_tsig_key *key, const char *what)
{
	uint8_t buf[1024];
	struct tld_tsig_ctx client, server;
	struct tld_msg m;
	int err = -1;
	size_t len = make_query(buf, sizeof(buf), TLD_RR_AXFR);
	int64_t now = 1795222717;

	is_int(TLD_OK, tld_tsig_sign_request(&client, key, buf, &len, sizeof(buf), now), "%s: sign request", what);
	is_int(TLD_OK, tld_msg_parse(buf, len, &m), "%s: signed request parses", what);
	ok(m.has_tsig, "%s: TSIG present", what);
	is_int(TLD_OK, tld_tsig_verify_request(&m, keys, 2, now + 10, &server, &err), "%s: verifies", what);
	is_int(0, err, "%s: no TSIG error", what);
	ok(server.key == key, "%s: the right key is found", what);

	/* BADTIME: outside the fudge */
	is_int(TLD_ETSIG, tld_tsig_verify_request(&m, keys, 2, now + 301, &server, &err), "%s: late", what);
	is_int(TLD_RCODE_BADTIME, err, "%s: BADTIME", what);

	/* the server signs its response; the client verifies */
	uint8_t resp[1024];
	memcpy(resp, buf, 12);
	resp[2] |= 0x84;
	size_t rlen = make_query(resp, sizeof(resp), TLD_RR_AXFR);
	resp[2] |= 0x84;
	tld_tsig_verify_request(&m, keys, 2, now, &server, &err);
	is_int(TLD_OK, tld_tsig_sign(&server, resp, &rlen, sizeof(resp), now, 0, true), "%s: sign response", what);
	struct tld_msg rm;
	is_int(TLD_OK, tld_msg_parse(resp, rlen, &rm), "%s: response parses", what);
	is_int(TLD_OK, tld_tsig_verify_response(&client, &rm, now), "%s: client verifies the response", what);
	resp[20] ^= 1;
	tld_msg_parse(resp, rlen, &rm);
	is_int(TLD_ETSIG, tld_tsig_verify_response(&client, &rm, now), "%s: a tampered response fails", what);

	/* tampering with the request: BADSIG */
	buf[13] ^= 0x20;
	tld_msg_parse(buf, len, &m);
	is_int(TLD_ETSIG, tld_tsig_verify_request(&m, keys, 2, now, &server, &err), "%s: tampered request", what);
	is_int(TLD_RCODE_BADSIG, err, "%s: BADSIG", what);
}

/* ldns (independent implementation) verifies what we sign, and we verify what it signs. */
static void test_ldns_referee(void)
{
	uint8_t buf[1024];
	struct tld_tsig_ctx client, server;
	struct tld_msg m;
	int err = -1;
	size_t len = make_query(buf, sizeof(buf), TLD_RR_SOA);
	int64_t now = (int64_t)time(NULL);

	tld_tsig_sign_request(&client, &keys[0], buf, &len, sizeof(buf), now);
	ldns_pkt *pkt = NULL;
	is_int(LDNS_STATUS_OK, ldns_wire2pkt(&pkt, buf, len), "ldns parses our signed query");
	if (pkt != NULL) {
		ok(ldns_pkt_tsig_verify(pkt, buf, len, "xfr.", secret_b64, NULL),
		   "ldns verifies our hmac-sha256 TSIG");
		ldns_pkt_free(pkt);
	}

	ldns_pkt *q = NULL;
	ldns_pkt_query_new_frm_str(&q, "test.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(q, 777);
	is_int(LDNS_STATUS_OK, ldns_pkt_tsig_sign(q, "xfr.", secret_b64, 300, "hmac-sha256.", NULL),
	       "ldns signs a query");
	uint8_t *wire = NULL;
	size_t wlen = 0;
	ldns_pkt2wire(&wire, q, &wlen);
	is_int(TLD_OK, tld_msg_parse(wire, wlen, &m), "we parse ldns's signed query");
	is_int(TLD_OK, tld_tsig_verify_request(&m, keys, 2, now, &server, &err), "we verify ldns's TSIG");
	free(wire);
	ldns_pkt_free(q);
}

static void test_unknown_key(void)
{
	struct tld_tsig_key other = { .name = "other.", .algorithm = TLD_TSIG_HMAC_SHA256,
	                              .secret = secret, .secret_len = 32 };
	struct tld_tsig_ctx c, s;
	struct tld_msg m;
	uint8_t buf[1024];
	int err = -1;
	size_t len = make_query(buf, sizeof(buf), TLD_RR_AXFR);
	tld_tsig_sign_request(&c, &other, buf, &len, sizeof(buf), 1000);
	tld_msg_parse(buf, len, &m);
	is_int(TLD_ETSIG, tld_tsig_verify_request(&m, keys, 2, 1000, &s, &err), "unknown key rejected");
	is_int(TLD_RCODE_BADKEY, err, "BADKEY");
	/* same name, other algorithm: BADKEY too */
	other.name = "xfr.";
	other.algorithm = TLD_TSIG_HMAC_SHA512;
	len = make_query(buf, sizeof(buf), TLD_RR_AXFR);
	tld_tsig_sign_request(&c, &other, buf, &len, sizeof(buf), 1000);
	tld_msg_parse(buf, len, &m);
	tld_tsig_verify_request(&m, keys, 1, 1000, &s, &err);
	is_int(TLD_RCODE_BADKEY, err, "algorithm mismatch is BADKEY");
}

int main(void)
{
	plan_lazy();
	for (size_t i = 0; i < sizeof(secret); i++) {
		secret[i] = (uint8_t)(i * 7 + 3);
	}
	EVP_EncodeBlock((unsigned char *)secret_b64, secret, sizeof(secret));
	keys[0] = (struct tld_tsig_key){ .name = "xfr.", .algorithm = TLD_TSIG_HMAC_SHA256,
	                                 .secret = secret, .secret_len = sizeof(secret) };
	keys[1] = (struct tld_tsig_key){ .name = "k512.", .algorithm = TLD_TSIG_HMAC_SHA512,
	                                 .secret = secret, .secret_len = sizeof(secret) };
	test_roundtrip(&keys[0], "hmac-sha256");
	test_roundtrip(&keys[1], "hmac-sha512");
	test_ldns_referee();
	test_unknown_key();
	return exit_status();
}
