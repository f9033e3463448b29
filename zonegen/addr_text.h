/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The text of a glue address, as inet_ntop() writes it (glibc: dotted
 * decimal; IPv6 in lower-case hex, the first longest run of two or more zero
 * groups as "::", an IPv4-mapped or -compatible address with its last 32
 * bits in dotted decimal), without inet_ntop()'s generic paths: about ten
 * times faster, which counts at 300,000 glue records (zonegen/write.c).
 * tests/unit/test_zonegen_records.c holds it to inet_ntop() on every
 * pattern of zero groups and on random addresses.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*! Room for the longest text, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" (no NUL). */
#define TLD_ADDR_TEXT_MAX 45

/*!
 * \brief Writes the text of addr (family 4: 4 bytes; 6: 16 bytes) to out,
 *        TLD_ADDR_TEXT_MAX bytes, not terminated.
 * \return its length; 0 for another family
 */
size_t tld_addr_text(uint8_t family, const uint8_t *addr, char *out);
