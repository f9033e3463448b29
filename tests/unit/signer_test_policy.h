/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the signer's tests (header-only, static): the policy they sign under
 * (ECDSA P-256, ten-year signatures, a week's refresh, half a day's jitter,
 * counter serials) with the denial given.
 */
#pragma once

#include <stdbool.h>
#include <string.h>

#include "policy/policy.h"

static inline struct tld_policy make_policy(enum tld_denial_type denial, bool opt_out)
{
	struct tld_policy p;
	memset(&p, 0, sizeof(p));
	p.algorithm = TLD_ALG_ECDSAP256SHA256;
	p.denial.type = denial;
	p.denial.opt_out = opt_out;
	p.signatures.validity = 3650 * 86400LL;
	p.signatures.dnskey_validity = 3650 * 86400LL;
	p.signatures.refresh = 7 * 86400;
	p.signatures.jitter = 43200;
	p.signatures.inception_offset = 3600;
	p.serial = TLD_SERIAL_COUNTER;
	p.ttl.dnskey = 3600;
	p.parent.ds_digest = 2;
	p.ksk_rollover = TLD_KSK_DOUBLE_KSK;
	p.zsk_rollover = TLD_ZSK_PRE_PUBLISH;
	p.parent.propagation_delay = 3600;
	p.parent.ds_ttl = 86400;
	p.timing.propagation_delay = 300;
	p.timing.publish_safety = 3600;
	p.timing.retire_safety = 3600;
	return p;
}
