/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Key ceremonies: a YAML script of steps, run one by one with a
 * confirmation before each, a transcript file and an audit record per step.
 *
 *   ceremony: KSK rollover start
 *   participants: [Alice (administrator), Bob (witness)]
 *   steps:
 *     - title: Check the audit log
 *       action: audit-verify
 *     - title: Start the rollover
 *       action: rollover-start
 *       kind: ksk
 *
 * Actions: note (text), audit-verify, status, advance (move key states to
 * now), key-generate (role), rollover-start (kind), ds-seen / ds-gone
 * (key-tag, a number or "from-command-line").  Each action is one transaction: a failed step changes
 * nothing and stops the ceremony.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/clock.h"
#include "common/statedb.h"
#include "policy/policy.h"

enum tld_cer_action {
	TLD_CER_NOTE = 1,
	TLD_CER_AUDIT_VERIFY,
	TLD_CER_STATUS,
	TLD_CER_ADVANCE,
	TLD_CER_KEY_GENERATE,
	TLD_CER_ROLLOVER_START,
	TLD_CER_DS_SEEN,
	TLD_CER_DS_GONE,
};

/*! key-tag: from-command-line (the operator gives --key-tag) */
#define TLD_CER_TAG_PARAM (-2)

struct tld_cer_step {
	char *title;
	enum tld_cer_action action;
	char *text;          /*!< note */
	int kind;            /*!< rollover-start: enum tld_rollover_kind */
	int role;            /*!< key-generate: enum tld_key_role */
	int key_tag;         /*!< ds-seen/ds-gone: 0..65535, or TLD_CER_TAG_PARAM */
	unsigned line;       /*!< line in the script */
};

struct tld_ceremony {
	char *name;
	char **participants;
	size_t n_participants;
	struct tld_cer_step *steps;
	size_t n_steps;
};

/*!
 * \brief Parses a ceremony script; problems are logged as "file:line:column: problem".
 * \param[in]  text  the YAML text (need not be NUL-terminated)
 * \param[in]  len   its length
 * \param[in]  name  file name for messages
 * \param[out] out   caller frees with tld_ceremony_free(); written only on success
 * \return TLD_OK, TLD_ECONFIG (bad script), TLD_ENOMEM
 */
int tld_ceremony_parse(const char *text, size_t len, const char *name, struct tld_ceremony **out);

/*! Reads and parses a script file.  \return as tld_ceremony_parse, or TLD_ENOENT/TLD_EIO */
int tld_ceremony_load(const char *path, struct tld_ceremony **out);

/*! Releases a ceremony; NULL is a no-op. */
void tld_ceremony_free(struct tld_ceremony *c);

/*! Name of an action as in scripts ("rollover-start"). */
const char *tld_cer_action_name(enum tld_cer_action a);

/*!
 * Generates a key in the HSM for the ceremony (provided by the caller, who
 * has the HSM key store): writes the new keys.id and key tag.
 */
typedef int (*tld_cer_generate_fn)(void *ctx, uint8_t role, uint8_t algorithm, int64_t *key_id,
                                   uint16_t *key_tag);

/*! Prints the DNSKEY and DS (with digests) of a key for the paper record. */
typedef int (*tld_cer_print_key_fn)(void *ctx, int64_t key_id, FILE *out);

struct tld_ceremony_env {
	tld_statedb_t *db;
	const struct tld_policy *pol;
	const char *zone;
	tld_time_t now;
	const char *actor;
	const char *const *participants;  /*!< from the command line (added to the script's) */
	size_t n_participants;
	bool yes;                         /*!< no confirmations */
	int key_tag;                      /*!< for key-tag: from-command-line; -1 if not given */
	FILE *in;                         /*!< confirmations are read here */
	FILE *out;                        /*!< what operators see */
	FILE *transcript;                 /*!< the record; may be NULL */
	tld_cer_generate_fn generate;     /*!< NULL: key-generate and rollover-start fail */
	tld_cer_print_key_fn print_key;   /*!< NULL: only key tags are printed */
	void *hook_ctx;
};

/*!
 * \brief Runs the ceremony.
 * \return TLD_OK when every step ran; TLD_ECANCELED when a confirmation was
 *         declined; the failing step's code otherwise (later steps do not run)
 */
int tld_ceremony_run(const struct tld_ceremony *c, const char *script_path, struct tld_ceremony_env *env);
