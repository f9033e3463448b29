/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The state store: one SQLite database, STATE_DIR/state.db, in WAL mode.
 *
 * Each module owns its own tables and creates them itself (CREATE TABLE IF
 * NOT EXISTS in its own file: hsm/ the keys, policy/ key states and the audit
 * log, publish/ versions and the journal index).  Every change that spans
 * more than one statement runs inside tld_statedb_begin()/commit() so a
 * crash leaves either the old or the new state, never a mix.
 */
#pragma once

#include <sqlite3.h>

typedef struct tld_statedb tld_statedb_t;

/*!
 * \brief Opens (creating if needed) STATE_DIR/state.db; creates STATE_DIR
 *        (mode 0700) when missing.  WAL, synchronous=FULL, foreign keys on,
 *        a busy timeout of 10 s.
 * \param[out] out  caller closes with tld_statedb_close(); written only on success
 * \return TLD_OK or TLD_ESTATE / TLD_EIO / TLD_ENOMEM
 */
int tld_statedb_open(const char *state_dir, tld_statedb_t **out);

/*! Closes the store; NULL is a no-op.  An open transaction is rolled back. */
void tld_statedb_close(tld_statedb_t *db);

/*! The underlying handle, for prepared statements.  Owned by db. */
sqlite3 *tld_statedb_handle(tld_statedb_t *db);

/*! BEGIN IMMEDIATE.  \return TLD_OK or TLD_ESTATE (logged) */
int tld_statedb_begin(tld_statedb_t *db);

/*! COMMIT.  \return TLD_OK or TLD_ESTATE (logged; the transaction is rolled back) */
int tld_statedb_commit(tld_statedb_t *db);

/*! ROLLBACK; safe to call when no transaction is open. */
void tld_statedb_rollback(tld_statedb_t *db);

/*! Runs one or more SQL statements without results.  \return TLD_OK or TLD_ESTATE (logged) */
int tld_statedb_exec(tld_statedb_t *db, const char *sql);

/*!
 * \brief Prepares a statement and binds `zone` to ?1 (NULL: binds nothing).
 * \param[out] out  caller finalizes with sqlite3_finalize(); written only on success
 * \return TLD_OK or TLD_ESTATE (logged with `what`)
 */
int tld_statedb_prepare(tld_statedb_t *db, const char *sql, const char *zone, const char *what,
                        sqlite3_stmt **out);

/*!
 * \brief Adds a column to a table made by an earlier release, when it is
 *        missing (CREATE TABLE IF NOT EXISTS does not add it).
 * \param[in] table, column  SQL names (the caller's constants, not input)
 * \param[in] decl           the column's type and constraints, e.g. "TEXT"
 * \return TLD_OK or TLD_ESTATE (logged)
 */
int tld_statedb_add_column(tld_statedb_t *db, const char *table, const char *column, const char *decl);

/*! Logs the last SQLite error with context and returns TLD_ESTATE. */
int tld_statedb_error(tld_statedb_t *db, const char *what);
