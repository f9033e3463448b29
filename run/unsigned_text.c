/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The text of STATE_DIR/unsigned.zone in memory, whole (run/unsigned.h,
 * tld_run_unsigned_text()), formatted by zonegen's own code
 * (tld_zonegen_format()) straight into one mapping, by two threads at once:
 *
 *   base                     mid                                   base + size
 *   |   ...   [apex, owners [0, m)]|[owners [m, n)]   ...                     |
 *             <- placed to the end  -> placed from the start
 *
 * The calling thread formats the apex and the first half of the owners so
 * that they end at mid, the other thread the second half from mid on: the
 * text is contiguous at once, with no copy, and neither thread needs to know
 * how long the other's part is.  Each side has room for the bound of the
 * whole text (tld_zonegen_text_bound(): every line at its longest), which
 * is address space only (MAP_NORESERVE; untouched pages cost nothing); the
 * pages on either side of the text are unmapped afterwards, so the mapping
 * is exactly the pages the text spans, which is how
 * tld_run_unsigned_text_free() finds it again.
 *
 * Sound because the parts are the file's bytes by tld_zonegen_format()'s
 * contract (the texts of [0, m) with the apex and [m, n), side by side, are
 * what tld_zonegen_write() writes, for any m) and each part is checked
 * against its room: should the bound ever be exceeded, or the reservation
 * be refused (a strict overcommit policy, an address-space limit), the
 * text is measured first and formatted into a mapping of its exact size on
 * the calling thread alone: slower, the same bytes.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "run/unsigned.h"
#include "zonegen/zonegen.h"

/* Zones from this many owners on are formatted by two threads (TLDSIGN_TEXT_SPLIT=1/0: always/never). */
#define SPLIT_MIN_OWNERS 20000u

/* One part of the text, formatted by one thread. */
struct part {
	const struct tld_zonegen *zg;
	bool apex;
	size_t from, to;            /*!< owners */
	enum tld_zonegen_place place;
	char *buf;
	size_t room;
	size_t len;                 /*!< with err: read after the join */
	int err;
	pthread_t thread;
	bool threaded;
};

/* -- internal API -- */

static void *part_main(void *arg)
{
	struct part *p = arg;
	p->err = tld_zonegen_format(p->zg, p->apex, p->from, p->to, p->place, p->buf, p->room, &p->len);
	return NULL;
}

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

/* size rounded up to whole pages, or 0 when it does not fit */
static size_t pages_up(size_t size, size_t page)
{
	return size > SIZE_MAX - (page - 1) ? 0 : (size + page - 1) / page * page;
}

/* A private anonymous mapping of size bytes (address space only), or NULL. */
static char *reserve(size_t size)
{
	if (size == 0) {
		return NULL;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	               -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* The pages a text of len bytes at text spans (at least one): [*start, *start + *size). */
static void text_pages(const char *text, size_t len, char **start, size_t *size)
{
	size_t page = page_size();
	uintptr_t a = (uintptr_t)text / page * page;
	uintptr_t b = ((uintptr_t)text + len + page - 1) / page * page;
	if (b == a) {
		b = a + page;
	}
	*start = (char *)a;
	*size = (size_t)(b - a);
}

/* Unmaps the pages of [base, base + size) outside those text[0, len) spans. */
static void trim(char *base, size_t size, const char *text, size_t len)
{
	char *start;
	size_t span;
	text_pages(text, len, &start, &span);
	if (start > base) {
		munmap(base, (size_t)(start - base));
	}
	if (start + span < base + size) {
		munmap(start + span, (size_t)(base + size - (start + span)));
	}
}

/*
 * The text in two parts on two threads (the second here after the first
 * when no thread can be had).  TLD_ENOSPC or TLD_ENOMEM (the bound did not
 * hold, or no reservation): nothing kept, the caller measures instead.
 */
static int text_in_two(const struct tld_zonegen *zg, size_t bound, char **text, size_t *len)
{
	size_t page = page_size(), side = pages_up(bound, page);
	char *base = side != 0 && side <= SIZE_MAX / 2 ? reserve(2 * side) : NULL;
	if (base == NULL) {
		return TLD_ENOMEM;
	}
	size_t n = tld_zonegen_owner_count(zg), m = n / 2;
	struct part p[2] = {
		{ .zg = zg, .apex = true, .from = 0, .to = m, .place = TLD_ZONEGEN_TO_END, .buf = base,
		  .room = side },
		{ .zg = zg, .apex = false, .from = m, .to = n, .place = TLD_ZONEGEN_FROM_START,
		  .buf = base + side, .room = side },
	};
	p[1].threaded = pthread_create(&p[1].thread, NULL, part_main, &p[1]) == 0;
	part_main(&p[0]);
	if (p[1].threaded) {
		pthread_join(p[1].thread, NULL);
	} else {
		part_main(&p[1]);
	}
	int err = p[0].err != TLD_OK ? p[0].err : p[1].err;
	if (err != TLD_OK) {
		munmap(base, 2 * side);
		return err;
	}
	*len = p[0].len + p[1].len;
	*text = base + side - p[0].len;
	trim(base, 2 * side, *text, *len);
	return TLD_OK;
}

/* The text in one part on the calling thread, into a mapping of room bytes
 * (0: the text measured first). */
static int text_in_one(const struct tld_zonegen *zg, size_t room, char **text, size_t *len)
{
	size_t n = tld_zonegen_owner_count(zg), size;
	int err = TLD_OK;
	if (room == 0 &&
	    (err = tld_zonegen_format(zg, true, 0, n, TLD_ZONEGEN_MEASURE, NULL, 0, &room)) != TLD_OK) {
		return err;
	}
	char *base = (size = pages_up(room, page_size())) != 0 ? reserve(size) : NULL;
	if (base == NULL) {
		return TLD_ENOMEM;
	}
	if ((err = tld_zonegen_format(zg, true, 0, n, TLD_ZONEGEN_FROM_START, base, room, len)) !=
	    TLD_OK) {
		munmap(base, size);
		return err;
	}
	*text = base;
	trim(base, size, *text, *len);
	return TLD_OK;
}

static bool in_two(const struct tld_zonegen *zg)
{
	const char *env = getenv("TLDSIGN_TEXT_SPLIT");
	if (env != NULL && env[0] != '\0') {
		return strcmp(env, "1") == 0;
	}
	return tld_zonegen_owner_count(zg) >= SPLIT_MIN_OWNERS && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

/* -- public API -- */

int tld_run_unsigned_text(const struct tld_zonegen *zg, char **text, size_t *len)
{
	double t0 = tld_mono_seconds();
	size_t bound = tld_zonegen_text_bound(zg);
	bool two = in_two(zg);
	int err = TLD_ENOSPC;
	if (bound != SIZE_MAX) {
		err = two ? text_in_two(zg, bound, text, len) : text_in_one(zg, bound, text, len);
	}
	if (err == TLD_ENOSPC || (err == TLD_ENOMEM && bound != SIZE_MAX)) {
		/* the bound did not hold or its reservation was refused: the exact size */
		tld_debug("unsigned zone text: %s, measured first", tld_strerror(err));
		two = false;
		err = text_in_one(zg, 0, text, len);
	}
	if (err == TLD_OK) {
		tld_debug("unsigned zone text: %zu bytes in %.3f s (%s)", *len, tld_mono_seconds() - t0,
		          two ? "two parts on two threads" : "one part");
	}
	return err;
}

void tld_run_unsigned_text_free(char *text, size_t len)
{
	if (text == NULL) {
		return;
	}
	char *start;
	size_t size;
	text_pages(text, len, &start, &size);
	munmap(start, size);
}
