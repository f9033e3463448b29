/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hash-chained audit log of key operations (tables `audit` and
 * `audit_head` in the state store).
 *
 * Every row carries the SHA-256 of the previous row and its own SHA-256
 * over a canonical encoding of (seq, time, actor, operation, key tags, DS,
 * detail, previous hash): each field as "<decimal length>:<bytes>;".
 * `audit_head` holds the last sequence number and hash, written in the same
 * transaction, so a removed last row is detected too.  Anyone able to
 * rewrite the whole database can rewrite the chain: the head hash printed
 * by `audit verify` belongs on the paper record of each ceremony.
 */
#pragma once

#include <stdint.h>

#include "common/clock.h"
#include "common/statedb.h"

#define TLD_AUDIT_HASH_HEX 65

struct tld_audit_entry {
	int64_t seq;
	tld_time_t time;
	const char *actor;
	const char *operation;   /*!< "key generate", "ds seen", "rollover start", ... */
	const char *key_tags;    /*!< "12345" or "12345,23456"; "" if none */
	const char *ds;          /*!< resulting DS RRset in presentation format; "" if none */
	const char *detail;      /*!< free text */
	char prev_hash[TLD_AUDIT_HASH_HEX];
	char hash[TLD_AUDIT_HASH_HEX];
};

/*! Creates the tables if needed.  \return TLD_OK or TLD_ESTATE */
int tld_audit_init(tld_statedb_t *db);

/*!
 * \brief Appends one entry (atomically: a SAVEPOINT, so it nests inside the
 *        caller's transaction and is undone with it).
 * \param[in] db         the state store
 * \param[in] when       time of the operation
 * \param[in] actor      who (tld_audit_actor())
 * \param[in] operation  what
 * \param[in] key_tags   key tags involved, may be NULL
 * \param[in] ds         resulting DS, may be NULL
 * \param[in] detail     free text, may be NULL
 * \param[out] hash_out  the new head hash (TLD_AUDIT_HASH_HEX bytes), may be NULL
 * \return TLD_OK, TLD_ESTATE, TLD_ECRYPTO
 */
int tld_audit_append(tld_statedb_t *db, tld_time_t when, const char *actor, const char *operation,
                     const char *key_tags, const char *ds, const char *detail, char *hash_out);

/*! Called per entry, in order; a non-zero return stops the walk and is returned. */
typedef int (*tld_audit_fn)(const struct tld_audit_entry *entry, void *ctx);

/*! Walks the log in sequence order.  \return TLD_OK, TLD_ESTATE, or the callback's code */
int tld_audit_foreach(tld_statedb_t *db, tld_audit_fn fn, void *ctx);

/*!
 * \brief Checks the chain: consecutive sequence numbers from 1, each row's
 *        previous hash, each row's own hash, and the head.
 * \param[in]  db       the state store
 * \param[out] entries  number of entries checked
 * \param[out] head     head hash (TLD_AUDIT_HASH_HEX bytes; "" when empty)
 * \param[out] why      first problem, naming the row
 * \return TLD_OK or TLD_EVERIFY (or TLD_ESTATE)
 */
int tld_audit_verify(tld_statedb_t *db, int64_t *entries, char *head, char *why, size_t why_size);

/*! The actor: override if given, else $SUDO_USER, else $USER, else "unknown". */
const char *tld_audit_actor(const char *override);
