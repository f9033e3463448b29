/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cron pipeline, `tldsign run` (DESIGN.md section 3):
 *
 *   load config -> lock STATE_DIR -> load policy, open the state store
 *   -> the HSM signing workers started (hsm.early-workers, hsm/signpool.h: forked
 *   while the process is small, before any thread of the run; they log in beside
 *   the export, are waited for before key management, end after the sign stage)
 *   -> export + build (in memory; the unsigned digest and STATE_DIR/unsigned.zone
 *   on a thread beside the run, run/unsigned.h) -> guards (vs run history)
 *   -> key management (tld_keyplan_now) -> sign (the zone handed over in
 *   memory -> STATE_DIR/signed.zone, reusing the published version's
 *   signatures) -> verify (the publish
 *   gate) -> publish (the commit point) -> NOTIFY + secondary serial check
 *   -> report (summary line, last-run.json, metrics.prom, history row).
 *
 * The publish is prepared on a thread of its own while the verifier runs
 * (tld_publish_prepare(): the version's files under temporary names, nothing
 * visible) and committed only when the verification passed; a refused
 * verification aborts the preparation and removes its temporaries.
 *
 * Every file the run writes is written atomically; the published version is
 * only replaced by tld_publish_zone_file()'s commit, so a run killed at any
 * instant leaves the last published version intact and the next run starts
 * from it.  A run that finds nothing changed publishes nothing and says so.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "common/clock.h"

/*! What one run is asked to do. */
struct tld_run_opts {
	const char *config_path;   /*!< tldsign.yaml */
	tld_time_t now;            /*!< the instant of the run (tld_now()) */
	const char *force_reason;  /*!< --force REASON: override tripped guards once; NULL = none */
	unsigned workers;          /*!< signing workers; 0 = one per CPU */
	bool full_verify;          /*!< --full-verify: verify from scratch even when verify.full-every allows the delta */
	FILE *summary;             /*!< where the one-line summary goes (stdout); NULL = nowhere */
};

/*!
 * \brief Runs the whole pipeline once.
 * \param[in] opts  the run
 * \return TLD_OK (published, or nothing to do); TLD_ELOCKED (another run
 *         holds the lock; nothing touched); TLD_ECONFIG; TLD_EEXPORT /
 *         TLD_EGUARD (input refused, nothing published); TLD_EHSM / TLD_EKEY /
 *         TLD_EPIN; TLD_EVERIFY (the signed zone failed verification, nothing
 *         published); TLD_ESECONDARY (published, not every secondary
 *         confirmed); TLD_EIO / TLD_ENOSPC / TLD_ESTATE / TLD_ENOMEM
 */
int tld_run_pipeline(const struct tld_run_opts *opts);

/*!
 * \brief SHA-256 (hex) over the apex the config defines: the NS names
 *        (lower case, sorted) and the SOA MNAME and RNAME.  The apex-change
 *        guard compares it with the last published version's.
 * \param[in]  ns        apex NS names
 * \param[in]  ns_count  number of names
 * \param[in]  mname     SOA MNAME
 * \param[in]  rname     SOA RNAME
 * \param[out] hex       65 bytes
 * \return TLD_OK, TLD_ENOMEM or TLD_ECRYPTO
 */
int tld_run_apex_digest(char *const *ns, size_t ns_count, const char *mname, const char *rname,
                        char hex[65]);
