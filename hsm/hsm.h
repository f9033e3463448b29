/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The PKCS#11 token behind one opaque handle (STYLE.md practices 2, 4, 14).
 *
 * libp11 / raw PKCS#11 split: libp11 0.4.12 (Debian 12) cannot generate EC or
 * EdDSA key pairs inside a token, cannot sign with EdDSA, and hides the
 * session behind a per-process global slot list that we must re-initialise in
 * every forked signing worker anyway.  So every token operation here --
 * module load (dlopen + C_GetFunctionList), token lookup by label, login,
 * key generation, key lookup by CKA_ID or label, attribute reads, signing and
 * object removal -- calls the module's PKCS#11 function list directly; OpenSSL
 * (EVP only) does the host-side hashing and the DNSSEC encodings.  libp11 is
 * not used at run time; nothing it offers is needed once the above is in place.
 *
 * Errors: every function returns TLD_OK or a negative TLD_E* code; the first
 * PKCS#11 failure is kept with the action that failed
 * ("C_Sign on key 12345 (ksk): CKR_KEY_HANDLE_INVALID") and later ones never
 * overwrite it (tld_hsm_error()).  The PIN comes from the file or environment
 * variable named in the config, never from argv; it is never logged, and a
 * login that fails with CKR_PIN_INCORRECT or CKR_PIN_LOCKED is never retried
 * (TLD_EPIN), so a token cannot be locked out by tldsign.
 *
 * One tld_hsm_t = one PKCS#11 context (C_Initialize) + one R/W user session.
 * Not for use across fork(): a child process opens its own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

typedef struct tld_hsm tld_hsm_t;

/*! A token object handle (CK_OBJECT_HANDLE). */
typedef unsigned long tld_hsm_obj_t;

/*! Attributes of a private key that matter for safe custody. */
struct tld_hsm_key_attrs {
	bool is_private, sensitive, extractable, never_extractable, can_sign;
};

/*!
 * \brief Loads the module, finds the token by label, opens a session and logs in.
 *
 * Sets SOFTHSM2_CONF from cfg->hsm.softhsm_conf when given.
 * \param[in]  cfg  the hsm: section is used
 * \param[out] out  caller frees with tld_hsm_close(); written only on success
 * \return TLD_OK, TLD_EHSM (module/token/session), TLD_EPIN (missing or rejected PIN), TLD_ENOMEM
 */
int tld_hsm_open(const struct tld_config *cfg, tld_hsm_t **out);

/*!
 * \brief tld_hsm_open() that logs nothing: on failure the error text goes
 *        into why instead (for a caller that reports it itself or tries
 *        another way, hsm/signpool.h's early-started workers).
 * \param[out] why  on failure, the error ("C_Login on token \"x\": CKR_PIN_INCORRECT")
 * \return as tld_hsm_open()
 */
int tld_hsm_open_quiet(const struct tld_config *cfg, tld_hsm_t **out, char *why, size_t why_size);

/*! Forgets the first error (a context used for several batches reports each batch's own). */
void tld_hsm_clear_error(tld_hsm_t *hsm);

/*! Whether this process has a context initialised and not yet closed (fork rules: hsm/signpool.h). */
bool tld_hsm_any_open(void);

/*! Logs out, closes the session, finalises the module; NULL is a no-op. */
void tld_hsm_close(tld_hsm_t *hsm);

/*!
 * \brief Closes the session and opens (and logs in) a fresh one, once, after
 *        the token reported the session closed or the device removed.
 * \return TLD_OK, TLD_EHSM, TLD_EPIN
 */
int tld_hsm_reopen(tld_hsm_t *hsm);

/*! First error with its action, or "" when none. Owned by hsm. */
const char *tld_hsm_error(const tld_hsm_t *hsm);

/*! Records an error if none is recorded yet (first error wins); returns code. */
int tld_hsm_set_error(tld_hsm_t *hsm, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*!
 * \brief Whether the token offers the key generation and signing mechanisms
 *        of a DNSSEC algorithm (C_GetMechanismList).
 */
bool tld_hsm_supports(tld_hsm_t *hsm, int algorithm);

/*!
 * \brief Generates a key pair inside the token: token objects, private key
 *        private + sensitive + not extractable + sign, public key verify.
 * \param[in]  algorithm  DNSSEC algorithm number
 * \param[in]  rsa_bits   modulus size for RSA (ignored otherwise)
 * \param[in]  id, id_len CKA_ID for both objects
 * \param[in]  label      CKA_LABEL for both objects
 * \param[out] pub, priv  the new objects; written only on success
 * \return TLD_OK, TLD_EHSM, TLD_EINVAL (algorithm/size)
 */
int tld_hsm_generate(tld_hsm_t *hsm, int algorithm, unsigned rsa_bits, const uint8_t *id,
                     size_t id_len, const char *label, tld_hsm_obj_t *pub, tld_hsm_obj_t *priv);

/*! Fills buf with len random bytes from the token (C_GenerateRandom). \return TLD_OK, TLD_EHSM */
int tld_hsm_random(tld_hsm_t *hsm, uint8_t *buf, size_t len);

/*!
 * \brief Finds the single object of a class (public or private key) with a CKA_ID.
 * \param[in]  is_private  private key (else public key)
 * \param[out] obj         written only on success
 * \return TLD_OK, TLD_EKEY (none or several), TLD_EHSM
 */
int tld_hsm_find_id(tld_hsm_t *hsm, bool is_private, const uint8_t *id, size_t id_len,
                    tld_hsm_obj_t *obj);

/*!
 * \brief Finds the single object of a class with a CKA_LABEL.
 * \return TLD_OK, TLD_EKEY (none or several), TLD_EHSM
 */
int tld_hsm_find_label(tld_hsm_t *hsm, bool is_private, const char *label, tld_hsm_obj_t *obj);

/*!
 * \brief Reads CKA_ID of an object.
 * \param[out] id      buffer of id_size bytes
 * \param[out] id_len  its length
 * \return TLD_OK, TLD_EHSM, TLD_ERANGE (too long)
 */
int tld_hsm_get_id(tld_hsm_t *hsm, tld_hsm_obj_t obj, uint8_t *id, size_t id_size, size_t *id_len);

/*! Reads the custody attributes of a private key. \return TLD_OK, TLD_EHSM */
int tld_hsm_key_attrs(tld_hsm_t *hsm, tld_hsm_obj_t priv, struct tld_hsm_key_attrs *out);

/*!
 * \brief Works out the DNSSEC algorithm of a public key object (RSA: 8 unless
 *        hint is 10; EC: 13/14 by curve; EdDSA: 15/16 by curve).
 * \param[out] algorithm  written only on success
 * \param[out] bits       RSA modulus bits, else 0
 * \return TLD_OK, TLD_EKEY (unsupported type/curve), TLD_EHSM
 */
int tld_hsm_key_algorithm(tld_hsm_t *hsm, tld_hsm_obj_t pub, int hint, int *algorithm,
                          unsigned *bits);

/*!
 * \brief The public key in DNSKEY wire form (RFC 3110 RSA, RFC 6605 X||Y, RFC 8080 raw).
 * \param[out] key      buffer of size bytes
 * \param[out] key_len  written only on success
 * \return TLD_OK, TLD_EHSM, TLD_EKEY (malformed), TLD_ERANGE
 */
int tld_hsm_public_key(tld_hsm_t *hsm, tld_hsm_obj_t pub, int algorithm, uint8_t *key, size_t size,
                       size_t *key_len);

/*! Sets CKA_LABEL of an object. \return TLD_OK, TLD_EHSM */
int tld_hsm_set_label(tld_hsm_t *hsm, tld_hsm_obj_t obj, const char *label);

/*! Destroys an object in the token. \return TLD_OK, TLD_EHSM */
int tld_hsm_destroy(tld_hsm_t *hsm, tld_hsm_obj_t obj);

/*!
 * \brief Copies a private key into this session (C_CopyObject with
 *        CKA_TOKEN false) for faster signing; see hsm/signpool.h for why.
 *
 * The copy stays inside the token like the original: it is checked with
 * C_GetAttributeValue to be a session object that is CKA_PRIVATE,
 * CKA_SENSITIVE, not CKA_EXTRACTABLE and CKA_SIGN, and destroyed and
 * refused otherwise.  It vanishes with the session; the caller destroys it
 * earlier with tld_hsm_destroy().  A refusal is not an error of the
 * context (tld_hsm_error() is left alone): the caller signs with the token
 * object instead.
 * \param[out] copy  the session copy; written only on success
 * \param[out] why   on failure, the reason ("C_CopyObject: CKR_ACTION_PROHIBITED")
 * \return TLD_OK; TLD_EKEY (the token refuses the copy, e.g. CKA_COPYABLE
 *         false, or the copy is not safe); TLD_EAGAIN (session lost);
 *         TLD_EHSM (other token failure)
 */
int tld_hsm_session_copy(tld_hsm_t *hsm, tld_hsm_obj_t priv, tld_hsm_obj_t *copy, char *why, size_t why_size);

/*!
 * \brief Signs a message in DNSSEC form: hashes on the host, DigestInfo +
 *        CKM_RSA_PKCS for RSA, raw digest + CKM_ECDSA (r||s, length checked)
 *        for ECDSA, the whole message + CKM_EDDSA for EdDSA.
 * \param[in]  what     for the error text: "key 12345 (ksk)"
 * \param[out] sig      buffer of TLD_SIG_MAX bytes
 * \param[out] sig_len  written only on success
 * \return TLD_OK, TLD_EHSM, TLD_ECRYPTO, TLD_EAGAIN (session lost: caller may
 *         tld_hsm_reopen() and retry once; the error is not recorded)
 */
int tld_hsm_sign(tld_hsm_t *hsm, tld_hsm_obj_t priv, int algorithm, const char *what,
                 const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len);

/*!
 * \brief Records the last session loss tld_hsm_sign() reported as TLD_EAGAIN
 *        ("C_Sign on key 12345 (zsk): CKR_DEVICE_REMOVED") as the first
 *        error, for a caller that gives up after its one retry.
 * \return TLD_EHSM
 */
int tld_hsm_lost_error(tld_hsm_t *hsm);

/*! Name of a CKR_* code ("CKR_PIN_INCORRECT"). */
const char *tld_ckr_name(unsigned long rv);
