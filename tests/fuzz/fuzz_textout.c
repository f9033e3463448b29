/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: the signed-zone text writer.  Every record the parser
 * accepts is written by signer_textout_rr() and parsed again; the wire form
 * must come back identical (else abort).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/textout.h"
#include "signer/zparse.h"

struct rec {
	uint8_t owner[256];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	int seen;
	uint8_t rdata[65536];
};

static int check_cb(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct rec *r = ctx;
	(void)rclass, (void)line, (void)owner;
	if (r->seen++ || type != r->type || ttl != r->ttl || rdlen != r->rdlen || memcmp(rdata, r->rdata, rdlen) != 0) {
		fprintf(stderr, "round trip differs: type %u/%u ttl %u/%u rdlen %u/%u seen %d\n", type, r->type, ttl,
		        r->ttl, rdlen, r->rdlen, r->seen);
		abort();
	}
	return TLD_OK;
}

static int write_cb(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	static struct rec r;
	static const uint8_t root[] = { 0 };
	(void)ctx, (void)rclass, (void)line;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct signer_textout t;
	if (mem == NULL || signer_textout_init(&t, mem, 0, 1767225600) != TLD_OK) {
		if (mem != NULL) {
			fclose(mem);
		}
		free(text);
		return TLD_ENOMEM;
	}
	signer_textout_rr(&t, owner, ttl, type, rdata, rdlen);
	signer_textout_finish(&t);
	fclose(mem);
	memset(&r, 0, offsetof(struct rec, rdata));
	r.type = type;
	r.ttl = ttl;
	r.rdlen = rdlen;
	memcpy(r.rdata, rdata, rdlen);
	/* the generic form is always accepted; typed forms must round-trip */
	if (signer_zparse("rt", text, len, root, check_cb, &r) != TLD_OK || r.seen != 1) {
		fprintf(stderr, "no round trip: %s", text);
		abort();
	}
	free(text);
	return TLD_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static int init;
	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	signer_zparse("fuzz", (const char *)data, size, origin, write_cb, NULL);
	return 0;
}
