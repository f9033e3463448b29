/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small YAML document model over libyaml, with the line and column of every
 * node, and a list of diagnostics ("file:line:column: problem").
 *
 * Only what configuration files need: one document of mappings, sequences and
 * scalars.  Anchors, aliases and tags are refused (no "billion laughs"), and
 * nesting depth, node count and input size are bounded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*! Limits that keep a hostile file cheap to reject. */
#define TLD_YAML_MAX_BYTES   (4u << 20)   /*!< input size */
#define TLD_YAML_MAX_DEPTH   32u          /*!< nested collections */
#define TLD_YAML_MAX_NODES   100000u      /*!< nodes in a document */
#define TLD_DIAG_MAX         200u         /*!< diagnostics kept (the rest are counted) */

enum tld_ynode_type {
	TLD_YNODE_SCALAR = 1,
	TLD_YNODE_SEQ,
	TLD_YNODE_MAP,
};

struct tld_ynode {
	enum tld_ynode_type type;
	unsigned line, col;        /*!< 1-based position of the node's first character */
	char *value;               /*!< SCALAR: NUL-terminated text */
	size_t len;                /*!< SCALAR: length of value (may contain no NUL) */
	bool plain;                /*!< SCALAR: unquoted */
	struct tld_ynode **items;  /*!< SEQ: elements; MAP: key0, value0, key1, value1, ... */
	size_t count;              /*!< number of pointers in items */
};

/*! Collected problems, each already formatted as "file:line:column: problem". */
struct tld_diag {
	char **msgs;
	size_t count;              /*!< messages kept */
	size_t dropped;            /*!< messages beyond TLD_DIAG_MAX, counted only */
	size_t cap;
	bool oom;                  /*!< a message could not be stored */
};

/*! Type name for messages: "a scalar", "a sequence", "a mapping". */
const char *tld_ynode_type_name(const struct tld_ynode *node);

/*! Whether a scalar is YAML null (plain "", "~", "null"). */
bool tld_ynode_is_null(const struct tld_ynode *node);

/*!
 * \brief Parses one YAML document from memory.
 *
 * Syntax errors, an empty document, more than one document, anchors, aliases,
 * tags and exceeded limits are reported into diag (using file as the name).
 *
 * \param[in]  file  name used in messages
 * \param[in]  data  the text (need not be NUL-terminated)
 * \param[in]  len   its length
 * \param[in]  diag  where problems go
 * \param[out] out   root node; caller frees with tld_ynode_free(); written only on success
 * \return TLD_OK, TLD_ECONFIG (problems reported into diag), TLD_ENOMEM
 */
int tld_ydoc_parse(const char *file, const char *data, size_t len, struct tld_diag *diag,
                   struct tld_ynode **out);

/*! Releases a node tree; NULL is a no-op. */
void tld_ynode_free(struct tld_ynode *node);

/*! In a mapping, the value of the first key equal to key; NULL if absent. */
const struct tld_ynode *tld_ynode_get(const struct tld_ynode *map, const char *key);

/*!
 * \brief Follows a dotted path of mapping keys ("signatures.refresh").
 * \return the node, or NULL if some step is absent or not a mapping
 */
const struct tld_ynode *tld_ynode_path(const struct tld_ynode *root, const char *dotted);

/*!
 * \brief Adds a problem "file:line:column: message" to diag ("file: message"
 *        when line is 0: a problem with the file as a whole).
 * \return TLD_OK or TLD_ENOMEM
 */
int tld_diag_add(struct tld_diag *diag, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*! Total problems reported (kept + dropped). */
size_t tld_diag_total(const struct tld_diag *diag);

/*! Logs every kept message with tld_error(), and a count of dropped ones. */
void tld_diag_log(const struct tld_diag *diag);

/*! Releases the messages (not the struct itself); leaves an empty list. */
void tld_diag_clear(struct tld_diag *diag);

/*!
 * \brief Reads a whole file (at most TLD_YAML_MAX_BYTES) into a NUL-terminated buffer.
 * \param[out] out  caller frees with free(); written only on success
 * \return TLD_OK, TLD_ENOENT, TLD_EACCES, TLD_EIO, TLD_ERANGE (too large), TLD_ENOMEM
 */
int tld_read_file(const char *path, char **out, size_t *len);
