/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The verification state file (verify/vstate.h): round trip, and every damaged form refused. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "common/error.h"
#include "common/log.h"
#include "tests/tap/tap.h"
#include "tests/unit/test_slurp.h"
#include "verify/vstate.h"

static const uint8_t apex[] = { 4, 't', 'e', 's', 't', 0 };
/* where the seal's key and IV end: the rest up to the seal is the facts' */
#define HEAD_END (16 + 4 + VFY_FILEMAC_KEY + VFY_FILEMAC_IV)
static const uint8_t other[] = { 5, 'o', 't', 'h', 'e', 'r', 0 };

static void hash_of(int i, uint8_t h[VFY_VS_HASH])
{
	for (int k = 0; k < VFY_VS_HASH; k++) {
		h[k] = (uint8_t)(i * 37 + k * 11);
	}
}

static void make_facts(struct vfy_facts *f, bool sorted)
{
	uint8_t h[VFY_VS_HASH], n[VFY_VS_HASH];
	static const uint8_t bm[] = { 0, 6, 0x20, 0, 0, 0, 0, 0x13 };

	memset(f, 0, sizeof(*f));
	memcpy(f->apex, apex, sizeof(apex));
	f->apex_len = sizeof(apex);
	memset(f->file_mac.key, 0xab, sizeof(f->file_mac.key));
	memset(f->file_mac.iv, 0xbc, sizeof(f->file_mac.iv));
	memset(f->file_mac.tag, 0xef, sizeof(f->file_mac.tag));
	memset(f->apex_digest, 0xcd, sizeof(f->apex_digest));
	f->counts = (struct vfy_vs_counts){ 10, 5, 1, 4, 4, 2, 2, 3 };
	for (int i = 5; i > 0; i--) {
		hash_of(i, h);
		vfy_facts_add_name(f, h, i % 2);
	}
	for (int i = 3; i > 0; i--) {
		hash_of(i, h);
		hash_of(i % 3 + 1, n);
		vfy_facts_add_nsec3(f, h, n, 1, bm, (size_t)i * 2 + 2 > sizeof(bm) ? sizeof(bm) : 4);
	}
	vfy_facts_add_sig(f, 100, 900);
	vfy_facts_add_sig(f, 50, 700);
	if (sorted) {
		vfy_facts_sort(f);
	}
}

/* How many temporaries of path ("PATH.tmp.*") there are. */
static size_t temporaries(const char *path)
{
	char pat[256];
	glob_t g;
	snprintf(pat, sizeof(pat), "%s.tmp.*", path);
	size_t n = glob(pat, 0, NULL, &g) == 0 ? g.gl_pathc : 0;
	globfree(&g);
	return n;
}

static bool same_facts(const struct vfy_facts *a, const struct vfy_facts *b)
{
	if (a->apex_len != b->apex_len || memcmp(a->apex, b->apex, a->apex_len) != 0 ||
	    memcmp(&a->file_mac, &b->file_mac, sizeof(a->file_mac)) != 0 ||
	    memcmp(a->apex_digest, b->apex_digest, 32) != 0 ||
	    memcmp(&a->counts, &b->counts, sizeof(a->counts)) != 0 || a->n_names != b->n_names ||
	    a->n_nsec3 != b->n_nsec3 || a->n_sigs != b->n_sigs) {
		return false;
	}
	for (size_t i = 0; i < a->n_names; i++) {
		if (memcmp(&a->names[i], &b->names[i], sizeof(a->names[i])) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < a->n_nsec3; i++) {
		const struct vfy_vs_nsec3 *x = &a->nsec3[i], *y = &b->nsec3[i];
		if (memcmp(x->hash, y->hash, VFY_VS_HASH) != 0 || memcmp(x->next, y->next, VFY_VS_HASH) != 0 ||
		    x->flags != y->flags || x->bm_len != y->bm_len ||
		    memcmp(a->bitmaps + x->bm_off, b->bitmaps + y->bm_off, x->bm_len) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < a->n_sigs; i++) {
		if (a->expirations[i] != b->expirations[i] || a->inceptions[i] != b->inceptions[i]) {
			return false;
		}
	}
	return true;
}

static void spill(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f != NULL) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

/* The file's trailing seal made right again after an edit. */
static void reseal(uint8_t *buf, size_t len)
{
	vfy_vstate_reseal(buf, len);
}

static int load(const char *path, const uint8_t *a, size_t alen)
{
	struct vfy_facts f;
	int ret = vfy_vstate_load(path, a, alen, &f);
	vfy_facts_clear(&f);
	return ret;
}

int main(void)
{
	char path[] = "/tmp/test_verify_vstate.XXXXXX";
	int fd = mkstemp(path);
	struct vfy_facts f, g;
	size_t len;

	plan_lazy();
	tld_log_init(TLD_LOG_ERROR, false);
	if (fd < 0) {
		ok(0, "temporary file");
		return exit_status();
	}
	close(fd);

	make_facts(&f, true);
	is_int(TLD_OK, f.err, "facts built");
	is_int(TLD_OK, vfy_vstate_write(path, &f), "state written");
	is_int(TLD_OK, vfy_vstate_load(path, apex, sizeof(apex), &g), "state read back");
	ok(same_facts(&f, &g), "the same facts");
	ok(g.n_names == 5 && g.n_nsec3 == 3 && g.n_sigs == 2 && g.expirations[0] == 700 &&
	   g.inceptions[1] == 100, "names, NSEC3 records and sorted times");
	vfy_facts_clear(&g);
	is_int(TLD_EINVAL, load(path, other, sizeof(other)), "another zone's apex: refused");
	is_int(TLD_OK, vfy_vstate_load(path, NULL, 0, &g), "any apex: read");
	ok(g.apex_len == sizeof(apex) && memcmp(g.apex, apex, sizeof(apex)) == 0,
	   "any apex: the state's apex returned");
	vfy_facts_clear(&g);
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "readable by its owner only (it holds the tag's key)");

	uint8_t *good = test_slurp(path, &len);
	uint8_t *bad = malloc(len);
	for (size_t at = 0; at < len; at += len / 23 + 1) {
		memcpy(bad, good, len);
		bad[at] ^= 0x40;
		spill(path, bad, len);
		is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "a byte changed at %zu: refused", at);
	}
	spill(path, good, len - 1);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "truncated: refused");

	/* an earlier format version, well sealed: refused (the file held a SHA-256 then) */
	memcpy(bad, good, len);
	bad[19] = 1;
	reseal(bad, len);
	spill(path, bad, len);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "format version 1: refused");
	bad[19] = 3;
	reseal(bad, len);
	spill(path, bad, len);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "format version 3: refused");
	spill(path, good, 10);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "a stub: refused");

	/* well sealed but inconsistent: too many names for its length */
	memcpy(bad, good, len);
	size_t counts_at = 16 + 4 + VFY_FILEMAC_KEY + VFY_FILEMAC_IV + 1 + sizeof(apex) +
	                   sizeof(struct vfy_filemac) + 32 + 64;
	bad[counts_at] = 0x7f;
	reseal(bad, len);
	spill(path, bad, len);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "sealed, a huge name count: refused");
	memcpy(bad, good, len);
	bad[counts_at + 7] = 4; /* one name fewer: the rest does not fit */
	reseal(bad, len);
	spill(path, bad, len);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "sealed, a wrong name count: refused");
	memcpy(bad, good, len);
	bad[counts_at + 8 + 8 + 8 + 20] = 7; /* first name's flag */
	reseal(bad, len);
	spill(path, bad, len);
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "sealed, a bad name flag: refused");

	/* names given as runs into other arrays (the delta merge): the same file */
	struct vfy_facts r = f;
	struct vfy_vs_name extra = f.names[4];
	struct vfy_vs_run runs[] = { { f.names, 2 }, { f.names + 2, 0 }, { f.names + 2, 2 }, { &extra, 1 } };
	r.names = NULL;
	r.runs = runs;
	r.n_runs = 4;
	is_int(TLD_OK, vfy_vstate_write(path, &r), "names as runs: written");
	is_int(TLD_OK, vfy_vstate_load(path, apex, sizeof(apex), &g), "names as runs: read back");
	ok(same_facts(&f, &g), "names as runs: the same facts as the names in one array");
	vfy_facts_clear(&g);
	uint8_t *from_runs = test_slurp(path, &len);
	ok(from_runs != NULL && memcmp(from_runs + HEAD_END, good + HEAD_END, len - HEAD_END - 16) == 0,
	   "names as runs: the same bytes but the seal's key, IV and tag");
	free(from_runs);
	runs[3].n = 0;
	is_int(TLD_EINVAL, vfy_vstate_write(path, &r), "runs one name short of the count: not written");
	runs[3].n = 2;
	is_int(TLD_EINVAL, vfy_vstate_write(path, &r), "runs one name over the count: not written");
	r.n_runs = 0;
	is_int(TLD_EINVAL, vfy_vstate_write(path, &r), "no runs for five names: not written");
	vfy_facts_clear(&f);

	make_facts(&f, false); /* the NSEC3 records in descending order */
	is_int(TLD_EINVAL, vfy_vstate_write(path, &f), "NSEC3 out of order: not written");
	vfy_facts_clear(&f);
	make_facts(&f, false);
	vfy_facts_sort(&f);
	struct vfy_vs_name t = f.names[0];
	f.names[0] = f.names[1];
	f.names[1] = t;
	is_int(TLD_OK, vfy_vstate_write(path, &f), "names out of order written (the writer trusts)");
	is_int(TLD_EINVAL, load(path, apex, sizeof(apex)), "names out of order: refused");
	vfy_facts_clear(&f);

	/* many names: the bucket sort */
	memset(&f, 0, sizeof(f));
	unsigned seed = 7;
	for (int i = 0; i < 20000; i++) {
		uint8_t h[VFY_VS_HASH];
		for (int k = 0; k < VFY_VS_HASH; k++) {
			seed = seed * 1103515245u + 12345u;
			h[k] = (uint8_t)(seed >> 16);
		}
		if (i % 7 == 0) {
			h[0] = h[1] = 0x42; /* a crowded bucket */
		}
		vfy_facts_add_name(&f, h, i % 3 == 0);
		if (i % 1000 == 0) {
			vfy_facts_add_name(&f, h, i % 3 != 0); /* the same hash, the other flag */
		}
	}
	vfy_facts_sort(&f);
	bool sorted = f.n_names == 20020;
	for (size_t i = 1; i < f.n_names && sorted; i++) {
		int c = memcmp(f.names[i - 1].hash, f.names[i].hash, VFY_VS_HASH);
		sorted = c < 0 || (c == 0 && f.names[i - 1].needs <= f.names[i].needs);
	}
	ok(sorted, "20020 names sorted by hash, then flag");
	vfy_facts_clear(&f);

	/* written on a thread, kept or not: a state larger than the staging buffer */
	make_facts(&f, true);
	is_int(TLD_OK, vfy_vstate_write(path, &f), "a state in place");
	uint8_t *before = test_slurp(path, &len);
	size_t before_len = len;
	struct vfy_facts big;
	memset(&big, 0, sizeof(big));
	memcpy(big.apex, apex, sizeof(apex));
	big.apex_len = sizeof(apex);
	for (int i = 0; i < 120000; i++) {
		uint8_t h[VFY_VS_HASH];
		for (int k = 0; k < VFY_VS_HASH; k++) {
			seed = seed * 1103515245u + 12345u;
			h[k] = (uint8_t)(seed >> 16);
		}
		vfy_facts_add_name(&big, h, i % 5 == 0);
		if (i % 3 == 0) {
			vfy_facts_add_sig(&big, (uint32_t)i, (uint32_t)i * 2);
		}
	}
	vfy_facts_sort(&big);
	struct vfy_vstate_job *job = NULL;
	is_int(TLD_OK, vfy_vstate_write_start(path, &big, &job), "a big state: write started");
	is_int(TLD_OK, vfy_vstate_write_end(job, false), "not kept: ended");
	uint8_t *after = test_slurp(path, &len);
	ok(after != NULL && len == before_len && memcmp(after, before, len) == 0,
	   "not kept: the state in place is untouched");
	free(after);
	is_int(0, (int)temporaries(path), "not kept: no temporary left");
	/* the names as runs of two arrays, one run longer than the staging buffer */
	struct vfy_facts br = big;
	struct vfy_vs_run bruns[] = { { big.names, 7 }, { big.names + 7, 100000 },
		                      { big.names + 100007, big.n_names - 100007 } };
	br.names = NULL;
	br.runs = bruns;
	br.n_runs = 3;
	job = NULL;
	is_int(TLD_OK, vfy_vstate_write_start(path, &br, &job), "a big state as runs: write started");
	is_int(TLD_OK, vfy_vstate_write_end(job, true), "kept: renamed into place");
	is_int(0, (int)temporaries(path), "kept: no temporary left");
	is_int(TLD_OK, vfy_vstate_load(path, apex, sizeof(apex), &g), "the big state read back");
	ok(same_facts(&big, &g), "the big state: the same facts");
	vfy_facts_clear(&g);
	vfy_facts_clear(&big);
	vfy_facts_clear(&f);
	make_facts(&f, false); /* the NSEC3 records in descending order */
	job = (struct vfy_vstate_job *)&job;
	is_int(TLD_EINVAL, vfy_vstate_write_start(path, &f, &job), "facts refused: not started");
	ok(job == NULL, "facts refused: no job");
	is_int(0, (int)temporaries(path), "facts refused: no temporary");
	is_int(TLD_OK, vfy_vstate_write_end(NULL, true), "no job: nothing to end");
	free(before);
	vfy_facts_clear(&f);

	/* the NSEC3 lookup: the linear answer for uniform, clustered and equal-prefix hashes */
	for (int shape = 0; shape < 4; shape++) {
		struct vfy_facts n3;
		memset(&n3, 0, sizeof(n3));
		int count = shape == 3 ? 5 : 3000;
		for (int i = 0; i < count; i++) {
			uint8_t h[VFY_VS_HASH];
			for (int k = 0; k < VFY_VS_HASH; k++) {
				seed = seed * 1103515245u + 12345u;
				h[k] = (uint8_t)(seed >> 16);
			}
			if (shape == 1) {
				memset(h, 0, 8); /* one first eight bytes: the rest decides */
			} else if (shape == 2 && i % 10 != 0) {
				h[0] = 0x80;
				h[1] = (uint8_t)(i % 3); /* nine in ten in a narrow cluster */
			}
			vfy_facts_add_nsec3(&n3, h, h, 0, NULL, 0);
		}
		vfy_facts_sort(&n3);
		size_t *index = vfy_facts_nsec3_index(&n3);
		bool same = true;
		for (int q = 0; q < 20000 && same; q++) {
			uint8_t h[VFY_VS_HASH];
			if (q < (int)n3.n_nsec3) {
				memcpy(h, n3.nsec3[q].hash, VFY_VS_HASH); /* each hash present */
				if (q % 2) {
					h[VFY_VS_HASH - 1]++; /* or just after it */
				}
			} else {
				for (int k = 0; k < VFY_VS_HASH; k++) {
					seed = seed * 1103515245u + 12345u;
					h[k] = q % 7 == 0 ? 0xff : q % 11 == 0 ? 0 : (uint8_t)(seed >> 16);
				}
				if (shape == 1 || (shape == 2 && q % 2)) {
					memcpy(h, n3.nsec3[q % n3.n_nsec3].hash, 8);
				}
			}
			size_t want = 0;
			while (want < n3.n_nsec3 && vfy_vs_hash_cmp(n3.nsec3[want].hash, h) < 0) {
				want++;
			}
			same = vfy_facts_nsec3_lower(&n3, h) == want &&
			       (index == NULL || vfy_facts_nsec3_lower_in(&n3, index, h) == want);
		}
		ok(same, "NSEC3 lookup, hash shape %d: the first record not below the hash", shape);
		ok(index != NULL, "NSEC3 lookup, hash shape %d: by the index too", shape);
		free(index);
		vfy_facts_clear(&n3);
	}

	unlink(path);
	is_int(TLD_ENOENT, load(path, apex, sizeof(apex)), "no file: TLD_ENOENT");
	free(good);
	free(bad);
	return exit_status();
}
