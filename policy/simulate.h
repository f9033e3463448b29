/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `tldsign policy simulate`: runs the key state machine through simulated
 * time.  The parent is simulated too: a DS asked for appears (and `ds seen`
 * is confirmed) parent_delay later, a withdrawal likewise.  After every
 * event an independent referee replays what was actually published (DS,
 * DNSKEY RRset with its signers, zone signers, each version with its time)
 * and checks that every combination of versions a validator may still hold
 * (within TTL + propagation delay) validates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/clock.h"
#include "policy/policy.h"

/*! A rollover started by hand during the simulation. */
struct tld_sim_manual {
	tld_time_t at;
	int kind;                     /*!< enum tld_rollover_kind; 0: only edit the policy */
	int new_algorithm;            /*!< policy algorithm from then on (0: unchanged) */
};

struct tld_sim_options {
	tld_time_t from;              /*!< start of simulated time */
	int years;                    /*!< length (365-day years) */
	int64_t parent_delay;         /*!< from DS request to `ds seen` (and to `ds gone`) */
	const char *zone;             /*!< zone name for the response size ("test.") */
	FILE *timeline;               /*!< text table, may be NULL */
	FILE *svg;                    /*!< SVG of key lifetimes, may be NULL */
	const struct tld_sim_manual *manual; /*!< hand-started rollovers, by time */
	size_t n_manual;
};

struct tld_sim_result {
	unsigned steps;               /*!< state machine steps */
	unsigned events;              /*!< steps that changed something */
	unsigned rollovers;           /*!< keys generated for rollovers */
	unsigned breaks;              /*!< invariant breaks (referee or state check) */
	unsigned keys_total;          /*!< keys created */
	size_t max_dnskey_response;   /*!< largest DNSKEY response in bytes (EDNS, no DO padding) */
	char first_break[512];        /*!< description of the first break */
};

/*!
 * \brief Runs the simulation.
 * \param[in]  pol  the policy
 * \param[in]  opt  options
 * \param[out] res  results; written on TLD_OK
 * \return TLD_OK (check res->breaks), TLD_EINVAL, TLD_ENOMEM, or the error
 *         the state machine returned
 */
int tld_simulate(const struct tld_policy *pol, const struct tld_sim_options *opt,
                 struct tld_sim_result *res);

/*!
 * \brief Size in bytes of a DNSKEY response (header, question, the keys,
 *        their RRSIGs, an OPT record) for the given keys.
 * \param[in] zone        zone name (presentation format)
 * \param[in] algs        algorithm of each DNSKEY
 * \param[in] n_keys      count
 * \param[in] sig_algs    algorithm of each RRSIG over the RRset
 * \param[in] n_sigs      count
 * \param[in] rsa_bits    RSA modulus size for algorithms 8 and 10
 */
size_t tld_dnskey_response_size(const char *zone, const uint8_t *algs, size_t n_keys,
                                const uint8_t *sig_algs, size_t n_sigs, unsigned rsa_bits);
