/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: the hsm/ decoders of outside data -- the DER OCTET
 * STRING around CKA_EC_POINT (token data), names to wire form, algorithm
 * names, key tags and DS over arbitrary DNSKEY RDATA.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "hsm/algorithm.h"
#include "hsm/hsm_internal.h"
#include "hsm/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *val = NULL;
	size_t vlen = 0;
	if (tld_hsm_der_octets(data, size, &val, &vlen) == TLD_OK &&
	    (val < data || val + vlen > data + size)) {
		abort();
	}
	char *text = malloc(size + 1);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	uint8_t wire[256];
	size_t wlen = 0;
	if (tld_dname_to_wire(text, wire, sizeof(wire), &wlen) == TLD_OK && (wlen == 0 || wlen > 255)) {
		abort();
	}
	(void)tld_alg_info_parse(text);
	free(text);
	(void)tld_keytag(data, size);
	uint8_t ds[64];
	size_t dlen = 0;
	if (tld_ds_from_dnskey("fuzz.", data, size, 2, ds, sizeof(ds), &dlen) == TLD_OK && dlen != 36) {
		abort();
	}
	return 0;
}
