/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The signing and rollover policy, policy.yaml (DESIGN.md section 8).
 *
 * Loaded by tld_policy_load(); durations are seconds.  The struct owns its
 * arrays; tld_policy_free() releases them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! DNSSEC algorithm numbers (RFC 8624). */
enum tld_algorithm {
	TLD_ALG_RSASHA256 = 8,
	TLD_ALG_RSASHA512 = 10,
	TLD_ALG_ECDSAP256SHA256 = 13,
	TLD_ALG_ECDSAP384SHA384 = 14,
	TLD_ALG_ED25519 = 15,
	TLD_ALG_ED448 = 16,
};

enum tld_key_role {
	TLD_ROLE_KSK = 1,
	TLD_ROLE_ZSK = 2,
	TLD_ROLE_CSK = 3,
};

enum tld_ksk_rollover { TLD_KSK_DOUBLE_DS = 1, TLD_KSK_DOUBLE_KSK = 2 };
enum tld_zsk_rollover { TLD_ZSK_PRE_PUBLISH = 1 };
enum tld_denial_type { TLD_DENIAL_NSEC = 1, TLD_DENIAL_NSEC3 = 2 };
enum tld_serial_scheme { TLD_SERIAL_UNIXTIME = 1, TLD_SERIAL_DATECOUNTER = 2, TLD_SERIAL_COUNTER = 3 };
enum tld_cds_mode {
	TLD_CDS_NONE = 0,
	TLD_CDS_ROLLOVER = 1,
	TLD_CDS_ALWAYS = 2,
	TLD_CDS_DELETE = 3,           /*!< RFC 8078 delete records: ask the parent to remove every DS */
};

struct tld_policy {
	char *path;

	enum tld_algorithm algorithm;
	bool use_csk;                 /*!< keys: csk alone (else ksk + zsk) */
	int64_t ksk_lifetime;         /*!< seconds; 0 = unlimited */
	int64_t zsk_lifetime;
	int64_t csk_lifetime;
	unsigned rsa_bits;            /*!< for algorithms 8 and 10; default 2048 */

	enum tld_ksk_rollover ksk_rollover;
	enum tld_zsk_rollover zsk_rollover;

	struct {
		enum tld_denial_type type;
		bool opt_out;
		uint16_t iterations;
		uint8_t salt[255];
		uint8_t salt_len;
	} denial;

	struct {
		int64_t validity;
		int64_t dnskey_validity;
		int64_t refresh;
		int64_t jitter;
		int64_t inception_offset;
	} signatures;

	enum tld_serial_scheme serial;

	struct {
		uint32_t dnskey;
		uint32_t max_zone;
	} ttl;

	struct {
		uint32_t ds_ttl;
		int64_t propagation_delay;
		uint8_t ds_digest;            /*!< 2 (SHA-256) or 4 (SHA-384) */
		enum tld_cds_mode cds;
		char **nameservers;           /*!< "addr" or "addr@port" strings */
		size_t nameservers_count;
		int64_t ds_wait_warning;      /*!< a DS change waiting on the parent longer is a warning */
	} parent;

	struct {
		int64_t propagation_delay;
		int64_t publish_safety;
		int64_t retire_safety;
	} timing;
};

/*!
 * \brief Loads and validates a policy file; problems are logged as
 *        "file:line:column: problem".
 * \param[out] out  caller frees with tld_policy_free(); written only on success
 * \return TLD_OK, TLD_ECONFIG, TLD_ENOENT/TLD_EIO, TLD_ENOMEM
 */
int tld_policy_load(const char *path, struct tld_policy **out);

/*! Releases a policy; NULL is a no-op. */
void tld_policy_free(struct tld_policy *pol);

/*! Algorithm name as in the policy file ("ecdsap256sha256"); NULL if unknown. */
const char *tld_algorithm_name(int algorithm);

/*! Algorithm number from its policy name or decimal number; 0 if unknown. */
int tld_algorithm_from_name(const char *name);

/*! "ksk", "zsk", "csk". */
const char *tld_role_name(enum tld_key_role role);

/*! Role from "ksk"/"zsk"/"csk"; 0 if unknown. */
int tld_role_from_name(const char *name);

struct tld_diag;

/*!
 * \brief Parses and validates policy text from memory (behind tld_policy_load();
 *        also used by the fuzzer and the unit tests).
 * \param[in]  name  file name used in messages and kept as pol->path
 * \param[in]  data  the YAML text
 * \param[in]  len   its length
 * \param[in]  diag  every problem is added as "file:line:column: problem"
 * \param[out] out   caller frees with tld_policy_free(); written only on success
 * \return TLD_OK, TLD_ECONFIG, TLD_ENOMEM
 */
int tld_policy_parse(const char *name, const char *data, size_t len, struct tld_diag *diag,
                     struct tld_policy **out);

/*!
 * \brief Like tld_policy_load(), but collects problems into diag instead of logging.
 * \return TLD_OK, TLD_ECONFIG, TLD_ENOENT/TLD_EIO/TLD_EACCES, TLD_ENOMEM
 */
int tld_policy_load_diag(const char *path, struct tld_diag *diag, struct tld_policy **out);

/*! Whether an algorithm is RSA (8 or 10). */
bool tld_algorithm_is_rsa(int algorithm);
