/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The RFC 4180 CSV reader: quoting, line ends, BOM, headers, malformed input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "zonegen/csv.h"
#include "zonegen/reader.h"

static struct tld_csv *open_text(const char *text, size_t len)
{
	struct tld_csv *csv = NULL;
	if (tld_csv_open_mem(text, len, &csv) != TLD_OK) {
		return NULL;
	}
	return csv;
}

static void test_quoting(void)
{
	static const char text[] = "a,b,c\r\n"
	                           "\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
	                           "plain,,\"\"\n"
	                           "last,row,no-newline";
	struct tld_csv *csv = open_text(text, sizeof(text) - 1);
	struct tld_csv_record r;
	is_int(1, tld_csv_next(csv, &r), "header read");
	is_int(3, r.count, "3 header fields");
	is_str("c", r.field[2], "CRLF stripped from the last field");
	is_int(1, tld_csv_next(csv, &r), "record with quotes");
	is_int(2, r.line, "record starts on line 2");
	is_str("x, y", r.field[0], "embedded comma");
	is_str("say \"hi\"", r.field[1], "doubled quotes");
	is_str("two\nlines", r.field[2], "embedded newline");
	ok(r.error == NULL, "well-formed");
	ok(r.field[1] == r.field[0] + r.len[0] + 1 && r.field[2] == r.field[1] + r.len[1] + 1,
	   "quoted fields lie one after the other");
	is_int(1, tld_csv_next(csv, &r), "next record");
	is_int(4, r.line, "line numbers count physical lines");
	is_int(3, r.count, "empty fields kept");
	is_str("", r.field[1], "empty unquoted field");
	is_str("", r.field[2], "empty quoted field");
	is_int(1, tld_csv_next(csv, &r), "last record without newline");
	is_str("no-newline", r.field[2], "last field");
	is_int(0, tld_csv_next(csv, &r), "end of file");
	is_int(4, tld_csv_records(csv), "records counted (header included)");
	uint8_t md[32], want[32];
	unsigned int mdlen;
	EVP_Digest(text, sizeof(text) - 1, want, &mdlen, EVP_sha256(), NULL);
	is_int(TLD_OK, tld_csv_sha256(csv, md), "sha256 available at end");
	ok(memcmp(md, want, 32) == 0, "sha256 of every byte read");
	tld_csv_free(csv);
}

static void test_bom_and_header(void)
{
	static const char text[] = "\xef\xbb\xbf" "Extra,NAME,statuses\nz,example.test,ok\n";
	struct tld_csv *csv = open_text(text, sizeof(text) - 1);
	const char *names[] = { "name", "statuses" };
	size_t idx[2];
	const char *why, *missing;
	is_int(TLD_OK, tld_csv_header(csv, names, 2, idx, &why, &missing),
	       "BOM skipped, header by name (case-insensitive), extra column ignored");
	is_int(1, idx[0], "name is column 1");
	is_int(3, tld_csv_header_fields(csv), "header field count");
	is_int(2, idx[1], "statuses is column 2");
	struct tld_csv_record r;
	is_int(1, tld_csv_next(csv, &r), "row");
	is_str("example.test", r.field[idx[0]], "field by header name");
	is_int(1, tld_csv_records(csv), "header not counted as a row");
	tld_csv_free(csv);

	static const char t2[] = "name,other\nx,y\n";
	csv = open_text(t2, sizeof(t2) - 1);
	is_int(TLD_EPARSE, tld_csv_header(csv, names, 2, idx, &why, &missing),
	       "missing required column refused");
	is_str("statuses", missing, "the missing column is named");
	tld_csv_free(csv);

	static const char t3[] = "name,statuses,name\n";
	csv = open_text(t3, sizeof(t3) - 1);
	is_int(TLD_EPARSE, tld_csv_header(csv, names, 2, idx, &why, &missing),
	       "duplicate column refused");
	tld_csv_free(csv);

	csv = open_text("", 0);
	is_int(TLD_EPARSE, tld_csv_header(csv, names, 2, idx, &why, &missing),
	       "empty file refused");
	tld_csv_free(csv);
}

static void test_malformed(void)
{
	struct tld_csv_record r;
	static const char t1[] = "a,\"unterminated\nb,c\n";
	struct tld_csv *csv = open_text(t1, sizeof(t1) - 1);
	is_int(TLD_EPARSE, tld_csv_next(csv, &r), "unterminated quote at EOF is fatal");
	ok(strstr(tld_csv_error(csv), "line 1") != NULL, "error names the line: %s",
	   tld_csv_error(csv));
	tld_csv_free(csv);

	static const char t2[] = "ab\"c,d\n\"x\"y,z\nok,fine\n";
	csv = open_text(t2, sizeof(t2) - 1);
	is_int(1, tld_csv_next(csv, &r), "record with stray quote");
	ok(r.error != NULL, "stray quote flagged: %s", r.error ? r.error : "");
	is_int(1, tld_csv_next(csv, &r), "record with text after closing quote");
	ok(r.error != NULL, "text after quote flagged");
	is_int(1, tld_csv_next(csv, &r), "reader stays in step");
	ok(r.error == NULL && strcmp(r.field[0], "ok") == 0 && r.line == 3,
	   "following record intact");
	tld_csv_free(csv);

	static const char t3[] = "a,b\0c\nd,e\n";
	csv = open_text(t3, sizeof(t3) - 1);
	is_int(1, tld_csv_next(csv, &r), "record with NUL");
	ok(r.error && strstr(r.error, "NUL"), "NUL byte flagged");
	is_int(1, tld_csv_next(csv, &r), "next record after NUL");
	ok(r.error == NULL && r.line == 2, "NUL does not break the next record");
	tld_csv_free(csv);

	size_t big = TLD_CSV_MAX_FIELD + 100;
	char *t4 = malloc(big + 10);
	memset(t4, 'x', big);
	memcpy(t4 + big, "\nok\n", 4);
	csv = open_text(t4, big + 4);
	is_int(1, tld_csv_next(csv, &r), "overlong record");
	ok(r.error && strstr(r.error, "too long"), "overlong field flagged");
	is_int(1, tld_csv_next(csv, &r), "next record after overlong");
	is_str("ok", r.field[0], "overlong field does not spill");
	tld_csv_free(csv);
	free(t4);

	static const char t5[] = "a\rb,c\n";
	csv = open_text(t5, sizeof(t5) - 1);
	is_int(1, tld_csv_next(csv, &r), "record with bare CR");
	ok(r.error != NULL, "bare CR flagged");
	tld_csv_free(csv);

	char many[3 * TLD_CSV_MAX_FIELDS + 10];
	size_t k = 0;
	for (int i = 0; i < TLD_CSV_MAX_FIELDS + 5; i++) {
		many[k++] = 'x';
		many[k++] = ',';
	}
	many[k - 1] = '\n';
	csv = open_text(many, k);
	is_int(1, tld_csv_next(csv, &r), "record with too many fields");
	ok(r.error && strstr(r.error, "too many"), "too many fields flagged");
	tld_csv_free(csv);
}

/* A fixed pseudo-random number of x (for the field counts and lengths). */
static size_t next_dense(int x)
{
	uint32_t v = (uint32_t)x * 2654435761u;
	return (size_t)(v >> 16 ^ v);
}

/* Plain records (no quotes): fields split exactly wherever the commas and
 * line ends fall in the 16- and 8-byte blocks the reader scans. */
static void test_plain_alignment(void)
{
	char text[16384];
	size_t k = 0;
	int lines = 0;
	/* field lengths 0..40 in turn: every comma at every offset of a block */
	for (int i = 0; i < 90; i++, lines++) {
		for (int f = 0; f < 3; f++) {
			size_t len = (size_t)((i * 3 + f) % 41);
			for (size_t j = 0; j < len; j++) {
				text[k++] = (char)('a' + (j + (size_t)f) % 26);
			}
			text[k++] = f < 2 ? ',' : '\r';
		}
		if (i % 2 == 0) {
			k--; /* LF alone on every other line */
		}
		text[k++] = '\n';
	}
	struct tld_csv *csv = open_text(text, k);
	struct tld_csv_record r;
	int good = 0;
	for (int i = 0; i < lines; i++) {
		if (tld_csv_next(csv, &r) != 1) {
			break;
		}
		bool same = r.count == 3 && r.error == NULL && r.line == (unsigned long)i + 1;
		for (int f = 0; f < 3 && same; f++) {
			size_t len = (size_t)((i * 3 + f) % 41);
			same = r.len[f] == len && strlen(r.field[f]) == len &&
			       (f == 0 || r.field[f] == r.field[f - 1] + r.len[f - 1] + 1);
			for (size_t j = 0; j < len && same; j++) {
				same = r.field[f][j] == (char)('a' + (j + (size_t)f) % 26);
			}
		}
		good += same;
	}
	is_int(lines, good, "plain records split at every word offset, LF and CRLF");
	is_int(0, tld_csv_next(csv, &r), "then end of file");
	tld_csv_free(csv);
}

/* Plain records of many short fields (several commas in one 16-byte block,
 * empty fields, a CRLF end right after a comma) against a plain split of
 * the same text. */
static void test_plain_dense(void)
{
	enum { LINES = 400 };
	char *text = malloc(LINES * 64);
	size_t k = 0;
	size_t nfields[LINES], flen[LINES][24];
	for (int i = 0; i < LINES; i++) {
		nfields[i] = 1 + next_dense(i) % 20;
		for (size_t f = 0; f < nfields[i]; f++) {
			flen[i][f] = next_dense(i * 31 + (int)f) % 4;
			for (size_t j = 0; j < flen[i][f]; j++) {
				text[k++] = (char)('a' + (f + j) % 26);
			}
			text[k++] = f + 1 < nfields[i] ? ',' : '\r';
		}
		if (i % 3 == 0) {
			k--; /* LF alone */
		}
		text[k++] = '\n';
	}
	struct tld_csv *csv = open_text(text, k);
	struct tld_csv_record r;
	int good = 0;
	for (int i = 0; i < LINES && tld_csv_next(csv, &r) == 1; i++) {
		bool same = r.error == NULL && r.count == nfields[i] && r.line == (unsigned long)i + 1;
		for (size_t f = 0; f < nfields[i] && same; f++) {
			same = r.len[f] == flen[i][f] && strlen(r.field[f]) == flen[i][f];
			for (size_t j = 0; j < flen[i][f] && same; j++) {
				same = r.field[f][j] == (char)('a' + (f + j) % 26);
			}
		}
		good += same;
	}
	is_int(LINES, good, "records of many short fields split as written");
	is_int(0, tld_csv_next(csv, &r), "then end of file");
	tld_csv_free(csv);
	free(text);
}

/* A quote, NUL or bare CR at any offset of a plain-looking line: flagged as
 * before, and the next record intact. */
static void test_plain_specials(void)
{
	static const char specials[] = { '"', '\0', '\r' };
	static const char line[] = "abcdefgh,ijklmnopqrstuvwxyz0123456789,abcdefghijklmn\nnext,row\n";
	int flagged = 0, intact = 0, total = 0;
	for (size_t s = 0; s < sizeof(specials); s++) {
		/* every offset of the first line but the byte before its LF (a
		 * CR there is a CRLF end), in 16- and 8-byte blocks */
		for (size_t pos = 0; pos + 1 < (size_t)(strchr(line, '\n') - line); pos++) {
			if (specials[s] == '"' && (pos == 0 || line[pos - 1] == ',')) {
				continue; /* a quoted field: "abc... runs to "next..., not a special byte */
			}
			char text[sizeof(line)];
			memcpy(text, line, sizeof(line));
			text[pos] = specials[s];
			struct tld_csv *csv = open_text(text, sizeof(line) - 1);
			struct tld_csv_record r;
			total++;
			if (tld_csv_next(csv, &r) == 1 && r.error != NULL) {
				flagged++;
			}
			if (tld_csv_next(csv, &r) == 1 && r.error == NULL && r.line == 2 &&
			    strcmp(r.field[0], "next") == 0 && strcmp(r.field[1], "row") == 0) {
				intact++;
			}
			tld_csv_free(csv);
		}
	}
	/* every position but a quote at the start of a field (left out above) */
	ok(total > 100 && flagged == total, "special bytes flagged (%d of %d)", flagged, total);
	ok(intact == total, "the next record intact (%d of %d)", intact, total);

	static const char t1[] = "a,b\r";
	struct tld_csv *csv = open_text(t1, sizeof(t1) - 1);
	struct tld_csv_record r;
	is_int(1, tld_csv_next(csv, &r), "CR at the end of the input");
	ok(r.error != NULL && strstr(r.error, "bare CR"), "flagged as a bare CR");
	tld_csv_free(csv);

	static const char t2[] = "x,y\nlast,no-newline";
	csv = open_text(t2, sizeof(t2) - 1);
	is_int(1, tld_csv_next(csv, &r), "plain record");
	is_int(1, tld_csv_next(csv, &r), "last record without a line end");
	ok(r.count == 2 && strcmp(r.field[1], "no-newline") == 0 && r.error == NULL,
	   "read whole");
	is_int(0, tld_csv_next(csv, &r), "end of file");
	tld_csv_free(csv);
}

/* The limits: a field of TLD_CSV_MAX_FIELD bytes and TLD_CSV_MAX_FIELDS
 * fields are fine, one more is flagged, on lines without quotes. */
static void test_plain_limits(void)
{
	size_t n = 2 * (TLD_CSV_MAX_FIELD + 1) + 16;
	char *t = malloc(n);
	size_t k = 0;
	memset(t, 'y', TLD_CSV_MAX_FIELD);
	k += TLD_CSV_MAX_FIELD;
	t[k++] = '\n';
	memset(t + k, 'z', TLD_CSV_MAX_FIELD + 1);
	k += TLD_CSV_MAX_FIELD + 1;
	t[k++] = '\n';
	struct tld_csv *csv = open_text(t, k);
	struct tld_csv_record r;
	is_int(1, tld_csv_next(csv, &r), "field of the longest length");
	ok(r.error == NULL && r.len[0] == TLD_CSV_MAX_FIELD, "accepted whole");
	is_int(1, tld_csv_next(csv, &r), "field one byte longer");
	ok(r.error != NULL && strstr(r.error, "too long"), "flagged too long");
	tld_csv_free(csv);
	free(t);

	char many[3 * TLD_CSV_MAX_FIELDS + 10];
	k = 0;
	for (int i = 0; i < TLD_CSV_MAX_FIELDS; i++) {
		many[k++] = (char)('a' + i % 26);
		many[k++] = ',';
	}
	many[k - 1] = '\n';
	csv = open_text(many, k);
	is_int(1, tld_csv_next(csv, &r), "record with the most fields");
	ok(r.error == NULL && r.count == TLD_CSV_MAX_FIELDS &&
	   r.field[TLD_CSV_MAX_FIELDS - 1][0] == (char)('a' + (TLD_CSV_MAX_FIELDS - 1) % 26),
	   "every field read");
	tld_csv_free(csv);
	many[k - 1] = ',';
	many[k++] = 'q';
	many[k++] = '\n';
	csv = open_text(many, k);
	is_int(1, tld_csv_next(csv, &r), "record with one field more");
	ok(r.error && strstr(r.error, "too many"), "too many fields flagged");
	is_int(TLD_CSV_MAX_FIELDS, r.count, "fields kept to the limit");
	tld_csv_free(csv);
}

/* Reads text with tld_csv_next() and with tld_csv_next_into() (room bytes at
 * a destination with guard bytes after it): the same records, lines,
 * errors, counts and digest; fields at the destination only when they fit,
 * and no byte written past room.  Returns the records stored there. */
static int compare_into(const char *text, size_t len, size_t room, bool *same)
{
	struct tld_csv *a = open_text(text, len), *b = open_text(text, len);
	char *dst = malloc(room + 64);
	int into = 0;
	*same = a != NULL && b != NULL && dst != NULL;
	if (!*same) {
		goto out;
	}
	memset(dst, 0x5a, room + 64);
	for (;;) {
		struct tld_csv_record ra, rb;
		int x = tld_csv_next(a, &ra);
		int y = tld_csv_next_into(b, &rb, dst, room);
		if (x != y) {
			*same = false;
			break;
		}
		if (x != 1) {
			break;
		}
		bool eq = ra.count == rb.count && ra.line == rb.line &&
		          (ra.error == NULL) == (rb.error == NULL) &&
		          (ra.error == NULL || strcmp(ra.error, rb.error) == 0);
		for (size_t i = 0; eq && i < ra.count; i++) {
			eq = ra.len[i] == rb.len[i] && memcmp(ra.field[i], rb.field[i], ra.len[i] + 1) == 0;
		}
		if (rb.field[0] == dst) {
			into++;
			size_t used = (size_t)(rb.field[rb.count - 1] - dst) + rb.len[rb.count - 1] + 1;
			eq = eq && used <= room;
		}
		for (size_t i = room; eq && i < room + 64; i++) {
			eq = dst[i] == 0x5a;
		}
		if (!eq) {
			*same = false;
			break;
		}
	}
	uint8_t da[32], db[32];
	if (*same && (tld_csv_sha256(a, da) != TLD_OK || tld_csv_sha256(b, db) != TLD_OK ||
	              memcmp(da, db, 32) != 0 || tld_csv_records(a) != tld_csv_records(b))) {
		*same = false;
	}
out:
	tld_csv_free(a);
	tld_csv_free(b);
	free(dst);
	return into;
}

/* tld_csv_next_into(): the records tld_csv_next() gives, stored at the
 * caller's destination when they fit, for plain and malformed lines,
 * lines longer than the room, every room size around a line's length. */
static void test_next_into(void)
{
	static const char text[] = "domain,host\n"
	                           "a.test,ns1.a.test\n"
	                           "b.test,\"quoted,host\"\r\n"
	                           "c.test,ns1.c.test\r\n"
	                           "d.test,bad\"quote\n"
	                           "e.test,bare\rcr\n"
	                           "f.test,nul\0byte\n"
	                           "g.test,,,,\n"
	                           "a-much-longer-domain-name-than-the-others.test,ns1.example\n"
	                           "last,no-newline";
	bool all_same = true;
	int into_small = -1, into_large = -1;
	for (size_t room = 0; room < 96; room++) {
		bool same;
		int into = compare_into(text, sizeof(text) - 1, room, &same);
		all_same &= same;
		if (room == 8) {
			into_small = into;
		}
		if (room == 95) {
			into_large = into;
		}
	}
	ok(all_same, "the same records whatever the room, no byte written past it");
	is_int(0, into_small, "room of 8 bytes: nothing stored at the destination");
	/* the header is read first by the byte loop; a, c, g and the long line are plain */
	is_int(4, into_large, "plain lines stored at the destination");

	/* random bytes of the special kinds, lines of every length */
	static const char alphabet[] = "ab,\"\r\n\0x";
	char *t = malloc(20000);
	unsigned seed = 12345;
	bool rand_same = true;
	for (int round = 0; round < 50; round++) {
		size_t n = 0;
		for (; n < 20000 - 1; n++) {
			seed = seed * 1103515245u + 12345u;
			unsigned v = (seed >> 16) % 64;
			t[n] = v < 9 ? alphabet[v] : (char)('c' + v % 20);
		}
		bool same;
		compare_into(t, n, 9 + (size_t)round * 7, &same);
		rand_same &= same;
	}
	free(t);
	ok(rand_same, "random input: the same records with a destination");
}

static void test_file(void)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		skip("no temp file");
		return;
	}
	/* larger than the read buffer, quotes across its boundary */
	FILE *f = fdopen(fd, "w");
	fprintf(f, "name,statuses\n");
	for (int i = 0; i < 60000; i++) {
		fprintf(f, "d%d.test,\"a,\"\"b\"\"\nc\"\n", i);
	}
	fclose(f);
	struct tld_csv *csv = NULL;
	is_int(TLD_OK, tld_csv_open(path, &csv), "open file");
	struct tld_csv_record r;
	tld_csv_next(csv, &r);
	int good = 0, n = 0;
	unsigned long last_line = 0;
	while (tld_csv_next(csv, &r) == 1) {
		n++;
		good += r.error == NULL && strcmp(r.field[1], "a,\"b\"\nc") == 0;
		last_line = r.line;
	}
	is_int(60000, n, "every record of a 2 MB file");
	is_int(60000, good, "fields intact across buffer refills");
	is_int(2 + 2 * 59999, last_line, "line numbers across refills");
	tld_csv_free(csv);
	unlink(path);
	struct tld_csv *none = NULL;
	is_int(TLD_ENOENT, tld_csv_open("/nonexistent/x.csv", &none), "missing file: ENOENT");
}

/* The export reader keeps one hash a row: a file asking for both is refused. */
static void test_reader_one_hash(void)
{
	static const char *const cols[] = { "a", "b" };
	struct zg_reader_file f = { "/nonexistent/x.csv", cols, 2, true, true };
	struct zg_reader *rd = NULL;
	is_int(TLD_EINVAL, zg_reader_start(&f, 1, &rd), "normalize_first and hash_second: EINVAL");
	ok(rd == NULL, "no reader made");
	f.hash_second = false;
	is_int(TLD_OK, zg_reader_start(&f, 1, &rd), "one of them: started");
	struct zg_block *b = NULL;
	ok(zg_reader_next(rd, &b) == TLD_OK && b->kind == ZG_BLOCK_OPEN_FAILED,
	   "the missing file comes back as such");
	zg_reader_release(rd, b);
	zg_reader_free(rd);
}

int main(void)
{
	plan_lazy();
	test_quoting();
	test_bom_and_header();
	test_malformed();
	test_plain_alignment();
	test_plain_dense();
	test_plain_specials();
	test_plain_limits();
	test_next_into();
	test_file();
	test_reader_one_hash();
	return exit_status();
}
