/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 5155 §5 iterated SHA-1 hash and base32hex, written for the verifier. */
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

int vfy_nsec3_hash(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *wire, size_t wlen,
                   const uint8_t *salt, size_t salt_len, unsigned iterations,
                   uint8_t out[20])
{
	unsigned int dlen = 0;

	/* no salt (RFC 9276's advice, the common case): one update less per hash */
	if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, wire, wlen) ||
	    (salt_len > 0 && !EVP_DigestUpdate(ctx, salt, salt_len)) ||
	    !EVP_DigestFinal_ex(ctx, out, &dlen) || dlen != 20) {
		return TLD_ECRYPTO;
	}
	for (unsigned i = 0; i < iterations; i++) {
		if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, out, 20) ||
		    (salt_len > 0 && !EVP_DigestUpdate(ctx, salt, salt_len)) ||
		    !EVP_DigestFinal_ex(ctx, out, &dlen) || dlen != 20) {
			return TLD_ECRYPTO;
		}
	}
	return TLD_OK;
}

static int b32_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'v') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'V') {
		return c - 'A' + 10;
	}
	return -1;
}

int vfy_base32hex_decode(const char *text, size_t len, uint8_t *out)
{
	uint32_t acc = 0;
	int bits = 0;
	int n = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b32_value(text[i]);
		if (v < 0) {
			return -1;
		}
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits >= 5 || acc != 0) {
		return -1;
	}
	return n;
}

size_t vfy_base32hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = digits[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0) {
		out[n++] = digits[(acc << (5 - bits)) & 31];
	}
	out[n] = 0;
	return n;
}
