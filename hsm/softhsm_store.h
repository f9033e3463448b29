/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A known way SoftHSM's file store loses a token, told to the operator.
 *
 * SoftHSM (file backend) rewrites each token's token.object in place, first
 * emptying it, at every C_Login (it clears the PIN-count-low flag).  A
 * process killed at that instant -- kill -9, the OOM killer, a power loss --
 * leaves token.object empty, and SoftHSM then no longer lists the token: its
 * keys cannot be used until token.object is restored from a backup of the
 * token directory.  Every signer that logs in to SoftHSM has this window;
 * tldsign logs in once per run and once per signing worker.
 */
#pragma once

/*!
 * \brief When a token was not found: looks in the token directory of the
 *        SoftHSM configuration named by SOFTHSM2_CONF (if any) for an empty
 *        token.object and logs an error naming it, with what to do.  Reads
 *        only; does nothing for other modules or when nothing is found.
 */
void tld_softhsm_explain_missing_token(void);
