/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signer-chain ZONEFILE [ITERATIONS [SALTHEX]]: reads a zone with the
 * signer's parser, builds the model and an NSEC3 opt-out chain, prints
 * counts and the time of each phase (for bench/bench-sign.sh and for
 * comparing against ldns's parser).  Exit 0 only when all phases succeed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "signer/nsec3.h"
#include "signer/zone.h"
#include "signer/zone_read.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: signer-chain ZONEFILE [ITERATIONS [SALTHEX]]\n");
		return 2;
	}
	struct signer_nsec3_params p = { .algorithm = 1, .opt_out = true };
	if (argc > 2) {
		p.iterations = (uint16_t)atoi(argv[2]);
	}
	if (argc > 3) {
		for (size_t i = 0; argv[3][2 * i] && argv[3][2 * i + 1] && i < 255; i++) {
			unsigned v;
			sscanf(argv[3] + 2 * i, "%2x", &v);
			p.salt[p.salt_len++] = (uint8_t)v;
		}
	}
	struct signer_zone *z = NULL;
	struct signer_nsec3_chain *c = NULL;
	double t0 = now_s();
	int ret = signer_zone_read(argv[1], NULL, &z);
	double t1 = now_s();
	if (ret == TLD_OK) {
		ret = signer_zone_build(z);
	}
	double t2 = now_s();
	if (ret == TLD_OK) {
		ret = signer_nsec3_chain_build(z, &p, &c);
	}
	double t3 = now_s();
	if (ret == TLD_OK) {
		printf("records %zu nodes %zu nsec3 %zu\nparse %.3f s build %.3f s chain %.3f s\n", z->nrrs,
		       z->nnodes, c->count, t1 - t0, t2 - t1, t3 - t2);
	} else {
		fprintf(stderr, "signer-chain: %s\n", tld_strerror(ret));
	}
	signer_nsec3_chain_free(c);
	signer_zone_free(z);
	return ret == TLD_OK ? 0 : tld_exit_code(ret);
}
