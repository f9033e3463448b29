/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the patch run's differential tests (header-only, static): the policy
 * they sign under (Ed25519: deterministic signatures; signatures for 14 days
 * refreshed a week before they expire, so that a clock moved on makes some
 * due) and one version signed both ways -- signer_sign_file() from a file of
 * the text and signer_patch_file() from the texts in memory
 * (tests/unit/test_signer_patch.c, tests/fuzz/fuzz_patch.c).
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "signer/patch.h"
#include "signer/sigfile.h"
#include "signer/sign.h"
#include "tests/unit/signer_test_policy.h"

static inline struct tld_policy pz_policy(bool opt_out)
{
	struct tld_policy p = make_policy(TLD_DENIAL_NSEC3, opt_out);
	p.algorithm = TLD_ALG_ED25519;
	p.signatures.validity = 14 * 86400;
	p.signatures.dnskey_validity = 21 * 86400;
	p.signatures.refresh = 7 * 86400;
	p.signatures.jitter = 43200;
	return p;
}

/*! The side file of a zone file (one of four buffers used in turn). */
static inline const char *pz_side_of(const char *zone)
{
	static char buf[4][600];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", zone, SIGNER_SIGFILE_SUFFIX);
	return buf[i];
}

/*! \return false when the file cannot be written */
static inline bool pz_put_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	bool good = f != NULL && fwrite(text, 1, len, f) == len;
	return f != NULL && fclose(f) == 0 && good;
}

/* What both ways of signing share. */
struct pz_signer {
	const struct tld_config *cfg;
	tld_statedb_t *db;
	const char *in;            /*!< the file the full path signs from (written here) */
	unsigned workers;
};

/*! signer_sign_file() of text (previous: NULL or the previous version), as `tldsign run` calls it. */
static inline int pz_sign_full(const struct pz_signer *s, const struct tld_policy *pol, const char *text, size_t len,
                               const char *previous, const char *out, tld_time_t now, struct signer_sign_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!pz_put_file(s->in, text, len)) {
		return TLD_EIO;
	}
	struct signer_sign_opts o = {
		.cfg = s->cfg, .policy = pol, .db = s->db, .input = s->in, .output = out, .previous = previous,
		.now = now, .workers = s->workers, .keep_serial_if_unchanged = true,
	};
	return signer_sign_file(&o, st);
}

/*! signer_patch_file() of text as a patch of previous, signed from old_text. */
static inline int pz_sign_patch(const struct pz_signer *s, const struct tld_policy *pol, const char *old_text,
                                size_t old_len, const char *text, size_t len, const char *previous, const char *out,
                                tld_time_t now, size_t max_changes, struct signer_sign_stats *st)
{
	struct signer_patch_opts o = {
		.cfg = s->cfg, .policy = pol, .db = s->db, .output = out, .previous = previous, .old_text = old_text,
		.old_len = old_len, .new_text = text, .new_len = len, .source = "patch-in.zone", .now = now,
		.workers = s->workers, .max_changes = max_changes,
	};
	memset(st, 0, sizeof(*st));
	return signer_patch_file(&o, st);
}
