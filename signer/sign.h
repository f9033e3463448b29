/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signing a zone file end to end: the entry point `tldsign sign` and
 * `tldsign run` call.  (Contract between signer/ and the callers; the signer
 * implements it.)
 *
 * Reads the unsigned zone, takes the zone's keys from the key store
 * (hsm/keydb.h) and what each key does from the key plan (policy/keyplan.h:
 * tld_keyplan_now(); until a key is under the state machine the interim rule
 * of signer_select_keys() applies), adds the DNSKEY (and CDS/CDNSKEY) RRsets,
 * builds the denial chain the policy names, signs through the HSM sign pool,
 * reusing every signature of the previous signed version (its binary side
 * file) whose RRset is unchanged, whose key still signs and whose expiration
 * lies beyond the refresh window, and writes the signed zone atomically (plus
 * its side file).  The SOA serial follows the policy scheme and always
 * increases over the previous version's serial (RFC 1982).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/textcheck.h"
#include "common/statedb.h"
#include "policy/policy.h"

struct signer_zone;
struct tld_signpool_workers;

struct signer_sign_opts {
	const struct tld_config *cfg;      /*!< zone, hsm */
	const struct tld_policy *policy;   /*!< denial, signatures, serial, ttl */
	tld_statedb_t *db;                 /*!< key store and key states */
	const char *input;                 /*!< unsigned zone file (with zone: only its name in messages) */
	struct signer_zone *zone;          /*!< or the unsigned zone in memory instead of a file: made with
	                                        signer_zone_new()/signer_zone_add() (signer/zone.h), not built,
	                                        without RRSIG/NSEC/NSEC3/NSEC3PARAM/DNSKEY records (the
	                                        signer makes them); signer_sign_file() takes it over and
	                                        frees it, success or not.  Saves writing and parsing the text */
	const char *output;                /*!< signed zone file (written atomically) */
	const char *previous;              /*!< previous signed version, or NULL: for reuse and serial */
	tld_time_t now;
	unsigned workers;                  /*!< HSM workers; 0 = one per CPU */
	struct tld_signpool_workers *started; /*!< HSM workers started before (hsm/signpool.h), not taken
	                                        over; NULL: forked per batch */
	bool keep_serial_if_unchanged;     /*!< nothing changed: keep the previous serial, sign nothing */
};

struct signer_sign_stats {
	uint32_t serial;
	bool unchanged;                    /*!< input, keys and signatures all as in the previous version */
	uint64_t records_in;               /*!< records read */
	uint64_t rrsets_signed;            /*!< authoritative RRsets */
	uint64_t nsec_records;             /*!< NSEC or NSEC3 records */
	uint64_t sigs_new;
	uint64_t sigs_reused;
	tld_time_t earliest_expiration;
	double seconds_read, seconds_chain, seconds_sign, seconds_write;
	uint64_t hsm_signatures;           /*!< signatures the HSM pool made */
	double seconds_hsm;                /*!< wall time inside HSM batches: hsm_signatures / seconds_hsm is
	                                        the HSM rate, comparable with `tldsign hsm speed` */
	size_t hsm_batches;
	uint64_t text_copied;              /*!< bytes of the zone text copied from the previous version */
	uint64_t text_formatted;           /*!< bytes formatted anew (0 with both when the file was left alone) */
	uint64_t patch_groups_ahead;       /*!< patch run only: the changed owners' groups whose records were taken
	                                        from the parse ahead (signer/patch_zone.h) into the zone signed,
	                                        not parsed then; 0 for a full sign, with
	                                        TLDSIGN_SIGN_PATCH_AHEAD=0 and with no owner changed */
	struct tld_text_digest text_digest; /*!< the output's SHA-256 and check, made from the pieces it was
	                                        written from (whole, or partial), and its identity once in
	                                        place (patch run only; hex "" and no partial when not made):
	                                        tld_publish_opts.text_digest.  Owned by the caller:
	                                        tld_text_digest_release() */
};

/*!
 * \brief Signs opts->input into opts->output.
 * \param[out] stats  filled on success
 * \return TLD_OK; TLD_EPARSE / TLD_EZONE (bad input, logged with file:line);
 *         TLD_EKEY (no usable key set); TLD_EHSM / TLD_EPIN; TLD_EIO; TLD_ENOMEM
 */
int signer_sign_file(const struct signer_sign_opts *opts, struct signer_sign_stats *stats);
