/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The verified-signature cache ("SIGNED.zone.vcache"), written by the
 * verifier itself (never by the signer) so that the next verification of a
 * mostly unchanged zone can skip the public-key operation of the signatures
 * it has already verified.
 *
 * What an entry is.  For each RRSIG that verified, the first 16 bytes (128
 * bits) of
 *
 *   SHA-256( "tldsign-vcache-1" 0x00
 *            | u16 length | DNSKEY RDATA        (the key that verified it)
 *            | u16 length | signature           (the RRSIG's Signature field)
 *            | u32 length | signed data )       (RFC 4034 3.1.8.1: RRSIG RDATA
 *                                               without the signature, then the
 *                                               RRset in canonical form and
 *                                               order, original TTL, wildcard
 *                                               owner, duplicates removed)
 *
 * i.e. exactly the bytes the public-key check consumes: the key (its
 * algorithm, and so the digest, is in its RDATA), the signature and the
 * message.  The verification result is a function of these bytes only, so an
 * entry found for the same bytes means the check would succeed again.
 *
 * Why a cached entry cannot vouch for a bad signature.  A signature that was
 * corrupted, an RRset that changed, a different key, different validity
 * times or labels all change the hashed bytes, so the hash differs and the
 * signature is verified with the public key again.  To make the cache accept
 * a signature that does not verify, one needs a 128-bit value that the
 * verifier computed for a *valid* (key, signature, data) triple and that is
 * also the truncated SHA-256 of the bad triple: a second preimage (or, if the
 * attacker also chose the valid triple, a collision) of SHA-256 truncated to
 * 128 bits: about 2^128 work for a second preimage, 2^64 for a collision
 * between two triples both of the attacker's choice, where one of them must
 * still carry a valid signature by the zone's own key, which the attacker
 * cannot make.  Whoever can write the cache file can write the zone next to
 * it too (both live in STATE_DIR); the cache adds no new trust.
 *
 * What it does not skip.  Only the public-key operation.  Validity times
 * against the current --now and the refresh window, the signer name, key
 * presence, algorithm coverage of every RRset, the NSEC3/NSEC chain and
 * bitmaps, opt-out, DS, glue and delegation rules are checked in full on
 * every run.
 *
 * File format (big-endian):
 *   16 bytes  magic "TLDSIGN-VCACHE\n\0"
 *   u32       format version (1)
 *   u32       hash length (16)
 *   u64       number of entries N
 *   u8        length L of the zone apex (canonical wire form), then L bytes
 *   N x 16    the hashes, strictly ascending
 *   32 bytes  SHA-256 of everything before (damage check)
 * A file whose magic, version, length, order, apex or trailing digest is not
 * right is ignored with a warning: the verification then runs in full.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define VFY_VCACHE_HASH 16
#define VFY_VCACHE_SUFFIX ".vcache"

/*! A loaded cache: sorted hashes with an index on their first two bytes. */
struct vfy_vcache;

/*! Hashes collected by one worker (appended in zone order). */
struct vfy_hashvec {
	uint8_t *h;                /*!< n x VFY_VCACHE_HASH bytes */
	size_t n, cap;
	int err;                   /*!< first allocation failure */
};

/*!
 * \brief Reads a cache file for the zone whose apex is apex_wire.
 * \param[in]  path       the cache file
 * \param[in]  apex_wire  the zone apex, lower-cased wire form
 * \param[in]  apex_len   its length
 * \param[out] out        written only on success; free with vfy_vcache_free()
 * \return TLD_OK; TLD_ENOENT (no such file; nothing logged); TLD_EINVAL
 *         (damaged, truncated, another format or another zone: warned with
 *         the file and the reason); TLD_EIO (warned); TLD_ENOMEM
 */
int vfy_vcache_load(const char *path, const uint8_t *apex_wire, size_t apex_len,
                    struct vfy_vcache **out);

/*! \brief Frees a cache (NULL is fine). \param[in] c the cache */
void vfy_vcache_free(struct vfy_vcache *c);

/*! \brief Number of entries. \param[in] c the cache \return the count */
size_t vfy_vcache_count(const struct vfy_vcache *c);

/*!
 * \brief Whether a hash is in the cache.
 * \param[in] c  the cache (NULL: never)
 * \param[in] h  VFY_VCACHE_HASH bytes
 * \return true when present
 */
bool vfy_vcache_has(const struct vfy_vcache *c, const uint8_t *h);

/*!
 * \brief Computes the entry of one signature check (the layout above).
 * \param[in]  ctx       a digest context owned by the caller (reset here)
 * \param[in]  sha256    EVP SHA-256
 * \param[in]  key       DNSKEY RDATA
 * \param[in]  sig       the RRSIG's signature field
 * \param[in]  data      the signed data
 * \param[out] out       VFY_VCACHE_HASH bytes
 * \return TLD_OK or TLD_ECRYPTO
 */
int vfy_vcache_hash(EVP_MD_CTX *ctx, const EVP_MD *sha256, const uint8_t *key, size_t key_len,
                    const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t data_len,
                    uint8_t *out);

/*! \brief Appends a hash (on allocation failure sets v->err). */
void vfy_hashvec_push(struct vfy_hashvec *v, const uint8_t *h);

/*! \brief Frees the hashes of a vector and empties it. */
void vfy_hashvec_clear(struct vfy_hashvec *v);

/*!
 * \brief Writes the hashes of several vectors (sorted, duplicates removed)
 *        as a cache file for the zone, atomically.
 * \param[in] path   the cache file
 * \param[in] vecs   the vectors
 * \param[in] n      number of vectors
 * \return TLD_OK, TLD_ENOMEM, TLD_EIO / errno-mapped (logged)
 */
int vfy_vcache_write(const char *path, const uint8_t *apex_wire, size_t apex_len,
                     const struct vfy_hashvec *vecs, size_t n);

/*!
 * \brief vfy_vcache_write() of the entries of `in` but those in `dropped`,
 *        and of the vectors: the cache after a delta verification.
 * \param[in]     in       the cache read before (NULL: none)
 * \param[in,out] dropped  entries to leave out (sorted here)
 * \return as vfy_vcache_write()
 */
int vfy_vcache_write_delta(const char *path, const uint8_t *apex_wire, size_t apex_len,
                           const struct vfy_vcache *in, struct vfy_hashvec *dropped,
                           const struct vfy_hashvec *vecs, size_t n);

/*! A cache file written ahead of the checks that decide its new entries. */
struct vfy_vcache_ahead;

/*!
 * \brief The file vfy_vcache_write_delta() writes when the new entries are
 *        the hashes in `guess` (what the checks will add when every
 *        signature they check verifies: vfy_cache_guess()), written and
 *        synced under a temporary name beside the checks, not renamed yet.
 * \param[in,out] dropped  as vfy_vcache_write_delta()'s (sorted here)
 * \param[out]    out      vfy_vcache_ahead_end() or _abort() it; set to NULL on failure
 * \return TLD_OK; TLD_EINVAL (apex_len over 255), TLD_ENOMEM, TLD_ECRYPTO,
 *         TLD_EIO / errno-mapped (logged), nothing left behind
 */
int vfy_vcache_ahead_start(const char *path, const uint8_t *apex_wire, size_t apex_len,
                           const struct vfy_vcache *in, struct vfy_hashvec *dropped,
                           const struct vfy_hashvec *guess, struct vfy_vcache_ahead **out);

/*!
 * \brief Ends a file written ahead, given the new entries the checks made
 *        (vecs): when they are, as a set, the guessed ones, the file holds
 *        the very bytes vfy_vcache_write_delta() would write for them, and
 *        it is renamed into place (the directory synced); otherwise it is
 *        removed.  Frees a.
 * \return TLD_OK (in place); TLD_EAGAIN (another set: nothing written, the
 *         caller writes with vfy_vcache_write_delta()); TLD_ENOMEM or an
 *         errno-mapped code (logged; the target untouched)
 */
int vfy_vcache_ahead_end(struct vfy_vcache_ahead *a, const struct vfy_hashvec *vecs, size_t n);

/*! \brief Removes a file written ahead and frees a (NULL is fine). */
void vfy_vcache_ahead_abort(struct vfy_vcache_ahead *a);
