/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the verifier's fast record parser against ldns.  Any line it
 * accepts must be accepted by ldns with the same canonical wire form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[70000];
	size_t wlen, olen;

	if (size > 4096 || memchr(data, 0, size) != NULL) {
		return 0;
	}
	if (vfy_fast_parse((const char *)data, size, wire, sizeof(wire), &wlen, &olen) != 0) {
		return 0;
	}
	char *line = strndup((const char *)data, size);
	ldns_rr *rr = NULL;
	if (line == NULL) {
		return 0;
	}
	if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) != LDNS_STATUS_OK) {
		abort(); /* accepted here, rejected by ldns */
	}
	ldns_buffer *b = ldns_buffer_new(70000);
	if (b == NULL || ldns_rr2buffer_wire_canonical(b, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
	    ldns_buffer_position(b) != wlen || memcmp(ldns_buffer_begin(b), wire, wlen) != 0 ||
	    olen != ldns_rdf_size(ldns_rr_owner(rr))) {
		abort(); /* different wire form */
	}
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	free(line);
	return 0;
}
