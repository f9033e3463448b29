/* SPDX-License-Identifier: GPL-3.0-or-later */
/* verify/vzone.c: a zone file read in slices on several threads gives the same
 * records (wire form, line numbers, order) as read in one piece, whatever the
 * file holds around the slice boundaries: comments, blank lines, records
 * over several lines in parentheses, quoted text with ';' and '(' in it,
 * escapes, $TTL and $ORIGIN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "tests/tap/tap.h"
#include "verify/internal.h"

/* Writes a zone of about 3 MB mixing every construct; returns the path. */
static bool write_zone(const char *path, int variant)
{
	bool plain = variant != 0;
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		return false;
	}
	if (plain) {
		/* as signers write: one record a line, comments, blank lines, nothing else */
		fprintf(fp, "; a comment first\n\ntest. 3600 IN SOA ns1.test. h.test. 1 7200 3600 "
		            "1209600 3600\n");
	} else {
		fprintf(fp, "; a comment first\n$TTL 3600\n");
		fprintf(fp, "test. 3600 IN SOA ns1.test. h.test. ( 1 ; serial\n\t7200 3600\n"
		            "\t1209600 3600 )\n");
	}
	fprintf(fp, "test. 3600 IN NS ns1.test.\n");
	for (int i = 0; i < 40000; i++) {
		fprintf(fp, "d%05d.test. 86400 IN NS ns1.d%05d.test.\n", i, i);
		if (plain) {
			if (i % 1000 == 0) {
				fprintf(fp, "; resign=20360101000000\n\n\t\n");
			}
			if (i % 3 == 0) {
				fprintf(fp, "ns1.d%05d.test. 3600 IN A 192.0.2.1\n", i);
			}
			if (variant == 2 && i % 5 == 0) {
				/* quoted strings that end on their line, ';' and '"' inside */
				fprintf(fp, "d%05d.test. 3600 IN TXT \"a;b\" \"c d\" ; \"x\" \"y\"\n", i);
			}
			continue;
		}
		switch (i % 7) {
		case 0:
			fprintf(fp, "\n; comment with \"quote and ( paren\n");
			break;
		case 1:
			fprintf(fp, "d%05d.test. 3600 IN TXT \"semi ; colon ( paren\" \"esc \\\" quote\"\n", i);
			break;
		case 2:
			fprintf(fp, "d%05d.test. 3600 IN TXT ( \"multi\"\n  \"line\" ) ; trailing\n", i);
			break;
		case 3:
			fprintf(fp, "ns1.d%05d.test. 3600 IN A 192.0.2.%d\n", i, i % 250);
			break;
		case 4:
			fprintf(fp, "$ORIGIN o%05d.test.\nrel 600 IN A 192.0.2.1\n\tIN AAAA 2001:db8::1\n"
			            "$ORIGIN test.\n", i);
			break;
		case 5:
			fprintf(fp, "$TTL %d\nt%05d IN A 198.51.100.1\n", 100 + i % 50, i);
			break;
		default:
			fprintf(fp, "e\\.x%05d.test. 3600 IN A 203.0.113.9\n   \n", i);
			break;
		}
	}
	return fclose(fp) == 0;
}

static bool same_records(const struct vfy_zone *a, const struct vfy_zone *b)
{
	if (a->n_recs != b->n_recs) {
		diag("%zu records against %zu", a->n_recs, b->n_recs);
		return false;
	}
	for (size_t i = 0; i < a->n_recs; i++) {
		const struct vfy_rec *x = &a->recs[i], *y = &b->recs[i];
		if (x->wire_len != y->wire_len || memcmp(x->wire, y->wire, x->wire_len) != 0 ||
		    x->line != y->line || x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0) {
			diag("record %zu differs (lines %u and %u)", i, x->line, y->line);
			return false;
		}
	}
	return true;
}

int main(void)
{
	char path[] = "/tmp/test_verify_zone.XXXXXX";
	int fd = mkstemp(path);

	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	if (fd < 0) {
		ok(0, "temporary file");
		return exit_status();
	}
	close(fd);
	static const char *const names[] = { "mixed", "plain", "quoted" };
	for (int v = 2; v >= 0; v--) {
		struct vfy_zone *one = NULL, *many[3] = { NULL, NULL, NULL };
		const unsigned threads[3] = { 2, 3, 7 };
		ok(write_zone(path, v), "%s zone written", names[v]);
		is_int(TLD_OK, vfy_zone_load(path, 1, &one), "%s zone read in one piece", names[v]);
		for (size_t t = 0; t < 3; t++) {
			is_int(TLD_OK, vfy_zone_load(path, threads[t], &many[t]), "read with %u threads",
			       threads[t]);
			ok(one != NULL && many[t] != NULL && same_records(one, many[t]),
			   "%s zone: same records, lines and order with %u threads", names[v], threads[t]);
			vfy_zone_free(many[t]);
		}
		ok(one != NULL && one->n_recs > 40000, "%zu records", one ? one->n_recs : 0);
		vfy_zone_free(one);
	}
	/* an error in the last slice names its line */
	FILE *fp = fopen(path, "a");
	if (fp != NULL) {
		fprintf(fp, "bad.test. 3600 IN A 300.1.2.3\n");
		fclose(fp);
	}
	struct vfy_zone *z = NULL;
	is_int(TLD_EPARSE, vfy_zone_load(path, 3, &z), "a bad record in the last slice: parse error");
	unlink(path);
	return exit_status();
}
