/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The key state machine of RFC 7583, in the model of BIND 9.20's keymgr and
 * OpenDNSSEC 2's enforcer: every key has a goal (be in the zone, or leave
 * it) and four records (DNSKEY, RRSIG over the DNSKEY RRset, RRSIGs over
 * the zone, DS at the parent), each hidden -> rumoured -> omnipresent ->
 * unretentive -> hidden.
 *
 * tld_keystate_step() is pure (no I/O, no clock): given the policy, the
 * keys' current states, the parent confirmations and "now", it returns the
 * next states, what each key does now and when the next event falls.
 *
 * Safety: a record enters (hidden -> rumoured) or leaves (omnipresent ->
 * unretentive) only when tld_keystate_safe() holds for the resulting
 * states: whatever versions of the DS, DNSKEY and zone RRSIG RRsets a
 * validator may still hold, the zone validates, under the strict reading
 * (every algorithm of the DS RRset signs the DNSKEY RRset, every algorithm
 * of the DNSKEY RRset signs every RRset) that RFC 6781 §4.1.4's
 * conservative algorithm rollover is written for.  Waits (rumoured ->
 * omnipresent, unretentive -> hidden) use the TTLs, propagation delays and
 * safety margins of the policy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "policy/policy.h"

/*! The state of one record of one key (RFC 7583 §3.1, BIND's names). */
enum tld_kstate {
	TLD_KS_HIDDEN = 0,
	TLD_KS_RUMOURED = 1,
	TLD_KS_OMNIPRESENT = 2,
	TLD_KS_UNRETENTIVE = 3,
	TLD_KS_NA = 4,            /*!< the record does not exist for this role */
};

/*! The records of a key whose states are tracked. */
enum tld_krec {
	TLD_KR_DNSKEY = 0,        /*!< the DNSKEY in the DNSKEY RRset */
	TLD_KR_KRRSIG = 1,        /*!< its RRSIG over the DNSKEY RRset (KSK, CSK) */
	TLD_KR_ZRRSIG = 2,        /*!< its RRSIGs over the other RRsets (ZSK, CSK) */
	TLD_KR_DS = 3,            /*!< its DS at the parent (KSK, CSK) */
	TLD_KR_COUNT = 4,
};

/*! One key as the state machine sees it. */
struct tld_keystate {
	int64_t key_id;               /*!< keys(id) of the HSM key store */
	uint16_t key_tag;
	uint8_t algorithm;
	uint8_t role;                 /*!< enum tld_key_role */
	bool goal;                    /*!< true: be omnipresent; false: leave (hidden) */
	bool in_token;                /*!< false: the private key is missing from the token */
	int64_t successor_of;         /*!< key id this key replaces, 0 if none */
	tld_time_t created;
	tld_time_t active;            /*!< when every record first was omnipresent; 0 = not yet */
	enum tld_kstate st[TLD_KR_COUNT];
	tld_time_t changed[TLD_KR_COUNT]; /*!< time of the last change of st[] */
	tld_time_t ds_requested;      /*!< DS asked of the parent at; 0 = not asked */
	tld_time_t ds_withdraw;       /*!< DS withdrawal asked at; 0 = not asked */
	tld_time_t last_step;         /*!< the "now" of the last step that saw this key */
};

/*! A parent confirmation (`ds seen KEYTAG`, `ds gone KEYTAG`). */
struct tld_ds_confirm {
	int64_t key_id;
	bool gone;                    /*!< false: seen, true: gone */
	tld_time_t when;
};

/*! What a key does now; the signer follows this and nothing else. */
struct tld_key_use {
	int64_t key_id;
	uint16_t key_tag;
	uint8_t algorithm;
	uint8_t role;
	bool publish_dnskey;          /*!< DNSKEY in the zone's DNSKEY RRset */
	bool sign_dnskey;             /*!< signs the DNSKEY (and CDS/CDNSKEY) RRset */
	bool sign_zone;               /*!< signs every other authoritative RRset */
	bool ds_at_parent;            /*!< its DS should be (or may be) at the parent */
	bool ds_submit;               /*!< waiting for `ds seen`: submit this DS to the parent */
	bool ds_remove;               /*!< waiting for `ds gone`: ask the parent to remove it */
	bool publish_cds;             /*!< publish CDS/CDNSKEY for it (RFC 7344) */
};

/*! Kinds of rollover a person (or a lifetime) starts. */
enum tld_rollover_kind {
	TLD_ROLL_KSK = 1,
	TLD_ROLL_ZSK = 2,
	TLD_ROLL_CSK = 3,
	TLD_ROLL_ALGORITHM = 4,
};

/*! A key the caller must generate (role, algorithm) to carry out a rollover. */
struct tld_key_need {
	uint8_t role;
	uint8_t algorithm;
	int64_t successor_of;         /*!< key id the new key replaces (0: none) */
};

/*! Result of one step.  Arrays are owned by the struct: tld_keystep_clear(). */
struct tld_keystep {
	struct tld_keystate *keys;    /*!< next states, same order as the input */
	size_t n_keys;
	struct tld_key_use *uses;     /*!< one per key */
	tld_time_t next_event;        /*!< next time-driven change; 0 = none (waits on people) */
	struct tld_key_need needs[8]; /*!< keys to generate (lifetime rollovers) */
	size_t n_needs;
	unsigned changes;             /*!< number of state changes made */
	char notes[1024];             /*!< anomalies, e.g. "ds gone before ds seen", ';'-separated */
};

/*! Name of a state ("hidden", ...). */
const char *tld_kstate_name(enum tld_kstate st);

/*! Name of a record ("dnskey", "krrsig", "zrrsig", "ds"). */
const char *tld_krec_name(enum tld_krec rec);

/*! Whether the record exists for this role. */
bool tld_krec_applies(uint8_t role, enum tld_krec rec);

/*!
 * \brief Initialises the state of a new key: every record of its role hidden,
 *        the others TLD_KS_NA, goal omnipresent.
 * \param[out] ks  the state
 */
void tld_keystate_init(struct tld_keystate *ks, int64_t key_id, uint16_t key_tag,
                       uint8_t algorithm, uint8_t role, tld_time_t created);

/*!
 * \brief How long a record must wait in rumoured/unretentive before the next state.
 * \param[in] pol   the policy
 * \param[in] rec   the record
 * \param[in] retire  true for unretentive -> hidden, false for rumoured -> omnipresent
 * \return seconds
 */
int64_t tld_keystate_wait(const struct tld_policy *pol, enum tld_krec rec, bool retire);

/*!
 * \brief The validation invariant on key states: could a validator holding
 *        any version of the DS, DNSKEY and zone-RRSIG RRsets that the states
 *        allow (rumoured and unretentive records may or may not be in a
 *        cached version; versions are ordered by the change times) fail?
 * \param[in]  keys  states
 * \param[in]  n     count
 * \param[out] why   reason when unsafe (may be NULL)
 * \return true if every combination validates
 */
bool tld_keystate_safe(const struct tld_keystate *keys, size_t n, char *why, size_t why_size);

/*!
 * \brief One step of the state machine; pure.
 * \param[in]  pol     the policy
 * \param[in]  keys    current states (not modified)
 * \param[in]  n       count
 * \param[in]  conf    confirmations not yet applied (may be NULL when n_conf is 0)
 * \param[in]  n_conf  count
 * \param[in]  now     the instant
 * \param[out] out     next states etc.; caller frees with tld_keystep_clear();
 *                     written only on success, except that on TLD_EKEY
 *                     out->notes explains which key and why
 * \return TLD_OK; TLD_ETIME if any recorded time lies after now (the clock went
 *         backwards); TLD_EKEY if a key needed for signing is missing from the
 *         token; TLD_EINVAL for inconsistent input; TLD_ENOMEM
 */
int tld_keystate_step(const struct tld_policy *pol, const struct tld_keystate *keys, size_t n,
                      const struct tld_ds_confirm *conf, size_t n_conf, tld_time_t now,
                      struct tld_keystep *out);

/*! Releases the arrays of a step result; safe on a zeroed struct. */
void tld_keystep_clear(struct tld_keystep *step);

/*!
 * \brief Plans a rollover: which keys must be generated (by the caller, with
 *        the key-tag rule) and which current keys will retire.  Pure.
 * \param[in]  pol    the policy (new keys follow its algorithm and roles)
 * \param[in]  keys   current states
 * \param[in]  n      count
 * \param[in]  kind   rollover kind
 * \param[out] needs  at least 3 entries; written only on success
 * \param[out] n_needs count written
 * \return TLD_OK; TLD_EPOLICY if the kind does not fit the keys or a rollover
 *         of the same role is already under way
 */
int tld_keystate_plan_rollover(const struct tld_policy *pol, const struct tld_keystate *keys,
                               size_t n, enum tld_rollover_kind kind,
                               struct tld_key_need *needs, size_t *n_needs);

/*!
 * \brief Adds a newly generated key into a state array as successor of
 *        need->successor_of (whose goal turns to "leave").  The array must
 *        have room for one more entry.
 * \return TLD_OK or TLD_EINVAL (unknown predecessor)
 */
int tld_keystate_add_successor(struct tld_keystate *keys, size_t *n, const struct tld_key_need *need,
                               int64_t key_id, uint16_t key_tag, tld_time_t now);

/*! "ksk", "zsk", "csk" (without needing the policy loader). */
const char *tld_keystate_role_name(uint8_t role);

/*! "ksk", "zsk", "csk", "algorithm". */
const char *tld_rollover_kind_name(enum tld_rollover_kind kind);
