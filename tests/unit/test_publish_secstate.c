/* SPDX-License-Identifier: GPL-3.0-or-later */
/* publish/secstate: per-secondary results in the state store, and the SOA read from an image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/dnswire.h"
#include "publish/secstate.h"
#include "publish/zoneimage.h"
#include "tests/tap/tap.h"

int main(void)
{
	char dir[256], cmd[300];
	tld_statedb_t *db = NULL;
	struct tld_secondary_record *rec = NULL;
	size_t n = 99;
	tld_log_init(TLD_LOG_ERROR, false);
	snprintf(dir, sizeof(dir), "%s/secstate.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		skip_all("no temporary directory");
	}
	is_int(TLD_OK, tld_statedb_open(dir, &db), "state store opened");
	is_int(TLD_OK, tld_secondaries_last(db, &rec, &n), "empty table read");
	is_int(0, (long long)n, "nothing recorded yet");
	free(rec);

	struct tld_secondary_status st[2];
	memset(st, 0, sizeof(st));
	snprintf(st[0].address, sizeof(st[0].address), "127.0.0.1@15311");
	snprintf(st[1].address, sizeof(st[1].address), "[::1]@15312");
	st[0].acked = true;
	st[0].notify_attempts = 1;
	st[0].ack_ms = 12;
	st[1].notify_attempts = 5;
	snprintf(st[1].error, sizeof(st[1].error), "no answer within 30 s");
	is_int(TLD_OK, tld_secondaries_store(db, 7, st, 2, true), "NOTIFY round stored");
	st[0].have_serial = true;
	st[0].serial = 7;
	st[0].confirmed = true;
	st[0].lag_ms = 800;
	st[1].have_serial = true;
	st[1].serial = 6;
	is_int(TLD_OK, tld_secondaries_store(db, 7, st, 2, false), "serial check stored");
	is_int(TLD_OK, tld_secondaries_last(db, &rec, &n), "read back");
	is_int(2, (long long)n, "two secondaries");
	if (n == 2) {
		/* address order: "127..." < "[::1]..." */
		is_str("127.0.0.1@15311", rec[0].address, "first address");
		ok(rec[0].acked && rec[0].confirmed && rec[0].serial == 7 && rec[0].lag_ms == 800 &&
		   rec[0].expected == 7 && rec[0].notify_attempts == 1, "first: acked, serves 7, lag 800 ms");
		ok(!rec[1].acked && !rec[1].confirmed && rec[1].have_serial && rec[1].serial == 6 &&
		   rec[1].notify_attempts == 5, "second: not acked, still serves 6");
		ok(rec[0].notify_time != 0 && rec[0].check_time != 0, "times recorded");
	}
	free(rec);
	/* a check for a newer serial without NOTIFY: the old acknowledgement does not count */
	st[0].serial = 7;
	st[0].confirmed = false;
	is_int(TLD_OK, tld_secondaries_store(db, 8, st, 1, false), "check for serial 8");
	is_int(TLD_OK, tld_secondaries_last(db, &rec, &n), "read back again");
	if (n == 2) {
		ok(!rec[0].acked && rec[0].expected == 8 && !rec[0].confirmed, "ack for 7 is not an ack for 8");
	}
	free(rec);
	tld_statedb_close(db);

	/* the SOA of an image without loading the zone */
	const char *zone = "test. 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 42 1800 900 1209600 3600\n"
	                   "a.test. 60 IN NS ns.example.\n";
	struct tld_zone_image *img = NULL;
	char path[300];
	uint8_t soa[600];
	snprintf(path, sizeof(path), "%s/z.img", dir);
	is_int(TLD_OK, tld_image_from_zone_text("z", zone, strlen(zone), &img), "image built");
	is_int(TLD_OK, tld_image_save(img, path), "image saved");
	is_int(TLD_OK, tld_image_load_soa(path, soa, sizeof(soa)), "SOA read from the image");
	struct tld_image_rr a;
	tld_image_rr(img, 0, &a);
	const uint8_t *f = soa + 1 + soa[0];
	ok(tld_get16(f) == TLD_RR_SOA && tld_get16(f + 8) == a.rdlen && memcmp(f + 10, a.rdata, a.rdlen) == 0,
	   "it is the zone's SOA");
	is_int(TLD_EPARSE, tld_image_load_soa(path, soa, 100), "too small a buffer refused");
	FILE *fp = fopen(path, "r+");
	fputs("XXXX", fp);
	fclose(fp);
	is_int(TLD_EPARSE, tld_image_load_soa(path, soa, sizeof(soa)), "not an image refused");
	is_int(TLD_ENOENT, tld_image_load_soa("/nonexistent/z.img", soa, sizeof(soa)), "missing file");
	tld_image_free(img);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		diag("could not remove %s", dir);
	}
	return exit_status();
}
