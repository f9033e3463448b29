/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "common/error.h"
#include "policy/examples.h"

#define DAY 86400
#define HOUR 3600

const char *const tld_policy_example_names[] = {
	"ecdsa-double-ds", "ecdsa-double-ksk", "csk", "rsa", NULL,
};

/* DESIGN.md §8's sample policy.yaml */
static void base(struct tld_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->algorithm = TLD_ALG_ECDSAP256SHA256;
	p->ksk_lifetime = 365 * DAY;
	p->zsk_lifetime = 90 * DAY;
	p->csk_lifetime = 365 * DAY;
	p->rsa_bits = 2048;
	p->ksk_rollover = TLD_KSK_DOUBLE_DS;
	p->zsk_rollover = TLD_ZSK_PRE_PUBLISH;
	p->denial.type = TLD_DENIAL_NSEC3;
	p->denial.opt_out = true;
	p->signatures.validity = 14 * DAY;
	p->signatures.dnskey_validity = 21 * DAY;
	p->signatures.refresh = 7 * DAY;
	p->signatures.jitter = 12 * HOUR;
	p->signatures.inception_offset = HOUR;
	p->serial = TLD_SERIAL_UNIXTIME;
	p->ttl.dnskey = 3600;
	p->ttl.max_zone = 172800;
	p->parent.ds_ttl = 86400;
	p->parent.propagation_delay = HOUR;
	p->parent.ds_digest = 2;
	p->parent.cds = TLD_CDS_ROLLOVER;
	p->timing.propagation_delay = HOUR;
	p->timing.publish_safety = HOUR;
	p->timing.retire_safety = HOUR;
}

int tld_policy_example(const char *name, struct tld_policy *pol)
{
	struct tld_policy p;
	base(&p);
	if (strcmp(name, "ecdsa-double-ds") == 0) {
		/* base */
	} else if (strcmp(name, "ecdsa-double-ksk") == 0) {
		p.ksk_rollover = TLD_KSK_DOUBLE_KSK;
	} else if (strcmp(name, "csk") == 0) {
		p.use_csk = true;
		p.csk_lifetime = 180 * DAY;
	} else if (strcmp(name, "rsa") == 0) {
		p.algorithm = TLD_ALG_RSASHA256;
		p.rsa_bits = 2048;
		p.ksk_rollover = TLD_KSK_DOUBLE_KSK;
		p.zsk_lifetime = 30 * DAY;
	} else {
		return TLD_ENOENT;
	}
	*pol = p;
	return TLD_OK;
}
