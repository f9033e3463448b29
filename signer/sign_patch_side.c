/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The side file of a patched version (patch_internal.h:
 * sign_patch_side_write()): the previous entries but those of the replaced
 * and removed names' RRsets (the patch index names each RRset's owner), with
 * the run's; the text index of the new text; the patch index: the chain after
 * the patch and the slots in the full path's order (the zone's RRsets in
 * canonical order of their owners, then the NSEC3 records by hash -- one per
 * record of the chain, in the chain's order), its names the previous index's
 * with the replaced names appended.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "signer/grow.h"
#include "signer/patch_internal.h"
#include "signer/sign_internal.h"
#include "signer/textout.h"

/* What the side file is made from. */
struct side_src {
	struct sign_run *run;
	struct sign_patch *pc;
	const struct signer_sigfile *sf;
	uint8_t *goes;                /* per previous slot: 1 when its owner is replaced or removed (slots_going()) */
};


/* One signature of the new side file: in the previous blob or the run's arena. */
struct sig_ref {
	const uint8_t *rd;
	uint16_t len;
};

struct side {
	struct sig_ref *sigs;
	size_t nsigs, cap;
	struct signer_sigfile_item *items;
	size_t nitems;
};

static const uint8_t *side_sig(void *ctx, size_t i, uint16_t *len)
{
	const struct side *s = ctx;
	*len = s->sigs[i].len;
	return s->sigs[i].rd;
}

static int side_add_sig(struct side *s, const uint8_t *rd, uint16_t len)
{
	if (signer_grow((void **)&s->sigs, &s->cap, s->nsigs + 1, sizeof(*s->sigs)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	s->sigs[s->nsigs].rd = rd;
	s->sigs[s->nsigs++].len = len;
	return TLD_OK;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SIGNER_SIGFILE_HASH);
}

/*
 * Which previous slots' owners are replaced or removed, into sp->goes: each
 * owner looked up once.  A node's slots are one after the other with one
 * name offset, and a secure delegation's NSEC3 slot (at the end, in hash
 * order) names the offset its DS slot did: the answer is kept by offset
 * (two bits per byte of the names: known, goes).
 */
static int slots_going(struct side_src *sp)
{
	const struct signer_sigfile *sf = sp->sf;
	const struct sign_patch *pc = sp->pc;
	size_t words = (size_t)sf->patch->names_len / 64 + 1;
	uint64_t *known = calloc(2 * words, sizeof(*known)), *goes = known + words;
	sp->goes = malloc((size_t)sf->patch->nslots + 1);
	if (known == NULL || sp->goes == NULL) {
		free(known);
		return TLD_ENOMEM;
	}
	for (uint64_t i = 0; i < sf->patch->nslots; i++) {
		const struct signer_sigfile_slot *s = &sf->pslots[i];
		uint32_t at = s->name; /* checked when the file was opened: the start of a name, inside the names */
		uint64_t bit = (uint64_t)1 << (at % 64);
		if (known[at / 64] & bit) {
			sp->goes[i] = (goes[at / 64] & bit) != 0;
			continue;
		}
		const uint8_t *name = sf->names + at;
		size_t len = signer_dname_len(name, (size_t)(sf->patch->names_len - at));
		sp->goes[i] = patch_names_has(&pc->replaced, name, len) || patch_names_has(&pc->removed, name, len);
		known[at / 64] |= bit;
		goes[at / 64] |= sp->goes[i] ? bit : 0;
	}
	free(known);
	return TLD_OK;
}

/* The entries: the previous ones but the replaced and removed names' RRsets, and the run's, by hash. */
static int side_entries(struct side_src *sp, struct side *s)
{
	const struct signer_sigfile *sf = sp->sf;
	const struct sign_run *run = sp->run;
	size_t ngone = 0;
	uint8_t (*gone)[SIGNER_SIGFILE_HASH] = malloc((sf->patch->nslots + 1) * SIGNER_SIGFILE_HASH);
	s->items = malloc((sf->hdr->nentries + run->nslots + 1) * sizeof(*s->items));
	if (gone == NULL || s->items == NULL) {
		free(gone);
		return TLD_ENOMEM;
	}
	for (uint64_t i = 0; i < sf->patch->nslots; i++) {
		if (sp->goes[i]) {
			memcpy(gone[ngone++], sf->pslots[i].hash, SIGNER_SIGFILE_HASH);
		}
	}
	qsort(gone, ngone, SIGNER_SIGFILE_HASH, hash_cmp);
	size_t g = 0, m = 0;
	int ret = TLD_OK;
	for (uint64_t i = 0; i <= sf->hdr->nentries && ret == TLD_OK; i++) {
		const struct signer_sigfile_entry *e = i < sf->hdr->nentries ? &sf->entries[i] : NULL;
		/* the run's entries that sort before this one */
		while (m < run->nslots && ret == TLD_OK) {
			const struct slot *sl = &run->slots[run->order != NULL ? run->order[m] : m];
			if (e != NULL && memcmp(sl->hash, e->hash, SIGNER_SIGFILE_HASH) > 0) {
				break;
			}
			struct signer_sigfile_item *it = &s->items[s->nitems++];
			memcpy(it->hash, sl->hash, SIGNER_SIGFILE_HASH);
			it->sig_first = (uint32_t)s->nsigs;
			it->nsigs = sl->nsigs;
			for (uint32_t k = 0; k < sl->nsigs && ret == TLD_OK; k++) {
				const struct sig *sg = &run->sigs[sl->sig_first + k];
				ret = side_add_sig(s, run->arena + sg->off, (uint16_t)sg->len);
			}
			m++;
		}
		if (e == NULL || ret != TLD_OK) {
			break;
		}
		while (g < ngone && memcmp(gone[g], e->hash, SIGNER_SIGFILE_HASH) < 0) {
			g++;
		}
		if (g < ngone && memcmp(gone[g], e->hash, SIGNER_SIGFILE_HASH) == 0) {
			continue;
		}
		struct signer_sigfile_item *it = &s->items[s->nitems++];
		memcpy(it->hash, e->hash, SIGNER_SIGFILE_HASH);
		it->sig_first = (uint32_t)s->nsigs;
		it->nsigs = 0;
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (ret == TLD_OK && signer_sigfile_next(sf, e, &pos, &rd, &len)) {
			ret = side_add_sig(s, rd, len);
			it->nsigs++;
		}
	}
	free(gone);
	return ret;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A run slot's entry of the patch index (its name at name_off). */
static void run_pslot(const struct sign_run *run, const struct slot *sl, uint32_t name_off,
                      struct signer_sigfile_slot *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->hash, sl->hash, SIGNER_SIGFILE_HASH);
	out->name = name_off;
	out->type = sl->type;
	out->kind = sl->kind;
	out->nsigs = sl->nsigs > 255 ? 255 : (uint8_t)sl->nsigs;
	tld_time_t emin = 0, imax = 0;
	for (uint32_t k = 0; k < sl->nsigs; k++) {
		const uint8_t *rd = run->arena + run->sigs[sl->sig_first + k].off;
		tld_time_t e = signer_rrsig_time_abs(get32(rd + 8), run->o->now);
		tld_time_t i = signer_rrsig_time_abs(get32(rd + 12), run->o->now);
		if (k == 0 || e < emin) {
			emin = e;
			out->exp_min = get32(rd + 8);
		}
		if (k == 0 || i > imax) {
			imax = i;
			out->inc_max = get32(rd + 12);
		}
	}
}

struct pindex {
	uint8_t *names;
	size_t names_len;
	uint32_t *node_name;                  /* per run node: its name's offset */
	struct signer_sigfile_chain_item *chain;
	struct signer_sigfile_slot *slots;
	size_t nslots;
};

static void keep_exp(struct sign_patch *pc, const struct signer_sigfile_slot *s, tld_time_t now)
{
	if (!pc->kept_any || signer_rrsig_time_abs(s->exp_min, now) < signer_rrsig_time_abs(pc->kept_exp_min, now)) {
		pc->kept_exp_min = s->exp_min;
		pc->kept_any = true;
	}
}

/* The run's chain item of a hash (its items are sorted by hash), hashes sought in ascending order from *cursor. */
static size_t run_chain_index(const struct sign_run *run, size_t *cursor, const uint8_t *hash)
{
	return patch_hash_seek(run->n3->items, run->n3->count, sizeof(*run->n3->items), cursor, hash);
}

/* The previous chain item of a hash, as run_chain_index(). */
static size_t prev_chain_index(const struct signer_sigfile *sf, size_t *cursor, const uint8_t *hash)
{
	return patch_hash_seek(sf->chain, (size_t)sf->patch->nchain, sizeof(*sf->chain), cursor, hash);
}

/* The patch index after the patch (see the top of the file). */
static int make_pindex(struct side_src *sp, struct pindex *px)
{
	const struct signer_sigfile *sf = sp->sf;
	struct sign_run *run = sp->run;
	struct sign_patch *pc = sp->pc;
	const struct signer_zone *z = run->z;
	size_t old_len = (size_t)sf->patch->names_len;
	px->names = malloc(old_len + (size_t)z->nnodes * SIGNER_DNAME_MAX + 8);
	px->node_name = malloc((z->nnodes ? z->nnodes : 1) * sizeof(*px->node_name));
	px->chain = malloc((pc->nchain ? pc->nchain : 1) * sizeof(*px->chain));
	px->slots = malloc((size_t)(sf->patch->nslots + run->nslots + 1) * sizeof(*px->slots));
	if (px->names == NULL || px->node_name == NULL || px->chain == NULL || px->slots == NULL) {
		return TLD_ENOMEM;
	}
	memcpy(px->names, sf->names, old_len);
	px->names_len = old_len;
	for (size_t i = 0; i < z->nnodes; i++) {
		const struct signer_node *n = &z->nodes[i];
		px->node_name[i] = (uint32_t)px->names_len;
		memcpy(px->names + px->names_len, signer_node_wire(z, n), n->wire_len);
		px->names_len += n->wire_len;
	}
	if (px->names_len > UINT32_MAX) {
		return TLD_EAGAIN;
	}
	/* the chain (its hashes ascend: the chains sought in are walked along) */
	size_t run_at = 0, prev_at = 0;
	for (size_t i = 0; i < pc->nchain; i++) {
		const struct patch_link *l = &pc->chain[i];
		memcpy(px->chain[i].hash, l->hash, SIGNER_NSEC3_HASH_LEN);
		if (l->replaced) {
			size_t k = run_chain_index(run, &run_at, l->hash);
			if (k == SIZE_MAX) {
				return TLD_EAGAIN;
			}
			px->chain[i].name = px->node_name[run->n3->items[k].node];
		} else {
			px->chain[i].name = (uint32_t)(l->name - sf->names); /* the previous index's name */
		}
	}
	/* the zone's slots in canonical order of their owners: the previous ones merged with the run's */
	size_t m = 0;
	uint8_t key[SIGNER_KEY_MAX], mkey[SIGNER_KEY_MAX];
	size_t mklen = 0, mkey_of = SIZE_MAX;
	pc->kept_any = false;
	for (uint64_t i = 0; i <= sf->patch->nslots; i++) {
		const struct signer_sigfile_slot *s = i < sf->patch->nslots ? &sf->pslots[i] : NULL;
		if (s != NULL && s->kind == SLOT_NSEC3) {
			continue;
		}
		if (s != NULL && sp->goes[i]) {
			continue;
		}
		size_t klen = s != NULL ? signer_dname_key(sf->names + s->name, key) : 0;
		while (m < run->nzone_slots) {
			const struct slot *sl = &run->slots[m];
			if (s != NULL) {
				if (mkey_of != m) {
					mklen = signer_dname_key(signer_node_wire(z, &z->nodes[sl->node]), mkey);
					mkey_of = m;
				}
				if (signer_key_cmp(mkey, mklen, key, klen) > 0) {
					break;
				}
			}
			run_pslot(run, sl, px->node_name[sl->node], &px->slots[px->nslots++]);
			m++;
		}
		if (s == NULL) {
			break;
		}
		px->slots[px->nslots++] = *s;
		pc->kept_slots++;
		pc->kept_sigs += s->nsigs;
		keep_exp(pc, s, run->o->now);
	}
	/* the NSEC3 records, one per record of the chain, in its order */
	run_at = 0;
	for (size_t i = 0; i < pc->nchain; i++) {
		const struct patch_link *l = &pc->chain[i];
		if (l->replaced) {
			size_t k = run_chain_index(run, &run_at, l->hash);
			if (k == SIZE_MAX || run->nzone_slots + k >= run->nslots) {
				return TLD_EAGAIN;
			}
			const struct slot *sl = &run->slots[run->nzone_slots + k];
			run_pslot(run, sl, px->chain[i].name, &px->slots[px->nslots++]);
			continue;
		}
		size_t k = prev_chain_index(sf, &prev_at, l->hash);
		size_t nzone_prev = (size_t)(sf->patch->nslots - sf->patch->nchain);
		if (k == SIZE_MAX || sf->pslots[nzone_prev + k].kind != SLOT_NSEC3) {
			return TLD_EAGAIN;
		}
		px->slots[px->nslots++] = sf->pslots[nzone_prev + k];
		pc->kept_sigs += sf->pslots[nzone_prev + k].nsigs;
		keep_exp(pc, &sf->pslots[nzone_prev + k], run->o->now);
	}
	return TLD_OK;
}

int sign_patch_side_write(struct sign_run *run_, struct sign_patch *pc, FILE *out, uint32_t serial,
                          const struct signer_sigfile_block *ix, size_t nix, uint64_t text_size)
{
	struct side_src src = { .run = run_, .pc = pc, .sf = pc->sf };
	struct side_src *sp = &src;
	struct side s = { 0 };
	struct pindex px = { 0 };
	static const uint8_t no_hash[32];
	const struct sign_run *run = sp->run;
	double c0 = tld_thread_cpu_seconds();
	int ret = slots_going(sp);
	double c1 = tld_thread_cpu_seconds();
	if (ret == TLD_OK) {
		ret = side_entries(sp, &s);
	}
	double c2 = tld_thread_cpu_seconds();
	if (ret == TLD_OK) {
		ret = make_pindex(sp, &px);
	}
	double c3 = tld_thread_cpu_seconds();
	if (ret == TLD_OK) {
		ret = signer_sigfile_write(out, run->z->origin, run->z->origin_len, serial, no_hash, s.items, s.nitems,
		                           side_sig, &s);
	}
	tld_debug("signing: patch: side file CPU s: slots going %.3f, entries %.3f, patch index %.3f, written %.3f",
	          c1 - c0, c2 - c1, c3 - c2, tld_thread_cpu_seconds() - c3);
	if (ret == TLD_OK) {
		ret = signer_sigfile_write_text(out, text_size, ix, nix);
	}
	if (ret == TLD_OK) {
		struct signer_sigfile_patch hdr = { .now = run->o->now, .nchain = sp->pc->nchain, .nslots = px.nslots,
		                                    .names_len = px.names_len, .flags = SIGNER_SIGFILE_PATCHED };
		memcpy(hdr.keys_digest, run->keys_digest, sizeof(hdr.keys_digest));
		memcpy(hdr.policy_digest, run->policy_digest, sizeof(hdr.policy_digest));
		ret = signer_sigfile_write_patch(out, &hdr, px.chain, px.slots, px.names);
	}
	free(src.goes);
	free(s.sigs);
	free(s.items);
	free(px.names);
	free(px.node_name);
	free(px.chain);
	free(px.slots);
	return ret;
}
