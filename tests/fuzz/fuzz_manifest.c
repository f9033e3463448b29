/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the export manifest parser (manifest.yaml). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "zonegen/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tld_manifest *m = NULL;
	char err[512] = "";
	int ret = tld_manifest_parse("fuzz", (const char *)data, size, &m, err, sizeof(err));
	if (ret == TLD_OK) {
		if (m == NULL || m->tld == NULL || m->tld[strlen(m->tld) - 1] != '.') {
			abort();
		}
		for (size_t i = 0; i < m->file_count; i++) {
			if (tld_manifest_find(m, m->files[i].name) != &m->files[i] ||
			    strchr(m->files[i].name, '/') != NULL) {
				abort();
			}
		}
	} else if (m != NULL || memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	tld_manifest_free(m);
	return 0;
}
