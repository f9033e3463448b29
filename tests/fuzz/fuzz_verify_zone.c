/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: arbitrary zone text through the verifier's index and checks
 * (ldns parses; the owner keys, ENTs, chains and bitmaps are ours). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/fuzz/fuzz_memfile.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char path[64];
	struct tld_verify_opts opts = { .now = 1234567890, .threads = 1 };
	struct tld_verify_report *rep = NULL;

	if (!init) {
		tld_log_init(TLD_LOG_ERROR, false);
		init = 1;
	}
	int fd = fuzz_memfile(data, size, path);
	if (fd >= 0) {
		tld_verify_zone_file(path, &opts, &rep);
		if (rep != NULL) {
			FILE *null = fopen("/dev/null", "w");
			if (null != NULL) {
				tld_verify_report_print(null, rep);
				fclose(null);
			}
		}
		tld_verify_report_free(rep);
		close(fd);
	}
	return 0;
}
