/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Session copies of the signing keys (hsm/signpool.h, hsm.session-key-copies)
 * with SoftHSM2:
 *  - tld_hsm_session_copy(): the copy is a private, sensitive, non-extractable
 *    session key; it signs, and the signature verifies against the DNSKEY of
 *    the token key (ldns); once destroyed C_FindObjects finds only the token key;
 *  - a key made with CKA_COPYABLE false: the token refuses the copy
 *    (CKR_ACTION_PROHIBITED), no error is recorded, and the pool signs with
 *    the token object instead;
 *  - the pool: every worker copies the key, every copy is destroyed at the
 *    end of the batch and nothing but the token key is left (counted by the
 *    workers with C_FindObjects), every signature verifies; with
 *    session-key-copies false no copy is made.
 * The faults a token could add (copy refused by other codes, a copy weaker
 * than its original) are in test_hsm_fault.c, through tests/p11fault.
 */
#include <ldns/ldns.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/algorithm.h"
#include "hsm/hsm.h"
#include "hsm/hsm_internal.h" /* the raw function list, to make a CKA_COPYABLE=false key */
#include "hsm/signpool.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/hsm_test_verify.h"

enum { N = 600 };
static uint8_t msgs[N][90];
static struct tld_sign_req reqs[N];

/* A P-256 key pair in the token; copyable false is set at generation (CKA_COPYABLE). */
struct key {
	uint8_t id[20];
	uint8_t pub[64];
	size_t pub_len;
	struct tld_signpool_key pk;
};

static bool make_key(tld_hsm_t *hsm, const char *label, bool copyable, struct key *k)
{
	tld_hsm_obj_t pub = 0, priv = 0;
	if (tld_hsm_random(hsm, k->id, sizeof(k->id)) != TLD_OK) {
		return false;
	}
	if (copyable) {
		if (tld_hsm_generate(hsm, 13, 0, k->id, sizeof(k->id), label, &pub, &priv) != TLD_OK) {
			return false;
		}
	} else {
		const struct tld_alg_info *a = tld_alg_info(13);
		CK_BBOOL t = CK_TRUE, f = CK_FALSE;
		CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &t, 1 }, { CKA_VERIFY, &t, 1 }, { CKA_ID, k->id, sizeof(k->id) },
			                { CKA_EC_PARAMS, (void *)a->ec_params, a->ec_params_len } };
		CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &t, 1 },     { CKA_PRIVATE, &t, 1 },    { CKA_SENSITIVE, &t, 1 },
			                 { CKA_EXTRACTABLE, &f, 1 }, { CKA_SIGN, &t, 1 },       { CKA_COPYABLE, &f, 1 },
			                 { CKA_ID, k->id, sizeof(k->id) } };
		CK_MECHANISM mech = { a->keygen_mech, NULL, 0 };
		CK_RV rv = hsm->f->C_GenerateKeyPair(hsm->session, &mech, pubt, 4, privt, 7, &pub, &priv);
		if (rv != CKR_OK) {
			diag("C_GenerateKeyPair with CKA_COPYABLE false: %s", tld_ckr_name(rv));
			return false;
		}
	}
	if (tld_hsm_public_key(hsm, pub, 13, k->pub, sizeof(k->pub), &k->pub_len) != TLD_OK) {
		return false;
	}
	k->pk = (struct tld_signpool_key){ .algorithm = 13, .key_tag = copyable ? 1111 : 2222,
		                           .role = copyable ? "zsk" : "ksk" };
	memcpy(k->pk.id, k->id, sizeof(k->id));
	k->pk.id_len = sizeof(k->id);
	return true;
}

static void direct_copy(tld_hsm_t *hsm, const struct key *k)
{
	tld_hsm_obj_t priv = 0, copy = 0, again = 0;
	char why[256] = "";
	uint8_t sig[TLD_SIG_MAX];
	size_t slen = 0;
	is_int(TLD_OK, tld_hsm_find_id(hsm, true, k->id, sizeof(k->id), &priv), "direct: token key found");
	if (!is_int(TLD_OK, tld_hsm_session_copy(hsm, priv, &copy, why, sizeof(why)), "direct: session copy made")) {
		diag("%s", why);
		return;
	}
	ok(copy != priv, "direct: the copy is another object");
	struct tld_hsm_key_attrs at;
	is_int(TLD_OK, tld_hsm_key_attrs(hsm, copy, &at), "direct: copy attributes read");
	ok(at.is_private && at.sensitive && !at.extractable && at.can_sign,
	   "direct: the copy is private, sensitive, not extractable, can sign");
	is_int(TLD_EKEY, tld_hsm_find_id(hsm, true, k->id, sizeof(k->id), &again),
	       "direct: while it lives C_FindObjects finds two objects with the CKA_ID");
	is_int(TLD_OK, tld_hsm_sign(hsm, copy, 13, "key 1111 (zsk)", msgs[0], 77, sig, &slen), "direct: the copy signs");
	ok(slen == 64 && verify_p256(sig, slen, msgs[0], 77, k->pub, k->pub_len),
	   "direct: the copy's signature verifies against the token key's DNSKEY (ldns)");
	is_int(TLD_OK, tld_hsm_destroy(hsm, copy), "direct: copy destroyed");
	again = 0;
	is_int(TLD_OK, tld_hsm_find_id(hsm, true, k->id, sizeof(k->id), &again),
	       "direct: afterwards C_FindObjects finds exactly one object");
	ok(again == priv, "direct: ... the token key");
	is_int(TLD_EHSM, tld_hsm_sign(hsm, copy, 13, "key 1111 (zsk)", msgs[0], 77, sig, &slen),
	       "direct: the destroyed copy no longer signs");
}

static void direct_refused(const struct test_token *t, const struct key *k)
{
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t priv = 0, copy = 12345;
	char why[256] = "";
	if (!is_int(TLD_OK, tld_hsm_open(&t->cfg, &hsm), "not copyable: token opens")) {
		return;
	}
	is_int(TLD_OK, tld_hsm_find_id(hsm, true, k->id, sizeof(k->id), &priv), "not copyable: key found");
	is_int(TLD_EKEY, tld_hsm_session_copy(hsm, priv, &copy, why, sizeof(why)), "not copyable: copy refused (TLD_EKEY)");
	is_str("C_CopyObject: CKR_ACTION_PROHIBITED", why, "not copyable: the reason names the PKCS#11 code");
	is_int(12345, (long long)copy, "not copyable: nothing written to the handle");
	is_str("", tld_hsm_error(hsm), "not copyable: no error recorded (the caller falls back)");
	tld_hsm_close(hsm);
}

/* One batch through the pool with the keys given; checks signatures and the pool's copy counts. */
static void pool_batch(const char *what, const struct tld_config *cfg, const struct key *keys, size_t nkeys,
                       uint64_t copies, uint64_t token_uses)
{
	struct tld_signpool_key pk[2];
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	for (size_t i = 0; i < nkeys; i++) {
		pk[i] = keys[i].pk;
	}
	for (size_t i = 0; i < N; i++) {
		reqs[i] = (struct tld_sign_req){ .key = (uint32_t)(i % nkeys), .len = (uint32_t)(30 + i % 60),
			                         .msg = msgs[i] };
	}
	if (!is_int(TLD_OK, tld_signpool_open(cfg, pk, nkeys, 2, &pool), "%s: pool opens", what)) {
		return;
	}
	for (int batch = 0; batch < 2; batch++) {
		if (is_int(TLD_OK, tld_signpool_sign(pool, reqs, N, &res), "%s: batch %d signed", what, batch + 1)) {
			is_int(0, (long long)res->failed, "%s: batch %d: no item failed", what, batch + 1);
			size_t good = 0;
			for (size_t i = 0; i < N; i++) {
				const struct key *k = &keys[reqs[i].key];
				good += res->err[i] == TLD_OK && verify_p256(res->sig + res->offset[i], res->len[i],
				                                             reqs[i].msg, reqs[i].len, k->pub, k->pub_len);
			}
			is_int(N, (long long)good, "%s: batch %d: every signature verifies against its DNSKEY", what,
			       batch + 1);
		}
		tld_sign_result_free(res);
		res = NULL;
	}
	struct tld_signpool_stats st;
	tld_signpool_get_stats(pool, &st);
	is_int(2, (long long)st.batches, "%s: 2 batches counted", what);
	is_int(2 * N, (long long)st.signatures, "%s: %d signatures counted", what, 2 * N);
	ok(st.seconds > 0, "%s: time in the HSM counted (%.3f s)", what, st.seconds);
	is_int(copies, (long long)st.key_copies, "%s: session copies made (2 workers x %zu keys x 2 batches)", what,
	       nkeys);
	is_int(copies, (long long)st.key_copies_destroyed, "%s: every copy destroyed at the end of its batch", what);
	is_int(0, (long long)st.copies_left, "%s: C_FindObjects in each worker finds only the token keys after", what);
	is_int(token_uses, (long long)st.token_key_uses, "%s: keys signed with through the token object", what);
	is_str("", tld_signpool_error(pool), "%s: no error kept", what);
	tld_signpool_close(pool);
}

int main(void)
{
	struct test_token t;
	tld_hsm_t *hsm = NULL;
	struct key copyable, fixed;
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	test_token_make(&t, "unit-copies");
	RAND_bytes(&msgs[0][0], sizeof(msgs));
	if (!is_int(TLD_OK, tld_hsm_open(&t.cfg, &hsm), "token opens") ||
	    !ok(make_key(hsm, "copyable", true, &copyable), "copyable P-256 key generated") ||
	    !ok(make_key(hsm, "fixed", false, &fixed), "P-256 key with CKA_COPYABLE false generated")) {
		tld_hsm_close(hsm);
		test_token_remove(&t);
		return exit_status();
	}
	direct_copy(hsm, &copyable);
	tld_hsm_close(hsm);
	direct_refused(&t, &fixed);

	ok(t.cfg.hsm.session_key_copies, "the test config signs with session copies (the default)");
	pool_batch("copies", &t.cfg, &copyable, 1, 4, 0);
	pool_batch("not copyable", &t.cfg, &fixed, 1, 0, 4);
	struct key both[2] = { copyable, fixed };
	pool_batch("mixed", &t.cfg, both, 2, 4, 4);
	struct tld_config off = t.cfg;
	off.hsm.session_key_copies = false;
	pool_batch("session-key-copies false", &off, &copyable, 1, 0, 4);

	test_token_remove(&t);
	return exit_status();
}
