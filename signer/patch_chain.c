/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The NSEC3 chain of a patch run (signer/patch.h): the chain after the
 * patch (patch_plan_chain()), and the check that the chain the replaced
 * names' zone builds is exactly their part of it (sign_patch_chain()).
 * The questions each previous record and each planned record ask of the
 * name sets (link_goes(), the replaced flags) are asked on both cores, in
 * two halves, while the driver waits: the sets are only read meanwhile,
 * so the answers are those asked one by one in the walk.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/two_cores.h"
#include "signer/patch_driver.h"
#include "signer/sign_internal.h"

/* Index of the first link with hash >= h. */
static size_t link_lower(const struct patch_link *v, size_t n, const uint8_t *h)
{
	return patch_hash_lower(v, n, sizeof(*v), h);
}

/* Is a previous NSEC3 record's name replaced, removed or in a replaced subtree? */
static bool link_goes(const struct driver *d, const uint8_t *name, size_t len)
{
	if (patch_names_has(&d->pc.replaced, name, len) || patch_names_has(&d->pc.removed, name, len)) {
		return true;
	}
	if (len <= d->origin_len || d->tops.count == 0) {
		return false; /* the apex, or no subtree replaced whole */
	}
	size_t tl = 0;
	const uint8_t *top = patch_top_label_name(d, name, &tl);
	return patch_names_has(&d->tops, top, tl);
}

/* A previous record that goes (in keep[], else its name's length). */
#define LINK_GOES UINT16_MAX

/* link_goes() of the previous chain's records [from, to), one core's half: keep[]. */
struct goes_job {
	const struct driver *d;
	uint16_t *keep;
	size_t from, to;
};

static void *goes_main(void *arg)
{
	const struct goes_job *j = arg;
	const struct signer_sigfile *sf = j->d->pc.sf;
	for (size_t i = j->from; i < j->to; i++) {
		const struct signer_sigfile_chain_item *it = &sf->chain[i];
		const uint8_t *name = sf->names + it->name;
		size_t len = signer_dname_len(name, (size_t)(sf->patch->names_len - it->name));
		j->keep[i] = link_goes(j->d, name, len) ? LINK_GOES : (uint16_t)len;
	}
	return NULL;
}

/*
 * Which records of the previous chain go, asked on both cores: the name
 * sets are only read meanwhile (the caller waits), so each answer is the
 * one asked in the walk.  \return TLD_OK, TLD_ENOMEM
 */
static int previous_going(const struct driver *d, uint16_t **keep)
{
	size_t n = (size_t)d->pc.sf->patch->nchain;
	*keep = malloc((n ? n : 1) * sizeof(**keep));
	if (*keep == NULL) {
		return TLD_ENOMEM;
	}
	struct goes_job j[2] = { { .d = d, .keep = *keep, .from = 0, .to = n / 2 },
		                 { .d = d, .keep = *keep, .from = n / 2, .to = n } };
	tld_two_cores(goes_main, &j[0], &j[1]);
	return TLD_OK;
}

static int link_cmp(const void *a, const void *b)
{
	return memcmp(((const struct patch_link *)a)->hash, ((const struct patch_link *)b)->hash,
	              SIGNER_NSEC3_HASH_LEN);
}

/* The NSEC3 records of the replaced names (has_nsec3()), by hash; sign_patch_chain() checks them. */
static int fresh_links(struct driver *d, struct patch_link **out, size_t *n)
{
	size_t k = 0;
	*out = malloc((d->nr ? d->nr : 1) * sizeof(**out));
	if (*out == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < d->nr; i++) {
		const struct replaced *r = &d->r[i];
		if (!r->n3) {
			continue;
		}
		struct patch_link *l = &(*out)[k++];
		memcpy(l->hash, r->hash, SIGNER_NSEC3_HASH_LEN);
		l->name = r->name; /* the set's copy: it stays where it is */
		l->name_len = (uint8_t)r->name_len;
		l->replaced = true;
	}
	qsort(*out, k, sizeof(**out), link_cmp);
	*n = k;
	return TLD_OK;
}

/* Replaces the node before hash h in chain (the chain's only neighbour of h that can change). */
static int replace_before(struct driver *d, const struct patch_link *chain, size_t n, const uint8_t *h, size_t *added)
{
	const struct patch_link *before = &chain[(link_lower(chain, n, h) + n - 1) % n];
	if (patch_names_has(&d->pc.replaced, before->name, before->name_len)) {
		return TLD_OK;
	}
	(*added)++;
	if (before->name_len > d->origin_len && patch_in_deep_subtree(d, before->name)) {
		size_t tl = 0;
		const uint8_t *top = patch_top_label_name(d, before->name, &tl);
		return patch_replace_subtree(d, top, tl);
	}
	return patch_replace_name(d, before->name, before->name_len);
}

/* Is hash h among the previous chain's? (hashes asked in ascending order, from *cursor) */
static bool in_previous_chain(const struct signer_sigfile *sf, size_t *cursor, const uint8_t *h)
{
	return patch_hash_seek(sf->chain, (size_t)sf->patch->nchain, sizeof(*sf->chain), cursor, h) != SIZE_MAX;
}

/*
 * One round of the chain after the patch: the previous one without the
 * records of the replaced and removed names, with the replaced names' own;
 * *added counts the names before a hash that came or went which were not
 * replaced yet (they are now: their record's next hashed owner moves).
 */
static int chain_round(struct driver *d, struct patch_link **chain_out, size_t *n_out, size_t *added)
{
	const struct signer_sigfile *sf = d->pc.sf;
	const struct signer_sigfile_patch *ph = sf->patch;
	struct patch_link *fresh = NULL, *chain = NULL;
	uint16_t *keep = NULL;
	size_t nfresh = 0, n = 0;
	int ret = fresh_links(d, &fresh, &nfresh);
	if (ret == TLD_OK) {
		chain = malloc((size_t)(ph->nchain + nfresh + 1) * sizeof(*chain));
		ret = chain == NULL ? TLD_ENOMEM : previous_going(d, &keep);
	}
	size_t j = 0;
	for (uint64_t i = 0; i < ph->nchain && ret == TLD_OK; i++) {
		const struct signer_sigfile_chain_item *it = &sf->chain[i];
		const uint8_t *name = sf->names + it->name;
		if (keep[i] == LINK_GOES) {
			continue;
		}
		size_t len = keep[i];
		while (j < nfresh && memcmp(fresh[j].hash, it->hash, SIGNER_NSEC3_HASH_LEN) < 0) {
			chain[n++] = fresh[j++];
		}
		if (j < nfresh && memcmp(fresh[j].hash, it->hash, SIGNER_NSEC3_HASH_LEN) == 0) {
			ret = patch_fall_back("two names with one NSEC3 hash");
			break;
		}
		memcpy(chain[n].hash, it->hash, SIGNER_NSEC3_HASH_LEN);
		chain[n].name = name;
		chain[n].name_len = (uint8_t)len;
		chain[n].replaced = false;
		n++;
	}
	while (ret == TLD_OK && j < nfresh) {
		chain[n++] = fresh[j++];
	}
	for (size_t i = 1; ret == TLD_OK && i < n; i++) {
		if (memcmp(chain[i - 1].hash, chain[i].hash, SIGNER_NSEC3_HASH_LEN) == 0) {
			ret = patch_fall_back("two names with one NSEC3 hash");
		}
	}
	if (ret == TLD_OK && n == 0) {
		ret = patch_fall_back("no NSEC3 chain");
	}
	/* the names before each hash that went or came */
	d->pc.ngone = 0;
	size_t at = 0; /* both chains in hash order: one walk */
	for (uint64_t i = 0; i < ph->nchain && ret == TLD_OK; i++) {
		const uint8_t *h = sf->chain[i].hash;
		while (at < n && memcmp(chain[at].hash, h, SIGNER_NSEC3_HASH_LEN) < 0) {
			at++;
		}
		if (at < n && memcmp(chain[at].hash, h, SIGNER_NSEC3_HASH_LEN) == 0) {
			continue;
		}
		memcpy(d->pc.gone[d->pc.ngone++], h, SIGNER_NSEC3_HASH_LEN);
		ret = replace_before(d, chain, n, h, added);
	}
	size_t prev_at = 0; /* fresh is sorted by hash (two alike: the fall-back above) */
	for (size_t i = 0; i < nfresh && ret == TLD_OK; i++) {
		if (!in_previous_chain(sf, &prev_at, fresh[i].hash)) {
			ret = replace_before(d, chain, n, fresh[i].hash, added);
		}
	}
	free(fresh);
	free(keep);
	if (ret != TLD_OK) {
		free(chain);
		return ret;
	}
	*chain_out = chain;
	*n_out = n;
	return TLD_OK;
}

/* Whether the records [from, to) of the chain after the patch stand for replaced names (one core's half). */
struct flags_job {
	struct sign_patch *pc;
	size_t from, to;
};

static void *flags_main(void *arg)
{
	const struct flags_job *j = arg;
	for (size_t i = j->from; i < j->to; i++) {
		struct patch_link *l = &j->pc->chain[i];
		l->replaced = patch_names_has(&j->pc->replaced, l->name, l->name_len);
	}
	return NULL;
}

/*
 * The chain after the patch, in rounds until no further name is replaced
 * (a name replaced for its neighbour keeps its hash: the second round adds
 * none; a third is a precondition missed).
 */
int patch_plan_chain(struct driver *d)
{
	d->pc.gone = malloc((size_t)(d->pc.sf->patch->nchain + 1) * sizeof(*d->pc.gone));
	if (d->pc.gone == NULL) {
		return TLD_ENOMEM;
	}
	for (int round = 0; round < 3; round++) {
		size_t added = 0, tops = d->tops.count;
		free(d->pc.chain);
		d->pc.chain = NULL;
		int ret = chain_round(d, &d->pc.chain, &d->pc.nchain, &added);
		/*
		 * A name replaced for its neighbour is in the chain already and keeps
		 * its hash: the chain stands.  A subtree replaced for it may bring
		 * empty non-terminals the rules decide anew: another round.  (Should
		 * the rules and the chain ever disagree, sign_patch_chain() finds it.)
		 */
		if (ret != TLD_OK) {
			return ret;
		}
		if (added == 0 || d->tops.count == tops) {
			/* the replaced names are final: each record's name looked up once, for the writer too (both cores) */
			struct flags_job fj[2] = { { .pc = &d->pc, .from = 0, .to = d->pc.nchain / 2 },
				                   { .pc = &d->pc, .from = d->pc.nchain / 2, .to = d->pc.nchain } };
			tld_two_cores(flags_main, &fj[0], &fj[1]);
			return TLD_OK;
		}
	}
	return patch_fall_back("the names to re-sign do not settle");
}

int sign_patch_chain(struct sign_run *run, struct sign_patch *pc)
{
	const struct signer_zone *z = run->z;
	struct signer_nsec3_chain *c = run->n3;
	for (size_t i = 0; i < z->nnodes; i++) {
		if (z->nodes[i].flags & (SIGNER_NODE_DNAME | SIGNER_NODE_WILDCARD)) {
			return patch_fall_back("the names to re-sign hold a DNAME or a wildcard");
		}
	}
	size_t mine = 0; /* the records of the chain after the patch that stand for replaced names */
	for (size_t i = 0; i < pc->nchain; i++) {
		mine += pc->chain[i].replaced;
	}
	if (c == NULL || c->count != mine) {
		tld_warning("signing: the patch's NSEC3 records (%zu) are not those planned (%zu)", c ? c->count : 0,
		            mine);
		return patch_fall_back("the patch's NSEC3 records are not those planned");
	}
	c->next = malloc((c->count ? c->count : 1) * sizeof(*c->next));
	if (c->next == NULL) {
		return TLD_ENOMEM;
	}
	size_t cursor = 0; /* the run's items are sorted by hash: the planned chain walked along */
	for (size_t i = 0; i < c->count; i++) {
		size_t at = patch_hash_seek(pc->chain, pc->nchain, sizeof(*pc->chain), &cursor, c->items[i].hash);
		const struct signer_node *n = &z->nodes[c->items[i].node];
		if (at == SIZE_MAX || pc->chain[at].name_len != n->wire_len ||
		    memcmp(pc->chain[at].name, signer_node_wire(z, n), n->wire_len) != 0) {
			tld_warning("signing: an NSEC3 record of the patch is not in the chain planned");
			return patch_fall_back("the patch's NSEC3 records are not those planned");
		}
		memcpy(c->next[i], pc->chain[(at + 1) % pc->nchain].hash, SIGNER_NSEC3_HASH_LEN);
	}
	return TLD_OK;
}
