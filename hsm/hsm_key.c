/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PKCS#11 key objects: generation, lookup, attributes, public key, signing. */
#include "hsm/hsm_internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int tld_hsm_generate(tld_hsm_t *hsm, int algorithm, unsigned rsa_bits, const uint8_t *id,
                     size_t id_len, const char *label, tld_hsm_obj_t *pub, tld_hsm_obj_t *priv)
{
	const struct tld_alg_info *a = tld_alg_info(algorithm);
	if (a == NULL) {
		return tld_hsm_set_error(hsm, TLD_EINVAL, "algorithm %d is not supported", algorithm);
	}
	if (a->kind == TLD_KIND_RSA && (rsa_bits < a->min_bits || rsa_bits > a->max_bits)) {
		return tld_hsm_set_error(hsm, TLD_EINVAL, "RSA key size %u outside %u..%u", rsa_bits,
		                         a->min_bits, a->max_bits);
	}
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	CK_ULONG bits = rsa_bits;
	CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_ULONG llen = strlen(label);
	CK_ATTRIBUTE pubt[8] = {
		{ CKA_TOKEN, &t, sizeof(t) },
		{ CKA_PRIVATE, &f, sizeof(f) },
		{ CKA_VERIFY, &t, sizeof(t) },
		{ CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, llen },
	};
	CK_ULONG npub = 5;
	if (a->kind == TLD_KIND_RSA) {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) };
	} else {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)a->ec_params, a->ec_params_len };
	}
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &t, sizeof(t) },
		{ CKA_PRIVATE, &t, sizeof(t) },
		{ CKA_SENSITIVE, &t, sizeof(t) },
		{ CKA_EXTRACTABLE, &f, sizeof(f) },
		{ CKA_SIGN, &t, sizeof(t) },
		{ CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, llen },
	};
	CK_MECHANISM mech = { a->keygen_mech, NULL, 0 };
	CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
	CK_RV rv = hsm->f->C_GenerateKeyPair(hsm->session, &mech, pubt, npub, privt,
	                                     sizeof(privt) / sizeof(privt[0]), &hpub, &hpriv);
	if (rv != CKR_OK) {
		char what[96];
		snprintf(what, sizeof(what), "C_GenerateKeyPair (algorithm %d)", algorithm);
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, what);
	}
	*pub = hpub;
	*priv = hpriv;
	return TLD_OK;
}

static int find_one(tld_hsm_t *hsm, CK_ATTRIBUTE *tmpl, CK_ULONG n, const char *what,
                    tld_hsm_obj_t *obj)
{
	CK_OBJECT_HANDLE found[2];
	CK_ULONG count = 0;
	CK_RV rv = hsm->f->C_FindObjectsInit(hsm->session, tmpl, n);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_FindObjectsInit");
	}
	rv = hsm->f->C_FindObjects(hsm->session, found, 2, &count);
	hsm->f->C_FindObjectsFinal(hsm->session);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_FindObjects");
	}
	if (count == 0) {
		return tld_hsm_set_error(hsm, TLD_EKEY, "%s: not found in token \"%s\"", what, hsm->token);
	}
	if (count > 1) {
		return tld_hsm_set_error(hsm, TLD_EKEY, "%s: several objects match in token \"%s\"", what,
		                         hsm->token);
	}
	*obj = found[0];
	return TLD_OK;
}

int tld_hsm_find_id(tld_hsm_t *hsm, bool is_private, const uint8_t *id, size_t id_len,
                    tld_hsm_obj_t *obj)
{
	CK_OBJECT_CLASS cls = is_private ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, (void *)id, id_len } };
	char what[200];
	int o = snprintf(what, sizeof(what), "%s key with CKA_ID ", is_private ? "private" : "public");
	for (size_t i = 0; i < id_len && o < (int)sizeof(what) - 3; i++) {
		o += snprintf(what + o, sizeof(what) - o, "%02x", id[i]);
	}
	return find_one(hsm, t, 2, what, obj);
}

int tld_hsm_find_label(tld_hsm_t *hsm, bool is_private, const char *label, tld_hsm_obj_t *obj)
{
	CK_OBJECT_CLASS cls = is_private ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		             { CKA_LABEL, (void *)label, strlen(label) } };
	char what[200];
	snprintf(what, sizeof(what), "%s key labelled \"%s\"", is_private ? "private" : "public",
	         label);
	return find_one(hsm, t, 2, what, obj);
}

int tld_hsm_get_id(tld_hsm_t *hsm, tld_hsm_obj_t obj, uint8_t *id, size_t id_size, size_t *id_len)
{
	CK_ATTRIBUTE a = { CKA_ID, NULL, 0 };
	CK_RV rv = hsm->f->C_GetAttributeValue(hsm->session, obj, &a, 1);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetAttributeValue(CKA_ID)");
	}
	if (a.ulValueLen > id_size || a.ulValueLen == 0) {
		return tld_hsm_set_error(hsm, TLD_ERANGE, "CKA_ID of %lu bytes is not usable",
		                         (unsigned long)a.ulValueLen);
	}
	a.pValue = id;
	rv = hsm->f->C_GetAttributeValue(hsm->session, obj, &a, 1);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetAttributeValue(CKA_ID)");
	}
	*id_len = a.ulValueLen;
	return TLD_OK;
}

int tld_hsm_key_attrs(tld_hsm_t *hsm, tld_hsm_obj_t priv, struct tld_hsm_key_attrs *out)
{
	CK_BBOOL p = 0, s = 0, e = 0, ne = 0, sg = 0;
	CK_ATTRIBUTE t[] = { { CKA_PRIVATE, &p, 1 }, { CKA_SENSITIVE, &s, 1 }, { CKA_EXTRACTABLE, &e, 1 },
		             { CKA_NEVER_EXTRACTABLE, &ne, 1 }, { CKA_SIGN, &sg, 1 } };
	CK_RV rv = hsm->f->C_GetAttributeValue(hsm->session, priv, t, 5);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetAttributeValue(private key)");
	}
	out->is_private = p;
	out->sensitive = s;
	out->extractable = (t[2].ulValueLen == (CK_ULONG)-1) ? true : e;
	out->never_extractable = ne;
	out->can_sign = sg;
	return TLD_OK;
}

/* Reads a variable-length attribute into a fresh heap buffer. */
static int get_attr(tld_hsm_t *hsm, tld_hsm_obj_t obj, CK_ATTRIBUTE_TYPE type, const char *name,
                    uint8_t **val, size_t *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	char what[80];
	snprintf(what, sizeof(what), "C_GetAttributeValue(%s)", name);
	CK_RV rv = hsm->f->C_GetAttributeValue(hsm->session, obj, &a, 1);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, what);
	}
	uint8_t *buf = malloc(a.ulValueLen ? a.ulValueLen : 1);
	if (buf == NULL) {
		return TLD_ENOMEM;
	}
	a.pValue = buf;
	rv = hsm->f->C_GetAttributeValue(hsm->session, obj, &a, 1);
	if (rv != CKR_OK) {
		free(buf);
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, what);
	}
	*val = buf;
	*len = a.ulValueLen;
	return TLD_OK;
}

int tld_hsm_key_algorithm(tld_hsm_t *hsm, tld_hsm_obj_t pub, int hint, int *algorithm,
                          unsigned *bits)
{
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_RV rv = hsm->f->C_GetAttributeValue(hsm->session, pub, &a, 1);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetAttributeValue(CKA_KEY_TYPE)");
	}
	if (kt == CKK_RSA) {
		uint8_t *mod = NULL;
		size_t len = 0;
		int ret = get_attr(hsm, pub, CKA_MODULUS, "CKA_MODULUS", &mod, &len);
		if (ret != TLD_OK) {
			return ret;
		}
		size_t skip = 0;
		while (skip < len && mod[skip] == 0) {
			skip++;
		}
		unsigned b = (unsigned)((len - skip) * 8);
		if (skip < len) {
			for (uint8_t top = mod[skip]; !(top & 0x80); top <<= 1) {
				b--;
			}
		}
		free(mod);
		*algorithm = (hint == 10) ? 10 : 8;
		*bits = b;
		return TLD_OK;
	}
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		return tld_hsm_set_error(hsm, TLD_EKEY, "key type 0x%lx is not RSA, EC or EdDSA",
		                         (unsigned long)kt);
	}
	uint8_t *params = NULL;
	size_t plen = 0;
	int ret = get_attr(hsm, pub, CKA_EC_PARAMS, "CKA_EC_PARAMS", &params, &plen);
	if (ret != TLD_OK) {
		return ret;
	}
	static const int candidates[] = { 13, 14, 15, 16 };
	ret = TLD_EKEY;
	for (size_t i = 0; i < 4; i++) {
		const struct tld_alg_info *ai = tld_alg_info(candidates[i]);
		if (ai->ec_params_len == plen && memcmp(ai->ec_params, params, plen) == 0) {
			*algorithm = ai->number;
			*bits = 0;
			ret = TLD_OK;
			break;
		}
	}
	free(params);
	if (ret != TLD_OK) {
		tld_hsm_set_error(hsm, ret, "curve of the key is not P-256, P-384, Ed25519 or Ed448");
	}
	return ret;
}

/* Unwraps a DER OCTET STRING (CKA_EC_POINT); accepts a bare value too. */
int tld_hsm_der_octets(const uint8_t *p, size_t len, const uint8_t **val, size_t *vlen)
{
	if (len >= 2 && p[0] == 0x04) {
		size_t l = p[1], hdr = 2;
		if (p[1] & 0x80) {
			unsigned nb = p[1] & 0x7f;
			if (nb == 0 || nb > 2 || len < 2 + nb) {
				return TLD_EKEY;
			}
			l = 0;
			for (unsigned i = 0; i < nb; i++) {
				l = (l << 8) | p[2 + i];
			}
			hdr = 2 + nb;
		}
		if (hdr + l == len) {
			*val = p + hdr;
			*vlen = l;
			return TLD_OK;
		}
	}
	*val = p;
	*vlen = len;
	return TLD_OK;
}

int tld_hsm_public_key(tld_hsm_t *hsm, tld_hsm_obj_t pub, int algorithm, uint8_t *key, size_t size,
                       size_t *key_len)
{
	const struct tld_alg_info *a = tld_alg_info(algorithm);
	uint8_t *v1 = NULL, *v2 = NULL;
	size_t l1 = 0, l2 = 0;
	int ret;
	if (a == NULL) {
		return TLD_EINVAL;
	}
	if (a->kind == TLD_KIND_RSA) {
		ret = get_attr(hsm, pub, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", &v1, &l1);
		if (ret == TLD_OK) {
			ret = get_attr(hsm, pub, CKA_MODULUS, "CKA_MODULUS", &v2, &l2);
		}
		if (ret != TLD_OK) {
			goto fail;
		}
		const uint8_t *e = v1, *m = v2;
		while (l1 > 0 && *e == 0) { e++; l1--; }
		while (l2 > 0 && *m == 0) { m++; l2--; }
		size_t hdr = l1 < 256 ? 1 : 3; /* RFC 3110 section 2 */
		if (l1 == 0 || l1 > 0xffff || l2 == 0 || hdr + l1 + l2 > size) {
			ret = tld_hsm_set_error(hsm, TLD_EKEY, "RSA public key of unusable size");
			goto fail;
		}
		if (hdr == 1) {
			key[0] = (uint8_t)l1;
		} else {
			key[0] = 0;
			key[1] = (uint8_t)(l1 >> 8);
			key[2] = (uint8_t)l1;
		}
		memcpy(key + hdr, e, l1);
		memcpy(key + hdr + l1, m, l2);
		*key_len = hdr + l1 + l2;
		ret = TLD_OK;
		goto fail;
	}
	ret = get_attr(hsm, pub, CKA_EC_POINT, "CKA_EC_POINT", &v1, &l1);
	if (ret != TLD_OK) {
		goto fail;
	}
	const uint8_t *pt = NULL;
	size_t plen = 0;
	tld_hsm_der_octets(v1, l1, &pt, &plen);
	if (a->kind == TLD_KIND_EC) {
		/* RFC 6605 section 4: X || Y, without the 0x04 uncompressed marker. */
		if (plen != a->point_len + 1 || pt[0] != 0x04) {
			ret = tld_hsm_set_error(hsm, TLD_EKEY, "EC point of %zu bytes is not uncompressed P-%u",
			                        plen, algorithm == 13 ? 256u : 384u);
			goto fail;
		}
		pt++;
		plen--;
	} else if (plen != a->point_len) {
		ret = tld_hsm_set_error(hsm, TLD_EKEY, "EdDSA public key of %zu bytes, expected %zu", plen,
		                        a->point_len);
		goto fail;
	}
	if (plen > size) {
		ret = TLD_ERANGE;
		goto fail;
	}
	memcpy(key, pt, plen);
	*key_len = plen;
	ret = TLD_OK;
fail:
	free(v1);
	free(v2);
	return ret;
}

int tld_hsm_set_label(tld_hsm_t *hsm, tld_hsm_obj_t obj, const char *label)
{
	CK_ATTRIBUTE a = { CKA_LABEL, (void *)label, strlen(label) };
	CK_RV rv = hsm->f->C_SetAttributeValue(hsm->session, obj, &a, 1);
	return rv == CKR_OK ? TLD_OK : tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_SetAttributeValue(CKA_LABEL)");
}

int tld_hsm_destroy(tld_hsm_t *hsm, tld_hsm_obj_t obj)
{
	CK_RV rv = hsm->f->C_DestroyObject(hsm->session, obj);
	return rv == CKR_OK ? TLD_OK : tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_DestroyObject");
}

/*
 * The host-side digests, fetched once per process: an implicit fetch per
 * EVP_Digest() call costs more than the hash of a small RRset.
 */
static const EVP_MD *digest_md(const char *name)
{
	static EVP_MD *sha256, *sha384, *sha512;
	EVP_MD **slot = strcmp(name, "SHA256") == 0 ? &sha256 : strcmp(name, "SHA384") == 0 ? &sha384
	                                                                                   : &sha512;
	if (*slot == NULL) {
		*slot = EVP_MD_fetch(NULL, name, NULL); /* kept for the life of the process */
	}
	return *slot;
}

static bool session_lost(CK_RV rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED ||
	       rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_USER_NOT_LOGGED_IN;
}

/* Whether C_CopyObject's failure says "this token will not copy this key" (fall back, no error). */
static bool copy_refused(CK_RV rv)
{
	return rv == CKR_ACTION_PROHIBITED || rv == CKR_FUNCTION_NOT_SUPPORTED || rv == CKR_ATTRIBUTE_READ_ONLY ||
	       rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
	       rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_TEMPLATE_INCOMPLETE || rv == CKR_KEY_FUNCTION_NOT_PERMITTED ||
	       rv == CKR_OBJECT_HANDLE_INVALID;
}

int tld_hsm_session_copy(tld_hsm_t *hsm, tld_hsm_obj_t priv, tld_hsm_obj_t *copy, char *why, size_t why_size)
{
	CK_BBOOL f = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = { { CKA_TOKEN, &f, sizeof(f) } };
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv = hsm->f->C_CopyObject(hsm->session, priv, tmpl, 1, &h);
	if (rv != CKR_OK) {
		snprintf(why, why_size, "C_CopyObject: %s", tld_ckr_name(rv));
		return session_lost(rv) ? TLD_EAGAIN : copy_refused(rv) ? TLD_EKEY : TLD_EHSM;
	}
	/* The copy must keep the key in the token exactly as the original does. */
	CK_BBOOL tok = CK_TRUE, prv = CK_FALSE, sens = CK_FALSE, extr = CK_TRUE, sign = CK_FALSE;
	CK_ATTRIBUTE a[] = { { CKA_TOKEN, &tok, 1 }, { CKA_PRIVATE, &prv, 1 }, { CKA_SENSITIVE, &sens, 1 },
		             { CKA_EXTRACTABLE, &extr, 1 }, { CKA_SIGN, &sign, 1 } };
	rv = hsm->f->C_GetAttributeValue(hsm->session, h, a, sizeof(a) / sizeof(a[0]));
	int ret = TLD_OK;
	if (rv != CKR_OK) {
		snprintf(why, why_size, "C_GetAttributeValue on the copy: %s", tld_ckr_name(rv));
		ret = session_lost(rv) ? TLD_EAGAIN : TLD_EKEY;
	} else if (tok != CK_FALSE || prv != CK_TRUE || sens != CK_TRUE || extr != CK_FALSE || sign != CK_TRUE) {
		snprintf(why, why_size,
		         "the copy is not a private, sensitive, non-extractable session signing key "
		         "(token %d, private %d, sensitive %d, extractable %d, sign %d)",
		         tok, prv, sens, extr, sign);
		ret = TLD_EKEY;
	}
	if (ret != TLD_OK) {
		hsm->f->C_DestroyObject(hsm->session, h); /* best effort: it dies with the session anyway */
		return ret;
	}
	*copy = h;
	return TLD_OK;
}

int tld_hsm_sign(tld_hsm_t *hsm, tld_hsm_obj_t priv, int algorithm, const char *what,
                 const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	const struct tld_alg_info *a = tld_alg_info(algorithm);
	uint8_t buf[128];
	const uint8_t *data = msg;
	CK_ULONG dlen = len;
	if (a == NULL) {
		return TLD_EINVAL;
	}
	if (a->digest != NULL) {
		unsigned int mdlen = 0;
		size_t pre = a->digest_info_len;
		if (pre > 0) {
			memcpy(buf, a->digest_info, pre);
		}
		if (EVP_Digest(msg, len, buf + pre, &mdlen, digest_md(a->digest), NULL) != 1) {
			return tld_hsm_set_error(hsm, TLD_ECRYPTO, "%s digest for %s failed", a->digest, what);
		}
		data = buf;
		dlen = pre + mdlen;
	}
	CK_MECHANISM mech = { a->sign_mech, NULL, 0 };
	char action[160];
	CK_RV rv = hsm->f->C_SignInit(hsm->session, &mech, priv);
	if (rv == CKR_OK) {
		CK_ULONG slen = TLD_SIG_MAX;
		rv = hsm->f->C_Sign(hsm->session, (CK_BYTE *)data, dlen, sig, &slen);
		if (rv == CKR_OK) {
			if (a->sig_len != 0 && slen != a->sig_len) {
				/* PKCS#11 returns ECDSA as r||s already; anything else is wrong. */
				return tld_hsm_set_error(hsm, TLD_EHSM,
				                         "C_Sign on %s: %lu-byte signature, expected %zu", what,
				                         (unsigned long)slen, a->sig_len);
			}
			*sig_len = slen;
			return TLD_OK;
		}
		snprintf(action, sizeof(action), "C_Sign on %s", what);
	} else {
		snprintf(action, sizeof(action), "C_SignInit on %s", what);
	}
	if (session_lost(rv)) {
		snprintf(hsm->lost, sizeof(hsm->lost), "%s: %s", action, tld_ckr_name(rv));
		return TLD_EAGAIN;
	}
	return tld_hsm_ckr(hsm, rv, rv == CKR_KEY_HANDLE_INVALID ? TLD_EKEY : TLD_EHSM, action);
}

int tld_hsm_lost_error(tld_hsm_t *hsm)
{
	return tld_hsm_set_error(hsm, TLD_EHSM, "%s", hsm->lost[0] ? hsm->lost : "session lost");
}
