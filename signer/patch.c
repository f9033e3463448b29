/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signer_patch_file() (signer/patch.h): which names the patch replaces and
 * the NSEC3 chain after it, the replaced names' records as a zone of their
 * own (patch_zone.c: parsed ahead beside the rest), then signed by sign.c
 * and written by sign_patch_write.c.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/two_cores.h"
#include "signer/grow.h"
#include "signer/patch.h"
#include "signer/patch_diff.h"
#include "signer/patch_driver.h"
#include "signer/patch_internal.h"
#include "signer/rrsig.h"
#include "signer/textout.h"
#include "signer/sign_internal.h"
#include "signer/zparse.h"

/* -- the driver -- */

int patch_fall_back(const char *why)
{
	tld_info("signing: %s: the whole zone is signed", why);
	return TLD_EAGAIN;
}

/* The type field of the line at p (owner TTL class type ...), or NULL. */
static const char *line_type(const char *p, const char *end, size_t *tlen)
{
	for (int field = 0; field < 3; field++) {
		while (p < end && *p != '\t' && *p != ' ' && *p != '\n') {
			p++;
		}
		while (p < end && (*p == '\t' || *p == ' ')) {
			p++;
		}
	}
	const char *t = p;
	while (p < end && *p != '\t' && *p != ' ' && *p != '\n') {
		p++;
	}
	*tlen = (size_t)(p - t);
	return *tlen > 0 ? t : NULL;
}

/* Whether the group of lines text[off, off + len) holds a record of type name tn. */
static bool group_has_type(const char *text, size_t off, size_t len, const char *tn)
{
	const char *p = text + off, *end = text + off + len;
	size_t want = strlen(tn);
	while (p < end) {
		size_t tl;
		const char *t = line_type(p, end, &tl);
		if (t != NULL && tl == want && strncmp(t, tn, tl) == 0) {
			return true;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	return false;
}

/* The name one label below the apex at or above name (depth >= 1): a suffix of name. */
const uint8_t *patch_top_label_name(const struct driver *d, const uint8_t *name, size_t *len)
{
	unsigned depth = signer_dname_labels(name) - d->origin_labels;
	const uint8_t *p = name;
	while (depth > 1) {
		p += 1 + p[0];
		depth--;
	}
	*len = signer_dname_len(p, SIGNER_DNAME_MAX);
	return p;
}

/* Is name a delegation (an NS RRset, not the apex) in text? */
static bool is_delegation_in(const char *text, size_t len, const uint8_t *name, size_t name_len)
{
	size_t off = 0, glen = 0;
	return signer_text_find_owner(text, len, name, name_len, &off, &glen) == TLD_OK &&
	       group_has_type(text, off, glen, "NS");
}

/*
 * What take_changes() and add_replaced() ask of a changed owner's groups,
 * asked of all changes at once on both cores (change_facts_all()): the
 * same questions of the same bytes (the texts are read-only), so the same
 * answers as asked one by one, in the same place.
 */
struct change_facts {
	bool ns_old;               /* its old group has an NS record (CHANGED) */
	bool ns_new, ds_new;       /* its new group has an NS, a DS record (ADDED, CHANGED) */
	bool deleg_old, deleg_new; /* two or more labels below the apex: the name one label below the apex above
	                              it is a delegation in the old text (CHANGED, REMOVED), in the new (ADDED, CHANGED) */
	int hash_ret;              /* signer_nsec3_hash() of its owner (ADDED, CHANGED) ... */
	uint8_t hash[SIGNER_NSEC3_HASH_LEN]; /* ... and the hash */
};

/* The facts of changes [from, to) (one core's half). */
struct facts_job {
	const struct driver *d;
	const struct signer_owner_change *ch;
	struct change_facts *f;
	size_t from, to;
};

static void *facts_main(void *arg)
{
	const struct facts_job *j = arg;
	const struct signer_patch_opts *o = j->d->o;
	for (size_t i = j->from; i < j->to; i++) {
		const struct signer_owner_change *c = &j->ch[i];
		struct change_facts *f = &j->f[i];
		memset(f, 0, sizeof(*f));
		if (c->kind == SIGNER_OWNER_CHANGED) {
			f->ns_old = group_has_type(o->old_text, c->old_off, c->old_len, "NS");
		}
		if (signer_dname_is_sub(c->owner, j->d->origin) &&
		    signer_dname_labels(c->owner) >= j->d->origin_labels + 2) {
			size_t tl = 0;
			const uint8_t *top = patch_top_label_name(j->d, c->owner, &tl);
			f->deleg_old = c->kind != SIGNER_OWNER_ADDED && is_delegation_in(o->old_text, o->old_len, top, tl);
			f->deleg_new = c->kind != SIGNER_OWNER_REMOVED && is_delegation_in(o->new_text, o->new_len, top, tl);
		}
		if (c->kind != SIGNER_OWNER_REMOVED) {
			f->ns_new = group_has_type(o->new_text, c->new_off, c->new_len, "NS");
			f->ds_new = group_has_type(o->new_text, c->new_off, c->new_len, "DS");
			f->hash_ret = signer_nsec3_hash(&j->d->n3p, c->owner, f->hash);
		}
	}
	return NULL;
}

/* The facts of every change, in two halves on two cores.  \return TLD_OK, TLD_ENOMEM */
static int change_facts_all(const struct driver *d, const struct signer_owner_change *ch, size_t n,
                            struct change_facts **out)
{
	*out = malloc((n ? n : 1) * sizeof(**out));
	if (*out == NULL) {
		return TLD_ENOMEM;
	}
	struct facts_job j[2] = { { .d = d, .ch = ch, .f = *out, .from = 0, .to = n / 2 },
		                  { .d = d, .ch = ch, .f = *out, .from = n / 2, .to = n } };
	tld_two_cores(facts_main, &j[0], &j[1]);
	return TLD_OK;
}

/*
 * Whether a replaced name has an NSEC3 record, as the full path's chain
 * (signer/nsec3.h) decides for the zone the preconditions allow: the apex;
 * one label below it, a name with records unless an insecure delegation
 * under opt-out; below, glue (none) or the apex's own signed names and their
 * empty non-terminals (all: no delegation among them, else TLD_EAGAIN).
 * f: the facts of r's group when it is a changed owner's, else NULL.
 */
static int has_nsec3(const struct driver *d, const struct replaced *r, const struct change_facts *f, bool *n3)
{
	unsigned depth = signer_dname_labels(r->name) - d->origin_labels;
	bool deep = depth >= 1 && patch_in_deep_subtree(d, r->name);
	bool ns = r->len > 0 && (f != NULL ? f->ns_new : group_has_type(d->o->new_text, r->off, r->len, "NS"));
	if (depth == 0 || r->len == 0) {
		*n3 = true;
	} else if (deep) {
		if (ns) {
			return patch_fall_back("a delegation among the apex's own signed names");
		}
		*n3 = true;
	} else if (depth >= 2) {
		*n3 = false; /* glue below a delegation: take_changes() checked */
	} else {
		*n3 = !ns || !d->o->policy->denial.opt_out ||
		      (f != NULL ? f->ds_new : group_has_type(d->o->new_text, r->off, r->len, "DS"));
	}
	return TLD_OK;
}

/*
 * Adds a replaced name with its group in the new text (glen 0: an empty
 * non-terminal), once; f: the facts of that group when it is a changed
 * owner's, else NULL.
 */
static int add_replaced(struct driver *d, const uint8_t *name, size_t len, size_t off, size_t glen,
                        const struct change_facts *f)
{
	if (signer_grow((void **)&d->r, &d->rcap, d->nr + 1, sizeof(*d->r)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	size_t had = d->pc.replaced.count;
	const uint8_t *copy = NULL;
	int ret = patch_names_intern(&d->pc.replaced, name, len, &copy);
	if (ret != TLD_OK || d->pc.replaced.count == had) {
		return ret; /* (there already: replaced once) */
	}
	struct replaced *r = &d->r[d->nr];
	r->name = copy;
	r->name_len = len;
	r->off = off;
	r->len = glen;
	ret = has_nsec3(d, r, f, &r->n3);
	if (ret == TLD_OK && r->n3 && f != NULL) {
		ret = f->hash_ret; /* (of the same name: r->name is the set's copy of it) */
		memcpy(r->hash, f->hash, SIGNER_NSEC3_HASH_LEN);
	} else if (ret == TLD_OK && r->n3) {
		ret = signer_nsec3_hash(&d->n3p, r->name, r->hash);
	}
	if (ret == TLD_OK) {
		d->nr++;
	}
	return ret; /* (otherwise the patch stops: the name in the set without its entry is never looked at) */
}

/* Adds name to the replaced names with its group in the new text, found there (once). */
int patch_replace_name(struct driver *d, const uint8_t *name, size_t len)
{
	if (patch_names_has(&d->pc.replaced, name, len)) {
		return TLD_OK;
	}
	size_t off = 0, glen = 0;
	int ret = signer_text_find_owner(d->o->new_text, d->o->new_len, name, len, &off, &glen);
	if (ret == TLD_ENOENT) {
		char text[1024];
		signer_dname_to_text(name, text, sizeof(text));
		tld_info("signing: %s is in the previous version's chain or signatures but not in the new text", text);
		return patch_fall_back("a name to re-sign is not in the unsigned zone");
	}
	if (ret != TLD_OK) {
		return ret == TLD_EPARSE ? patch_fall_back("the unsigned text is not in canonical order") : ret;
	}
	return add_replaced(d, name, len, off, glen, NULL);
}

/* The previous version: its side file with both indexes, its zone file mapped and checked against them. */
static int open_previous(struct driver *d)
{
	char side[4096];
	const char *prev = d->o->previous;
	if (prev == NULL || snprintf(side, sizeof(side), "%s%s", prev, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return patch_fall_back("no previous version");
	}
	int ret = signer_sigfile_open_no_block_table(side, &d->pc.sf); /* its blocks are taken by position */
	if (ret != TLD_OK) {
		return ret == TLD_ENOMEM ? ret : patch_fall_back("no readable side file of the previous version");
	}
	const struct signer_sigfile *sf = d->pc.sf;
	if (sf->patch == NULL || sf->text == NULL) {
		return patch_fall_back("the previous version's side file has no patch index (written before version 5)");
	}
	if (sf->patch->names_len > (1u << 20) + 64 * (sf->patch->nslots + sf->patch->nchain)) {
		/* each patch appends the names it re-signed: the full path writes them anew, compact */
		return patch_fall_back("the previous patch index's names have grown: time to write them anew");
	}
	if (sf->hdr->origin_len != d->origin_len || memcmp(sf->hdr->origin, d->origin, d->origin_len) != 0) {
		return patch_fall_back("the previous version is of another zone");
	}
	int fd = open(prev, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != sf->text->text_size ||
	    st.st_size == 0) {
		if (fd >= 0) {
			close(fd);
		}
		return patch_fall_back("the previous zone file is not the one its side file indexes");
	}
	d->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (d->map == MAP_FAILED) {
		d->map = NULL;
		return patch_fall_back("the previous zone file cannot be mapped");
	}
	d->map_len = (size_t)st.st_size;
	d->pc.prev_text = d->map;
	d->pc.prev_len = d->map_len;
	d->pc.prev_serial = sf->hdr->serial;
	return TLD_OK;
}

/* The previous file's SOA (its first line) has the side file's serial. */
static int check_previous_serial(struct driver *d)
{
	const char *nl = memchr(d->map, '\n', d->map_len);
	bool found = false;
	uint32_t serial = 0;
	if (nl != NULL) { /* the first line: the SOA opens the signer's files */
		(void)sign_text_soa_serial(d->o->previous, d->map, (size_t)(nl + 1 - (const char *)d->map), d->origin, true,
		                           &found, &serial);
	}
	if (!found || serial != d->pc.prev_serial) {
		return patch_fall_back("the previous zone file does not open with the SOA serial its side file names");
	}
	return TLD_OK;
}

/* Names with a signature due for refresh (or not yet valid) in the previous version: replaced. */
static int names_due(struct driver *d)
{
	const struct signer_sigfile *sf = d->pc.sf;
	tld_time_t now = d->o->now, refresh = d->o->policy->signatures.refresh;
	for (uint64_t i = 0; i < sf->patch->nslots; i++) {
		const struct signer_sigfile_slot *s = &sf->pslots[i];
		tld_time_t exp = signer_rrsig_time_abs(s->exp_min, now);
		tld_time_t inc = signer_rrsig_time_abs(s->inc_max, now);
		if (s->nsigs > 0 && exp > now + refresh && inc <= now) {
			continue;
		}
		d->due++; /* not "nothing" even when its name is replaced anyway (the apex always is) */
		const uint8_t *name = sf->names + s->name;
		size_t len = signer_dname_len(name, (size_t)(sf->patch->names_len - s->name));
		if (patch_names_has(&d->pc.replaced, name, len)) {
			continue;
		}
		if (patch_names_has(&d->pc.removed, name, len)) {
			continue; /* gone anyway */
		}
		d->refresh++;
		size_t tl = 0;
		const uint8_t *top = len > d->origin_len ? patch_top_label_name(d, name, &tl) : NULL;
		int ret = top != NULL && patch_names_has(&d->deep_tops, top, tl) ? patch_replace_subtree(d, top, tl)
		                                                                 : patch_replace_name(d, name, len);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

/* The first line of text whose owner sorts at or after key (a line start, or len). */
static int text_lower_bound(const char *text, size_t len, const uint8_t *key, size_t klen, size_t *out)
{
	size_t lo = 0, hi = len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		while (mid > lo && text[mid - 1] != '\n') {
			mid--;
		}
		uint8_t owner[SIGNER_DNAME_MAX], k[SIGNER_KEY_MAX];
		size_t ol = 0, end = 0;
		if (signer_text_line_owner(text, len, mid, owner, &ol, &end, NULL) != TLD_OK) {
			return TLD_EPARSE;
		}
		if (signer_key_cmp(k, signer_dname_key(owner, k), key, klen) < 0) {
			lo = end;
		} else {
			hi = mid;
		}
	}
	*out = lo;
	return TLD_OK;
}

/*
 * A name one label below the apex with signed names below it (the apex's
 * own data, as ns1.nic.<tld>.): its whole subtree in the new text is
 * replaced, so that the empty non-terminals and NSEC3 records of the zone
 * signed come out as the full path's.
 */
int patch_replace_subtree(struct driver *d, const uint8_t *top, size_t top_len)
{
	if (patch_names_has(&d->tops, top, top_len)) {
		return TLD_OK;
	}
	int ret = patch_names_add(&d->tops, top, top_len);
	size_t first = d->nr;
	uint8_t key[SIGNER_KEY_MAX];
	size_t pos = 0, klen = signer_dname_key(top, key);
	if (ret == TLD_OK) {
		ret = text_lower_bound(d->o->new_text, d->o->new_len, key, klen, &pos);
	}
	while (ret == TLD_OK && pos < d->o->new_len) {
		uint8_t owner[SIGNER_DNAME_MAX];
		size_t ol = 0, end = 0, off = 0, glen = 0;
		ret = signer_text_line_owner(d->o->new_text, d->o->new_len, pos, owner, &ol, &end, NULL);
		if (ret != TLD_OK || !signer_dname_is_sub(owner, top)) {
			break;
		}
		ret = signer_text_find_owner(d->o->new_text, d->o->new_len, owner, ol, &off, &glen);
		if (ret == TLD_OK) {
			ret = add_replaced(d, owner, ol, off, glen, NULL);
			pos = off + glen;
		}
	}
	/* the names between the top and each name below it that have no records: empty non-terminals */
	for (size_t i = first; i < d->nr && ret == TLD_OK; i++) {
		const uint8_t *p = d->r[i].name;
		while (ret == TLD_OK && signer_dname_labels(p) > d->origin_labels + 1) {
			p += 1 + p[0];
			size_t pl = signer_dname_len(p, SIGNER_DNAME_MAX);
			if (!patch_names_has(&d->pc.replaced, p, pl)) {
				uint8_t ent[SIGNER_DNAME_MAX];
				memcpy(ent, p, pl); /* d->r may move */
				ret = add_replaced(d, ent, pl, 0, 0, NULL);
				p = d->r[i].name; /* from the start again: the walk is short */
			}
		}
	}
	/*
	 * The previous version's names of the subtree that it has no more (its
	 * empty non-terminals that went: the names with records that went are
	 * removed owners) join the set, not the zone signed: their NSEC3
	 * records go with the subtree's (link_goes()) and their signatures
	 * leave the side file with the replaced names' (sign_patch_write.c),
	 * as the full path's side file holds only the zone's RRsets.
	 */
	const struct signer_sigfile *sf = d->pc.sf;
	for (size_t i = 0; i < d->ndeep && ret == TLD_OK; i++) {
		const struct signer_sigfile_chain_item *it = &sf->chain[d->deep[i]];
		const uint8_t *name = sf->names + it->name;
		size_t len = signer_dname_len(name, (size_t)(sf->patch->names_len - it->name));
		if (signer_dname_is_sub(name, top) && !patch_names_has(&d->pc.replaced, name, len)) {
			ret = patch_names_add(&d->pc.replaced, name, len);
		}
	}
	if (ret == TLD_OK && !patch_names_has(&d->pc.replaced, top, top_len)) {
		ret = patch_names_add(&d->pc.replaced, top, top_len); /* the top itself, when it went */
	}
	return ret == TLD_EPARSE ? patch_fall_back("the unsigned text is not in canonical order") : ret;
}

/* The names two or more labels below the apex in the previous chain, and their tops. */
static int find_deep_tops(struct driver *d)
{
	const struct signer_sigfile *sf = d->pc.sf;
	size_t cap = 0;
	for (uint64_t i = 0; i < sf->patch->nchain; i++) {
		const uint8_t *name = sf->names + sf->chain[i].name;
		if (signer_dname_labels(name) > d->origin_labels + 1) {
			if (signer_grow((void **)&d->deep, &cap, d->ndeep + 1, sizeof(*d->deep)) != TLD_OK) {
				return TLD_ENOMEM;
			}
			d->deep[d->ndeep++] = i;
			size_t tl = 0;
			const uint8_t *top = patch_top_label_name(d, name, &tl);
			int ret = patch_names_add(&d->deep_tops, top, tl);
			if (ret != TLD_OK) {
				return ret;
			}
		}
	}
	return TLD_OK;
}

/* Is name (below the apex) in the subtree of a name with signed names below it? */
bool patch_in_deep_subtree(const struct driver *d, const uint8_t *name)
{
	size_t tl = 0;
	const uint8_t *top = patch_top_label_name(d, name, &tl);
	return patch_names_has(&d->deep_tops, top, tl);
}

/*
 * The changed owners: replaced (present) or removed, each checked against
 * the preconditions (f: their facts, change_facts_all()).
 */
static int take_changes(struct driver *d, const struct signer_owner_change *ch, const struct change_facts *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct signer_owner_change *c = &ch[i];
		if (c->owner_len == d->origin_len && memcmp(c->owner, d->origin, d->origin_len) == 0) {
			return patch_fall_back("the apex's records changed");
		}
		if (!signer_dname_is_sub(c->owner, d->origin)) {
			return patch_fall_back("a name outside the zone");
		}
		if (patch_in_deep_subtree(d, c->owner)) {
			size_t tl = 0;
			const uint8_t *top = patch_top_label_name(d, c->owner, &tl);
			int ret = c->kind == SIGNER_OWNER_REMOVED ? patch_names_add(&d->pc.removed, c->owner, c->owner_len)
			                                          : TLD_OK;
			ret = ret == TLD_OK ? patch_replace_subtree(d, top, tl) : ret;
			if (ret != TLD_OK) {
				return ret;
			}
			continue;
		}
		unsigned depth = signer_dname_labels(c->owner) - d->origin_labels;
		bool present = c->kind != SIGNER_OWNER_REMOVED, was = c->kind != SIGNER_OWNER_ADDED;
		if (depth == 1 && c->kind == SIGNER_OWNER_CHANGED && f[i].ns_old != f[i].ns_new) {
			return patch_fall_back("a name one label below the apex became or stopped being a delegation");
		}
		if (depth >= 2) { /* glue: below a delegation one label below the apex, before and after */
			size_t tl = 0;
			const uint8_t *top = patch_top_label_name(d, c->owner, &tl);
			if ((present && !f[i].deleg_new) || (was && !f[i].deleg_old)) {
				return patch_fall_back("a changed name two or more labels below the apex is not glue of a "
				                 "delegation");
			}
			if (present) {
				int ret = patch_replace_name(d, top, tl); /* it occludes the glue in the zone signed */
				if (ret != TLD_OK) {
					return ret;
				}
			}
		}
		int ret = present ? add_replaced(d, c->owner, c->owner_len, c->new_off, c->new_len, &f[i])
		                  : patch_names_add(&d->pc.removed, c->owner, c->owner_len);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

static int patch(struct driver *d, struct signer_sign_stats *stats)
{
	const struct signer_patch_opts *o = d->o;
	if (o->policy->denial.type != TLD_DENIAL_NSEC3) {
		return patch_fall_back("the denial is NSEC, not NSEC3");
	}
	int ret = open_previous(d);
	if (ret == TLD_OK) {
		ret = check_previous_serial(d);
	}
	if (ret != TLD_OK) {
		return ret;
	}
	if (o->now < d->pc.sf->patch->now) {
		return patch_fall_back("the clock is earlier than the previous run's");
	}
	if ((ret = find_deep_tops(d)) != TLD_OK) {
		return ret;
	}
	struct signer_owner_change *ch = NULL;
	size_t nch = 0;
	const char *why = NULL;
	double t0 = tld_mono_seconds(), c0 = tld_thread_cpu_seconds();
	ret = signer_text_diff(o->old_text, o->old_len, o->new_text, o->new_len, o->max_changes, &ch, &nch, &why);
	if (ret == TLD_ERANGE) {
		return patch_fall_back("more owners changed than a patch takes");
	}
	if (ret == TLD_EPARSE) {
		tld_info("signing: the unsigned texts cannot be compared: %s", why != NULL ? why : "?");
		return patch_fall_back("no comparison of the unsigned texts");
	}
	if (ret != TLD_OK) {
		return ret;
	}
	double t1 = tld_mono_seconds(), c1 = tld_thread_cpu_seconds();
	struct change_facts *facts = NULL;
	ret = change_facts_all(d, ch, nch, &facts); /* on both cores, before the thread parsing ahead starts */
	if (ret == TLD_OK) {
		patch_zone_ahead_start(o->source, o->new_text, d->origin, ch, nch, &d->ahead); /* beside what follows */
		ret = patch_replace_name(d, d->origin, d->origin_len); /* the SOA serial changes */
	}
	if (ret == TLD_OK) {
		ret = take_changes(d, ch, facts, nch);
	}
	free(facts);
	free(ch);
	if (ret == TLD_OK) {
		ret = names_due(d);
	}
	d->pc.nothing = nch == 0 && d->due == 0;
	double t2 = tld_mono_seconds(), c2 = tld_thread_cpu_seconds();
	if (ret == TLD_OK) {
		ret = patch_plan_chain(d);
	}
	double t3 = tld_mono_seconds(), c3 = tld_thread_cpu_seconds();
	if (ret == TLD_OK) {
		ret = patch_make_zone(d, d->ahead, &d->zone, &d->replayed_ahead);
		patch_zone_ahead_end(d->ahead); /* its records are in the zone now */
		d->ahead = NULL;
	}
	if (ret != TLD_OK) {
		return ret;
	}
	tld_debug("signing: patch: texts compared in %.3f s, names to replace found in %.3f s, the chain planned in "
	          "%.3f s, their zone made in %.3f s (CPU s of this thread: %.3f, %.3f, %.3f, %.3f)", t1 - t0, t2 - t1,
	          t3 - t2, tld_mono_seconds() - t3, c1 - c0, c2 - c1, c3 - c2, tld_thread_cpu_seconds() - c3);
	tld_info("signing: a patch of the previous version: %zu owners changed, %zu names re-signed for a "
	         "signature due, %zu names signed anew in all, %zu removed, %zu NSEC3 records gone",
	         nch, d->refresh, d->nr, d->pc.removed.count, d->pc.ngone);
	struct signer_sign_opts so = {
		.cfg = o->cfg, .policy = o->policy, .db = o->db, .input = o->source, .zone = d->zone,
		.output = o->output, .now = o->now, .workers = o->workers, .started = o->started,
	};
	d->zone = NULL; /* the signer takes it */
	ret = sign_zone_patched(&so, &d->pc, stats);
	if (ret == TLD_OK) {
		stats->patch_groups_ahead = d->replayed_ahead;
	}
	return ret;
}

int signer_patch_file(const struct signer_patch_opts *o, struct signer_sign_stats *stats)
{
	struct driver d = { .o = o };
	if (o->cfg == NULL || o->cfg->zone == NULL) {
		return TLD_EINVAL;
	}
	d.origin_len = signer_zparse_name(o->cfg->zone, strlen(o->cfg->zone), NULL, d.origin);
	if (d.origin_len == 0) {
		return TLD_EINVAL;
	}
	signer_dname_lower(d.origin);
	d.origin_labels = signer_dname_labels(d.origin);
	d.n3p.algorithm = SIGNER_NSEC3_SHA1;
	d.n3p.opt_out = o->policy->denial.opt_out;
	d.n3p.iterations = o->policy->denial.iterations;
	d.n3p.salt_len = o->policy->denial.salt_len;
	memcpy(d.n3p.salt, o->policy->denial.salt, d.n3p.salt_len);
	int ret = patch(&d, stats);
	if (d.ahead != NULL) { /* a fall-back (or an error) after the diff: the thread stopped between two groups */
		size_t parsed = patch_zone_ahead_end(d.ahead);
		tld_debug("signing: patch: the groups' parse ahead stopped after %zu of them", parsed);
	}
	signer_zone_free(d.zone);
	signer_sigfile_close(d.pc.sf);
	if (d.map != NULL) {
		munmap(d.map, d.map_len);
	}
	free(d.pc.chain);
	free(d.pc.gone);
	patch_names_free(&d.pc.replaced);
	patch_names_free(&d.pc.removed);
	patch_names_free(&d.deep_tops);
	patch_names_free(&d.tops);
	free(d.deep);
	free(d.r);
	return ret;
}

