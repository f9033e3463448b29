/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TSIG (RFC 8945) with hmac-sha256 and hmac-sha512: verifying requests,
 * signing every message of a (multi-message) response, signing requests we
 * send (NOTIFY, SOA queries) and verifying their answers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "publish/dnswire.h"

#define TLD_TSIG_MAXMAC 64
#define TLD_TSIG_FUDGE 300

/*! The state of one signed exchange: key and the MAC to chain on. */
struct tld_tsig_ctx {
	const struct tld_tsig_key *key;
	uint8_t mac[TLD_TSIG_MAXMAC];   /*!< prior MAC (request, then last response) */
	size_t mac_len;
	unsigned messages;              /*!< response messages signed so far */
	uint16_t original_id;
};

/*!
 * \brief Verifies the TSIG of a request.
 * \param[in]  m      parsed request with m->has_tsig
 * \param[in]  keys   configured keys
 * \param[in]  now    current time (seconds)
 * \param[out] ctx    key and request MAC for signing the response (set when the key is known)
 * \param[out] tsig_error  0, TLD_RCODE_BADKEY, TLD_RCODE_BADSIG or TLD_RCODE_BADTIME
 * \return TLD_OK when verified, TLD_ETSIG otherwise (tsig_error says why)
 */
int tld_tsig_verify_request(const struct tld_msg *m, const struct tld_tsig_key *keys,
                            size_t nkeys, int64_t now, struct tld_tsig_ctx *ctx,
                            int *tsig_error);

/*!
 * \brief Appends a TSIG RR to a finished response message in buf and
 *        increments ARCOUNT.  The first response uses full TSIG variables,
 *        later ones (ctx->messages > 0) the timers only (RFC 8945 5.3.1).
 * \param[in,out] buf  message; must have room for the TSIG RR
 * \param[in,out] len  message length, updated
 * \param[in] error    TSIG error field (0, or BADTIME/... for error replies)
 * \param[in] sign     false = unsigned error reply (BADKEY/BADSIG: empty MAC)
 * \return TLD_OK, TLD_ENOSPC or TLD_ECRYPTO
 */
int tld_tsig_sign(struct tld_tsig_ctx *ctx, uint8_t *buf, size_t *len, size_t cap,
                  int64_t now, uint16_t error, bool sign);

/*!
 * \brief Signs a request we send (NOTIFY, SOA query); starts ctx.
 * \return TLD_OK, TLD_ENOSPC or TLD_ECRYPTO
 */
int tld_tsig_sign_request(struct tld_tsig_ctx *ctx, const struct tld_tsig_key *key,
                          uint8_t *buf, size_t *len, size_t cap, int64_t now);

/*!
 * \brief Verifies the TSIG of a response to our signed request.
 * \return TLD_OK or TLD_ETSIG
 */
int tld_tsig_verify_response(struct tld_tsig_ctx *ctx, const struct tld_msg *m, int64_t now);

/*! Wire name of the algorithm ("hmac-sha256."). */
const uint8_t *tld_tsig_alg_name(enum tld_tsig_alg alg, size_t *len);
