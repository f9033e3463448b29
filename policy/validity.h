/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The strict validity of one combination of cached RRset versions, shared by
 * the state machine's safety check and the simulator's history referee.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*!
 * \brief Whether a validator holding these versions validates the zone.
 *        Bit i of each mask stands for key i.  Strict reading: every
 *        algorithm of the DS RRset has a DS-matched published DNSKEY that
 *        signs the DNSKEY RRset; every algorithm of the DNSKEY RRset signs
 *        the DNSKEY RRset and the zone's RRsets.  An empty DS RRset is an
 *        insecure (not failing) zone.
 * \param[in]  algs        algorithm of each key
 * \param[in]  n           number of keys (<= 64)
 * \param[in]  ds          keys with a DS in the cached DS RRset
 * \param[in]  dk          keys in the cached DNSKEY RRset
 * \param[in]  dk_signers  keys whose RRSIG covers that DNSKEY RRset
 * \param[in]  zs          keys whose RRSIGs cover the cached zone RRsets
 * \param[out] why         reason on failure (may be NULL)
 * \return true if it validates
 */
bool tld_validation_combo_ok(const uint8_t *algs, size_t n, uint64_t ds, uint64_t dk,
                             uint64_t dk_signers, uint64_t zs, char *why, size_t why_size);
