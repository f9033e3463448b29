/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal: the PKCS#11 context struct, shared by hsm/hsm*.c only. */
#pragma once

#include "hsm/algorithm.h"
#include "hsm/hsm.h"
#include "hsm/p11.h"

struct tld_hsm {
	void *dl;
	CK_FUNCTION_LIST *f;
	bool initialized;
	bool have_session;
	bool pin_rejected;
	bool quiet;       /* tld_hsm_open_quiet() while it opens: nothing logged */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	char module_path[1024];
	char token[64];
	char pin[256];
	char error[512];
	char lost[256];   /* last session-lost sign error, not yet recorded */
};

/*! Records "ACTION: CKR_NAME" as the first error; returns code. */
int tld_hsm_ckr(tld_hsm_t *hsm, unsigned long rv, int code, const char *action);

/*!
 * \brief Unwraps a DER OCTET STRING (CKA_EC_POINT as tokens return it); a value
 *        that is not exactly one OCTET STRING is returned as it is (some
 *        tokens give the raw point).  *val points into p.
 * \return TLD_OK or TLD_EKEY (malformed long-form length)
 */
int tld_hsm_der_octets(const uint8_t *p, size_t len, const uint8_t **val, size_t *vlen);
