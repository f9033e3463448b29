/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer, differential: the publish preparation's delta path
 * (publish/zonedelta.h) must make exactly the image and journal entry the
 * whole-text path makes, or refuse.  The current version is a real signed
 * zone (tests/fuzz/data/signed-sample.zone) with its image and recorded
 * checks, written once; each input is a new version's text.  Order-keeping
 * line mutations (tests/fuzz/fuzz_lines.h) keep most of it alike and in
 * order, as versions are; an input whose first line carries the current
 * serial gets the next one (same length), as a new version would.  A delta
 * taken where the whole-text path refuses the text, or a different image,
 * record count, serial, check or journal entry, aborts.
 * Run from the source tree's top (tests/fuzz/run.sh does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/zonedelta.h"
#include "publish/zoneimage.h"
#include "tests/fuzz/fuzz_files.h"
#include "tests/fuzz/fuzz_lines.h"

#define CURRENT "tests/fuzz/data/signed-sample.zone"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                                 size_t max_out, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return fuzz_lines_mutate_ordered(data, size, max_size, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                                 size_t max_out, unsigned int seed)
{
	return fuzz_lines_crossover_ordered(d1, s1, d2, s2, out, max_out, seed);
}

static struct tld_version_info cur;
static char dir[64], full_img[128], delta_img[128], full_j[128], delta_j[128];

/* The current version: the sample's text, its image and the checks recorded with them. */
static void setup(void)
{
	tld_log_init(getenv("FUZZ_LOG") != NULL ? TLD_LOG_INFO : TLD_LOG_ERROR, false);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-pdelta.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		abort();
	}
	size_t len = 0;
	char *text = fuzz_read_file(CURRENT, &len);
	struct tld_zone_image *img = NULL;
	cur.id = 1;
	snprintf(cur.file, sizeof(cur.file), "%s", CURRENT);
	snprintf(cur.image, sizeof(cur.image), "%s/current.img", dir);
	if (text == NULL || tld_image_from_zone_text("current", text, len, &img) != TLD_OK ||
	    tld_image_save(img, cur.image) != TLD_OK ||
	    tld_zone_text_digest(text, len, cur.digest) != TLD_OK) {
		fprintf(stderr, "fuzz_publish_delta: %s: no current version (run from the source tree's top)\n",
		        CURRENT);
		abort();
	}
	cur.serial = img->serial;
	snprintf(cur.image_check, sizeof(cur.image_check), "%016llx", (unsigned long long)tld_image_check(img));
	snprintf(cur.text_check, sizeof(cur.text_check), "%016llx",
	         (unsigned long long)tld_zone_text_check(text, len));
	snprintf(full_img, sizeof(full_img), "%s/full.img", dir);
	snprintf(delta_img, sizeof(delta_img), "%s/delta.img", dir);
	snprintf(full_j, sizeof(full_j), "%s/full.jnl", dir);
	snprintf(delta_j, sizeof(delta_j), "%s/delta.jnl", dir);
	tld_image_free(img);
	free(text);
}

static void disagree(const char *what)
{
	fprintf(stderr, "fuzz_publish_delta: the delta path and the whole-text path differ: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		setup();
		init = 1;
	}
	char *text = malloc(size + 1);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	char old[16], next[16];
	snprintf(old, sizeof(old), "%u", (unsigned)cur.serial);
	snprintf(next, sizeof(next), "%u", (unsigned)cur.serial + 1);
	char *eol = memchr(text, '\n', size), *at = strstr(text, old);
	if (at != NULL && (eol == NULL || at < eol) && strlen(old) == strlen(next)) {
		memcpy(at, next, strlen(next));
	}
	struct tld_zone_delta *d = NULL;
	if (tld_zone_delta_plan(&cur, "new", text, size, &d) != TLD_OK) {
		free(text);
		return 0; /* refused: the whole-text path runs, nothing to compare */
	}
	struct tld_zone_image *img = NULL, *jf = NULL, *jd = NULL;
	if (tld_image_from_zone_text("new", text, size, &img) != TLD_OK) {
		disagree("the delta took a text the whole-text path refuses");
	}
	if (tld_image_save(img, full_img) != TLD_OK || tld_zone_delta_save(d, delta_img) != TLD_OK ||
	    !fuzz_same_files(full_img, delta_img)) {
		disagree("image");
	}
	if (img->count != tld_zone_delta_records(d) || img->serial != tld_zone_delta_serial(d) ||
	    tld_image_check(img) != tld_zone_delta_check(d)) {
		disagree("record count, serial or check");
	}
	if (tld_image_diff_file(cur.image, img, &jf) != TLD_OK || tld_zone_delta_journal(d, &jd) != TLD_OK ||
	    tld_image_save(jf, full_j) != TLD_OK || tld_image_save(jd, delta_j) != TLD_OK ||
	    !fuzz_same_files(full_j, delta_j)) {
		disagree("journal entry");
	}
	tld_image_free(jd);
	tld_image_free(jf);
	tld_image_free(img);
	tld_zone_delta_free(d);
	free(text);
	return 0;
}
