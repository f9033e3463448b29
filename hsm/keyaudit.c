/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Audit entries of key generate / import / delete; see hsm/keyaudit.h. */
#include "hsm/keyaudit.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "hsm/keys.h"
#include "policy/audit.h"

/* "zone. IN DS tag alg 2 HEX" for a KSK or CSK, "" for a ZSK. */
static int ds_text(const struct tld_key_record *rec, char *out, size_t size)
{
	uint8_t ds[64];
	size_t len = 0;
	out[0] = '\0';
	if (rec->role == TLD_ROLE_ZSK) {
		return TLD_OK;
	}
	int ret = tld_ds_from_dnskey(rec->zone, rec->dnskey, rec->dnskey_len, 2, ds, sizeof(ds), &len);
	if (ret != TLD_OK) {
		return ret;
	}
	int n = snprintf(out, size, "%s IN DS %u %u %u ", rec->zone, rec->key_tag, rec->algorithm, ds[3]);
	for (size_t i = 4; i < len && n > 0 && (size_t)n + 3 < size; i++) {
		n += snprintf(out + n, size - (size_t)n, "%02X", ds[i]);
	}
	return TLD_OK;
}

int tld_key_audit(tld_statedb_t *db, const char *operation, const struct tld_key_record *rec,
                  const char *note)
{
	char tag[8], ds[256], detail[2048];
	int ret = tld_audit_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = ds_text(rec, ds, sizeof(ds));
	if (ret != TLD_OK) {
		return ret;
	}
	snprintf(tag, sizeof(tag), "%u", rec->key_tag);
	char bits[24] = "";
	if (rec->bits != 0) {
		snprintf(bits, sizeof(bits), " (%u-bit RSA)", rec->bits);
	}
	snprintf(detail, sizeof(detail), "%s key, algorithm %u%s, zone %s, CKA_ID %s, label %s%s%s",
	         tld_key_role_name(rec->role), rec->algorithm, bits, rec->zone, rec->cka_id, rec->label,
	         note ? "; " : "", note ? note : "");
	return tld_audit_append(db, tld_now(), tld_audit_actor(NULL), operation, tag, ds, detail, NULL);
}
