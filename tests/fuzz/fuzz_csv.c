/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the RFC 4180 CSV reader (header lookup, every record),
 * and tld_csv_next_into() beside it: the same records, lines, errors and
 * digest, fields at the caller's destination only when they fit its room. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zonegen/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tld_csv *csv = NULL, *into = NULL;
	if (tld_csv_open_mem((const char *)data, size, &csv) != 0) {
		return 0;
	}
	if (tld_csv_open_mem((const char *)data, size, &into) != 0) {
		tld_csv_free(csv);
		return 0;
	}
	/* a room from the input's first byte: 0 .. 255 and large */
	size_t room = size > 0 && data[0] != 0xff ? data[0] : 1u << 16;
	char *dst = malloc(room + 16);
	if (dst == NULL) {
		abort();
	}
	memset(dst, 0x5a, room + 16);
	static const char *const names[] = { "domain", "key_tag", "algorithm", "digest_type",
		                             "digest" };
	size_t idx[5];
	const char *why, *missing;
	int h = tld_csv_header(csv, names, 5, idx, &why, &missing);
	if (tld_csv_header(into, names, 5, idx, &why, &missing) != h) {
		abort();
	}
	struct tld_csv_record rec, rec2;
	unsigned long last_line = 0;
	int r;
	for (;;) {
		r = tld_csv_next(csv, &rec);
		if (tld_csv_next_into(into, &rec2, dst, room) != r) {
			abort();
		}
		if (r != 1) {
			break;
		}
		if (rec2.count != rec.count || rec2.line != rec.line ||
		    (rec.error == NULL) != (rec2.error == NULL) ||
		    (rec.error != NULL && strcmp(rec.error, rec2.error) != 0)) {
			abort();
		}
		for (size_t i = 0; i < rec.count; i++) {
			if (rec2.len[i] != rec.len[i] ||
			    memcmp(rec2.field[i], rec.field[i], rec.len[i] + 1) != 0) {
				abort();
			}
		}
		if (rec2.field[0] == dst &&
		    (size_t)(rec2.field[rec2.count - 1] - dst) + rec2.len[rec2.count - 1] + 1 > room) {
			abort();
		}
		for (size_t i = room; i < room + 16; i++) {
			if (dst[i] != 0x5a) {
				abort(); /* written past the room */
			}
		}
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
		uint8_t md[32], md2[32];
		if (tld_csv_sha256(csv, md) != 0 || tld_csv_sha256(into, md2) != 0 ||
		    memcmp(md, md2, 32) != 0 || tld_csv_records(csv) != tld_csv_records(into)) {
			abort();
		}
	}
	free(dst);
	tld_csv_free(csv);
	tld_csv_free(into);
	return 0;
}
