/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The instance configuration, tldsign.yaml (DESIGN.md section 8).
 *
 * Loaded once by tld_config_load(); every string and array is owned by the
 * struct and released by tld_config_free().  Relative paths in the file are
 * resolved against the directory of the config file at load time, so every
 * path below is usable as it is.  Durations are seconds, shares are fractions
 * (5% -> 0.05).  Addresses and prefixes are parsed at load time so that a bad
 * one is reported as file:line:column.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*! An address with port: "127.0.0.1@5300", "::1@5300" (default port 53). */
struct tld_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
	char *text;                /*!< as written in the file */
};

/*! An address prefix: "127.0.0.0/8", "::1/128", or a bare address. */
struct tld_prefix {
	int family;                /*!< AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

enum tld_tsig_alg {
	TLD_TSIG_HMAC_SHA256 = 1,
	TLD_TSIG_HMAC_SHA512 = 2,
};

struct tld_tsig_key {
	char *name;                /*!< key name as a domain name, lower case, with trailing dot */
	enum tld_tsig_alg algorithm;
	uint8_t *secret;           /*!< decoded from base64 */
	size_t secret_len;
};

struct tld_acl_entry {
	char *key;                 /*!< TSIG key name (as in tsig[].name); NULL = no key required */
	struct tld_prefix *from;
	size_t from_count;
};

struct tld_secondary {
	struct tld_sockaddr address;
	char *key;                 /*!< TSIG key name or NULL */
};

struct tld_soa_config {
	char *mname;               /*!< absolute, lower case */
	char *rname;
	uint32_t refresh, retry, expire, minimum, ttl;
};

enum tld_digest {
	TLD_DIGEST_SHA256 = 2,     /*!< DS digest type numbers */
	TLD_DIGEST_SHA384 = 4,
};

struct tld_config {
	char *path;                /*!< the config file as given */
	char *dir;                 /*!< its directory, for relative paths */

	char *zone;                /*!< zone name, lower case, trailing dot ("test.") */
	char *export_dir;
	char *state_dir;
	char *policy_path;

	struct {
		char *module;
		char *token;           /*!< token label */
		char *pin_file;        /*!< NULL when pin_env is used */
		char *pin_env;         /*!< environment variable name, or NULL */
		char *softhsm_conf;    /*!< NULL when not set */
		bool session_key_copies; /*!< sign with session copies of the keys (hsm/signpool.h); default true */
		bool early_workers;    /*!< `tldsign run` starts its signing workers at its start (hsm/signpool.h,
		                            run/pipeline.h); default true */
	} hsm;

	struct {
		struct tld_soa_config soa;
		char **ns;             /*!< absolute names */
		size_t ns_count;
		char *records;         /*!< zone-file snippet path, or NULL */
	} apex;

	struct {
		uint32_t delegation_ns, ds, glue;
	} ttl;

	struct {
		uint8_t *ds_algorithms;
		size_t ds_algorithms_count;
		uint8_t *ds_digest_types;
		size_t ds_digest_types_count;
		enum tld_digest keydata_digest;
	} zonegen;

	struct {
		char *dir;
		unsigned keep;
		char *after_publish;   /*!< NULL or "" = none */
	} output;

	struct {
		struct tld_sockaddr *listen;
		size_t listen_count;
		struct tld_tsig_key *tsig;
		size_t tsig_count;
		struct tld_acl_entry *acl;
		size_t acl_count;
		struct tld_secondary *secondaries;
		size_t secondaries_count;
		int64_t notify_timeout;
		int64_t confirm_timeout;
	} publish;

	struct {
		double max_delegation_drop;  /*!< fraction 0..1 */
		double max_ds_drop;
		double max_bad_rows;
		int64_t max_export_age;      /*!< seconds */
	} guards;

	struct {
		/*!
		 * Seconds: `tldsign run` verifies a new version from scratch (every
		 * record parsed and checked) at least this often; between, it may
		 * verify it as the changes from the last verified version
		 * (verify/vstate.h).  0: always from scratch.
		 */
		int64_t full_every;
	} verify;
};

/*!
 * \brief Loads and validates a config file.
 *
 * Errors are logged as "file:line:column: problem" (every problem found, not
 * only the first).
 *
 * \param[in]  path  the file
 * \param[out] out   the config; caller frees with tld_config_free(); written only on success
 * \return TLD_OK, TLD_ECONFIG (invalid content), TLD_ENOENT/TLD_EIO (unreadable), TLD_ENOMEM
 */
int tld_config_load(const char *path, struct tld_config **out);

/*! Releases a config and everything it owns; NULL is a no-op. */
void tld_config_free(struct tld_config *cfg);

/*! Finds a TSIG key by name (case-insensitive); NULL if absent. */
const struct tld_tsig_key *tld_config_tsig_key(const struct tld_config *cfg, const char *name);

/*!
 * \brief Resolves the config path: the explicit -c value, else $TLDSIGN_CONFIG,
 *        else "./tldsign.yaml".  Returns a pointer to static or given storage.
 */
const char *tld_config_default_path(const char *explicit_path);

struct tld_diag;

/*!
 * \brief Parses and validates config text from memory (the loader behind
 *        tld_config_load(); also used by the fuzzer and the unit tests).
 * \param[in]  name  file name used in messages and kept as cfg->path
 * \param[in]  dir   directory for relative paths (NULL or "" = as written)
 * \param[in]  data  the YAML text
 * \param[in]  len   its length
 * \param[in]  diag  every problem is added here as "file:line:column: problem"
 * \param[out] out   caller frees with tld_config_free(); written only on success
 * \return TLD_OK, TLD_ECONFIG, TLD_ENOMEM
 */
int tld_config_parse(const char *name, const char *dir, const char *data, size_t len,
                     struct tld_diag *diag, struct tld_config **out);

/*!
 * \brief Like tld_config_load(), but collects the problems into diag instead
 *        of logging them (a file that cannot be read is reported there too).
 * \return TLD_OK, TLD_ECONFIG, TLD_ENOENT/TLD_EIO/TLD_EACCES, TLD_ENOMEM
 */
int tld_config_load_diag(const char *path, struct tld_diag *diag, struct tld_config **out);
