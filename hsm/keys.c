/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Key generation, import and deletion; see hsm/keys.h. */
#include "hsm/keys.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "hsm/algorithm.h"
#include "hsm/hsm.h"
#include "hsm/keyaudit.h"

#define KEYGEN_ATTEMPTS 16
#define CKA_ID_LEN 20

static void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Fills rec's DNSKEY, tag, flags from the public key object. */
static int record_from_token(tld_hsm_t *hsm, tld_hsm_obj_t pub, const struct tld_config *cfg,
                             enum tld_key_role role, int algorithm, unsigned bits,
                             const uint8_t *id, size_t id_len, struct tld_key_record *rec)
{
	uint8_t key[1020];
	size_t klen = 0;
	int ret = tld_hsm_public_key(hsm, pub, algorithm, key, sizeof(key), &klen);
	if (ret != TLD_OK) {
		return ret;
	}
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->zone, sizeof(rec->zone), "%s", cfg->zone);
	rec->role = role;
	rec->algorithm = (uint8_t)algorithm;
	rec->bits = bits;
	rec->flags = role == TLD_ROLE_ZSK ? 256 : 257;
	ret = tld_dnskey_rdata_from_pubkey(rec->flags, rec->algorithm, key, klen, rec->dnskey,
	                                   sizeof(rec->dnskey), &rec->dnskey_len);
	if (ret != TLD_OK) {
		return ret;
	}
	rec->key_tag = tld_keytag(rec->dnskey, rec->dnskey_len);
	memcpy(rec->cka_id_raw, id, id_len);
	rec->cka_id_len = id_len;
	hex_encode(id, id_len, rec->cka_id);
	rec->created = (int64_t)tld_now();
	return TLD_OK;
}

static int report(tld_hsm_t *hsm, int ret, const char *what)
{
	const char *detail = tld_hsm_error(hsm);
	if (detail[0] != '\0') {
		tld_error("%s: %s", what, detail);
	} else {
		tld_error("%s: %s", what, tld_strerror(ret));
	}
	return ret;
}

int tld_key_generate(const struct tld_config *cfg, tld_statedb_t *db, enum tld_key_role role,
                     int algorithm, unsigned rsa_bits, struct tld_key_record *out)
{
	tld_hsm_t *hsm = NULL;
	struct tld_key_record rec, other;
	tld_hsm_obj_t pub = 0, priv = 0;
	bool have_objects = false;
	const struct tld_alg_info *ai = tld_alg_info(algorithm);
	int ret;

	if (ai == NULL) {
		tld_error("key generate: algorithm %d is not supported", algorithm);
		return TLD_EINVAL;
	}
	if (ai->kind != TLD_KIND_RSA) {
		rsa_bits = 0;
	} else if (rsa_bits < 2048 || rsa_bits > 4096) {
		tld_error("key generate: RSA keys must have 2048 to 4096 bits, not %u", rsa_bits);
		return TLD_EINVAL;
	}
	ret = tld_keydb_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_hsm_open(cfg, &hsm);
	if (ret != TLD_OK) {
		return ret;
	}
	if (!tld_hsm_supports(hsm, algorithm)) {
		tld_error("key generate: token \"%s\" does not offer the mechanisms of algorithm %d (%s)",
		          cfg->hsm.token, algorithm, ai->name);
		ret = TLD_EINVAL;
		goto fail;
	}
	for (int attempt = 1;; attempt++) {
		uint8_t id[CKA_ID_LEN];
		char label[128];
		ret = tld_hsm_random(hsm, id, sizeof(id));
		if (ret != TLD_OK) {
			goto fail;
		}
		snprintf(label, sizeof(label), "%s-%s-new", cfg->zone, tld_key_role_name(role));
		ret = tld_hsm_generate(hsm, algorithm, rsa_bits, id, sizeof(id), label, &pub, &priv);
		if (ret != TLD_OK) {
			goto fail;
		}
		have_objects = true;
		ret = record_from_token(hsm, pub, cfg, role, algorithm, rsa_bits, id, sizeof(id), &rec);
		if (ret != TLD_OK) {
			goto fail;
		}
		ret = tld_keydb_find_tag(db, cfg->zone, rec.key_tag, &other);
		if (ret == TLD_ENOENT) {
			break;
		}
		if (ret != TLD_OK) {
			goto fail;
		}
		/* Collision with a key ever recorded for the zone (see keys.h). */
		tld_warning("key generate: new key has tag %u, already used by %s key %lld of %s%s; "
		            "removing it from the token and generating another", rec.key_tag,
		            tld_key_role_name(other.role), (long long)other.id, cfg->zone,
		            other.deleted ? " (deleted)" : "");
		int r1 = tld_hsm_destroy(hsm, priv);
		int r2 = tld_hsm_destroy(hsm, pub);
		have_objects = false;
		if (r1 != TLD_OK || r2 != TLD_OK) {
			ret = TLD_EHSM;
			goto fail;
		}
		if (attempt == KEYGEN_ATTEMPTS) {
			tld_error("key generate: %d key tag collisions in a row; giving up", attempt);
			ret = TLD_EKEYTAG;
			goto fail;
		}
	}
	snprintf(rec.label, sizeof(rec.label), TLD_KEY_LABEL_FMT, cfg->zone, tld_key_role_name(role),
	         rec.key_tag);
	ret = tld_hsm_set_label(hsm, pub, rec.label);
	if (ret == TLD_OK) {
		ret = tld_hsm_set_label(hsm, priv, rec.label);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_statedb_begin(db);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_keydb_insert(db, &rec);
	if (ret == TLD_OK) {
		ret = tld_key_audit(db, "key generate", &rec, NULL);
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_commit(db);
	} else {
		tld_statedb_rollback(db);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	have_objects = false;
	tld_notice("generated %s key %u (algorithm %d%s) for %s in token \"%s\", label %s",
	           tld_key_role_name(role), rec.key_tag, algorithm, ai->kind == TLD_KIND_RSA ? ", RSA" : "",
	           cfg->zone, cfg->hsm.token, rec.label);
	if (out != NULL) {
		*out = rec;
	}
	tld_hsm_close(hsm);
	return TLD_OK;
fail:
	if (have_objects) {
		/* Roll back the token: never leave an unrecorded key behind. */
		if (tld_hsm_destroy(hsm, priv) != TLD_OK || tld_hsm_destroy(hsm, pub) != TLD_OK) {
			tld_error("key generate: could not remove the new key pair from the token: %s",
			          tld_hsm_error(hsm));
		}
	}
	if (hsm != NULL) {
		report(hsm, ret, "key generate");
	}
	tld_hsm_close(hsm);
	return ret;
}

int tld_key_import(const struct tld_config *cfg, tld_statedb_t *db, const char *label,
                   enum tld_key_role role, int algorithm, struct tld_key_record *out)
{
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t pub = 0, priv = 0;
	struct tld_key_record rec, other;
	struct tld_hsm_key_attrs attrs;
	uint8_t id[64];
	size_t id_len = 0;
	int alg = 0;
	unsigned bits = 0;
	int ret = tld_keydb_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_hsm_open(cfg, &hsm);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_hsm_find_label(hsm, true, label, &priv);
	if (ret == TLD_OK) {
		ret = tld_hsm_find_label(hsm, false, label, &pub);
	}
	if (ret == TLD_OK) {
		ret = tld_hsm_get_id(hsm, priv, id, sizeof(id), &id_len);
	}
	if (ret == TLD_OK) {
		ret = tld_hsm_key_attrs(hsm, priv, &attrs);
	}
	if (ret == TLD_OK) {
		ret = tld_hsm_key_algorithm(hsm, pub, algorithm, &alg, &bits);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	if (algorithm != 0 && algorithm != alg) {
		tld_hsm_set_error(hsm, TLD_EKEY, "key \"%s\" is algorithm %d, not %d", label, alg,
		                  algorithm);
		ret = TLD_EKEY;
		goto fail;
	}
	if (!attrs.can_sign) {
		tld_hsm_set_error(hsm, TLD_EKEY, "private key \"%s\" may not sign (CKA_SIGN false)", label);
		ret = TLD_EKEY;
		goto fail;
	}
	bool custody_ok = attrs.is_private && attrs.sensitive && !attrs.extractable;
	char custody[160];
	snprintf(custody, sizeof(custody), "NOT under HSM custody: private %s, sensitive %s, extractable %s",
	         attrs.is_private ? "yes" : "no", attrs.sensitive ? "yes" : "no",
	         attrs.extractable ? "yes" : "no");
	if (!custody_ok) {
		tld_warning("key import: private key \"%s\" is%s private, is%s sensitive and is%s "
		            "extractable; a key that can leave the HSM is not under HSM custody",
		            label, attrs.is_private ? "" : " NOT", attrs.sensitive ? "" : " NOT",
		            attrs.extractable ? "" : " not");
	}
	ret = record_from_token(hsm, pub, cfg, role, alg, bits, id, id_len, &rec);
	if (ret != TLD_OK) {
		goto fail;
	}
	snprintf(rec.label, sizeof(rec.label), "%s", label);
	ret = tld_keydb_find_tag(db, cfg->zone, rec.key_tag, &other);
	if (ret == TLD_OK) {
		tld_error("key import: key \"%s\" has key tag %u, already used by %s key \"%s\" of %s%s; "
		          "refusing (two keys with one tag break validation, see the .ru 2024 and .de "
		          "2026 outages)", label, rec.key_tag, tld_key_role_name(other.role), other.label,
		          cfg->zone, other.deleted ? " (deleted)" : "");
		ret = TLD_EKEYTAG;
		goto fail;
	}
	if (ret != TLD_ENOENT) {
		goto fail;
	}
	/* The same CKA_ID twice would make the signer's lookup ambiguous. */
	struct tld_key_record *all = NULL;
	size_t n = 0;
	ret = tld_keydb_list(db, cfg->zone, false, &all, &n);
	if (ret != TLD_OK) {
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].cka_id, rec.cka_id) == 0) {
			tld_error("key import: CKA_ID %s is already recorded (key %u)", rec.cka_id,
			          all[i].key_tag);
			ret = TLD_EKEY;
		}
	}
	tld_key_records_free(all, n);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_statedb_begin(db);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_keydb_insert(db, &rec);
	if (ret == TLD_OK) {
		ret = tld_key_audit(db, "key import", &rec, custody_ok ? NULL : custody);
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_commit(db);
	} else {
		tld_statedb_rollback(db);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	tld_notice("imported %s key %u (algorithm %d) for %s from token label \"%s\"",
	           tld_key_role_name(role), rec.key_tag, alg, cfg->zone, label);
	if (out != NULL) {
		*out = rec;
	}
	tld_hsm_close(hsm);
	return TLD_OK;
fail:
	if (tld_hsm_error(hsm)[0] != '\0') {
		report(hsm, ret, "key import");
	}
	tld_hsm_close(hsm);
	return ret;
}

int tld_key_delete(const struct tld_config *cfg, tld_statedb_t *db, uint16_t key_tag,
                   tld_key_in_use_fn in_use, void *ctx)
{
	struct tld_key_record rec;
	tld_hsm_t *hsm = NULL;
	tld_hsm_obj_t obj;
	int ret = tld_keydb_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_keydb_find_tag(db, cfg->zone, key_tag, &rec);
	if (ret == TLD_ENOENT || (ret == TLD_OK && rec.deleted != 0)) {
		tld_error("key delete: zone %s has no key with tag %u", cfg->zone, key_tag);
		return TLD_ENOENT;
	}
	if (ret != TLD_OK) {
		return ret;
	}
	if (in_use == NULL || in_use(ctx, &rec)) {
		tld_error("key delete: %s key %u of %s is still published or signing (or not known to be "
		          "retired); refusing", tld_key_role_name(rec.role), key_tag, cfg->zone);
		return TLD_EPOLICY;
	}
	ret = tld_hsm_open(cfg, &hsm);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_statedb_begin(db);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = tld_keydb_mark_deleted(db, rec.id, (int64_t)tld_now());
	if (ret != TLD_OK) {
		tld_statedb_rollback(db);
		goto fail;
	}
	/* Token objects go first; the mark commits only when both are gone. */
	const char *missing = NULL;
	for (int is_private = 1; is_private >= 0; is_private--) {
		ret = tld_hsm_find_id(hsm, is_private, rec.cka_id_raw, rec.cka_id_len, &obj);
		if (ret == TLD_EKEY) {
			tld_warning("key delete: %s key of %u was already missing from the token",
			            is_private ? "private" : "public", key_tag);
			missing = is_private ? "the private key was already missing from the token"
			                     : missing ? "both objects were already missing from the token"
			                               : "the public key was already missing from the token";
			ret = TLD_OK;
			continue;
		}
		if (ret == TLD_OK) {
			ret = tld_hsm_destroy(hsm, obj);
		}
		if (ret != TLD_OK) {
			tld_statedb_rollback(db);
			goto fail;
		}
	}
	ret = tld_key_audit(db, "key delete", &rec, missing);
	if (ret != TLD_OK) {
		/* the token objects are gone already; the row stays unmarked */
		tld_statedb_rollback(db);
		goto fail;
	}
	ret = tld_statedb_commit(db);
	if (ret != TLD_OK) {
		goto fail;
	}
	tld_notice("deleted %s key %u of %s", tld_key_role_name(rec.role), key_tag, cfg->zone);
	tld_hsm_close(hsm);
	return TLD_OK;
fail:
	report(hsm, ret, "key delete");
	tld_hsm_close(hsm);
	return ret;
}
