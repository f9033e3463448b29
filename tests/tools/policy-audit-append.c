/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test tool: appends entries to the audit log of a state directory through
 * the real tld_audit_append(), for integration tests of `audit verify`
 * before the commands that write it have their dependencies.
 *   policy-audit-append STATE_DIR TIME ACTOR OPERATION TAGS [DS]
 */
#include <stdio.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/statedb.h"
#include "policy/audit.h"

int main(int argc, char **argv)
{
	tld_statedb_t *db = NULL;
	tld_time_t when;
	char hash[TLD_AUDIT_HASH_HEX];
	if (argc < 6 || argc > 7 || tld_time_parse(argv[2], &when) != TLD_OK) {
		fprintf(stderr, "usage: %s STATE_DIR TIME ACTOR OPERATION TAGS [DS]\n", argv[0]);
		return 2;
	}
	int ret = tld_statedb_open(argv[1], &db);
	if (ret == TLD_OK) {
		ret = tld_audit_append(db, when, argv[3], argv[4], argv[5], argc == 7 ? argv[6] : NULL, NULL, hash);
	}
	tld_statedb_close(db);
	if (ret != TLD_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], tld_strerror(ret));
		return 1;
	}
	printf("%s\n", hash);
	return 0;
}
