/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The parent DS check (policy `parent.nameservers`): before each step of
 * the key plan, every listed parent server is asked for `ZONE DS` (UDP,
 * TCP when truncated, 2 s per attempt, one retry).  A DS the key plan
 * waits for is taken as seen (or gone) only when ALL servers answer
 * authoritatively with exactly the DS set the rollover expects once the
 * parent has acted; the confirmations are recorded as `ds seen`/`ds gone`
 * with actor "parent-check" (audited) and applied by the same step.
 * Anything else (a server lagging, an error, a set nobody asked for)
 * leaves the states waiting and is said in words.
 *
 * Split for testing: tld_parent_expect_build() and tld_parent_judge() are
 * pure; tld_parent_query_ds() does the network; tld_parent_check() ties
 * them to the state store.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/statedb.h"
#include "policy/keystate.h"
#include "policy/policy.h"

#define TLD_PARENT_MAX_DS 16      /*!< DS records kept per set (more is an error) */
#define TLD_PARENT_MAX_WAIT 8     /*!< keys waiting on the parent at once */
#define TLD_PARENT_ACTOR "parent-check"

/*! One DS RDATA in wire form: key tag, algorithm, digest type, digest. */
struct tld_ds_rec {
	uint16_t len;
	uint8_t rdata[4 + 64];
};

/*! A DS RRset (order does not matter). */
struct tld_ds_set {
	struct tld_ds_rec ds[TLD_PARENT_MAX_DS];
	size_t n;
};

/*! What one parent server answered. */
struct tld_parent_answer {
	int status;                   /*!< TLD_OK, else the answer is unusable */
	char error[160];              /*!< in words when status != TLD_OK */
	struct tld_ds_set set;        /*!< the DS RRset of the answer (empty: no DS) */
};

/*! What the key plan waits for at the parent. */
struct tld_parent_expect {
	struct tld_ds_set before;     /*!< the DS set while the parent has not acted */
	struct tld_ds_set after;      /*!< the DS set once it has */
	int64_t seen_id[TLD_PARENT_MAX_WAIT];   /*!< keys waiting for `ds seen` */
	uint16_t seen_tag[TLD_PARENT_MAX_WAIT];
	size_t n_seen;
	int64_t gone_id[TLD_PARENT_MAX_WAIT];   /*!< keys waiting for `ds gone` */
	uint16_t gone_tag[TLD_PARENT_MAX_WAIT];
	size_t n_gone;
};

/*! Outcome of a check. */
enum tld_parent_verdict {
	TLD_PARENT_IDLE = 0,          /*!< no servers configured, or nothing waits on the parent */
	TLD_PARENT_DONE,              /*!< every server serves exactly the expected set */
	TLD_PARENT_NOT_YET,           /*!< every server still serves the set before the change */
	TLD_PARENT_DISAGREE,          /*!< the servers serve different sets */
	TLD_PARENT_UNEXPECTED,        /*!< all agree on a set that is neither before nor after */
	TLD_PARENT_ERROR,             /*!< a server gave no usable answer */
};

/*! The result of tld_parent_check(). */
struct tld_parent_result {
	enum tld_parent_verdict verdict;
	unsigned recorded;            /*!< confirmations recorded */
	char words[1536];             /*!< what was found, in words ("" when idle) */
};

/*! Name of a verdict ("done", "not yet", ...). */
const char *tld_parent_verdict_name(enum tld_parent_verdict v);

/*! Whether two DS sets hold the same records (as sets). */
bool tld_ds_set_equal(const struct tld_ds_set *a, const struct tld_ds_set *b);

/*!
 * \brief Adds a DS RDATA to a set (duplicates are kept once).
 * \return TLD_OK; TLD_ERANGE (set full or RDATA longer than 68 bytes)
 */
int tld_ds_set_add(struct tld_ds_set *set, const uint8_t *rdata, size_t len);

/*! Writes a set as "{TAG ALG DT DIGEST8.., ...}" ("{}" when empty) into buf. */
void tld_ds_set_words(const struct tld_ds_set *set, char *buf, size_t size);

/*!
 * \brief What the key states wait for at the parent.  Pure.  Keys with a
 *        pending confirmation count as already confirmed.
 * \param[in]  keys    key states
 * \param[in]  n       count
 * \param[in]  key_ds  the DS RDATA of each key (parallel to keys; len 0 for
 *                     a key without DS, e.g. a ZSK)
 * \param[in]  conf    confirmations not yet applied (may be NULL if n_conf is 0)
 * \param[in]  n_conf  count
 * \param[out] out     the expectation (n_seen + n_gone == 0: nothing waits)
 * \return TLD_OK; TLD_ERANGE (too many keys waiting or DS records);
 *         TLD_EKEY (a key whose DS matters has no DS RDATA)
 */
int tld_parent_expect_build(const struct tld_keystate *keys, size_t n, const struct tld_ds_rec *key_ds,
                            const struct tld_ds_confirm *conf, size_t n_conf, struct tld_parent_expect *out);

/*!
 * \brief Judges the servers' answers against the expectation.  Pure.
 * \param[in]  exp      the expectation
 * \param[in]  servers  the server names (for the words)
 * \param[in]  answers  one per server
 * \param[in]  n        server count (> 0)
 * \param[out] words    what was found, in words
 * \return the verdict
 */
enum tld_parent_verdict tld_parent_judge(const struct tld_parent_expect *exp, char *const *servers,
                                         const struct tld_parent_answer *answers, size_t n, char *words,
                                         size_t size);

/*!
 * \brief Asks one server for the zone's DS RRset: no recursion, UDP with
 *        EDNS (1232) and TCP when truncated, timeout_ms per attempt, one
 *        retry.  Only an authoritative NOERROR answer counts; its DS RRset
 *        (possibly empty) goes into out->set.
 * \param[in]  server      "addr" or "addr@port"
 * \param[in]  zone        the zone name ("test.")
 * \param[in]  timeout_ms  per attempt
 * \param[out] out         always written; out->status and out->error say
 *                         what went wrong
 * \return out->status: TLD_OK; TLD_EINVAL (bad server or zone); TLD_ENET
 *         (no answer, not authoritative, error rcode); TLD_ERANGE (too many
 *         DS); TLD_ENOMEM
 */
int tld_parent_query_ds(const char *server, const char *zone, int timeout_ms, struct tld_parent_answer *out);

/*!
 * \brief The parent check of one key plan step: when the policy lists
 *        parent servers and a key waits for `ds seen`/`ds gone`, queries
 *        them all and, with `record`, records the confirmations (actor
 *        "parent-check", audited, one transaction) when every server serves
 *        exactly the expected set.  Not finding it is no error: the verdict
 *        and res->words say why it still waits.
 * \param[in]  pol     the policy (parent.nameservers, parent.ds_digest)
 * \param[in]  db      the state store
 * \param[in]  zone    the zone
 * \param[in]  now     the instant (confirmation time)
 * \param[in]  record  false: only look (rollover status)
 * \param[out] res     always written
 * \return TLD_OK; TLD_ESTATE (state store); TLD_ENOMEM
 */
int tld_parent_check(const struct tld_policy *pol, tld_statedb_t *db, const char *zone, tld_time_t now,
                     bool record, struct tld_parent_result *res);
