/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: the publisher's fast zone reader (publish/zoneparse.c).
 * Differential: whenever both the fast reader and ldns accept the text they
 * must give the same records (TTLs aside: for a record without TTL the fast
 * reader follows RFC 2308, ldns has its own corner cases); an accepted image has its SOA first and every
 * other record in canonical order; the text read in two parts at once gives
 * exactly the image read in one.  ldns's own zone reader leaks on some
 * malformed input (Debian 1.8.3); its allocations are kept out of the leak
 * check, the fast reader's (including its per-record ldns fallback) are not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/lsan_interface.h>

#include "common/log.h"
#include "publish/zoneimage.h"
#include "publish/zoneimage_ldns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct tld_zone_image *fast = NULL, *ref = NULL;
	if (!quiet) {
		tld_log_init(TLD_LOG_ERROR, false);
		quiet = 1;
	}
	/* read in two parts at once (split at the middle), the same result as in one */
	struct tld_zone_image *split = NULL;
	int rs = tld_image_from_zone_text_parts("fuzz.zone", (const char *)data, size, 1, &split);
	if (tld_image_from_zone_text("fuzz.zone", (const char *)data, size, &fast) != 0) {
		if (rs == 0) {
			abort();
		}
		return 0;
	}
	if (rs != 0 || split->count != fast->count || split->len != fast->len) {
		abort();
	}
	for (size_t i = 0; i < fast->count; i++) {
		const uint8_t *x = fast->data + fast->rr[i], *y = split->data + split->rr[i];
		if (tld_image_record_len(x) != tld_image_record_len(y) ||
		    memcmp(x, y, tld_image_record_len(x)) != 0) {
			abort();
		}
	}
	tld_image_free(split);
	for (size_t i = 2; i < fast->count; i++) {
		if (tld_image_canon_cmp(fast->data + fast->rr[i - 1], fast->data + fast->rr[i]) > 0) {
			abort();
		}
	}
	if (memchr(data, 0, size) != NULL || size == 0) {
		tld_image_free(fast);
		return 0;
	}
	FILE *fp = fmemopen((void *)data, size, "r");
	__lsan_disable();
	int rr = fp != NULL ? tld_image_from_zone_fp_ldns(fp, "/nonexistent/fuzz.zone", &ref) : -1;
	__lsan_enable();
	if (rr == 0) {
		if (ref->count != fast->count) {
			abort();
		}
		for (size_t i = 0; i < fast->count; i++) {
			const uint8_t *x = fast->data + fast->rr[i], *y = ref->data + ref->rr[i];
			size_t lx = tld_image_record_len(x), ly = tld_image_record_len(y);
			/* everything but the TTL (records without one: see zoneparse.c) */
			size_t ttl_at = 1 + x[0] + 4;
			if (lx != ly || memcmp(x, y, ttl_at) != 0 || memcmp(x + ttl_at + 4, y + ttl_at + 4, lx - ttl_at - 4) != 0) {
				abort();
			}
		}
	}
	if (fp != NULL) {
		fclose(fp);
	}
	tld_image_free(fast);
	tld_image_free(ref);
	return 0;
}
