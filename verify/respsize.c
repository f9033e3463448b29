/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The size of the apex DNSKEY response, the one answer a resolver must get whole. */
#include "verify/internal.h"

size_t vfy_dnskey_response_size(size_t apex_wire_len, const size_t *rdlens, size_t n)
{
	size_t size = 12;                   /* header */
	size += apex_wire_len + 4;          /* question: QNAME QTYPE QCLASS */
	for (size_t i = 0; i < n; i++) {
		size += 2 + 10 + rdlens[i]; /* owner as a pointer, TYPE CLASS TTL RDLENGTH */
	}
	size += 11;                         /* OPT: root owner, TYPE, CLASS, TTL, RDLENGTH 0 */
	return size;
}
