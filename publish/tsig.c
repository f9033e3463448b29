/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/tsig.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/error.h"

static const uint8_t ALG_SHA256[] = "\x0bhmac-sha256";
static const uint8_t ALG_SHA512[] = "\x0bhmac-sha512";

const uint8_t *tld_tsig_alg_name(enum tld_tsig_alg alg, size_t *len)
{
	*len = 13;
	return alg == TLD_TSIG_HMAC_SHA512 ? ALG_SHA512 : ALG_SHA256;
}

/* Incremental HMAC over several pieces. */
struct hmac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

static int hmac_begin(struct hmac *h, const struct tld_tsig_key *key)
{
	OSSL_PARAM params[2];
	const char *digest = key->algorithm == TLD_TSIG_HMAC_SHA512 ? "SHA512" : "SHA256";

	h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	h->ctx = h->mac ? EVP_MAC_CTX_new(h->mac) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (h->ctx == NULL || !EVP_MAC_init(h->ctx, key->secret, key->secret_len, params)) {
		EVP_MAC_CTX_free(h->ctx);
		EVP_MAC_free(h->mac);
		return TLD_ECRYPTO;
	}
	return TLD_OK;
}

static void hmac_add(struct hmac *h, const void *data, size_t len)
{
	EVP_MAC_update(h->ctx, data, len);
}

static int hmac_end(struct hmac *h, uint8_t *out, size_t *out_len)
{
	int ok = EVP_MAC_final(h->ctx, out, out_len, TLD_TSIG_MAXMAC);
	EVP_MAC_CTX_free(h->ctx);
	EVP_MAC_free(h->mac);
	return ok ? TLD_OK : TLD_ECRYPTO;
}

static void put48(uint8_t *p, int64_t t)
{
	uint64_t v = (uint64_t)t;
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int64_t get48(const uint8_t *p)
{
	int64_t v = 0;
	for (int i = 0; i < 6; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

/*
 * Computes the MAC: [prior MAC] + message (without TSIG, ARCOUNT as given,
 * ID = original) + variables (full or timers only).
 */
static int compute_mac(const struct tld_tsig_key *key, const uint8_t *prior, size_t prior_len,
                       const uint8_t *msg, size_t msg_len, uint16_t arcount, uint16_t orig_id,
                       int64_t time_signed, uint16_t fudge, uint16_t error,
                       const uint8_t *other, uint16_t other_len, bool timers_only,
                       uint8_t *mac, size_t *mac_len)
{
	struct hmac h;
	uint8_t hdr[TLD_DNS_HDR], tmp[16], kname[TLD_DNS_MAXNAME];
	size_t klen, alen;
	const uint8_t *alg = tld_tsig_alg_name(key->algorithm, &alen);
	int r = hmac_begin(&h, key);
	if (r != TLD_OK) {
		return r;
	}
	if (tld_name_from_text(key->name, kname, &klen) != TLD_OK) {
		klen = 1;
		kname[0] = 0;
	}
	if (prior != NULL) {
		tld_put16(tmp, (uint16_t)prior_len);
		hmac_add(&h, tmp, 2);
		hmac_add(&h, prior, prior_len);
	}
	memcpy(hdr, msg, TLD_DNS_HDR);
	tld_put16(hdr, orig_id);
	tld_put16(hdr + 10, arcount);
	hmac_add(&h, hdr, TLD_DNS_HDR);
	hmac_add(&h, msg + TLD_DNS_HDR, msg_len - TLD_DNS_HDR);
	if (!timers_only) {
		hmac_add(&h, kname, klen);
		tld_put16(tmp, TLD_CLASS_ANY);
		tld_put32(tmp + 2, 0);
		hmac_add(&h, tmp, 6);
		hmac_add(&h, alg, alen);
	}
	put48(tmp, time_signed);
	tld_put16(tmp + 6, fudge);
	hmac_add(&h, tmp, 8);
	if (!timers_only) {
		tld_put16(tmp, error);
		tld_put16(tmp + 2, other_len);
		hmac_add(&h, tmp, 4);
		if (other_len > 0) {
			hmac_add(&h, other, other_len);
		}
	}
	return hmac_end(&h, mac, mac_len);
}

/* Parsed TSIG rdata. */
struct tsig_rdata {
	uint8_t alg[TLD_DNS_MAXNAME];
	size_t alg_len;
	int64_t time_signed;
	uint16_t fudge, mac_len, orig_id, error, other_len;
	const uint8_t *mac, *other;
};

static int parse_tsig_rdata(const struct tld_msg *m, struct tsig_rdata *t)
{
	const struct tld_msg_rr *rr = &m->tsig;
	size_t pos = (size_t)(rr->rdata - m->wire), end = pos + rr->rdlen;
	/* algorithm name must not be compressed: read it within the rdata */
	if (tld_name_read(m->wire, end, &pos, t->alg, &t->alg_len, true) != TLD_OK ||
	    pos + 10 > end) {
		return TLD_EPROTO;
	}
	t->time_signed = get48(m->wire + pos);
	t->fudge = tld_get16(m->wire + pos + 6);
	t->mac_len = tld_get16(m->wire + pos + 8);
	pos += 10;
	if (pos + t->mac_len + 6 > end) {
		return TLD_EPROTO;
	}
	t->mac = m->wire + pos;
	pos += t->mac_len;
	t->orig_id = tld_get16(m->wire + pos);
	t->error = tld_get16(m->wire + pos + 2);
	t->other_len = tld_get16(m->wire + pos + 4);
	pos += 6;
	if (pos + t->other_len != end) {
		return TLD_EPROTO;
	}
	t->other = m->wire + pos;
	return TLD_OK;
}

static size_t mac_size(const struct tld_tsig_key *key)
{
	return key->algorithm == TLD_TSIG_HMAC_SHA512 ? 64 : 32;
}

int tld_tsig_verify_request(const struct tld_msg *m, const struct tld_tsig_key *keys,
                            size_t nkeys, int64_t now, struct tld_tsig_ctx *ctx,
                            int *tsig_error)
{
	struct tsig_rdata t;
	const struct tld_tsig_key *key = NULL;
	uint8_t mac[TLD_TSIG_MAXMAC];
	size_t mac_len = 0;

	memset(ctx, 0, sizeof(*ctx));
	*tsig_error = TLD_RCODE_BADKEY;
	if (!m->has_tsig || parse_tsig_rdata(m, &t) != TLD_OK) {
		return TLD_ETSIG;
	}
	for (size_t i = 0; i < nkeys; i++) {
		uint8_t kn[TLD_DNS_MAXNAME];
		size_t kl, al;
		const uint8_t *alg = tld_tsig_alg_name(keys[i].algorithm, &al);
		if (tld_name_from_text(keys[i].name, kn, &kl) == TLD_OK && kl == m->tsig.owner_len &&
		    memcmp(kn, m->tsig.owner, kl) == 0 && al == t.alg_len &&
		    memcmp(alg, t.alg, al) == 0) {
			key = &keys[i];
			break;
		}
	}
	ctx->original_id = t.orig_id;
	if (key == NULL) {
		return TLD_ETSIG;
	}
	ctx->key = key;
	*tsig_error = TLD_RCODE_BADSIG;
	/* truncated MACs (RFC 8945 5.2.2.1) are not accepted: full length only */
	if (t.mac_len != mac_size(key) ||
	    compute_mac(key, NULL, 0, m->wire, m->tsig_start, (uint16_t)(m->arcount - 1),
	                t.orig_id, t.time_signed, t.fudge, t.error, t.other, t.other_len,
	                false, mac, &mac_len) != TLD_OK ||
	    mac_len != t.mac_len || CRYPTO_memcmp(mac, t.mac, mac_len) != 0) {
		return TLD_ETSIG;
	}
	/* the MAC is good: the response is signed with it as prior MAC */
	memcpy(ctx->mac, t.mac, t.mac_len);
	ctx->mac_len = t.mac_len;
	if (now > t.time_signed + t.fudge || now < t.time_signed - t.fudge) {
		*tsig_error = TLD_RCODE_BADTIME;
		return TLD_ETSIG;
	}
	*tsig_error = 0;
	return TLD_OK;
}

static int append_tsig(struct tld_tsig_ctx *ctx, uint8_t *buf, size_t *len, size_t cap,
                       int64_t now, uint16_t error, bool sign, bool is_request)
{
	const struct tld_tsig_key *key = ctx->key;
	uint8_t kname[TLD_DNS_MAXNAME], mac[TLD_TSIG_MAXMAC], other[6];
	size_t klen, alen, mac_len = 0;
	uint16_t other_len = 0;
	const uint8_t *alg = tld_tsig_alg_name(key->algorithm, &alen);
	uint16_t arcount = tld_get16(buf + 10);
	bool timers_only = !is_request && ctx->messages > 0;

	if (tld_name_from_text(key->name, kname, &klen) != TLD_OK) {
		return TLD_EINVAL;
	}
	if (error == TLD_RCODE_BADTIME) {
		put48(other, now);
		other_len = 6;
	}
	if (sign) {
		int r = compute_mac(key, is_request ? NULL : ctx->mac, is_request ? 0 : ctx->mac_len,
		                    buf, *len, arcount, ctx->original_id, now, TLD_TSIG_FUDGE, error,
		                    other, other_len, timers_only, mac, &mac_len);
		if (r != TLD_OK) {
			return r;
		}
	}
	size_t need = klen + 10 + alen + 10 + mac_len + 6 + other_len;
	if (*len + need > cap) {
		return TLD_ENOSPC;
	}
	uint8_t *p = buf + *len;
	memcpy(p, kname, klen);
	p += klen;
	tld_put16(p, TLD_RR_TSIG);
	tld_put16(p + 2, TLD_CLASS_ANY);
	tld_put32(p + 4, 0);
	tld_put16(p + 8, (uint16_t)(alen + 10 + mac_len + 6 + other_len));
	p += 10;
	memcpy(p, alg, alen);
	p += alen;
	put48(p, now);
	tld_put16(p + 6, TLD_TSIG_FUDGE);
	tld_put16(p + 8, (uint16_t)mac_len);
	p += 10;
	memcpy(p, mac, mac_len);
	p += mac_len;
	tld_put16(p, ctx->original_id);
	tld_put16(p + 2, error);
	tld_put16(p + 4, other_len);
	p += 6;
	memcpy(p, other, other_len);
	*len += need;
	tld_put16(buf + 10, (uint16_t)(arcount + 1));
	if (sign) {
		memcpy(ctx->mac, mac, mac_len);
		ctx->mac_len = mac_len;
		if (!is_request) {
			ctx->messages++;
		}
	}
	return TLD_OK;
}

int tld_tsig_sign(struct tld_tsig_ctx *ctx, uint8_t *buf, size_t *len, size_t cap,
                  int64_t now, uint16_t error, bool sign)
{
	return append_tsig(ctx, buf, len, cap, now, error, sign, false);
}

int tld_tsig_sign_request(struct tld_tsig_ctx *ctx, const struct tld_tsig_key *key,
                          uint8_t *buf, size_t *len, size_t cap, int64_t now)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->key = key;
	ctx->original_id = tld_get16(buf);
	return append_tsig(ctx, buf, len, cap, now, 0, true, true);
}

int tld_tsig_verify_response(struct tld_tsig_ctx *ctx, const struct tld_msg *m, int64_t now)
{
	struct tsig_rdata t;
	uint8_t mac[TLD_TSIG_MAXMAC];
	size_t mac_len = 0;
	uint8_t kn[TLD_DNS_MAXNAME];
	size_t kl;

	if (!m->has_tsig || parse_tsig_rdata(m, &t) != TLD_OK ||
	    tld_name_from_text(ctx->key->name, kn, &kl) != TLD_OK ||
	    kl != m->tsig.owner_len || memcmp(kn, m->tsig.owner, kl) != 0 ||
	    t.error != 0 || t.mac_len != mac_size(ctx->key)) {
		return TLD_ETSIG;
	}
	if (compute_mac(ctx->key, ctx->mac, ctx->mac_len, m->wire, m->tsig_start,
	                (uint16_t)(m->arcount - 1), t.orig_id, t.time_signed, t.fudge, t.error,
	                t.other, t.other_len, false, mac, &mac_len) != TLD_OK ||
	    mac_len != t.mac_len || CRYPTO_memcmp(mac, t.mac, mac_len) != 0) {
		return TLD_ETSIG;
	}
	if (now > t.time_signed + t.fudge || now < t.time_signed - t.fudge) {
		return TLD_ETSIG;
	}
	return TLD_OK;
}
