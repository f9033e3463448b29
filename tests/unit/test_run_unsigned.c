/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The run's unsigned zone (run/unsigned.h): the signer's zone filled in
 * memory equals the one signer_zone_read() makes of STATE_DIR/unsigned.zone
 * (records, RDATA, owners, lines), with one thread and with two; apex.records
 * data the file path drops or refuses is dropped or refused the same way;
 * the file written beside the run has the digest it reports.  A zone filled
 * in two parts is refused with the message of one pass, word for word (the
 * line of the refused record in the file), wherever the record lies.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/clock.h"
#include "common/error.h"
#include "run/unsigned.h"
#include "signer/zone.h"
#include "signer/zone_read.h"
#include "tests/tap/tap.h"
#include "tests/unit/zonegen_fixture.h"

#define NOW "2026-11-21T10:00:00Z"

static char tmpdir[256];

/* Two zones as filled (not built): the same records, RDATA, owners and lines. */
static bool same_zone(const struct signer_zone *a, const struct signer_zone *b)
{
	if (a->nrrs != b->nrrs || a->nnodes != b->nnodes || a->rdata_len != b->rdata_len ||
	    a->node_arena_len != b->node_arena_len || a->origin_len != b->origin_len ||
	    memcmp(a->origin, b->origin, a->origin_len) != 0 ||
	    memcmp(a->rdata, b->rdata, a->rdata_len) != 0 ||
	    memcmp(a->node_arena, b->node_arena, a->node_arena_len) != 0) {
		return false;
	}
	for (size_t i = 0; i < a->nrrs; i++) {
		const struct signer_rr *x = &a->rrs[i], *y = &b->rrs[i];
		if (x->node != y->node || x->type != y->type || x->rdlen != y->rdlen || x->ttl != y->ttl ||
		    x->line != y->line || x->rdoff != y->rdoff) {
			return false;
		}
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		if (memcmp(&a->nodes[i], &b->nodes[i], sizeof(a->nodes[i])) != 0) {
			return false;
		}
	}
	return true;
}

static void sha256_hex(const char *text, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(text, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n; i++) {
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
}

/* Builds the export in dir (apex.records from apex when not NULL). */
static struct tld_zonegen *build(const char *sub, const struct fx_file *files, size_t n,
                                 const char *apex, struct tld_config *cfg)
{
	static char dirs[8][512], apex_paths[8][600];
	static int seq;
	int k = seq++ % 8;
	snprintf(dirs[k], sizeof(dirs[k]), "%s/%s", tmpdir, sub);
	if (fx_export(dirs[k], files, n, NOW, "test.") != 0) {
		return NULL;
	}
	fx_config(cfg, dirs[k]);
	if (apex != NULL) {
		snprintf(apex_paths[k], sizeof(apex_paths[k]), "%s/%s.apex", tmpdir, sub);
		FILE *f = fopen(apex_paths[k], "w");
		if (f == NULL) {
			return NULL;
		}
		fputs(apex, f);
		fclose(f);
		cfg->apex.records = apex_paths[k];
	}
	struct tld_zonegen *zg = NULL;
	int ret = 0;
	free(fx_zone(cfg, &zg, &ret)); /* builds; the text is not needed here */
	return ret == TLD_OK ? zg : NULL;
}

/*
 * The file written from the text made beside the fill (taken; NULL: formatted)
 * is the file formatted from zonegen: the same digest, the same bytes.
 */
static void same_file_from_text(const struct tld_zonegen *zg, struct tld_zonegen_text *text,
                                const char *want_hex, const char *what)
{
	char path[600], formatted[600], hex[65] = "";
	snprintf(path, sizeof(path), "%s/from-text.zone", tmpdir);
	snprintf(formatted, sizeof(formatted), "%s/unsigned.zone", tmpdir);
	struct tld_run_unsigned_job *job = NULL;
	is_int(TLD_OK, tld_run_unsigned_start(zg, text, path, &job), "%s: the writer starts with %s",
	       what, text != NULL ? "the text made" : "no text");
	is_int(TLD_OK, tld_run_unsigned_finish(job, hex, NULL, NULL), "%s: written", what);
	is_str(hex, want_hex, "%s: the same digest as formatted from zonegen", what);
	size_t a_len = 0, b_len = 0;
	char *a = tap_read_file(path, &a_len), *b = tap_read_file(formatted, &b_len);
	ok(a != NULL && b != NULL && a_len == b_len && memcmp(a, b, a_len) == 0,
	   "%s: the same bytes (%zu)", what, a_len);
	free(a);
	free(b);
}

/*
 * The text in memory (tld_run_unsigned_text(), one thread and two) is the
 * file's text (file, its digest want_hex); written from memory
 * (tld_run_unsigned_write_buffer()) it is the same file with the same
 * digest, which tld_run_file_sha256_hex() finds again.
 */
static void same_text_in_memory(const struct tld_zonegen *zg, const char *file, const char *want_hex,
                                const char *what)
{
	size_t want_len = 0;
	char *want = tap_read_file(file, &want_len);
	char path[600];
	snprintf(path, sizeof(path), "%s/from-memory.zone", tmpdir);
	for (int m = 0; m < 2; m++) {
		const char *how = m ? "two threads" : "one thread";
		setenv("TLDSIGN_TEXT_SPLIT", m ? "1" : "0", 1);
		char *text = NULL;
		size_t len = 0;
		is_int(TLD_OK, tld_run_unsigned_text(zg, &text, &len), "%s: the text in memory (%s)", what, how);
		ok(want != NULL && text != NULL && len == want_len && memcmp(text, want, len) == 0,
		   "%s: the file's text, byte for byte (%s, %zu bytes)", what, how, len);
		unlink(path);
		struct tld_run_unsigned_job *job = NULL;
		char hex[65] = "", again[65] = "";
		double took = -1, cpu = -1;
		is_int(TLD_OK, tld_run_unsigned_write_buffer(text, len, path, &job),
		       "%s: its writer starts (%s)", what, how);
		is_int(TLD_OK, tld_run_unsigned_finish(job, hex, &took, &cpu), "%s: written (%s)", what, how);
		ok(took >= 0 && cpu >= 0, "%s: the write's wall and CPU time are reported", what);
		is_str(hex, want_hex, "%s: the digest of the present writer (%s)", what, how);
		size_t got_len = 0, size = 0;
		char *got = tap_read_file(path, &got_len);
		ok(got != NULL && want != NULL && got_len == want_len && memcmp(got, want, got_len) == 0,
		   "%s: the same file (%s)", what, how);
		free(got);
		is_int(TLD_OK, tld_run_file_sha256_hex(path, again, &size), "%s: the file hashed again", what);
		ok(strcmp(again, want_hex) == 0 && size == want_len, "%s: its SHA-256 and length", what);
		tld_run_unsigned_text_free(text, len);
	}
	unsetenv("TLDSIGN_TEXT_SPLIT");
	free(want);
}

/* Whether dir holds an entry whose name contains part. */
static bool dir_has(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	bool found = false;
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		found |= strstr(e->d_name, part) != NULL;
	}
	if (d != NULL) {
		closedir(d);
	}
	return found;
}

/*
 * The text written and mapped (tld_run_unsigned_write_mapped()) is the
 * file's text (file, its digest want_hex); the job hashes it and renames it
 * onto a file already there, whose mapping taken before still holds the
 * old bytes (the patch run compares the two); no temporary file is left.
 */
static void same_text_mapped(const struct tld_zonegen *zg, const char *file, const char *want_hex,
                             const char *what)
{
	size_t want_len = 0;
	char *want = tap_read_file(file, &want_len);
	char path[600];
	snprintf(path, sizeof(path), "%s/mapped/unsigned.zone", tmpdir);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/mapped", tmpdir);
	mkdir(dir, 0755);
	const char old_text[] = "old.\t3600\tIN\tTXT\t\"the last run's\"\n";
	FILE *f = fopen(path, "w");
	ok(f != NULL && fputs(old_text, f) >= 0 && fclose(f) == 0, "%s: a last run's file is there", what);
	int fd = open(path, O_RDONLY);
	char *old = fd >= 0 ? mmap(NULL, strlen(old_text), PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (fd >= 0) {
		close(fd);
	}
	ok(old != MAP_FAILED, "%s: and mapped", what);

	struct tld_run_unsigned_job *job = NULL;
	char *text = NULL, hex[65] = "";
	size_t len = 0;
	double took = -1, cpu = -1;
	is_int(TLD_OK, tld_run_unsigned_write_mapped(zg, path, &job, &text, &len), "%s: written and mapped", what);
	ok(job != NULL && text != NULL, "%s: a job and a text", what);
	ok(want != NULL && text != NULL && len == want_len && memcmp(text, want, len) == 0,
	   "%s: the file's text, byte for byte (%zu bytes)", what, len);
	is_int(TLD_OK, tld_run_unsigned_finish(job, hex, &took, &cpu), "%s: hashed and renamed", what);
	ok(took >= 0 && cpu >= 0, "%s: the job's wall and CPU time are reported", what);
	is_str(hex, want_hex, "%s: the digest of the present writer", what);
	size_t got_len = 0;
	char *got = tap_read_file(path, &got_len);
	ok(got != NULL && want != NULL && got_len == want_len && memcmp(got, want, got_len) == 0,
	   "%s: the same file in place", what);
	free(got);
	ok(old != MAP_FAILED && memcmp(old, old_text, strlen(old_text)) == 0,
	   "%s: the last run's mapping still holds its bytes", what);
	ok(!dir_has(dir, ".tmp."), "%s: no temporary file left", what);
	ok(text != NULL && want != NULL && memcmp(text, want, len) == 0, "%s: the text unchanged after the rename", what);
	tld_run_unsigned_text_free(text, len);
	if (old != MAP_FAILED) {
		munmap(old, strlen(old_text));
	}
	unlink(path);
	rmdir(dir);
	free(want);
}

/*
 * A text to be written and mapped where no file can be made: an error, no
 * job, no text, nothing left (the patch run formats in memory then).
 */
static void mapped_failure(const struct tld_zonegen *zg)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/no-such-dir/unsigned.zone", tmpdir);
	struct tld_run_unsigned_job *job = (void *)&path;
	char *text = (char *)"x";
	size_t len = 7;
	is_int(TLD_ENOENT, tld_run_unsigned_write_mapped(zg, path, &job, &text, &len),
	       "written and mapped into a missing directory: TLD_ENOENT at once");
	ok(job == (void *)&path && strcmp(text, "x") == 0 && len == 7, "no job, no text on failure");
	ok(access(path, F_OK) != 0, "no file");

	/* a directory where the file is to be renamed: the job fails, the temporary file goes */
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/taken", tmpdir);
	snprintf(path, sizeof(path), "%s/taken/unsigned.zone", tmpdir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	char sub[700];
	snprintf(sub, sizeof(sub), "%s/inside", path);
	mkdir(sub, 0755); /* a directory that is not empty: rename() refuses */
	job = NULL;
	text = NULL;
	is_int(TLD_OK, tld_run_unsigned_write_mapped(zg, path, &job, &text, &len),
	       "written and mapped beside a directory in the way");
	char hex[65] = "x";
	ok(tld_run_unsigned_finish(job, hex, NULL, NULL) != TLD_OK, "the rename fails at finish");
	ok(strcmp(hex, "x") == 0, "no digest");
	ok(!dir_has(dir, ".tmp."), "no temporary file left");
	tld_run_unsigned_text_free(text, len);
	rmdir(sub);
	rmdir(path);
	rmdir(dir);
}

/* Whether AddressSanitizer is built in (it cannot run in a small address space). */
static bool under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

/* The process's address space in bytes (VmSize), or 0 when unknown. */
static size_t address_space(void)
{
	size_t len = 0, kb = 0;
	char *status = tap_read_file("/proc/self/status", &len);
	const char *p = status != NULL ? strstr(status, "VmSize:") : NULL;
	if (p != NULL) {
		kb = strtoull(p + 7, NULL, 10);
	}
	free(status);
	return kb * 1024;
}

/*
 * With the address space too small for the reservation of the text's bound
 * on both sides, the text is measured first and formatted into a mapping of
 * its own size: the same bytes.
 */
static void text_without_reservation(const struct tld_zonegen *zg, const char *file, const char *what)
{
	struct rlimit old;
	size_t have = address_space(), want_len = 0;
	if (under_asan()) {
		skip("under ASan: its allocator wants address space of its own");
		return;
	}
	if (have == 0 || getrlimit(RLIMIT_AS, &old) != 0) {
		skip("no address-space figures: the reservation cannot be refused");
		return;
	}
	char *want = tap_read_file(file, &want_len);
	size_t bound = tld_zonegen_text_bound(zg);
	ok(want != NULL && bound > want_len + (64u << 20),
	   "%s: the bound (%zu) is far above the text (%zu)", what, bound, want_len);
	struct rlimit tight = old;
	tight.rlim_cur = have + want_len + (32u << 20); /* room for the text, not for the bound */
	for (int m = 0; m < 2; m++) {
		setenv("TLDSIGN_TEXT_SPLIT", m ? "1" : "0", 1);
		char *text = NULL;
		size_t len = 0;
		int lim = setrlimit(RLIMIT_AS, &tight);
		int err = tld_run_unsigned_text(zg, &text, &len);
		setrlimit(RLIMIT_AS, &old);
		is_int(0, lim, "%s: the address space limited", what);
		is_int(TLD_OK, err, "%s: the text made all the same (%s)", what, m ? "two threads asked" : "one thread");
		ok(text != NULL && want != NULL && len == want_len && memcmp(text, want, len) == 0,
		   "%s: measured first, the same bytes", what);
		tld_run_unsigned_text_free(text, len);
	}
	unsetenv("TLDSIGN_TEXT_SPLIT");
	free(want);
}

/* The file, its digest, and the zone in memory against the zone read from the file. */
static void against_file(struct tld_zonegen *zg, const char *what)
{
	char path[600], hex[65] = "", job_hex[65] = "";
	snprintf(path, sizeof(path), "%s/unsigned.zone", tmpdir);
	struct tld_run_unsigned_job *job = NULL;
	double took = -1, cpu = -1;
	is_int(TLD_OK, tld_run_unsigned_start(zg, NULL, path, &job), "%s: the writer starts", what);
	is_int(TLD_OK, tld_run_unsigned_finish(job, job_hex, &took, &cpu), "%s: the file is written", what);
	ok(took >= 0 && cpu >= 0, "%s: the write's wall and CPU time are reported", what);
	size_t len = 0;
	char *text = tap_read_file(path, &len);
	if (text != NULL) {
		sha256_hex(text, len, hex);
	}
	is_str(hex, job_hex, "%s: the digest is the file's SHA-256", what);
	char again[65] = "";
	is_int(TLD_OK, tld_run_write_unsigned(zg, path, again), "%s: written again", what);
	is_str(job_hex, again, "%s: the same digest again", what);
	free(text);
	same_text_in_memory(zg, path, job_hex, what);
	same_text_mapped(zg, path, job_hex, what);

	/*
	 * The reference is the file read in one pass: the two-slice reader may
	 * split one owner's records over two nodes at its cut (the build merges
	 * them), so its unbuilt zone differs in layout, not in content.
	 */
	struct signer_zone *from_file = NULL;
	setenv("TLDSIGN_READ_SLICES", "0", 1);
	is_int(TLD_OK, signer_zone_read(path, NULL, &from_file), "%s: the file reads", what);
	unsetenv("TLDSIGN_READ_SLICES");
	const char *modes[] = { "0", "1" };
	for (int m = 0; m < 2; m++) {
		setenv("TLDSIGN_FILL_PIPELINE", modes[m], 1);
		struct signer_zone *mem = NULL;
		struct tld_zonegen_text *made = NULL;
		is_int(TLD_OK, tld_run_unsigned_zone(zg, "test.", path, &mem, &made),
		       "%s: filled in memory (%s)", what, m ? "two threads" : "one thread");
		ok(from_file && mem && same_zone(from_file, mem),
		   "%s: the same zone as read from the file (%zu records, %s)", what,
		   mem ? mem->nrrs : 0, m ? "two threads" : "one thread");
		ok(mem && strcmp(mem->source, path) == 0, "%s: messages name the file", what);
		ok(made != NULL, "%s: the file's text made beside the fill (%s)", what,
		   m ? "two parts" : "one pass");
		same_file_from_text(zg, made, job_hex, what);
		signer_zone_free(mem);
	}
	unsetenv("TLDSIGN_FILL_PIPELINE");
	signer_zone_free(from_file);
}

/* tld_run_unsigned_zone() with stderr caught: the result, and what was logged (caller frees). */
static int fill_logged(const struct tld_zonegen *zg, const char *source, char **logged)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/stderr.txt", tmpdir);
	fflush(stderr);
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0) {
		*logged = NULL;
		return -1;
	}
	close(fd);
	struct signer_zone *z = NULL;
	struct tld_zonegen_text *text = (struct tld_zonegen_text *)1; /* must be reset */
	int err = tld_run_unsigned_zone(zg, "test.", source, &z, &text);
	if (text != NULL) {
		err = -1; /* a failed fill hands out no text */
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	signer_zone_free(z);
	size_t len = 0;
	*logged = tap_read_file(path, &len);
	return err;
}

/* The line of the file (1 = first) that starts with prefix, or 0. */
static unsigned long line_of(const char *text, const char *prefix)
{
	unsigned long line = 1;
	for (const char *p = text; p != NULL && *p != '\0'; line++) {
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			return line;
		}
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return 0;
}

/* A generated export of n domains, glue of both families and DS on some. */
static struct tld_zonegen *generated(size_t n, const char *apex, struct tld_config *cfg, char **bufs)
{
	size_t cap = n * 200 + 1024;
	for (int i = 0; i < 4; i++) {
		if ((bufs[i] = malloc(cap)) == NULL) {
			return NULL;
		}
	}
	char *dom = bufs[0], *ns = bufs[1], *hosts = bufs[2], *ds = bufs[3];
	size_t ld = (size_t)sprintf(dom, "name,statuses\n");
	size_t ln = (size_t)sprintf(ns, "domain,host\n");
	size_t lh = (size_t)sprintf(hosts, "host,address\n");
	size_t ls = (size_t)sprintf(ds, "domain,key_tag,algorithm,digest_type,digest\n");
	for (size_t i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "g%zx.test", i * 2654435761u % 1000003);
		ld += (size_t)sprintf(dom + ld, "%s,ok\n", name);
		if (i % 4 == 0) {
			ln += (size_t)sprintf(ns + ln, "%s,ns1.%s\n", name, name);
			lh += (size_t)sprintf(hosts + lh, "ns1.%s,192.0.2.%zu\nns1.%s,2001:db8:%zx::%zx\n",
			                      name, i % 250 + 1, name, i >> 16, (i & 0xffff) + 1);
		} else {
			ln += (size_t)sprintf(ns + ln, "%s,ns%zu.provider.net\n%s,ns.other.example\n", name,
			                      i % 7, name);
		}
		if (i % 9 == 0) {
			ls += (size_t)sprintf(ds + ls, "%s,%zu,13,2,%064zx\n", name, i % 65536, i * 7919);
		}
	}
	const struct fx_file files[] = {
		{ "domains.csv", dom }, { "nameservers.csv", ns }, { "hosts.csv", hosts }, { "ds.csv", ds },
	};
	return build(apex != NULL ? "gen-apex" : "gen", files, 4, apex, cfg);
}

/*
 * A record refused late in the zone (apex.records data at an owner sorted
 * last, in the second part of a fill in two): one pass and two parts log
 * the same message, naming the record's line in the file.
 */
static void refused_late(void)
{
	char *bufs[4] = { 0 };
	struct tld_config cfg;
	struct tld_zonegen *zg = generated(20000, "zzzz.test. 600 CH TXT \"late\"\n", &cfg, bufs);
	ok(zg != NULL, "a generated export with a CH record sorted last builds");
	if (zg != NULL) {
		char path[600], hex[65];
		snprintf(path, sizeof(path), "%s/late.zone", tmpdir);
		is_int(TLD_OK, tld_run_write_unsigned(zg, path, hex), "its file is written");
		size_t len = 0;
		char *text = tap_read_file(path, &len);
		unsigned long line = text != NULL ? line_of(text, "zzzz.test.") : 0;
		ok(line > 20000, "the record is far into the file (line %lu)", line);
		char want[700];
		snprintf(want, sizeof(want), "%s:%lu: zzzz.test. TXT: class other than IN", path, line);
		char *logged[2] = { NULL, NULL };
		for (int m = 0; m < 2; m++) {
			setenv("TLDSIGN_FILL_PIPELINE", m ? "1" : "0", 1);
			is_int(TLD_EPARSE, fill_logged(zg, path, &logged[m]), "refused (%s)",
			       m ? "two parts" : "one pass");
			ok(logged[m] != NULL && strstr(logged[m], want) != NULL, "the message names line %lu (%s)",
			   line, m ? "two parts" : "one pass");
		}
		unsetenv("TLDSIGN_FILL_PIPELINE");
		ok(logged[0] != NULL && logged[1] != NULL && strcmp(logged[0], logged[1]) == 0,
		   "one pass and two parts log the same, once");
		free(logged[0]);
		free(logged[1]);
		free(text);
	}
	tld_zonegen_free(zg);
	for (int i = 0; i < 4; i++) {
		free(bufs[i]);
	}
}

/*
 * Wide owners: one domain with 3000 name servers of its own (glue, both
 * families), one host with 300 addresses: long entries in the text made
 * beside the fill, the same file and zone either way.
 */
static void wide(void)
{
	size_t cap = 1u << 20;
	char *ns = malloc(cap), *hosts = malloc(cap);
	if (ns == NULL || hosts == NULL) {
		free(ns);
		free(hosts);
		ok(0, "memory for the wide export");
		return;
	}
	size_t ln = (size_t)sprintf(ns, "domain,host\n"), lh = (size_t)sprintf(hosts, "host,address\n");
	for (int i = 0; i < 3000; i++) {
		ln += (size_t)sprintf(ns + ln, "wide.test,ns%d.wide.test\n", i);
		lh += (size_t)sprintf(hosts + lh, "ns%d.wide.test,10.%d.%d.1\nns%d.wide.test,2001:db8::%x\n", i,
		                      i / 250, i % 250, i, i + 1);
	}
	ln += (size_t)sprintf(ns + ln, "other.test,ns.other.test\n");
	for (int i = 0; i < 300; i++) {
		lh += (size_t)sprintf(hosts + lh, "ns.other.test,192.0.2.%d\n", i % 250 + 1);
		lh += (size_t)sprintf(hosts + lh, "ns.other.test,2001:db8:1::%x\n", i + 1);
	}
	const struct fx_file files[] = {
		{ "domains.csv", "name,statuses\nwide.test,ok\nother.test,ok\n" },
		{ "nameservers.csv", ns },
		{ "hosts.csv", hosts },
	};
	struct tld_config cfg;
	struct tld_zonegen *zg = build("wide", files, 3, NULL, &cfg);
	ok(zg != NULL && tld_zonegen_stats(zg)->ns_records == 3001, "the wide export builds (3001 NS)");
	if (zg != NULL) {
		against_file(zg, "wide owners");
	}
	tld_zonegen_free(zg);
	free(ns);
	free(hosts);
}

/* No domain: the text is the apex alone, in memory as in the file, on one thread and two. */
static void empty_zone(void)
{
	const struct fx_file files[] = {
		{ "domains.csv", "name,statuses\n" },
		{ "nameservers.csv", "domain,host\n" },
		{ "hosts.csv", "host,address\n" },
	};
	struct tld_config cfg;
	struct tld_zonegen *zg = build("empty", files, 3, NULL, &cfg);
	ok(zg != NULL, "an empty export builds");
	if (zg != NULL) {
		char path[600], hex[65] = "";
		snprintf(path, sizeof(path), "%s/empty.zone", tmpdir);
		is_int(TLD_OK, tld_run_write_unsigned(zg, path, hex), "its file is written");
		same_text_in_memory(zg, path, hex, "empty export");
		same_text_mapped(zg, path, hex, "empty export");
		mapped_failure(zg);
	}
	tld_zonegen_free(zg);
}

/*
 * A text written where no file can be made fails at finish, with nothing
 * left behind; an empty text makes an empty file; the SHA-256 of a file
 * that is missing, empty or a directory.
 */
static void buffer_failures(void)
{
	char path[600], hex[65] = "x";
	snprintf(path, sizeof(path), "%s/no-such-dir/unsigned.zone", tmpdir);
	struct tld_run_unsigned_job *job = NULL;
	is_int(TLD_OK, tld_run_unsigned_write_buffer("a\n", 2, path, &job), "a writer into a missing directory starts");
	is_int(TLD_ENOENT, tld_run_unsigned_finish(job, hex, NULL, NULL), "and fails at finish");
	ok(strcmp(hex, "x") == 0 && access(path, F_OK) != 0, "no digest, no file");

	snprintf(path, sizeof(path), "%s/empty-text.zone", tmpdir);
	const char *empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	job = NULL;
	is_int(TLD_OK, tld_run_unsigned_write_buffer(NULL, 0, path, &job), "an empty text is written");
	is_int(TLD_OK, tld_run_unsigned_finish(job, hex, NULL, NULL), "finished");
	is_str(hex, empty_sha, "the SHA-256 of nothing");
	size_t size = 7;
	char again[65] = "";
	is_int(TLD_OK, tld_run_file_sha256_hex(path, again, &size), "an empty file is hashed");
	ok(strcmp(again, empty_sha) == 0 && size == 0, "the SHA-256 of nothing, length 0");

	snprintf(path, sizeof(path), "%s/missing.zone", tmpdir);
	strcpy(again, "x");
	size = 7;
	is_int(TLD_ENOENT, tld_run_file_sha256_hex(path, again, &size), "a missing file: TLD_ENOENT");
	ok(strcmp(again, "x") == 0 && size == 7, "nothing written on failure");
	ok(tld_run_file_sha256_hex(tmpdir, again, NULL) != TLD_OK, "a directory is refused");
	tld_run_unsigned_text_free(NULL, 0); /* a no-op */
}

int main(void)
{
	plan_lazy();
	tld_time_t now;
	tld_time_parse(NOW, &now);
	tld_clock_pin(now);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_run_unsigned.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		skip_all("no temp dir");
	}

	const struct fx_file basic[] = {
		{ "domains.csv", "name,statuses\n"
		                 "example.test,ok\n"
		                 "glue.test,ok\n"
		                 "a.test,ok\n" },
		{ "nameservers.csv", "domain,host\n"
		                     "example.test,ns2.provider.net\n"
		                     "example.test,ns1.provider.net\n"
		                     "glue.test,ns1.glue.test\n"
		                     "a.test,ns1.glue.test\n" },
		{ "hosts.csv", "host,address\n"
		               "ns1.glue.test,192.0.2.1\n"
		               "ns1.glue.test,2001:db8::1\n" },
		{ "ds.csv", "domain,key_tag,algorithm,digest_type,digest\n"
		            "example.test,12345,13,2,"
		            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n" },
	};
	const char *apex = "ns1.nic.test. 3600 IN A 192.0.2.53\n"
	                   "test. 600 IN TXT \"registry\"\n"
	                   "test. 300 IN MX 10 Mail.NIC.test.\n"
	                   "_dmarc.test. 600 IN TXT \"v=DMARC1; p=none\"\n";
	struct tld_config cfg;
	struct tld_zonegen *zg = build("basic", basic, 4, apex, &cfg);
	ok(zg != NULL, "the hand-made export builds");
	if (zg != NULL) {
		against_file(zg, "hand-made export");
	}
	tld_zonegen_free(zg);

	char *bufs[4] = { 0 };
	struct tld_config gcfg;
	zg = generated(100000, NULL, &gcfg, bufs); /* filled in two parts unless told otherwise */
	ok(zg != NULL && tld_zonegen_stats(zg)->bad_rows == 0,
	   "a generated export of 100000 domains builds, no row rejected");
	if (zg != NULL) {
		against_file(zg, "generated export");
		char file[600];
		snprintf(file, sizeof(file), "%s/unsigned.zone", tmpdir);
		text_without_reservation(zg, file, "generated export");
	}
	tld_zonegen_free(zg);
	for (int i = 0; i < 4; i++) {
		free(bufs[i]);
	}

	/* DNSKEY in apex.records: dropped, as the file reader drops it */
	const char *with_key = "test. 3600 IN DNSKEY 257 3 13 "
	                       "V8z78HWPFqltewsK859e7PcvYQpuz9Qz5MJg1bNJ5NMWp6INZQgJF2ZA9W7EwlCC67EzGJ3DYpk0WG92arU90w==\n"
	                       "test. 600 IN TXT \"kept\"\n";
	zg = build("key", basic, 4, with_key, &cfg);
	ok(zg != NULL, "an export with a DNSKEY in apex.records builds");
	if (zg != NULL) {
		against_file(zg, "DNSKEY in apex.records");
		struct signer_zone *z = NULL;
		tld_run_unsigned_zone(zg, "test.", "unsigned.zone", &z, NULL);
		bool key = false;
		for (size_t i = 0; z != NULL && i < z->nrrs; i++) {
			key |= z->rrs[i].type == 48;
		}
		ok(z != NULL && !key, "the DNSKEY record is dropped");
		signer_zone_free(z);
	}
	tld_zonegen_free(zg);

	/* a class other than IN: refused, as the file reader refuses it */
	zg = build("chaos", basic, 4, "test. 600 CH TXT \"chaos\"\n", &cfg);
	ok(zg != NULL, "an export with a CH record in apex.records builds");
	if (zg != NULL) {
		char path[600];
		snprintf(path, sizeof(path), "%s/chaos.zone", tmpdir);
		char hex[65];
		struct signer_zone *z = NULL;
		is_int(TLD_OK, tld_run_write_unsigned(zg, path, hex), "its file is written");
		is_int(TLD_EPARSE, signer_zone_read(path, NULL, &z), "the file reader refuses it");
		signer_zone_free(z);
		for (int m = 0; m < 2; m++) {
			setenv("TLDSIGN_FILL_PIPELINE", m ? "1" : "0", 1);
			z = NULL;
			is_int(TLD_EPARSE, tld_run_unsigned_zone(zg, "test.", path, &z, NULL),
			       "the zone in memory is refused the same way (%s)",
			       m ? "two threads: the walker stops" : "one thread");
			ok(z == NULL, "no zone on failure");
		}
		unsetenv("TLDSIGN_FILL_PIPELINE");
	}
	tld_zonegen_free(zg);

	refused_late();
	wide();
	empty_zone();
	buffer_failures();

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		diag("cleanup of %s failed", tmpdir);
	}
	return exit_status();
}
