/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Collecting failures from the workers and printing the report. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "verify/internal.h"

static char *record_text(const ldns_rr *rr)
{
	if (rr == NULL) {
		return strdup("");
	}
	char *s = ldns_rr2str(rr);
	if (s == NULL) {
		return NULL;
	}
	size_t l = strlen(s);
	while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == ' ')) {
		s[--l] = 0;
	}
	for (char *p = s; *p; p++) {
		if (*p == '\t') {
			*p = ' ';
		}
	}
	return s;
}

static void issue_push(struct vfy_issue_list *l, size_t pos, const ldns_rr *rr,
                       unsigned long line, const char *fmt, va_list ap)
{
	char *reason = NULL;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct vfy_issue *p = realloc(l->items, cap * sizeof(*p));
		if (p == NULL) {
			l->err = TLD_ENOMEM;
			return;
		}
		l->items = p;
		l->cap = cap;
	}
	int r = vasprintf(&reason, fmt, ap);
	char *record = record_text(rr);
	if (r < 0 || record == NULL) {
		if (r >= 0) {
			free(reason);
		}
		free(record);
		l->err = TLD_ENOMEM;
		return;
	}
	struct vfy_issue *it = &l->items[l->n];
	it->pos = pos;
	it->seq = l->n;
	it->issue.record = record;
	it->issue.reason = reason;
	it->issue.line = line;
	l->n++;
}

void vfy_issue_add(struct vfy_issue_list *l, size_t pos, const ldns_rr *rr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	issue_push(l, pos, rr, 0, fmt, ap);
	va_end(ap);
}

void vfy_issue_rec(struct vfy_issue_list *l, const struct vfy_zone *z, size_t rec_index,
                   const char *fmt, ...)
{
	va_list ap;
	const struct vfy_rec *r = &z->recs[rec_index];
	ldns_rr *rr = vfy_rec_to_ldns(r);

	if (rr == NULL) {
		l->err = TLD_ENOMEM;
		return;
	}
	va_start(ap, fmt);
	issue_push(l, rec_index, rr, r->line, fmt, ap);
	va_end(ap);
	ldns_rr_free(rr);
}

void vfy_issue_list_clear(struct vfy_issue_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].issue.record);
		free(l->items[i].issue.reason);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int issue_cmp(const void *pa, const void *pb)
{
	const struct vfy_issue *a = pa, *b = pb;
	if (a->pos != b->pos) {
		return a->pos < b->pos ? -1 : 1;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int vfy_issue_merge(struct vfy_issue_list *lists, size_t n, struct tld_verify_issue **out,
                    size_t *n_out)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (lists[i].err != TLD_OK) {
			return lists[i].err;
		}
		total += lists[i].n;
	}
	struct vfy_issue *all = calloc(total ? total : 1, sizeof(*all));
	struct tld_verify_issue *res = calloc(total ? total : 1, sizeof(*res));
	if (all == NULL || res == NULL) {
		free(all);
		free(res);
		return TLD_ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < lists[i].n; j++) {
			all[k] = lists[i].items[j];
			all[k].seq = all[k].seq + (i << 40); /* keep each list's order */
			k++;
		}
		free(lists[i].items);
		memset(&lists[i], 0, sizeof(lists[i]));
	}
	qsort(all, total, sizeof(*all), issue_cmp);
	for (size_t i = 0; i < total; i++) {
		res[i] = all[i].issue;
	}
	free(all);
	*out = res;
	*n_out = total;
	return TLD_OK;
}

static void print_issues(FILE *fp, const char *path, const char *what,
                         const struct tld_verify_issue *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].line) {
			fprintf(fp, "%s: %s:%lu: %s\n", what, path, v[i].line, v[i].record);
		} else if (v[i].record[0]) {
			fprintf(fp, "%s: %s: %s\n", what, path, v[i].record);
		} else {
			fprintf(fp, "%s: %s\n", what, path);
		}
		fprintf(fp, "  -> %s\n", v[i].reason);
	}
}

void tld_verify_report_print(FILE *fp, const struct tld_verify_report *r)
{
	char mode[160];
	if (r->mode == TLD_VERIFY_DELTA) {
		snprintf(mode, sizeof(mode), "delta verification (%zu changed subtrees, %zu names checked)",
		         r->subtrees_changed, r->names_checked);
	} else if (r->full_reason != NULL) {
		snprintf(mode, sizeof(mode), "full verification (no delta: %s)", r->full_reason);
	} else {
		snprintf(mode, sizeof(mode), "full verification");
	}
	print_issues(fp, r->path, "FAIL", r->failures, r->n_failures);
	print_issues(fp, r->path, "WARNING", r->warnings, r->n_warnings);
	fprintf(fp,
	        "%s: %s: %zu failure(s), %zu warning(s); %zu records, %zu names, %zu empty "
	        "non-terminals, %zu secure and %zu insecure delegations, %zu RRsets signed, "
	        "%zu RRSIGs verified, %zu NSEC3, %zu NSEC, DNSKEY response %zu bytes, "
	        "%u threads, %s\n",
	        r->path, r->n_failures ? "FAILED" : "OK", r->n_failures, r->n_warnings, r->records,
	        r->names, r->empty_nonterminals, r->delegations_secure, r->delegations_insecure,
	        r->rrsets_signed, r->rrsigs_verified, r->nsec3, r->nsec, r->dnskey_response_size,
	        r->threads, mode);
}

static void free_issues(struct tld_verify_issue *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].record);
		free(v[i].reason);
	}
	free(v);
}

void tld_verify_report_free(struct tld_verify_report *r)
{
	if (r == NULL) {
		return;
	}
	free_issues(r->failures, r->n_failures);
	free_issues(r->warnings, r->n_warnings);
	free(r->path);
	free(r);
}
