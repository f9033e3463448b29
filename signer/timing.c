/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/timing.h"

#include <time.h>

#include "common/error.h"
#include "signer/dname.h"
#include "signer/rrtype.h"

/* FNV-1a 64 then a splitmix finaliser: stable across runs and platforms */
static uint64_t mix(const uint8_t *owner, uint16_t type, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t len = signer_dname_len(owner, SIGNER_DNAME_MAX);
	for (size_t i = 0; i < len; i++) {
		h = (h ^ owner[i]) * 0x100000001b3ULL;
	}
	h = (h ^ (type >> 8)) * 0x100000001b3ULL;
	h = (h ^ (type & 0xff)) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int signer_sig_times(const struct tld_policy *pol, uint16_t rrtype, const uint8_t *owner, uint64_t seed,
                     tld_time_t now, struct signer_sig_times *out)
{
	bool key_type = rrtype == SIGNER_T_DNSKEY || rrtype == SIGNER_T_CDS || rrtype == SIGNER_T_CDNSKEY;
	int64_t validity = key_type ? pol->signatures.dnskey_validity : pol->signatures.validity;
	int64_t jitter = pol->signatures.jitter;
	if (validity <= 0 || jitter < 0 || pol->signatures.inception_offset < 0 || jitter >= validity) {
		return TLD_EINVAL;
	}
	int64_t j = 0;
	if (jitter > 0) {
		j = (int64_t)(mix(owner, rrtype, seed) % (uint64_t)(2 * jitter + 1)) - jitter;
	}
	int64_t inception = now - pol->signatures.inception_offset;
	int64_t expiration = now + validity + j;
	if (inception < 0 || expiration <= now) {
		return TLD_ETIME;
	}
	/* RRSIG times are 32-bit serial numbers (RFC 4034 3.1.5): wrap on purpose */
	out->inception = (uint32_t)inception;
	out->expiration = (uint32_t)expiration;
	return TLD_OK;
}

bool signer_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

int signer_serial_next(enum tld_serial_scheme scheme, uint32_t input_serial, bool have_prev,
                       uint32_t prev, tld_time_t now, uint32_t *out)
{
	uint32_t s;
	switch (scheme) {
	case TLD_SERIAL_UNIXTIME:
		if (now < 0) {
			return TLD_ETIME;
		}
		s = (uint32_t)now;
		break;
	case TLD_SERIAL_DATECOUNTER: {
		time_t t = (time_t)now;
		struct tm tm;
		if (now < 0 || gmtime_r(&t, &tm) == NULL) {
			return TLD_ETIME;
		}
		s = (uint32_t)(tm.tm_year + 1900) * 1000000u + (uint32_t)(tm.tm_mon + 1) * 10000u +
		    (uint32_t)tm.tm_mday * 100u;
		break;
	}
	case TLD_SERIAL_COUNTER:
		s = have_prev ? prev + 1 : input_serial;
		break;
	default:
		return TLD_EINVAL;
	}
	if (have_prev && !signer_serial_gt(s, prev)) {
		s = prev + 1;
	}
	*out = s;
	return TLD_OK;
}
