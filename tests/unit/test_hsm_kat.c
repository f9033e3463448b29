/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Known-answer signing through the token: the RFC 8080 Ed25519 key and the
 * RFC 5702 RSA/SHA-256 key are written as PKCS#8 files, imported into a
 * throw-away SoftHSM2 token with softhsm2-util --import, adopted with
 * tld_key_import(), and must reproduce the RFCs' RRSIGs byte for byte (both
 * schemes are deterministic).  Also: a key-tag collision on import is refused.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "hsm/signpool.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"

static size_t b64(const char *in, uint8_t *out)
{
	size_t n = strlen(in);
	int got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (got < 0 || n < 4) {
		return 0;
	}
	return (size_t)got - (in[n - 1] == '=') - (in[n - 2] == '=');
}

/* Value of "Field: base64" in a BIND .private file of the vectors. */
static size_t private_field(const char *file, const char *field, uint8_t *out)
{
	char path[512], line[2048];
	size_t flen = strlen(field), len = 0;
	snprintf(path, sizeof(path), "%s/%s", tap_vectors_dir(), file);
	FILE *f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			line[strcspn(line, "\r\n")] = '\0';
			len = b64(line + flen + 2, out);
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	return len;
}

/* Signature (base64, last field) of the first RRSIG line of a vectors file. */
static size_t rrsig_sig(const char *file, uint8_t *out)
{
	char path[512], line[4096];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/%s", tap_vectors_dir(), file);
	FILE *f = fopen(path, "r");
	while (f != NULL && len == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] != ';' && strstr(line, " RRSIG ") != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			len = b64(strrchr(line, ' ') + 1, out);
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	return len;
}

static int write_pem(EVP_PKEY *pkey, const char *path)
{
	FILE *f = fopen(path, "w");
	int ok_ = f != NULL && pkey != NULL && PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	if (f != NULL) {
		fclose(f);
	}
	return ok_ ? 0 : -1;
}

static EVP_PKEY *rsa_from_private(const char *file)
{
	static const char *fields[] = { "Modulus", "PublicExponent", "PrivateExponent", "Prime1",
		                        "Prime2", "Exponent1", "Exponent2", "Coefficient" };
	static const char *names[] = { OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		                       OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
		                       OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
		                       OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	BIGNUM *bn[8] = { 0 };
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	for (int i = 0; i < 8; i++) {
		uint8_t v[1024];
		size_t l = private_field(file, fields[i], v);
		bn[i] = BN_bin2bn(v, (int)l, NULL);
		OSSL_PARAM_BLD_push_BN(b, names[i], bn[i]);
	}
	OSSL_PARAM *p = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	if (EVP_PKEY_fromdata_init(pc) != 1 || EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_KEYPAIR, p) != 1) {
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	for (int i = 0; i < 8; i++) {
		BN_free(bn[i]);
	}
	return pkey;
}

static int import_pem(struct test_token *t, const char *pem, const char *label, const char *id)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "softhsm2-util --import %s --token %s --label %s --id %s --pin 1234 >/dev/null",
	         pem, t->cfg.hsm.token, label, id);
	return system(cmd);
}

/* Appends helpers for building the RRSIG signing input. */
static size_t put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return 2; }
static size_t put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); return 4; }
static size_t putname(uint8_t *p, const char *name)
{
	size_t l = 0;
	tld_dname_to_wire(name, p, 255, &l);
	return l;
}

static size_t rrsig_prefix(uint8_t *m, unsigned type, unsigned alg, unsigned labels, uint32_t ttl,
                           uint32_t exp, uint32_t inc, unsigned tag, const char *signer)
{
	size_t o = put16(m, type);
	m[o++] = (uint8_t)alg;
	m[o++] = (uint8_t)labels;
	o += put32(m + o, ttl);
	o += put32(m + o, exp);
	o += put32(m + o, inc);
	o += put16(m + o, tag);
	o += putname(m + o, signer);
	return o;
}

static void sign_and_compare(struct test_token *t, const struct tld_key_record *rec,
                             const uint8_t *msg, size_t mlen, const uint8_t *want, size_t wlen,
                             const char *what)
{
	struct tld_signpool_key key = { .algorithm = rec->algorithm, .key_tag = rec->key_tag, .role = "ksk" };
	memcpy(key.id, rec->cka_id_raw, rec->cka_id_len);
	key.id_len = rec->cka_id_len;
	tld_signpool_t *pool = NULL;
	struct tld_sign_result *res = NULL;
	struct tld_sign_req req = { .key = 0, .len = (uint32_t)mlen, .msg = msg };
	if (!is_int(TLD_OK, tld_signpool_open(&t->cfg, &key, 1, 1, &pool), "%s: pool opens", what)) {
		return;
	}
	is_int(TLD_OK, tld_signpool_sign(pool, &req, 1, &res), "%s: signed", what);
	if (res != NULL && res->err[0] == TLD_OK) {
		is_mem(want, wlen, res->sig + res->offset[0], res->len[0], "%s: RRSIG byte for byte", what);
	} else {
		ok(false, "%s: signature made: %s", what, tld_signpool_error(pool));
	}
	tld_sign_result_free(res);
	tld_signpool_close(pool);
}

int main(void)
{
	struct test_token t;
	tld_statedb_t *db = NULL;
	char pem[400];
	uint8_t want[600], msg[512], seed[64];
	struct tld_key_record rec;
	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	test_token_make(&t, "unit-kat");
	t.cfg.zone = "example.com.";
	if (tld_statedb_open(t.dir, &db) != TLD_OK) {
		ok(false, "state store");
		return exit_status();
	}

	/* RFC 8080 section 6.1, Ed25519, key tag 3613, with erratum 4935. */
	size_t slen = private_field("rfc8080/ed25519-1.private", "PrivateKey", seed);
	is_int(32, (long long)slen, "Ed25519 seed read");
	EVP_PKEY *ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	snprintf(pem, sizeof(pem), "%s/ed25519.pem", t.dir);
	is_int(0, write_pem(ed, pem), "Ed25519 PKCS#8 written");
	EVP_PKEY_free(ed);
	is_int(0, import_pem(&t, pem, "rfc8080", "8080"), "softhsm2-util --import Ed25519");
	is_int(TLD_OK, tld_key_import(&t.cfg, db, "rfc8080", TLD_ROLE_KSK, 0, &rec), "tld_key_import Ed25519");
	is_int(3613, rec.key_tag, "Ed25519 key tag 3613");
	is_int(15, rec.algorithm, "algorithm 15 from the token");
	size_t o = rrsig_prefix(msg, 15, 15, 2, 3600, 1440021600, 1438207200, 3613, "example.com.");
	o += putname(msg + o, "example.com.");
	o += put16(msg + o, 15);
	o += put16(msg + o, 1);
	o += put32(msg + o, 3600);
	o += put16(msg + o, 2 + 18);
	o += put16(msg + o, 10);
	o += putname(msg + o, "mail.example.com.");
	size_t wlen = rrsig_sig("rfc8080/ed25519-1.zone", want);
	is_int(64, (long long)wlen, "expected Ed25519 signature read");
	sign_and_compare(&t, &rec, msg, o, want, wlen, "RFC 8080 MX");

	/* The same key material again (new CKA_ID): same tag, refused. */
	is_int(0, import_pem(&t, pem, "rfc8080-again", "8081"), "second copy imported into the token");
	is_int(TLD_EKEYTAG, tld_key_import(&t.cfg, db, "rfc8080-again", TLD_ROLE_KSK, 0, NULL),
	       "import of a colliding key tag is refused");

	/* RFC 5702 section 6.1, RSA/SHA-256, 512-bit, key tag 9033. */
	t.cfg.zone = "example.net.";
	EVP_PKEY *rsa = rsa_from_private("rfc5702/rsasha256.private");
	ok(rsa != NULL, "RSA key from the BIND private file");
	snprintf(pem, sizeof(pem), "%s/rsa.pem", t.dir);
	is_int(0, write_pem(rsa, pem), "RSA PKCS#8 written");
	EVP_PKEY_free(rsa);
	is_int(0, import_pem(&t, pem, "rfc5702", "5702"), "softhsm2-util --import RSA");
	is_int(TLD_OK, tld_key_import(&t.cfg, db, "rfc5702", TLD_ROLE_ZSK, 0, &rec), "tld_key_import RSA");
	is_int(9033, rec.key_tag, "RSA key tag 9033");
	is_int(512, rec.bits, "512-bit modulus");
	o = rrsig_prefix(msg, 1, 8, 3, 3600, 1893456000u, 946684800u, 9033, "example.net.");
	o += putname(msg + o, "www.example.net.");
	o += put16(msg + o, 1);
	o += put16(msg + o, 1);
	o += put32(msg + o, 3600);
	o += put16(msg + o, 4);
	memcpy(msg + o, "\xc0\x00\x02\x5b", 4);
	o += 4;
	wlen = rrsig_sig("rfc5702/rsasha256.zone", want);
	is_int(64, (long long)wlen, "expected RSA signature read");
	sign_and_compare(&t, &rec, msg, o, want, wlen, "RFC 5702 A");

	tld_statedb_close(db);
	test_token_remove(&t);
	return exit_status();
}
