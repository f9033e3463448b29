/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "common/error.h"

/* -- public API -- */

const char *tld_strerror(int err)
{
	switch (err) {
	case TLD_OK:         return "success";
	case TLD_EUSAGE:     return "usage error";
	case TLD_ECONFIG:    return "configuration error";
	case TLD_EPARSE:     return "parse error";
	case TLD_EEXPORT:    return "registry export rejected";
	case TLD_EGUARD:     return "refused by a safety guard";
	case TLD_EZONE:      return "invalid zone data";
	case TLD_EHSM:       return "HSM failure";
	case TLD_EPIN:       return "HSM PIN missing or rejected";
	case TLD_EKEY:       return "key missing or unusable";
	case TLD_EKEYTAG:    return "key tag collides with an existing key of the zone";
	case TLD_ECRYPTO:    return "cryptographic operation failed";
	case TLD_EVERIFY:    return "verification failed";
	case TLD_ESTATE:     return "state store failure";
	case TLD_ELOCKED:    return "another run holds the lock";
	case TLD_ETIME:      return "invalid time or clock went backwards";
	case TLD_ENET:       return "network failure";
	case TLD_EPROTO:     return "malformed DNS message";
	case TLD_ETSIG:      return "TSIG verification failed";
	case TLD_ESECONDARY: return "not every secondary confirmed the new serial";
	case TLD_EPOLICY:    return "refused by the key policy";
	case TLD_ENOTIMPL:   return "not implemented yet";
	case TLD_ECANCELED:  return "canceled by the operator";
	default:
		break;
	}
	if (err < 0 && err > TLD_ERROR_MIN) {
		return strerror(-err);
	}
	return "unknown error";
}

int tld_exit_code(int err)
{
	switch (err) {
	case TLD_OK:
		return TLD_EXIT_OK;
	case TLD_EUSAGE:
	case TLD_ECONFIG:
	case TLD_ENOTIMPL:
	case TLD_EPOLICY:
	case TLD_ECANCELED:
		return TLD_EXIT_USAGE;
	case TLD_EPARSE:
	case TLD_EEXPORT:
	case TLD_EGUARD:
	case TLD_EZONE:
	case TLD_ETIME:
		return TLD_EXIT_REJECTED;
	case TLD_EHSM:
	case TLD_EPIN:
	case TLD_EKEY:
	case TLD_EKEYTAG:
		return TLD_EXIT_HSM;
	case TLD_EVERIFY:
		return TLD_EXIT_VERIFY;
	case TLD_ESECONDARY:
		return TLD_EXIT_SECONDARY;
	case TLD_ELOCKED:
		return TLD_EXIT_LOCKED;
	default:
		return TLD_EXIT_FAILURE;
	}
}
