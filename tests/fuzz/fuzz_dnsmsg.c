/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: the DNS message parser of `tldsign serve` and the TSIG
 * verification that runs on every parsed request, plus re-encoding the
 * question with the compressing writer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "publish/dnswire.h"
#include "publish/tsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t secret[32] = { 1, 2, 3 };
	static struct tld_tsig_key keys[2] = {
		{ .name = "xfr.", .algorithm = TLD_TSIG_HMAC_SHA256, .secret = secret, .secret_len = 32 },
		{ .name = "k512.", .algorithm = TLD_TSIG_HMAC_SHA512, .secret = secret, .secret_len = 32 },
	};
	static struct tld_msg_writer w;
	static uint8_t out[65535];
	struct tld_msg m;
	struct tld_tsig_ctx ctx;
	int err;

	if (tld_msg_parse(data, size, &m) != 0) {
		return 0;
	}
	if (m.has_tsig) {
		tld_tsig_verify_request(&m, keys, 2, 1795222717, &ctx, &err);
	}
	tld_writer_init(&w, out, sizeof(out) - 400, 60000, m.id, 0x8400);
	if (m.has_question) {
		tld_writer_question(&w, m.qname, m.qname_len, m.qtype, m.qclass);
		tld_writer_rr(&w, 1, m.qname, m.qname_len, 16 /* TXT: rdata opaque */, m.qclass, 0, data, (uint16_t)(size > 512 ? 512 : size));
	}
	tld_writer_finish(&w);
	struct tld_msg again;
	if (tld_msg_parse(out, w.len, &again) != 0) {
		abort();  /* what the writer produces must parse */
	}
	return 0;
}
