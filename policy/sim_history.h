/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the simulation actually published, version by version, and the
 * referee over it (used by policy/simulate.c only).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"

#define SIM_SET_MAX 16

/*! One set of simulated keys (global simulation indices). */
struct sim_set {
	uint16_t idx[SIM_SET_MAX];
	uint8_t n;
};

/*! One published version of an RRset class. */
struct sim_version {
	tld_time_t t;
	struct sim_set present;   /*!< DS: at parent; DNSKEY: published; ZSIG: signing */
	struct sim_set signers;   /*!< DNSKEY class: signing the DNSKEY RRset */
};

struct sim_class_history {
	struct sim_version *v;
	size_t n, cap;
	int64_t window;           /*!< how long a version may stay in caches */
};

enum { SIM_DS = 0, SIM_DNSKEY = 1, SIM_ZSIG = 2, SIM_CLASSES = 3 };

struct sim_history {
	struct sim_class_history cls[SIM_CLASSES];
};

/*! Records a version at t if it differs from the last one.  \return TLD_OK or TLD_ENOMEM */
int sim_history_record(struct sim_class_history *h, tld_time_t t, const struct sim_set *present,
                       const struct sim_set *signers);

/*!
 * \brief The referee: could a validator at time t, holding any version of each
 *        class still within its cache window, fail?
 * \param[in]  hist  history
 * \param[in]  algs  algorithm per global key index
 * \param[in]  t     the instant
 * \param[out] why   reason when failing
 * \return true if every combination validates
 */
bool sim_history_valid(const struct sim_history *hist, const uint8_t *algs, tld_time_t t,
                       char *why, size_t why_size);

/*! Frees the version arrays. */
void sim_history_free(struct sim_history *hist);
