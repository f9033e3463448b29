/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy/lint: the warnings of `policy check`, one case per rule. */
#include <string.h>

#include "policy/examples.h"
#include "policy/lint.h"
#include "tests/tap/tap.h"

struct seen {
	char keys[1024];
};

static void collect(const char *key, const char *message, void *ctx)
{
	struct seen *s = ctx;
	(void)message;
	strncat(s->keys, key, sizeof(s->keys) - strlen(s->keys) - 2);
	strcat(s->keys, " ");
}

int main(void)
{
	plan_lazy();
	for (size_t i = 0; tld_policy_example_names[i]; i++) {
		struct tld_policy p;
		struct seen s = { "" };
		tld_policy_example(tld_policy_example_names[i], &p);
		is_int(0, tld_policy_lint(&p, collect, &s), "example %s: no warning %s", tld_policy_example_names[i], s.keys);
	}
	struct {
		const char *what;
		void (*edit)(struct tld_policy *);
		const char *key;
	} cases[] = {
		{ "short ZSK lifetime", NULL, "keys.zsk.lifetime" },
		{ "NSEC3 iterations", NULL, "denial.iterations" },
		{ "NSEC3 salt", NULL, "denial.salt" },
		{ "RSA 1024", NULL, "keys.rsa-bits" },
		{ "SHA-1 DS", NULL, "parent.ds-digest" },
		{ "refresh too late", NULL, "signatures.refresh" },
		{ "no CDS, no parent servers", NULL, "parent" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tld_policy p;
		struct seen s = { "" };
		tld_policy_example(i == 3 ? "rsa" : "ecdsa-double-ds", &p);
		switch (i) {
		case 0: p.zsk_lifetime = 86400; break;
		case 1: p.denial.iterations = 10; break;
		case 2: p.denial.salt_len = 4; break;
		case 3: p.rsa_bits = 1024; break;
		case 4: p.parent.ds_digest = 1; break;
		case 5: p.signatures.refresh = 13 * 86400; break;
		case 6: p.parent.cds = TLD_CDS_NONE; break;
		}
		ok(tld_policy_lint(&p, collect, &s) >= 1, "%s: warned", cases[i].what);
		ok(strstr(s.keys, cases[i].key) != NULL, "%s: names %s (%s)", cases[i].what, cases[i].key, s.keys);
	}
	return exit_status();
}
