/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish/zoneparse: the fast zone reader gives exactly the image ldns gives
 * (every test zone, a zone of every form, $TLDSIGN_CROSSCHECK_ZONE when set),
 * rejects malformed text with TLD_EPARSE, and the image order and the
 * merge-walk diff are right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "publish/dnswire.h"
#include "publish/zoneimage.h"
#include "tests/tap/tap.h"

static char tmpzone[256];

static bool same_image(const struct tld_zone_image *a, const struct tld_zone_image *b, const char *what)
{
	if (a->count != b->count || a->serial != b->serial) {
		diag("%s: %zu records (serial %u) vs ldns %zu (serial %u)", what, a->count, a->serial,
		     b->count, b->serial);
		return false;
	}
	for (size_t i = 0; i < a->count; i++) {
		const uint8_t *x = a->data + a->rr[i], *y = b->data + b->rr[i];
		size_t lx = tld_image_record_len(x), ly = tld_image_record_len(y);
		if (lx != ly || memcmp(x, y, lx) != 0) {
			struct tld_image_rr rr;
			char name[1024];
			tld_image_rr(a, i, &rr);
			tld_name_to_text(rr.owner, name, sizeof(name));
			diag("%s: record %zu differs (%s type %u)", what, i, name, rr.type);
			return false;
		}
	}
	return true;
}

/* The text read in two parts at once (split at its middle) gives the image read in one. */
static void two_parts(const char *text, size_t len, const struct tld_zone_image *whole, const char *what)
{
	struct tld_zone_image *split = NULL;
	int r = tld_image_from_zone_text_parts(what, text, len, 1, &split);
	if (whole == NULL) {
		ok(r != TLD_OK, "%s: refused in two parts as in one", what);
	} else {
		ok(r == TLD_OK && same_image(split, whole, what), "%s: two parts, the same image", what);
	}
	tld_image_free(split);
}

static void crosscheck_file(const char *path)
{
	struct tld_zone_image *fast = NULL, *ref = NULL;
	const char *parsed = path;
	if (access(path, R_OK) != 0) {
		skip("%s not present", path);
		return;
	}
	int rf = tld_image_from_zone_file(path, &fast);
	int rr = tld_image_from_zone_file_ldns(path, &ref);
	if (rf == TLD_EZONE && rr == TLD_EZONE) {
		/* a vector file of records only: compare them behind a root SOA */
		size_t len = 0;
		char *text = tap_read_file(path, &len);
		FILE *fp = fopen(tmpzone, "w");
		if (text != NULL && fp != NULL) {
			fprintf(fp, ". 3600 IN SOA a. b. 1 1 1 1 1\n%s", text);
		}
		if (fp != NULL) {
			fclose(fp);
		}
		free(text);
		rf = tld_image_from_zone_file(tmpzone, &fast);
		rr = tld_image_from_zone_file_ldns(tmpzone, &ref);
		parsed = tmpzone;
	}
	if (rf == TLD_OK && rr == TLD_OK) {
		ok(same_image(fast, ref, path), "%s: fast reader = ldns (%zu records)", path, fast->count);
		size_t len = 0;
		char *text = tap_read_file(parsed, &len);
		if (text != NULL) {
			two_parts(text, len, fast, path);
		}
		free(text);
	} else {
		is_int(rr, rf, "%s: fast reader and ldns agree on the error", path);
	}
	tld_image_free(fast);
	tld_image_free(ref);
}

static void write_text(const char *text)
{
	FILE *fp = fopen(tmpzone, "w");
	fputs(text, fp);
	fclose(fp);
}

static void crosscheck_text(const char *text, const char *what)
{
	write_text(text);
	struct tld_zone_image *fast = NULL, *ref = NULL;
	int rf = tld_image_from_zone_file(tmpzone, &fast);
	int rr = tld_image_from_zone_file_ldns(tmpzone, &ref);
	if (!is_int(TLD_OK, rf, "%s: fast reader accepts", what) || !is_int(TLD_OK, rr, "%s: ldns accepts", what)) {
		ok(0, "%s: no image to compare", what);
	} else {
		ok(same_image(fast, ref, what), "%s: same image as ldns (%zu records)", what, fast->count);
		two_parts(text, strlen(text), fast, what);
	}
	tld_image_free(fast);
	tld_image_free(ref);
}

static void reject(const char *text, int expected, const char *what)
{
	struct tld_zone_image *img = NULL;
	is_int(expected, tld_image_from_zone_text("bad.zone", text, strlen(text), &img), "%s rejected", what);
	ok(img == NULL, "%s: no image", what);
}

static const char *SOA = "test. 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 7 1800 900 1209600 3600\n";

/* Whether img holds its SOA first and every other record in canonical order. */
static bool canonical(const struct tld_zone_image *img)
{
	struct tld_image_rr rr;
	tld_image_rr(img, 0, &rr);
	if (rr.type != TLD_RR_SOA) {
		return false;
	}
	for (size_t i = 2; i < img->count; i++) {
		if (tld_image_canon_cmp(img->data + img->rr[i - 1], img->data + img->rr[i]) > 0) {
			diag("records %zu and %zu out of canonical order", i - 1, i);
			return false;
		}
	}
	return true;
}

/* text (built by the caller) read into canonical order and equal to what ldns reads. */
static void sorted_as_ldns(const char *text, size_t records, const char *what)
{
	struct tld_zone_image *img = NULL;
	is_int(TLD_OK, tld_image_from_zone_text(what, text, strlen(text), &img), "%s: read", what);
	if (img != NULL) {
		is_int((long long)records, (long long)img->count, "%s: %zu records", what, records);
		ok(canonical(img), "%s: SOA first, then canonical order", what);
		ok(img->sorted, "%s: the image says it is sorted", what);
	}
	tld_image_free(img);
	crosscheck_text(text, what);
}

/*
 * The orders the image sort meets: a signer's (owners in order, types not:
 * RRSIG after what it covers), an owner's records out of order (few, and
 * more than one insertion sort takes), owners scattered or descending.
 */
static void sort_orders(void)
{
	static char text[65536];
	size_t len = 0, n = 0;
#define ADD(...) (len += (size_t)snprintf(text + len, sizeof(text) - len, __VA_ARGS__), n++)
	/* a signer's order */
	ADD("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\n");
	ADD("test. 3600 IN RRSIG SOA 13 1 3600 20261205074635 20261121091000 1 test. AAAA\n");
	ADD("test. 3600 IN NS ns1.test.\n");
	ADD("test. 3600 IN RRSIG NS 13 1 3600 20261205074635 20261121091000 1 test. AAAA\n");
	for (int i = 0; i < 20; i++) {
		ADD("%c%c.test. 3600 IN NSEC3 1 1 0 - 00000000 NS DS RRSIG\n", 'a' + i / 10, '0' + i % 10);
		ADD("%c%c.test. 3600 IN RRSIG NSEC3 13 2 3600 20261205074635 20261121091000 1 test. AAAA\n",
		    'a' + i / 10, '0' + i % 10);
		ADD("%c%c.test. 3600 IN DS 1 13 2 00\n", 'a' + i / 10, '0' + i % 10);
		ADD("%c%c.test. 3600 IN NS ns.example.\n", 'a' + i / 10, '0' + i % 10);
	}
	sorted_as_ldns(text, n, "a signer's order");

	/* one owner's records in reverse order: 10 (sorted in place), 70 (the general sort) */
	for (int many = 10; many <= 70; many += 60) {
		len = 0;
		n = 0;
		ADD("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\n");
		ADD("a.test. 3600 IN NS ns.example.\n");
		for (int i = many; i > 0; i--) {
			ADD("m.test. 3600 IN TXT \"%03d\"\n", i);
		}
		ADD("z.test. 3600 IN NS ns.example.\n");
		sorted_as_ldns(text, n, many == 10 ? "10 records of one owner reversed" :
		                                    "70 records of one owner reversed");
	}

	/* owners scattered, owners descending */
	len = 0;
	n = 0;
	ADD("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\n");
	ADD("a.test. 3600 IN NS ns.example.\nb.test. 3600 IN NS ns.example.\n");
	ADD("a.test. 3600 IN DS 1 13 2 00\nsub.a.test. 3600 IN NS ns.example.\n");
	n += 2;
	sorted_as_ldns(text, n, "an owner's records scattered");
	len = 0;
	n = 0;
	ADD("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\n");
	for (int i = 25; i >= 0; i--) {
		ADD("%c.test. 3600 IN NS ns.example.\n", 'a' + i);
	}
	sorted_as_ldns(text, n, "owners descending");
#undef ADD
}

static bool same_bytes(const struct tld_zone_image *a, const struct tld_zone_image *b)
{
	return a != NULL && b != NULL && a->count == b->count && a->len == b->len &&
	       a->serial == b->serial && a->from_serial == b->from_serial &&
	       memcmp(a->data, b->data, a->len) == 0;
}

/* tld_image_diff_file() against old saved as a file: the same entry as the in-memory diff d. */
static void diff_from_file(const struct tld_zone_image *old_img, const struct tld_zone_image *new_img,
                           const struct tld_zone_image *d)
{
	char path[300];
	struct tld_zone_image *df = NULL;
	snprintf(path, sizeof(path), "%s.img", tmpzone);
	is_int(TLD_OK, tld_image_save(old_img, path), "old image saved");
	is_int(TLD_OK, tld_image_diff_file(path, new_img, &df), "diff 1 -> 2 from the old image file");
	ok(same_bytes(d, df), "the streamed diff is the in-memory diff, byte for byte");
	tld_image_free(df);
	df = NULL;

	/* records out of canonical order: refused (the caller loads and sorts) */
	struct tld_zone_image shuffled = *old_img;
	size_t rr[64];
	if (old_img->count >= 3 && old_img->count <= 64) {
		memcpy(rr, old_img->rr, old_img->count * sizeof(rr[0]));
		size_t t = rr[1];
		rr[1] = rr[2];
		rr[2] = t;
		shuffled.rr = rr;
		is_int(TLD_OK, tld_image_save(&shuffled, path), "an image out of order saved");
		is_int(TLD_EPARSE, tld_image_diff_file(path, new_img, &df), "out of order: refused");
		ok(df == NULL, "out of order: no entry");
	}
	/* a truncated image: refused */
	is_int(TLD_OK, tld_image_save(old_img, path), "old image saved again");
	if (truncate(path, 40) != 0) {
		diag("truncate failed");
	}
	is_int(TLD_EPARSE, tld_image_diff_file(path, new_img, &df), "a truncated image: refused");
	unlink(path);

	/* a window's worth and more: 200,000 records, every 1000th changed */
	static char big[16 << 20];
	size_t len = 0;
	struct tld_zone_image *b1 = NULL, *b2 = NULL, *bd = NULL, *bf = NULL;
	for (int v = 1; v <= 2; v++) {
		len = (size_t)snprintf(big, sizeof(big), "test. 3600 IN SOA a. b. %d 1 1 1 1\n", v);
		for (int i = 0; i < 200000 && len + 100 < sizeof(big); i++) {
			len += (size_t)snprintf(big + len, sizeof(big) - len, "d%06d.test. 60 IN NS ns%d.example.\n",
			                        i, (v == 2 && i % 1000 == 0) ? 2 : 1);
		}
		is_int(TLD_OK, tld_image_from_zone_text("big", big, len, v == 1 ? &b1 : &b2), "big zone %d read", v);
	}
	if (b1 != NULL && b2 != NULL) {
		is_int(TLD_OK, tld_image_save(b1, path), "big old image saved");
		is_int(TLD_OK, tld_image_diff(b1, b2, &bd), "big diff in memory");
		is_int(TLD_OK, tld_image_diff_file(path, b2, &bf), "big diff from the file");
		ok(same_bytes(bd, bf), "big: the same entry (%zu records)", bd != NULL ? bd->count : 0);
		is_int(402, bd != NULL ? (long long)bd->count : -1, "big: 2 SOA + 200 removed + 200 added");
	}
	unlink(path);
	tld_image_free(b1);
	tld_image_free(b2);
	tld_image_free(bd);
	tld_image_free(bf);
}

int main(void)
{
	static const char *vectors[] = {
		"rfc5155/signed.zone", "rfc5155/unsigned.zone", "rfc8080/ed25519-1.zone",
		"rfc8080/ed25519-2.zone", "rfc8080/ed448-1.zone", "rfc6605/p256.zone",
		"rfc6605/p384.zone", "rfc5702/rsasha256.zone", "rfc5702/rsasha512.zone",
		"rfc4034/dskey.zone", "rfc8080/as-printed-rrsigs.zone",
	};
	static const char *repo[] = {
		"tests/golden/zonegen/apex.zone", "tests/golden/zonegen/expected.zone",
		"tests/golden/zonegen/postgres.zone", "tests/fuzz/corpus/fuzz_zonefile/forms.zone",
		"tests/fuzz/corpus/fuzz_zonefile/rfc5155.zone",
	};
	char path[1024];
	tld_log_init(TLD_LOG_ERROR, false);
	snprintf(tmpzone, sizeof(tmpzone), "%s/zoneparse.%ld.zone", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	         (long)getpid());

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tap_vectors_dir(), vectors[i]);
		crosscheck_file(path);
	}
	for (size_t i = 0; i < sizeof(repo) / sizeof(repo[0]); i++) {
		crosscheck_file(repo[i]);
	}
	if (getenv("TLDSIGN_CROSSCHECK_ZONE") != NULL) {
		crosscheck_file(getenv("TLDSIGN_CROSSCHECK_ZONE"));
	}

	/* every form: fast lines and ldns fallbacks mixed */
	crosscheck_text(
		"$ORIGIN test.\n$TTL 1h\n"
		"@ IN SOA ns1.nic hostmaster.nic ( 7 1800 900\n  1209600 ; expire\n 3600 )\n"
		"@ 3600 IN NS ns1.nic.test.\n"
		"   NS ns2.nic\n"
		"ns1.nic 3600 IN A 192.0.2.1\n"
		"ns1.nic.test. 3600 IN AAAA 2001:db8::1\n"
		"DOM.test. 3600 IN NS NS1.Example.\n"
		"dom.test. 3600 IN DS 12345 13 2 ABCDEF0123456789abcdef0123456789 ABCDEF0123456789abcdef0123456789\n"
		"dom.test. 3600 IN RRSIG DS 13 2 3600 20371231000000 20200101000000 47807 test. "
		"Ow+EDhDfBXwj8olAaXQrahFgZJMj8eR6wNOApjbyAAAZORllmKcIpapzm6AJ WhdS63XahwL/aSnkwGfrTT9uDg==\n"
		"test. 3600 IN DNSKEY 257 3 15 KUiErweKBKr101ZCuvCcaNkpPV1bwezvsK97yYaBRuE= ;{id = 47807 (ksk), size = 256b}\n"
		"test. 3600 IN NSEC3PARAM 1 0 0 -\n"
		"test. 3600 IN NSEC3PARAM 1 0 10 aabbccdd\n"
		"ljkve0l4q4hjc8p037ajojp25aih9ga9.test.\t3600\tIN\tNSEC3\t1 1 1 -  LJM08DG7N4U2997V4S2DE436VMT39KS9 NS SOA RRSIG DNSKEY NSEC3PARAM TYPE1234 CAA\n"
		"ljkve0l4q4hjc8p037ajojp25aih9gaa.test. 3600 IN NSEC3 1 1 0 - ljm08dg7n4u2997v4s2de436vmt39ks9\n"
		"txt 300 IN TXT \"a b ; c\" \"d\"\n"
		"txt2 300 IN TXT \"a\\\";b\" c ; fuzz finding: the escaped quote closed the string, ';b' was cut\n"
		"x 300 IN TYPE65534 \\# 3 010203\n"
		"y.test. 300 IN A 192.0.2.2 ; comment\n"
		"w.test. 300 A 192.0.2.4\n"
		"esc\\.aped.test. 300 IN NS ns.example.\n"
		"t.test. 300 IN RRSIG A 13 2 3600 1700000000 1600000000 1 test. AAAA\n"
		"m.test. 300 IN MX 10 mail.test.\n"
		"\n; only a comment\n   \n",
		"zone of every form");

	/* malformed input: clear error, nothing returned */
	char buf[1024];
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN A 999.1.1.1\n", SOA);
	reject(buf, TLD_EPARSE, "bad IPv4 address");
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN DS 1 13 2 abcxyz\n", SOA);
	reject(buf, TLD_EPARSE, "bad hex digits");
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN DNSKEY 257 3 15 !!!!\n", SOA);
	reject(buf, TLD_EPARSE, "bad base64");
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN NOSUCHTYPE 1\n", SOA);
	reject(buf, TLD_EPARSE, "unknown type");
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN NS ( ns.example.\n", SOA);
	reject(buf, TLD_EPARSE, "unbalanced parentheses");
	snprintf(buf, sizeof(buf), "%s$INCLUDE /etc/passwd\n", SOA);
	reject(buf, TLD_EPARSE, "$INCLUDE");
	/* fuzz finding: an unknown directive was read as a record owned by "$ORRSIGRIGIN" */
	snprintf(buf, sizeof(buf), "%s$ORRSIGRIGIN example.\n", SOA);
	reject(buf, TLD_EPARSE, "unknown directive");
	snprintf(buf, sizeof(buf), "%sx.test. 300 IN TYPE0 \\# 0\n", SOA);
	reject(buf, TLD_EPARSE, "type 0");
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN NSEC3 1 1 1 - zzzz NS\n", SOA);
	reject(buf, TLD_EPARSE, "bad base32hex");
	snprintf(buf, sizeof(buf), "%s%s", SOA, "test. 3600 IN SOA a. b. 8 1 1 1 1\n");
	reject(buf, TLD_EZONE, "two SOA records");
	reject("x.test. 3600 IN NS ns.example.\n", TLD_EZONE, "no SOA");
	reject("", TLD_EZONE, "empty zone");
	snprintf(buf, sizeof(buf), "%sx.test. 3600 IN RRSIG A 13 2 3600 20371331000000 20200101000000 1 test. AAAA\n", SOA);
	reject(buf, TLD_EPARSE, "month 13 in RRSIG expiration");
	{
		const char nul[] = "test. 3600 IN SOA a. b. 1 1 1 1 1\nx\0y 3600 IN A 1.2.3.4\n";
		struct tld_zone_image *img = NULL;
		is_int(TLD_EPARSE, tld_image_from_zone_text("nul.zone", nul, sizeof(nul) - 1, &img), "NUL byte rejected");
	}

	sort_orders();
	{
		/* the middle inside a record in parentheses; relative names and $ORIGIN after it */
		static char t[8192];
		size_t l = (size_t)snprintf(t, sizeof(t), "test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\n");
		for (int i = 0; i < 40; i++) {
			l += (size_t)snprintf(t + l, sizeof(t) - l, "a%02d.test. 3600 IN NS ns.example.\n", i);
		}
		l += (size_t)snprintf(t + l, sizeof(t) - l, "m.test. 3600 IN DS ( 1 13 2\n 00\n 11 )\n");
		for (int i = 0; i < 30; i++) {
			l += (size_t)snprintf(t + l, sizeof(t) - l, "b%02d.test. 3600 IN NS ns.example.\n", i);
		}
		crosscheck_text(t, "a record in parentheses across the middle");
		l = (size_t)snprintf(t, sizeof(t), "$ORIGIN test.\n@ 3600 IN SOA a b 1 1 1 1 1\n");
		for (int i = 0; i < 40; i++) {
			l += (size_t)snprintf(t + l, sizeof(t) - l, "c%02d 3600 IN NS ns.example.\n", i);
		}
		crosscheck_text(t, "relative names on both sides of the middle");
	}
	/* base64 as one token of whole quads (the quad decoder) and otherwise */
	crosscheck_text("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\n"
	                "test. 3600 IN DNSKEY 256 3 13 AwEAAQ==\n"
	                "test. 3600 IN DNSKEY 256 3 13 AwEAAbc=\n"
	                "test. 3600 IN DNSKEY 256 3 13 AwEAAbcd\n"
	                "test. 3600 IN DNSKEY 256 3 13 AwEA AbcdEA==\n"
	                "test. 3600 IN DNSKEY 257 3 13 +/+/+/+/\n", "base64 with 0, 1, 2 pads, split");
	/* a backslash ending a line: ldns joins the next line, the reader refuses (fuzz finding) */
	reject("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\nx.test. 3600 IN NS ns.example.\\\n"
	       "y.test. 3600 IN NS ns.example.\n", TLD_EPARSE, "an escaped newline");
	/* bits beyond the last byte set: ldns refuses, so does the reader */
	reject("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\ntest. 3600 IN DNSKEY 256 3 13 AbcdEF==\n",
	       TLD_EPARSE, "base64 with stray bits before '=='");
	reject("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\ntest. 3600 IN DNSKEY 256 3 13 AwEA AbcdEF==\n",
	       TLD_EPARSE, "split base64 with stray bits before '=='");
	reject("test. 3600 IN SOA a.test. b.test. 1 1 1 1 1\ntest. 3600 IN DNSKEY 256 3 13 AbcdEFG=\n",
	       TLD_EPARSE, "base64 with stray bits before '='");

	/* order: SOA first, the rest canonical; diff by merge walk */
	const char *v1 = "test. 3600 IN SOA a. b. 1 1 1 1 1\nb.test. 60 IN NS ns.\na.test. 60 IN NS ns.\n"
	                 "z.a.test. 60 IN NS ns.\nc.test. 60 IN NS ns.\n";
	const char *v2 = "test. 3600 IN SOA a. b. 2 1 1 1 1\nc.test. 60 IN NS ns.\nz.a.test. 60 IN NS ns2.\n"
	                 "a.test. 120 IN NS ns.\nd.test. 60 IN NS ns.\n";
	struct tld_zone_image *i1 = NULL, *i2 = NULL, *d = NULL;
	is_int(TLD_OK, tld_image_from_zone_text("v1", v1, strlen(v1), &i1), "v1 read");
	is_int(TLD_OK, tld_image_from_zone_text("v2", v2, strlen(v2), &i2), "v2 read");
	if (i1 != NULL && i2 != NULL) {
		struct tld_image_rr rr;
		char name[1024];
		tld_image_rr(i1, 0, &rr);
		is_int(TLD_RR_SOA, rr.type, "SOA first");
		const char *order[] = { "a.test.", "z.a.test.", "b.test.", "c.test." };
		for (int k = 0; k < 4; k++) {
			tld_image_rr(i1, (size_t)k + 1, &rr);
			tld_name_to_text(rr.owner, name, sizeof(name));
			is_str(order[k], name, "canonical position %d", k + 1);
		}
		is_int(TLD_OK, tld_image_diff(i1, i2, &d), "diff 1 -> 2");
		/* old SOA, removed a(60) z.a(ns) b, new SOA, added a(120) z.a(ns2) d */
		is_int(8, d ? (long long)d->count : -1, "diff: 2 SOA + 3 removed + 3 added");
		const char *want[] = { "test.", "a.test.", "z.a.test.", "b.test.", "test.", "a.test.", "z.a.test.", "d.test." };
		for (size_t k = 0; d != NULL && k < d->count && k < 8; k++) {
			tld_image_rr(d, k, &rr);
			tld_name_to_text(rr.owner, name, sizeof(name));
			is_str(want[k], name, "diff record %zu", k);
		}
		if (d != NULL) {
			tld_image_rr(d, 5, &rr);
			is_int(120, rr.ttl, "a TTL change is a remove and an add");
		}
		diff_from_file(i1, i2, d);
	}
	tld_image_free(i1);
	tld_image_free(i2);
	tld_image_free(d);
	unlink(tmpzone);
	return exit_status();
}
