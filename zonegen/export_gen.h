/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A synthetic registry export (DESIGN.md section 4) for tests, benchmarks and
 * the sample of `tldsign init`: byte-identical output for the same options.
 */
#pragma once

#include <stdint.h>

struct tld_export_gen {
	uint64_t delegations;      /*!< domains written */
	double ds_share;           /*!< share with DS (one in ten of those as keyData) */
	double glue_share;         /*!< share with in-zone NS + IPv4/IPv6 glue */
	uint64_t seed;
	const char *tld;           /*!< "test." (trailing dot optional) */
	const char *exported_at;   /*!< RFC 3339, written into the manifest as is */
};

/*!
 * \brief Writes domains.csv, nameservers.csv, hosts.csv, ds.csv, dnskeys.csv
 *        and manifest.yaml (rows, SHA-256) into dir (created if missing).
 * \return TLD_OK, TLD_EINVAL (bad options), TLD_EIO (logged), TLD_ENOMEM
 */
int tld_export_generate(const struct tld_export_gen *opts, const char *dir);
