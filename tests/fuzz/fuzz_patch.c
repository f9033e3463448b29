/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer, differential: signer_patch_file() against signer_sign_file()
 * (signer/patch.h), as tests/unit/test_signer_patch.c does, driven by the
 * input.  A small model zone (tests/unit/patch_zone_model.h) is signed in
 * full with Ed25519 keys (deterministic signatures); then the input's
 * commands mutate it and sign new versions, each twice: in full from the
 * full chain's previous version and as a patch of the patch chain's.  The
 * zone files must be equal byte for byte; the model's mutations stay within
 * the patch's preconditions, so a fall-back (TLD_EAGAIN) is a finding too,
 * and a fall-back that wrote its output even more so.  Anything else aborts.
 *
 * Input: byte 0: bit 0 opt-out, bit 1 an NSEC3 salt and iteration, the rest
 * the model's seed (6 to 21 delegations); then commands of 4 bytes: op, target, param, clock.  An op
 * of 0xf0 or more signs a version, the clock moved on by a minute, an hour,
 * three or eight days (clock % 4); else a mutation (pz_mutate(): op modulo
 * its kinds).  Mutations still pending at the end sign a last version.  At
 * most 4 versions and 24 mutations per input.
 *
 * SoftHSM is set up once (tests/unit/hsm_test_token.h: without it every
 * input is a no-op); the state store (keys, key states) is copied afresh for
 * every input, so that an input signs the same way whenever it runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "hsm/keys.h"
#include "tests/fuzz/fuzz_files.h"
#include "tests/unit/hsm_test_token.h"
#include "tests/unit/patch_sign_pair.h"
#include "tests/unit/patch_zone_model.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define MAX_VERSIONS 4
#define MAX_MUTATIONS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool no_hsm;

/* hsm_test_token.h's way out when SoftHSM is missing (tests/tap's in the unit tests). */
void skip_all(const char *reason, ...)
{
	if (!no_hsm) {
		fprintf(stderr, "fuzz_patch: %s: every input a no-op\n", reason);
	}
	no_hsm = true;
}

static struct test_token tok;
static char work[300], pristine[400];

static const char *path(const char *name)
{
	static char buf[4][400];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", work, name);
	return buf[i];
}

static bool copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = a != NULL ? fopen(to, "wb") : NULL;
	char buf[65536];
	size_t n;
	bool good = b != NULL;
	while (good && (n = fread(buf, 1, sizeof(buf), a)) > 0) {
		good = fwrite(buf, 1, n, b) == n;
	}
	if (a != NULL) {
		fclose(a);
	}
	if (b != NULL && fclose(b) != 0) {
		good = false;
	}
	return good;
}

/* The token with an Ed25519 KSK and ZSK, the state store that names them kept as pristine. */
static bool setup(void)
{
	static int done;
	if (done) {
		return !no_hsm;
	}
	done = 1;
	tld_log_init(TLD_LOG_ERROR, false);
	test_token_make(&tok, "fuzzpatch");
	if (no_hsm) {
		return false;
	}
	snprintf(work, sizeof(work), "%s/work", tok.dir);
	snprintf(pristine, sizeof(pristine), "%s/pristine.db", tok.dir);
	mkdir(work, 0700);
	tld_statedb_t *db = NULL;
	struct tld_key_record ksk, zsk;
	bool good = tld_statedb_open(work, &db) == TLD_OK &&
	            tld_key_generate(&tok.cfg, db, TLD_ROLE_KSK, 15, 0, &ksk) == TLD_OK &&
	            tld_key_generate(&tok.cfg, db, TLD_ROLE_ZSK, 15, 0, &zsk) == TLD_OK;
	tld_statedb_close(db);
	if (!good || !copy_file(path("state.db"), pristine)) {
		fprintf(stderr, "fuzz_patch: no Ed25519 keys in SoftHSM: every input a no-op\n");
		no_hsm = true;
	}
	return !no_hsm;
}

static int sign_full(tld_statedb_t *db, const struct tld_policy *pol, const char *text, size_t len,
                     const char *previous, const char *out, tld_time_t now, struct signer_sign_stats *st)
{
	static char in[400];
	snprintf(in, sizeof(in), "%s", path("in.zone"));
	struct pz_signer s = { .cfg = &tok.cfg, .db = db, .in = in, .workers = 1 };
	return pz_sign_full(&s, pol, text, len, previous, out, now, st);
}

static void finding(const char *what, const char *old_text, size_t old_len, const char *text, size_t len)
{
	fprintf(stderr, "fuzz_patch: %s\n--- old text\n%.*s--- new text\n%.*s", what, (int)old_len, old_text, (int)len,
	        text);
	abort();
}

/* Runs the input's versions; the chains' previous versions are d-full-0.zone and d-patch-0.zone. */
static void run(tld_statedb_t *db, const uint8_t *data, size_t size)
{
	bool opt_out = data[0] & 1;
	struct tld_policy pol = pz_policy(opt_out);
	struct signer_nsec3_params n3p = { .algorithm = SIGNER_NSEC3_SHA1, .opt_out = opt_out };
	if (data[0] & 2) { /* salted, one iteration */
		pol.denial.salt_len = n3p.salt_len = 2;
		memcpy(pol.denial.salt, "\xab\x01", 2);
		memcpy(n3p.salt, pol.denial.salt, 2);
		pol.denial.iterations = n3p.iterations = 1;
	}
	struct pz_zone z;
	pz_init(&z, 6 + (data[0] >> 2) % 16, data[0] >> 2);
	char *old_text = NULL, *text = NULL;
	size_t old_len = 0, len = 0;
	pz_text(&z, &old_text, &old_len);
	static char fp[500], pp[500];
	snprintf(fp, sizeof(fp), "%s", path("d-full-0.zone"));
	snprintf(pp, sizeof(pp), "%s", path("d-patch-0.zone"));
	tld_time_t now = NOW;
	struct signer_sign_stats sf, sp;
	if (sign_full(db, &pol, old_text, old_len, NULL, fp, now, &sf) != TLD_OK || !copy_file(fp, pp) ||
	    !copy_file(pz_side_of(fp), pz_side_of(pp))) {
		finding("version 1 not signed", old_text, old_len, old_text, old_len);
	}
	unsigned versions = 0, mutations = 0, pending = 0;
	for (size_t i = 1; versions < MAX_VERSIONS; i += 4) {
		bool at_end = i + 4 > size;
		const uint8_t *c = data + i;
		if (!at_end && c[0] < 0xf0) {
			if (mutations++ < MAX_MUTATIONS) {
				pz_mutate(&z, c[0], c[1], (unsigned)c[2] | (unsigned)c[3] << 8, &n3p);
				pending++;
			}
			continue;
		}
		if (at_end && pending == 0) {
			break;
		}
		static const tld_time_t steps[] = { 60, 3600, 3 * 86400, 8 * 86400 };
		now += steps[at_end ? 1 : c[3] % 4];
		pending = 0;
		versions++;
		pz_text(&z, &text, &len);
		static char fout[500], pout[500];
		snprintf(fout, sizeof(fout), "%s", path("d-full-n.zone"));
		snprintf(pout, sizeof(pout), "%s", path("d-patch-n.zone"));
		unlink(fout);
		unlink(pout);
		int rf = sign_full(db, &pol, text, len, fp, fout, now, &sf);
		struct pz_signer ps = { .cfg = &tok.cfg, .db = db, .workers = 1 };
		memset(&sp, 0, sizeof(sp));
		int rp = pz_sign_patch(&ps, &pol, old_text, old_len, text, len, pp, pout, now, 100000, &sp);
		tld_text_digest_release(&sp.text_digest); /* the harness compares files, not digests */
		if (rf != TLD_OK) {
			finding("the full path failed", old_text, old_len, text, len);
		}
		if (rp == TLD_EAGAIN) {
			finding(access(pout, F_OK) == 0 ? "the patch fell back and wrote its output"
			                                : "the patch fell back (the model stays within its preconditions)",
			        old_text, old_len, text, len);
		}
		if (rp != TLD_OK) {
			finding("the patch failed", old_text, old_len, text, len);
		}
		if (sf.unchanged || sp.unchanged) {
			if (sf.unchanged != sp.unchanged || sf.serial != sp.serial || access(pout, F_OK) == 0) {
				finding("unchanged for one path only, or the patch wrote an unchanged version", old_text,
				        old_len, text, len);
			}
			free(text);
			text = NULL;
			continue;
		}
		if (sf.serial != sp.serial || !fuzz_same_files(fout, pout)) {
			finding("the patch's zone file is not the full path's", old_text, old_len, text, len);
		}
		if (rename(fout, fp) != 0 || rename(pz_side_of(fout), pz_side_of(fp)) != 0 || rename(pout, pp) != 0 ||
		    rename(pz_side_of(pout), pz_side_of(pp)) != 0) {
			abort();
		}
		free(old_text);
		old_text = text;
		old_len = len;
		text = NULL;
	}
	free(text);
	free(old_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 + 4 * (MAX_VERSIONS + MAX_MUTATIONS) || !setup()) {
		return 0;
	}
	unlink(path("state.db-wal"));
	unlink(path("state.db-shm"));
	tld_statedb_t *db = NULL;
	if (!copy_file(pristine, path("state.db")) || tld_statedb_open(work, &db) != TLD_OK) {
		abort();
	}
	run(db, data, size);
	tld_statedb_close(db);
	return 0;
}
