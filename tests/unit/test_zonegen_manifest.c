/* SPDX-License-Identifier: GPL-3.0-or-later */
/* manifest.yaml: accepted form and every malformed variant, with file:line messages. */
#include <string.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "zonegen/manifest.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void bad(const char *text, const char *msg_part, const char *what)
{
	struct tld_manifest *m = NULL;
	char err[512] = "";
	int ret = tld_manifest_parse("m.yaml", text, strlen(text), &m, err, sizeof(err));
	ok(ret == TLD_EEXPORT && m == NULL && strstr(err, msg_part) != NULL, "%s refused: %s", what,
	   err);
	tld_manifest_free(m);
}

int main(void)
{
	plan_lazy();
	static const char good[] = "format: 1\ntld: TEST\nexported_at: \"2026-11-21T10:00:00Z\"\n"
	                           "files:\n  domains.csv: {rows: 3, sha256: " SHA "}\n"
	                           "  ds.csv:\n    rows: 0\n    sha256: " SHA "\n";
	struct tld_manifest *m = NULL;
	char err[512] = "";
	is_int(TLD_OK, tld_manifest_parse("m.yaml", good, sizeof(good) - 1, &m, err, sizeof(err)),
	       "valid manifest (%s)", err);
	if (m != NULL) {
		is_str("test.", m->tld, "tld normalised");
		is_int(1795255200, m->exported_at, "exported_at parsed");
		is_int(2, m->file_count, "two files");
		const struct tld_manifest_file *f = tld_manifest_find(m, "domains.csv");
		ok(f && f->rows == 3 && f->sha256[0] == 0x01 && f->sha256[31] == 0xef, "rows and sha256");
		ok(tld_manifest_find(m, "hosts.csv") == NULL, "unlisted file not found");
	}
	tld_manifest_free(m);

	bad("format: 2\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles: {}\n", "m.yaml:1:",
	    "format 2");
	bad("tld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles: {}\n", "missing key: format",
	    "no format");
	bad("format: 1\nexported_at: 2026-11-21T10:00:00Z\nfiles: {}\n", "missing key: tld", "no tld");
	bad("format: 1\ntld: test\nfiles: {}\n", "missing key: exported_at", "no exported_at");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\n", "missing key: files",
	    "no files");
	bad("format: 1\ntld: test\nexported_at: yesterday\nfiles: {}\n", "m.yaml:3: exported_at",
	    "bad time");
	bad("format: 1\ntld: te_st\nexported_at: 2026-11-21T10:00:00Z\nfiles: {}\n", "m.yaml:2: tld",
	    "bad tld");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles: {}\nextra: 1\n",
	    "m.yaml:5: unknown key 'extra'", "unknown key");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles:\n"
	    "  d.csv: {rows: -1, sha256: " SHA "}\n", "rows must be", "negative rows");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles:\n"
	    "  d.csv: {rows: 1x, sha256: " SHA "}\n", "rows must be", "non-integer rows");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles:\n"
	    "  d.csv: {rows: 1, sha256: abc}\n", "64 hex digits", "short sha256");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles:\n"
	    "  d.csv: {rows: 1}\n", "needs both rows and sha256", "missing sha256");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles:\n"
	    "  ../d.csv: {rows: 1, sha256: " SHA "}\n", "plain names", "path in file name");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles:\n"
	    "  d.csv: {rows: 1, sha256: " SHA "}\n  d.csv: {rows: 1, sha256: " SHA "}\n",
	    "listed twice", "file listed twice");
	bad("format: 1\ntld: test\nexported_at: 2026-11-21T10:00:00Z\nfiles: [a, b]\n",
	    "files must be a mapping", "files as a list");
	bad("format: 1\ntld: [\n", "m.yaml:", "YAML syntax error");
	bad("- 1\n- 2\n", "expected a mapping", "not a mapping");
	bad("", "expected a mapping", "empty manifest");
	struct tld_manifest *none = NULL;
	ok(tld_manifest_load("/nonexistent/manifest.yaml", &none, err, sizeof(err)) == TLD_EEXPORT &&
	   strstr(err, "cannot open"), "missing file refused: %s", err);
	return exit_status();
}
