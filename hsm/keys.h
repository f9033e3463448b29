/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone keys: generation inside the token, adoption of ceremony keys, removal,
 * and the DNSKEY / key tag / DS encodings.
 *
 * No two keys of a zone ever share a key tag -- active, standby, retired or
 * deleted.  Validators pick candidate keys by tag; two keys with one tag have
 * caused real outages: .ru in January 2024 and .de in May 2026 both began
 * with a key-tag collision during a rollover.  tld_key_generate() therefore
 * checks every key ever recorded for the zone, removes a colliding new key
 * from the token and tries again; tld_key_import() refuses; and the keys
 * table has UNIQUE(zone, key_tag) as a last line of defence.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "policy/policy.h"

/*! Label of a key in the token: "ZONE-ROLE-TAG", e.g. "test.-ksk-12345". */
#define TLD_KEY_LABEL_FMT "%s-%s-%u"

/*!
 * \brief Generates a key pair in the token and records it.
 *
 * Random 20-byte CKA_ID from the token; private key private, sensitive, not
 * extractable.  Retries (up to 16 times) when the key tag collides with any
 * key ever recorded for cfg->zone, destroying the rejected pair.  The record
 * is inserted in one transaction; if that fails the new objects are removed
 * from the token, so the token and the store never disagree.
 * \param[in]  cfg        zone and hsm: section
 * \param[in]  db         the state store (tld_keydb_init() is called)
 * \param[in]  role       KSK/CSK get flags 257, ZSK 256
 * \param[in]  algorithm  DNSSEC algorithm number
 * \param[in]  rsa_bits   RSA modulus size (2048..4096), ignored otherwise
 * \param[out] out        the new record; written only on success (may be NULL)
 * \return TLD_OK, TLD_EHSM, TLD_EPIN, TLD_EINVAL (algorithm not offered by the
 *         token or bad size), TLD_EKEYTAG (collisions kept happening), TLD_ESTATE, TLD_ENOMEM
 */
int tld_key_generate(const struct tld_config *cfg, tld_statedb_t *db, enum tld_key_role role,
                     int algorithm, unsigned rsa_bits, struct tld_key_record *out);

/*!
 * \brief Adopts a key pair already in the token (made at a ceremony): both
 *        objects found by CKA_LABEL; the private key must be able to sign.
 *        Warns (does not refuse) when it is not private, sensitive and
 *        non-extractable.  Refuses a key tag already recorded for the zone.
 * \param[in]  label      CKA_LABEL of the pair
 * \param[in]  algorithm  0 = from the key (RSA: 8), or 10 to record RSA as RSASHA512
 * \param[out] out        written only on success (may be NULL)
 * \return TLD_OK, TLD_EKEY (not found/unsupported), TLD_EKEYTAG, TLD_EHSM, TLD_EPIN, TLD_ESTATE
 */
int tld_key_import(const struct tld_config *cfg, tld_statedb_t *db, const char *label,
                   enum tld_key_role role, int algorithm, struct tld_key_record *out);

/*!
 * \brief Decides whether a key is still published or signing.
 * \param[in] ctx  caller's context
 * \param[in] rec  the key
 * \return true when the key must not be deleted
 */
typedef bool (*tld_key_in_use_fn)(void *ctx, const struct tld_key_record *rec);

/*!
 * \brief Deletes a key: both objects from the token, then deleted = now in the
 *        store (the row stays: its tag is never reused).
 *
 * The caller decides what "in use" means (the rollover state table): in_use
 * NULL means every key is in use and nothing is deleted.  The row is marked
 * first inside a transaction that commits only after the token objects are
 * gone; a key already missing from the token is only marked.
 * \return TLD_OK, TLD_ENOENT (no such tag), TLD_EPOLICY (in use), TLD_EHSM, TLD_EPIN, TLD_ESTATE
 */
int tld_key_delete(const struct tld_config *cfg, tld_statedb_t *db, uint16_t key_tag,
                   tld_key_in_use_fn in_use, void *ctx);

/*!
 * \brief DNSKEY RDATA (RFC 4034 section 2.1): flags(2) protocol=3(1) algorithm(1) key.
 * \param[out] rdata  buffer of size bytes
 * \param[out] len    written only on success
 * \return TLD_OK, TLD_ERANGE
 */
int tld_dnskey_rdata_from_pubkey(uint16_t flags, uint8_t algorithm, const uint8_t *pubkey,
                                 size_t pubkey_len, uint8_t *rdata, size_t size, size_t *len);

/*! Key tag of DNSKEY RDATA, RFC 4034 Appendix B (any algorithm but 1). */
uint16_t tld_keytag(const uint8_t *rdata, size_t len);

/*!
 * \brief DS RDATA (RFC 4034 section 5.1, RFC 4509, RFC 6605): key tag(2)
 *        algorithm(1) digest type(1) digest over owner (canonical wire form) | DNSKEY RDATA.
 * \param[in]  owner        the zone name in text ("example.com.")
 * \param[in]  digest_type  2 (SHA-256) or 4 (SHA-384)
 * \param[out] out          buffer of size bytes (52 is enough for 4)
 * \param[out] out_len      written only on success
 * \return TLD_OK, TLD_EINVAL (name or digest type), TLD_ERANGE, TLD_ECRYPTO
 */
int tld_ds_from_dnskey(const char *owner, const uint8_t *rdata, size_t len, uint8_t digest_type,
                       uint8_t *out, size_t size, size_t *out_len);

/*!
 * \brief Presentation form of a name to wire form, lower-cased (RFC 4034 6.2).
 * \return TLD_OK, TLD_EINVAL
 */
int tld_dname_to_wire(const char *name, uint8_t *wire, size_t size, size_t *len);
