/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The side file's patch index (signer/sigfile.h, version 5).  Written by a
 * signing run through SoftHSM and checked against the zone file beside it:
 * the chain against the NSEC3 records (and each item's name hashed again),
 * the slots against the RRsets with RRSIGs in the text (count, RRSIG count,
 * earliest expiration, latest inception), the names.  Read back from a
 * hand-made file; refused as damaged for every damage tried (magic, counts,
 * a name offset in the middle of a name, an unsorted chain, kinds, padding,
 * names, every truncation), never a crash; a version 4 file still read
 * without one.  A previous side file of a patch run is never "unchanged";
 * an unchanged zone's side file keeps the now of the run that wrote it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/statedb.h"
#include "hsm/keys.h"
#include "signer/dname.h"
#include "signer/nsec3.h"
#include "signer/rrtype.h"
#include "signer/sigfile.h"
#include "signer/sign.h"
#include "signer/textout.h"
#include "signer/zparse.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/signer_sigfile_older.h"
#include "tests/unit/signer_test_policy.h"
#include "tests/unit/test_tmpdir.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

/* ---- a hand-made side file ---- */

static const uint8_t *sig_of(void *ctx, size_t i, uint16_t *len)
{
	static const uint8_t sig[4] = { 1, 2, 3, 4 };
	(void)ctx, (void)i;
	*len = sizeof(sig);
	return sig;
}

/* Names: a.test. at 0, bc.test. at 8, test. at 17; 23 bytes (one byte of padding). */
static const uint8_t NAMES[] = "\1a\4test\0\2bc\4test\0\4test";
#define NAMES_LEN 23
#define AT_A 0
#define AT_BC 8
#define AT_APEX 17

/* A side file in memory (8-aligned, as mmap gives): size bytes at data. */
struct mem {
	uint64_t *data;
	size_t size;
};

/*
 * Writes a version 5 side file: three entries, a text index of three
 * blocks (padded), a patch index of two NSEC3 records (the apex and bc)
 * and four slots (SOA and a DS at bc; the two NSEC3 records) over names.
 */
static bool make_file(struct mem *m, const uint8_t *names, uint64_t names_len)
{
	const uint8_t origin[] = "\4test";
	uint8_t h0[32] = { 0 };
	struct signer_sigfile_item items[3];
	memset(items, 0, sizeof(items));
	for (int i = 0; i < 3; i++) {
		memset(items[i].hash, 0x30 + i, sizeof(items[i].hash));
		items[i].nsigs = 1;
	}
	struct signer_sigfile_block blocks[3];
	memset(blocks, 0, sizeof(blocks));
	for (int i = 0; i < 3; i++) {
		memset(blocks[i].digest, 0xa0 + i, sizeof(blocks[i].digest));
		blocks[i].len = 10;
	}
	struct signer_sigfile_patch ph = { .now = NOW, .nchain = 2, .nslots = 4, .names_len = names_len };
	memset(ph.keys_digest, 0x4b, sizeof(ph.keys_digest));
	memset(ph.policy_digest, 0x50, sizeof(ph.policy_digest));
	struct signer_sigfile_chain_item chain[2] = { { .name = AT_APEX }, { .name = AT_BC } };
	memset(chain[0].hash, 0x11, sizeof(chain[0].hash));
	memset(chain[1].hash, 0x22, sizeof(chain[1].hash));
	struct signer_sigfile_slot slots[4] = {
		{ .name = AT_APEX, .type = SIGNER_T_SOA, .kind = SIGNER_SIGFILE_ZONE, .nsigs = 1, .exp_min = 7, .inc_max = 3 },
		{ .name = AT_BC, .type = SIGNER_T_DS, .kind = SIGNER_SIGFILE_ZONE, .nsigs = 2, .exp_min = 8, .inc_max = 4 },
		{ .name = AT_APEX, .type = SIGNER_T_NSEC3, .kind = SIGNER_SIGFILE_NSEC3, .nsigs = 1 },
		{ .name = AT_BC, .type = SIGNER_T_NSEC3, .kind = SIGNER_SIGFILE_NSEC3, .nsigs = 1 },
	};
	for (int i = 0; i < 4; i++) {
		memset(slots[i].hash, 0x30 + i % 3, sizeof(slots[i].hash));
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool good = f != NULL && signer_sigfile_write(f, origin, sizeof(origin), 5, h0, items, 3, sig_of, NULL) == TLD_OK &&
	            signer_sigfile_write_text(f, 30, blocks, 3) == TLD_OK &&
	            signer_sigfile_write_patch(f, &ph, chain, slots, names) == TLD_OK;
	if (f != NULL && fclose(f) != 0) {
		good = false;
	}
	m->size = len;
	m->data = calloc(len / 8 + 1, 8);
	good = good && m->data != NULL;
	if (good) {
		memcpy(m->data, buf, len);
	}
	free(buf);
	return good;
}

static uint8_t *at(const struct mem *m, size_t off)
{
	return (uint8_t *)m->data + off;
}

/* Where the parts of the hand-made file are. */
struct places {
	size_t text_end, patch;    /* the text index's end (before its padding), the patch header */
	struct signer_sigfile_patch *ph;
	struct signer_sigfile_chain_item *chain;
	struct signer_sigfile_slot *slots;
	uint8_t *names;
};

static struct places places_of(const struct mem *m)
{
	struct places p;
	p.patch = m->size - (NAMES_LEN + 1) - 4 * sizeof(*p.slots) - 2 * sizeof(*p.chain) - sizeof(*p.ph);
	p.text_end = p.patch - 4; /* 24 + 3 x 20 bytes: 4 of padding */
	p.ph = (void *)at(m, p.patch);
	p.chain = (void *)(p.ph + 1);
	p.slots = (void *)(p.chain + 2);
	p.names = (uint8_t *)(p.slots + 4);
	return p;
}

static int open_mem(const struct mem *m, size_t size, struct signer_sigfile **sf)
{
	*sf = NULL;
	int ret = signer_sigfile_from_memory(m->data, size, sf);
	if (ret != TLD_OK) {
		*sf = NULL;
	}
	return ret;
}

/* Whether the file with one change (made by edit, undone by a second call) is refused as damaged. */
static bool refused_with(struct mem *m, void (*edit)(struct places *p))
{
	struct places p = places_of(m);
	struct signer_sigfile *sf = NULL;
	edit(&p);
	int ret = open_mem(m, m->size, &sf);
	signer_sigfile_close(sf);
	edit(&p);
	return ret == TLD_EPARSE && sf == NULL;
}

static void bad_magic(struct places *p) { p->ph->magic[3] ^= 0x20; }
static void more_chain(struct places *p) { p->ph->nchain ^= 1 << 1; } /* 2 <-> 0: no longer fits */
static void huge_chain(struct places *p) { p->ph->nchain ^= (uint64_t)1 << 60; }
static void more_slots(struct places *p) { p->ph->nslots ^= 1; } /* 4 <-> 5 */
static void huge_slots(struct places *p) { p->ph->nslots ^= (uint64_t)1 << 59; }
static void short_names(struct places *p) { p->ph->names_len ^= 23 ^ 22; } /* ends inside test. */
static void long_names(struct places *p) { p->ph->names_len ^= 23 ^ 31; }
static void huge_names(struct places *p) { p->ph->names_len ^= (uint64_t)1 << 33; }
static void unknown_flag(struct places *p) { p->ph->flags ^= 2; }
static void pad_set(struct places *p) { p->ph->pad ^= 1; }
static void chain_mid_name(struct places *p) { p->chain[1].name ^= AT_BC ^ 11; } /* "\4test" inside bc.test. */
static void slot_mid_name(struct places *p) { p->slots[0].name ^= AT_APEX ^ 18; }
static void slot_past_names(struct places *p) { p->slots[1].name ^= AT_BC ^ 23; }
static void chain_unsorted(struct places *p)
{
	uint8_t t[20];
	memcpy(t, p->chain[0].hash, 20);
	memcpy(p->chain[0].hash, p->chain[1].hash, 20);
	memcpy(p->chain[1].hash, t, 20);
}
static void chain_last_byte(struct places *p) /* 11..11 10 after 11..11 11 */
{
	for (int i = 0; i < 19; i++) {
		p->chain[1].hash[i] ^= 0x11 ^ 0x22;
	}
	p->chain[1].hash[19] ^= 0x10 ^ 0x22;
}
static void chain_one_equal(struct places *p)
{
	for (int i = 0; i < 20; i++) {
		p->chain[1].hash[i] ^= 0x11 ^ 0x22;
	}
}
static void kind_unknown(struct places *p) { p->slots[1].kind ^= 3; }
static void kind_nsec(struct places *p) { p->slots[1].kind ^= SIGNER_SIGFILE_NSEC; }
static void kind_nsec3_early(struct places *p) { p->slots[1].kind ^= SIGNER_SIGFILE_NSEC3; }
static void kind_zone_late(struct places *p) { p->slots[3].kind ^= SIGNER_SIGFILE_NSEC3; }
static void nsec3_other_name(struct places *p) { p->slots[2].name ^= AT_APEX ^ AT_A; }
static void label_pointer(struct places *p) { p->names[AT_BC] ^= 0x02 ^ 0xc0; }
static void label_too_long(struct places *p) { p->names[AT_BC] ^= 0x02 ^ 0x40; }
static void names_pad_set(struct places *p) { p->names[NAMES_LEN] ^= 1; }
static void text_pad_set(struct places *p) { ((uint8_t *)p->ph)[-1] ^= 1; }

/* NAMES, then a name of labels labels of 63 bytes (the offsets the chain and slots use stay whole names). */
static void long_name(uint8_t *names, size_t labels)
{
	memset(names, 0, NAMES_LEN + 6 * 64);
	memcpy(names, NAMES, NAMES_LEN);
	for (size_t l = 0; l < labels; l++) {
		names[NAMES_LEN + l * 64] = 63;
		memset(names + NAMES_LEN + l * 64 + 1, 'x', 63);
	}
}

static void test_hand_made(void)
{
	struct mem m = { 0 };
	bool made = make_file(&m, NAMES, NAMES_LEN);
	ok(made, "hand-made: written (%zu bytes)", m.size);
	struct places p = places_of(&m);
	ok(memcmp(p.ph->magic, "PATCHIX", 8) == 0, "hand-made: the patch index where the layout puts it");
	struct signer_sigfile *sf = NULL;
	ok(open_mem(&m, m.size, &sf) == TLD_OK && sf->patch != NULL, "hand-made: opens with a patch index");
	if (sf != NULL && sf->patch != NULL) {
		ok(sf->hdr->version == 5 && sf->patch->now == NOW && sf->patch->nchain == 2 && sf->patch->nslots == 4 &&
		   sf->patch->names_len == NAMES_LEN && sf->patch->flags == 0 && sf->patch->keys_digest[31] == 0x4b &&
		   sf->patch->policy_digest[0] == 0x50, "hand-made: header read back");
		ok(sf->chain[1].hash[0] == 0x22 && sf->chain[1].name == AT_BC && sf->pslots[1].type == SIGNER_T_DS &&
		   sf->pslots[1].nsigs == 2 && sf->pslots[1].exp_min == 8 && sf->pslots[1].inc_max == 4 &&
		   sf->pslots[3].kind == SIGNER_SIGFILE_NSEC3 && memcmp(sf->names, NAMES, NAMES_LEN) == 0,
		   "hand-made: chain, slots and names read back");
		ok(sf->text != NULL && sf->text->nblocks == 3 && signer_sigfile_find(sf, sf->pslots[1].hash) != NULL,
		   "hand-made: text index and signatures still read");
	}
	signer_sigfile_close(sf);
	p.ph->flags = SIGNER_SIGFILE_PATCHED;
	ok(open_mem(&m, m.size, &sf) == TLD_OK && sf->patch->flags == SIGNER_SIGFILE_PATCHED,
	   "hand-made: a patch run's flag read");
	signer_sigfile_close(sf);
	p.ph->flags = 0;

	/* damaged: each refused, the file undone after each */
	static const struct {
		void (*edit)(struct places *p);
		const char *what;
	} bad[] = {
		{ bad_magic, "bad magic" },
		{ more_chain, "nchain not fitting the file" },
		{ huge_chain, "nchain beyond the file" },
		{ more_slots, "nslots not fitting the file" },
		{ huge_slots, "nslots beyond the file" },
		{ short_names, "names_len ending inside a name" },
		{ long_names, "names_len beyond the file" },
		{ huge_names, "names_len beyond 4 GiB" },
		{ unknown_flag, "an unknown flag" },
		{ pad_set, "the header's pad set" },
		{ chain_mid_name, "a chain item's name offset in the middle of a name" },
		{ slot_mid_name, "a slot's name offset in the middle of a name" },
		{ slot_past_names, "a slot's name offset past the names" },
		{ chain_unsorted, "the chain out of hash order" },
		{ chain_last_byte, "two chain hashes differing in their last byte, out of order" },
		{ chain_one_equal, "two equal chain hashes" },
		{ kind_unknown, "an unknown kind" },
		{ kind_nsec, "an NSEC slot beside an NSEC3 chain" },
		{ kind_nsec3_early, "an NSEC3 slot before the last nchain" },
		{ kind_zone_late, "a zone slot among the last nchain" },
		{ nsec3_other_name, "an NSEC3 slot not of its chain item's name" },
		{ label_pointer, "a compression pointer in the names" },
		{ label_too_long, "a label of 64 bytes in the names" },
		{ names_pad_set, "the names' padding set" },
		{ text_pad_set, "the text index's padding set" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(refused_with(&m, bad[i].edit), "damaged patch index refused: %s", bad[i].what);
	}
	ok(open_mem(&m, m.size, &sf) == TLD_OK, "hand-made: opens again once undone");
	signer_sigfile_close(sf);

	/* truncated anywhere from the text index on: refused, never a crash */
	size_t refused = 0, tried = 0;
	for (size_t len = p.text_end - 24; len < m.size; len++, tried++) {
		refused += open_mem(&m, len, &sf) == TLD_EPARSE;
		signer_sigfile_close(sf);
	}
	is_int((long long)tried, (long long)refused, "truncated at each of %zu places after the blob: refused", tried);
	FILE *f = fopen(tmp_path("cut.sigs"), "wb");
	fwrite(m.data, 1, m.size - 1, f);
	fclose(f);
	ok(signer_sigfile_open(tmp_path("cut.sigs"), &sf) == TLD_EPARSE && sf == NULL,
	   "a truncated version 5 file refused by signer_sigfile_open");

	/* version 4 (and 3): the text index ends the file; read, without a patch index */
	uint32_t *version = &((struct signer_sigfile_header *)m.data)->version;
	for (uint32_t v = 3; v <= 4; v++) {
		*version = v;
		ok(open_mem(&m, p.text_end, &sf) == TLD_OK && sf->patch == NULL && sf->chain == NULL &&
		   sf->pslots == NULL && sf->names == NULL && sf->text != NULL && sf->text->nblocks == 3,
		   "version %u: read with its text index, patch NULL", v);
		signer_sigfile_close(sf);
		ok(open_mem(&m, m.size, &sf) == TLD_EPARSE, "version %u with a patch index after it: refused", v);
		signer_sigfile_close(sf);
	}
	*version = 5;
	ok(open_mem(&m, p.text_end, &sf) == TLD_EPARSE, "version 5 without its patch index: refused");
	ok(open_mem(&m, p.text_end + 4, &sf) == TLD_EPARSE, "version 5 ending after the text index's padding: refused");
	free(m.data);

	/* names: a name of more than 255 bytes, names without the root label */
	uint8_t longn[NAMES_LEN + 6 * 64];
	long_name(longn, 5);
	ok(make_file(&m, longn, NAMES_LEN + 5 * 64 + 1) && open_mem(&m, m.size, &sf) == TLD_EPARSE,
	   "a name of 321 bytes in the names: refused");
	free(m.data);
	long_name(longn, 3);
	ok(make_file(&m, longn, NAMES_LEN + 3 * 64 + 1) && open_mem(&m, m.size, &sf) == TLD_OK,
	   "a name of 193 bytes in the names: read");
	signer_sigfile_close(sf);
	free(m.data);
	ok(make_file(&m, longn, NAMES_LEN + 3 * 64) && open_mem(&m, m.size, &sf) == TLD_EPARSE,
	   "names ending without the root label: refused");
	free(m.data);
}

/* ---- a signed zone: the patch index against its text ---- */

struct rrsig_seen {
	uint8_t owner[SIGNER_DNAME_MAX];
	uint16_t covered;
	uint32_t exp, inc;
};

struct text_seen {
	struct rrsig_seen sigs[256];
	size_t nsigs;
	char nsec3[64][40]; /* first labels of the NSEC3 owners, in file order */
	size_t nnsec3;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int seen_cb(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                   const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct text_seen *t = ctx;
	(void)rclass, (void)ttl, (void)line;
	if (type == SIGNER_T_RRSIG && rdlen >= 18 && t->nsigs < 256) {
		struct rrsig_seen *s = &t->sigs[t->nsigs++];
		memcpy(s->owner, owner, signer_dname_len(owner, SIGNER_DNAME_MAX));
		s->covered = (uint16_t)(rdata[0] << 8 | rdata[1]);
		s->exp = get32(rdata + 8);
		s->inc = get32(rdata + 12);
	} else if (type == SIGNER_T_NSEC3 && t->nnsec3 < 64 && owner[0] < 40) {
		memcpy(t->nsec3[t->nnsec3], owner + 1, owner[0]);
		t->nsec3[t->nnsec3++][owner[0]] = '\0';
	}
	return TLD_OK;
}

static bool same_name(const uint8_t *a, const uint8_t *b)
{
	size_t l = signer_dname_len(a, SIGNER_DNAME_MAX);
	return l > 0 && l == signer_dname_len(b, SIGNER_DNAME_MAX) && memcmp(a, b, l) == 0;
}

/* The owner in the text of slot i: its name, or for an NSEC3 slot its hashed name. */
static void text_owner(const struct signer_sigfile *sf, uint64_t i, uint8_t *owner)
{
	const struct signer_sigfile_slot *s = &sf->pslots[i];
	if (s->kind != SIGNER_SIGFILE_NSEC3) {
		memcpy(owner, sf->names + s->name, signer_dname_len(sf->names + s->name, SIGNER_DNAME_MAX));
		return;
	}
	const struct signer_sigfile_chain_item *c = &sf->chain[i - (sf->patch->nslots - sf->patch->nchain)];
	char b32[40];
	size_t l = signer_base32hex(c->hash, sizeof(c->hash), b32);
	owner[0] = (uint8_t)l;
	memcpy(owner + 1, b32, l);
	memcpy(owner + 1 + l, sf->hdr->origin, sf->hdr->origin_len);
}

/* The patch index of the side file of zone against the zone's text. */
static void check_against_text(const char *zone, const char *what, bool nsec3, bool opt_out)
{
	char side[600];
	snprintf(side, sizeof(side), "%s%s", zone, SIGNER_SIGFILE_SUFFIX);
	size_t len = 0;
	char *text = tap_read_file(zone, &len);
	static struct text_seen t;
	memset(&t, 0, sizeof(t));
	struct signer_sigfile *sf = NULL;
	bool good = text != NULL && signer_zparse(zone, text, len, NULL, seen_cb, &t) == TLD_OK &&
	            signer_sigfile_open(side, &sf) == TLD_OK && sf->patch != NULL;
	free(text);
	ok(good, "%s: the zone parsed, its side file opened with a patch index", what);
	if (!good) {
		signer_sigfile_close(sf);
		return;
	}
	const struct signer_sigfile_patch *ph = sf->patch;
	uint8_t zero[32] = { 0 };
	ok(ph->now == NOW && ph->flags == 0 && memcmp(ph->keys_digest, zero, 32) != 0 &&
	   memcmp(ph->policy_digest, zero, 32) != 0, "%s: now, flags 0 (full path), the run's digests", what);

	/* the chain: the NSEC3 records of the text, in the same order, each its node's name hashed */
	struct signer_nsec3_params np = { .algorithm = SIGNER_NSEC3_SHA1, .opt_out = opt_out };
	size_t same = 0, hashed = 0;
	for (uint64_t j = 0; j < ph->nchain && j < t.nnsec3; j++) {
		char b32[40];
		signer_base32hex(sf->chain[j].hash, sizeof(sf->chain[j].hash), b32);
		same += strcmp(b32, t.nsec3[j]) == 0;
		uint8_t h[SIGNER_NSEC3_HASH_LEN];
		hashed += signer_nsec3_hash(&np, sf->names + sf->chain[j].name, h) == TLD_OK &&
		          memcmp(h, sf->chain[j].hash, sizeof(h)) == 0;
	}
	ok(ph->nchain == t.nnsec3 && same == t.nnsec3 && hashed == t.nnsec3 && (nsec3 ? t.nnsec3 > 0 : ph->nchain == 0),
	   "%s: chain of %llu items = the %zu NSEC3 records of the text (%zu the same, %zu names hash to them)", what,
	   (unsigned long long)ph->nchain, t.nnsec3, same, hashed);

	/* the slots: one per RRset with RRSIGs in the text, each with their count and times */
	size_t groups = 0;
	for (size_t i = 0; i < t.nsigs; i++) {
		size_t k = 0;
		while (k < i && !(t.sigs[k].covered == t.sigs[i].covered && same_name(t.sigs[k].owner, t.sigs[i].owner))) {
			k++;
		}
		groups += k == i;
	}
	size_t matched = 0, in_sf = 0;
	uint32_t exp_min_text = 0, exp_min_slots = 0;
	for (uint64_t i = 0; i < ph->nslots; i++) {
		const struct signer_sigfile_slot *s = &sf->pslots[i];
		uint8_t owner[SIGNER_DNAME_MAX];
		text_owner(sf, i, owner);
		size_t n = 0;
		uint32_t e = 0, in = 0;
		for (size_t k = 0; k < t.nsigs; k++) {
			if (t.sigs[k].covered == s->type && same_name(t.sigs[k].owner, owner)) {
				e = n == 0 || t.sigs[k].exp < e ? t.sigs[k].exp : e; /* 2026 to 2036: no wrap */
				in = n == 0 || t.sigs[k].inc > in ? t.sigs[k].inc : in;
				n++;
			}
		}
		matched += n > 0 && n == s->nsigs && e == s->exp_min && in == s->inc_max;
		const struct signer_sigfile_entry *en = signer_sigfile_find(sf, s->hash);
		in_sf += en != NULL && en->nsigs == s->nsigs;
		exp_min_slots = i == 0 || s->exp_min < exp_min_slots ? s->exp_min : exp_min_slots;
	}
	for (size_t k = 0; k < t.nsigs; k++) {
		exp_min_text = k == 0 || t.sigs[k].exp < exp_min_text ? t.sigs[k].exp : exp_min_text;
	}
	ok(ph->nslots == groups && groups > 0, "%s: %llu slots = the %zu RRsets with RRSIGs in the text", what,
	   (unsigned long long)ph->nslots, groups);
	is_int((long long)ph->nslots, (long long)matched,
	       "%s: every slot's owner, type, RRSIG count, earliest expiration and latest inception as in the text", what);
	is_int((long long)ph->nslots, (long long)in_sf, "%s: every slot's hash an entry of its signatures", what);
	ok(exp_min_slots == exp_min_text && exp_min_text != 0,
	   "%s: the earliest expiration of the slots is the text's (%u)", what, exp_min_text);

	/* the names: each once, in canonical order; the apex's first */
	size_t names = 0, ordered = 0;
	uint8_t prev_key[SIGNER_KEY_MAX];
	size_t prev_len = 0;
	for (uint64_t off = 0; off < ph->names_len; names++) {
		uint8_t key[SIGNER_KEY_MAX];
		size_t kl = signer_dname_key(sf->names + off, key);
		ordered += names == 0 || signer_key_cmp(prev_key, prev_len, key, kl) < 0;
		memcpy(prev_key, key, kl);
		prev_len = kl;
		off += signer_dname_len(sf->names + off, SIGNER_DNAME_MAX);
	}
	ok(names > 0 && ordered == names && same_name(sf->names, sf->hdr->origin),
	   "%s: %zu names, each once, in canonical order from the apex", what, names);
	signer_sigfile_close(sf);
}

static void test_signed(void)
{
	struct test_token tok;
	test_token_make(&tok, "pindex");
	tld_statedb_t *db = NULL;
	struct tld_key_record ksk, zsk;
	ok(tld_statedb_open(tok.dir, &db) == TLD_OK && tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 13, 0, &ksk) == TLD_OK &&
	       tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 13, 0, &zsk) == TLD_OK,
	   "signed: KSK and ZSK in the token");
	static char in[512], out[512], side[600];
	snprintf(in, sizeof(in), "%s", tmp_path("in.zone"));
	snprintf(out, sizeof(out), "%s", tmp_path("out.zone"));
	snprintf(side, sizeof(side), "%s%s", out, SIGNER_SIGFILE_SUFFIX);
	FILE *f = fopen(in, "w");
	fputs("$ORIGIN test.\n$TTL 3600\n@ SOA ns1.nic hostmaster.nic 7 1800 900 1209600 3600\n"
	      "@ NS ns1.nic\n@ NS ns2.nic\nns1.nic A 192.0.2.1\nns2.nic AAAA 2001:db8::2\n*.w TXT \"wild\"\n"
	      "sec 86400 DS 1 13 2 0011223344556677889900112233445566778899001122334455667788990011\n"
	      "sec 172800 NS ns.sec\nns.sec 172800 A 198.51.100.1\nins 172800 NS ns.example.net.\n"
	      "a.b.sec2.x 86400 DS 2 13 2 0011223344556677889900112233445566778899001122334455667788990011\n"
	      "a.b.sec2.x NS ns.example.net.\nc.d TXT \"deep\"\n",
	      f);
	fclose(f);
	struct tld_policy pol = make_policy(TLD_DENIAL_NSEC3, true);
	struct signer_sign_opts o = { .cfg = &tok.cfg, .policy = &pol, .db = db, .input = in, .output = out,
	                              .now = NOW, .workers = 2 };
	struct signer_sign_stats st;
	memset(&st, 0, sizeof(st));
	ok(signer_sign_file(&o, &st) == TLD_OK, "signed: NSEC3 opt-out");
	check_against_text(out, "NSEC3 opt-out", true, true);

	/* NSEC3 without opt-out, and NSEC */
	pol = make_policy(TLD_DENIAL_NSEC3, false);
	o.output = tmp_path("all.zone");
	ok(signer_sign_file(&o, &st) == TLD_OK, "signed: NSEC3 without opt-out");
	check_against_text(tmp_path("all.zone"), "NSEC3", true, false);
	pol = make_policy(TLD_DENIAL_NSEC, false);
	o.output = tmp_path("nsec.zone");
	ok(signer_sign_file(&o, &st) == TLD_OK, "signed: NSEC");
	check_against_text(tmp_path("nsec.zone"), "NSEC", false, false);
	pol = make_policy(TLD_DENIAL_NSEC3, true);
	o.output = out;

	/* nothing changed, later: unchanged, the side file left as it was (its now the first run's) */
	struct stat before, after;
	o.previous = out;
	o.keep_serial_if_unchanged = true;
	o.now = NOW + 3600;
	stat(side, &before);
	ok(signer_sign_file(&o, &st) == TLD_OK && st.unchanged, "signed: an hour later, nothing changed: unchanged");
	stat(side, &after);
	struct signer_sigfile *sf = NULL;
	ok(before.st_ino == after.st_ino && signer_sigfile_open(side, &sf) == TLD_OK && sf->patch->now == NOW,
	   "signed: unchanged: the side file not rewritten, its now the run's that signed it");
	signer_sigfile_close(sf);

	/* a patch run's side file (flag set): never unchanged; the next file is the full path's again */
	sf = NULL;
	bool flagged = signer_sigfile_open(side, &sf) == TLD_OK;
	size_t flags_at = flagged ? (size_t)((const uint8_t *)&sf->patch->flags - (const uint8_t *)sf->map) : 0;
	signer_sigfile_close(sf);
	uint32_t patched = SIGNER_SIGFILE_PATCHED;
	f = fopen(side, "r+b");
	flagged = flagged && f != NULL && fseek(f, (long)flags_at, SEEK_SET) == 0 && fwrite(&patched, 4, 1, f) == 1;
	if (f != NULL) {
		fclose(f);
	}
	ok(flagged && signer_sigfile_open(side, &sf) == TLD_OK && sf->patch->flags == SIGNER_SIGFILE_PATCHED,
	   "signed: the side file marked as a patch run's");
	signer_sigfile_close(sf);
	int ret = signer_sign_file(&o, &st);
	ok(ret == TLD_OK && !st.unchanged && st.serial == 8 && st.sigs_reused > 0,
	   "signed: after a patch run's side file: not unchanged (serial %u), its signatures reused (%llu)", st.serial,
	   (unsigned long long)st.sigs_reused);
	ok(signer_sigfile_open(side, &sf) == TLD_OK && sf->patch->flags == 0 && sf->patch->now == NOW + 3600,
	   "signed: the new side file the full path's, with this run's now");
	signer_sigfile_close(sf);

	/* a version 4 side file: unchanged may hold; the file is written anew in this version */
	ok(signer_sigfile_make_older(side, 4), "signed: the side file made one of version 4");
	o.now = NOW + 7200;
	ret = signer_sign_file(&o, &st);
	ok(ret == TLD_OK && st.unchanged && st.serial == 8 && st.sigs_new == 0,
	   "signed: after a version 4 side file, nothing changed: unchanged (serial %u)", st.serial);
	ok(signer_sigfile_open(side, &sf) == TLD_OK && sf->hdr->version == SIGNER_SIGFILE_VERSION && sf->patch != NULL &&
	   sf->patch->now == NOW + 7200, "signed: its side file rewritten in version %u", SIGNER_SIGFILE_VERSION);
	signer_sigfile_close(sf);

	(void)ksk, (void)zsk;
	tld_statedb_close(db);
	test_token_remove(&tok);
}

int main(void)
{
	plan_lazy();
	tmpdir_make("test_signer_patch_index");
	test_hand_made();
	test_signed();
	tmpdir_remove();
	return exit_status();
}
