/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `tldsign policy check`: warnings about a loaded policy that the loader
 * accepts but that are risky (lifetimes shorter than the rollover they
 * need, RFC 9276 violations, SHA-1, short RSA keys, signatures that expire
 * before caches forget them).
 */
#pragma once

#include <stddef.h>

#include "policy/policy.h"

/*! Receives one warning; `key` names the policy setting ("keys.zsk.lifetime"). */
typedef void (*tld_lint_fn)(const char *key, const char *message, void *ctx);

/*!
 * \brief Checks a policy and reports each warning through fn.
 * \return the number of warnings
 */
unsigned tld_policy_lint(const struct tld_policy *pol, tld_lint_fn fn, void *ctx);
