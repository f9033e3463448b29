/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RRSIG verification written for the verifier with OpenSSL EVP: each DNSKEY
 * becomes an EVP_PKEY once; the signed data (RFC 4034 §3.1.8.1: RRSIG RDATA
 * without the signature, then the RRset in canonical form and order, with the
 * original TTL and wildcard owner) is built here from the records' canonical
 * wire form.  Algorithms 5, 7, 8, 10, 13, 14, 15, 16.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "common/error.h"
#include "verify/internal.h"
#include "verify/vcache.h"

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_key(const uint8_t *k, size_t len)
{
	size_t elen, off;
	EVP_PKEY *pkey = NULL;
	BIGNUM *e = NULL, *n = NULL;
	OSSL_PARAM_BLD *bld = NULL;

	if (len < 3) {
		return NULL;
	}
	if (k[0] != 0) {
		elen = k[0];
		off = 1;
	} else {
		elen = ((size_t)k[1] << 8) | k[2];
		off = 3;
	}
	if (elen == 0 || off + elen >= len) {
		return NULL;
	}
	e = BN_bin2bn(k + off, (int)elen, NULL);
	n = BN_bin2bn(k + off + elen, (int)(len - off - elen), NULL);
	bld = OSSL_PARAM_BLD_new();
	if (e != NULL && n != NULL && bld != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
		pkey = pkey_from_params("RSA", bld);
	}
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return pkey;
}

static EVP_PKEY *ec_key(const char *group, const uint8_t *k, size_t len, size_t want)
{
	uint8_t point[1 + 96];
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld;

	if (len != want) {
		return NULL;
	}
	point[0] = 0x04;
	memcpy(point + 1, k, len);
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, len + 1)) {
		pkey = pkey_from_params("EC", bld);
	}
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

int vfy_key_build(const uint8_t *rdata, size_t rdlen, struct vfy_key *out)
{
	const uint8_t *k;
	size_t len;
	uint16_t flags;
	struct vfy_key key = { 0 };
	const char *md = NULL;

	if (vfy_parse_dnskey(rdata, rdlen, &flags, &key.alg, &k, &len) != TLD_OK) {
		return TLD_EKEY;
	}

	switch (key.alg) {
	case LDNS_RSASHA1:
	case LDNS_RSASHA1_NSEC3:
		md = "SHA1";
		key.pkey = rsa_key(k, len);
		break;
	case LDNS_RSASHA256:
		md = "SHA256";
		key.pkey = rsa_key(k, len);
		break;
	case LDNS_RSASHA512:
		md = "SHA512";
		key.pkey = rsa_key(k, len);
		break;
	case LDNS_ECDSAP256SHA256:
		md = "SHA256";
		key.pkey = ec_key("P-256", k, len, 64);
		key.ecdsa_len = 32;
		break;
	case LDNS_ECDSAP384SHA384:
		md = "SHA384";
		key.pkey = ec_key("P-384", k, len, 96);
		key.ecdsa_len = 48;
		break;
	case LDNS_ED25519:
		key.pkey = len == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k, len) : NULL;
		break;
	case LDNS_ED448:
		key.pkey = len == 57 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED448, NULL, k, len) : NULL;
		break;
	default:
		return TLD_ENOTIMPL;
	}
	if (key.pkey == NULL) {
		return TLD_EKEY;
	}
	if (md != NULL && (key.md = EVP_MD_fetch(NULL, md, NULL)) == NULL) {
		EVP_PKEY_free(key.pkey);
		return TLD_ECRYPTO;
	}
	*out = key;
	return TLD_OK;
}

void vfy_key_clear(struct vfy_key *key)
{
	EVP_PKEY_free(key->pkey);
	EVP_MD_free(key->md);
	memset(key, 0, sizeof(*key));
}

/* ---- signed data ---- */

struct rr_slot {
	size_t off, len;           /* in the record buffer */
	size_t rdata;              /* offset of RDATA within the record */
};

#define PKEY_CTX_MAX 8

struct vfy_crypto {
	/* EVP_PKEY_CTX made ready for verification once per key and thread */
	struct {
		const struct vfy_key *key;
		EVP_PKEY_CTX *ctx;
	} pk[PKEY_CTX_MAX];
	size_t n_pk;
	uint8_t *recs;
	size_t recs_len, recs_cap;
	struct rr_slot *slots;
	size_t n_slots, cap_slots;
	uint8_t *data;
	size_t data_cap;
	EVP_MD_CTX *md;
	EVP_MD_CTX *cache_md;      /* the cache entry's SHA-256 */
	EVP_MD *sha256;
};

struct vfy_crypto *vfy_crypto_new(void)
{
	struct vfy_crypto *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	c->md = EVP_MD_CTX_new();
	c->cache_md = EVP_MD_CTX_new();
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (c->md == NULL || c->cache_md == NULL || c->sha256 == NULL) {
		vfy_crypto_free(c);
		return NULL;
	}
	return c;
}

void vfy_crypto_free(struct vfy_crypto *c)
{
	if (c == NULL) {
		return;
	}
	for (size_t i = 0; i < c->n_pk; i++) {
		EVP_PKEY_CTX_free(c->pk[i].ctx);
	}
	EVP_MD_CTX_free(c->md);
	EVP_MD_CTX_free(c->cache_md);
	EVP_MD_free(c->sha256);
	free(c->recs);
	free(c->slots);
	free(c->data);
	free(c);
}

static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap) {
		return TLD_OK;
	}
	size_t n = *cap ? *cap : 4096;
	while (n < need) {
		n *= 2;
	}
	uint8_t *p = realloc(*buf, n);
	if (p == NULL) {
		return TLD_ENOMEM;
	}
	*buf = p;
	*cap = n;
	return TLD_OK;
}

static size_t wire_name_len(const uint8_t *w, size_t max, unsigned *labels)
{
	size_t p = 0;
	unsigned n = 0;
	while (p < max && w[p] != 0) {
		p += 1 + w[p];
		n++;
	}
	*labels = n;
	return p < max ? p + 1 : 0;
}

static int slot_cmp(const void *pa, const void *pb, void *base_arg)
{
	const struct rr_slot *a = pa, *b = pb;
	const uint8_t *g_sort_base = base_arg;
	size_t al = a->len - a->rdata, bl = b->len - b->rdata;
	int c = memcmp(g_sort_base + a->off + a->rdata, g_sort_base + b->off + b->rdata,
	               al < bl ? al : bl);
	return c != 0 ? c : (al < bl ? -1 : al > bl);
}

/* Appends one RR (already canonical) with the RRSIG's TTL and wildcard owner. */
static int add_rr(struct vfy_crypto *c, const struct vfy_rec *rec, uint8_t sig_labels,
                  const uint8_t ttl[4])
{
	unsigned labels;
	const uint8_t *w = rec->wire;
	size_t wlen = rec->wire_len;
	size_t olen = wire_name_len(w, wlen, &labels);
	if (olen == 0 || olen + 10 > wlen || sig_labels > labels) {
		return TLD_EINVAL;
	}
	/* owner: "*." plus the last sig_labels labels when the RRSIG was made for a wildcard */
	const uint8_t *owner = w;
	size_t owner_len = olen;
	bool wildcard = sig_labels < labels;
	if (wildcard) {
		for (unsigned skip = labels - sig_labels; skip > 0; skip--) {
			owner_len -= 1u + owner[0];
			owner += 1 + owner[0];
		}
	}
	size_t len = (wildcard ? 2 : 0) + owner_len + (wlen - olen);
	if (reserve(&c->recs, &c->recs_cap, c->recs_len + len) != TLD_OK) {
		return TLD_ENOMEM;
	}
	if (c->n_slots == c->cap_slots) {
		size_t n = c->cap_slots ? c->cap_slots * 2 : 64;
		struct rr_slot *s = realloc(c->slots, n * sizeof(*s));
		if (s == NULL) {
			return TLD_ENOMEM;
		}
		c->slots = s;
		c->cap_slots = n;
	}
	uint8_t *d = c->recs + c->recs_len;
	size_t p = 0;
	if (wildcard) {
		d[p++] = 1;
		d[p++] = '*';
	}
	memcpy(d + p, owner, owner_len);
	p += owner_len;
	memcpy(d + p, w + olen, 4);             /* type, class */
	memcpy(d + p + 4, ttl, 4);              /* original TTL */
	memcpy(d + p + 8, w + olen + 8, wlen - olen - 8); /* RDLENGTH, RDATA */
	c->slots[c->n_slots++] = (struct rr_slot){ .off = c->recs_len, .len = len, .rdata = p + 10 };
	c->recs_len += len;
	return TLD_OK;
}

/* One DER INTEGER from a big-endian unsigned value; returns the bytes written. */
static size_t der_uint(uint8_t *out, const uint8_t *v, size_t len)
{
	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	size_t pad = (v[0] & 0x80) != 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(len + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, len);
	return 2 + pad + len;
}

/*
 * The DNSSEC form of an ECDSA signature (r | s, RFC 6605) as the DER
 * Ecdsa-Sig-Value OpenSSL verifies; out holds at least 8 + 2 * (half + 1).
 */
static int ecdsa_to_der(const uint8_t *sig, size_t len, size_t half, uint8_t *out, size_t *out_len)
{
	if (len != 2 * half || half == 0 || half > 60) {
		return TLD_EVERIFY;
	}
	size_t n = der_uint(out + 2, sig, half);
	n += der_uint(out + 2 + n, sig + half, half);
	out[0] = 0x30;
	out[1] = (uint8_t)n; /* at most 2 * 63: the short form */
	*out_len = n + 2;
	return TLD_OK;
}

/* This thread's EVP_PKEY_CTX for a key, verify-initialised once; NULL on failure. */
static EVP_PKEY_CTX *key_ctx(struct vfy_crypto *c, const struct vfy_key *key)
{
	for (size_t i = 0; i < c->n_pk; i++) {
		if (c->pk[i].key == key) {
			return c->pk[i].ctx;
		}
	}
	if (c->n_pk == PKEY_CTX_MAX) {
		return NULL;
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
	    (key->ecdsa_len == 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, key->md) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	c->pk[c->n_pk].key = key;
	c->pk[c->n_pk].ctx = ctx;
	c->n_pk++;
	return ctx;
}

/*
 * The public-key check of data: RSA and ECDSA hash here and verify the digest
 * with the thread's context for the key (EVP_PKEY_verify() may be called again
 * on an initialised context: no per-signature context, fetch or key export);
 * EdDSA signs the message itself.
 */
static int pk_verify(struct vfy_crypto *c, const struct vfy_key *key, const uint8_t *sg,
                     size_t sglen, const uint8_t *data, size_t len)
{
	uint8_t der[8 + 2 * 64], dgst[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int v, ret;

	if (key->ecdsa_len) {
		size_t der_len = 0;
		if ((ret = ecdsa_to_der(sg, sglen, key->ecdsa_len, der, &der_len)) != TLD_OK) {
			return ret;
		}
		sg = der;
		sglen = der_len;
	}
	EVP_PKEY_CTX *ctx = key->md != NULL ? key_ctx(c, key) : NULL;
	if (ctx == NULL) {
		/* EdDSA, or more keys than contexts kept: the one-shot digest-and-verify */
		ret = TLD_ECRYPTO;
		if (EVP_DigestVerifyInit(c->md, NULL, key->md, NULL, key->pkey) == 1) {
			v = EVP_DigestVerify(c->md, sg, sglen, data, len);
			ret = v == 1 ? TLD_OK : v == 0 ? TLD_EVERIFY : TLD_ECRYPTO;
		}
		EVP_MD_CTX_reset(c->md);
		return ret;
	}
	if (EVP_DigestInit_ex(c->md, key->md, NULL) != 1 || EVP_DigestUpdate(c->md, data, len) != 1 ||
	    EVP_DigestFinal_ex(c->md, dgst, &dlen) != 1) {
		return TLD_ECRYPTO;
	}
	v = EVP_PKEY_verify(ctx, sg, sglen, dgst, dlen);
	return v == 1 ? TLD_OK : v == 0 ? TLD_EVERIFY : TLD_ECRYPTO;
}

int vfy_rrsig_verify(struct vfy_crypto *c, const struct vfy_rec *rrs, size_t n_rrs,
                     const struct vfy_rec *sigrec, const struct vfy_key *key)
{
	return vfy_rrsig_verify_probe(c, rrs, n_rrs, sigrec, key, NULL);
}

int vfy_rrsig_verify_probe(struct vfy_crypto *c, const struct vfy_rec *rrs, size_t n_rrs,
                           const struct vfy_rec *sigrec, const struct vfy_key *key,
                           struct vfy_cache_probe *probe)
{
	uint8_t ttl[4];
	struct vfy_rrsig sig;
	size_t rdlen;
	const uint8_t *rd = vfy_rdata(sigrec, &rdlen);
	int ret;

	if (vfy_parse_rrsig(rd, rdlen, &sig) != TLD_OK) {
		return TLD_EVERIFY;
	}
	memcpy(ttl, rd + 4, 4);
	c->recs_len = 0;
	c->n_slots = 0;
	for (size_t i = 0; i < n_rrs; i++) {
		if ((ret = add_rr(c, &rrs[i], sig.labels, ttl)) != TLD_OK) {
			return ret == TLD_EINVAL ? TLD_EVERIFY : ret;
		}
	}
	/* canonical order of the RRset (RFC 4034 6.3) */
	if (c->n_slots > 1) {
		qsort_r(c->slots, c->n_slots, sizeof(*c->slots), slot_cmp, c->recs);
	}
	/* the RRSIG RDATA up to and with the signer name (lower-cased at load) */
	size_t head = 18 + sig.signer_len;
	if ((ret = reserve(&c->data, &c->data_cap, head + c->recs_len)) != TLD_OK) {
		return ret;
	}
	memcpy(c->data, rd, head);
	for (size_t i = 18; i < head; i++) {
		uint8_t ch = c->data[i];
		c->data[i] = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
	}
	size_t p = head;
	for (size_t i = 0; i < c->n_slots; i++) {
		const struct rr_slot *s = &c->slots[i];
		if (i > 0 && s->len == c->slots[i - 1].len &&
		    memcmp(c->recs + s->off, c->recs + c->slots[i - 1].off, s->len) == 0) {
			continue; /* duplicate RRs count once */
		}
		memcpy(c->data + p, c->recs + s->off, s->len);
		p += s->len;
	}

	if (probe != NULL) {
		/* the entry covers exactly what the public-key check below consumes */
		probe->hit = false;
		if ((ret = vfy_vcache_hash(c->cache_md, c->sha256, probe->key_rdata, probe->key_rdlen,
		                           sig.sig, sig.sig_len, c->data, p, probe->hash)) != TLD_OK) {
			return ret;
		}
		if (vfy_vcache_has(probe->in, probe->hash)) {
			probe->hit = true;
			return TLD_OK;
		}
		if (probe->hash_only) {
			return probe->guess ? TLD_OK : TLD_EVERIFY;
		}
	}
	ret = pk_verify(c, key, sig.sig, sig.sig_len, c->data, p);
	if (ret == TLD_ECRYPTO) {
		ret = TLD_EVERIFY; /* a malformed signature is a bad signature */
	}
	return ret;
}
