/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The keys table of the state store: one row per key pair ever recorded for a
 * zone, kept after deletion (deleted != NULL) so that a key tag is never used
 * twice in a zone (UNIQUE(zone, key_tag), see hsm/keys.h for why).
 *
 *   CREATE TABLE keys (id INTEGER PRIMARY KEY, zone TEXT, role TEXT,
 *     algorithm INTEGER, bits INTEGER, key_tag INTEGER, flags INTEGER,
 *     cka_id TEXT (lower-case hex), label TEXT, dnskey BLOB (full DNSKEY RDATA),
 *     created INTEGER (unix time), deleted INTEGER NULL, UNIQUE(zone, key_tag))
 *
 * Key STATES (RFC 7583) live in the policy module's own table referencing
 * keys(id).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/statedb.h"
#include "policy/policy.h"

/*! One row of the keys table. */
struct tld_key_record {
	int64_t id;                /*!< keys.id */
	char zone[256];            /*!< lower case, trailing dot */
	enum tld_key_role role;
	uint8_t algorithm;
	unsigned bits;             /*!< RSA modulus bits, else 0 */
	uint16_t key_tag;
	uint16_t flags;            /*!< 256 (ZSK) or 257 (KSK, CSK) */
	char cka_id[129];          /*!< hex */
	uint8_t cka_id_raw[64];    /*!< CKA_ID bytes (decoded cka_id) */
	size_t cka_id_len;
	char label[128];
	uint8_t dnskey[1024];      /*!< DNSKEY RDATA: flags, protocol 3, algorithm, public key */
	size_t dnskey_len;
	int64_t created;
	int64_t deleted;           /*!< 0 while the key exists */
};

/*! "ksk", "zsk", "csk". */
const char *tld_key_role_name(enum tld_key_role role);

/*! Parses "ksk"/"zsk"/"csk". \return TLD_OK or TLD_EINVAL */
int tld_key_role_parse(const char *text, enum tld_key_role *out);

/*! Creates the keys table if missing. \return TLD_OK or TLD_ESTATE */
int tld_keydb_init(tld_statedb_t *db);

/*!
 * \brief The keys of a zone, ordered by id.
 * \param[in]  zone             zone name as in the config ("test.")
 * \param[in]  include_deleted  also list deleted keys
 * \param[out] recs, n          caller frees with tld_key_records_free(); written only on success
 * \return TLD_OK, TLD_ESTATE, TLD_ENOMEM
 */
int tld_keydb_list(tld_statedb_t *db, const char *zone, bool include_deleted,
                   struct tld_key_record **recs, size_t *n);

/*!
 * \brief Finds the key of a zone with a key tag (deleted ones included).
 * \param[out] out  written only on success
 * \return TLD_OK, TLD_ENOENT, TLD_ESTATE
 */
int tld_keydb_find_tag(tld_statedb_t *db, const char *zone, uint16_t key_tag,
                       struct tld_key_record *out);

/*!
 * \brief Inserts a record (rec->id is set).  Runs inside the caller's transaction.
 * \return TLD_OK, TLD_EKEYTAG (tag already recorded for the zone), TLD_ESTATE
 */
int tld_keydb_insert(tld_statedb_t *db, struct tld_key_record *rec);

/*! Sets deleted = when for keys.id.  \return TLD_OK, TLD_ENOENT, TLD_ESTATE */
int tld_keydb_mark_deleted(tld_statedb_t *db, int64_t id, int64_t when);

/*! Releases an array from tld_keydb_list(); NULL is a no-op. */
void tld_key_records_free(struct tld_key_record *recs, size_t n);
