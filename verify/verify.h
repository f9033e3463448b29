/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The independent verifier: the publish gate and `tldsign verify`.
 *
 * A code path separate from signer/: its own zone loading (ldns's parser) and
 * index, its own NSEC3 hashing and chain checks, and ldns for the
 * cryptographic checks.  It never calls into signer/.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "common/clock.h"

struct tld_verify_prev;

/*! What the verifier is asked to check. */
struct tld_verify_opts {
	tld_time_t now;            /*!< the instant for every time check (tld_now()) */
	int64_t refresh_window;    /*!< a signature expiring before now + this fails */
	const char *ds_file;       /*!< optional: DS records the parent publishes */
	unsigned threads;          /*!< worker threads; 0 = all online cores */
	/*!
	 * Optional verified-signature cache read before the checks (see
	 * verify/vcache.h).  A signature whose hash (DNSKEY RDATA, RRSIG RDATA,
	 * canonical RRset) is in it skips only the public-key operation; every
	 * other check runs in full.  Missing: nothing skipped.  Damaged,
	 * truncated or of another zone: ignored with a warning.
	 */
	const char *cache_in;
	/*!
	 * Optional: where to write the cache of this verification (every RRSIG
	 * that verified, from the cache or by the public-key operation), written
	 * atomically; may equal cache_in.  A failure to write it is a warning.
	 */
	const char *cache_out;
	/*!
	 * Optional delta verification (verify/vdelta.c, verify/vstate.h): the
	 * previously verified version of the zone file and its verification
	 * state.  Both given, the state intact and describing exactly the bytes
	 * of `previous`, the apex keys and NSEC3 parameters unchanged and both
	 * files one record a line in canonical order by subtree: only the
	 * changed subtrees (and the apex) are parsed and checked per name, the
	 * whole-zone checks run on the state's facts updated by the changes.
	 * The delta path only concludes "passes": anything else (a failure, a
	 * precondition not met) and the full path runs, so the verdict and
	 * report are the full path's.  Missing, damaged or of another file:
	 * the full path, with an info line saying why.
	 */
	const char *previous;
	const char *state_in;
	/*!
	 * Optional: where to write this version's verification state when it
	 * passes (either path), atomically; may equal state_in.  Not written
	 * when the verification fails or the zone does not qualify (not NSEC3,
	 * not one record a line in canonical order); a failure to write it is
	 * a warning.
	 */
	const char *state_out;
	/*!
	 * Optional: tld_verify_prev_start(previous, state_in) with these very
	 * paths, started ahead (borrowed; freed by the caller after the
	 * verification): the delta path takes its reading of them instead of
	 * reading them again.  Another path's, or NULL: read here.
	 */
	struct tld_verify_prev *prev_ahead;
};

/*! The previous version read ahead for a delta verification (verify/vprev.c). */
typedef struct tld_verify_prev tld_verify_prev_t;

/*!
 * \brief Starts reading, on a thread, what a delta verification needs of the
 *        previous version before the new file exists: the previous file
 *        mapped, its verification state read, the file's tag under the
 *        state's key.  The previous file must not be written in place until
 *        the verification (a replacement by rename, of it or of the state,
 *        at worst sends the verification the full way: verify/vprev.c).
 *        Nothing read is trusted before the verification checked it; one
 *        reading serves one verification.
 * \return the reading (tld_verify_prev_free() it), or NULL (a file missing,
 *         out of memory): the verification reads them itself
 */
tld_verify_prev_t *tld_verify_prev_start(const char *previous, const char *state_in);

/*! \brief Waits for the reading and frees it (NULL is fine). */
void tld_verify_prev_free(tld_verify_prev_t *p);

/*! Which path a verification took. */
enum tld_verify_mode {
	TLD_VERIFY_FULL = 0,       /*!< the whole file parsed and checked */
	TLD_VERIFY_DELTA = 1,      /*!< only the changes (opts.previous, opts.state_in) */
};

/*! One failed check (or warning): the record and the reason. */
struct tld_verify_issue {
	char *record;              /*!< the record in presentation format */
	char *reason;              /*!< why it fails */
	unsigned long line;        /*!< line in the zone file, 0 if not from the file */
};

/*! Result of a verification; produced by tld_verify_zone_file(). */
struct tld_verify_report {
	char *path;                         /*!< the zone file */
	struct tld_verify_issue *failures;  /*!< in zone (canonical) order */
	size_t n_failures;
	struct tld_verify_issue *warnings;
	size_t n_warnings;
	/* counts */
	size_t records;            /*!< resource records read */
	size_t names;              /*!< owner names holding data (not NSEC3 owners) */
	size_t empty_nonterminals;
	size_t rrsets_signed;      /*!< authoritative RRsets checked */
	size_t rrsigs_verified;    /*!< RRSIGs whose signature verified */
	size_t rrsigs_cached;      /*!< of those, verified by a cache hit (no public-key operation) */
	size_t delegations_secure;
	size_t delegations_insecure;
	size_t nsec3;              /*!< NSEC3 records in the chain */
	size_t nsec;               /*!< NSEC records in the chain */
	size_t dnskey_response_size; /*!< DNSKEY RRset + RRSIGs as an EDNS response, bytes */
	unsigned threads;          /*!< worker threads used */
	enum tld_verify_mode mode; /*!< the path that gave this report */
	size_t names_checked;      /*!< names whose per-name checks ran (delta: the changed subtrees' and the apex) */
	size_t subtrees_changed;   /*!< delta: changed top-level subtrees */
	const char *full_reason;   /*!< full path while a delta was asked: why (static text), else NULL */
};

/*!
 * \brief Loads a signed zone file and runs every check.
 * \param[in]  path  the signed zone file (origin taken from its SOA)
 * \param[in]  opts  what to check
 * \param[out] out   the report (caller frees with tld_verify_report_free());
 *                   written when the return is TLD_OK or TLD_EVERIFY
 * \return TLD_OK when every check passes, TLD_EVERIFY when one fails (the
 *         report lists them), TLD_EPARSE for an unparsable file (logged with
 *         file and line), TLD_EIO, TLD_ENOMEM
 */
int tld_verify_zone_file(const char *path, const struct tld_verify_opts *opts,
                         struct tld_verify_report **out);

/*!
 * \brief Prints each failure ("FILE:LINE: RECORD\n  -> REASON"), the
 *        warnings and a one-line summary with the counts.
 * \param[in] fp      where to print
 * \param[in] report  the report
 */
void tld_verify_report_print(FILE *fp, const struct tld_verify_report *report);

/*!
 * \brief Frees a report and everything it holds (NULL is fine).
 * \param[in] report  the report
 */
void tld_verify_report_free(struct tld_verify_report *report);
