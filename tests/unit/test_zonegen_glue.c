/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Glue rules (DESIGN section 4): in-bailiwick addresses are published only
 * when the host is at or below a delegated domain and is NS of a delegated
 * domain; sibling glue; a host at the delegation point itself; orphan glue;
 * lame in-zone hosts; apex.records hosts; apex data under a delegation.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "tests/unit/zonegen_fixture.h"
#include "zonegen/name.h"

static char tmpdir[] = "/tmp/test_zonegen_glue.XXXXXX";

static char *run(const char *domains, const char *ns, const char *hosts, const char *apex,
                 struct tld_zonegen **zg)
{
	static int seq;
	static char dir[512], apex_path[600];
	snprintf(dir, sizeof(dir), "%s/e%d", tmpdir, seq++);
	const struct fx_file files[] = {
		{ "domains.csv", domains },
		{ "nameservers.csv", ns },
		{ "hosts.csv", hosts },
	};
	fx_export(dir, files, 3, "2026-11-21T10:00:00Z", "test.");
	static struct tld_config cfg;
	fx_config(&cfg, dir);
	if (apex != NULL) {
		snprintf(apex_path, sizeof(apex_path), "%s/apex.zone", dir);
		FILE *f = fopen(apex_path, "w");
		fputs(apex, f);
		fclose(f);
		cfg.apex.records = apex_path;
	}
	int ret;
	char *zone = fx_zone(&cfg, zg, &ret);
	if (zone == NULL) {
		diag("build failed: %d", ret);
	}
	return zone;
}

int main(void)
{
	plan_lazy();
	tld_time_t now;
	tld_time_parse("2026-11-21T10:00:00Z", &now);
	tld_clock_pin(now);
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("no temp dir");
	}
	struct tld_zonegen *zg = NULL;

	/* sibling glue: ns.b.test (under delegated b.test) serves a.test only */
	char *zone = run("name,statuses\na.test,ok\nb.test,ok\n",
	                 "domain,host\na.test,ns.b.test\nb.test,ns.provider.net\n",
	                 "host,address\nns.b.test,192.0.2.1\n", NULL, &zg);
	ok(zone && strstr(zone, "ns.b.test.\t172800\tIN\tA\t192.0.2.1\n"),
	   "sibling glue published (host under delegated b.test, NS of a.test)");
	is_int(0, zg ? (long long)tld_zonegen_stats(zg)->orphan_glue : -1, "no orphan");
	free(zone);
	tld_zonegen_free(zg);

	/* EPP statuses in any case (a hold is a hold); a longer word is unknown */
	zone = run("name,statuses\nup.test,CLIENTHOLD\nmix.test,ok ServerHold\n"
	           "plain.test,OK clientHoldX\nlast.test,clientTransferProhibited  clienthold\n",
	           "domain,host\nup.test,ns.provider.net\nmix.test,ns.provider.net\n"
	           "plain.test,ns.provider.net\nlast.test,ns.provider.net\n",
	           "host,address\n", NULL, &zg);
	ok(zone && strstr(zone, "plain.test.\t172800\tIN\tNS\t") != NULL &&
	   strstr(zone, "up.test.") == NULL && strstr(zone, "mix.test.") == NULL &&
	   strstr(zone, "last.test.") == NULL,
	   "statuses matched without regard to case: only plain.test delegated");
	is_int(3, zg ? (long long)tld_zonegen_stats(zg)->held : -1, "three holds");
	is_int(1, zg ? (long long)tld_zonegen_stats(zg)->bad_rows : -1,
	       "clientHoldX: an unknown status (the row stays)");
	free(zone);
	tld_zonegen_free(zg);

	/* NS in the wire order of their hosts: hosts that share their first 8
	 * wire bytes, or their first 16, or end within them */
	static const char *const order_hosts[] = {
		"ns1.provider-b.net", "ns1.provider-aaaaaaaaaaa-2.net", "ns1.prov.netx", "ns2.x.net",
		"ns1.provider.net", "ns1.provider-aaaaaaaaaaa.net", "a.bc.net", "ns1.prov.ne",
		"ns1.provider-a.net.example", "ns1.provider-aaaaaaaaaaa-1.net", "ns10.x.net",
		"ns1.prov.net", "a.b.c.net", "ns1.provider-a.net",
	};
	size_t nh = sizeof(order_hosts) / sizeof(order_hosts[0]);
	char nsrows[2048] = "domain,host\n";
	char *want[sizeof(order_hosts) / sizeof(order_hosts[0])];
	for (size_t i = 0; i < nh; i++) {
		strcat(nsrows, "order.test,");
		strcat(nsrows, order_hosts[i]);
		strcat(nsrows, "\n");
		want[i] = malloc(strlen(order_hosts[i]) + 2);
		sprintf(want[i], "%s.", order_hosts[i]);
	}
	for (size_t i = 1; i < nh; i++) { /* insertion sort by tld_name_wire_cmp() */
		for (size_t j = i; j > 0 && tld_name_wire_cmp(want[j - 1], want[j]) > 0; j--) {
			char *t = want[j];
			want[j] = want[j - 1];
			want[j - 1] = t;
		}
	}
	zone = run("name,statuses\norder.test,ok\n", nsrows, "host,address\n", NULL, &zg);
	bool in_order = zone != NULL;
	const char *at = zone;
	for (size_t i = 0; i < nh && in_order; i++) {
		char line[300];
		snprintf(line, sizeof(line), "order.test.\t172800\tIN\tNS\t%s\n", want[i]);
		const char *hit = strstr(at, line);
		in_order = hit != NULL;
		at = hit != NULL ? hit + strlen(line) : at;
	}
	ok(in_order, "NS records in the wire order of their hosts (first 8, 16 wire bytes shared)");
	for (size_t i = 0; i < nh; i++) {
		free(want[i]);
	}
	free(zone);
	tld_zonegen_free(zg);

	/* the host is the delegated name itself */
	zone = run("name,statuses\nself.test,ok\n", "domain,host\nself.test,self.test\n",
	           "host,address\nself.test,192.0.2.5\nself.test,2001:db8::5\n", NULL, &zg);
	const char *a = zone ? strstr(zone, "self.test.\t172800\tIN\tA\t") : NULL;
	const char *n = zone ? strstr(zone, "self.test.\t172800\tIN\tNS\tself.test.") : NULL;
	const char *aaaa = zone ? strstr(zone, "self.test.\t172800\tIN\tAAAA\t") : NULL;
	ok(a && n && aaaa && a < n && n < aaaa, "glue at the delegation point: A, NS, AAAA in type order");
	free(zone);
	tld_zonegen_free(zg);

	/* the delegation holding the host is held: glue orphan, user lame */
	zone = run("name,statuses\na.test,ok\nb.test,serverHold\n",
	           "domain,host\na.test,ns.b.test\nb.test,ns.provider.net\n",
	           "host,address\nns.b.test,192.0.2.1\n", NULL, &zg);
	ok(zone && strstr(zone, "192.0.2.1") == NULL, "no glue under a held domain");
	ok(zg && tld_zonegen_stats(zg)->orphan_glue == 1 && tld_zonegen_stats(zg)->lame == 1,
	   "orphan counted, a.test lame");
	ok(zone && strstr(zone, "a.test.\t172800\tIN\tNS\tns.b.test.\n"),
	   "the lame NS stays published");
	free(zone);
	tld_zonegen_free(zg);

	/* host under a delegated domain but used only by a held domain: orphan */
	zone = run("name,statuses\nh.test,clientHold\nb.test,ok\n",
	           "domain,host\nh.test,ns.b.test\nb.test,ns.provider.net\n",
	           "host,address\nns.b.test,192.0.2.1\n", NULL, &zg);
	ok(zone && strstr(zone, "192.0.2.1") == NULL, "glue used only by a held domain dropped");
	is_int(1, zg ? (long long)tld_zonegen_stats(zg)->orphan_glue : -1, "counted as orphan");
	free(zone);
	tld_zonegen_free(zg);

	/* in-zone host with data in apex.records is not lame */
	zone = run("name,statuses\na.test,ok\n", "domain,host\na.test,ns1.nic.test\n",
	           "host,address\n", "ns1.nic.test. 3600 IN A 192.0.2.53\n", &zg);
	ok(zone && strstr(zone, "ns1.nic.test.\t3600\tIN\tA\t192.0.2.53\n"), "apex.records data published");
	is_int(0, zg ? (long long)tld_zonegen_stats(zg)->lame : -1, "host with apex.records address is not lame");
	free(zone);
	tld_zonegen_free(zg);

	/* apex.records data below a delegation is dropped and reported */
	zone = run("name,statuses\nnic.test,ok\n", "domain,host\nnic.test,ns.provider.net\n",
	           "host,address\n", "ns1.nic.test. 3600 IN A 192.0.2.53\n", &zg);
	ok(zone && strstr(zone, "192.0.2.53") == NULL, "apex.records under a delegation not published");
	is_int(1, zg ? (long long)tld_zonegen_stats(zg)->bad_rows : -1, "and reported");
	free(zone);
	tld_zonegen_free(zg);

	/* out-of-zone NS hosts need no glue and are never lame */
	zone = run("name,statuses\na.test,ok\n", "domain,host\na.test,ns.example.net\n",
	           "host,address\nns.example.net,192.0.2.7\n", NULL, &zg);
	ok(zone && strstr(zone, "192.0.2.7") == NULL, "address of an out-of-zone host not published");
	ok(zg && tld_zonegen_stats(zg)->lame == 0 && tld_zonegen_stats(zg)->orphan_glue == 1,
	   "not lame; address counted as dropped");
	free(zone);
	tld_zonegen_free(zg);

	/* glue one label below the domain it serves, two labels below, below a
	 * held domain, below a domain that serves with another host only */
	zone = run("name,statuses\na.test,ok\nh.test,clientHold\nc.test,ok\n",
	           "domain,host\na.test,ns1.a.test\na.test,x.ns2.a.test\nh.test,ns1.h.test\n"
	           "c.test,ns1.a.test\na.test,ns1.c.test\n",
	           "host,address\nns1.a.test,192.0.2.1\nx.ns2.a.test,192.0.2.2\n"
	           "ns1.h.test,192.0.2.3\nns1.c.test,192.0.2.4\n",
	           NULL, &zg);
	ok(zone && strstr(zone, "ns1.a.test.\t172800\tIN\tA\t192.0.2.1\n") &&
	   strstr(zone, "x.ns2.a.test.\t172800\tIN\tA\t192.0.2.2\n"),
	   "glue one and two labels below a delegated domain");
	ok(zone && strstr(zone, "192.0.2.3") == NULL &&
	   strstr(zone, "ns1.c.test.\t172800\tIN\tA\t192.0.2.4\n"),
	   "no glue below a held domain; glue below a delegated domain it does not serve");
	is_int(1, zg ? (long long)tld_zonegen_stats(zg)->orphan_glue : -1,
	       "the held domain's address dropped");
	free(zone);
	tld_zonegen_free(zg);

	/* the domain column of nameservers.csv as written: the domain's text with
	 * or without its dot, in another case, out of order, an apex.records name
	 * that is no host name, one that is, an unknown domain */
	zone = run("name,statuses\na.test,ok\nb.test,ok\nc.test,ok\n",
	           "domain,host\na.test,ns1.p.net\na.test.,ns2.p.net\nA.TEST,ns3.p.net\n"
	           "c.test,ns1.p.net\nb.test,ns1.p.net\nb.test.,ns2.p.net\n_x.test,ns1.p.net\n"
	           "nic.test,ns1.p.net\nzz.test,ns1.p.net\n",
	           "host,address\n", "_x.test. 3600 IN TXT \"v\"\nnic.test. 3600 IN A 192.0.2.1\n",
	           &zg);
	ok(zone && strstr(zone, "a.test.\t172800\tIN\tNS\tns1.p.net.\n"
	                        "a.test.\t172800\tIN\tNS\tns2.p.net.\n"
	                        "a.test.\t172800\tIN\tNS\tns3.p.net.\n"),
	   "a.test, a.test. and A.TEST name the same domain");
	ok(zone && strstr(zone, "b.test.\t172800\tIN\tNS\tns1.p.net.\n"
	                        "b.test.\t172800\tIN\tNS\tns2.p.net.\n") &&
	   strstr(zone, "c.test.\t172800\tIN\tNS\tns1.p.net.\n"),
	   "domains out of the order of domains.csv");
	char rpath[600];
	snprintf(rpath, sizeof(rpath), "%s/ns-report.json", tmpdir);
	size_t rlen = 0;
	char *report = zg && tld_zonegen_write_report(zg, rpath) == 0 ? tap_read_file(rpath, &rlen)
	                                                                 : NULL;
	ok(report && strstr(report, "nameservers.csv:8: domain '_x.test': character not allowed"),
	   "an apex.records name that is no host name: refused as written");
	ok(report && strstr(report, "nameservers.csv:9: domain nic.test. is not in domains.csv") &&
	   strstr(report, "nameservers.csv:10: domain zz.test. is not in domains.csv"),
	   "an apex.records name and an unknown name: not in domains.csv");
	is_int(3, zg ? (long long)tld_zonegen_stats(zg)->bad_rows : -1, "three rows refused");
	free(report);
	free(zone);
	tld_zonegen_free(zg);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		diag("cleanup failed");
	}
	return exit_status();
}
