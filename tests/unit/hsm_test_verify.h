/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test helper (header-only, static): checks a DNSSEC ECDSA P-256 signature with ldns, not with the code under test. */
#pragma once

#include <ldns/ldns.h>
#include <openssl/ec.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! ECDSA P-256 r||s over msg against the DNSKEY public key (X||Y, klen 64). */
static inline bool verify_p256(const uint8_t *sig, size_t slen, const uint8_t *msg, size_t mlen, const uint8_t *key,
                               size_t klen)
{
	unsigned char *der = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)slen / 2, NULL), BN_bin2bn(sig + slen / 2, (int)slen / 2, NULL));
	int dlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	ldns_buffer *buf = ldns_buffer_new(mlen);
	ldns_buffer_write(buf, msg, mlen);
	bool good = dlen > 0 && ldns_verify_rrsig_buffers_raw(der, (size_t)dlen, buf, (uint8_t *)key, klen, 13) ==
	                                LDNS_STATUS_OK;
	ldns_buffer_free(buf);
	OPENSSL_free(der);
	return good;
}
