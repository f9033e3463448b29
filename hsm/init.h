/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tldsign init`: a SoftHSM2 token of the instance's own, and its first keys. */
#pragma once

#include "policy/policy.h"

/*! Token label used by tld_init_hsm(). */
#define TLD_INIT_TOKEN_LABEL "tldsign"

/*!
 * \brief Creates DIR/hsm/ with softhsm2.conf (token directory DIR/hsm/tokens),
 *        a random user PIN in DIR/hsm/pin and the SO PIN in DIR/hsm/so-pin
 *        (both mode 0600, never on any command line), initialises the token
 *        "tldsign" through PKCS#11 (C_InitToken, C_InitPIN), and generates the
 *        keys the policy asks for (KSK + ZSK, or a CSK) with
 *        tld_key_generate(), recording them in the state store.
 *
 * The matching tldsign.yaml lines are: module MODULE, token: tldsign,
 * pin-file: hsm/pin, softhsm-conf: hsm/softhsm2.conf.  Refuses when
 * DIR/hsm/softhsm2.conf already exists (never re-initialises a token).
 * \param[in] dir        the instance directory (exists)
 * \param[in] zone       zone name with trailing dot
 * \param[in] pol        the policy (algorithm, use_csk, rsa_bits)
 * \param[in] module     PKCS#11 module path; NULL = /usr/lib/softhsm/libsofthsm2.so
 * \param[in] state_dir  the state directory; NULL = DIR/state
 * \return TLD_OK, TLD_EEXIST, TLD_EIO, TLD_EHSM, TLD_EPIN, TLD_ESTATE, TLD_EINVAL, TLD_ENOMEM
 */
int tld_init_hsm(const char *dir, const char *zone, const struct tld_policy *pol,
                 const char *module, const char *state_dir);

/*!
 * \brief The HSM step of `tldsign init`: loads DIR/tldsign.yaml and the policy
 *        it names, then tld_init_hsm() with the config's zone, module and
 *        state directory.
 * \return as tld_init_hsm(), or the loaders' errors
 */
int tld_init_hsm_instance(const char *dir);
