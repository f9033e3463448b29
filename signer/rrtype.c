/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/rrtype.h"

bool signer_rrtype_rdata_names(uint16_t type, size_t *skip, unsigned *names)
{
	switch (type) {
	case SIGNER_T_NS: case SIGNER_T_MD: case SIGNER_T_MF: case SIGNER_T_CNAME:
	case SIGNER_T_MB: case SIGNER_T_MG: case SIGNER_T_MR: case SIGNER_T_PTR:
	case SIGNER_T_DNAME:
		*skip = 0;
		*names = 1;
		return true;
	case SIGNER_T_SOA: case SIGNER_T_MINFO: case SIGNER_T_RP:
		*skip = 0;
		*names = 2;
		return true;
	case SIGNER_T_MX: case SIGNER_T_AFSDB: case SIGNER_T_RT: case SIGNER_T_KX:
		*skip = 2;
		*names = 1;
		return true;
	case SIGNER_T_PX:
		*skip = 2;
		*names = 2;
		return true;
	case SIGNER_T_SRV:
		*skip = 6;
		*names = 1;
		return true;
	case SIGNER_T_NAPTR:
		*skip = 4;
		*names = 1;
		return true;
	default:
		return false;
	}
}

bool signer_rrtype_made_by_signer(uint16_t t)
{
	return t == SIGNER_T_RRSIG || t == SIGNER_T_NSEC || t == SIGNER_T_NSEC3 ||
	       t == SIGNER_T_NSEC3PARAM || t == SIGNER_T_DNSKEY;
}
