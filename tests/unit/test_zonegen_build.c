/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The zone rules end to end on small exports: delegations, holds, glue, DS, order. */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "tests/tap/tap.h"
#include "tests/unit/zonegen_fixture.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

#define NOW "2026-11-21T10:00:00Z"

static char tmpdir[256];

static char *build(const struct fx_file *files, size_t n, struct tld_zonegen **zg, int *ret)
{
	static int seq;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/e%d", tmpdir, seq++);
	if (fx_export(dir, files, n, NOW, "test.") != 0) {
		*ret = -1;
		return NULL;
	}
	static char dirbuf[512];
	strcpy(dirbuf, dir);
	static struct tld_config cfg;
	fx_config(&cfg, dirbuf);
	return fx_zone(&cfg, zg, ret);
}

static bool has_line(const char *zone, const char *line)
{
	size_t l = strlen(line);
	for (const char *p = zone; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, line, l) == 0 && (p[l] == '\n' || p[l] == '\0')) {
			return true;
		}
	}
	return false;
}

/* Rewrites the rows the manifest of the last export built gives file. */
static void set_manifest_rows(const char *dir, const char *file, const char *rows)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/manifest.yaml", dir);
	size_t len;
	char *m = tap_read_file(path, &len);
	FILE *f = fopen(path, "w");
	for (char *line = m ? strtok(m, "\n") : NULL; line != NULL && f != NULL;
	     line = strtok(NULL, "\n")) {
		const char *at = strstr(line, file);
		const char *sha = strstr(line, ", sha256:");
		if (at != NULL && sha != NULL) {
			fprintf(f, "  %s: {rows: %s%s\n", file, rows, sha);
		} else {
			fprintf(f, "%s\n", line);
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	free(m);
}

/* A manifest whose row counts are wrong is refused for them, whatever room
 * they would have had the builder reserve. */
static void test_manifest_rows(void)
{
	const struct fx_file files[] = {
		{ "domains.csv", "name,statuses\na.test,ok\nb.test,ok\n" },
		{ "nameservers.csv", "domain,host\na.test,ns1.p.net\nb.test,ns1.b.test\n" },
		{ "hosts.csv", "host,address\nns1.b.test,192.0.2.1\n" },
	};
	static const struct {
		const char *file, *rows, *what;
	} cases[] = {
		{ "domains.csv", "3", "one row more than the file" },
		{ "domains.csv", "1", "one row less" },
		{ "nameservers.csv", "60000000", "far more rows than the file could hold" },
		{ "hosts.csv", "4000000000", "more rows than any reservation" },
		{ "domains.csv", "18446744073709551615", "the largest count" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/rows%zu", tmpdir, i);
		if (fx_export(dir, files, 3, NOW, "test.") != 0) {
			ok(0, "export written");
			continue;
		}
		set_manifest_rows(dir, cases[i].file, cases[i].rows);
		struct tld_config cfg;
		fx_config(&cfg, dir);
		struct tld_zonegen *zg = NULL;
		int ret = tld_zonegen_build(&cfg, NULL, &zg);
		is_int(TLD_EEXPORT, ret, "%s rows %s: refused (%s)", cases[i].file, cases[i].rows,
		       cases[i].what);
		tld_zonegen_free(zg);
	}
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/rows-ok", tmpdir);
	fx_export(dir, files, 3, NOW, "test.");
	struct tld_config cfg;
	fx_config(&cfg, dir);
	struct tld_zonegen *zg = NULL;
	is_int(TLD_OK, tld_zonegen_build(&cfg, NULL, &zg), "the same export with its rows: built");
	ok(zg && tld_zonegen_stats(zg)->delegated == 2 && tld_zonegen_stats(zg)->glue_records == 1,
	   "with its delegations and glue");
	tld_zonegen_free(zg);
}

/* nameservers.csv with more rows than the builder looks ahead: hosts met
 * again within a few rows and much later, in other cases, with and without
 * the trailing dot, longer than the host cache keeps, invalid ones and the
 * apex among them: each row built as on its own (its NS record or its
 * message at its line). */
static void test_hosts_ahead(void)
{
	char domains[4096] = "name,statuses\n", ns[16384] = "domain,host\n", hosts[64] = "host,address\n";
	size_t dl = strlen(domains), nl = strlen(ns);
	for (int i = 0; i < 40; i++) {
		dl += (size_t)snprintf(domains + dl, sizeof(domains) - dl, "d%d.test,ok\n", i);
	}
	static const char *const kinds[] = {
		"ns1.d%d.test", "NS1.D%d.TEST.", "ns.shared.net", "ns.shared.net.",
		"ns-%d.a-host-name-longer-than-the-host-cache-keeps-of-a-field.example",
		"bad_host%d.net", "test", "-bad%d.net", "Ns.Shared.Net", "ns2.d%d.test",
	};
	for (int i = 0; i < 40; i++) {
		for (int k = 0; k < 3; k++) {
			char host[128];
			snprintf(host, sizeof(host), kinds[(i + k * 3) % 10], i);
			nl += (size_t)snprintf(ns + nl, sizeof(ns) - nl, "d%d.test,%s\n", i, host);
		}
	}
	const struct fx_file files[] = {
		{ "domains.csv", domains }, { "nameservers.csv", ns }, { "hosts.csv", hosts },
	};
	struct tld_zonegen *zg = NULL;
	int ret;
	char *zone = build(files, 3, &zg, &ret);
	is_int(TLD_OK, ret, "export of 120 NS rows builds");
	if (zone == NULL) {
		return;
	}
	char rpath[600];
	snprintf(rpath, sizeof(rpath), "%s/report-ahead.json", tmpdir);
	tld_zonegen_write_report(zg, rpath);
	size_t rlen;
	char *report = tap_read_file(rpath, &rlen);
	int want_ok = 0, got_ok = 0, want_bad = 0, got_bad = 0;
	for (int i = 0; i < 40; i++) {
		for (int k = 0; k < 3; k++) {
			int kind = (i + k * 3) % 10;
			unsigned line = (unsigned)(2 + i * 3 + k);
			char want[256], host[128];
			if (kind == 5 || kind == 6 || kind == 7) {
				want_bad++;
				if (kind == 6) {
					snprintf(want, sizeof(want),
					         "nameservers.csv:%u: host test. is the zone apex", line);
				} else {
					snprintf(host, sizeof(host), kinds[kind], i);
					snprintf(want, sizeof(want), "nameservers.csv:%u: host '%s': ", line, host);
				}
				got_bad += report != NULL && strstr(report, want) != NULL;
				continue;
			}
			want_ok++;
			if (kind == 0 || kind == 1) {
				snprintf(host, sizeof(host), "ns1.d%d.test.", i);
			} else if (kind == 9) {
				snprintf(host, sizeof(host), "ns2.d%d.test.", i);
			} else if (kind == 4) {
				snprintf(host, sizeof(host), kinds[4], i);
				strcat(host, ".");
			} else {
				snprintf(host, sizeof(host), "ns.shared.net.");
			}
			snprintf(want, sizeof(want), "d%d.test.\t172800\tIN\tNS\t%s", i, host);
			got_ok += has_line(zone, want);
		}
	}
	is_int(want_ok, got_ok, "every good row's NS record");
	is_int(want_bad, got_bad, "every bad host rejected at its line");
	ok(report && strstr(report, "\"bad_rows\": 36"), "the bad rows counted once each");
	free(report);
	free(zone);
	tld_zonegen_free(zg);
}

/* Appends the lines of text in reverse order to out (the header first). */
static void reverse_rows(const char *text, char *out, size_t cap)
{
	const char *body = strchr(text, '\n') + 1;
	size_t ol = (size_t)snprintf(out, cap, "%.*s", (int)(body - text), text);
	const char *end = text + strlen(text);
	while (end > body) {
		const char *start = end - 1;
		while (start > body && start[-1] != '\n') {
			start--;
		}
		ol += (size_t)snprintf(out + ol, cap - ol, "%.*s", (int)(end - start), start);
		end = start;
	}
}

/* hosts.csv in the order nameservers.csv named its hosts (found without
 * normalising, row_host()) and mixed with rows that are not: upper case, a
 * trailing dot, a name one letter short, an invalid name, a bad address, a
 * host no domain uses, a domain as host, hosts out of order: the zone is that
 * of the same rows reversed (each looked up), and each bad row is reported
 * at its line as normalising it reports it. */
static void test_hosts_in_order(void)
{
	static char domains[2048], ns[8192], hosts[8192], reversed[8192];
	size_t dl = (size_t)snprintf(domains, sizeof(domains), "name,statuses\n");
	size_t nl = (size_t)snprintf(ns, sizeof(ns), "domain,host\n");
	size_t hl = (size_t)snprintf(hosts, sizeof(hosts), "host,address\n");
	for (int i = 0; i < 40; i++) {
		dl += (size_t)snprintf(domains + dl, sizeof(domains) - dl, "d%d.test,ok\n", i);
		nl += (size_t)snprintf(ns + nl, sizeof(ns) - nl,
		                       "d%d.test,ns1.d%d.test\nd%d.test,NS2.D%d.TEST.\nd%d.test,ns.shared.net\n",
		                       i, i, i, i, i);
	}
	unsigned line = 2, bad_name = 0, bad_addr = 0;
	for (int i = 0; i < 40; i++) {
		const char *first = i == 12 ? "ns2" : "ns1", *second = i == 12 ? "ns1" : "ns2";
		hl += (size_t)snprintf(hosts + hl, sizeof(hosts) - hl,
		                       "%s.d%d.test,10.0.0.%d\n%s.d%d.test.,2001:db8::%d\n%s.d%d.test,10.0.1.%d\n",
		                       first, i, i, first, i, i, second, i, i);
		line += 3;
		const char *extra = NULL;
		switch (i) {
		case 5: extra = "NS1.D5.TEST,10.9.9.9\n"; break;
		case 7: extra = "ns2.d7.tes,10.1.1.1\n"; break;
		case 8: extra = "ns1.d8.test..,10.1.1.2\n"; bad_name = line; break;
		case 9: extra = "ns2.d9.test,bad\n"; bad_addr = line; break;
		case 10: extra = "ns3.d10.test,10.2.2.2\n"; break;
		case 11: extra = "d11.test,10.3.3.3\n"; break;
		default: break;
		}
		if (extra != NULL) {
			hl += (size_t)snprintf(hosts + hl, sizeof(hosts) - hl, "%s", extra);
			line++;
		}
	}
	reverse_rows(hosts, reversed, sizeof(reversed));
	const struct fx_file files[] = {
		{ "domains.csv", domains }, { "nameservers.csv", ns }, { "hosts.csv", hosts },
	};
	const struct fx_file files_rev[] = {
		{ "domains.csv", domains }, { "nameservers.csv", ns }, { "hosts.csv", reversed },
	};
	struct tld_zonegen *zg = NULL, *zg_rev = NULL;
	int ret, ret_rev;
	char *zone = build(files, 3, &zg, &ret);
	char *zone_rev = build(files_rev, 3, &zg_rev, &ret_rev);
	is_int(TLD_OK, ret, "hosts.csv in the order of nameservers.csv builds");
	is_int(TLD_OK, ret_rev, "the same rows reversed build");
	if (zone == NULL || zone_rev == NULL) {
		free(zone);
		free(zone_rev);
		return;
	}
	ok(strcmp(zone, zone_rev) == 0, "the same zone as the rows reversed");
	ok(has_line(zone, "ns1.d5.test.\t172800\tIN\tA\t10.9.9.9"), "an upper-case row is the host's");
	ok(has_line(zone, "ns1.d3.test.\t172800\tIN\tAAAA\t2001:db8::3"), "a row with the dot is the host's");
	ok(has_line(zone, "ns2.d12.test.\t172800\tIN\tA\t10.0.0.12") &&
	   has_line(zone, "ns1.d12.test.\t172800\tIN\tA\t10.0.1.12"), "hosts out of order");
	ok(strstr(zone, "10.1.1.1") == NULL && strstr(zone, "10.2.2.2") == NULL &&
	   strstr(zone, "10.3.3.3") == NULL, "not glue: outside the zone, unused, a domain");
	is_int((long)zg_rev->stats.orphan_glue, (long)zg->stats.orphan_glue, "orphans as reversed");
	is_int((long)zg_rev->stats.glue_records, (long)zg->stats.glue_records, "glue as reversed");
	char rpath[600];
	snprintf(rpath, sizeof(rpath), "%s/report-order.json", tmpdir);
	tld_zonegen_write_report(zg, rpath);
	size_t rlen;
	char *report = tap_read_file(rpath, &rlen);
	char want[128];
	snprintf(want, sizeof(want), "hosts.csv:%u: host 'ns1.d8.test..': ", bad_name);
	ok(report && strstr(report, want), "invalid name reported at its line");
	snprintf(want, sizeof(want), "hosts.csv:%u: host ns2.d9.test.: bad address 'bad'", bad_addr);
	ok(report && strstr(report, want), "bad address reported at its line with the name");
	ok(report && strstr(report, "\"bad_rows\": 2"), "two bad rows");
	free(report);
	free(zone);
	free(zone_rev);
	tld_zonegen_free(zg);
	tld_zonegen_free(zg_rev);
}

/* Owners whose keys after the zone's share their first 8 or 16 bytes, or
 * all of them: domains of a two-letter alphabet with labels of 1-20
 * characters (7, 8, 15 and 16 among them: a label and its end byte just
 * filling 8 or 16 bytes), hosts one and more labels below them, digits and
 * hyphens (ordered before letters), upper case in the fields: the owners
 * come out in the order of tld_name_canon_cmp(), each once. */
static void test_owner_ties(void)
{
	enum { DOMAINS = 600 };
	static char domains[DOMAINS * 32 + 64], ns[DOMAINS * 3 * 80 + 64], hosts[DOMAINS * 3 * 80 + 64];
	size_t dl = 0, nl = 0, hl = 0;
	dl += (size_t)snprintf(domains, sizeof(domains), "name,statuses\n");
	nl += (size_t)snprintf(ns, sizeof(ns), "domain,host\n");
	hl += (size_t)snprintf(hosts, sizeof(hosts), "host,address\n");
	uint32_t rng = 12345;
	static const char *const below[] = { "ns1", "ns2", "NS10", "a-b", "0", "b.a", "aaaaaaaa.b" };
	for (int i = 0; i < DOMAINS; i++) {
		char label[32];
		size_t len = 1 + (size_t)i % 20;
		for (size_t k = 0; k < len; k++) {
			rng = rng * 1103515245u + 12345u;
			label[k] = (rng >> 16) % 5 == 0 ? 'B' : 'a' + (char)((rng >> 16) % 2);
		}
		if (len > 2 && i % 7 == 0) {
			label[len / 2] = i % 14 == 0 ? '-' : '7';
		}
		label[len] = '\0';
		dl += (size_t)snprintf(domains + dl, sizeof(domains) - dl, "%s.test,ok\n", label);
		for (int k = 0; k < 3; k++) {
			const char *h = below[(size_t)(i + 2 * k) % (sizeof(below) / sizeof(below[0]))];
			nl += (size_t)snprintf(ns + nl, sizeof(ns) - nl, "%s.test,%s.%s.test\n", label, h,
			                       label);
			hl += (size_t)snprintf(hosts + hl, sizeof(hosts) - hl, "%s.%s.TEST,10.0.%d.%d\n", h,
			                       label, i % 250, k);
		}
	}
	const struct fx_file files[] = {
		{ "domains.csv", domains }, { "nameservers.csv", ns }, { "hosts.csv", hosts },
	};
	struct tld_zonegen *zg = NULL;
	int ret;
	char *zone = build(files, 3, &zg, &ret);
	is_int(TLD_OK, ret, "export of owners sharing key bytes builds");
	if (zone == NULL) {
		return;
	}
	size_t owners = 0;
	for (size_t i = 0; i < zg->name_count; i++) {
		const struct zg_name *n = &zg->names[i];
		owners += (n->flags & (ZG_DELEGATED | ZG_GLUE | ZG_APEX_DATA)) && i != zg->apex_id;
	}
	ok(owners > DOMAINS, "owners: the domains and glue hosts (%zu)", owners);
	is_int((long)owners, (long)zg->order_count, "every owner once in the order");
	bool sorted = true;
	for (size_t i = 1; i < zg->order_count && sorted; i++) {
		const struct zg_name *a = &zg->names[zg->order[i - 1]], *b = &zg->names[zg->order[i]];
		sorted = tld_name_canon_cmp(a->text, a->len, b->text, b->len) < 0;
		if (!sorted) {
			diag("%s before %s", a->text, b->text);
		}
	}
	ok(sorted, "owners in the order of tld_name_canon_cmp()");
	free(zone);
	tld_zonegen_free(zg);
}

int main(void)
{
	plan_lazy();
	tld_time_t now;
	tld_time_parse(NOW, &now);
	tld_clock_pin(now);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_zonegen_build.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("no temp dir");
	}

	const struct fx_file basic[] = {
		{ "domains.csv", "name,statuses\n"
		                 "Example.TEST,ok\n"
		                 "held.test,clientHold\n"
		                 "sheld.test,serverHold clientTransferProhibited\n"
		                 "glue.test,ok\n"
		                 "a.test,ok\n"
		                 "nons.test,ok\n"
		                 "sub.a.test,ok\n"
		                 "other.example,ok\n"
		                 "xn--bcher-kva.test,ok\n"
		                 "b\xc3\xbc" "cher.test,ok\n" },
		{ "nameservers.csv", "domain,host\n"
		                     "example.test,ns2.provider.net.\n"
		                     "example.test,NS1.provider.net\n"
		                     "example.test,ns1.provider.net\n"
		                     "held.test,ns1.held.test\n"
		                     "sheld.test,ns1.provider.net\n"
		                     "glue.test,ns1.glue.test\n"
		                     "glue.test,ns2.glue.test\n"
		                     "a.test,ns1.glue.test\n"
		                     "a.test,ns.lame.test\n"
		                     "xn--bcher-kva.test,ns1.held.test\n"
		                     "sub.a.test,ns1.provider.net\n"
		                     "missing.test,ns1.provider.net\n" },
		{ "hosts.csv", "host,address\n"
		               "ns1.glue.test,192.0.2.1\n"
		               "ns1.glue.test,2001:db8::1\n"
		               "ns1.glue.test,192.0.2.1\n"
		               "ns2.glue.test,192.0.2.2\n"
		               "ns1.held.test,192.0.2.9\n"
		               "unused.glue.test,192.0.2.10\n"
		               "ns1.provider.net,198.51.100.1\n"
		               "ns1.glue.test,not-an-address\n" },
		{ "ds.csv", "domain,key_tag,algorithm,digest_type,digest\n"
		            "example.test,12345,13,2,"
		            "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\n"
		            "example.test,12345,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
		            "example.test,1,13,2,abcd\n"
		            "example.test,2,5,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
		            "example.test,3,13,1,abcdef0123456789abcdef0123456789abcdef01\n"
		            "held.test,4,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
		            /* bytes next to the hex digits: not hexadecimal */
		            "example.test,5,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678g\n"
		            "example.test,6,13,2,"
		            "@bcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n"
		            "example.test,7,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567:9\n"
		            "example.test,8,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456`89\n"
		            "example.test,9,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456/89\n"
		            "example.test,10,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456\xc1" "89\n" },
	};
	struct tld_zonegen *zg = NULL;
	int ret;
	char *zone = build(basic, 4, &zg, &ret);
	is_int(TLD_OK, ret, "basic export builds");
	if (zone == NULL) {
		return exit_status();
	}
	ok(strncmp(zone, "test.\t3600\tIN\tSOA\tns1.nic.test. hostmaster.nic.test. 0 1800 900 "
	                 "1209600 3600\n", 62) == 0, "SOA first, serial placeholder 0");
	ok(has_line(zone, "test.\t172800\tIN\tNS\tns1.nic.test."), "apex NS");
	ok(has_line(zone, "example.test.\t172800\tIN\tNS\tns1.provider.net."),
	   "names lower-cased, trailing dot added");
	ok(strstr(zone, "held.test.\t172800\tIN\tNS") == NULL, "clientHold not delegated");
	ok(strstr(zone, "sheld.test.") == NULL, "serverHold not delegated");
	ok(strstr(zone, "nons.test.") == NULL, "domain without NS not delegated");
	ok(strstr(zone, "sub.a.test.") == NULL, "nested delegation not published");
	ok(strstr(zone, "other.example") == NULL, "name outside the TLD not published");
	ok(has_line(zone, "ns1.glue.test.\t172800\tIN\tA\t192.0.2.1"), "in-zone glue A");
	ok(has_line(zone, "ns1.glue.test.\t172800\tIN\tAAAA\t2001:db8::1"), "in-zone glue AAAA");
	ok(strstr(zone, "192.0.2.9") == NULL, "glue under a held domain is orphan");
	ok(strstr(zone, "192.0.2.10") == NULL, "glue not used as NS is orphan");
	ok(strstr(zone, "198.51.100.1") == NULL, "address of out-of-zone host not published");
	ok(has_line(zone, "xn--bcher-kva.test.\t172800\tIN\tNS\tns1.held.test."),
	   "A-label accepted");
	ok(has_line(zone, "example.test.\t86400\tIN\tDS\t12345 13 2 "
	                  "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"),
	   "DS published in lower case");
	const char *first = strstr(zone, "DS\t12345");
	ok(first != NULL && strstr(first + 1, "DS\t12345") == NULL, "duplicate DS collapsed");
	ok(strstr(zone, "DS\t1 13 2") == NULL, "short digest rejected");
	ok(strstr(zone, "DS\t2 5 2") == NULL, "algorithm not in the allow-list rejected");
	ok(strstr(zone, "DS\t3 13 1") == NULL, "digest type not in the allow-list rejected");
	const struct tld_zonegen_stats *s = tld_zonegen_stats(zg);
	is_int(4, s->delegated, "delegations: example, glue, a, xn--bcher-kva (not sub.a)");
	is_int(2, s->held, "held domains counted");
	is_int(1, s->without_ns, "domain without NS counted");
	is_int(3, s->glue_records, "glue records");
	is_int(3, s->orphan_glue, "orphan glue counted (held, unused, out of zone)");
	is_int(2, s->lame, "lame: ns.lame.test and ns1.held.test");
	is_int(3, s->duplicates, "duplicates collapsed (NS, A, DS)");
	/* bad rows: other.example, bücher, sub.a nested, missing.test NS, bad address,
	 * short digest, alg 5, digest type 1, held DS is fine (not published, no error) */
	is_int(14, s->bad_rows, "bad rows counted");
	char rpath[600];
	snprintf(rpath, sizeof(rpath), "%s/report.json", tmpdir);
	is_int(TLD_OK, tld_zonegen_write_report(zg, rpath), "JSON report written");
	size_t rlen;
	char *report = tap_read_file(rpath, &rlen);
	ok(report && strstr(report, "\"domains.csv:9: name other.example.: outside") == NULL &&
	   strstr(report, "domains.csv:9: name other.example. is outside the zone test.") != NULL,
	   "report lists file:line: reason");
	ok(report && strstr(report, "nameservers.csv:13: domain missing.test. is not in domains.csv"),
	   "report: NS of an unknown domain");
	ok(report && strstr(report, "hosts.csv:9: host ns1.glue.test.: bad address"),
	   "report: bad address with line");
	ok(report && strstr(report, "U-label"), "report: U-label rejected");
	ok(report && strstr(report, "\"bad_rows\": 14"), "report counts");
	int nonhex = 0;
	for (int line = 8; line <= 13; line++) {
		char want[80];
		snprintf(want, sizeof(want), "ds.csv:%d: example.test.: digest is not hexadecimal", line);
		nonhex += report != NULL && strstr(report, want) != NULL;
	}
	is_int(6, nonhex, "report: digests with a byte next to the hex digits rejected");
	ok(strstr(zone, "DS\t5 13 2") == NULL && strstr(zone, "DS\t10 13 2") == NULL,
	   "non-hex digests not in the zone");
	free(report);

	/* canonical order: a.test < example.test < glue.test < ns1.glue.test < ns2.glue.test
	 * < xn--bcher-kva.test */
	const char *pa = strstr(zone, "\na.test."), *pe = strstr(zone, "\nexample.test.");
	const char *pg = strstr(zone, "\nglue.test."), *pn1 = strstr(zone, "\nns1.glue.test.");
	const char *pn2 = strstr(zone, "\nns2.glue.test."), *px = strstr(zone, "\nxn--bcher");
	ok(pa && pe && pg && pn1 && pn2 && px && pa < pe && pe < pg && pg < pn1 && pn1 < pn2 &&
	   pn2 < px, "owners in canonical order");
	const char *ns1 = strstr(zone, "example.test.\t172800\tIN\tNS\tns1.provider.net.");
	const char *ns2 = strstr(zone, "example.test.\t172800\tIN\tNS\tns2.provider.net.");
	ok(ns1 && ns2 && ns1 < ns2, "NS RDATA in canonical order");

	/* byte-identical across runs */
	struct tld_zonegen *zg2 = NULL;
	char *zone2 = build(basic, 4, &zg2, &ret);
	ok(zone2 && strcmp(zone, zone2) == 0, "byte-identical output for the same input");
	free(zone2);
	tld_zonegen_free(zg2);
	free(zone);
	tld_zonegen_free(zg);

	test_manifest_rows();
	test_hosts_ahead();
	test_owner_ties();
	test_hosts_in_order();

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		diag("cleanup of %s failed", tmpdir);
	}
	return exit_status();
}
