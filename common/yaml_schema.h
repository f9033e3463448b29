/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A declarative schema for YAML configuration files (after knot's
 * conf/schema.c): a static table of {key, type, range, default, target} drives
 * parsing, conversion and validation.  Every problem is reported as
 * "file:line:column: key.path: problem"; the walk continues after a problem so
 * that all of them are reported.
 *
 * Conversions at load: names are lower-cased with a trailing dot, durations
 * become seconds, shares become fractions ("5%" -> 0.05; a bare number is
 * refused), relative paths are resolved against the file's directory,
 * addresses and prefixes are parsed, base64 is decoded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/yaml_doc.h"

enum tld_ytype {
	TLD_Y_MAP = 1,   /*!< children: the key table; offsets relative to the same base */
	TLD_Y_SEQ,       /*!< children: one element item; size: element size;
	                      offset: element array pointer; count_offset: size_t count;
	                      min/max: element count (max 0 = unbounded) */
	TLD_Y_STR,       /*!< char *; empty -> NULL */
	TLD_Y_NAME,      /*!< char *; domain name, lower case, trailing dot */
	TLD_Y_PATH,      /*!< char *; resolved against the file's directory */
	TLD_Y_INT,       /*!< size 1, 2, 4 (unsigned) or 8 (int64_t); min/max */
	TLD_Y_DURATION,  /*!< int64_t seconds; min/max */
	TLD_Y_SHARE,     /*!< double fraction from "N%" */
	TLD_Y_BOOL,      /*!< bool; true/false */
	TLD_Y_ENUM,      /*!< enums; written with width size (1, 2 or 4) */
	TLD_Y_ADDR,      /*!< struct tld_sockaddr: "addr" or "addr@port" (default 53) */
	TLD_Y_PREFIX,    /*!< struct tld_prefix: "addr/bits" or "addr" */
	TLD_Y_BASE64,    /*!< uint8_t *; length (size_t) at count_offset */
	TLD_Y_CUSTOM,    /*!< conv() does the work */
};

enum tld_yflag {
	TLD_YF_REQUIRED = 1u << 0,  /*!< the key must be present (and, for strings, non-empty) */
};

struct tld_yenum {
	const char *name;
	int value;
};

struct tld_yctx;
struct tld_yitem;

/*!
 * \brief Converter for TLD_Y_CUSTOM.
 * \param[in] ctx    the walk (use tld_yreport() for problems)
 * \param[in] item   the schema item
 * \param[in] node   the value node (never NULL)
 * \param[in] path   the key path for messages
 * \param[in] field  the target field
 * \return TLD_OK (also after a reported problem) or TLD_ENOMEM
 */
typedef int (*tld_yconv_fn)(struct tld_yctx *ctx, const struct tld_yitem *item,
                            const struct tld_ynode *node, const char *path, void *field);

struct tld_yitem {
	const char *key;                   /*!< NULL terminates a key table */
	enum tld_ytype type;
	unsigned flags;                    /*!< enum tld_yflag */
	int64_t min, max;
	const char *def;                   /*!< default as YAML text, or NULL */
	size_t offset;                     /*!< target field, from the base */
	size_t size;                       /*!< integer width or element size */
	size_t count_offset;               /*!< SEQ/BASE64: where the size_t count goes */
	const struct tld_yitem *children;  /*!< MAP: key table; SEQ: element item */
	const struct tld_yenum *enums;     /*!< ENUM: NULL-name terminated */
	tld_yconv_fn conv;                 /*!< CUSTOM */
};

/*! One walk over one file. */
struct tld_yctx {
	const char *file;          /*!< name in messages */
	const char *dir;           /*!< directory for relative paths; NULL = keep as written */
	struct tld_diag *diag;
	unsigned problems;         /*!< problems reported so far */
};

/*!
 * \brief Applies a key table to a mapping node (or to nothing: defaults and
 *        required-key checks only), writing into base.
 * \param[in] ctx    the walk
 * \param[in] table  NULL-key terminated key table
 * \param[in] map    the mapping, or NULL when the whole section is absent
 * \param[in] path   key path of the mapping ("" for the root)
 * \param[in] where  node used to place "missing key" problems when map is NULL
 * \param[in] base   target struct
 * \return TLD_OK (problems are counted in ctx) or TLD_ENOMEM
 */
int tld_yschema_apply(struct tld_yctx *ctx, const struct tld_yitem *table,
                      const struct tld_ynode *map, const char *path,
                      const struct tld_ynode *where, void *base);

/*! Reports "file:line:column: path: message" at node (1:1 if NULL); counts it. */
int tld_yreport(struct tld_yctx *ctx, const struct tld_ynode *node, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*!
 * \brief Normalises a domain name: lower case, trailing dot, LDH/underscore
 *        labels of 1..63 characters, at most 253 characters.
 * \param[out] out  caller frees; written only on success
 * \return TLD_OK, TLD_EINVAL, TLD_ENOMEM
 */
int tld_name_normalise(const char *text, char **out);

/*!
 * \brief Parses "addr", "addr@port" (IPv4 or IPv6, default port 53).
 * \return TLD_OK or TLD_EINVAL; text is not stored
 */
int tld_sockaddr_parse(const char *text, struct tld_sockaddr *out);

/*! Parses "addr/bits" or a bare address (host bits must be zero). TLD_OK or TLD_EINVAL. */
int tld_prefix_parse(const char *text, struct tld_prefix *out);

/*! Whether an address matches a prefix. */
bool tld_prefix_match(const struct tld_prefix *prefix, const struct sockaddr *sa);

/*!
 * \brief Decodes strict base64 (RFC 4648, padding required, whitespace refused).
 * \param[out] out  caller frees; written only on success
 * \return TLD_OK, TLD_EINVAL, TLD_ENOMEM
 */
int tld_base64_decode(const char *text, uint8_t **out, size_t *out_len);

/*! Decodes hex (even length, either case) into buf of size cap. TLD_OK, TLD_EINVAL, TLD_ERANGE. */
int tld_hex_decode(const char *text, uint8_t *buf, size_t cap, size_t *out_len);

/*! Parses a share "5%", "0.5%" (0..100%) into a fraction. TLD_OK or TLD_EINVAL. */
int tld_share_parse(const char *text, double *out);
