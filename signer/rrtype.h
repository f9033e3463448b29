/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RR type numbers the signer needs, and where names sit inside RDATA. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum signer_rrtype {
	SIGNER_T_A = 1, SIGNER_T_NS = 2, SIGNER_T_MD = 3, SIGNER_T_MF = 4, SIGNER_T_CNAME = 5,
	SIGNER_T_SOA = 6, SIGNER_T_MB = 7, SIGNER_T_MG = 8, SIGNER_T_MR = 9, SIGNER_T_PTR = 12,
	SIGNER_T_HINFO = 13, SIGNER_T_MINFO = 14, SIGNER_T_MX = 15, SIGNER_T_TXT = 16,
	SIGNER_T_RP = 17, SIGNER_T_AFSDB = 18, SIGNER_T_RT = 21, SIGNER_T_PX = 26,
	SIGNER_T_AAAA = 28, SIGNER_T_SRV = 33, SIGNER_T_NAPTR = 35, SIGNER_T_KX = 36,
	SIGNER_T_DNAME = 39, SIGNER_T_DS = 43, SIGNER_T_RRSIG = 46, SIGNER_T_NSEC = 47,
	SIGNER_T_DNSKEY = 48, SIGNER_T_NSEC3 = 50, SIGNER_T_NSEC3PARAM = 51,
	SIGNER_T_CDS = 59, SIGNER_T_CDNSKEY = 60,
};

/*!
 * \brief Where the domain names sit in a type's RDATA, for the types whose
 *        names are lower-cased in canonical form (RFC 4034 section 6.2 as
 *        amended by RFC 6840 section 5.1: NSEC, RRSIG and HINFO removed;
 *        RRSIG/NSEC are produced by the signer in lower case anyway).
 * \param[out] skip   fixed bytes before the first name (NAPTR: then 3 strings)
 * \param[out] names  number of consecutive names
 * \return false when the type's RDATA has no such names
 */
bool signer_rrtype_rdata_names(uint16_t type, size_t *skip, unsigned *names);

/*!
 * \brief Whether the signer makes records of this type itself (RRSIG, NSEC,
 *        NSEC3, NSEC3PARAM, DNSKEY): an unsigned zone's records of these
 *        types are dropped when it is read or handed over, never signed.
 */
bool signer_rrtype_made_by_signer(uint16_t type);
