/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One project-wide error code space.
 *
 * Every fallible function returns an int: TLD_OK (0) on success, a negative
 * TLD_E* code on failure.  Codes that have an errno equivalent use it
 * (TLD_ENOMEM == -ENOMEM); the others live in a private range that cannot
 * collide with errno values.  tld_strerror() names any code;
 * tld_exit_code() maps a code onto the documented process exit codes.
 */
#pragma once

#include <errno.h>

enum tld_error {
	TLD_OK = 0,

	/* errno-mapped */
	TLD_ENOMEM = -ENOMEM,
	TLD_EINVAL = -EINVAL,
	TLD_EIO = -EIO,
	TLD_ENOENT = -ENOENT,
	TLD_EEXIST = -EEXIST,
	TLD_EACCES = -EACCES,
	TLD_ENOSPC = -ENOSPC,
	TLD_ERANGE = -ERANGE,
	TLD_EAGAIN = -EAGAIN,
	TLD_ETIMEDOUT = -ETIMEDOUT,

	/* private range: TLD_ERROR_MIN .. TLD_ERROR_MAX */
	TLD_ERROR_MIN = -2100,
	TLD_EUSAGE = TLD_ERROR_MIN, /*!< bad command line */
	TLD_ECONFIG,                /*!< bad configuration or policy file */
	TLD_EPARSE,                 /*!< malformed input text (zone file, CSV, ...) */
	TLD_EEXPORT,                /*!< registry export rejected (manifest, rows) */
	TLD_EGUARD,                 /*!< a safety guard refused the run */
	TLD_EZONE,                  /*!< zone content invalid (CNAME+data, no SOA, ...) */
	TLD_EHSM,                   /*!< PKCS#11 module, token or operation failed */
	TLD_EPIN,                   /*!< PIN missing or rejected (never retried) */
	TLD_EKEY,                   /*!< key missing, unusable or of the wrong kind */
	TLD_EKEYTAG,                /*!< key tag would collide with a key of the zone */
	TLD_ECRYPTO,                /*!< OpenSSL operation failed */
	TLD_EVERIFY,                /*!< signed zone failed verification */
	TLD_ESTATE,                 /*!< state store (SQLite) failure */
	TLD_ELOCKED,                /*!< another run holds the state lock */
	TLD_ETIME,                  /*!< clock went backwards or time invalid */
	TLD_ENET,                   /*!< network operation failed */
	TLD_EPROTO,                 /*!< malformed or unexpected DNS message */
	TLD_ETSIG,                  /*!< TSIG verification failed */
	TLD_ESECONDARY,             /*!< published, not every secondary confirmed */
	TLD_EPOLICY,                /*!< policy/state machine refused the operation */
	TLD_ENOTIMPL,               /*!< command or feature not built yet */
	TLD_ECANCELED,              /*!< operator declined a confirmation */
	TLD_ERROR_MAX = TLD_ECANCELED,
};

/*! Documented, stable process exit codes (README "Exit codes"). */
enum tld_exit {
	TLD_EXIT_OK = 0,         /*!< success */
	TLD_EXIT_FAILURE = 1,    /*!< internal or I/O failure not covered below */
	TLD_EXIT_USAGE = 2,      /*!< usage, configuration or policy error */
	TLD_EXIT_REJECTED = 3,   /*!< input rejected: export, zone data or guard */
	TLD_EXIT_HSM = 4,        /*!< HSM failure */
	TLD_EXIT_VERIFY = 5,     /*!< verification failed, nothing published */
	TLD_EXIT_SECONDARY = 6,  /*!< published, not every secondary confirmed */
	TLD_EXIT_LOCKED = 7,     /*!< another run holds the lock */
};

/*!
 * \brief Human-readable text for an error code (never NULL, static storage).
 */
const char *tld_strerror(int err);

/*!
 * \brief Maps an error code onto a documented exit code (enum tld_exit).
 */
int tld_exit_code(int err);

/*! Negative errno (from errno.h) as a TLD error code; TLD_EIO if 0. */
static inline int tld_errno(int e)
{
	return e > 0 ? -e : TLD_EIO;
}
