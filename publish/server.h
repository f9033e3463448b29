/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `tldsign serve`, the hidden primary: one thread runs a poll(2) event loop
 * over UDP and TCP sockets on every configured address; transfers are
 * generated message by message as the client's socket drains, so a slow
 * client never blocks another.  A loader thread brings in newly published
 * versions (from the state store, after their commit) and swaps them in;
 * transfers in progress keep the snapshot they started with.
 */
#pragma once

#include <signal.h>
#include <stddef.h>

#include "common/config.h"

/*! Limits of the server (defaults in tld_server_limits_default()). */
struct tld_server_limits {
	unsigned max_connections;     /*!< TCP connections in total */
	unsigned max_per_client;      /*!< TCP connections per source address */
	int idle_timeout_ms;          /*!< a connection without progress is closed */
	int reload_interval_ms;       /*!< how often the state store is checked */
};

/*! The defaults: 256 connections, 16 per client, 20 s idle, 0.25 s reload check. */
struct tld_server_limits tld_server_limits_default(void);

typedef struct tld_server tld_server_t;

/*!
 * \brief Opens the sockets and loads the current version.
 * \param[in]  cfg  configuration; must outlive the server
 * \param[out] out  caller frees with tld_server_free(); written only on success
 * \return TLD_OK, TLD_ENET (cannot bind), TLD_ESTATE, TLD_ENOMEM
 */
int tld_server_new(const struct tld_config *cfg, const struct tld_server_limits *limits,
                   tld_server_t **out);

/*!
 * \brief Runs until *stop becomes non-zero (set it from a signal handler).
 * \return TLD_OK or TLD_ENET on a fatal socket error
 */
int tld_server_run(tld_server_t *srv, volatile sig_atomic_t *stop);

/*! Closes the sockets and releases everything; NULL is a no-op. */
void tld_server_free(tld_server_t *srv);

