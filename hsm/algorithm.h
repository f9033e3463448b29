/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one algorithm table (STYLE.md practice 15): a DNSSEC algorithm number
 * mapped onto key type, size limits, host digest, PKCS#11 mechanisms and the
 * size of the DNSSEC-format signature.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum tld_key_kind {
	TLD_KIND_RSA = 1,
	TLD_KIND_EC = 2,      /*!< ECDSA on a NIST curve */
	TLD_KIND_EDDSA = 3,
};

struct tld_alg_info {
	uint8_t number;             /*!< DNSSEC algorithm number */
	const char *name;           /*!< policy.yaml spelling: "ecdsap256sha256" */
	enum tld_key_kind kind;
	const char *digest;         /*!< OpenSSL digest name hashed on the host; NULL for EdDSA */
	const uint8_t *digest_info; /*!< RSA: DER DigestInfo prefix; else NULL */
	size_t digest_info_len;
	const uint8_t *ec_params;   /*!< EC/EdDSA: DER OID for CKA_EC_PARAMS; else NULL */
	size_t ec_params_len;
	size_t point_len;           /*!< EC: X||Y length; EdDSA: public key length; RSA 0 */
	size_t sig_len;             /*!< fixed signature length; RSA 0 (modulus length) */
	unsigned min_bits, max_bits;/*!< RSA modulus limits; 0 otherwise */
	unsigned long keygen_mech;  /*!< CKM_*_KEY_PAIR_GEN */
	unsigned long sign_mech;    /*!< CKM_RSA_PKCS, CKM_ECDSA, CKM_EDDSA */
};

/*!
 * \brief Looks up an algorithm by number.
 * \param[in] alg  DNSSEC algorithm number
 * \return the static entry, or NULL when tldsign does not support it
 */
const struct tld_alg_info *tld_alg_info(int alg);

/*!
 * \brief Looks up an algorithm by number ("13") or name ("ecdsap256sha256").
 * \return the static entry, or NULL
 */
const struct tld_alg_info *tld_alg_info_parse(const char *text);

/*! Largest signature any supported algorithm produces (RSA 4096). */
#define TLD_SIG_MAX 512
