/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signer_patch_file() (signer/patch.h) against signer_sign_file() with
 * Ed25519 keys (deterministic signatures: whole files compared, signatures
 * included).  A model zone (tests/unit/patch_zone_model.h) is signed in full
 * as version 1, then mutated at random step after step -- delegations added
 * and removed, NS sets, DS (NSEC3 records coming and going, under opt-out
 * and without), glue, the names at the ends of the zone and of the hash
 * order, the apex's own ns1..ns3.nic names, the clock moved on so that
 * signatures fall due -- and each version signed twice: in full from the
 * full chain's previous version, and as a patch of the patch chain's
 * previous version (a patch of a patch of a patch ...).  The zone files
 * must be equal byte for byte and the patch must not fall back but once:
 * half way the policy changes (the jitter), the patch falls back and the
 * caller's full version is the next patch's previous.  Each patch hands on
 * the SHA-256 and check of its text, made from the pieces it wrote it from
 * (whole, or the stream of its first bytes gone on with from the file's):
 * they must be tld_zone_text_digest_check() of the file, and the identity
 * the file's as committed.  The second chain has its splice plan made at
 * the write (TLDSIGN_SIGN_PATCH_PLAN=here), the others beside the signing,
 * and hands on its text's digest in part (TLDSIGN_SIGN_PATCH_HASH=half),
 * and parses no changed group ahead (TLDSIGN_SIGN_PATCH_AHEAD=0): its
 * patches take no group from a parse ahead (stats.patch_groups_ahead 0),
 * the other chains' take some (the fast path taken); the third writes its text's two halves through a buffer of 97 bytes
 * (TLDSIGN_SIGN_PATCH_WRITE_BUFFER), so that most pieces go as they are.
 * Then the preconditions: each gives TLD_EAGAIN and leaves the output alone.
 * PATCH_STEPS (60), PATCH_SEEDS (3) and PATCH_ZONE (40 delegations, at most
 * PZ_MAX) in the environment make it longer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_ident.h"
#include "common/textcheck.h"
#include "common/log.h"
#include "common/statedb.h"
#include "hsm/keys.h"
#include "signer/dname.h"
#include "signer/patch.h"
#include "signer/patch_diff.h"
#include "signer/sigfile.h"
#include "signer/sign.h"
#include "tests/tap/tap.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/patch_sign_pair.h"
#include "tests/unit/patch_zone_model.h"
#include "tests/unit/signer_sigfile_older.h"
#include "tests/unit/test_tmpdir.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define SENTINEL "not written by the patch\n"

static struct test_token tok;
static tld_statedb_t *db;
static tld_time_t clock_now = NOW; /* the key states refuse a clock that goes back: each part starts later */

static char full_in[512];       /* the file the full path signs from */
static struct pz_signer signer = { .in = full_in, .workers = 2 };


static bool same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = tap_read_file(a, &la), *y = tap_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;
	if (!same && x != NULL && y != NULL) {
		size_t i = 0;
		while (i < la && i < lb && x[i] == y[i]) {
			i++;
		}
		size_t ls = i;
		while (ls > 0 && x[ls - 1] != '\n') {
			ls--;
		}
		diag("%s and %s differ at byte %zu (sizes %zu, %zu):", a, b, i, la, lb);
		diag("  %.*s", (int)(strcspn(x + ls, "\n")), x + ls);
		diag("  %.*s", (int)(strcspn(y + ls, "\n")), y + ls);
	}
	free(x);
	free(y);
	return same;
}

/* Digests the patches handed on: whole, in part, and not those of their files. */
static int digests_whole, digests_partial, digests_bad;

/*
 * The digest, check and identity a patch handed on are those of the file
 * it wrote (a partial stream gone on with from the file's bytes).
 */
static bool digest_of_file(const struct tld_text_digest *d, const char *path)
{
	size_t len = 0;
	char *x = tap_read_file(path, &len), hex[65], got[65] = "";
	uint64_t check = 0, got_check = d->check;
	struct stat st;
	struct tld_text_stream s;
	char ident[TLD_FILE_IDENT_LEN];
	bool same = x != NULL && tld_zone_text_digest_check(x, len, hex, &check) == TLD_OK && stat(path, &st) == 0;
	if (same && d->partial != NULL) {
		same = d->hex[0] == 0 && d->partial->len <= len && tld_text_stream_copy(&s, d->partial) == TLD_OK;
		if (same) {
			same = tld_text_stream_add(&s, x + d->partial->len, len - d->partial->len) == TLD_OK &&
			       tld_text_stream_end(&s, got, &got_check) == TLD_OK;
			tld_text_stream_free(&s);
		}
	} else {
		snprintf(got, sizeof(got), "%s", d->hex);
	}
	same = same && strcmp(hex, got) == 0 && check == got_check;
	if (same) {
		tld_file_ident(&st, ident);
		same = strcmp(ident, d->ident) == 0;
	}
	if (!same) {
		diag("%s: digest %s check %016llx ident %s handed on (partial: %zu bytes)", path, got,
		     (unsigned long long)got_check, d->ident, d->partial != NULL ? d->partial->len : 0);
	}
	free(x);
	return same;
}

static bool file_is(const char *path, const char *text)
{
	size_t len = 0;
	char *x = tap_read_file(path, &len);
	bool same = x != NULL && len == strlen(text) && memcmp(x, text, len) == 0;
	free(x);
	return same;
}

static int sign_full(const struct tld_policy *pol, const char *text, size_t len, const char *previous,
                     const char *out, tld_time_t now, struct signer_sign_stats *st)
{
	return pz_sign_full(&signer, pol, text, len, previous, out, now, st);
}

/* pz_sign_patch(); the digest a patch hands on checked against its file (digests_*), then released. */
static int sign_patch(const struct tld_policy *pol, const char *old_text, size_t old_len, const char *text,
                      size_t len, const char *previous, const char *out, tld_time_t now, size_t max_changes,
                      struct signer_sign_stats *st)
{
	int r = pz_sign_patch(&signer, pol, old_text, old_len, text, len, previous, out, now, max_changes, st);
	if (r == TLD_OK && !st->unchanged) {
		digests_whole += st->text_digest.hex[0] != 0;
		digests_partial += st->text_digest.partial != NULL;
		digests_bad += !digest_of_file(&st->text_digest, out);
	}
	if (r == TLD_OK) {
		tld_text_digest_release(&st->text_digest);
	}
	return r;
}

/* The same patch again with the log at info, into a scratch file: the reason it fell back. */
static void show_reason(const struct tld_policy *pol, const char *old_text, size_t old_len, const char *text,
                        size_t len, const char *previous, tld_time_t now)
{
	struct signer_sign_stats st;
	enum tld_log_level was = tld_log_level();
	tld_log_init(TLD_LOG_INFO, false);
	(void)sign_patch(pol, old_text, old_len, text, len, previous, tmp_path("reason.zone"), now, 100000, &st);
	tld_log_init(was, false);
}

/* ---- 1. the differential: a chain of patches against the full path ---- */

static void differential(bool opt_out, unsigned seed, int steps)
{
	struct tld_policy pol = pz_policy(opt_out);
	struct signer_nsec3_params n3p = { .algorithm = SIGNER_NSEC3_SHA1, .opt_out = opt_out };
	if (seed % 3 == 0) { /* a salt and an iteration: the NSEC3 parameters the patch hashes with are the policy's */
		pol.denial.salt_len = n3p.salt_len = 4;
		memcpy(pol.denial.salt, "\x5a\x17\xee\x01", 4);
		memcpy(n3p.salt, pol.denial.salt, 4);
		pol.denial.iterations = n3p.iterations = 1;
	}
	struct pz_zone z;
	pz_init(&z, getenv("PATCH_ZONE") != NULL ? (size_t)atoi(getenv("PATCH_ZONE")) : 40, seed);
	char *old_text = NULL;
	size_t old_len = 0;
	pz_text(&z, &old_text, &old_len);
	static char full_prev[512], patch_prev[512], full_out[512], patch_out[512];
	snprintf(full_prev, sizeof(full_prev), "%s", tmp_path("d-full-0.zone"));
	snprintf(patch_prev, sizeof(patch_prev), "%s", tmp_path("d-patch-0.zone"));
	tld_time_t now = clock_now;
	struct signer_sign_stats sf, sp;
	int rf = sign_full(&pol, old_text, old_len, NULL, full_prev, now, &sf);
	int rp = sign_full(&pol, old_text, old_len, NULL, patch_prev, now, &sp);
	ok(rf == TLD_OK && rp == TLD_OK && same_file(full_prev, patch_prev),
	   "differential (opt-out %d, seed %u): version 1 signed in full", opt_out, seed);
	int fell_back = 0, unchanged = 0, patched = 0, differ = 0, failed = 0, bad_before = digests_bad;
	uint64_t refreshed_steps = 0, ahead = 0; /* groups taken from the parse ahead (stats.patch_groups_ahead) */
	unsigned r = seed * 7919u + 17u;
	for (int step = 1; step <= steps; step++) {
		r = r * 1103515245u + 12345u;
		unsigned nmut = (r >> 16) % 4; /* 0 to 3 mutations: some steps only move the clock */
		if ((r >> 20) % 16 == 0) {
			nmut = 20; /* now and then a burst */
		}
		for (unsigned m = 0; m < nmut; m++) {
			r = r * 1103515245u + 12345u;
			unsigned a = r >> 8;
			r = r * 1103515245u + 12345u;
			pz_mutate(&z, a % PZ_NOPS, (a >> 4) % PZ_MAX, r >> 10, &n3p);
		}
		r = r * 1103515245u + 12345u;
		switch ((r >> 12) % 8) {
		case 0: now += 3 * 86400; break;      /* some signatures (jittered) fall due */
		case 1: now += 8 * 86400; break;      /* most fall due */
		default: now += 60 + (r >> 20) % 3600; break;
		}
		char *text = NULL;
		size_t len = 0;
		bool policy_step = step == steps / 2 + 1;
		if (policy_step) { /* the policy changes half way: one fall-back, then patches of its full version */
			pol.signatures.jitter += 3600;
			/* and a name (ns1.nic's address): the caller's full version from a patched one is never
			   unchanged (sigfile.h: no unsigned hash), the full path's from its own could be */
			pz_mutate(&z, PZ_NIC, 0, 0, &n3p);
		}
		pz_text(&z, &text, &len);
		snprintf(full_out, sizeof(full_out), "%s", tmp_path("d-full-n.zone"));
		snprintf(patch_out, sizeof(patch_out), "%s", tmp_path("d-patch-n.zone"));
		unlink(full_out);
		unlink(patch_out);
		rf = sign_full(&pol, text, len, full_prev, full_out, now, &sf);
		rp = sign_patch(&pol, old_text, old_len, text, len, patch_prev, patch_out, now, 100000, &sp);
		if (rp == TLD_EAGAIN) {
			if (!policy_step) {
				fell_back++;
				diag("step %d: the patch fell back", step);
				show_reason(&pol, old_text, old_len, text, len, patch_prev, now);
			}
			if (access(patch_out, F_OK) == 0) {
				failed++;
				diag("step %d: the patch fell back but wrote its output", step);
			}
			rp = sign_full(&pol, text, len, patch_prev, patch_out, now, &sp); /* as the caller does */
		} else if (rp == TLD_OK) {
			patched++;
			ahead += sp.patch_groups_ahead;
			if (policy_step) {
				fell_back++;
				diag("step %d: the policy changed, yet the patch did not fall back", step);
			}
		}
		if (rf != TLD_OK || rp != TLD_OK) {
			failed++;
			diag("step %d: full %s, patch %s", step, tld_strerror(rf), tld_strerror(rp));
			free(text);
			break;
		}
		if (sf.unchanged || sp.unchanged) {
			unchanged++;
			if (sf.unchanged != sp.unchanged || sf.serial != sp.serial || access(patch_out, F_OK) == 0 ||
			    !same_file(full_out, full_prev)) {
				differ++;
				diag("step %d: unchanged: full %d (serial %u), patch %d (serial %u)", step, sf.unchanged,
				     sf.serial, sp.unchanged, sp.serial);
			}
			free(text);
			continue; /* the previous versions stay (the caller publishes nothing) */
		}
		if (sf.serial != sp.serial || !same_file(full_out, patch_out)) {
			differ++;
			diag("step %d: serials %u and %u", step, sf.serial, sp.serial);
			if (getenv("KEEP_TMP") != NULL) {
				char keep[600];
				snprintf(keep, sizeof(keep), "%s", tmp_path("d-failed-new.txt"));
				pz_put_file(keep, text, len);
				snprintf(keep, sizeof(keep), "%s", tmp_path("d-failed-old.txt"));
				pz_put_file(keep, old_text, old_len);
				static const char *const names[][2] = { { "d-full-0.zone", "d-failed-full-0.zone" },
				                                        { "d-patch-0.zone", "d-failed-patch-0.zone" },
				                                        { "d-full-n.zone", "d-failed-full-n.zone" },
				                                        { "d-patch-n.zone", "d-failed-patch-n.zone" } };
				for (size_t k = 0; k < 4; k++) {
					char from[600];
					snprintf(from, sizeof(from), "%s", tmp_path(names[k][0]));
					rename(from, tmp_path(names[k][1]));
					snprintf(from, sizeof(from), "%s", pz_side_of(tmp_path(names[k][0])));
					rename(from, pz_side_of(tmp_path(names[k][1])));
				}
				diag("kept: the texts and versions as d-failed-*");
			}
			free(text);
			break;
		}
		refreshed_steps += sp.sigs_new > 3; /* more than the apex's SOA, its NSEC3 and a neighbour's */
		/* the outputs become the previous versions */
		rename(full_out, full_prev);
		rename(pz_side_of(full_out), pz_side_of(full_prev));
		rename(patch_out, patch_prev);
		rename(pz_side_of(patch_out), pz_side_of(patch_prev));
		free(old_text);
		old_text = text;
		old_len = len;
	}
	ok(failed == 0, "differential (opt-out %d, seed %u): every signing succeeded", opt_out, seed);
	ok(differ == 0, "differential (opt-out %d, seed %u): the patch chain's %d versions are the full path's, byte "
	   "for byte (%d unchanged as the full path)", opt_out, seed, patched, unchanged);
	ok(digests_bad == bad_before, "differential (opt-out %d, seed %u): every patch handed on its file's SHA-256, check and "
	   "identity", opt_out, seed);
	ok(fell_back == 0, "differential (opt-out %d, seed %u): no fall-back but where the policy changed (%d)",
	   opt_out, seed, fell_back);
	ok(patched >= steps / 2, "differential (opt-out %d, seed %u): %d of %d steps patched", opt_out, seed, patched,
	   steps);
	diag("opt-out %d, seed %u: %llu steps re-signed more than a few signatures", opt_out, seed,
	     (unsigned long long)refreshed_steps);
	const char *env = getenv("TLDSIGN_SIGN_PATCH_AHEAD");
	if (env != NULL && strcmp(env, "0") == 0) {
		ok(ahead == 0, "differential (opt-out %d, seed %u): nothing parsed ahead, none taken from there (%llu)",
		   opt_out, seed, (unsigned long long)ahead);
	} else {
		ok(ahead > 0, "differential (opt-out %d, seed %u): %llu changed groups taken from the parse ahead", opt_out,
		   seed, (unsigned long long)ahead);
	}
	free(old_text);
	clock_now = now + 86400;
}

/*
 * Nothing changed but a signature of the apex due: the DNSKEY RRset's
 * (signed for less time than the rest).  The full path signs a new version;
 * so must the patch (it took "no owner changed, no name due" for unchanged,
 * and the apex, always replaced, was not counted among the names due: the
 * DNSKEY signature went on until it expired).
 */
static void test_apex_due(void)
{
	struct tld_policy pol = pz_policy(true);
	pol.signatures.validity = 60 * 86400;
	pol.signatures.dnskey_validity = 14 * 86400;
	struct pz_zone z;
	pz_init(&z, 12, 5);
	char *text = NULL;
	size_t len = 0;
	pz_text(&z, &text, &len);
	static char base[512], full[512], patched[512];
	snprintf(base, sizeof(base), "%s", tmp_path("apex-base.zone"));
	snprintf(full, sizeof(full), "%s", tmp_path("apex-full.zone"));
	snprintf(patched, sizeof(patched), "%s", tmp_path("apex-patch.zone"));
	struct signer_sign_stats sb, sf, sp;
	tld_time_t t = clock_now + 8 * 86400;
	int rb = sign_full(&pol, text, len, NULL, base, clock_now, &sb);
	int rf = sign_full(&pol, text, len, base, full, t, &sf);
	int rp = sign_patch(&pol, text, len, text, len, base, patched, t, 100000, &sp);
	ok(rb == TLD_OK && rf == TLD_OK && !sf.unchanged && sf.sigs_new >= 2,
	   "apex due: the full path signs a new version for the DNSKEY signature due (%llu new)",
	   (unsigned long long)sf.sigs_new);
	ok(rp == TLD_OK && !sp.unchanged && sp.serial == sf.serial && same_file(patched, full),
	   "apex due: so does the patch, the same file (%s, unchanged %d)", tld_strerror(rp), sp.unchanged);
	clock_now = t + 86400;
	free(text);
}

/*
 * An empty non-terminal of the apex's own names (y.nic.test. above
 * x.y.nic.test.) goes and comes back: versions 1 (with it, in full), 2
 * (without) and 3 (with it again) each as a patch of the one before and in
 * full.  The patch's side file of version 2 kept the signature of the
 * non-terminal's NSEC3 record, and version 3 took it up again where the
 * full path signs anew.
 */
static void test_ent_back(void)
{
	struct tld_policy pol = pz_policy(true);
	struct pz_zone z;
	pz_init(&z, 10, 8);
	char *text[3] = { NULL, NULL, NULL };
	size_t len[3];
	for (int v = 0; v < 3; v++) {
		z.nic_deep = v == 1 ? 0 : 7;
		pz_text(&z, &text[v], &len[v]);
	}
	static char fz[3][512], pzf[3][512];
	for (int v = 0; v < 3; v++) {
		char name[64];
		snprintf(name, sizeof(name), "ent-full-%d.zone", v);
		snprintf(fz[v], sizeof(fz[v]), "%s", tmp_path(name));
		snprintf(name, sizeof(name), "ent-patch-%d.zone", v);
		snprintf(pzf[v], sizeof(pzf[v]), "%s", tmp_path(name));
	}
	struct signer_sign_stats sf, sp;
	tld_time_t t = clock_now;
	bool good = sign_full(&pol, text[0], len[0], NULL, fz[0], t, &sf) == TLD_OK &&
	            sign_full(&pol, text[0], len[0], NULL, pzf[0], t, &sp) == TLD_OK;
	for (int v = 1; v < 3; v++) {
		t += 3600;
		int rf = sign_full(&pol, text[v], len[v], fz[v - 1], fz[v], t, &sf);
		int rp = sign_patch(&pol, text[v - 1], len[v - 1], text[v], len[v], pzf[v - 1], pzf[v], t, 100000, &sp);
		ok(good && rf == TLD_OK && rp == TLD_OK && same_file(fz[v], pzf[v]),
		   "an empty non-terminal %s: the patch is the full path's version (%s)", v == 1 ? "gone" : "back",
		   tld_strerror(rp));
	}
	clock_now = t + 86400;
	for (int v = 0; v < 3; v++) {
		free(text[v]);
	}
}

/*
 * Changes bunched in one stretch of the canonical order (the labels of one
 * first letter: every 26th slot), at a zone's end far from them, or
 * everywhere: the splice's searches take their first step from the average
 * distance between the blocks they look for, so a bunch after a long gap,
 * a gap after a bunch and no gap at all must each find the places the full
 * path's order gives.  One version each, patched and signed in full from the
 * same previous version, compared whole.
 */
static void test_bunched(void)
{
	static const struct {
		unsigned op, first, count, stride, end; /* end: a PZ_ZONE_END param, or 0 for none */
		const char *what;
	} pat[] = {
		{ PZ_NS_CHANGE, 8, 23, 26, 1 | 2 | 4, "NS changed on one letter's names, a DS at the zone's last name" },
		{ PZ_REMOVE, 9, 15, 26, 0 | 0, "one letter's names removed, the first name removed" },
		{ PZ_ADD, 10, 12, 26, 1, "names added in one stretch, the last name added or removed" },
		{ PZ_DS, 11, 20, 26, 0 | 2 | 4, "DS records in one stretch and at the zone's first name" },
		{ PZ_NS_CHANGE, 0, 600, 1, 0, "every delegation's NS changed" },
		{ PZ_REMOVE, 0, 300, 2, 1 | 2, "every other delegation removed" },
		{ PZ_NS_CHANGE, 599, 1, 1, 0, "one change only" },
	};
	struct tld_policy pol = pz_policy(true);
	struct signer_nsec3_params n3p = { .algorithm = SIGNER_NSEC3_SHA1, .opt_out = true };
	for (size_t i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		struct pz_zone z;
		pz_init(&z, 600, 31 + (unsigned)i);
		char *a = NULL, *b = NULL;
		size_t alen = 0, blen = 0;
		pz_text(&z, &a, &alen);
		for (unsigned k = 0; k < pat[i].count; k++) {
			pz_mutate(&z, pat[i].op, pat[i].first + k * pat[i].stride, 2 * k + 1, &n3p);
		}
		if (pat[i].end != 0 || pat[i].op == PZ_REMOVE) {
			pz_mutate(&z, PZ_ZONE_END, 0, pat[i].end, &n3p);
		}
		pz_text(&z, &b, &blen);
		static char base[512], full[512], patched[512];
		snprintf(base, sizeof(base), "%s", tmp_path("bunch-base.zone"));
		snprintf(full, sizeof(full), "%s", tmp_path("bunch-full.zone"));
		snprintf(patched, sizeof(patched), "%s", tmp_path("bunch-patch.zone"));
		unlink(full);
		unlink(patched);
		struct signer_sign_stats sb, sf, sp;
		int rb = sign_full(&pol, a, alen, NULL, base, clock_now, &sb);
		clock_now += 60;
		int rf = sign_full(&pol, b, blen, base, full, clock_now, &sf);
		int rp = sign_patch(&pol, a, alen, b, blen, base, patched, clock_now, 100000, &sp);
		if (rp == TLD_EAGAIN) {
			show_reason(&pol, a, alen, b, blen, base, clock_now);
		}
		clock_now += 60;
		ok(rb == TLD_OK && rf == TLD_OK && rp == TLD_OK && sf.serial == sp.serial && same_file(full, patched),
		   "bunched changes: %s: patched as signed in full (%s)", pat[i].what, tld_strerror(rp));
		free(a);
		free(b);
	}
}

/* ---- 2. the preconditions ---- */

struct pre {
	struct tld_policy pol;
	char *a, *b;               /* the text version 1 was signed from, and one changed */
	size_t alen, blen;
	char base[512];            /* version 1 */
	char out[512];
	uint32_t serial;           /* version 1's */
};

static void pre_setup(struct pre *p)
{
	p->pol = pz_policy(true);
	struct pz_zone z;
	pz_init(&z, 24, 99);
	pz_text(&z, &p->a, &p->alen);
	pz_mutate(&z, PZ_NS_CHANGE, 5, 1, NULL);
	pz_mutate(&z, PZ_DS, 9, 0, NULL);
	pz_text(&z, &p->b, &p->blen);
	snprintf(p->base, sizeof(p->base), "%s", tmp_path("pre-base.zone"));
	snprintf(p->out, sizeof(p->out), "%s", tmp_path("pre-out.zone"));
	struct signer_sign_stats st;
	ok(sign_full(&p->pol, p->a, p->alen, NULL, p->base, clock_now, &st) == TLD_OK, "preconditions: version 1 signed");
	p->serial = st.serial;
}

/* The sentinel in the output and its side file before a patch that must not write. */
static void arm(const struct pre *p)
{
	pz_put_file(p->out, SENTINEL, strlen(SENTINEL));
	pz_put_file(pz_side_of(p->out), SENTINEL, strlen(SENTINEL));
}

static bool untouched(const struct pre *p)
{
	return file_is(p->out, SENTINEL) && file_is(pz_side_of(p->out), SENTINEL);
}

/* A patch of version 1 (at base, previous) with these inputs: TLD_EAGAIN and nothing written. */
static void expect_eagain(const struct pre *p, const struct tld_policy *pol, const char *previous, const char *old,
                          size_t old_len, const char *text, size_t len, tld_time_t now, size_t max_changes,
                          const char *what)
{
	arm(p);
	struct signer_sign_stats st;
	int ret = sign_patch(pol, old, old_len, text, len, previous, p->out, now, max_changes, &st);
	ok(ret == TLD_EAGAIN && untouched(p), "precondition: %s: TLD_EAGAIN (%s), nothing written", what,
	   tld_strerror(ret));
}

/*
 * A patch of a spoilt previous version: TLD_EAGAIN with nothing written, or
 * (a spoilt byte the patch's checks do not look at, as the full path's do
 * not) the very file the full path writes from the same previous version.
 */
static void expect_text_as_full(const struct pre *p, const char *previous, const char *text, size_t len,
                                tld_time_t now, const char *what)
{
	arm(p);
	struct signer_sign_stats st, sf;
	int ret = sign_patch(&p->pol, p->a, p->alen, text, len, previous, p->out, now, 100000, &st);
	if (ret == TLD_EAGAIN) {
		ok(untouched(p), "precondition: %s: TLD_EAGAIN, nothing written", what);
		return;
	}
	static char full[512];
	snprintf(full, sizeof(full), "%s", tmp_path("pre-full.zone"));
	unlink(full);
	int rf = sign_full(&p->pol, text, len, previous, full, now, &sf);
	if (ret != TLD_OK) { /* refused: only where the full path refuses too */
		ok(rf != TLD_OK && untouched(p), "precondition: %s: refused (%s) as by the full path (%s), nothing written",
		   what, tld_strerror(ret), tld_strerror(rf));
		return;
	}
	ok(rf == TLD_OK && same_file(p->out, full),
	   "precondition: %s: patched (%s) as the full path signs from the same previous version", what,
	   tld_strerror(ret));
}

static void expect_eagain_or_full(const struct pre *p, const char *previous, tld_time_t now, const char *what)
{
	expect_text_as_full(p, previous, p->b, p->blen, now, what);
}

static char *replace_text(const char *text, const char *from, const char *to, size_t *len);

/*
 * New texts not in the form zonegen writes, made from the changed one:
 * the patch falls back, or signs what the full path signs, or refuses where
 * the full path refuses -- never a zone of its own.
 */
static void test_odd_texts(const struct pre *p, tld_time_t t)
{
	static const struct {
		const char *from, *to, *what;
	} odd[] = {
		{ "\tIN\tNS\tns1.provider", "\tIN\tNS\tNS1.PROVIDER", "an NS target in upper case" },
		{ ".test.\t172800\tIN\tNS\tns2.", ".TEST.\t172800\tIN\tNS\tns2.", "an owner in upper case" },
		{ "\t172800\tIN\tNS\tns2.", " 172800 IN NS ns2.", "spaces for tabs" },
		{ "\t172800\tIN\tNS\tns2.", "\t172800\tCH\tNS\tns2.", "class CH" },
		{ "\t172800\tIN\tNS\tns2.", "\t4294967295\tIN\tNS\tns2.", "a TTL beyond 2^31-1" },
		{ "\t86400\tIN\tDS\t", "\t86400\tIN\tDS\t99999999 ", "a DS key tag out of range" },
		{ ".test.\t172800\tIN\tNS\tns2.", ".test.\t172800\tIN\tNS\tns2.\n; a comment\nx", "a comment line" },
		{ "\n", "\r\n", "a CR before a line's end" },
		{ "test.\t172800\tIN\tNS\tns1.nic.test.\n", "test.\t172800\tIN\tNS\tns1.nic.test.\n$TTL 60\n",
		  "a $TTL directive" },
		{ ".test.\t172800\tIN\tNS\tns1.", ".example.\t172800\tIN\tNS\tns1.", "an owner outside the zone" },
		{ "\tIN\tA\t10.", "\tIN\tRRSIG\tA 15 3 172800 20260101000000 20250101000000 1 test. AAAA\n"
		  "ns9.x.test.\t1\tIN\tA\t10.", "an RRSIG in the unsigned text" },
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		size_t n = 0;
		char *x = replace_text(p->b, odd[i].from, odd[i].to, &n);
		if (x == NULL) {
			ok(false, "odd text: %s: no place for it", odd[i].what);
			continue;
		}
		expect_text_as_full(p, p->base, x, n, t, odd[i].what);
		free(x);
	}
	/* the first two owners' lines after the apex's swapped: out of canonical order */
	{
		const char *g1 = strstr(p->b, "ns2.nic.test.\n") + strlen("ns2.nic.test.\n");
		const char *e1 = g1, *e2;
		size_t ol = strcspn(g1, "\t");
		while (strncmp(e1, g1, ol) == 0 && e1[ol] == '\t') {
			e1 += strcspn(e1, "\n") + 1;
		}
		ol = strcspn(e1, "\t");
		for (e2 = e1; strncmp(e2, e1, ol) == 0 && e2[ol] == '\t';) {
			e2 += strcspn(e2, "\n") + 1;
		}
		char *x = malloc(p->blen + 1);
		size_t pre = (size_t)(g1 - p->b), l1 = (size_t)(e1 - g1), l2 = (size_t)(e2 - e1);
		memcpy(x, p->b, p->blen);
		memcpy(x + pre, e1, l2);
		memcpy(x + pre + l2, g1, l1);
		expect_text_as_full(p, p->base, x, p->blen, t, "the first two owners out of canonical order");
		free(x);
	}
	expect_text_as_full(p, p->base, "", 0, t, "an empty text");
	expect_text_as_full(p, p->base, p->b, p->blen - 1, t, "the last line without its newline");
	expect_text_as_full(p, p->base, p->b, p->blen / 2, t, "the text cut in the middle of a line");
}

static void copy_file(const char *from, const char *to)
{
	size_t len = 0;
	char *x = tap_read_file(from, &len);
	if (x != NULL) {
		pz_put_file(to, x, len);
	}
	free(x);
}

/* version 1 copied to name (zone and side file): a previous version to spoil */
static const char *copy_base(const struct pre *p, const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s", tmp_path(name));
	copy_file(p->base, path);
	copy_file(pz_side_of(p->base), pz_side_of(path));
	return path;
}

static void flip_byte(const char *path, long at)
{
	FILE *f = fopen(path, "r+b");
	if (f == NULL) {
		return;
	}
	fseek(f, at < 0 ? 0 : at, at < 0 ? SEEK_END : SEEK_SET);
	if (at < 0) {
		fseek(f, at, SEEK_END);
	}
	int c = fgetc(f);
	fseek(f, -1, SEEK_CUR);
	fputc(c == 'A' ? 'B' : 'A', f);
	fclose(f);
}

/* The offset of the n-th occurrence of needle in the file, or -1. */
static long find_in_file(const char *path, const char *needle, int nth)
{
	size_t len = 0;
	char *x = tap_read_file(path, &len);
	long at = -1;
	for (const char *q = x; x != NULL && (q = strstr(q, needle)) != NULL; q++) {
		if (nth-- == 0) {
			at = (long)(q - x);
			break;
		}
	}
	free(x);
	return at;
}

static char *replace_text(const char *text, const char *from, const char *to, size_t *len)
{
	const char *at = strstr(text, from);
	if (at == NULL) {
		return NULL;
	}
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	size_t pre = (size_t)(at - text);
	memcpy(out, text, pre);
	memcpy(out + pre, to, strlen(to));
	strcpy(out + pre + strlen(to), at + strlen(from));
	*len = n;
	return out;
}

/* The owner's canonical sort key of the line at p. */
static size_t line_key(const char *p, uint8_t *key)
{
	uint8_t wire[SIGNER_DNAME_MAX];
	size_t n = strcspn(p, "\t");
	return signer_zparse_name(p, n, NULL, wire) == 0 ? 0 : signer_dname_key(wire, key);
}

/* text with line inserted after the lines whose owner sorts at or before its own (caller frees). */
static char *insert_line(const char *text, size_t len, const char *line, size_t *out_len)
{
	uint8_t k[SIGNER_KEY_MAX], kl[SIGNER_KEY_MAX];
	size_t lk = line_key(line, kl), at = 0;
	while (at < len) {
		size_t ll = line_key(text + at, k);
		if (signer_key_cmp(k, ll, kl, lk) > 0) {
			break;
		}
		at += strcspn(text + at, "\n") + 1;
	}
	size_t n = len + strlen(line);
	char *x = malloc(n + 1);
	memcpy(x, text, at);
	memcpy(x + at, line, strlen(line));
	memcpy(x + at + strlen(line), text + at, len - at);
	x[n] = '\0';
	*out_len = n;
	return x;
}

static void test_preconditions(void)
{
	struct pre p;
	pre_setup(&p);
	struct signer_sign_stats st;
	tld_time_t t = clock_now + 3600;

	/* the patch goes through with these inputs (the cases below each spoil one) */
	unlink(p.out);
	unlink(pz_side_of(p.out));
	int ret = sign_patch(&p.pol, p.a, p.alen, p.b, p.blen, p.base, p.out, t, 100000, &st);
	ok(ret == TLD_OK && access(p.out, F_OK) == 0, "precondition: the unspoilt patch goes through (%s)",
	   tld_strerror(ret));

	/* nothing changed: unchanged with the previous serial, nothing written */
	arm(&p);
	ret = sign_patch(&p.pol, p.a, p.alen, p.a, p.alen, p.base, p.out, t, 100000, &st);
	ok(ret == TLD_OK && st.unchanged && st.serial == p.serial && untouched(&p),
	   "precondition: nothing changed: unchanged, serial %u (the previous %u), nothing written", st.serial,
	   p.serial);

	/* the old text is not the one version 1 was signed from */
	{
		size_t l1 = 0, l2 = 0;
		char *other = replace_text(p.a, "ns2.nic.test.\n", "ns3.nic.test.\n", &l1);
		ok(other != NULL, "precondition: an old text of other bytes made");
		if (other != NULL) {
			expect_eagain(&p, &p.pol, p.base, other, l1, p.b, p.blen, t, 100000,
			              "the old text has the apex NS other than version 1's");
		}
		free(other);
		/* a delegation in the old text that version 1 does not have, gone in the new */
		struct pz_zone z;
		pz_init(&z, 24, 99);
		size_t i = 0;
		while (i < z.n && z.d[i].present) {
			i++;
		}
		z.d[i].present = true;
		z.d[i].ds[0] = 3;
		char *old2 = NULL;
		pz_text(&z, &old2, &l2);
		expect_eagain(&p, &p.pol, p.base, old2, l2, p.a, p.alen, t, 100000,
		              "the old text has a secure delegation version 1 has not");
		free(old2);
	}

	/* the side file */
	const char *prev = copy_base(&p, "pre-noside.zone");
	unlink(pz_side_of(prev));
	expect_eagain(&p, &p.pol, prev, p.a, p.alen, p.b, p.blen, t, 100000, "side file missing");
	prev = copy_base(&p, "pre-v4.zone");
	ok(signer_sigfile_make_older(pz_side_of(prev), 4), "precondition: side file made version 4");
	expect_eagain(&p, &p.pol, prev, p.a, p.alen, p.b, p.blen, t, 100000, "side file of version 4");
	prev = copy_base(&p, "pre-damaged.zone");
	flip_byte(pz_side_of(prev), 20);
	expect_eagain(&p, &p.pol, prev, p.a, p.alen, p.b, p.blen, t, 100000, "side file damaged (header)");
	prev = copy_base(&p, "pre-damaged2.zone");
	flip_byte(pz_side_of(prev), -40);
	expect_eagain_or_full(&p, prev, t, "side file damaged (its end)");
	prev = copy_base(&p, "pre-short.zone");
	{
		struct stat sb;
		if (stat(pz_side_of(prev), &sb) == 0 && truncate(pz_side_of(prev), sb.st_size / 2) != 0) {
			diag("truncate failed");
		}
	}
	expect_eagain(&p, &p.pol, prev, p.a, p.alen, p.b, p.blen, t, 100000, "side file truncated");
	{ /* the side file of another zone (tset.: its own keys) beside version 1 */
		char *zone = tok.cfg.zone;
		tok.cfg.zone = (char *)"tset.";
		struct tld_key_record k1, k2;
		size_t tl = 0;
		char *ta = replace_text(p.a, "", "", &tl);
		/* the model's text with the zone renamed: every "test." is "tset." */
		for (char *q = ta; (q = strstr(q, "test.")) != NULL; q += 5) {
			memcpy(q, "tset.", 5);
		}
		int kr = tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 15, 0, &k1) == TLD_OK &&
		         tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 15, 0, &k2) == TLD_OK;
		const char *other = copy_base(&p, "pre-otherzone.zone");
		static char tz[512];
		snprintf(tz, sizeof(tz), "%s", tmp_path("pre-tset.zone"));
		int r2 = sign_full(&p.pol, ta, tl, NULL, tz, clock_now, &st);
		tok.cfg.zone = zone;
		ok(kr && r2 == TLD_OK, "precondition: a zone tset. signed");
		copy_file(pz_side_of(tz), pz_side_of(other));
		expect_eagain(&p, &p.pol, other, p.a, p.alen, p.b, p.blen, t, 100000, "side file of another zone");
		free(ta);
	}

	/* the previous zone file */
	prev = copy_base(&p, "pre-trunc.zone");
	{
		struct stat sb;
		if (stat(prev, &sb) == 0 && truncate(prev, sb.st_size - 1) != 0) {
			diag("truncate failed");
		}
	}
	expect_eagain(&p, &p.pol, prev, p.a, p.alen, p.b, p.blen, t, 100000, "previous zone file one byte short");
	prev = copy_base(&p, "pre-serial-edit.zone");
	flip_byte(prev, find_in_file(prev, " 1800 900 ", 0) - 1); /* the SOA serial's last digit */
	expect_eagain(&p, &p.pol, prev, p.a, p.alen, p.b, p.blen, t, 100000, "the previous SOA serial edited");
	static const struct {
		const char *needle;
		int nth;
		int skip;
		const char *what;
	} edits[] = {
		{ "\n", 30, 1, "the first byte of an owner edited" },
		{ "\tRRSIG\tNS ", 0, 60, "a byte of the apex's NS signature edited" },
		{ "\tNSEC3\t", 3, 12, "a byte of an NSEC3 record edited" },
		{ "\tRRSIG\tDS ", 0, 70, "a byte of a DS signature edited" },
		{ "\tDNSKEY\t", 0, 12, "a byte of a DNSKEY edited" },
		{ "\tRRSIG\tSOA ", 0, 70, "a byte of the SOA's signature edited" },
		{ "\tRRSIG\tNSEC3 ", 5, 70, "a byte of an NSEC3 signature edited" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		prev = copy_base(&p, "pre-edit.zone");
		long at = find_in_file(prev, edits[i].needle, edits[i].nth);
		if (at < 0) {
			ok(false, "precondition: %s: not found", edits[i].what);
			continue;
		}
		flip_byte(prev, at + edits[i].skip);
		expect_eagain_or_full(&p, prev, t, edits[i].what);
	}

	test_odd_texts(&p, t);

	/* the policy */
	struct tld_policy q = p.pol;
	q.signatures.jitter += 1;
	expect_eagain(&p, &q, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "policy: the jitter changed");
	q = p.pol;
	q.denial.salt_len = 4;
	memcpy(q.denial.salt, "\xaa\xbb\xcc\xdd", 4);
	expect_eagain(&p, &q, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "policy: an NSEC3 salt");
	q = p.pol;
	q.denial.opt_out = false;
	expect_eagain(&p, &q, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "policy: opt-out off");
	q = p.pol;
	q.denial.type = TLD_DENIAL_NSEC;
	q.denial.opt_out = false;
	expect_eagain(&p, &q, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "policy: NSEC instead of NSEC3");
	q = p.pol;
	q.signatures.validity += 86400;
	expect_eagain(&p, &q, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "policy: the validity changed");
	q = p.pol;
	q.ttl.dnskey += 1;
	expect_eagain(&p, &q, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "policy: the DNSKEY TTL changed");

	/* the apex's records */
	{
		size_t l = 0;
		char *x = replace_text(p.b, "0 1800 900", "0 1801 900", &l);
		expect_eagain(&p, &p.pol, p.base, p.a, p.alen, x, l, t, 100000, "the apex's SOA changed");
		free(x);
		x = replace_text(p.b, "test.\t172800\tIN\tNS\tns2.nic.test.\n",
		                 "test.\t172800\tIN\tNS\tns2.nic.test.\ntest.\t172800\tIN\tNS\tns3.nic.test.\n", &l);
		expect_eagain(&p, &p.pol, p.base, p.a, p.alen, x, l, t, 100000, "an apex NS added");
		free(x);
		x = replace_text(p.b, "test.\t172800\tIN\tNS\tns2.nic.test.\n",
		                 "test.\t172800\tIN\tNS\tns2.nic.test.\ntest.\t3600\tIN\tTXT\t\"x\"\n", &l);
		expect_eagain(&p, &p.pol, p.base, p.a, p.alen, x, l, t, 100000, "an apex TXT added");
		free(x);
	}

	/* too many changes (max_changes: as many as changed goes through, one fewer not); the clock */
	{
		struct signer_owner_change *ch = NULL;
		size_t nch = 0;
		const char *why = NULL;
		int rd = signer_text_diff(p.a, p.alen, p.b, p.blen, SIZE_MAX, &ch, &nch, &why);
		ok(rd == TLD_OK && nch >= 2, "precondition: %zu owners changed", nch);
		free(ch);
		unlink(p.out);
		unlink(pz_side_of(p.out));
		ret = sign_patch(&p.pol, p.a, p.alen, p.b, p.blen, p.base, p.out, t, nch, &st);
		ok(ret == TLD_OK, "precondition: max_changes %zu, as many as changed: patched (%s)", nch, tld_strerror(ret));
		expect_eagain(&p, &p.pol, p.base, p.a, p.alen, p.b, p.blen, t, nch - 1, "one owner more than max_changes");
	}
	expect_eagain(&p, &p.pol, p.base, p.a, p.alen, p.b, p.blen, clock_now - 1, 100000,
	              "the clock a second before version 1's");
	/* a name one label below the apex stops being a delegation (its NS records a TXT record) */
	{
		const char *ns = strstr(p.b, "\tIN\tNS\tns1.provider");
		const char *line = ns;
		while (line != NULL && line > p.b && line[-1] != '\n') {
			line--;
		}
		size_t olen = ns != NULL ? strcspn(line, "\t") : 0; /* the owner */
		char owner[128];
		snprintf(owner, sizeof(owner), "%.*s", (int)olen, line != NULL ? line : "");
		char *x = malloc(p.blen + 128);
		size_t n = 0, at = 0;
		bool put = false;
		while (ns != NULL && at < p.blen) { /* the owner's NS lines out, a TXT line in their place */
			size_t ll = strcspn(p.b + at, "\n") + 1;
			bool its = strncmp(p.b + at, owner, olen) == 0 && p.b[at + olen] == '\t' &&
			           strncmp(p.b + at + olen, "\t172800\tIN\tNS\t", 14) == 0;
			if (its && !put) {
				n += (size_t)sprintf(x + n, "%s\t3600\tIN\tTXT\t\"no more\"\n", owner);
				put = true;
			}
			if (!its) {
				memcpy(x + n, p.b + at, ll);
				n += ll;
			}
			at += ll;
		}
		ok(put, "precondition: %s's NS records made a TXT record", owner);
		if (put) {
			expect_eagain(&p, &p.pol, p.base, p.a, p.alen, x, n, t, 100000,
			              "a delegation stops being one");
		}
		free(x);
	}

	/* a DNAME, a wildcard among the changed names */
	{
		static const struct {
			const char *line;
			const char *what;
		} odd[] = {
			{ "dn.test.\t3600\tIN\tDNAME\tother.example.\n", "a DNAME added" },
			{ "*.test.\t3600\tIN\tTXT\t\"w\"\n", "a wildcard added at the top" },
			{ "*.nic.test.\t3600\tIN\tA\t192.0.2.9\n", "a wildcard added among the apex's own names" },
			{ "a.b.test.\t3600\tIN\tTXT\t\"deep\"\n", "a deep name under no delegation" },
			{ "ns1.nic.test.\t3600\tIN\tNS\tns.example.\n", "a delegation among the apex's own names" },
		};
		for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			size_t n = 0;
			char *x = insert_line(p.b, p.blen, odd[i].line, &n);
			expect_eagain(&p, &p.pol, p.base, p.a, p.alen, x, n, t, 100000, odd[i].what);
			free(x);
		}
	}

	/* the keys: a key's role, then another ZSK */
	{
		ok(tld_statedb_exec(db, "UPDATE keys SET role = 'csk' WHERE role = 'ksk' AND zone = 'test.'") == TLD_OK,
		   "precondition: the KSK made a CSK");
		expect_eagain_or_full(&p, p.base, t, "a key's role (the KSK a CSK)");
		ok(tld_statedb_exec(db, "UPDATE keys SET role = 'ksk' WHERE role = 'csk' AND zone = 'test.'") == TLD_OK,
		   "precondition: the KSK back");
		unlink(p.out);
		unlink(pz_side_of(p.out));
		ret = sign_patch(&p.pol, p.a, p.alen, p.b, p.blen, p.base, p.out, t, 100000, &st);
		ok(ret == TLD_OK, "precondition: with the KSK back the patch goes through again (%s)", tld_strerror(ret));
		struct tld_key_record k;
		ok(tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 15, 0, &k) == TLD_OK, "precondition: another ZSK made");
		expect_eagain(&p, &p.pol, p.base, p.a, p.alen, p.b, p.blen, t, 100000, "the keys: another ZSK");
	}
	free(p.a);
	free(p.b);
}

int main(void)
{
	plan_lazy();
	if (getenv("PATCH_VERBOSE") != NULL) {
		tld_log_init(TLD_LOG_DEBUG, false);
	}
	tmpdir_make("test_signer_patch");
	test_token_make(&tok, "patch");
	snprintf(full_in, sizeof(full_in), "%s", tmp_path("full-in.zone"));
	struct tld_key_record ksk, zsk;
	if (tld_statedb_open(tok.dir, &db) != TLD_OK || tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 15, 0, &ksk) != TLD_OK ||
	    tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 15, 0, &zsk) != TLD_OK) {
		skip_all("no Ed25519 keys in this token");
	}
	signer.cfg = &tok.cfg;
	signer.db = db;
	int steps = getenv("PATCH_STEPS") != NULL ? atoi(getenv("PATCH_STEPS")) : 60;
	differential(true, 1, steps);
	setenv("TLDSIGN_SIGN_PATCH_PLAN", "here", 1); /* the splice plan made at the join, not beside the signing */
	setenv("TLDSIGN_SIGN_PATCH_HASH", "half", 1);  /* the digest handed on in part: its first half's stream */
	setenv("TLDSIGN_SIGN_PATCH_AHEAD", "0", 1);    /* no group parsed ahead: every one parsed at the zone's making */
	differential(false, 2, steps);
	unsetenv("TLDSIGN_SIGN_PATCH_AHEAD");
	unsetenv("TLDSIGN_SIGN_PATCH_HASH");
	unsetenv("TLDSIGN_SIGN_PATCH_PLAN");
	setenv("TLDSIGN_SIGN_PATCH_HASH", "whole", 1); /* the writer's whole digest handed on */
	setenv("TLDSIGN_SIGN_PATCH_WRITE_BUFFER", "97", 1); /* the text's halves: most pieces written as they are */
	differential(true, 3, steps);
	unsetenv("TLDSIGN_SIGN_PATCH_WRITE_BUFFER");
	unsetenv("TLDSIGN_SIGN_PATCH_HASH");
	/* PATCH_SEEDS=N: more chains, seeds 4 to N, opt-out on even seeds, salted on multiples of 3 (longer runs by hand) */
	int seeds = getenv("PATCH_SEEDS") != NULL ? atoi(getenv("PATCH_SEEDS")) : 0;
	for (int seed = 4; seed <= seeds; seed++) {
		differential(seed % 2 == 0, (unsigned)seed, steps);
	}
	test_apex_due();
	test_ent_back();
	test_bunched();
	test_preconditions();
	ok(digests_bad == 0 && digests_whole > 0 && digests_partial > 0,
	   "every patch handed on its file's digest: %d whole, %d in part", digests_whole, digests_partial);
	tld_statedb_close(db);
	test_token_remove(&tok);
	tmpdir_remove();
	return exit_status();
}
