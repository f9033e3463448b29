/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Delta verification (verify/vdelta.c, verify/vstate.h), differentially: a
 * small NSEC3 opt-out zone P signed here with ldns (keys made here) is
 * verified in full, writing its state; versions N derived from P (properly
 * re-signed changes, and damaged ones, many re-signed so that only a
 * whole-zone check can catch them) are verified with the delta path and in
 * full: the verdicts, the failures and the counts must agree; the good
 * changes must take the delta path and write the very state a full
 * verification writes.  Then damaged and foreign states, a previous file
 * edited after its state, and random single-line mutations.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "tests/tap/tap.h"
#include "tests/unit/test_slurp.h"
#include "verify/filemac.h"
#include "verify/internal.h"
#include "verify/verify.h"
#include "verify/vstate.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define DAY 86400

static char dir[] = "/tmp/test_verify_delta.XXXXXX";
static ldns_key_list *keys;

static const char *path_of(const char *name)
{
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* ---- a zone as lines ---- */

struct lines {
	char **v;
	size_t n, cap;
};

static void lines_push(struct lines *l, size_t at, const char *text)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
	l->v[at] = strdup(text);
	l->n++;
}

static void lines_del(struct lines *l, size_t at)
{
	free(l->v[at]);
	memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
	l->n--;
}

static void lines_set(struct lines *l, size_t at, const char *text)
{
	free(l->v[at]);
	l->v[at] = strdup(text);
}

static void lines_copy(struct lines *dst, const struct lines *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++) {
		lines_push(dst, dst->n, src->v[i]);
	}
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void lines_write(const struct lines *l, const char *path)
{
	FILE *fp = fopen(path, "w");
	for (size_t i = 0; i < l->n; i++) {
		fprintf(fp, "%s\n", l->v[i]);
	}
	fclose(fp);
}

/* Presentation text of an RR on one line, tabs as ldns writes them. */
static char *rr_line(const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	char *comment = strstr(s, " ;");
	if (comment != NULL) {
		*comment = 0; /* ldns's key tag note after a DNSKEY */
	}
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
		s[--n] = 0;
	}
	return s;
}

static ldns_rr *line_rr(const char *line)
{
	ldns_rr *rr = NULL;
	return ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) == LDNS_STATUS_OK ? rr : NULL;
}

/* Owner of a line, parsed. */
static ldns_rdf *line_owner(const char *line)
{
	char buf[512];
	size_t n = strcspn(line, " \t");
	snprintf(buf, sizeof(buf), "%.*s", (int)n, line);
	return ldns_dname_new_frm_str(buf);
}

static bool owner_is(const char *line, const char *owner)
{
	size_t n = strcspn(line, " \t");
	return n == strlen(owner) && strncasecmp(line, owner, n) == 0;
}

/* Whether a line holds type (the word after the class). */
static bool type_is(const char *line, const char *type)
{
	char t[32], o[256], c[8];
	unsigned long ttl;
	return sscanf(line, "%255s %lu %7s %31s", o, &ttl, c, t) == 4 && strcasecmp(t, type) == 0;
}

/* Whether a line is an RRSIG covering type. */
static bool sig_covers(const char *line, const char *type)
{
	char t[32], o[256], c[8], cov[32];
	unsigned long ttl;
	return sscanf(line, "%255s %lu %7s %31s %31s", o, &ttl, c, t, cov) == 5 &&
	       strcasecmp(t, "RRSIG") == 0 && strcasecmp(cov, type) == 0;
}

/* Removes every line of an owner. */
static void drop_owner(struct lines *l, const char *owner)
{
	for (size_t k = 0; k < l->n;) {
		if (owner_is(l->v[k], owner)) {
			lines_del(l, k);
		} else {
			k++;
		}
	}
}

static size_t find_line(const struct lines *l, const char *owner, const char *type)
{
	for (size_t i = 0; i < l->n; i++) {
		if (owner_is(l->v[i], owner) && type_is(l->v[i], type)) {
			return i;
		}
	}
	return (size_t)-1;
}

/* Inserts a line where its owner goes in canonical order (after the owner's lines). */
static void insert_sorted(struct lines *l, const char *text)
{
	ldns_rdf *o = line_owner(text);
	size_t at = l->n;
	for (size_t i = 1; i < l->n; i++) {
		ldns_rdf *x = line_owner(l->v[i]);
		int c = ldns_dname_compare(x, o);
		ldns_rdf_deep_free(x);
		if (c > 0) {
			at = i;
			break;
		}
	}
	ldns_rdf_deep_free(o);
	lines_push(l, at, text);
}

/* Signs the owner's RRset of type again: its RRSIG lines replaced. */
static void resign(struct lines *l, const char *owner, const char *type)
{
	ldns_rr_list *set = ldns_rr_list_new();
	size_t last = 0;
	for (size_t i = 0; i < l->n;) {
		if (owner_is(l->v[i], owner) && sig_covers(l->v[i], type)) {
			lines_del(l, i);
			continue;
		}
		ldns_rr *rr = NULL;
		if (owner_is(l->v[i], owner) && type_is(l->v[i], type) &&
		    (rr = line_rr(l->v[i])) != NULL) {
			ldns_rr_list_push_rr(set, rr);
			last = i;
		}
		i++;
	}
	/* ldns's zone signing may leave a key marked unused */
	for (size_t k = 0; k < ldns_key_list_key_count(keys); k++) {
		ldns_key_set_use(ldns_key_list_key(keys, k), true);
	}
	ldns_rr_list *sigs = ldns_rr_list_rr_count(set) > 0 ? ldns_sign_public(set, keys) : NULL;
	for (size_t k = 0; sigs != NULL && k < ldns_rr_list_rr_count(sigs); k++) {
		char *s = rr_line(ldns_rr_list_rr(sigs, k));
		lines_push(l, last + 1 + k, s);
		free(s);
	}
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
}

/* Replaces field `field` (0 = owner) of line i. */
static void set_field(struct lines *l, size_t i, int field, const char *value)
{
	char out[4096] = "", *copy = strdup(l->v[i]), *save = NULL;
	int f = 0;
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		strcat(out, f ? "\t" : "");
		strcat(out, f == field ? value : tok);
		f++;
	}
	lines_set(l, i, out);
	free(copy);
}

/* The NSEC3 owner (hash label) of a name, e.g. "d05.test.". */
static void nsec3_owner(const char *name, char *out, size_t size)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	ldns_rdf *h = ldns_nsec3_hash_name(n, LDNS_SHA1, 0, 0, NULL);
	char *s = ldns_rdf2str(h);
	snprintf(out, size, "%stest.", s);
	free(s);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
}

/* Field `field` of a line into buf ("" when there are fewer). */
static void get_field(const char *line, int field, char *buf, size_t size)
{
	char *copy = strdup(line), *save = NULL;
	int f = 0;
	buf[0] = 0;
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (f++ == field) {
			snprintf(buf, size, "%s", tok);
			break;
		}
	}
	free(copy);
}

/*
 * Removes the NSEC3 of a name (when it has one) and closes the chain: the
 * predecessor's next hashed owner becomes the removed record's, re-signed.
 */
static void drop_nsec3(struct lines *l, const char *name)
{
	char h[256], next[128], label[128], f[128], pred[256];
	nsec3_owner(name, h, sizeof(h));
	size_t i = find_line(l, h, "NSEC3");
	if (i == (size_t)-1) {
		return;
	}
	get_field(l->v[i], 8, next, sizeof(next));
	snprintf(label, sizeof(label), "%.*s", (int)strcspn(h, "."), h);
	drop_owner(l, h);
	for (size_t k = 0; k < l->n; k++) {
		get_field(l->v[k], 8, f, sizeof(f));
		if (type_is(l->v[k], "NSEC3") && strcasecmp(f, label) == 0) {
			set_field(l, k, 8, next);
			get_field(l->v[k], 0, pred, sizeof(pred));
			resign(l, pred, "NSEC3");
			return;
		}
	}
}

/*
 * Adds the NSEC3 of a name with the given types, in the chain after its
 * predecessor (whose next hashed owner it takes), both signed.
 */
static void add_nsec3(struct lines *l, const char *name, const char *types)
{
	char h[256], label[128], pred[256] = "", next[128], f[128], line[1024];
	nsec3_owner(name, h, sizeof(h));
	snprintf(label, sizeof(label), "%.*s", (int)strcspn(h, "."), h);
	/* the predecessor: the last NSEC3 whose owner hash sorts before the new one (or the last) */
	for (size_t k = 0; k < l->n; k++) {
		char o[256];
		get_field(l->v[k], 0, o, sizeof(o));
		if (type_is(l->v[k], "NSEC3") && (pred[0] == 0 || strcasecmp(o, h) < 0)) {
			snprintf(pred, sizeof(pred), "%s", o);
		}
	}
	size_t i = find_line(l, pred, "NSEC3");
	get_field(l->v[i], 8, next, sizeof(next));
	set_field(l, i, 8, label);
	resign(l, pred, "NSEC3");
	get_field(l->v[i], 1, f, sizeof(f));
	snprintf(line, sizeof(line), "%s\t%s\tIN\tNSEC3\t1 1 0 - %s %s", h, f, next, types);
	insert_sorted(l, line);
	resign(l, h, "NSEC3");
}

/* ---- the zone P ---- */

static ldns_key *make_key(uint16_t flags)
{
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	ldns_key_set_flags(k, flags);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("test."));
	ldns_key_set_inception(k, NOW - DAY);
	ldns_key_set_expiration(k, NOW + 30 * DAY);
	ldns_rr *rr = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_rr_free(rr);
	return k;
}

struct sorted {
	ldns_rdf *owner;
	char *line;
	size_t index;
};

static int sorted_cmp(const void *pa, const void *pb)
{
	const struct sorted *a = pa, *b = pb;
	int c = ldns_dname_compare(a->owner, b->owner);
	return c != 0 ? c : a->index < b->index ? -1 : 1;
}

static bool make_zone(struct lines *out)
{
	const char *unsigned_path = path_of("unsigned.zone"), *signed_path = path_of("signed.txt");
	FILE *fp = fopen(unsigned_path, "w");
	fprintf(fp, "test. 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 1 1800 900 1209600 3600\n"
	            "test. 3600 IN NS ns1.nic.test.\nns1.nic.test. 3600 IN A 192.0.2.53\n"
	            "www.test. 3600 IN A 192.0.2.80\n");
	for (int i = 0; i < 60; i++) {
		fprintf(fp, "d%02d.test. 86400 IN NS ns1.d%02d.test.\n", i, i);
		if (i % 3 == 0) {
			fprintf(fp, "ns1.d%02d.test. 86400 IN A 192.0.2.%d\n", i, i + 1);
		}
		if (i % 4 == 0) {
			fprintf(fp, "d%02d.test. 86400 IN DS %d 13 2 %064x\n", i, 1000 + i, i * 7919);
		}
	}
	/* an empty non-terminal leading to a secure and an insecure delegation */
	fprintf(fp, "a.sub.test. 86400 IN NS ns.example.\nb.sub.test. 86400 IN NS ns.example.\n"
	            "b.sub.test. 86400 IN DS 4242 13 2 %064x\n", 4242);
	fclose(fp);

	ldns_dnssec_zone *dz = NULL;
	ldns_rdf *origin = ldns_dname_new_frm_str("test.");
	fp = fopen(unsigned_path, "r");
	ldns_status st = ldns_dnssec_zone_new_frm_fp(&dz, fp, origin, 3600, LDNS_RR_CLASS_IN);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		diag("ldns: %s", ldns_get_errorstr_by_id(st));
		return false;
	}
	keys = ldns_key_list_new();
	ldns_key_list_push_key(keys, make_key(257));
	ldns_key_list_push_key(keys, make_key(256));
	for (size_t k = 0; k < 2; k++) {
		ldns_rr *kr = ldns_key2rr(ldns_key_list_key(keys, k));
		ldns_rr_set_ttl(kr, 3600);
		ldns_dnssec_zone_add_rr(dz, kr);
	}
	ldns_rr_list *new_rrs = ldns_rr_list_new();
	st = ldns_dnssec_zone_sign_nsec3_flg(dz, new_rrs, keys, ldns_dnssec_default_replace_signatures,
	                                     NULL, LDNS_SHA1, LDNS_NSEC3_VARS_OPTOUT_MASK, 0, 0, NULL, 0);
	if (st != LDNS_STATUS_OK) {
		diag("ldns sign: %s", ldns_get_errorstr_by_id(st));
		return false;
	}
	fp = fopen(signed_path, "w");
	ldns_dnssec_zone_print(fp, dz);
	fclose(fp);
	ldns_dnssec_zone_deep_free(dz);
	ldns_rr_list_free(new_rrs); /* the records are the zone's */
	ldns_rdf_deep_free(origin);

	/* one record a line, no comments or blank lines, tabs between fields */
	char line[8192];
	memset(out, 0, sizeof(*out));
	fp = fopen(signed_path, "r");
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == 0 || line[0] == ';') {
			continue;
		}
		ldns_rr *rr = line_rr(line);
		if (rr == NULL) {
			diag("unparsable: %s", line);
			fclose(fp);
			return false;
		}
		char *s = rr_line(rr);
		lines_push(out, out->n, s);
		free(s);
		ldns_rr_free(rr);
	}
	fclose(fp);
	/* in canonical order by owner, each owner's lines in the order printed */
	struct sorted *v = calloc(out->n, sizeof(*v));
	for (size_t i = 0; i < out->n; i++) {
		v[i] = (struct sorted){ .owner = line_owner(out->v[i]), .line = out->v[i], .index = i };
	}
	qsort(v, out->n, sizeof(*v), sorted_cmp);
	for (size_t i = 0; i < out->n; i++) {
		out->v[i] = v[i].line;
		ldns_rdf_deep_free(v[i].owner);
	}
	free(v);
	/* ldns gives every name an NSEC3: opt-out spans made here, over odd insecure delegations */
	for (int i = 1; i < 60; i += 2) {
		char name[32];
		snprintf(name, sizeof(name), "d%02d.test.", i);
		drop_nsec3(out, name);
	}
	drop_nsec3(out, "a.sub.test.");
	return out->n > 100;
}

/* ---- the differential check ---- */

/* Whether the verifications run on one thread (the whole-zone part before the signatures). */
static bool one_thread;

static struct tld_verify_opts base_opts(tld_time_t now)
{
	return (struct tld_verify_opts){ .now = now, .refresh_window = 7 * DAY,
		                         .threads = one_thread ? 1 : 2 };
}

static bool same_issues(const struct tld_verify_issue *a, size_t na,
                        const struct tld_verify_issue *b, size_t nb)
{
	if (na != nb) {
		return false;
	}
	for (size_t i = 0; i < na; i++) {
		if (a[i].line != b[i].line || strcmp(a[i].reason, b[i].reason) != 0 ||
		    strcmp(a[i].record, b[i].record) != 0) {
			return false;
		}
	}
	return true;
}

static bool same_counts(const struct tld_verify_report *a, const struct tld_verify_report *b)
{
	return a->records == b->records && a->names == b->names &&
	       a->empty_nonterminals == b->empty_nonterminals &&
	       a->rrsets_signed == b->rrsets_signed && a->rrsigs_verified == b->rrsigs_verified &&
	       a->delegations_secure == b->delegations_secure &&
	       a->delegations_insecure == b->delegations_insecure && a->nsec3 == b->nsec3 &&
	       a->nsec == b->nsec && a->dnskey_response_size == b->dnskey_response_size;
}

/* Where a state's apex length is: after magic, version, the seal's key and IV. */
#define APEX_AT (16 + 4 + VFY_FILEMAC_KEY + VFY_FILEMAC_IV)

/* Whether a state's file tag (verify/filemac.h: after the apex) is zone's. */
static bool tags_file(const uint8_t *st, size_t len, const uint8_t *zone, size_t zlen)
{
	struct vfy_filemac m;
	size_t at = APEX_AT + 1 + (len > APEX_AT ? st[APEX_AT] : 0);
	if (len < at + sizeof(m) + VFY_FILEMAC_TAG) {
		return false;
	}
	memcpy(m.key, st + at, VFY_FILEMAC_KEY);
	memcpy(m.iv, st + at + VFY_FILEMAC_KEY, VFY_FILEMAC_IV);
	memcpy(m.tag, st + at + VFY_FILEMAC_KEY + VFY_FILEMAC_IV, VFY_FILEMAC_TAG);
	return vfy_filemac_check(&m, zone, zlen);
}

/*
 * Whether two states are the same but for the keys and IVs (drawn anew by
 * each verification) of the seal and the file tag, and so the tag and the
 * seal, and both tag the zone file's bytes.
 */
static bool same_state(const char *a, const char *b, const char *zone)
{
	size_t la, lb, lz;
	uint8_t *x = test_slurp(a, &la), *y = test_slurp(b, &lb), *z = test_slurp(zone, &lz);
	size_t at = APEX_AT + 1 + (la > APEX_AT ? x[APEX_AT] : 0), mac = sizeof(struct vfy_filemac);
	bool same = la == lb && la > at + mac + VFY_FILEMAC_TAG && memcmp(x, y, 20) == 0 &&
	            memcmp(x + APEX_AT, y + APEX_AT, at - APEX_AT) == 0 &&
	            memcmp(x + at + mac, y + at + mac, la - at - mac - VFY_FILEMAC_TAG) == 0 &&
	            tags_file(x, la, z, lz) && tags_file(y, lb, z, lz);
	free(x);
	free(y);
	free(z);
	return same;
}

enum expect { PASS_DELTA, FAIL, ANY };

/* Whether differential() reads P and its state ahead (tld_verify_prev_start()) for the delta path. */
static bool ahead;

/* What became of the cache files written ahead during differential()'s last delta run. */
static struct vfy_cache_ahead_stats last_ahead;

/*
 * Verifies N (written from lines) against P with the delta path and in full;
 * checks they agree.  Returns the delta run's mode (-1: a load error).
 */
static int differential(const char *what, const struct lines *n, tld_time_t now,
                        const char *state_in, enum expect expect)
{
	const char *np = path_of("n.zone"), *nstate = path_of("n.zone.vstate"),
	           *fstate = path_of("n-full.vstate");
	char ncache[1024], fcache[1024]; /* path_of()'s buffers rotate */
	snprintf(ncache, sizeof(ncache), "%s", path_of("n.zone.vcache"));
	snprintf(fcache, sizeof(fcache), "%s", path_of("n-full.vcache"));
	struct tld_verify_report *rd = NULL, *rf = NULL;
	struct tld_verify_opts od = base_opts(now), of = base_opts(now);
	int mode = -1;

	lines_write(n, np);
	unlink(nstate);
	unlink(fstate);
	unlink(ncache);
	unlink(fcache);
	od.previous = path_of("p.zone");
	od.state_in = state_in;
	od.state_out = nstate;
	of.state_out = fstate;
	/* the delta path with P's cache (written ahead of its checks), the full path without */
	od.cache_in = path_of("p.zone.vcache");
	od.cache_out = ncache;
	of.cache_out = fcache;
	od.prev_ahead = ahead ? tld_verify_prev_start(od.previous, od.state_in) : NULL;
	struct vfy_cache_ahead_stats a0, a1;
	vfy_cache_ahead_stats(&a0);
	int ret_d = tld_verify_zone_file(np, &od, &rd);
	vfy_cache_ahead_stats(&a1);
	last_ahead = (struct vfy_cache_ahead_stats){ .taken = a1.taken - a0.taken,
		                                     .refused = a1.refused - a0.refused };
	tld_verify_prev_free(od.prev_ahead);
	int ret_f = tld_verify_zone_file(np, &of, &rf);
	bool agree = ret_d == ret_f && (rd == NULL) == (rf == NULL) &&
	             (rd == NULL || (same_issues(rd->failures, rd->n_failures, rf->failures,
	                                         rf->n_failures) &&
	                             same_issues(rd->warnings, rd->n_warnings, rf->warnings,
	                                         rf->n_warnings) &&
	                             same_counts(rd, rf)));
	ok(agree, "%s: delta and full agree (%s, %zu failures)", what, tld_strerror(ret_f),
	   rf ? rf->n_failures : 0);
	if (!agree) {
		diag("delta %s %zu failures, full %s %zu failures", tld_strerror(ret_d),
		     rd ? rd->n_failures : 0, tld_strerror(ret_f), rf ? rf->n_failures : 0);
		if (rd != NULL) {
			tld_verify_report_print(stderr, rd);
		}
	}
	if (rd != NULL) {
		mode = (int)rd->mode;
	}
	if (expect == PASS_DELTA) {
		ok(ret_d == TLD_OK && mode == TLD_VERIFY_DELTA, "%s: passes by the delta path (%s)", what,
		   rd && rd->full_reason ? rd->full_reason : "delta");
		ok(same_state(nstate, fstate, np), "%s: the delta path writes the full path's state", what);
		/* the checks' entries are the guessed ones: the file written ahead is the cache */
		ok(last_ahead.taken == 1 && last_ahead.refused == 0,
		   "%s: the cache file written ahead taken (taken %zu, refused %zu)", what,
		   last_ahead.taken, last_ahead.refused);
	} else if (expect == FAIL) {
		ok(ret_d != TLD_OK && mode != TLD_VERIFY_DELTA, "%s: refused (%s; the delta path: %s)",
		   what, tld_strerror(ret_d), rd && rd->full_reason ? rd->full_reason : "-");
		ok(access(nstate, F_OK) != 0, "%s: no state written", what);
	}
	glob_t tmps;
	char pat[4096];
	snprintf(pat, sizeof(pat), "%s.tmp.*", nstate);
	size_t n_tmps = glob(pat, 0, NULL, &tmps) == 0 ? tmps.gl_pathc : 0;
	globfree(&tmps);
	ok(n_tmps == 0, "%s: no temporary state left (%zu)", what, n_tmps);
	/* every signature that verified in the cache, as a full verification's: the same bytes */
	size_t lc = 0, lf = 0;
	uint8_t *cd = test_slurp(ncache, &lc), *cf = test_slurp(fcache, &lf);
	ok(cd != NULL && cf != NULL && lc == lf && memcmp(cd, cf, lc) == 0,
	   "%s: the cache written is the full verification's", what);
	free(cd);
	free(cf);
	snprintf(pat, sizeof(pat), "%s.tmp.*", ncache);
	n_tmps = glob(pat, 0, NULL, &tmps) == 0 ? tmps.gl_pathc : 0;
	globfree(&tmps);
	ok(n_tmps == 0, "%s: no temporary cache left (%zu)", what, n_tmps);
	tld_verify_report_free(rd);
	tld_verify_report_free(rf);
	return mode;
}

/* ---- the variants ---- */

static void good_changes(const struct lines *p, const char *state)
{
	struct lines n;

	lines_copy(&n, p);
	differential("the same file", &n, NOW, state, PASS_DELTA);

	size_t i = find_line(&n, "d01.test.", "NS");
	set_field(&n, i, 4, "ns.changed.example.");
	differential("an insecure delegation's NS changed", &n, NOW, state, PASS_DELTA);
	lines_free(&n);

	lines_copy(&n, p);
	i = find_line(&n, "d04.test.", "DS");
	set_field(&n, i, 4, "4711");
	resign(&n, "d04.test.", "DS");
	differential("a secure delegation's DS changed, re-signed", &n, NOW, state, PASS_DELTA);
	lines_free(&n);

	lines_copy(&n, p);
	insert_sorted(&n, "d30a.test.\t86400\tIN\tNS\tns.example.");
	insert_sorted(&n, "e99.test.\t86400\tIN\tNS\tns.example.");
	differential("insecure delegations added in opt-out spans", &n, NOW, state, PASS_DELTA);
	lines_free(&n);

	lines_copy(&n, p);
	drop_owner(&n, "d03.test.");
	drop_owner(&n, "ns1.d03.test.");
	differential("an insecure delegation and its glue removed", &n, NOW, state, PASS_DELTA);
	lines_free(&n);

	/* the SOA serial and its signature: every version changes them */
	lines_copy(&n, p);
	i = find_line(&n, "test.", "SOA");
	set_field(&n, i, 6, "2");
	resign(&n, "test.", "SOA");
	differential("a new serial, re-signed", &n, NOW, state, PASS_DELTA);
	lines_free(&n);

	/* a new authoritative name with its NSEC3 spliced into the chain */
	lines_copy(&n, p);
	insert_sorted(&n, "mail.test.\t3600\tIN\tA\t192.0.2.25");
	resign(&n, "mail.test.", "A");
	add_nsec3(&n, "mail.test.", "A RRSIG");
	differential("a new signed name with its own NSEC3", &n, NOW, state, PASS_DELTA);
	lines_free(&n);

	/* a DS added to an insecure delegation: a new NSEC3, its neighbour's next */
	lines_copy(&n, p);
	insert_sorted(&n, "d05.test.\t86400\tIN\tDS\t5555 13 2 "
	                  "0000000000000000000000000000000000000000000000000000000000000005");
	resign(&n, "d05.test.", "DS");
	differential("a delegation turned secure without its NSEC3", &n, NOW, state, FAIL);
	lines_free(&n);
}

/* The NSEC3 record line of the name's hash, or -1. */
static size_t nsec3_line(const struct lines *l, const char *name)
{
	char h[256];
	nsec3_owner(name, h, sizeof(h));
	return find_line(l, h, "NSEC3");
}

static void bad_changes(const struct lines *p, const char *state)
{
	struct lines n;
	size_t i;

	lines_copy(&n, p);
	for (i = 0; i < n.n && !(sig_covers(n.v[i], "NSEC3")); i++) {
	}
	char *s = n.v[i];
	s[strlen(s) - 5] = s[strlen(s) - 5] == 'A' ? 'B' : 'A';
	differential("an RRSIG byte changed", &n, NOW, state, FAIL);
	/* the changed signature does not verify: not among the checks' entries, as guessed */
	ok(last_ahead.refused == 1 && last_ahead.taken == 0,
	   "an RRSIG byte changed: the cache file written ahead refused (taken %zu, refused %zu)",
	   last_ahead.taken, last_ahead.refused);
	lines_free(&n);

	/* the walk finds a difference in the file's last bytes (its 16-byte steps end short) */
	lines_copy(&n, p);
	for (i = n.n; i > 0 && strstr(n.v[i - 1], "\tRRSIG\t") == NULL; i--) {
	}
	ok(i + 2 >= n.n, "an RRSIG among the last two lines (%zu of %zu)", i, n.n);
	s = n.v[i - 1];
	s[strlen(s) - 5] = s[strlen(s) - 5] == 'A' ? 'B' : 'A';
	differential("the last RRSIG's byte changed", &n, NOW, state, FAIL);
	ok(last_ahead.refused == 1 && last_ahead.taken == 0,
	   "the last RRSIG's byte changed: the cache file written ahead refused (taken %zu, "
	   "refused %zu)", last_ahead.taken, last_ahead.refused);
	lines_free(&n);

	lines_copy(&n, p);
	i = nsec3_line(&n, "d08.test.");
	char owner[256];
	get_field(n.v[i], 0, owner, sizeof(owner));
	drop_owner(&n, owner);
	differential("an NSEC3 removed", &n, NOW, state, FAIL);
	lines_free(&n);

	/* with the chain closed again: the secure delegation is left in an opt-out span */
	lines_copy(&n, p);
	drop_nsec3(&n, "d08.test.");
	differential("a secure delegation's NSEC3 removed, chain closed, re-signed", &n, NOW, state,
	             FAIL);
	lines_free(&n);

	lines_copy(&n, p);
	i = nsec3_line(&n, "d12.test.");
	set_field(&n, i, 8, "00000000000000000000000000000000");
	snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(n.v[i], " \t"), n.v[i]);
	resign(&n, owner, "NSEC3");
	differential("an NSEC3 with a wrong next hash, re-signed", &n, NOW, state, FAIL);
	lines_free(&n);

	lines_copy(&n, p);
	i = nsec3_line(&n, "d16.test.");
	n.v[i] = realloc(n.v[i], strlen(n.v[i]) + 8);
	strcat(n.v[i], " TXT");
	snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(n.v[i], " \t"), n.v[i]);
	resign(&n, owner, "NSEC3");
	differential("an NSEC3 with a wrong bitmap, re-signed", &n, NOW, state, FAIL);
	lines_free(&n);

	/* the opt-out flag cleared on every NSEC3 (one alone may span no insecure delegation) */
	lines_copy(&n, p);
	for (size_t k = 0; k < n.n; k++) {
		if (type_is(n.v[k], "NSEC3")) {
			set_field(&n, k, 5, "0");
			snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(n.v[k], " \t"), n.v[k]);
			resign(&n, owner, "NSEC3");
		}
	}
	differential("the opt-out flags cleared, re-signed", &n, NOW, state, FAIL);
	lines_free(&n);

	lines_copy(&n, p);
	drop_owner(&n, "d06.test.");
	differential("a delegation removed, its glue left (unsigned authoritative data)", &n, NOW,
	             state, FAIL);
	lines_free(&n);

	lines_copy(&n, p);
	i = nsec3_line(&n, "d24.test.");
	lines_push(&n, i, n.v[i]);
	differential("an NSEC3 line twice", &n, NOW, state, FAIL);
	lines_free(&n);

	lines_copy(&n, p);
	insert_sorted(&n, "new.test.\t3600\tIN\tA\t192.0.2.99");
	differential("an unsigned RRset added", &n, NOW, state, FAIL);
	lines_free(&n);

	/* a name's types change, signed, but its (unchanged) NSEC3 bitmap does not follow */
	lines_copy(&n, p);
	insert_sorted(&n, "www.test.\t3600\tIN\tAAAA\t2001:db8::80");
	resign(&n, "www.test.", "AAAA");
	differential("a new type at a name, its NSEC3 bitmap unchanged", &n, NOW, state, FAIL);
	lines_free(&n);

	/* a new name with an NSEC3 whose bitmap is wrong */
	lines_copy(&n, p);
	insert_sorted(&n, "mail.test.\t3600\tIN\tA\t192.0.2.25");
	resign(&n, "mail.test.", "A");
	add_nsec3(&n, "mail.test.", "AAAA RRSIG");
	differential("a new name whose new NSEC3 has a wrong bitmap", &n, NOW, state, FAIL);
	lines_free(&n);

	/* time moved on: the changed part (the apex, re-signed to expire later) is fine, the
	 * unchanged signatures expire within the refresh window */
	lines_copy(&n, p);
	i = find_line(&n, "d01.test.", "NS");
	set_field(&n, i, 4, "ns.changed.example.");
	for (size_t k = 0; k < 2; k++) {
		ldns_key_set_expiration(ldns_key_list_key(keys, k), NOW + 60 * DAY);
	}
	static const char *const apex_types[] = { "SOA", "NS", "DNSKEY", "NSEC3PARAM" };
	for (size_t k = 0; k < 4; k++) {
		resign(&n, "test.", apex_types[k]);
	}
	for (size_t k = 0; k < 2; k++) {
		ldns_key_set_expiration(ldns_key_list_key(keys, k), NOW + 30 * DAY);
	}
	differential("a good change, but time moved on: signatures elsewhere in the refresh window",
	             &n, NOW + 25 * DAY, state, FAIL);
	lines_free(&n);

	/* out of order: the full path sorts and passes; the delta path must not take it */
	lines_copy(&n, p);
	i = find_line(&n, "d09.test.", "NS");
	char *moved = strdup(n.v[i]);
	lines_del(&n, i);
	lines_push(&n, n.n, moved);
	free(moved);
	int mode = differential("a delegation's line moved to the end", &n, NOW, state, ANY);
	ok(mode == TLD_VERIFY_FULL, "out of order: the full path ran");
	lines_free(&n);

	lines_copy(&n, p);
	i = find_line(&n, "d02.test.", "NS");
	lines_push(&n, i, n.v[i]);
	mode = differential("an NS line twice in a row", &n, NOW, state, ANY);
	lines_free(&n);

	lines_copy(&n, p);
	i = find_line(&n, "d02.test.", "NS");
	lines_push(&n, i, "; a comment");
	mode = differential("a comment line", &n, NOW, state, ANY);
	ok(mode == TLD_VERIFY_FULL, "a comment: the full path ran");
	lines_free(&n);
}

/* A copy of a state with one byte set, its trailing SHA-256 made right again. */
static const char *patched_state(const char *state, const char *name, size_t at, uint8_t v)
{
	const char *out = path_of(name);
	size_t len;
	uint8_t *buf = test_slurp(state, &len);

	if (len > at + VFY_FILEMAC_TAG) {
		buf[at] = v;
		vfy_vstate_reseal(buf, len);
		FILE *o = fopen(out, "wb");
		if (o != NULL) {
			fwrite(buf, 1, len, o);
			fclose(o);
		}
	}
	free(buf);
	return out;
}

static void states(const struct lines *p, const char *state)
{
	struct lines n;
	const char *bad = path_of("bad.vstate");
	FILE *in = fopen(state, "rb"), *out = fopen(bad, "wb");
	int c;
	long k = 0;
	while ((c = fgetc(in)) != EOF) {
		fputc(k++ == 200 ? c ^ 1 : c, out);
	}
	fclose(in);
	fclose(out);

	lines_copy(&n, p);
	size_t i = find_line(&n, "d01.test.", "NS");
	set_field(&n, i, 4, "ns.changed.example.");
	int mode = differential("a damaged state", &n, NOW, bad, ANY);
	ok(mode == TLD_VERIFY_FULL, "a damaged state: the full path ran");
	mode = differential("no state", &n, NOW, path_of("missing.vstate"), ANY);
	ok(mode == TLD_VERIFY_FULL, "no state: the full path ran");
	/* version 1 (a SHA-256 of the file where the tag is), well sealed */
	mode = differential("a state of format version 1", &n, NOW,
	                    patched_state(state, "v1.vstate", 19, 1), ANY);
	ok(mode == TLD_VERIFY_FULL, "a version-1 state: the full path ran");
	/* the file's tag changed, the state sealed again: the previous file is not the state's */
	size_t tag_at = APEX_AT + 1 + 6 + VFY_FILEMAC_KEY + VFY_FILEMAC_IV, slen;
	size_t key_last = tag_at - VFY_FILEMAC_IV - 1;
	uint8_t *sb = test_slurp(state, &slen);
	uint8_t tb = slen > tag_at ? sb[tag_at] : 0, kb = slen > tag_at ? sb[key_last] : 0;
	free(sb);
	mode = differential("a state whose file tag is another", &n, NOW,
	                    patched_state(state, "tag.vstate", tag_at, (uint8_t)(tb ^ 0x80)), ANY);
	ok(mode == TLD_VERIFY_FULL, "a wrong file tag: the full path ran");
	mode = differential("a state whose tag key is another", &n, NOW,
	                    patched_state(state, "key.vstate", key_last, (uint8_t)(kb ^ 0x5a)), ANY);
	ok(mode == TLD_VERIFY_FULL, "a wrong tag key: the full path ran");

	/* a state of another version (N's own) used for P */
	char other[512]; /* kept across differential(), whose path_of() calls rotate the buffers */
	snprintf(other, sizeof(other), "%s", path_of("other.vstate"));
	rename(path_of("n.zone.vstate"), other);
	differential("a good change, for the record", &n, NOW, state, PASS_DELTA);
	rename(path_of("n.zone.vstate"), other);
	mode = differential("the state of another file", &n, NOW, other, ANY);
	ok(mode == TLD_VERIFY_FULL, "a foreign state: the full path ran");

	/* the previous file edited after its state was written */
	struct lines q;
	lines_copy(&q, p);
	i = find_line(&q, "d02.test.", "NS");
	set_field(&q, i, 4, "ns.sneaked.example.");
	lines_write(&q, path_of("p.zone"));
	mode = differential("the previous file edited after its state", &n, NOW, state, ANY);
	ok(mode == TLD_VERIFY_FULL, "an edited previous file: the full path ran");
	lines_write(p, path_of("p.zone"));
	lines_free(&q);
	lines_free(&n);
}

/* The previous version read ahead: used only for its own paths, and as read then. */
static void read_ahead(const struct lines *p, const char *state)
{
	struct lines n;
	lines_copy(&n, p);
	size_t i = find_line(&n, "d01.test.", "NS");
	set_field(&n, i, 4, "ns.ahead.example.");
	lines_write(&n, path_of("n.zone"));

	ok(tld_verify_prev_start(path_of("p.zone"), path_of("missing.vstate")) == NULL,
	   "ahead: no state, nothing read ahead");
	ok(tld_verify_prev_start(path_of("missing.zone"), state) == NULL,
	   "ahead: no previous file, nothing read ahead");

	/* read ahead, then the state replaced by rename with a damaged one: what was read is used */
	char keep[512];
	snprintf(keep, sizeof(keep), "%s", path_of("kept.vstate"));
	if (link(state, keep) != 0) {
		ok(0, "ahead: state kept");
	}
	struct tld_verify_opts o = base_opts(NOW);
	struct tld_verify_report *r = NULL;
	o.previous = path_of("p.zone");
	o.state_in = state;
	o.prev_ahead = tld_verify_prev_start(o.previous, o.state_in);
	ok(o.prev_ahead != NULL, "ahead: started");
	if (o.prev_ahead != NULL) {
		vfy_prev_wait(o.prev_ahead); /* read: what is renamed in now is not */
	}
	size_t slen;
	uint8_t *sb = test_slurp(state, &slen);
	FILE *sw = fopen(path_of("swap.vstate"), "wb");
	if (sb != NULL && sw != NULL && slen > 200) {
		sb[200] ^= 1; /* not sealed again: refused when read */
		fwrite(sb, 1, slen, sw);
	}
	if (sw != NULL) {
		fclose(sw);
	}
	free(sb);
	rename(path_of("swap.vstate"), state);
	int ret = tld_verify_zone_file(path_of("n.zone"), &o, &r);
	ok(ret == TLD_OK && r != NULL && r->mode == TLD_VERIFY_DELTA,
	   "ahead: the state read ahead is the one used (delta path, %s)", tld_strerror(ret));
	tld_verify_report_free(r);
	r = NULL;

	/* the same reading for other paths: not used, the damaged state read here: full path */
	o.state_in = path_of("n.zone.vstate"); /* another path */
	rename(state, o.state_in);
	ret = tld_verify_zone_file(path_of("n.zone"), &o, &r);
	ok(ret == TLD_OK && r != NULL && r->mode == TLD_VERIFY_FULL,
	   "ahead: a reading of other paths is not used (the damaged state read: full path)");
	tld_verify_report_free(r);
	tld_verify_prev_free(o.prev_ahead);
	rename(keep, state);
	lines_free(&n);

	/* every verdict with the reading ahead is the full path's, as without */
	ahead = true;
	good_changes(p, state);
	states(p, state);
	ahead = false;
}

/* Random single-line mutations: the delta path's verdict is the full path's. */
static void mutations(const struct lines *p, const char *state, unsigned count, unsigned seed)
{
	unsigned delta = 0;
	for (unsigned m = 0; m < count; m++) {
		struct lines n;
		char what[128];
		lines_copy(&n, p);
		seed = seed * 1103515245u + 12345u;
		size_t i = 1 + (seed >> 8) % (n.n - 1);
		seed = seed * 1103515245u + 12345u;
		switch ((seed >> 16) % 4) {
		case 0:
			lines_del(&n, i);
			snprintf(what, sizeof(what), "mutation %u: line %zu removed", m, i + 1);
			break;
		case 1:
			lines_push(&n, i, n.v[i]);
			snprintf(what, sizeof(what), "mutation %u: line %zu twice", m, i + 1);
			break;
		case 2: {
			char *s = n.v[i], owner[256], type[32];
			size_t len = strlen(s), at = (seed >> 4) % len;
			s[at] = s[at] == 'a' ? 'b' : s[at] == '0' ? '1' : s[at] == '\t' ? '\t' : 'a';
			get_field(s, 0, owner, sizeof(owner));
			get_field(s, 3, type, sizeof(type));
			/* every other one signed again: only the structural checks can refuse it */
			ldns_rr *parsed = line_rr(s);
			bool again = (m & 1) && strcasecmp(type, "RRSIG") != 0 && parsed != NULL;
			ldns_rr_free(parsed);
			if (again) {
				resign(&n, owner, type);
			}
			snprintf(what, sizeof(what), "mutation %u: line %zu byte %zu%s", m, i + 1, at,
			         again ? ", signed again" : "");
			break;
		}
		default:
			if (i + 1 < n.n) {
				char *t = n.v[i];
				n.v[i] = n.v[i + 1];
				n.v[i + 1] = t;
			}
			snprintf(what, sizeof(what), "mutation %u: lines %zu and %zu swapped", m, i + 1,
			         i + 2);
			break;
		}
		delta += differential(what, &n, NOW, state, ANY) == TLD_VERIFY_DELTA;
		lines_free(&n);
	}
	diag("%u of %u mutations passed by the delta path, the others went to the full path", delta,
	     count);
}

int main(void)
{
	struct lines p;

	plan_lazy();
	tld_log_init(getenv("VERBOSE") ? TLD_LOG_DEBUG : TLD_LOG_ERROR, false);
	if (mkdtemp(dir) == NULL || !make_zone(&p)) {
		ok(0, "signed zone made");
		return exit_status();
	}
	char pp[512], state[512]; /* not path_of()'s rotating buffers: kept all along */
	snprintf(pp, sizeof(pp), "%s", path_of("p.zone"));
	snprintf(state, sizeof(state), "%s", path_of("p.zone.vstate"));
	lines_write(&p, pp);
	struct tld_verify_opts o = base_opts(NOW);
	struct tld_verify_report *r = NULL;
	o.state_out = state;
	o.cache_out = path_of("p.zone.vcache");
	is_int(TLD_OK, tld_verify_zone_file(pp, &o, &r), "P verifies in full (%zu lines)", p.n);
	if (r != NULL && r->n_failures > 0) {
		tld_verify_report_print(stderr, r);
	}
	tld_verify_report_free(r);
	ok(access(state, F_OK) == 0, "P's state written");

	good_changes(&p, state);
	bad_changes(&p, state);
	one_thread = true; /* no worker thread: the same verdicts, states and reports */
	good_changes(&p, state);
	bad_changes(&p, state);
	one_thread = false;
	states(&p, state);
	read_ahead(&p, state);
	/* MUTATIONS=N SEED=S for a longer run by hand */
	const char *mn = getenv("MUTATIONS"), *ms = getenv("SEED");
	mutations(&p, state, mn ? (unsigned)atoi(mn) : 300, ms ? (unsigned)atoi(ms) : 12345);

	lines_free(&p);
	ldns_key_list_free(keys);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (getenv("KEEP") == NULL && system(cmd) != 0) {
		diag("could not remove %s", dir);
	}
	return exit_status();
}
