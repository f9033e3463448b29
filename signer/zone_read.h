/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a master file (RFC 1035 section 5) into the zone model. */
#pragma once

#include "signer/zone.h"

/*!
 * \brief Reads a zone file.  The first record must be the SOA; its owner is
 *        the origin unless origin is given.  RRSIG, NSEC, NSEC3, NSEC3PARAM
 *        and DNSKEY records in the input are dropped (the signer makes its
 *        own) and counted in a notice.  $INCLUDE is refused.  Errors are
 *        logged as "file:line: reason".
 * \param[in]  path    file name
 * \param[in]  origin  apex in presentation form, or NULL
 * \param[out] out     caller frees with signer_zone_free(); written only on
 *                     success; not built yet (call signer_zone_build())
 * \return TLD_OK, TLD_ENOENT/TLD_EIO, TLD_EPARSE, TLD_ENOMEM
 */
int signer_zone_read(const char *path, const char *origin, struct signer_zone **out);
