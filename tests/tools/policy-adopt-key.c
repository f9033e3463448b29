/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test tool: puts a key under the key policy through the real
 * tld_keyplan_adopt().  Until the HSM key store is linked in, it creates a
 * stand-in `keys` row (id, zone) for the foreign key.
 *   policy-adopt-key STATE_DIR ZONE KEY_ID KEY_TAG ALGORITHM ksk|zsk|csk TIME
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/statedb.h"
#include "policy/keyplan.h"

int main(int argc, char **argv)
{
	tld_statedb_t *db = NULL;
	tld_time_t when;
	if (argc != 8 || tld_time_parse(argv[7], &when) != TLD_OK) {
		fprintf(stderr, "usage: %s STATE_DIR ZONE KEY_ID KEY_TAG ALGORITHM ROLE TIME\n", argv[0]);
		return 2;
	}
	int role = strcmp(argv[6], "ksk") == 0 ? TLD_ROLE_KSK : strcmp(argv[6], "zsk") == 0 ? TLD_ROLE_ZSK
	         : TLD_ROLE_CSK;
	long long id = atoll(argv[3]);
	int ret = tld_statedb_open(argv[1], &db);
	if (ret == TLD_OK) {
		char sql[256];
		snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS keys (id INTEGER PRIMARY KEY, zone TEXT);"
		         "INSERT OR IGNORE INTO keys (id, zone) VALUES (%lld, 'stand-in');", id);
		ret = tld_statedb_exec(db, sql);
	}
	if (ret == TLD_OK) {
		ret = tld_keyplan_adopt(db, argv[2], id, (uint16_t)atoi(argv[4]), (uint8_t)atoi(argv[5]),
		                        (uint8_t)role, 0, when, "test");
	}
	tld_statedb_close(db);
	if (ret != TLD_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], tld_strerror(ret));
		return 1;
	}
	return 0;
}
