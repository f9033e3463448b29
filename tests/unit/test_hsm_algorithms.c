/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Every DNSSEC algorithm the token offers (C_GetMechanismList probe):
 * generate in the token, sign through the pool, verify with ldns (an
 * independent implementation).  Algorithms the token lacks are reported and
 * skipped, as the product does.
 */
#include <ldns/ldns.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/algorithm.h"
#include "hsm/hsm.h"
#include "hsm/keys.h"
#include "hsm/signpool.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"

/* ldns' raw verifier wants ECDSA as DER (it converts r||s only for RRSIG rdfs). */
static bool verify(int alg, const uint8_t *sig, size_t slen, ldns_buffer *buf, uint8_t *key,
                   size_t klen)
{
	unsigned char *der = NULL;
	int dlen = 0;
	if (alg == 13 || alg == 14) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)slen / 2, NULL),
		               BN_bin2bn(sig + slen / 2, (int)slen / 2, NULL));
		dlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (dlen <= 0) {
			return false;
		}
	}
	bool good = ldns_verify_rrsig_buffers_raw(der ? der : (unsigned char *)sig, der ? (size_t)dlen : slen,
	                                          buf, key, klen, (uint8_t)alg) == LDNS_STATUS_OK;
	OPENSSL_free(der);
	return good;
}

static void one_algorithm(struct test_token *t, tld_statedb_t *db, int alg, unsigned bits)
{
	struct tld_key_record rec;
	if (!is_int(TLD_OK, tld_key_generate(&t->cfg, db, TLD_ROLE_ZSK, alg, bits, &rec),
	            "algorithm %d: key generated", alg)) {
		return;
	}
	if (bits != 0) {
		is_int(bits, rec.bits, "algorithm %d: %u-bit modulus", alg, bits);
	}
	struct tld_signpool_key key = { .algorithm = (uint8_t)alg, .key_tag = rec.key_tag, .role = "zsk" };
	memcpy(key.id, rec.cka_id_raw, rec.cka_id_len);
	key.id_len = rec.cka_id_len;
	enum { N = 40 };
	static uint8_t msgs[N][120];
	struct tld_sign_req reqs[N];
	RAND_bytes(&msgs[0][0], sizeof(msgs));
	for (size_t i = 0; i < N; i++) {
		reqs[i] = (struct tld_sign_req){ .key = 0, .len = (uint32_t)(10 + i), .msg = msgs[i] };
	}
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	if (!is_int(TLD_OK, tld_signpool_open(&t->cfg, &key, 1, 2, &pool), "algorithm %d: pool", alg)) {
		return;
	}
	if (is_int(TLD_OK, tld_signpool_sign(pool, reqs, N, &res), "algorithm %d: batch signed", alg)) {
		size_t good = 0;
		for (size_t i = 0; i < N; i++) {
			ldns_buffer *buf = ldns_buffer_new(reqs[i].len);
			ldns_buffer_write(buf, reqs[i].msg, reqs[i].len); /* ldns reads up to position */
			good += res->err[i] == TLD_OK &&
			        verify(alg, res->sig + res->offset[i], res->len[i], buf, rec.dnskey + 4,
			               rec.dnskey_len - 4);
			ldns_buffer_free(buf);
		}
		is_int(N, (long long)good, "algorithm %d: every signature verifies with ldns", alg);
	}
	tld_sign_result_free(res);
	tld_signpool_close(pool);
}

int main(void)
{
	struct test_token t;
	tld_statedb_t *db = NULL;
	static const int algs[] = { 8, 10, 13, 14, 15, 16 };
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	test_token_make(&t, "unit-algs");
	if (tld_statedb_open(t.dir, &db) != TLD_OK) {
		ok(false, "state store");
		return exit_status();
	}
	bool offered[6];
	tld_hsm_t *hsm = NULL;
	is_int(TLD_OK, tld_hsm_open(&t.cfg, &hsm), "token opens");
	for (size_t i = 0; i < 6; i++) {
		offered[i] = hsm != NULL && tld_hsm_supports(hsm, algs[i]);
		diag("token offers algorithm %d (%s): %s", algs[i], tld_alg_info(algs[i])->name,
		     offered[i] ? "yes" : "NO");
	}
	tld_hsm_close(hsm);
	ok(offered[2], "SoftHSM offers ECDSA P-256 (algorithm 13)");
	for (size_t i = 0; i < 6; i++) {
		if (!offered[i]) {
			skip("algorithm %d not offered by the token", algs[i]);
			continue;
		}
		one_algorithm(&t, db, algs[i], algs[i] == 8 || algs[i] == 10 ? 2048 : 0);
	}
	is_int(TLD_EINVAL, tld_key_generate(&t.cfg, db, TLD_ROLE_ZSK, 8, 1024, NULL),
	       "RSA below 2048 bits refused");
	is_int(TLD_EINVAL, tld_key_generate(&t.cfg, db, TLD_ROLE_ZSK, 7, 0, NULL),
	       "algorithm 7 refused");
	tld_statedb_close(db);
	test_token_remove(&t);
	return exit_status();
}
