/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test tool: records a key in the keys table (tld_keydb_insert, with a
 * placeholder public key: no token involved) and puts it under the key
 * policy through tld_keyplan_adopt(), for tests that need key states but no
 * signatures.  The key id is assigned by the key store and printed.
 *   policy-adopt-key STATE_DIR ZONE KEY_TAG ALGORITHM ksk|zsk|csk TIME
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "policy/keyplan.h"

int main(int argc, char **argv)
{
	tld_statedb_t *db = NULL;
	struct tld_key_record rec;
	tld_time_t when;
	if (argc != 7 || tld_time_parse(argv[6], &when) != TLD_OK) {
		fprintf(stderr, "usage: %s STATE_DIR ZONE KEY_TAG ALGORITHM ROLE TIME\n", argv[0]);
		return 2;
	}
	memset(&rec, 0, sizeof(rec));
	if (tld_key_role_parse(argv[5], &rec.role) != TLD_OK) {
		fprintf(stderr, "%s: role ksk, zsk or csk\n", argv[0]);
		return 2;
	}
	snprintf(rec.zone, sizeof(rec.zone), "%s", argv[2]);
	rec.key_tag = (uint16_t)atoi(argv[3]);
	rec.algorithm = (uint8_t)atoi(argv[4]);
	rec.flags = rec.role == TLD_ROLE_ZSK ? 256 : 257;
	snprintf(rec.cka_id, sizeof(rec.cka_id), "%04x", rec.key_tag);
	snprintf(rec.label, sizeof(rec.label), "test-%u", rec.key_tag);
	rec.dnskey[0] = (uint8_t)(rec.flags >> 8);
	rec.dnskey[1] = (uint8_t)rec.flags;
	rec.dnskey[2] = 3;
	rec.dnskey[3] = rec.algorithm;
	rec.dnskey_len = 4 + 64;
	rec.created = when;
	int ret = tld_statedb_open(argv[1], &db);
	if (ret == TLD_OK) {
		ret = tld_keydb_init(db);
	}
	if (ret == TLD_OK) {
		ret = tld_keydb_insert(db, &rec);
	}
	if (ret == TLD_OK) {
		ret = tld_keyplan_adopt(db, rec.zone, rec.id, rec.key_tag, rec.algorithm, (uint8_t)rec.role, 0, when,
		                        "test");
	}
	tld_statedb_close(db);
	if (ret != TLD_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], tld_strerror(ret));
		return 1;
	}
	printf("%lld\n", (long long)rec.id);
	return 0;
}
