/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish/zonedelta: the delta path's image file and journal entry are the
 * whole-text path's byte for byte (changes at the start, middle and end, the
 * SOA alone, a bounded random-mutation loop), and it falls back (TLD_EAGAIN)
 * whenever its preconditions do not hold: identical files, lines out of
 * order, directives, comments, parentheses, lines that do not name owner and
 * TTL, a second SOA, a current image that is not the current file's (another
 * version, a record missing or different, truncated, not an image), a
 * current file edited since it was recorded (in texts of many pieces too:
 * its check is fed by the walk); an image with its identity recorded is not
 * summed again (a wrong recorded check shows it), one rewritten in place
 * since, the same size, is, and the change is found; an image file's
 * reserved blocks leave its size what is written.
 * $TLDSIGN_DELTA_PAIR="current.zone:current.img:new.zone" compares the two
 * paths on real files as well.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "publish/zonedelta.h"
#include "publish/zoneimage.h"
#include "tests/tap/tap.h"

static char dir[256], old_zone[1100], old_img[1100], full_img[300], delta_img[300];
static char full_j[300], delta_j[300];
/* what the current version's row records: its file's digest and check, its image's check */
static char cur_digest[65], cur_check[17], cur_text_check[17];

static bool write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");
	bool good = fp != NULL && fwrite(text, 1, len, fp) == len;
	return fp != NULL && fclose(fp) == 0 && good;
}

static bool same_files(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = tap_read_file(a, &la), *y = tap_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;
	if (!same) {
		diag("%s (%zu bytes) and %s (%zu bytes) differ", a, la, b, lb);
	}
	free(x);
	free(y);
	return same;
}

/* The current version's row as recorded: its files, digest, checks and image identity (cur_*). */
static void current_info(struct tld_version_info *cur, uint32_t serial)
{
	memset(cur, 0, sizeof(*cur));
	cur->id = 1;
	cur->serial = serial;
	snprintf(cur->file, sizeof(cur->file), "%s", old_zone);
	snprintf(cur->image, sizeof(cur->image), "%s", old_img);
	snprintf(cur->digest, sizeof(cur->digest), "%s", cur_digest);
	snprintf(cur->image_check, sizeof(cur->image_check), "%s", cur_check);
	snprintf(cur->text_check, sizeof(cur->text_check), "%s", cur_text_check);
}

/*
 * The delta new_text against (old_zone, old_img): when it is taken, its
 * image file and journal entry must be the whole-text path's, byte for
 * byte.  \return the plan's result
 */
static int delta_vs_full_files(const char *new_text, uint32_t old_serial, const char *what)
{
	size_t len = strlen(new_text);
	struct tld_zone_image *img = NULL, *jf = NULL, *jd = NULL;
	struct tld_zone_delta *d = NULL;
	int rf = tld_image_from_zone_text("new", new_text, len, &img);
	struct tld_version_info cur;
	current_info(&cur, old_serial);
	int r = tld_zone_delta_plan(&cur, "new", new_text, len, &d);
	if (r != TLD_OK) {
		ok(d == NULL, "%s: no delta", what);
		goto done;
	}
	if (!is_int(TLD_OK, rf, "%s: the whole-text path reads what the delta path read", what)) {
		goto done;
	}
	bool good = tld_image_save(img, full_img) == TLD_OK && tld_zone_delta_save(d, delta_img) == TLD_OK;
	ok(good && same_files(full_img, delta_img), "%s: the same image file (%zu records)", what,
	   img->count);
	is_int((long long)img->count, (long long)tld_zone_delta_records(d), "%s: record count", what);
	is_int(img->serial, tld_zone_delta_serial(d), "%s: serial", what);
	ok(tld_image_check(img) == tld_zone_delta_check(d), "%s: the same image check", what);
	good = tld_image_diff_file(old_img, img, &jf) == TLD_OK &&
	       tld_zone_delta_journal(d, &jd) == TLD_OK && tld_image_save(jf, full_j) == TLD_OK &&
	       tld_image_save(jd, delta_j) == TLD_OK;
	ok(good && same_files(full_j, delta_j), "%s: the same journal entry (%zu records)", what,
	   jf != NULL ? jf->count : 0);
done:
	tld_zone_delta_free(d);
	tld_image_free(img);
	tld_image_free(jf);
	tld_image_free(jd);
	return r;
}

/* Writes the current version's files: old_text, and the image of image_text (NULL: of old_text). */
static uint32_t set_current(const char *old_text, const char *image_text)
{
	struct tld_zone_image *img = NULL;
	const char *it = image_text != NULL ? image_text : old_text;
	uint32_t serial = 0;
	if (!write_file(old_zone, old_text, strlen(old_text)) ||
	    tld_image_from_zone_text("current", it, strlen(it), &img) != TLD_OK ||
	    tld_image_save(img, old_img) != TLD_OK ||
	    tld_zone_text_digest(old_text, strlen(old_text), cur_digest) != TLD_OK) {
		diag("current version not written");
	} else {
		serial = img->serial;
		snprintf(cur_check, sizeof(cur_check), "%016llx", (unsigned long long)tld_image_check(img));
		snprintf(cur_text_check, sizeof(cur_text_check), "%016llx",
		         (unsigned long long)tld_zone_text_check(old_text, strlen(old_text)));
	}
	tld_image_free(img);
	return serial;
}

static int delta_vs_full(const char *old_text, const char *new_text, const char *what)
{
	return delta_vs_full_files(new_text, set_current(old_text, NULL), what);
}

/* -- a zone model: domains with NS, DS + RRSIG, glue; rendered in canonical order -- */

#define DOMAINS 300

struct domain {
	bool present, ds, glue;
	int ns, ttl, dsv;
};

struct model {
	unsigned serial;
	int apex_sig;
	struct domain d[DOMAINS];
};

static const char *const PREFIX[] = { "a", "b-", "zz", "m0", "x", "k" };

static void domain_name(int i, char *out, size_t size)
{
	snprintf(out, size, "%s%d.test.", PREFIX[i % 6], i * 7 % 1000);
}

struct owner {
	uint8_t wire[TLD_DNS_MAXNAME];
	int domain;
	bool glue;
};

static int owner_cmp(const void *a, const void *b)
{
	return tld_wire_name_canon_cmp(((const struct owner *)a)->wire, ((const struct owner *)b)->wire);
}

static void b64(unsigned seed, char *out)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (int i = 0; i < 84; i++) {
		seed = seed * 1103515245u + 12345u;
		out[i] = A[(seed >> 16) % 64];
	}
	out[84] = 0;
}

/* Renders the model as a signer writes it: SOA first, owners in canonical order. */
static char *render(const struct model *m)
{
	static struct owner owners[2 * DOMAINS];
	size_t cap = 4096 + (size_t)DOMAINS * 1200, len = 0, n = 0;
	char *t = malloc(cap), name[128], sig[90];
	int ttls[3] = { 86400, 3600, 300 };
	b64((unsigned)m->apex_sig, sig);
	len += (size_t)snprintf(t + len, cap - len,
	                        "test.\t3600\tIN\tSOA\tns1.nic.test. hostmaster.nic.test. %u 1800 900 1209600 3600\n"
	                        "test.\t3600\tIN\tRRSIG\tSOA 13 1 3600 20261205074135 20261121090500 60154 test. %s\n"
	                        "test.\t172800\tIN\tNS\tns1.nic.test.\n"
	                        "test.\t172800\tIN\tNS\tns2.nic.test.\n",
	                        m->serial, sig);
	for (int i = 0; i < DOMAINS; i++) {
		if (!m->d[i].present) {
			continue;
		}
		for (int g = 0; g <= (m->d[i].glue ? 1 : 0); g++) {
			size_t wl;
			char full[160];
			domain_name(i, name, sizeof(name));
			snprintf(full, sizeof(full), "%s%s", g ? "ns1." : "", name);
			tld_name_from_text(full, owners[n].wire, &wl);
			owners[n].domain = i;
			owners[n].glue = g;
			n++;
		}
	}
	qsort(owners, n, sizeof(owners[0]), owner_cmp);
	for (size_t k = 0; k < n; k++) {
		const struct domain *d = &m->d[owners[k].domain];
		int ttl = ttls[d->ttl % 3], i = owners[k].domain;
		domain_name(i, name, sizeof(name));
		if (owners[k].glue) {
			len += (size_t)snprintf(t + len, cap - len, "ns1.%s\t%d\tIN\tA\t192.0.2.%d\n"
			                        "ns1.%s\t%d\tIN\tAAAA\t2001:db8::%x\n",
			                        name, ttl, i % 250 + 1, name, ttl, i + d->ns);
			continue;
		}
		len += (size_t)snprintf(t + len, cap - len, "%s\t%d\tIN\tNS\tns1.v%d.example.\n"
		                        "%s\t%d\tIN\tNS\tns2.v%d.example.\n",
		                        name, ttl, d->ns, name, ttl, d->ns);
		if (d->ds) {
			b64((unsigned)(i * 31 + d->dsv), sig);
			len += (size_t)snprintf(t + len, cap - len,
			                        "%s\t%d\tIN\tDS\t%d 13 2 %08x%056x\n"
			                        "%s\t%d\tIN\tRRSIG\tDS 13 2 %d 20261205074135 20261121090500 60154 test. %s\n",
			                        name, ttl, 1000 + i, (unsigned)(i * 2654435761u + (unsigned)d->dsv), 0,
			                        name, ttl, ttl, sig);
		}
	}
	return t;
}

static unsigned rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->serial = 100;
	for (int i = 0; i < DOMAINS; i++) {
		m->d[i].present = i % 5 != 4;
		m->d[i].ds = i % 3 == 0;
		m->d[i].glue = i % 7 == 0;
	}
}

static void mutate(struct model *m, int changes)
{
	m->serial++;
	m->apex_sig++;
	for (int c = 0; c < changes; c++) {
		struct domain *d = &m->d[rnd(DOMAINS)];
		switch (rnd(6)) {
		case 0: d->present = !d->present; break;
		case 1: d->ns++; break;
		case 2: d->ds = !d->ds; break;
		case 3: d->ttl++; break;
		case 4: d->glue = !d->glue; break;
		default: d->dsv++; break;
		}
	}
}

/* A domain's first line in a text (its NS line), or NULL. */
static char *domain_line(char *text, int i)
{
	char name[128], key[160];
	domain_name(i, name, sizeof(name));
	snprintf(key, sizeof(key), "\n%s\t", name);
	char *p = strstr(text, key);
	return p != NULL ? p + 1 : NULL;
}

/* text with s inserted at p (a line start in text). */
static char *insert_at(const char *text, const char *p, const char *s)
{
	size_t a = (size_t)(p - text), l = strlen(text), sl = strlen(s);
	char *t = malloc(l + sl + 1);
	memcpy(t, text, a);
	memcpy(t + a, s, sl);
	memcpy(t + a + sl, p, l - a + 1);
	return t;
}

static void places(void)
{
	struct model m;
	model_init(&m);
	char *old = render(&m);
	int firsts[3] = { -1, -1, -1 };  /* the first, a middle and the last domain in text order */
	struct model m2 = m;
	m2.serial++;
	m2.apex_sig++;
	char *soa_only = render(&m2);
	is_int(TLD_OK, delta_vs_full(old, soa_only, "SOA change only"), "SOA change only: delta taken");
	free(soa_only);
	is_int(TLD_EAGAIN, delta_vs_full(old, old, "identical files"), "identical files: not taken");

	/* find the domains whose lines come first, in the middle and last */
	const char *best_first = NULL, *best_last = NULL;
	for (int i = 0; i < DOMAINS; i++) {
		const char *p = m.d[i].present ? domain_line(old, i) : NULL;
		if (p != NULL && (best_first == NULL || p < best_first)) {
			best_first = p;
			firsts[0] = i;
		}
		if (p != NULL && (best_last == NULL || p > best_last)) {
			best_last = p;
			firsts[2] = i;
		}
	}
	firsts[1] = 150;
	static const char *where[3] = { "start", "middle", "end" };
	for (int w = 0; w < 3; w++) {
		char what[128];
		int i = firsts[w];
		for (int op = 0; op < 4; op++) {
			m2 = m;
			m2.serial++;
			switch (op) {
			case 0: m2.d[i].ns++; snprintf(what, sizeof(what), "%s: changed NS", where[w]); break;
			case 1: m2.d[i].present = false; snprintf(what, sizeof(what), "%s: removed", where[w]); break;
			case 2: m2.d[i].ds = !m2.d[i].ds; m2.d[i].glue = !m2.d[i].glue;
				snprintf(what, sizeof(what), "%s: DS and glue toggled", where[w]); break;
			default: m2.d[i].ttl++; snprintf(what, sizeof(what), "%s: TTL changed", where[w]); break;
			}
			char *t = render(&m2);
			is_int(TLD_OK, delta_vs_full(old, t, what), "%s: delta taken", what);
			free(t);
		}
	}
	/* added before the first and after the last owner */
	m2 = m;
	m2.serial++;
	for (int i = 0; i < DOMAINS; i++) {
		if (!m2.d[i].present) {
			m2.d[i].present = true;
		}
	}
	char *t = render(&m2);
	is_int(TLD_OK, delta_vs_full(old, t, "every absent domain added"), "every absent domain added: delta taken");
	free(t);
	free(old);
}

static void random_mutations(void)
{
	struct model m;
	model_init(&m);
	int bad = 0, taken = 0;
	for (int round = 0; round < 120; round++) {
		char *old = render(&m);
		mutate(&m, 1 + (int)rnd(round % 10 == 0 ? 60 : 6));
		char *t = render(&m);
		char what[64];
		snprintf(what, sizeof(what), "random round %d", round);
		int r = delta_vs_full(old, t, what);
		taken += r == TLD_OK;
		bad += r != TLD_OK;
		free(old);
		free(t);
	}
	is_int(0, bad, "random mutations: the delta was taken every time (%d)", taken);
}

/* text with the line at p (a line start in text) replaced by s. */
static char *replace_line(const char *text, const char *p, const char *s)
{
	const char *e = strchr(p, '\n') + 1;
	size_t a = (size_t)(p - text), l = strlen(text), sl = strlen(s);
	char *t = malloc(l + sl + 1);
	memcpy(t, text, a);
	memcpy(t + a, s, sl);
	memcpy(t + a + sl, e, l - (size_t)(e - text) + 1);
	return t;
}

/* Line starts of text (at most max). */
static size_t line_starts(const char *text, size_t *at, size_t max)
{
	size_t n = 0;
	for (const char *p = text; *p && n < max; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		at[n++] = (size_t)(p - text);
	}
	return n;
}

/* One random edit of text: a line deleted, doubled, moved, a byte changed, a line of another's. */
static char *text_mutation(const char *text)
{
	static size_t at[4096];
	static const char bytes[] = " \t0123456789abcxyz.-;()\"$\\@*\r";
	size_t n = line_starts(text, at, 4096), len = strlen(text);
	size_t i = 1 + rnd((unsigned)(n - 1)), j = 1 + rnd((unsigned)(n - 1));
	const char *li = text + at[i], *lj = text + at[j];
	size_t li_len = (size_t)(strchr(li, '\n') + 1 - li), lj_len = (size_t)(strchr(lj, '\n') + 1 - lj);
	char *t = malloc(len + 1024), *line = NULL;
	switch (rnd(5)) {
	case 0:  /* deleted */
		memcpy(t, text, at[i]);
		memcpy(t + at[i], li + li_len, len - at[i] - li_len + 1);
		break;
	case 1:  /* doubled */
		memcpy(t, text, at[i] + li_len);
		memcpy(t + at[i] + li_len, li, len - at[i] + 1);
		break;
	case 2:  /* a byte changed */
		memcpy(t, text, len + 1);
		t[at[i] + rnd((unsigned)li_len - 1)] = bytes[rnd(sizeof(bytes) - 1)];
		break;
	default:  /* line j's copy before line i (out of place, or a duplicate) */
		line = strndup(lj, lj_len);
		memcpy(t, text, at[i]);
		memcpy(t + at[i], line, lj_len);
		memcpy(t + at[i] + lj_len, li, len - at[i] + 1);
		free(line);
		break;
	}
	return t;
}

/* Random edits of the texts: the delta is never wrong (taken: the same bytes; else refused). */
static void random_text_mutations(void)
{
	struct model m;
	model_init(&m);
	int taken = 0, refused = 0;
	for (int round = 0; round < 150; round++) {
		struct model m2 = m;
		mutate(&m2, 1 + (int)rnd(4));
		char *old = render(&m), *next = render(&m2), *t;
		int edits = 1 + (int)rnd(2);
		bool edit_old = rnd(4) == 0;
		for (int e = 0; e < edits; e++) {
			char **which = edit_old && e == 0 ? &old : &next;
			t = text_mutation(*which);
			free(*which);
			*which = t;
		}
		char what[64];
		snprintf(what, sizeof(what), "text edit round %d", round);
		struct tld_zone_image *probe = NULL;
		if (tld_image_from_zone_text("probe", old, strlen(old), &probe) != TLD_OK) {
			refused++;  /* a current text no publish would have recorded */
		} else {
			int r = delta_vs_full(old, next, what);
			taken += r == TLD_OK;
			refused += r != TLD_OK;
		}
		tld_image_free(probe);
		free(old);
		free(next);
	}
	ok(taken > 0 && refused > 0, "text edits: %d taken (each the same bytes), %d refused", taken, refused);
}

/* Small texts where a delta that took its lines for what they say alone would be wrong. */
static void context(void)
{
	static const char *soa1 = "test. 3600 IN SOA a. b. 1 1 1 1 1\n", *soa2 = "test. 3600 IN SOA a. b. 2 1 1 1 1\n";
	static const struct {
		const char *old, *new, *what;
	} cases[] = {
		{ "a.test. 300 IN NS x.\nb.test. IN NS y.\nc.test. 300 IN NS z.\n",
		  "a.test. 600 IN NS x.\nb.test. IN NS y.\nc.test. 300 IN NS z.\n",
		  "a line without TTL after a change (the last TTL differs)" },
		{ "a.test. 300 IN NS x.\n\t300 IN NS y.\nc.test. 300 IN NS z.\n",
		  "a.test. 300 IN NS x2.\n\t300 IN NS y.\nc.test. 300 IN NS z.\n",
		  "a line with its owner inherited after a change" },
		{ "$ORIGIN sub.test.\na 300 IN NS x.\nc.test. 300 IN NS z.\n",
		  "$ORIGIN sub.test.\na 300 IN NS y.\nc.test. 300 IN NS z.\n",
		  "$ORIGIN before changed relative names" },
		{ "$TTL 300\na.test. 300 IN NS x.\nb.test. IN NS y.\n",
		  "$TTL 300\na.test. 300 IN NS x2.\nb.test. IN NS y.\n",
		  "$TTL in force" },
		{ "a.test. 300 IN NS x.\nb.test. 300 IN NS (\n y. )\nc.test. 300 IN NS z.\n",
		  "a.test. 300 IN NS x2.\nb.test. 300 IN NS (\n y. )\nc.test. 300 IN NS z.\n",
		  "a record on two lines" },
		{ "a.test. 300 IN NS x.\n\nc.test. 300 IN NS z.\n",
		  "a.test. 300 IN NS x2.\n\nc.test. 300 IN NS z.\n",
		  "a blank line" },
		{ "a.test. 300 IN NS x.\nc.test. 300 IN NS z. ; comment\n",
		  "a.test. 300 IN NS x2.\nc.test. 300 IN NS z. ; comment\n",
		  "a comment" },
	};
	char o[512], n[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(o, sizeof(o), "%s%s", soa1, cases[i].old);
		snprintf(n, sizeof(n), "%s%s", soa2, cases[i].new);
		is_int(TLD_EAGAIN, delta_vs_full(o, n, cases[i].what), "%s: not taken", cases[i].what);
	}
	/* the control: the same without the hazard is taken */
	snprintf(o, sizeof(o), "%sa.test. 300 IN NS x.\nb.test. 300 IN NS y.\n", soa1);
	snprintf(n, sizeof(n), "%sa.test. 600 IN NS x.\nb.test. 300 IN NS y.\n", soa2);
	is_int(TLD_OK, delta_vs_full(o, n, "TTL named"), "every TTL named: taken");
}

/* The model's zone (m) and its next version with domain 150's NS changed; name: that domain's. */
static void ns_change(struct model *m, char **old, char **next, char *name, size_t size)
{
	model_init(m);
	*old = render(m);
	struct model m2 = *m;
	m2.serial++;
	m2.d[150].ns++;
	*next = render(&m2);
	domain_name(150, name, size);
}

/* Texts of the model's zone the delta path must not take (or, where noted, may take and must get right). */
static void fallbacks(void)
{
	struct model m;
	char *old, *next, name[128], line[640], *t;
	ns_change(&m, &old, &next, name, sizeof(name));
	char *mid = domain_line(next, 150);

	/* lines of domain 150's owner (in order, so that only the form is at fault) */
	static const struct {
		const char *rest, *what;
	} forms[] = {
		{ "\t3600\tIN\tSOA\ta. b. 9 1 1 1 1\n", "a second SOA" },
		{ "\t3600\tIN\tTXT\t\"x\"\n", "a record only ldns reads (quoted TXT)" },
		{ "\t3600\tIN\tMX\t10 mail.test.\n", "a type the fast reader leaves to ldns (MX)" },
		{ "\tIN\tNS\tns9.example.\n", "a changed line without TTL" },
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", name, forms[i].rest);
		t = insert_at(next, mid, line);
		is_int(TLD_EAGAIN, delta_vs_full(old, t, forms[i].what), "%s: not taken", forms[i].what);
		free(t);
	}
	t = insert_at(next, mid, "\n");
	is_int(TLD_EAGAIN, delta_vs_full(old, t, "blank line"), "a blank line: not taken");
	free(t);
	/* owners out of order: a domain's line before the line of the domain before it */
	{
		char *a = domain_line(next, 150);
		char *e = strchr(a, '\n') + 1;
		char moved[256];
		snprintf(moved, sizeof(moved), "%.*s", (int)(e - a), a);
		char *without = replace_line(next, a, "");
		char *prev = without + (a - next);
		while (prev > without && prev[-1] == '\n' && prev - 1 > without) {
			prev--;
			while (prev > without && prev[-1] != '\n') {
				prev--;
			}
			if (strncmp(prev, name, strlen(name)) != 0) {
				break;
			}
		}
		t = insert_at(without, prev, moved);
		is_int(TLD_EAGAIN, delta_vs_full(old, t, "out of order"), "lines out of canonical order: not taken");
		free(t);
		free(without);
	}
	/* the same record written otherwise: no change in the journal */
	struct model m3 = m;
	m3.serial++;
	char *soa_only = render(&m3);
	snprintf(line, sizeof(line), "%s 86400 IN NS ns1.v0.example.\n", name);
	char *same = replace_line(soa_only, domain_line(soa_only, 150), line);
	is_int(TLD_OK, delta_vs_full(old, same, "a line written otherwise"), "a line written otherwise: taken");
	free(same);
	free(soa_only);
	/* forms it may take, and then must read exactly as the whole-text path */
	snprintf(line, sizeof(line), "%.*s\t3600\tIN\tNS\tns1.example.\n", (int)strlen(name) - 6, name);
	t = insert_at(next, mid, line);
	int r = delta_vs_full(old, t, "relative owner");
	ok(r == TLD_OK || r == TLD_EAGAIN, "a relative owner: taken or not, never wrong");
	free(t);
	snprintf(line, sizeof(line), "%s\t3600\tIN\tNS\tns1.example.\r\n", name);
	t = insert_at(next, mid, line);
	r = delta_vs_full(old, t, "CRLF line");
	ok(r == TLD_OK || r == TLD_EAGAIN, "a CRLF line: taken or not, never wrong");
	free(t);
	snprintf(line, sizeof(line), "%s\t3600\tIN\tNS\tns1.example.\n%s\t3600\tIN\tNS\tns1.example.\n", name, name);
	t = insert_at(next, mid, line);
	r = delta_vs_full(old, t, "the same record twice");
	ok(r == TLD_OK || r == TLD_EAGAIN, "the same record twice: taken or not, never wrong");
	free(t);
	t = strdup(next);
	t[strlen(t) - 1] = 0;
	r = delta_vs_full(old, t, "no final newline");
	ok(r == TLD_OK || r == TLD_EAGAIN, "no final newline: taken or not, never wrong");
	free(t);
	t = strdup(next);
	memcpy(t, "TEST.", 5);
	is_int(TLD_EAGAIN, delta_vs_full(old, t, "SOA owner written otherwise"),
	       "the SOA owner written otherwise (the origin): not taken");
	free(t);
	free(next);
	free(old);
}

/*
 * A line alike in both texts among changed lines of its owner: matched, not
 * read, so its bytes are checked for the plain form on their own (in 32-byte
 * blocks and a tail): a special byte anywhere in it refuses the delta.
 */
static void matched_lines(void)
{
	struct model m;
	char *old, *next, name[128], line[256];
	ns_change(&m, &old, &next, name, sizeof(name));
	static const struct {
		const char *rdata;
		int expect;
		const char *what;
	} cases[] = {
		{ "ns9.example.", TLD_OK, "plain" },
		{ "ns$.example.", TLD_EAGAIN, "a '$' in the first 32 bytes" },
		{ "ns9.example. ;c", TLD_EAGAIN, "a ';' in the tail after the first 32 bytes" },
		{ "ns9.example.       ;cccccccccccccccccccccccccccccc", TLD_EAGAIN,
		  "a ';' in the second block of 32 bytes" },
		{ "nsxxxxxxxxxxxxxxxx\\.yyyyyyyyyyyyyyyyyyyyyyyy.example.", TLD_EAGAIN,
		  "an escape in the second block of 32 bytes" },
		/* the rest of a line of 32 bytes or more is checked as its last 32 bytes */
		{ "nsxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example.", TLD_OK, "plain, 32 bytes and a rest" },
		{ "nsxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example(", TLD_EAGAIN, "a '(' as its last byte" },
		{ "nsxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.exam\x01le.", TLD_EAGAIN,
		  "a control byte in the rest after 32 bytes" },
		{ "nsxxxxxxxxxxxxxxxxxxxxxxxxxx.examp\x7f", TLD_EAGAIN, "a DEL as its last byte" },
		{ "x\x80", TLD_EAGAIN, "a non-ASCII byte as the last of a short line" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "%s\t3600\tIN\tNS\t%s\n", name, cases[i].rdata);
		/* after the owner's first line in both texts */
		char *po = strchr(domain_line(old, 150), '\n') + 1, *pn = strchr(domain_line(next, 150), '\n') + 1;
		char *o = insert_at(old, po, line), *n = insert_at(next, pn, line);
		is_int(cases[i].expect, delta_vs_full(o, n, cases[i].what), "a line alike among changed ones, %s: %s",
		       cases[i].what, cases[i].expect == TLD_OK ? "taken" : "not taken");
		free(o);
		free(n);
	}
	free(next);
	free(old);
}

/* A model version and the next (two NS sets changed), and their texts. */
static void two_versions(struct model *m, struct model *m2, char **old, char **next)
{
	model_init(m);
	*old = render(m);
	*m2 = *m;
	m2->serial++;
	m2->d[150].ns++;
	m2->d[151].ns++;
	*next = render(m2);
}

/* A current image that is not the current file's: never used. */
static void wrong_images(void)
{
	struct model m, m2, other;
	char *old = NULL, *next = NULL;
	two_versions(&m, &m2, &old, &next);
	other = m;

	/* the image of another version */
	other.serial--;
	char *t = render(&other);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, set_current(old, t), "image of another serial"),
	       "the image of another serial: not taken");
	is_int(TLD_EAGAIN, delta_vs_full_files(next, m.serial, "image of another serial (as recorded)"),
	       "an image whose serial is not the recorded one: not taken");
	free(t);
	/* same serial, a domain missing from the image */
	other = m;
	other.d[0].present = !other.d[0].present;
	t = render(&other);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, set_current(old, t), "image short of a domain"),
	       "an image with records missing: not taken");
	free(t);
	/* same serial, a record more after every change (only the count tells) */
	size_t ol = strlen(old);
	t = malloc(ol + 64);
	snprintf(t, ol + 64, "%szzzzz.test.\t3600\tIN\tNS\tx.\n", old);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, set_current(old, t), "image with a record more"),
	       "an image with a record more at its end: not taken");
	free(t);
	/* same serial and count, a removed record different in the image */
	other = m;
	other.d[150].ns += 7;
	t = render(&other);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, set_current(old, t), "image with another record"),
	       "an image without the removed record: not taken");
	free(t);
	/* truncated, garbage, missing */
	uint32_t serial = set_current(old, NULL);
	if (truncate(old_img, 4000) != 0) {
		diag("truncate failed");
	}
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "truncated image"), "a truncated image: not taken");
	write_file(old_img, "TLDIMG01 and then nonsense of the right length?", 48);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "garbage image"), "garbage: not taken");
	unlink(old_img);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "no image"), "no image: not taken");
	serial = set_current(old, NULL);
	unlink(old_zone);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "no current file"), "no current file: not taken");
	/* recorded, then the image replaced: another record where no change is */
	serial = set_current(old, NULL);
	other = m;
	other.d[10].ns += 3;
	t = render(&other);
	struct tld_zone_image *oi = NULL;
	if (tld_image_from_zone_text("other", t, strlen(t), &oi) != TLD_OK || tld_image_save(oi, old_img) != TLD_OK) {
		diag("other image not written");
	}
	tld_image_free(oi);
	free(t);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "image replaced"),
	       "an image other than the recorded one (a record no change touches): not taken");
	/* recorded, then the file edited: the changed line already as in the new text */
	serial = set_current(old, NULL);
	t = replace_line(old, domain_line(old, 150), "");
	char *edited = insert_at(t, t + (domain_line(old, 150) - old), "");
	free(t);
	{
		const char *nl = domain_line(next, 150);
		char line150[512];
		snprintf(line150, sizeof(line150), "%.*s", (int)(strchr(nl, '\n') + 1 - nl), nl);
		t = insert_at(edited, edited + (domain_line(old, 150) - old), line150);
	}
	free(edited);
	write_file(old_zone, t, strlen(t));
	free(t);
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "file edited"),
	       "a current file other than the recorded one: not taken");
	serial = set_current(old, NULL);
	cur_check[0] = 0;
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "no check"), "no image check recorded: not taken");
	serial = set_current(old, NULL);
	cur_text_check[0] = 0;
	is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "no text check"), "no file check recorded: not taken");
	/* the right image, to be sure the cases above failed for their reason */
	serial = set_current(old, NULL);
	is_int(TLD_OK, delta_vs_full_files(next, serial, "the right image"), "the right image: taken");
	free(next);
	free(old);
}

/* The current image is summed every time, untouched or not (it is what AXFR serves; damage below
 * the file system leaves its identity alone): a wrong recorded check is found. */
static void image_always_summed(void)
{
	struct model m, m2;
	char *old = NULL, *next = NULL;
	two_versions(&m, &m2, &old, &next);
	uint32_t serial = set_current(old, NULL);
	is_int(TLD_OK, delta_vs_full_files(next, serial, "image as written"),
	       "the image as its publish wrote it: taken, the same bytes");
	serial = set_current(old, NULL);
	snprintf(cur_check, sizeof(cur_check), "%016llx", (unsigned long long)0x1234);
	struct tld_version_info cur;
	current_info(&cur, serial);
	struct tld_zone_delta *d = NULL;
	is_int(TLD_EAGAIN, tld_zone_delta_plan(&cur, "new", next, strlen(next), &d),
	       "the image untouched since its publish, a wrong recorded check: found (summed every time)");
	tld_zone_delta_free(d);
	free(next);
	free(old);
}

/* -- texts of many pieces: the current file's check is fed by the walk piece by piece -- */

#define BIG_LINES 24000

/* A zone of BIG_LINES delegations (about 1.2 MB); every step-th one's NS changed (0: none). */
static char *big_text(unsigned serial, int step)
{
	size_t cap = (size_t)BIG_LINES * 64 + 256, len = 0;
	char *t = malloc(cap);
	len += (size_t)snprintf(t, cap, "test.\t3600\tIN\tSOA\tns1.test. h.test. %u 1800 900 1209600 3600\n",
	                        serial);
	for (int i = 0; i < BIG_LINES; i++) {
		len += (size_t)snprintf(t + len, cap - len, "d%07d.test.\t86400\tIN\tNS\tns%d.d%07d.example.\n", i,
		                        step > 0 && i % step == step - 1 ? 2 : 1, i);
	}
	return t;
}

/* Overwrites line i+1 (delegation i) of the current file with that line of text (the same length). */
static void edit_current_line(const char *text, int i)
{
	size_t len = 0;
	char *cur = tap_read_file(old_zone, &len);
	char owner[32];
	snprintf(owner, sizeof(owner), "\nd%07d.test.", i);
	char *at = cur != NULL ? strstr(cur, owner) : NULL;
	const char *from = strstr(text, owner);
	if (at == NULL || from == NULL) {
		diag("line of delegation %d not found", i);
	} else {
		memcpy(at, from, (size_t)(strchr(from + 1, '\n') - from));
		write_file(old_zone, cur, len);
	}
	free(cur);
}

static void big_texts(void)
{
	char *old = big_text(100, 0), *next = big_text(101, 997);
	uint32_t serial = set_current(old, NULL);
	is_int(TLD_OK, delta_vs_full_files(next, serial, "1.2 MB texts"), "1.2 MB texts: taken");
	/* the file edited where the walk cannot see it: its line already as in the new text */
	static const int lines[] = { 996, 10 * 997 + 996, 23 * 997 + 996 };
	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		serial = set_current(old, NULL);
		edit_current_line(next, lines[k]);
		is_int(TLD_EAGAIN, delta_vs_full_files(next, serial, "file edited"),
		       "1.2 MB texts, the current file edited at delegation %d: not taken", lines[k]);
	}
	/* the last line: the check's last partial block */
	char *last_old = big_text(100, 0), *last_next = big_text(101, BIG_LINES);
	serial = set_current(last_old, NULL);
	edit_current_line(last_next, BIG_LINES - 1);
	is_int(TLD_EAGAIN, delta_vs_full_files(last_next, serial, "last line edited"),
	       "1.2 MB texts, the current file's last line edited: not taken");
	serial = set_current(last_old, NULL);
	is_int(TLD_OK, delta_vs_full_files(last_next, serial, "last line changed"),
	       "1.2 MB texts, the last line changed: taken");
	free(last_old);
	free(last_next);
	free(next);
	free(old);
}

/* An image file's blocks allocated ahead: its size is still what is written. */
static void reserve(void)
{
	char path[1200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/reserved", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!ok(fd >= 0, "reserve: file created")) {
		return;
	}
	tld_image_file_reserve(fd, (uint64_t)1 << 20);
	ok(fstat(fd, &st) == 0 && st.st_size == 0, "reserved, nothing written: size 0");
	is_int(TLD_OK, tld_image_write_all(fd, "0123456789", 10), "10 bytes written");
	ok(fstat(fd, &st) == 0 && st.st_size == 10, "size 10, not the reservation's");
	close(fd);
	unlink(path);
}

/* $TLDSIGN_DELTA_PAIR: real files. */
static void real_pair(const char *spec)
{
	char buf[3][1024];
	if (sscanf(spec, "%1023[^:]:%1023[^:]:%1023s", buf[0], buf[1], buf[2]) != 3) {
		ok(0, "TLDSIGN_DELTA_PAIR is current.zone:current.img:new.zone");
		return;
	}
	struct tld_zone_image *cur = NULL;
	size_t len = 0;
	char *text = tap_read_file(buf[2], &len);
	if (text == NULL || tld_image_load(buf[1], &cur) != TLD_OK) {
		ok(0, "%s or %s not readable", buf[2], buf[1]);
		free(text);
		return;
	}
	snprintf(old_zone, sizeof(old_zone), "%s", buf[0]);
	snprintf(old_img, sizeof(old_img), "%s", buf[1]);
	size_t olen = 0;
	char *otext = tap_read_file(buf[0], &olen);
	if (otext == NULL || tld_zone_text_digest(otext, olen, cur_digest) != TLD_OK) {
		ok(0, "%s not readable", buf[0]);
	} else {
		snprintf(cur_text_check, sizeof(cur_text_check), "%016llx",
		         (unsigned long long)tld_zone_text_check(otext, olen));
	}
	free(otext);
	snprintf(cur_check, sizeof(cur_check), "%016llx", (unsigned long long)tld_image_check(cur));
	is_int(TLD_OK, delta_vs_full_files(text, cur->serial, buf[2]), "%s: delta taken", buf[2]);
	tld_image_free(cur);
	free(text);
}

int main(void)
{
	tld_log_init(getenv("TLDSIGN_TEST_VERBOSE") ? TLD_LOG_INFO : TLD_LOG_ERROR, false);
	snprintf(dir, sizeof(dir), "%s/zonedelta.%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	         (long)getpid());
	if (mkdir(dir, 0700) != 0) {
		skip_all("cannot create %s", dir);
	}
	snprintf(old_zone, sizeof(old_zone), "%s/current.zone", dir);
	snprintf(old_img, sizeof(old_img), "%s/current.img", dir);
	snprintf(full_img, sizeof(full_img), "%s/full.img", dir);
	snprintf(delta_img, sizeof(delta_img), "%s/delta.img", dir);
	snprintf(full_j, sizeof(full_j), "%s/full.ixfr", dir);
	snprintf(delta_j, sizeof(delta_j), "%s/delta.ixfr", dir);

	places();
	random_mutations();
	random_text_mutations();
	context();
	fallbacks();
	matched_lines();
	wrong_images();
	image_always_summed();
	big_texts();
	reserve();
	if (getenv("TLDSIGN_DELTA_PAIR") != NULL) {
		real_pair(getenv("TLDSIGN_DELTA_PAIR"));
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		diag("%s not removed", dir);
	}
	return exit_status();
}
