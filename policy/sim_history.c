/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/sim_history.h"
#include "policy/validity.h"

static bool set_equal(const struct sim_set *a, const struct sim_set *b)
{
	if (a->n != b->n) {
		return false;
	}
	for (uint8_t i = 0; i < a->n; i++) {
		if (a->idx[i] != b->idx[i]) {
			return false;
		}
	}
	return true;
}

int sim_history_record(struct sim_class_history *h, tld_time_t t, const struct sim_set *present,
                       const struct sim_set *signers)
{
	static const struct sim_set empty;
	if (signers == NULL) {
		signers = &empty;
	}
	if (h->n > 0) {
		struct sim_version *last = &h->v[h->n - 1];
		if (set_equal(&last->present, present) && set_equal(&last->signers, signers)) {
			return TLD_OK;
		}
		if (last->t == t) {
			last->present = *present; /* same instant: one version */
			last->signers = *signers;
			return TLD_OK;
		}
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct sim_version *nv = realloc(h->v, cap * sizeof(*nv));
		if (nv == NULL) {
			return TLD_ENOMEM;
		}
		h->v = nv;
		h->cap = cap;
	}
	h->v[h->n].t = t;
	h->v[h->n].present = *present;
	h->v[h->n].signers = *signers;
	h->n++;
	return TLD_OK;
}

/* Versions of a class a validator may hold at t: indices [*first, *last]. */
static bool visible_range(const struct sim_class_history *h, tld_time_t t, size_t *first, size_t *last)
{
	if (h->n == 0) {
		return false;
	}
	size_t hi = h->n;
	while (hi > 0 && h->v[hi - 1].t > t) {
		hi--;
	}
	if (hi == 0) {
		return false;
	}
	size_t lo = hi - 1;
	/* the version in effect at t - window may still be cached, and every later one */
	while (lo > 0 && h->v[lo].t > t - h->window) {
		lo--;
	}
	*first = lo;
	*last = hi - 1;
	return true;
}

/* Maps global key indices of the visible versions onto bits 0..63. */
struct local_map {
	uint16_t global[64];
	uint8_t algs[64];
	size_t n;
};

static int local_bit(struct local_map *m, uint16_t g, const uint8_t *algs)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->global[i] == g) {
			return (int)i;
		}
	}
	if (m->n >= 64) {
		return -1;
	}
	m->global[m->n] = g;
	m->algs[m->n] = algs[g];
	return (int)m->n++;
}

static uint64_t set_mask(struct local_map *m, const struct sim_set *s, const uint8_t *algs)
{
	uint64_t mask = 0;
	for (uint8_t i = 0; i < s->n; i++) {
		int b = local_bit(m, s->idx[i], algs);
		if (b >= 0) {
			mask |= UINT64_C(1) << b;
		}
	}
	return mask;
}

bool sim_history_valid(const struct sim_history *hist, const uint8_t *algs, tld_time_t t,
                       char *why, size_t why_size)
{
	size_t lo[SIM_CLASSES], hi[SIM_CLASSES];
	for (int c = 0; c < SIM_CLASSES; c++) {
		if (!visible_range(&hist->cls[c], t, &lo[c], &hi[c])) {
			return true; /* nothing published yet */
		}
	}
	const struct sim_class_history *dsh = &hist->cls[SIM_DS];
	for (size_t i = 1; i <= hi[SIM_DS]; i++) {
		if (dsh->v[i].present.n == 0 && dsh->v[i - 1].present.n != 0) {
			if (why) {
				snprintf(why, why_size, "the DS RRset became empty at t=%lld: the zone went insecure",
				         (long long)dsh->v[i].t);
			}
			return false;
		}
	}
	struct local_map map;
	memset(&map, 0, sizeof(map));
	const struct sim_class_history *ds = &hist->cls[SIM_DS];
	const struct sim_class_history *dk = &hist->cls[SIM_DNSKEY];
	const struct sim_class_history *zs = &hist->cls[SIM_ZSIG];
	for (size_t a = lo[SIM_DS]; a <= hi[SIM_DS]; a++) {
		for (size_t b = lo[SIM_DNSKEY]; b <= hi[SIM_DNSKEY]; b++) {
			for (size_t c = lo[SIM_ZSIG]; c <= hi[SIM_ZSIG]; c++) {
				uint64_t mds = set_mask(&map, &ds->v[a].present, algs);
				uint64_t mdk = set_mask(&map, &dk->v[b].present, algs);
				uint64_t msg = set_mask(&map, &dk->v[b].signers, algs);
				uint64_t mzs = set_mask(&map, &zs->v[c].present, algs);
				char reason[200];
				if (!tld_validation_combo_ok(map.algs, map.n, mds, mdk, msg, mzs, reason, sizeof(reason))) {
					if (why) {
						snprintf(why, why_size, "%s (DS version of t=%lld, DNSKEY version of t=%lld, "
						         "zone signatures of t=%lld)", reason, (long long)ds->v[a].t,
						         (long long)dk->v[b].t, (long long)zs->v[c].t);
					}
					return false;
				}
			}
		}
	}
	return true;
}

void sim_history_free(struct sim_history *hist)
{
	for (int c = 0; c < SIM_CLASSES; c++) {
		free(hist->cls[c].v);
		memset(&hist->cls[c], 0, sizeof(hist->cls[c]));
	}
}
