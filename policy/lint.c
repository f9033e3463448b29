/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "common/clock.h"
#include "policy/keystate.h"
#include "policy/lint.h"

static unsigned warn(tld_lint_fn fn, void *ctx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static unsigned warn(tld_lint_fn fn, void *ctx, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(key, msg, ctx);
	return 1;
}

/* Shortest time a rollover of this role takes from start to finish. */
static int64_t rollover_span(const struct tld_policy *pol, enum tld_key_role role)
{
	int64_t dnskey = tld_keystate_wait(pol, TLD_KR_DNSKEY, false) + tld_keystate_wait(pol, TLD_KR_DNSKEY, true);
	int64_t zsig = tld_keystate_wait(pol, TLD_KR_ZRRSIG, false) + tld_keystate_wait(pol, TLD_KR_ZRRSIG, true);
	int64_t ds = tld_keystate_wait(pol, TLD_KR_DS, false) + tld_keystate_wait(pol, TLD_KR_DS, true);
	switch (role) {
	case TLD_ROLE_ZSK: return dnskey + zsig;
	case TLD_ROLE_KSK: return dnskey + ds;
	default: return dnskey + zsig + ds;
	}
}

static unsigned check_lifetime(const struct tld_policy *pol, tld_lint_fn fn, void *ctx, const char *key,
                               int64_t lifetime, enum tld_key_role role)
{
	char a[32], b[32];
	int64_t span = rollover_span(pol, role);
	if (lifetime > 0 && lifetime < 2 * span) {
		return warn(fn, ctx, key, "lifetime %s is short for the TTLs and delays: one rollover alone takes "
		            "at least %s (plus the parent's time for DS changes)",
		            tld_duration_format(lifetime, a, sizeof(a)), tld_duration_format(span, b, sizeof(b)));
	}
	return 0;
}

unsigned tld_policy_lint(const struct tld_policy *pol, tld_lint_fn fn, void *ctx)
{
	unsigned n = 0;
	char a[32], b[32];

	if (pol->use_csk) {
		n += check_lifetime(pol, fn, ctx, "keys.csk.lifetime", pol->csk_lifetime, TLD_ROLE_CSK);
	} else {
		n += check_lifetime(pol, fn, ctx, "keys.ksk.lifetime", pol->ksk_lifetime, TLD_ROLE_KSK);
		n += check_lifetime(pol, fn, ctx, "keys.zsk.lifetime", pol->zsk_lifetime, TLD_ROLE_ZSK);
	}
	if (pol->denial.type == TLD_DENIAL_NSEC3 && pol->denial.iterations > 0) {
		n += warn(fn, ctx, "denial.iterations", "%u additional NSEC3 iterations: RFC 9276 says 0",
		          pol->denial.iterations);
	}
	if (pol->denial.type == TLD_DENIAL_NSEC3 && pol->denial.salt_len > 0) {
		n += warn(fn, ctx, "denial.salt", "an NSEC3 salt: RFC 9276 says none");
	}
	if ((pol->algorithm == TLD_ALG_RSASHA256 || pol->algorithm == TLD_ALG_RSASHA512) &&
	    pol->rsa_bits < 2048) {
		n += warn(fn, ctx, "keys.rsa-bits", "RSA keys of %u bits: use at least 2048", pol->rsa_bits);
	}
	if ((int)pol->algorithm == 5 || (int)pol->algorithm == 7) {
		n += warn(fn, ctx, "algorithm", "algorithm %d uses SHA-1 (RFC 8624: must not sign)", (int)pol->algorithm);
	}
	if (pol->parent.ds_digest == 1) {
		n += warn(fn, ctx, "parent.ds-digest", "SHA-1 DS digests (RFC 8624: must not)");
	}
	if (pol->signatures.validity > 0 &&
	    pol->signatures.validity - pol->signatures.refresh - pol->signatures.jitter < (int64_t)pol->ttl.max_zone) {
		n += warn(fn, ctx, "signatures.refresh", "signatures may expire while caches hold them: validity %s "
		          "minus refresh and jitter is less than the max zone TTL %s",
		          tld_duration_format(pol->signatures.validity, a, sizeof(a)),
		          tld_duration_format(pol->ttl.max_zone, b, sizeof(b)));
	}
	if (pol->signatures.dnskey_validity > 0 &&
	    pol->signatures.dnskey_validity - pol->signatures.refresh < (int64_t)pol->ttl.dnskey) {
		n += warn(fn, ctx, "signatures.dnskey-validity", "DNSKEY signatures may expire while caches hold them");
	}
	if (pol->parent.cds == TLD_CDS_NONE && pol->parent.nameservers_count == 0) {
		n += warn(fn, ctx, "parent", "no CDS and no parent nameservers: every DS change needs `tldsign ds "
		          "seen`/`ds gone` by hand");
	}
	if (pol->parent.cds == TLD_CDS_DELETE) {
		n += warn(fn, ctx, "parent.cds", "delete: the zone publishes CDS/CDNSKEY delete records (RFC 8078) "
		          "asking the parent to remove every DS; the zone becomes insecure");
	}
	if (pol->parent.ds_wait_warning > 0 && pol->parent.ds_wait_warning < pol->parent.propagation_delay) {
		n += warn(fn, ctx, "parent.ds-wait-warning", "shorter than parent.propagation-delay: every DS "
		          "change will be flagged");
	}
	return n;
}
