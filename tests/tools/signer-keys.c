/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signer-keys CONFIG ROLE [ALGORITHM [adopt NOW]]: test helper for the signer's
 * integration tests.  Generates a key of ROLE (ksk, zsk, csk) in the
 * instance's token with tld_key_generate() (the code behind `tldsign key
 * generate`), and with "adopt" puts it under the key state machine
 * (tld_keyplan_adopt(), as the policy module's sync does).  Prints the key tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/statedb.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "policy/keyplan.h"
#include "policy/policy.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: signer-keys CONFIG ksk|zsk|csk [ALGORITHM [adopt NOW]]\n");
		return 2;
	}
	struct tld_config *cfg = NULL;
	tld_statedb_t *db = NULL;
	enum tld_key_role role;
	struct tld_key_record rec;
	int alg = argc > 3 ? tld_algorithm_from_name(argv[3]) : TLD_ALG_ECDSAP256SHA256;
	int ret = tld_key_role_parse(argv[2], &role);
	if (ret == TLD_OK && alg == 0) {
		ret = TLD_EINVAL;
	}
	if (ret == TLD_OK) {
		ret = tld_config_load(argv[1], &cfg);
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_open(cfg->state_dir, &db);
	}
	if (ret == TLD_OK) {
		ret = tld_key_generate(cfg, db, role, alg, 2048, &rec);
	}
	if (ret == TLD_OK && argc > 5 && strcmp(argv[4], "adopt") == 0) {
		tld_time_t now = 0;
		ret = tld_time_parse(argv[5], &now);
		if (ret == TLD_OK) {
			ret = tld_keyplan_adopt(db, cfg->zone, rec.id, rec.key_tag, rec.algorithm, (uint8_t)role, 0, now,
			                        "test");
		}
	}
	if (ret == TLD_OK) {
		printf("%u\n", rec.key_tag);
	} else {
		fprintf(stderr, "signer-keys: %s\n", tld_strerror(ret));
	}
	tld_statedb_close(db);
	tld_config_free(cfg);
	return ret == TLD_OK ? 0 : 1;
}
