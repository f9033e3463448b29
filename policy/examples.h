/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The example policies (the shapes a TLD would run), built in so that
 * `policy simulate --example NAME` and the unit tests need no policy file.
 */
#pragma once

#include <stddef.h>

#include "policy/policy.h"

/*!
 * \brief Fills pol with a built-in example policy.  The struct owns no
 *        memory afterwards (path and nameservers are NULL): do not pass it
 *        to tld_policy_free().
 * \param[in]  name  "ecdsa-double-ds", "ecdsa-double-ksk", "csk", "rsa"
 * \param[out] pol   written only on success
 * \return TLD_OK or TLD_ENOENT (unknown name)
 */
int tld_policy_example(const char *name, struct tld_policy *pol);

/*! Names of the built-in examples, NULL-terminated. */
extern const char *const tld_policy_example_names[];
