/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SHA-256 and the check of a zone text: see common/textcheck.h. */
#include "common/textcheck.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"

/* Bytes digested, then checked, at a time: well within the 1 MiB L2 of the machines we measure on. */
#define PIECE ((size_t)256 << 10)

static const uint64_t LANE_MUL = 0x9e3779b97f4a7c15ull;

static inline uint64_t lane(uint64_t h, uint64_t w)
{
	h = (h ^ w) * LANE_MUL;
	return h ^ (h >> 31);
}

void tld_text_check_init(struct tld_text_check *c)
{
	c->h[0] = 0x243f6a8885a308d3ull;
	c->h[1] = 0x13198a2e03707344ull;
	c->h[2] = 0xa4093822299f31d0ull;
	c->h[3] = 0x082efa98ec4e6c89ull;
	c->done = 0;
}

/* Feeds the lanes h the 32-byte blocks at p (n of them). */
static void feed_blocks(uint64_t h[4], const char *p, size_t n)
{
	uint64_t h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], w[4];
	for (const char *end = p + 32 * n; p < end; p += 32) {
		memcpy(w, p, 32);
		h0 = lane(h0, w[0]);
		h1 = lane(h1, w[1]);
		h2 = lane(h2, w[2]);
		h3 = lane(h3, w[3]);
	}
	h[0] = h0;
	h[1] = h1;
	h[2] = h2;
	h[3] = h3;
}

/* The check of a text of len bytes whose whole blocks h was fed; tail: its last len % 32 bytes. */
static uint64_t finish(uint64_t h[4], const char *tail, size_t len)
{
	/* fewer than 32 bytes left: 8-byte words (the last one short) into the lanes in turn */
	size_t i = 0, n_tail = len % 32;
	for (int k = 0; i < n_tail; k = (k + 1) % 4) {
		size_t n = n_tail - i < 8 ? n_tail - i : 8;
		uint64_t w = 0;
		memcpy(&w, tail + i, n);
		h[k] = lane(h[k], w);
		i += n;
	}
	uint64_t x = (uint64_t)len;
	for (int k = 0; k < 4; k++) {
		x = (x ^ h[k]) * 0xff51afd7ed558ccdull;
		x ^= x >> 33;
	}
	return x;
}

void tld_text_check_feed(struct tld_text_check *c, const char *text, size_t upto)
{
	if (upto >= c->done + 32) {
		size_t n = (upto - c->done) / 32;
		feed_blocks(c->h, text + c->done, n);
		c->done += 32 * n;
	}
}

uint64_t tld_text_check_end(struct tld_text_check *c, const char *text, size_t len)
{
	tld_text_check_feed(c, text, len);
	return finish(c->h, text + c->done, len);
}

uint64_t tld_zone_text_check(const char *text, size_t len)
{
	struct tld_text_check c;
	tld_text_check_init(&c);
	return tld_text_check_end(&c, text, len);
}

int tld_text_stream_init(struct tld_text_stream *s, bool with_check)
{
	memset(s, 0, sizeof(*s));
	tld_text_check_init(&s->check);
	s->with_check = with_check;
	s->md = EVP_MD_CTX_new();
	if (s->md == NULL || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		tld_text_stream_free(s);
		return TLD_ECRYPTO;
	}
	return TLD_OK;
}

/* The check fed n more bytes of the text at p: whole blocks straight from p, the rest held. */
static void check_add(struct tld_text_stream *s, const char *p, size_t n)
{
	size_t held = s->len % 32;
	s->len += n;
	if (held > 0) {
		size_t take = 32 - held < n ? 32 - held : n;
		memcpy(s->held + held, p, take);
		p += take;
		n -= take;
		if (held + take < 32) {
			return;
		}
		feed_blocks(s->check.h, s->held, 1);
	}
	feed_blocks(s->check.h, p, n / 32);
	memcpy(s->held, p + n / 32 * 32, n % 32);
}

int tld_text_stream_add(struct tld_text_stream *s, const char *p, size_t n)
{
	while (n > 0) {
		/* each piece checked while it is in the cache the digest read it into */
		size_t k = n < PIECE ? n : PIECE;
		if (s->md == NULL || EVP_DigestUpdate(s->md, p, k) != 1) {
			return TLD_ECRYPTO;
		}
		if (s->with_check) {
			check_add(s, p, k);
		} else {
			s->len += k;
		}
		p += k;
		n -= k;
	}
	return TLD_OK;
}

int tld_text_stream_end(struct tld_text_stream *s, char hex[65], uint64_t *check)
{
	uint8_t md[32];
	unsigned mdlen = 0;
	bool ok = s->md != NULL && EVP_DigestFinal_ex(s->md, md, &mdlen) == 1 && mdlen == 32;
	if (ok) {
		for (unsigned i = 0; i < 32; i++) {
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		}
		if (check != NULL && s->with_check) { /* a stream without the check fed none: no value */
			*check = finish(s->check.h, s->held, s->len);
		}
	}
	tld_text_stream_free(s);
	return ok ? TLD_OK : TLD_ECRYPTO;
}

void tld_text_stream_free(struct tld_text_stream *s)
{
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

int tld_text_stream_copy(struct tld_text_stream *dst, const struct tld_text_stream *src)
{
	*dst = *src;
	dst->md = EVP_MD_CTX_new();
	if (dst->md == NULL || src->md == NULL || EVP_MD_CTX_copy_ex(dst->md, src->md) != 1) {
		tld_text_stream_free(dst);
		return TLD_ECRYPTO;
	}
	return TLD_OK;
}

void tld_text_digest_release(struct tld_text_digest *d)
{
	if (d->partial != NULL) {
		tld_text_stream_free(d->partial);
		free(d->partial);
	}
	memset(d, 0, sizeof(*d));
}

int tld_zone_text_digest_check(const char *text, size_t len, char hex[65], uint64_t *check)
{
	struct tld_text_stream s;
	int r = tld_text_stream_init(&s, check != NULL);
	if (r == TLD_OK && (r = tld_text_stream_add(&s, text, len)) != TLD_OK) {
		tld_text_stream_free(&s);
	}
	return r == TLD_OK ? tld_text_stream_end(&s, hex, check) : r;
}

int tld_zone_text_digest(const char *text, size_t len, char hex[65])
{
	return tld_zone_text_digest_check(text, len, hex, NULL);
}
