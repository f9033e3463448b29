/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the patch run's tests (header-only, static): a small TLD zone "test."
 * as a model -- delegations with NS sets (out of bailiwick, or in bailiwick
 * with A/AAAA glue), zero to two DS records, the apex's own names
 * ns1..ns3.nic.test. and x.y.nic.test. -- its unsigned text in the form zonegen writes (one
 * record per line, absolute lower-case owners, tabs, canonical order, SOA
 * serial 0) and the mutations the differential tests apply to it
 * (tests/unit/test_signer_patch.c, tests/fuzz/fuzz_patch.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer/nsec3.h"
#include "signer/zparse.h"

#define PZ_MAX 1024
#define PZ_NS 3

struct pz_deleg {
	char label[24];
	bool present;
	uint8_t provider;          /* 0: in bailiwick (ns1.<label>.test. ...) with glue, else ns1.provider<N>.net. */
	uint8_t nns;               /* 1..PZ_NS */
	uint8_t ds[2];             /* DS variants, 0: none */
	uint8_t a[PZ_NS], aaaa[PZ_NS]; /* glue variants of nsI (in bailiwick only), 0: none */
};

struct pz_zone {
	struct pz_deleg d[PZ_MAX];
	size_t n;
	uint8_t nic_a[PZ_NS], nic_aaaa[PZ_NS]; /* ns1..ns3.nic.test.; 0: none (ns1, ns2: the apex NS, kept) */
	uint8_t nic_deep;          /* x.y.nic.test. A (y.nic.test. an empty non-terminal); 0: none */
};

/* The label of slot i: the ends of the zone's order among them ("0", "zzzzzz"). */
static inline void pz_label(size_t i, char *out, size_t size)
{
	static const char *const fixed[] = { "0", "zzzzzz", "00a", "a", "nia", "nicc", "ns1", "zzzzzy" };
	if (i < sizeof(fixed) / sizeof(fixed[0])) {
		snprintf(out, size, "%s", fixed[i]);
	} else {
		snprintf(out, size, "%c%zu%s", (char)('a' + (i * 7) % 26), i * 37 % 1000, i % 3 == 0 ? "-x" : "");
	}
}

static inline void pz_deleg_random(struct pz_deleg *d, unsigned r)
{
	d->provider = (uint8_t)(r % 3 == 0 ? 0 : 1 + r % 5);
	d->nns = (uint8_t)(1 + (r >> 3) % PZ_NS);
	d->ds[0] = (uint8_t)((r >> 5) % 4 == 0 ? 1 + (r >> 7) % 9 : 0);
	d->ds[1] = 0;
	for (int k = 0; k < PZ_NS; k++) {
		d->a[k] = (uint8_t)(1 + ((r >> (9 + k)) % 200));
		d->aaaa[k] = (uint8_t)((r >> (12 + k)) % 2 ? 1 + (r >> 15) % 200 : 0);
	}
}

/* n delegations, about three in four present, from seed. */
static inline void pz_init(struct pz_zone *z, size_t n, unsigned seed)
{
	memset(z, 0, sizeof(*z));
	z->n = n > PZ_MAX ? PZ_MAX : n;
	for (size_t i = 0; i < z->n; i++) {
		unsigned r = seed * 2654435761u + (unsigned)i * 40503u;
		r ^= r >> 13;
		r *= 2246822519u;
		r ^= r >> 16;
		pz_label(i, z->d[i].label, sizeof(z->d[i].label));
		z->d[i].present = r % 4 != 0;
		pz_deleg_random(&z->d[i], r >> 2);
	}
	z->nic_a[0] = 53;
	z->nic_a[1] = 54;
	z->nic_aaaa[0] = 1;
}

static inline int pz_cmp_label(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static inline void pz_ds_line(FILE *f, const char *label, uint8_t v)
{
	fprintf(f, "%s.test.\t86400\tIN\tDS\t%u 13 2 ", label, 1000u + v);
	for (int k = 0; k < 32; k++) {
		fprintf(f, "%02x", (unsigned)((v * 73 + k * 31) & 0xff));
	}
	fputc('\n', f);
}

static inline void pz_write_deleg(FILE *f, const struct pz_deleg *d)
{
	for (unsigned k = 1; k <= d->nns; k++) {
		if (d->provider == 0) {
			fprintf(f, "%s.test.\t172800\tIN\tNS\tns%u.%s.test.\n", d->label, k, d->label);
		} else {
			fprintf(f, "%s.test.\t172800\tIN\tNS\tns%u.provider%u.net.\n", d->label, k, d->provider);
		}
	}
	uint8_t lo = d->ds[0], hi = d->ds[1];
	if (lo != 0 && hi != 0 && hi < lo) {
		lo = d->ds[1], hi = d->ds[0];
	}
	if (lo != 0) {
		pz_ds_line(f, d->label, lo);
	}
	if (hi != 0 && hi != lo) {
		pz_ds_line(f, d->label, hi);
	}
	if (d->provider != 0) {
		return;
	}
	for (unsigned k = 0; k < d->nns; k++) {
		if (d->a[k] != 0) {
			fprintf(f, "ns%u.%s.test.\t172800\tIN\tA\t10.%u.%u.%u\n", k + 1, d->label, k, d->a[k], d->nns);
		}
		if (d->aaaa[k] != 0) {
			fprintf(f, "ns%u.%s.test.\t172800\tIN\tAAAA\t2001:db8::%x:53\n", k + 1, d->label, d->aaaa[k]);
		}
	}
}

/*! The zone's unsigned text (caller frees *text). */
static inline void pz_text(const struct pz_zone *z, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	fputs("test.\t3600\tIN\tSOA\tns1.nic.test. hostmaster.nic.test. 0 1800 900 1209600 3600\n"
	      "test.\t172800\tIN\tNS\tns1.nic.test.\ntest.\t172800\tIN\tNS\tns2.nic.test.\n", f);
	const char *labels[PZ_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; i < z->n; i++) {
		if (z->d[i].present) {
			labels[n++] = z->d[i].label;
		}
	}
	labels[n++] = "nic";
	qsort(labels, n, sizeof(labels[0]), pz_cmp_label);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(labels[i], "nic") == 0) {
			for (unsigned k = 0; k < PZ_NS; k++) {
				if (z->nic_a[k] != 0) {
					fprintf(f, "ns%u.nic.test.\t3600\tIN\tA\t192.0.2.%u\n", k + 1, z->nic_a[k]);
				}
				if (z->nic_aaaa[k] != 0) {
					fprintf(f, "ns%u.nic.test.\t3600\tIN\tAAAA\t2001:db8::53:%x\n", k + 1, z->nic_aaaa[k]);
				}
			}
			if (z->nic_deep != 0) {
				fprintf(f, "x.y.nic.test.\t3600\tIN\tA\t192.0.2.%u\n", z->nic_deep);
			}
			continue;
		}
		for (size_t j = 0; j < z->n; j++) {
			if (z->d[j].present && z->d[j].label == labels[i]) {
				pz_write_deleg(f, &z->d[j]);
			}
		}
	}
	fclose(f);
}

/* The present delegation with the least (end false) or greatest NSEC3 hash, or z->n. */
static inline size_t pz_hash_end(const struct pz_zone *z, const struct signer_nsec3_params *p, bool end)
{
	size_t best = z->n;
	uint8_t best_hash[SIGNER_NSEC3_HASH_LEN];
	for (size_t i = 0; i < z->n; i++) {
		if (!z->d[i].present) {
			continue;
		}
		char name[64];
		uint8_t wire[256], h[SIGNER_NSEC3_HASH_LEN];
		int nl = snprintf(name, sizeof(name), "%s.test.", z->d[i].label);
		if (signer_zparse_name(name, (size_t)nl, NULL, wire) == 0 || signer_nsec3_hash(p, wire, h) != 0) {
			continue;
		}
		int c = best == z->n ? 0 : memcmp(h, best_hash, sizeof(h));
		if (best == z->n || (end ? c > 0 : c < 0)) {
			best = i;
			memcpy(best_hash, h, sizeof(h));
		}
	}
	return best;
}

enum pz_op {
	PZ_ADD, PZ_REMOVE, PZ_NS_CHANGE, PZ_DS, PZ_GLUE, PZ_NIC, PZ_HASH_END, PZ_ZONE_END, PZ_NOPS
};

/*
 * One mutation: op (enum pz_op, modulo), the delegation it picks (target
 * modulo the slots; PZ_ADD takes the next absent one from there, PZ_REMOVE
 * and the changes the next present one), param its details.  Glue changes
 * apply to in-bailiwick delegations (others are made so first).
 */
static inline void pz_mutate(struct pz_zone *z, unsigned op, unsigned target, unsigned param,
                             const struct signer_nsec3_params *p)
{
	size_t i = z->n ? target % z->n : 0;
	bool want_present = op % PZ_NOPS != PZ_ADD;
	switch (op % PZ_NOPS) {
	case PZ_HASH_END:
		i = pz_hash_end(z, p, param & 1);
		if (i == z->n) {
			return;
		}
		break;
	case PZ_ZONE_END:
		i = param & 1; /* "0" or "zzzzzz" */
		want_present = (param & 2) != 0;
		if (!want_present && !z->d[i].present) {
			want_present = true;
			op = PZ_ADD;
		} else if (want_present && z->d[i].present) {
			op = param & 4 ? PZ_DS : PZ_GLUE;
		} else {
			op = z->d[i].present ? PZ_REMOVE : PZ_ADD;
		}
		break;
	case PZ_NIC: {
		unsigned k = param % PZ_NS;
		if ((param & 0x30) == 0x30) { /* a name two labels below nic.test. comes, goes or changes */
			z->nic_deep = z->nic_deep && (param & 0x40) ? 0 : (uint8_t)(1 + (z->nic_deep + (param >> 7)) % 250);
		} else if (param & 4) {
			z->nic_aaaa[k] = z->nic_aaaa[k] ? 0 : (uint8_t)(1 + (param >> 3) % 200);
		} else if (k == 2 && (param & 8)) {
			z->nic_a[2] = z->nic_a[2] ? 0 : (uint8_t)(1 + (param >> 4) % 200); /* ns3.nic comes and goes */
		} else {
			z->nic_a[k] = (uint8_t)(1 + (z->nic_a[k] + 1 + (param >> 4)) % 250);
		}
		return;
	}
	default:
		break;
	}
	if (z->n == 0) {
		return;
	}
	size_t tries = 0;
	while (tries < z->n && z->d[i].present != want_present) {
		i = (i + 1) % z->n;
		tries++;
	}
	if (tries == z->n) {
		return;
	}
	struct pz_deleg *d = &z->d[i];
	switch (op % PZ_NOPS) {
	case PZ_ADD:
		d->present = true;
		pz_deleg_random(d, param * 2654435761u);
		break;
	case PZ_REMOVE:
		d->present = false;
		break;
	case PZ_NS_CHANGE:
		if (param & 1) {
			d->nns = (uint8_t)(1 + (d->nns + (param >> 1)) % PZ_NS);
		} else {
			d->provider = (uint8_t)(d->provider == 0 ? 1 + (param >> 1) % 5 : (param >> 1) % 6);
		}
		break;
	case PZ_DS:
		switch (param % 4) {
		case 0: d->ds[0] = d->ds[0] ? 0 : (uint8_t)(1 + (param >> 2) % 9); break;   /* added or removed */
		case 1: d->ds[1] = d->ds[1] ? 0 : (uint8_t)(10 + (param >> 2) % 9); break;  /* a second one */
		case 2: d->ds[0] = (uint8_t)(1 + (d->ds[0] + (param >> 2)) % 9); break;     /* changed (or added) */
		default: d->ds[0] = d->ds[1] = 0; break;                                     /* all gone */
		}
		break;
	case PZ_GLUE: {
		unsigned k = (param >> 2) % d->nns;
		if (d->provider != 0) {
			d->provider = 0;
		} else if (param % 4 == 0) {
			d->a[k] = d->a[k] ? 0 : (uint8_t)(1 + (param >> 4) % 200);
		} else if (param % 4 == 1) {
			d->aaaa[k] = d->aaaa[k] ? 0 : (uint8_t)(1 + (param >> 4) % 200);
		} else if (param % 4 == 2) {
			d->a[k] = (uint8_t)(1 + (d->a[k] + 1 + (param >> 4)) % 250);
		} else {
			d->nns = (uint8_t)(1 + (d->nns + 1) % PZ_NS); /* a name server and its glue come or go */
		}
		break;
	}
	default:
		break;
	}
}
