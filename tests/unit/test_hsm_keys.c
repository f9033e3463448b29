/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Key generation, the keys table, the signing pool and the HSM failure paths,
 * on a throw-away SoftHSM2 token.  ECDSA signatures are verified with OpenSSL.
 */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/hsm.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "hsm/signpool.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"

/* Verifies a DNSSEC ECDSA P-256 signature (r||s) with OpenSSL. */
static bool verify_p256(const uint8_t *dnskey, size_t dlen, const uint8_t *msg, size_t mlen,
                        const uint8_t *sig, size_t slen)
{
	uint8_t point[65] = { 0x04 };
	bool good = false;
	if (dlen != 68 || slen != 64) {
		return false;
	}
	memcpy(point + 1, dnskey + 4, 64);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_fromdata_init(pc);
	EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	unsigned char *der = NULL;
	int derlen = i2d_ECDSA_SIG(es, &der);
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	if (pkey != NULL && derlen > 0 && EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, pkey) == 1) {
		good = EVP_DigestVerify(mc, der, (size_t)derlen, msg, mlen) == 1;
	}
	EVP_MD_CTX_free(mc);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return good;
}

static bool never_in_use(void *ctx, const struct tld_key_record *rec)
{
	(void)ctx;
	(void)rec;
	return false;
}

static size_t count_token_keys(const struct tld_config *cfg)
{
	/* Counts private keys labelled by tldsign for zone test. via the label search. */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "SOFTHSM2_CONF=%s pkcs11-tool --module %s --token-label %s --login --pin 1234 -O "
	         "2>/dev/null | grep -c 'Private Key Object'", cfg->hsm.softhsm_conf, cfg->hsm.module,
	         cfg->hsm.token);
	FILE *p = popen(cmd, "r");
	unsigned long n = 0;
	if (p != NULL) {
		if (fscanf(p, "%lu", &n) != 1) {
			n = 0;
		}
		pclose(p);
	}
	return n;
}

static void test_generate_and_sign(struct test_token *t, tld_statedb_t *db)
{
	struct tld_key_record ksk, zsk;
	is_int(TLD_OK, tld_key_generate(&t->cfg, db, TLD_ROLE_KSK, 13, 0, &ksk), "generate ECDSA KSK");
	is_int(TLD_OK, tld_key_generate(&t->cfg, db, TLD_ROLE_ZSK, 13, 0, &zsk), "generate ECDSA ZSK");
	is_int(257, ksk.flags, "KSK flags 257");
	is_int(256, zsk.flags, "ZSK flags 256");
	is_int(68, (long long)ksk.dnskey_len, "P-256 DNSKEY RDATA is 4 + 64 bytes");
	is_int(ksk.key_tag, tld_keytag(ksk.dnskey, ksk.dnskey_len), "recorded tag is the RDATA's tag");
	ok(ksk.key_tag != zsk.key_tag, "two keys, two tags");
	is_int(20, (long long)ksk.cka_id_len, "CKA_ID is 20 random bytes");
	char label[128];
	snprintf(label, sizeof(label), "test.-ksk-%u", ksk.key_tag);
	is_str(label, ksk.label, "label names zone, role and tag");

	struct tld_key_record *recs = NULL;
	size_t n = 0;
	is_int(TLD_OK, tld_keydb_list(db, "test.", false, &recs, &n), "list keys");
	is_int(2, (long long)n, "two keys recorded");
	ok(n == 2 && memcmp(recs[0].dnskey, ksk.dnskey, ksk.dnskey_len) == 0, "DNSKEY stored");
	tld_key_records_free(recs, n);

	/* Custody attributes as the token reports them. */
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t priv;
	struct tld_hsm_key_attrs attrs;
	if (tld_hsm_open(&t->cfg, &hsm) == TLD_OK &&
	    tld_hsm_find_id(hsm, true, ksk.cka_id_raw, ksk.cka_id_len, &priv) == TLD_OK &&
	    tld_hsm_key_attrs(hsm, priv, &attrs) == TLD_OK) {
		ok(attrs.is_private && attrs.sensitive && !attrs.extractable && attrs.never_extractable,
		   "private key is private, sensitive, never extractable");
	} else {
		ok(false, "private key found in token: %s", tld_hsm_error(hsm));
	}
	tld_hsm_close(hsm);

	/* Sign a batch over 2 worker processes and verify every signature. */
	struct tld_signpool_key keys[2] = {
		{ .algorithm = 13, .key_tag = ksk.key_tag, .role = "ksk" },
		{ .algorithm = 13, .key_tag = zsk.key_tag, .role = "zsk" },
	};
	memcpy(keys[0].id, ksk.cka_id_raw, ksk.cka_id_len);
	keys[0].id_len = ksk.cka_id_len;
	memcpy(keys[1].id, zsk.cka_id_raw, zsk.cka_id_len);
	keys[1].id_len = zsk.cka_id_len;
	enum { N = 3000 };
	static uint8_t msgs[N][100];
	static struct tld_sign_req reqs[N];
	RAND_bytes(&msgs[0][0], sizeof(msgs));
	for (size_t i = 0; i < N; i++) {
		reqs[i] = (struct tld_sign_req){ .key = (uint32_t)(i % 7 == 0 ? 0 : 1),
			                         .len = (uint32_t)(20 + i % 80), .msg = msgs[i] };
	}
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	is_int(TLD_OK, tld_signpool_open(&t->cfg, keys, 2, 2, &pool), "pool opens with 2 workers");
	if (pool == NULL) {
		return;
	}
	is_int(TLD_OK, tld_signpool_sign(pool, reqs, N, &res), "batch of %d signed", N);
	if (res != NULL) {
		is_int(0, (long long)res->failed, "no item failed");
		size_t good = 0;
		for (size_t i = 0; i < N; i++) {
			const struct tld_key_record *k = reqs[i].key == 0 ? &ksk : &zsk;
			good += res->err[i] == TLD_OK &&
			        verify_p256(k->dnskey, k->dnskey_len, reqs[i].msg, reqs[i].len,
			                    res->sig + res->offset[i], res->len[i]);
		}
		is_int(N, (long long)good, "every signature verifies with OpenSSL");
	}
	tld_sign_result_free(res);
	res = NULL;

	/* A request naming a key index out of range fails alone. */
	struct tld_sign_req bad[3] = { reqs[0], { .key = 9, .len = 5, .msg = msgs[1] }, reqs[2] };
	is_int(TLD_OK, tld_signpool_sign(pool, bad, 3, &res), "batch with one bad item");
	if (res != NULL) {
		ok(res->failed == 1 && res->err[1] == TLD_EINVAL && res->err[0] == TLD_OK &&
		   res->err[2] == TLD_OK, "only the bad item failed");
	}
	tld_sign_result_free(res);
	res = NULL;

	/* The ZSK is deleted behind our back: its items fail, the KSK's do not. */
	if (tld_hsm_open(&t->cfg, &hsm) == TLD_OK &&
	    tld_hsm_find_id(hsm, true, zsk.cka_id_raw, zsk.cka_id_len, &priv) == TLD_OK) {
		tld_hsm_destroy(hsm, priv);
	}
	tld_hsm_close(hsm);
	is_int(TLD_OK, tld_signpool_sign(pool, reqs, 50, &res), "batch after the ZSK vanished");
	if (res != NULL) {
		size_t ksk_ok = 0, zsk_fail = 0;
		for (size_t i = 0; i < 50; i++) {
			ksk_ok += reqs[i].key == 0 && res->err[i] == TLD_OK;
			zsk_fail += reqs[i].key == 1 && res->err[i] == TLD_EKEY;
		}
		is_int(8, (long long)ksk_ok, "KSK items still signed");
		is_int(42, (long long)zsk_fail, "ZSK items fail with TLD_EKEY");
		ok(strstr(tld_signpool_error(pool), "not found") != NULL, "pool error says: %s",
		   tld_signpool_error(pool));
	}
	tld_sign_result_free(res);
	tld_signpool_close(pool);

	/* Delete: refused without an in-use decision, done with one; tag stays taken. */
	is_int(TLD_EPOLICY, tld_key_delete(&t->cfg, db, ksk.key_tag, NULL, NULL),
	       "delete refused when nobody says the key is retired");
	is_int(TLD_OK, tld_key_delete(&t->cfg, db, ksk.key_tag, never_in_use, NULL), "delete retired KSK");
	is_int(TLD_OK, tld_key_delete(&t->cfg, db, zsk.key_tag, never_in_use, NULL),
	       "delete ZSK already missing from the token");
	struct tld_key_record again;
	is_int(TLD_OK, tld_keydb_find_tag(db, "test.", ksk.key_tag, &again), "deleted key still recorded");
	ok(again.deleted != 0, "marked deleted");
	is_int(TLD_ENOENT, tld_key_delete(&t->cfg, db, ksk.key_tag, never_in_use, NULL),
	       "second delete: no such key");
	is_int(0, (long long)count_token_keys(&t->cfg), "token holds no private key now");
}

static void test_collisions(struct test_token *t, tld_statedb_t *db)
{
	/* Every tag of zone "full." taken: generation retries, then gives up, leaving nothing. */
	struct tld_key_record r = { .role = TLD_ROLE_ZSK, .algorithm = 13, .flags = 256,
		                    .dnskey = { 1, 0, 3, 13 }, .dnskey_len = 4, .created = 1 };
	snprintf(r.zone, sizeof(r.zone), "full.");
	snprintf(r.cka_id, sizeof(r.cka_id), "00");
	snprintf(r.label, sizeof(r.label), "fake");
	tld_statedb_begin(db);
	int ret = TLD_OK;
	for (unsigned tag = 0; tag < 65536 && ret == TLD_OK; tag++) {
		r.key_tag = (uint16_t)tag;
		ret = tld_keydb_insert(db, &r);
	}
	tld_statedb_commit(db);
	is_int(TLD_OK, ret, "65536 tags recorded for zone full.");
	r.key_tag = 77;
	is_int(TLD_EKEYTAG, tld_keydb_insert(db, &r), "a second key with tag 77 is refused by the table");
	struct tld_config cfg = t->cfg;
	cfg.zone = "full.";
	size_t before = count_token_keys(&cfg);
	is_int(TLD_EKEYTAG, tld_key_generate(&cfg, db, TLD_ROLE_ZSK, 13, 0, NULL),
	       "generation gives up when every tag is taken");
	is_int((long long)before, (long long)count_token_keys(&cfg), "rejected keys removed from the token");
}

static void test_failures(struct test_token *t)
{
	tld_hsm_t *hsm = NULL;
	struct tld_config cfg = t->cfg;
	cfg.hsm.module = "/nonexistent/libpkcs11.so";
	is_int(TLD_EHSM, tld_hsm_open(&cfg, &hsm), "wrong module path: TLD_EHSM");
	cfg = t->cfg;
	cfg.hsm.token = "no-such-token";
	is_int(TLD_EHSM, tld_hsm_open(&cfg, &hsm), "absent token: TLD_EHSM");
	cfg = t->cfg;
	cfg.hsm.pin_file = NULL;
	cfg.hsm.pin_env = "TLDSIGN_TEST_PIN";
	setenv("TLDSIGN_TEST_PIN", "9999", 1);
	is_int(TLD_EPIN, tld_hsm_open(&cfg, &hsm), "wrong PIN: TLD_EPIN");
	unsetenv("TLDSIGN_TEST_PIN");
	is_int(TLD_EPIN, tld_hsm_open(&cfg, &hsm), "PIN variable unset: TLD_EPIN");
	setenv("TLDSIGN_TEST_PIN", "1234", 1);
	is_int(TLD_OK, tld_hsm_open(&cfg, &hsm), "right PIN from the environment");
	tld_hsm_close(hsm);
	is_int(4, tld_exit_code(TLD_EPIN), "PIN errors map to the HSM exit code 4");
	is_int(4, tld_exit_code(TLD_EHSM), "HSM errors map to exit code 4");
}

int main(void)
{
	struct test_token t;
	tld_statedb_t *db = NULL;
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	test_token_make(&t, "unit-keys");
	if (tld_statedb_open(t.dir, &db) != TLD_OK) {
		ok(false, "state store opens");
		return exit_status();
	}
	is_int(TLD_OK, tld_keydb_init(db), "keys table created");
	test_generate_and_sign(&t, db);
	test_collisions(&t, db);
	test_failures(&t);
	tld_statedb_close(db);
	test_token_remove(&t);
	return exit_status();
}
