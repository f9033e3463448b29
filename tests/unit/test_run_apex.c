/* SPDX-License-Identifier: GPL-3.0-or-later */
/* run/apex_digest: the apex-change guard's digest ignores order and case, sees every change. */
#include <string.h>

#include "common/error.h"
#include "run/pipeline.h"
#include "tests/tap/tap.h"

int main(void)
{
	plan_lazy();
	char *ns1[] = { "ns1.nic.test.", "ns2.nic.test." };
	char *ns2[] = { "NS2.nic.test.", "ns1.NIC.test." };
	char *ns3[] = { "ns1.nic.test.", "ns3.nic.test." };
	char *ns4[] = { "ns1.nic.test." };
	char a[65], b[65], c[65], d[65], e[65], f[65];
	is_int(TLD_OK, tld_run_apex_digest(ns1, 2, "ns1.nic.test.", "hostmaster.nic.test.", a), "digest");
	is_int(64, (long)strlen(a), "64 hex digits");
	is_int(TLD_OK, tld_run_apex_digest(ns2, 2, "NS1.nic.test.", "hostmaster.nic.test.", b), "digest");
	is_str(a, b, "NS order and case do not matter");
	tld_run_apex_digest(ns3, 2, "ns1.nic.test.", "hostmaster.nic.test.", c);
	ok(strcmp(a, c) != 0, "a different NS name changes the digest");
	tld_run_apex_digest(ns4, 1, "ns1.nic.test.", "hostmaster.nic.test.", d);
	ok(strcmp(a, d) != 0, "a removed NS changes the digest");
	tld_run_apex_digest(ns1, 2, "ns2.nic.test.", "hostmaster.nic.test.", e);
	ok(strcmp(a, e) != 0, "a different MNAME changes the digest");
	tld_run_apex_digest(ns1, 2, "ns1.nic.test.", "dns.nic.test.", f);
	ok(strcmp(a, f) != 0, "a different RNAME changes the digest");
	/* MNAME/RNAME swapped must not collide */
	tld_run_apex_digest(ns1, 2, "hostmaster.nic.test.", "ns1.nic.test.", f);
	ok(strcmp(a, f) != 0, "swapped MNAME and RNAME differ");
	return exit_status();
}
