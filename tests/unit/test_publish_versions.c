/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish/versions + zoneimage: atomic versions, journal, pruning, serial
 * rules; the two halves of a publish (prepare: temporaries only; commit;
 * abort) and the hard-linked zone file; a digest handed on by the input's
 * writer (tld_publish_opts.text_digest) used only for the very file it
 * names by identity, with link_input: a file rewritten in place (same size),
 * another file, no identity, no digest or no link_input are hashed again;
 * the stream of the first bytes handed on is gone on with from the file's
 * next byte (a stream longer than the file: hashed again); state stores
 * from before the checks and the image's identity migrated, the identity of
 * each image recorded once it is in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_ident.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/dnswire.h"
#include "publish/publish.h"
#include "publish/zonedelta.h"
#include "publish/zoneimage.h"
#include "tests/tap/tap.h"

static char dir[256];

static void write_zone(const char *path, unsigned serial, int variant)
{
	FILE *fp = fopen(path, "w");
	fprintf(fp, "test. 3600 IN SOA ns1.nic.test. hostmaster.nic.test. %u 1800 900 1209600 3600\n", serial);
	fprintf(fp, "test. 3600 IN NS ns1.nic.test.\nns1.nic.test. 3600 IN A 192.0.2.1\n");
	for (int i = 0; i < 100; i++) {
		fprintf(fp, "dom%d.test. 3600 IN NS ns%d.example.\n", i, (i % 10 == 0) ? variant : 0);
	}
	fclose(fp);
}

static int count_files(const char *sub, const char *suffix)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls %s/%s 2>/dev/null | grep -c '%s$'", dir, sub, suffix);
	FILE *p = popen(cmd, "r");
	int n = 0;
	if (fscanf(p, "%d", &n) != 1) {
		n = -1;
	}
	pclose(p);
	return n;
}

/* tld_publish_prepare() / _commit() / _abort(), from serial 5 published (keep = 2). */
static void prepare_commit_abort(const struct tld_config *cfg, tld_statedb_t *db, const char *zone)
{
	struct tld_version_info cur, after;
	struct tld_publish_result res;
	tld_publish_prep_t *p = NULL;
	struct tld_publish_opts link = { .link_input = true };

	is_int(TLD_OK, tld_versions_current(db, &cur), "current version before preparing");
	write_zone(zone, 6, 5);
	is_int(TLD_OK, tld_publish_prepare(cfg, &cur, zone, &link, &p), "prepare serial 6");
	ok(p != NULL && !tld_publish_prep_unchanged(p), "a new version prepared");
	is_int(3, count_files("zones", "tmp.*") + count_files("state/journal", "tmp.*"),
	       "prepared: zone file, image and journal entry under temporary names");
	is_int(3, count_files("zones", ".zone"), "prepared: no new version file visible");
	is_int(TLD_OK, tld_versions_current(db, &after), "current version after preparing");
	is_int(cur.serial, after.serial, "prepared: the current version is still serial 5");
	tld_publish_abort(p);
	p = NULL;
	is_int(0, count_files("zones", "tmp.*") + count_files("state/journal", "tmp.*"),
	       "abort: every temporary removed");
	is_int(TLD_OK, tld_versions_current(db, &after), "current version after the abort");
	is_int(cur.serial, after.serial, "abort: serial 5 stays current");

	/* commit: the zone file is the input file itself (a hard link) */
	is_int(TLD_OK, tld_publish_prepare(cfg, &cur, zone, &link, &p), "prepare serial 6 again");
	is_int(TLD_OK, tld_publish_commit(p, db, &res), "commit serial 6");
	is_int(6, res.serial, "serial 6 published");
	is_int(5, res.previous_serial, "over serial 5");
	struct stat a, b;
	ok(stat(zone, &a) == 0 && stat(res.file, &b) == 0 && a.st_ino == b.st_ino &&
	   a.st_dev == b.st_dev, "link_input: the version's zone file is a hard link to the input");
	is_int(0, count_files("zones", "tmp.*") + count_files("state/journal", "tmp.*"),
	       "commit: no temporary left");
	is_int(TLD_OK, tld_versions_current(db, &after), "current version after the commit");
	is_int(6, after.serial, "commit: serial 6 current");

	/* the same content again: an unchanged preparation, nothing written */
	is_int(TLD_OK, tld_publish_prepare(cfg, &after, zone, &link, &p), "prepare the same serial 6");
	ok(p != NULL && tld_publish_prep_unchanged(p), "unchanged");
	is_int(TLD_OK, tld_publish_commit(p, db, &res), "commit of an unchanged preparation");
	ok(res.unchanged, "reported unchanged");

	/* a preparation against a version that is no longer current is not committed */
	unlink(zone);  /* a new file: the published version's link stays as it was */
	write_zone(zone, 7, 6);
	is_int(TLD_OK, tld_publish_prepare(cfg, &cur, zone, NULL, &p), "prepare serial 7 against serial 5");
	is_int(TLD_ESTATE, tld_publish_commit(p, db, &res), "commit refused: serial 6 is current now");
	is_int(0, count_files("zones", "tmp.*") + count_files("state/journal", "tmp.*"),
	       "refused commit: temporaries removed");
	is_int(TLD_OK, tld_versions_current(db, &after), "current version after the refusal");
	is_int(6, after.serial, "serial 6 stays current");

	/* what a killed run's preparation leaves is swept; other files stay */
	char path[600];
	const char *names[] = { "zones/test.9.zone.tmp.123", "zones/test.9.img.tmp.123",
	                        "state/journal/test.6-9.ixfr.tmp.123", "zones/other.txt" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		if (f != NULL) {
			fclose(f);
		}
	}
	tld_publish_sweep(cfg);
	is_int(0, count_files("zones", "tmp.*") + count_files("state/journal", "tmp.*"),
	       "sweep: a killed preparation's temporaries removed");
	snprintf(path, sizeof(path), "%s/zones/other.txt", dir);
	ok(access(path, F_OK) == 0, "sweep: other files stay");
	unlink(path);

	/* without link_input the version's zone file is a copy */
	is_int(TLD_OK, tld_publish_prepare(cfg, &after, zone, NULL, &p), "prepare serial 7 (copy)");
	is_int(TLD_OK, tld_publish_commit(p, db, &res), "commit serial 7");
	ok(stat(zone, &a) == 0 && stat(res.file, &b) == 0 && a.st_ino != b.st_ino,
	   "without link_input the zone file is a copy");
	is_int(7, res.serial, "serial 7 published");
	is_int(10, (long long)res.removed, "journal entry 6 -> 7: 10 removed");
	is_int(10, (long long)res.added, "journal entry 6 -> 7: 10 added");

	/* defer_prune: the pruned version's files renamed NAME.pruned, removed later */
	struct tld_publish_opts defer = { .defer_prune = true };
	int zones_before = count_files("zones", ".zone");
	is_int(TLD_OK, tld_versions_current(db, &after), "current version before serial 8");
	unlink(zone);
	write_zone(zone, 8, 7);
	is_int(TLD_OK, tld_publish_prepare(cfg, &after, zone, &defer, &p), "prepare serial 8 (defer_prune)");
	is_int(TLD_OK, tld_publish_commit(p, db, &res), "commit serial 8: serial 6 pruned (keep 2)");
	is_int(2, count_files("zones", ".pruned"), "the pruned version's zone file and image: NAME.pruned");
	snprintf(path, sizeof(path), "%s/zones/test.6.zone.pruned", dir);
	ok(access(path, F_OK) == 0, "test.6.zone.pruned");
	snprintf(path, sizeof(path), "%s/zones/test.6.zone", dir);
	ok(access(path, F_OK) != 0, "no test.6.zone: pruned all the same");
	is_int(zones_before, count_files("zones", ".zone"), "as many versions' zone files as before");
	snprintf(path, sizeof(path), "%s/zones/test.99.zone.prune", dir);  /* not a pruned file */
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fclose(f);
	}
	is_int(2, (long long)tld_publish_remove_pruned(cfg), "removed later: 2 files");
	is_int(0, count_files("zones", ".pruned"), "no NAME.pruned left");
	ok(access(path, F_OK) == 0, "other files stay");
	unlink(path);
	is_int(0, (long long)tld_publish_remove_pruned(cfg), "nothing more to remove");
	is_int(TLD_OK, tld_versions_current(db, &after), "current version after serial 8");
	ok(after.serial == 8 && access(after.file, F_OK) == 0 && access(after.image, F_OK) == 0,
	   "serial 8 current, its files in place");
}

/* The file's real digest and check, and its identity, into d. */
static void digest_of(const char *path, struct tld_text_digest *d)
{
	size_t len = 0;
	char *text = tap_read_file(path, &len);
	struct stat st;
	memset(d, 0, sizeof(*d));
	if (text == NULL || tld_zone_text_digest_check(text, len, d->hex, &d->check) != TLD_OK ||
	    stat(path, &st) != 0) {
		diag("%s: not hashed", path);
	} else {
		tld_file_ident(&st, d->ident);
	}
	free(text);
}

/* Publishes zone (serial) with opts; its recorded digest and check into got.  \return the result */
static int publish_with(const struct tld_config *cfg, tld_statedb_t *db, const char *zone,
                        const struct tld_publish_opts *opts, struct tld_publish_result *got)
{
	struct tld_version_info cur;
	tld_publish_prep_t *p = NULL;
	int r = tld_versions_current(db, &cur);
	if (r == TLD_OK) {
		r = tld_publish_prepare(cfg, &cur, zone, opts, &p);
	}
	return r == TLD_OK ? tld_publish_commit(p, db, got) : r;
}

/* tld_publish_opts.text_digest: trusted for the file of its identity only (serial 8 current). */
static void given_digest(const struct tld_config *cfg, tld_statedb_t *db, const char *zone)
{
	struct tld_text_digest real, given;
	struct tld_publish_result res;
	const char *fake_hex = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed";
	struct tld_publish_opts opts = { .link_input = true, .text_digest = &given };
	char check[17];

	/* the file as its writer left it: the digest handed on is taken as it is (made wrong here to
	   tell it from the file's) */
	unlink(zone);
	write_zone(zone, 9, 8);
	digest_of(zone, &real);
	given = real;
	snprintf(given.hex, sizeof(given.hex), "%s", fake_hex);
	given.check = 0x0123456789abcdefull;
	is_int(TLD_OK, publish_with(cfg, db, zone, &opts, &res), "serial 9 with a digest handed on");
	is_str(fake_hex, res.digest, "the file of the identity handed on: its digest not made again");
	is_str("0123456789abcdef", res.text_check, "nor its check");

	/* rewritten in place, the same size: hashed again, the change found */
	unlink(zone);
	write_zone(zone, 10, 8);
	digest_of(zone, &given);
	usleep(20000);  /* past the kernel's timestamp granularity */
	FILE *f = fopen(zone, "r+");
	ok(f != NULL && fseek(f, -2, SEEK_END) == 0 && fputc('X', f) != EOF, "serial 10 rewritten in place");
	if (f != NULL) {
		fclose(f);
	}
	digest_of(zone, &real);
	ok(strcmp(real.hex, given.hex) != 0, "the rewritten file's digest differs");
	snprintf(given.hex, sizeof(given.hex), "%s", fake_hex);
	is_int(TLD_OK, publish_with(cfg, db, zone, &opts, &res), "serial 10 with a stale identity");
	is_str(real.hex, res.digest, "a file rewritten since: its own digest");
	snprintf(check, sizeof(check), "%016llx", (unsigned long long)real.check);
	is_str(check, res.text_check, "and its own check");

	/* the stream of the first bytes: gone on with (made of other bytes here, to tell it is used) */
	size_t len = 0;
	unlink(zone);
	write_zone(zone, 11, 7);
	char *text = tap_read_file(zone, &len), *other = text != NULL ? strdup(text) : NULL;
	digest_of(zone, &real);
	struct tld_text_stream s, w;
	uint64_t want_check = 0;
	char want[65] = "";
	if (other != NULL && len > 100) {
		other[10] ^= 1;  /* the first 77 bytes, one of them other than the file's */
	}
	if (!ok(other != NULL && len > 100 && tld_text_stream_init(&s, true) == TLD_OK &&
	        tld_text_stream_add(&s, other, 77) == TLD_OK && tld_text_stream_copy(&w, &s) == TLD_OK &&
	        tld_text_stream_add(&w, text + 77, len - 77) == TLD_OK &&
	        tld_text_stream_end(&w, want, &want_check) == TLD_OK, "a stream of 77 bytes made")) {
		free(text);
		free(other);
		return;
	}
	given = real;
	given.hex[0] = 0;
	given.partial = &s;
	is_int(TLD_OK, publish_with(cfg, db, zone, &opts, &res), "serial 11 with a partial stream");
	is_str(want, res.digest, "the stream gone on with from byte 77 of the file");
	snprintf(check, sizeof(check), "%016llx", (unsigned long long)want_check);
	is_str(check, res.text_check, "and its check");
	ok(strcmp(want, real.hex) != 0, "(not the file's own: the stream was used)");
	unlink(zone);
	write_zone(zone, 12, 7);
	digest_of(zone, &real);
	given = real;
	given.hex[0] = 0;
	given.partial = &s;
	s.len = len + 1000;  /* longer than the file */
	is_int(TLD_OK, publish_with(cfg, db, zone, &opts, &res), "serial 12 with a stream longer than the file");
	is_str(real.hex, res.digest, "a stream longer than the file: its own digest");
	tld_text_stream_free(&s);
	free(text);
	free(other);

	/* another file's identity, none, no digest, no link_input: hashed */
	struct {
		const char *what;
		bool link;
		int tamper;
	} cases[] = { { "another file's identity", true, 1 }, { "no identity", true, 2 },
	              { "no digest", true, 3 }, { "without link_input", false, 0 } };
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		unlink(zone);
		write_zone(zone, 13 + k, (int)k);
		digest_of(zone, &real);
		given = real;
		snprintf(given.hex, sizeof(given.hex), "%s", fake_hex);
		if (cases[k].tamper == 1) {
			struct stat st;
			if (stat(cfg->state_dir, &st) == 0) {
				tld_file_ident(&st, given.ident);
			}
		} else if (cases[k].tamper == 2) {
			given.ident[0] = 0;
		} else if (cases[k].tamper == 3) {
			given.hex[0] = 0;
		}
		opts.link_input = cases[k].link;
		is_int(TLD_OK, publish_with(cfg, db, zone, &opts, &res), "serial %u: %s", 13 + k, cases[k].what);
		is_str(real.hex, res.digest, "%s: the file's own digest", cases[k].what);
	}
}

/*
 * A state store from before image checks: the column is added, the version
 * recorded without one reads as "" (the whole-text path), the next ones are
 * recorded with the check of their image; and the version after that (the
 * delta path) is the image the whole text gives.
 */
/* write_zone() in canonical order (what the delta path takes) */
static void write_zone_canonical(const char *path, unsigned serial, int variant)
{
	FILE *fp = fopen(path, "w");
	fprintf(fp, "test. 3600 IN SOA ns1.nic.test. hostmaster.nic.test. %u 1800 900 1209600 3600\n", serial);
	fprintf(fp, "test. 3600 IN NS ns1.nic.test.\n");
	for (int i = 0; i < 100; i++) {
		fprintf(fp, "d%03d.test. 3600 IN NS ns%d.example.\n", i, (i % 10 == 0) ? variant : 0);
	}
	fprintf(fp, "ns1.nic.test. 3600 IN A 192.0.2.1\n");
	fclose(fp);
}

static void older_store(const char *tag, const char *columns)
{
	char state[300], out[300], zone[300], img_path[400], sql[600];
	struct tld_config cfg;
	tld_statedb_t *db = NULL;
	struct tld_publish_result res;
	struct tld_version_info v;
	struct tld_zone_image *img = NULL, *whole = NULL;
	snprintf(state, sizeof(state), "%s/%s-state", dir, tag);
	snprintf(out, sizeof(out), "%s/%s-zones", dir, tag);
	snprintf(zone, sizeof(zone), "%s/%s-in.zone", dir, tag);
	memset(&cfg, 0, sizeof(cfg));
	cfg.zone = "test.";
	cfg.state_dir = state;
	cfg.output.dir = out;
	cfg.output.keep = 2;
	if (!is_int(TLD_OK, tld_statedb_open(state, &db), "older store opens")) {
		return;
	}
	snprintf(sql, sizeof(sql),
	         "CREATE TABLE publish_versions (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	         " serial INTEGER NOT NULL, digest TEXT NOT NULL, file TEXT NOT NULL, image TEXT NOT NULL,"
	         " records INTEGER NOT NULL, time INTEGER NOT NULL%s);"
	         "INSERT INTO publish_versions (serial, digest, file, image, records, time)"
	         " VALUES (3, 'x', '/nonexistent.zone', '/nonexistent.img', 1, 0);", columns);
	is_int(TLD_OK, tld_statedb_exec(db, sql), "%s: a table of an older state store", tag);
	is_int(TLD_OK, tld_versions_current(db, &v), "its version reads");
	is_str("", v.image_check, "recorded without an image check");
	is_str("", v.text_check, "recorded without a file check");
	for (unsigned serial = 4; serial <= 6; serial++) {
		write_zone_canonical(zone, serial, (int)serial);
		is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "serial %u published", serial);
		is_int(TLD_OK, tld_versions_current(db, &v), "serial %u recorded", serial);
		snprintf(img_path, sizeof(img_path), "%s/test.%u.img", out, serial);
		if (tld_image_load(img_path, &img) == TLD_OK && tld_image_from_zone_file(zone, &whole) == TLD_OK) {
			char hex[17];
			snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)tld_image_check(img));
			is_str(hex, v.image_check, "serial %u: the check of its image recorded", serial);
			size_t tl = 0;
			char *text = tap_read_file(zone, &tl);
			snprintf(hex, sizeof(hex), "%016llx",
			         (unsigned long long)(text != NULL ? tld_zone_text_check(text, tl) : 0));
			free(text);
			is_str(hex, v.text_check, "serial %u: the check of its file recorded", serial);
			ok(img->count == whole->count && img->len == whole->len &&
			   memcmp(img->data, whole->data, img->len) == 0,
			   "serial %u: the image of the whole text", serial);
		} else {
			ok(0, "serial %u: images not read", serial);
		}
		tld_image_free(img);
		tld_image_free(whole);
		img = whole = NULL;
	}
	tld_statedb_close(db);
}

int main(void)
{
	struct tld_config cfg;
	tld_statedb_t *db = NULL;
	struct tld_publish_result res;
	char zone[300], state[300], out[300];

	plan_lazy();
	tld_log_init(getenv("TLDSIGN_TEST_VERBOSE") ? TLD_LOG_INFO : TLD_LOG_ERROR, false);
	snprintf(dir, sizeof(dir), "%s/tldpubtest.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		skip_all("no temporary directory");
	}
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(out, sizeof(out), "%s/zones", dir);
	snprintf(zone, sizeof(zone), "%s/in.zone", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.zone = "test.";
	cfg.state_dir = state;
	cfg.output.dir = out;
	cfg.output.keep = 2;

	is_int(TLD_OK, tld_statedb_open(state, &db), "state store opens");
	struct tld_version_info v;
	is_int(TLD_ENOENT, tld_versions_current(db, &v), "nothing published yet");

	write_zone(zone, 10, 1);
	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "publish serial 10");
	is_int(10, res.serial, "serial 10");
	ok(!res.had_previous, "first version");
	is_int(103, (long long)res.records, "103 records");
	is_int(TLD_OK, tld_versions_current(db, &v), "current version recorded");
	is_int(10, v.serial, "current serial 10");
	is_int(64, (long long)strlen(v.digest), "SHA-256 digest recorded");

	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "same file again");
	ok(res.unchanged, "reported unchanged");

	write_zone(zone, 9, 1);
	is_int(TLD_EZONE, tld_publish_zone_file(&cfg, db, zone, &res), "older serial refused");
	write_zone(zone, 10, 2);
	is_int(TLD_EZONE, tld_publish_zone_file(&cfg, db, zone, &res), "same serial, other content refused");

	write_zone(zone, 11, 2);
	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "publish serial 11");
	is_int(10, (long long)res.removed, "10 records removed");
	is_int(10, (long long)res.added, "10 records added");

	struct tld_journal_info *j = NULL;
	size_t nj = 0;
	is_int(TLD_OK, tld_journal_list(db, &j, &nj), "journal lists");
	is_int(1, (long long)nj, "one journal entry");
	if (nj == 1) {
		is_int(10, j[0].from_serial, "from 10");
		is_int(11, j[0].to_serial, "to 11");
		struct tld_zone_image *d = NULL;
		is_int(TLD_OK, tld_image_load(j[0].file, &d), "journal entry loads");
		if (d) {
			struct tld_image_rr rr;
			tld_image_rr(d, 0, &rr);
			is_int(TLD_RR_SOA, rr.type, "starts with the old SOA");
			tld_image_rr(d, 11, &rr);
			is_int(TLD_RR_SOA, rr.type, "new SOA after the 10 removed records");
			is_int(22, (long long)d->count, "2 SOAs + 10 removed + 10 added");
			tld_image_free(d);
		}
	}
	free(j);

	/* serial arithmetic (RFC 1982): a jump of 2^31 or more is not "newer" */
	write_zone(zone, 4294967295u, 3);
	is_int(TLD_EZONE, tld_publish_zone_file(&cfg, db, zone, &res), "11 -> 4294967295 is not newer");
	write_zone(zone, 2147483000u, 3);
	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "serial 2147483000");
	write_zone(zone, 4294960000u, 3);
	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "serial 4294960000");
	write_zone(zone, 5, 4);
	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "serial wraps to 5");
	is_int(2, count_files("zones", ".zone") - 1, "keep=2: two versions (plus the current link)");
	is_int(2, count_files("zones", ".img"), "keep=2: two images");
	is_int(0, count_files("zones", "tmp.*"), "no temporary files left");

	prepare_commit_abort(&cfg, db, zone);
	given_digest(&cfg, db, zone);

	/* a corrupt image is refused, never half-served */
	is_int(TLD_OK, tld_versions_current(db, &v), "current");
	struct tld_zone_image *img = NULL;
	is_int(TLD_OK, tld_image_load(v.image, &img), "current image loads");
	tld_image_free(img);
	img = NULL;
	FILE *fp = fopen(v.image, "r+");
	fseek(fp, -3, SEEK_END);
	fputc(0x7f, fp);
	fclose(fp);
	if (truncate(v.image, 200) != 0) {
		diag("truncate failed");
	}
	ok(tld_image_load(v.image, &img) != TLD_OK, "a truncated image is rejected");

	/* a zone with its SOA elsewhere than the apex is refused */
	fp = fopen(zone, "w");
	fprintf(fp, "other. 3600 IN SOA a. b. 6 1 1 1 1\n");
	fclose(fp);
	is_int(TLD_EZONE, tld_publish_zone_file(&cfg, db, zone, &res), "SOA of another zone refused");

	tld_statedb_close(db);
	older_store("no-checks", "");
	older_store("image-check-only", ", image_check TEXT");
	older_store("both-checks", ", image_check TEXT, text_check TEXT");
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		diag("could not remove %s", dir);
	}
	return exit_status();
}
