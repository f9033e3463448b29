/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the RFC 4180 CSV reader (header lookup, every record). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zonegen/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tld_csv *csv = NULL;
	if (tld_csv_open_mem((const char *)data, size, &csv) != 0) {
		return 0;
	}
	static const char *const names[] = { "domain", "key_tag", "algorithm", "digest_type",
		                             "digest" };
	size_t idx[5];
	const char *why, *missing;
	(void)tld_csv_header(csv, names, 5, idx, &why, &missing);
	struct tld_csv_record rec;
	unsigned long last_line = 0;
	int r;
	while ((r = tld_csv_next(csv, &rec)) == 1) {
		if (rec.line < last_line || rec.count == 0 || rec.count > TLD_CSV_MAX_FIELDS) {
			abort();
		}
		last_line = rec.line;
		for (size_t i = 0; i < rec.count; i++) {
			if (rec.len[i] > TLD_CSV_MAX_FIELD || rec.field[i][rec.len[i]] != '\0') {
				abort();
			}
			if (rec.error == NULL && strlen(rec.field[i]) != rec.len[i]) {
				abort(); /* a NUL inside a field must be flagged */
			}
			if (i > 0 && rec.field[i] != rec.field[i - 1] + rec.len[i - 1] + 1) {
				abort(); /* the fields lie one after the other (csv.h) */
			}
		}
	}
	if (r == 0) {
		uint8_t md[32];
		if (tld_csv_sha256(csv, md) != 0) {
			abort();
		}
	}
	tld_csv_free(csv);
	return 0;
}
