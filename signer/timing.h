/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signature timing and SOA serials: pure functions of (policy, inputs, now)
 * (STYLE.md practice 12).  "now" is captured once per run by the caller.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "policy/policy.h"

/*! Inception and expiration of one RRSIG, in RRSIG (RFC 1982 32-bit) form. */
struct signer_sig_times {
	uint32_t inception;
	uint32_t expiration;
};

/*!
 * \brief Times for a new signature over (owner, type):
 *        inception = now - inception_offset;
 *        expiration = now + validity (dnskey_validity for DNSKEY, CDS,
 *        CDNSKEY) + jitter, jitter in [-jitter, +jitter] derived from a hash
 *        of (owner, type, seed): reruns give the same times, and expiries of
 *        a zone's RRsets spread over the window instead of falling together.
 * \param[in] owner  lower-case wire owner
 * \param[in] seed   per-zone seed (e.g. from the state store)
 * \return TLD_OK, TLD_EINVAL (validity not above jitter and offset), TLD_ETIME
 */
int signer_sig_times(const struct tld_policy *pol, uint16_t rrtype, const uint8_t *owner, uint64_t seed,
                     tld_time_t now, struct signer_sig_times *out);

/*! RFC 1982: a > b in serial number arithmetic. */
bool signer_serial_gt(uint32_t a, uint32_t b);

/*!
 * \brief Next SOA serial by the policy's scheme, always greater than prev in
 *        RFC 1982 arithmetic when have_prev:
 *        unixtime = now; datecounter = YYYYMMDDnn (UTC); counter = prev + 1
 *        (or the input's serial when there is no previous version).  When the
 *        scheme's value is not greater than prev, prev + 1 is used.
 * \param[in] input_serial  the unsigned zone's serial
 * \return TLD_OK, TLD_EINVAL (unknown scheme), TLD_ETIME
 */
int signer_serial_next(enum tld_serial_scheme scheme, uint32_t input_serial, bool have_prev,
                       uint32_t prev, tld_time_t now, uint32_t *out);
