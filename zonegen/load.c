/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads the CSV files of the export into the builder's tables, row by row. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "zonegen/bytes8.h"
#include "zonegen/csv.h"
#include "zonegen/manifest.h"
#include "zonegen/reader.h"
#include "zonegen/name.h"
#include "zonegen/zg_internal.h"

#define MAX_COLUMNS ZG_READER_MAX_COLUMNS
/* Rows ahead of the one built whose name-table slot is fetched. */
#define PREFETCH_AHEAD 8

/*! What the reader found out about a row ahead. */
struct pre_row {
	/* the first column's name as the reader normalised it; len 0: not done */
	const char *text;
	size_t len;
	uint64_t hash;
	bool second_hashed;        /*!< second_hash is zg_hash() of the second column's text */
	uint64_t second_hash;
	/* the second column's name as normalised ahead (host_ahead()); len 0: not done */
	const char *host_text;
	size_t host_len;
	uint64_t host_hash;
};

/*
 * A host of nameservers.csv normalised a few rows before its row is built,
 * so that its name-table slot is fetched by then (host_ahead()).  Only done
 * when the host is not in the host cache at that time, which is what
 * decides at the row itself; tld_name_normalize() gives the same text of
 * the same field wherever it is called, so a row built with the text made
 * ahead is built as without it.
 */
#define HOST_RING 16 /* a power of 2 > PREFETCH_AHEAD */
struct host_ahead {
	size_t seq;                /*!< the row (counted over the export) it is of */
	size_t len;                /*!< 0: invalid (normalised again at the row, for the message) */
	uint64_t hash;
	char text[TLD_NAME_MAX_TEXT];
};

struct file_kind {
	const char *file;
	const char *columns[MAX_COLUMNS];
	size_t count;
	bool fetch_first;          /*!< the first column is looked up on most rows: slot fetched ahead */
	bool host_second;          /*!< the second column is a host: its cache entry fetched ahead */
	bool normalize_first;      /*!< the reader normalises the first column's name */
	int (*row)(struct tld_zonegen *zg, const char *file, const struct tld_csv_record *rec,
	           const size_t *col, const struct pre_row *pre);
};

/* -- internal API -- */

static const char *const epp_statuses[] = {
	"clientDeleteProhibited", "clientHold", "clientRenewProhibited",
	"clientTransferProhibited", "clientUpdateProhibited", "inactive", "ok",
	"pendingCreate", "pendingDelete", "pendingRenew", "pendingTransfer", "pendingUpdate",
	"serverDeleteProhibited", "serverHold", "serverRenewProhibited",
	"serverTransferProhibited", "serverUpdateProhibited",
};

#define L(s) (sizeof(s) - 1)
static const unsigned char epp_status_len[] = {
	L("clientDeleteProhibited"), L("clientHold"), L("clientRenewProhibited"),
	L("clientTransferProhibited"), L("clientUpdateProhibited"), L("inactive"), L("ok"),
	L("pendingCreate"), L("pendingDelete"), L("pendingRenew"), L("pendingTransfer"),
	L("pendingUpdate"), L("serverDeleteProhibited"), L("serverHold"),
	L("serverRenewProhibited"), L("serverTransferProhibited"), L("serverUpdateProhibited"),
};
#undef L
_Static_assert(sizeof(epp_status_len) == sizeof(epp_statuses) / sizeof(epp_statuses[0]),
               "one length per EPP status");

static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	if (len == 0 || len > 10) {
		return false;
	}
	unsigned long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max) {
		return false;
	}
	*out = v;
	return true;
}

static bool in_list(const uint8_t *list, size_t count, unsigned long v)
{
	for (size_t i = 0; i < count; i++) {
		if (list[i] == v) {
			return true;
		}
	}
	return false;
}

/* Each byte's value as a hex digit, plus one; 0: not a hex digit. */
static const unsigned char hex_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Strict base64 (padding required); returns the decoded length or -1. */
static long base64_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
	if (len == 0 || len % 4 != 0) {
		return -1;
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = b64val(s[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		if (o + 3 - (size_t)pad > max) {
			return -1;
		}
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2) {
			out[o++] = (uint8_t)(w >> 8);
		}
		if (pad < 1) {
			out[o++] = (uint8_t)w;
		}
	}
	return (long)o;
}

/* items with room for one more after count (*cap entries of size bytes):
 * doubled (from first) when full; as they were with *ret = TLD_ENOMEM when
 * there is no memory.  With pf, the pages of that entry and of a chunk
 * after it are made present (common/prefault.h). */
static void *room_for_one(void *items, size_t count, size_t *cap, size_t size, size_t first,
                          int *ret, struct tld_prefault *pf)
{
	if (count < *cap) {
		if (pf != NULL) {
			tld_prefault_ahead(pf, items, *cap * size, count * size, (count + 1) * size);
		}
		return items;
	}
	size_t want = *cap ? *cap * 2 : first;
	void *p = realloc(items, want * size);
	if (p == NULL) {
		*ret = TLD_ENOMEM;
		return items;
	}
	*cap = want;
	if (pf != NULL) {
		tld_prefault_ahead(pf, p, want * size, count * size, (count + 1) * size);
	}
	return p;
}

static inline bool same_name(const struct zg_name *n, const char *text, size_t len)
{
	return n->len == len && bytes8_equal(n->text, text, len);
}

/* Whether raw, as written in a field, is the text of n (with or without its
 * trailing dot), n's text being what tld_name_normalize() made of a field:
 * then that function makes n's text of raw too (its output, lower case and
 * ending in a dot, is its own output, with or without the dot). */
static inline bool written_as_name(const struct zg_name *n, const char *raw, size_t raw_len)
{
	return n->len > 1 && (n->len == raw_len || n->len == raw_len + 1) &&
	       bytes8_equal(n->text, raw, raw_len);
}

/* Whether raw, as written in a field, is the text of the domain n (with or
 * without its trailing dot): then tld_name_normalize() of raw is n's text,
 * which that function made of the domain's row. */
static inline bool written_as(const struct zg_name *n, const char *raw, size_t raw_len)
{
	return (n->flags & ZG_DOMAIN) && written_as_name(n, raw, raw_len);
}

/* Normalises a domain field that must name a known domain. */
static int known_domain(struct tld_zonegen *zg, const char *file, const struct tld_csv_record *rec,
                        size_t col, const struct pre_row *pre, uint32_t *id)
{
	/* the same text as the previous row's known domain: the same domain */
	const char *raw = rec->field[col];
	size_t raw_len = rec->len[col];
	if (raw_len != 0 && raw_len == zg->last_raw_len && bytes8_equal(raw, zg->last_raw, raw_len)) {
		*id = zg->last_raw_id;
		return TLD_OK;
	}
	/* the files of an export are each sorted by domain (export-registry.sh):
	 * the row names the previous row's domain or, most often, the next one
	 * of domains.csv; only otherwise is the name table searched.  A field
	 * written as such a domain is normalised (its text with or without the
	 * trailing dot: a domain's text is what tld_name_normalize() made of its
	 * row) names it without being normalised again */
	uint32_t d = zg->last_domain;
	if (pre->len == 0 && d != ZG_NONE) {
		if (written_as(&zg->names[d], raw, raw_len)) {
			goto found;
		}
		if (d + 1 < zg->name_count && written_as(&zg->names[d + 1], raw, raw_len)) {
			zg->last_domain = ++d;
			goto found;
		}
	}
	char buf[TLD_NAME_MAX_TEXT];
	const char *norm = pre->text;
	size_t len = pre->len;
	uint64_t h = pre->hash;
	if (len == 0) {
		const char *why = NULL;
		len = tld_name_normalize(raw, raw_len, buf, &why);
		if (len == 0) {
			return zg_reject(zg, file, rec->line, "domain '%.80s': %s", raw, why) ?: 1;
		}
		norm = buf;
		h = zg_hash(norm, len);
	}
	if (d == ZG_NONE || !same_name(&zg->names[d], norm, len)) {
		if (d != ZG_NONE && d + 1 < zg->name_count && same_name(&zg->names[d + 1], norm, len)) {
			d++;
		} else {
			d = zg_lookup_hashed(zg, norm, len, h);
		}
		zg->last_domain = d;
	}
	if (d == ZG_NONE || !(zg->names[d].flags & ZG_DOMAIN)) {
		return zg_reject(zg, file, rec->line, "domain %s is not in domains.csv", norm) ?: 1;
	}
found:
	zg->last_raw_len = raw_len < sizeof(zg->last_raw) ? raw_len : 0;
	memcpy(zg->last_raw, raw, zg->last_raw_len);
	zg->last_raw_id = d;
	*id = d;
	return TLD_OK;
}

static int row_domain(struct tld_zonegen *zg, const char *file, const struct tld_csv_record *rec,
                      const size_t *col, const struct pre_row *pre)
{
	char buf[TLD_NAME_MAX_TEXT];
	const char *norm = pre->text;
	size_t len = pre->len;
	uint64_t h = pre->hash;
	if (len == 0) {
		const char *why = NULL;
		len = tld_name_normalize(rec->field[col[0]], rec->len[col[0]], buf, &why);
		if (len == 0) {
			return zg_reject(zg, file, rec->line, "name '%.80s': %s", rec->field[col[0]], why);
		}
		norm = buf;
		h = zg_hash(norm, len);
	}
	if (!tld_name_under(norm, len, zg->zone, zg->zone_len, true)) {
		return zg_reject(zg, file, rec->line, "name %s is outside the zone %s", norm, zg->zone);
	}
	/* statuses: space-separated EPP statuses ("ok" alone, the most common,
	 * is known and not a hold: nothing to look up) */
	bool held = false;
	const char *p = rec->field[col[1]];
	const char *unknown = NULL;
	size_t unknown_len = 0;
	if (rec->len[col[1]] == 2 && p[0] == 'o' && p[1] == 'k') {
		p += 2;
	}
	while (*p) {
		while (*p == ' ') {
			p++;
		}
		size_t l = strcspn(p, " ");
		if (l == 0) {
			break;
		}
		/* the statuses are distinct: the first that matches is the only one
		 * (most are written as spelled here: compared as such first) */
		bool known = false;
		for (size_t i = 0; i < sizeof(epp_statuses) / sizeof(epp_statuses[0]) && !known; i++) {
			if (epp_status_len[i] == l && (bytes8_equal(p, epp_statuses[i], l) ||
			                               strncasecmp(p, epp_statuses[i], l) == 0)) {
				known = true;
				held |= (i == 1 || i == 13);
			}
		}
		if (!known && unknown == NULL) {
			unknown = p;
			unknown_len = l;
		}
		p += l;
	}
	uint32_t id;
	int ret = zg_intern_hashed(zg, norm, len, h, &id);
	if (ret != TLD_OK) {
		return ret;
	}
	struct zg_name *n = &zg->names[id];
	if (n->flags & ZG_DOMAIN) {
		zg->stats.duplicates++;
	} else {
		n->domain_line = (uint32_t)rec->line;
		zg->stats.domains++;
	}
	n->flags |= ZG_DOMAIN | ZG_IN_ZONE | (held ? ZG_HELD : 0);
	if (unknown != NULL) {
		/* the domain stays, with the statuses that are known */
		return zg_reject(zg, file, rec->line, "unknown EPP status '%.*s' (ignored)",
		                 (int)(unknown_len > 40 ? 40 : unknown_len), unknown);
	}
	return TLD_OK;
}

static int row_nameserver(struct tld_zonegen *zg, const char *file,
                          const struct tld_csv_record *rec, const size_t *col,
                          const struct pre_row *pre)
{
	uint32_t d;
	int ret = known_domain(zg, file, rec, col[0], pre, &d);
	if (ret != TLD_OK) {
		return ret < 0 ? ret : TLD_OK;
	}
	/* a few hosts serve most domains: their field text, as written, is
	 * remembered with the name it was accepted as */
	const char *raw = rec->field[col[1]];
	size_t raw_len = rec->len[col[1]];
	struct zg_raw_host *e = NULL;
	uint32_t h;
	if (raw_len > 0 && raw_len <= ZG_RAW_HOST_MAX) {
		if (zg->host_cache == NULL) {
			zg->host_cache = calloc(ZG_HOST_CACHE_SIZE, sizeof(*zg->host_cache));
			if (zg->host_cache == NULL) {
				return TLD_ENOMEM;
			}
		}
		e = zg_host_cache_entry(zg, pre->second_hashed ? pre->second_hash : zg_hash(raw, raw_len));
		if (e->len == raw_len && bytes8_equal(e->raw, raw, raw_len)) {
			e->used = 1;
			h = e->id;
			goto add;
		}
	}
	char buf[TLD_NAME_MAX_TEXT];
	const char *norm = pre->host_text;
	size_t len = pre->host_len;
	uint64_t nh = pre->host_hash;
	if (len == 0) {
		const char *why = NULL;
		len = tld_name_normalize(raw, raw_len, buf, &why);
		if (len == 0) {
			return zg_reject(zg, file, rec->line, "host '%.80s': %s", raw, why);
		}
		norm = buf;
		nh = zg_hash(norm, len);
	}
	if (len == zg->zone_len && memcmp(norm, zg->zone, len) == 0) {
		return zg_reject(zg, file, rec->line, "host %s is the zone apex", norm);
	}
	ret = zg_intern_hashed(zg, norm, len, nh, &h);
	if (ret != TLD_OK) {
		return ret;
	}
	if (tld_name_under(norm, len, zg->zone, zg->zone_len, true)) {
		zg->names[h].flags |= ZG_IN_ZONE;
		/* most in-zone hosts are one label below the domain they serve:
		 * noted, the glue rules need not search for that name */
		const struct zg_name *dn = &zg->names[d];
		size_t skip = strcspn(norm, ".") + 1;
		if (len > skip && len - skip == dn->len && bytes8_equal(norm + skip, dn->text, dn->len)) {
			zg->names[h].parent = d;
		}
	}
	if (!(zg->names[h].flags & ZG_NS_HOST)) {
		/* listed once, when first met: a host found in the cache was met */
		zg->ns_hosts = room_for_one(zg->ns_hosts, zg->ns_host_count, &zg->ns_host_cap,
		                            sizeof(*zg->ns_hosts), 4096, &ret, NULL);
		if (ret != TLD_OK) {
			return ret;
		}
		zg->ns_hosts[zg->ns_host_count++] = h;
		zg->names[h].flags |= ZG_NS_HOST;
	}
	if (e != NULL && e->used) {
		/* most hosts serve one domain: one that was found again is spared
		 * once, so that such hosts do not push out the shared ones */
		e->used = 0;
	} else if (e != NULL) {
		e->id = h;
		e->len = (uint8_t)raw_len;
		memcpy(e->raw, raw, raw_len);
	}
add:
	zg->ns = room_for_one(zg->ns, zg->ns_count, &zg->ns_cap, sizeof(*zg->ns), 4096, &ret,
	                      &zg->ns_pf);
	if (ret != TLD_OK) {
		return ret;
	}
	zg->ns[zg->ns_count++] = (struct zg_ns){ .domain = d, .host = h, .line = (uint32_t)rec->line };
	return TLD_OK;
}


/* The name a host field of hosts.csv is written as without normalising it,
 * or ZG_NONE: hosts.csv lists most hosts in the order nameservers.csv first
 * named them, the order of their ids, each with its addresses in a row: the
 * row names the previous row's host (which row_host() took from
 * tld_name_normalize()) or the next name, if that is a host of
 * nameservers.csv (so its text too is tld_name_normalize()'s, not one of
 * apex.records).  Any other field is normalised and looked up. */
static uint32_t host_in_order(const struct tld_zonegen *zg, const char *raw, size_t raw_len)
{
	uint32_t h = zg->last_host;
	if (h == ZG_NONE) {
		return ZG_NONE;
	}
	if (written_as_name(&zg->names[h], raw, raw_len)) {
		return h;
	}
	if (h + 1 < zg->name_count && (zg->names[h + 1].flags & ZG_NS_HOST) &&
	    written_as_name(&zg->names[h + 1], raw, raw_len)) {
		return h + 1;
	}
	return ZG_NONE;
}

static int row_host(struct tld_zonegen *zg, const char *file, const struct tld_csv_record *rec,
                    const size_t *col, const struct pre_row *pre)
{
	/* hosts.csv is read without the reader's normalising (kinds[]): its
	 * host is found in order as nameservers.csv named it, else normalised here */
	(void)pre;
	char buf[TLD_NAME_MAX_TEXT];
	const char *norm;
	size_t len;
	uint64_t h = 0;
	uint32_t known = host_in_order(zg, rec->field[col[0]], rec->len[col[0]]);
	if (known != ZG_NONE) {
		norm = zg->names[known].text;
		len = zg->names[known].len;
	} else {
		const char *why = NULL;
		len = tld_name_normalize(rec->field[col[0]], rec->len[col[0]], buf, &why);
		if (len == 0) {
			return zg_reject(zg, file, rec->line, "host '%.80s': %s", rec->field[col[0]], why);
		}
		norm = buf;
		h = zg_hash(norm, len);
	}
	struct zg_addr a = { .line = (uint32_t)rec->line };
	const char *text = rec->field[col[1]];
	if (inet_pton(AF_INET, text, a.addr) == 1) {
		a.family = 4;
	} else if (inet_pton(AF_INET6, text, a.addr) == 1) {
		a.family = 6;
	} else {
		return zg_reject(zg, file, rec->line, "host %s: bad address '%.60s'", norm, text);
	}
	a.host = known;
	int ret = known != ZG_NONE ? TLD_OK : zg_intern_hashed(zg, norm, len, h, &a.host);
	if (ret != TLD_OK) {
		return ret;
	}
	zg->last_host = a.host;
	if (!(zg->names[a.host].flags & ZG_IN_ZONE) &&
	    tld_name_under(norm, len, zg->zone, zg->zone_len, true)) {
		zg->names[a.host].flags |= ZG_IN_ZONE;
	}
	zg->addrs = room_for_one(zg->addrs, zg->addr_count, &zg->addr_cap, sizeof(*zg->addrs), 4096,
	                         &ret, &zg->addrs_pf);
	if (ret != TLD_OK) {
		return ret;
	}
	zg->addrs[zg->addr_count++] = a;
	return TLD_OK;
}

static int add_ds(struct tld_zonegen *zg, const struct zg_ds *ds)
{
	int ret = TLD_OK;
	zg->ds = room_for_one(zg->ds, zg->ds_count, &zg->ds_cap, sizeof(*zg->ds), 1024, &ret,
	                      &zg->ds_pf);
	if (ret != TLD_OK) {
		return ret;
	}
	zg->ds[zg->ds_count++] = *ds;
	return TLD_OK;
}

static int row_ds(struct tld_zonegen *zg, const char *file, const struct tld_csv_record *rec,
                  const size_t *col, const struct pre_row *pre)
{
	const struct tld_config *cfg = zg->cfg;
	struct zg_ds ds = { .line = (uint32_t)rec->line };
	int ret = known_domain(zg, file, rec, col[0], pre, &ds.domain);
	if (ret != TLD_OK) {
		return ret < 0 ? ret : TLD_OK;
	}
	const char *dn = zg->names[ds.domain].text;
	unsigned long tag, alg, dtype;
	if (!parse_uint(rec->field[col[1]], rec->len[col[1]], 65535, &tag)) {
		return zg_reject(zg, file, rec->line, "%s: key_tag '%.20s' is not 0..65535", dn,
		                 rec->field[col[1]]);
	}
	if (!parse_uint(rec->field[col[2]], rec->len[col[2]], 255, &alg)) {
		return zg_reject(zg, file, rec->line, "%s: algorithm '%.20s' is not 0..255", dn,
		                 rec->field[col[2]]);
	}
	if (!parse_uint(rec->field[col[3]], rec->len[col[3]], 255, &dtype)) {
		return zg_reject(zg, file, rec->line, "%s: digest_type '%.20s' is not 0..255", dn,
		                 rec->field[col[3]]);
	}
	if (!in_list(cfg->zonegen.ds_algorithms, cfg->zonegen.ds_algorithms_count, alg)) {
		return zg_reject(zg, file, rec->line,
		                 "%s: DS algorithm %lu not allowed (zonegen.ds-algorithms)", dn, alg);
	}
	if (!in_list(cfg->zonegen.ds_digest_types, cfg->zonegen.ds_digest_types_count, dtype)) {
		return zg_reject(zg, file, rec->line,
		                 "%s: DS digest type %lu not allowed (zonegen.ds-digest-types)", dn,
		                 dtype);
	}
	size_t want = tld_ds_digest_len((uint8_t)dtype);
	const char *hex = rec->field[col[4]];
	size_t hlen = rec->len[col[4]];
	if (want == 0) {
		return zg_reject(zg, file, rec->line, "%s: unknown DS digest type %lu", dn, dtype);
	}
	if (hlen != 2 * want) {
		return zg_reject(zg, file, rec->line,
		                 "%s: digest of %zu hex digits, digest type %lu needs %zu", dn, hlen,
		                 dtype, 2 * want);
	}
	for (size_t i = 0; i < want; i++) {
		unsigned hi = hex_plus1[(unsigned char)hex[2 * i]];
		unsigned lo = hex_plus1[(unsigned char)hex[2 * i + 1]];
		if (hi == 0 || lo == 0) {
			return zg_reject(zg, file, rec->line, "%s: digest is not hexadecimal", dn);
		}
		ds.ds.digest[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	ds.ds.key_tag = (uint16_t)tag;
	ds.ds.algorithm = (uint8_t)alg;
	ds.ds.digest_type = (uint8_t)dtype;
	ds.ds.digest_len = (uint8_t)want;
	return add_ds(zg, &ds);
}

static int row_dnskey(struct tld_zonegen *zg, const char *file, const struct tld_csv_record *rec,
                      const size_t *col, const struct pre_row *pre)
{
	const struct tld_config *cfg = zg->cfg;
	struct zg_ds ds = { .line = (uint32_t)rec->line, .from_keydata = true };
	int ret = known_domain(zg, file, rec, col[0], pre, &ds.domain);
	if (ret != TLD_OK) {
		return ret < 0 ? ret : TLD_OK;
	}
	const char *dn = zg->names[ds.domain].text;
	unsigned long flags, proto, alg;
	if (!parse_uint(rec->field[col[1]], rec->len[col[1]], 65535, &flags)) {
		return zg_reject(zg, file, rec->line, "%s: flags '%.20s' is not 0..65535", dn,
		                 rec->field[col[1]]);
	}
	if (!(flags & 0x0100)) {
		return zg_reject(zg, file, rec->line, "%s: flags %lu lack the Zone Key bit (256)", dn,
		                 flags);
	}
	if (flags & 0x0080) {
		return zg_reject(zg, file, rec->line, "%s: flags %lu: key is revoked", dn, flags);
	}
	if (!parse_uint(rec->field[col[2]], rec->len[col[2]], 255, &proto) || proto != 3) {
		return zg_reject(zg, file, rec->line, "%s: protocol must be 3", dn);
	}
	if (!parse_uint(rec->field[col[3]], rec->len[col[3]], 255, &alg)) {
		return zg_reject(zg, file, rec->line, "%s: algorithm '%.20s' is not 0..255", dn,
		                 rec->field[col[3]]);
	}
	if (!in_list(cfg->zonegen.ds_algorithms, cfg->zonegen.ds_algorithms_count, alg)) {
		return zg_reject(zg, file, rec->line,
		                 "%s: key algorithm %lu not allowed (zonegen.ds-algorithms)", dn, alg);
	}
	uint8_t rdata[4 + TLD_CSV_MAX_FIELD];
	long klen = base64_decode(rec->field[col[4]], rec->len[col[4]], rdata + 4,
	                          sizeof(rdata) - 4);
	if (klen <= 0) {
		return zg_reject(zg, file, rec->line, "%s: public_key is not valid base64", dn);
	}
	rdata[0] = (uint8_t)(flags >> 8);
	rdata[1] = (uint8_t)flags;
	rdata[2] = (uint8_t)proto;
	rdata[3] = (uint8_t)alg;
	uint8_t wire[256];
	size_t wlen = tld_name_to_wire(dn, wire);
	ret = tld_zg_ds_from_dnskey(wire, wlen, rdata, 4 + (size_t)klen,
	                         (uint8_t)cfg->zonegen.keydata_digest, &ds.ds);
	if (ret != TLD_OK) {
		return ret;
	}
	return add_ds(zg, &ds);
}

/* Row a of nameservers.csv (the seq-th row of the export), PREFETCH_AHEAD
 * rows before it is built: a host not in the host cache now is normalised
 * into ring[] and its name-table slot fetched. */
static void host_ahead(const struct tld_zonegen *zg, const struct zg_block *b,
                       const struct zg_row *a, size_t seq, struct host_ahead *ring)
{
	const char *raw = b->text + a->off[1];
	size_t raw_len = a->len[1];
	if (a->error != NULL || a->fields != b->header_fields || raw_len == 0) {
		return;
	}
	if (zg->host_cache != NULL && raw_len <= ZG_RAW_HOST_MAX) {
		const struct zg_raw_host *e = zg_host_cache_entry(zg, a->hash);
		if (e->len == raw_len && bytes8_equal(e->raw, raw, raw_len)) {
			return;
		}
	}
	struct host_ahead *h = &ring[seq % HOST_RING];
	const char *why = NULL;
	h->seq = seq;
	h->len = tld_name_normalize(raw, raw_len, h->text, &why);
	if (h->len > 0) {
		h->hash = zg_hash(h->text, h->len);
		zg_prefetch_slot(zg, h->hash);
	}
}

/* The files, in the order of kinds[]. */
enum { K_DOMAINS, K_NAMESERVERS, K_HOSTS, K_DS, K_DNSKEYS, K_COUNT };

static const struct file_kind kinds[K_COUNT] = {
	{ "domains.csv", { "name", "statuses" }, 2, true, false, true, row_domain },
	/* its domains are written as in domains.csv and in its order: known_domain()
	 * finds them without normalising */
	{ "nameservers.csv", { "domain", "host" }, 2, false, true, false, row_nameserver },
	/* its hosts are mostly written as nameservers.csv first named them and in
	 * that order: row_host() finds those without normalising */
	{ "hosts.csv", { "host", "address" }, 2, false, false, false, row_host },
	{ "ds.csv", { "domain", "key_tag", "algorithm", "digest_type", "digest" }, 5, true, false,
	  true, row_ds },
	{ "dnskeys.csv", { "domain", "flags", "protocol", "algorithm", "public_key" }, 5, true,
	  false, true, row_dnskey },
};

/* items grown to want entries of size bytes ahead, *cap updated; only a
 * hint (see zg_names_reserve()): items as they were on failure or for too
 * many. */
static void *reserve(void *items, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap || want > ZG_RESERVE_MAX) {
		return items;
	}
	void *p = realloc(items, want * size);
	if (p == NULL) {
		return items;
	}
	*cap = want;
	return p;
}

/* Shortest row counted on for a reservation: a manifest that claims more
 * rows than the file could hold gets no room ahead (it is refused anyway
 * when the rows are counted), so what is reserved stays in proportion to
 * the bytes on disk. */
#define MIN_ROW_BYTES 8

/* The rows the manifest gives a file, when its size allows them; else 0. */
static uint64_t rows_hint(const struct tld_manifest_file *f, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || f->rows > (uint64_t)st.st_size / MIN_ROW_BYTES ||
	    f->rows > ZG_RESERVE_MAX) {
		return 0;
	}
	return f->rows;
}

/* Room ahead for what the files will add, by their rows: the names (the
 * domains, and the hosts, most of them named in hosts.csv), NS, addresses,
 * DS. */
static void reserve_rows(struct tld_zonegen *zg, const struct file_kind *const *fk,
                         const struct tld_manifest_file *const *mf, char (*path)[4096], size_t n)
{
	uint64_t rows[K_COUNT] = { 0 };
	for (size_t f = 0; f < n; f++) {
		rows[fk[f] - kinds] = rows_hint(mf[f], path[f]);
	}
	zg_names_reserve(zg, zg->name_count + rows[K_DOMAINS] + rows[K_HOSTS]);
	zg->ns = reserve(zg->ns, &zg->ns_cap, rows[K_NAMESERVERS], sizeof(*zg->ns));
	zg->addrs = reserve(zg->addrs, &zg->addr_cap, rows[K_HOSTS], sizeof(*zg->addrs));
	zg->ds = reserve(zg->ds, &zg->ds_cap, rows[K_DS] + rows[K_DNSKEYS], sizeof(*zg->ds));
}

/* -- public API -- */

int zg_load_export(struct tld_zonegen *zg, const char *dir, const struct tld_manifest *m,
                   const char *const *files, size_t count)
{
	struct zg_reader_file rf[sizeof(kinds) / sizeof(kinds[0])] = { 0 };
	const struct file_kind *fk[sizeof(kinds) / sizeof(kinds[0])];
	const struct tld_manifest_file *mf[sizeof(kinds) / sizeof(kinds[0])];
	char path[sizeof(kinds) / sizeof(kinds[0])][4096];
	size_t n = 0;
	for (size_t f = 0; f < count; f++) {
		const struct tld_manifest_file *e = tld_manifest_find(m, files[f]);
		if (e == NULL) {
			continue;
		}
		const struct file_kind *kind = NULL;
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (strcmp(kinds[i].file, e->name) == 0) {
				kind = &kinds[i];
			}
		}
		if (kind == NULL || n == sizeof(kinds) / sizeof(kinds[0])) {
			tld_error("%s/%s: not a file of the export format", dir, e->name);
			return TLD_EEXPORT;
		}
		snprintf(path[n], sizeof(path[n]), "%s/%s", dir, e->name);
		rf[n] = (struct zg_reader_file){ path[n], kind->columns, kind->count,
			                         kind->normalize_first, kind->host_second };
		fk[n] = kind;
		mf[n] = e;
		n++;
	}
	struct zg_reader *rd = NULL;
	int ret = zg_reader_start(rf, n, &rd);
	if (ret != TLD_OK) {
		return ret;
	}
	/* while the reader reads the first rows */
	reserve_rows(zg, fk, mf, path, n);
	static const size_t col[MAX_COLUMNS] = { 0, 1, 2, 3, 4 };
	struct tld_csv_record rec;
	struct host_ahead ring[HOST_RING];
	for (size_t k = 0; k < HOST_RING; k++) {
		ring[k].seq = SIZE_MAX;
	}
	size_t seq = 0; /* the rows of the export so far */
	struct zg_block *b = NULL;
	for (size_t f = 0; f < n; f++) {
		const char *file = mf[f]->name;
		bool end = false;
		/* how long the file's rows took here, how much of it the builder
		 * waited for the reader's thread, and each thread's CPU time on
		 * it (-vv): which of the two holds up the stage, file by file */
		double w0 = tld_mono_seconds(), c0 = tld_thread_cpu_seconds(), waited = 0;
		while (!end) {
			double r0 = tld_mono_seconds();
			ret = zg_reader_next(rd, &b);
			waited += tld_mono_seconds() - r0;
			if (ret != TLD_OK) {
				b = NULL;
				goto fail;
			}
			switch (b->kind) {
			case ZG_BLOCK_OPEN_FAILED:
				tld_error("%s: cannot open: %s", path[f], tld_strerror(b->code));
				ret = b->code == TLD_ENOMEM ? b->code : TLD_EEXPORT;
				goto fail;
			case ZG_BLOCK_BAD_HEADER:
				tld_error("%s:1: bad header: %s%s%s", path[f], b->why, b->missing ? " " : "",
				          b->missing ? b->missing : "");
				ret = TLD_EEXPORT;
				goto fail;
			case ZG_BLOCK_BROKEN:
				tld_error("%s: %s", path[f], b->why);
				ret = TLD_EEXPORT;
				goto fail;
			case ZG_BLOCK_END:
				if (b->code != TLD_OK) {
					ret = b->code;
					goto fail;
				}
				if (b->records != mf[f]->rows) {
					tld_error("export %s: %s has %" PRIu64 " rows, the manifest says %" PRIu64,
					          dir, file, b->records, mf[f]->rows);
					ret = TLD_EEXPORT;
					goto fail;
				}
				if (memcmp(b->sha256, mf[f]->sha256, 32) != 0) {
					tld_error("export %s: %s: SHA-256 does not match the manifest", dir, file);
					ret = TLD_EEXPORT;
					goto fail;
				}
				tld_debug("zonegen: %s built in %.3f s, %.3f s of it waiting for the "
				          "reader's rows (CPU s: %.3f building, %.3f reading)", file,
				          tld_mono_seconds() - w0, waited, tld_thread_cpu_seconds() - c0,
				          b->cpu_seconds);
				end = true;
				break;
			case ZG_BLOCK_ROWS:
				for (size_t i = 0; i < b->count; i++) {
					const struct zg_row *r = &b->rows[i];
					if (fk[f]->fetch_first && i + PREFETCH_AHEAD < b->count &&
					    r[PREFETCH_AHEAD].norm_len > 0) {
						zg_prefetch_slot(zg, r[PREFETCH_AHEAD].hash);
					}
					if (fk[f]->host_second && i + 2 * PREFETCH_AHEAD < b->count &&
					    zg->host_cache != NULL) {
						__builtin_prefetch(
							zg_host_cache_entry(zg, r[2 * PREFETCH_AHEAD].hash));
					}
					if (fk[f]->host_second && i + PREFETCH_AHEAD < b->count) {
						host_ahead(zg, b, &r[PREFETCH_AHEAD], seq + PREFETCH_AHEAD, ring);
					}
					zg->stats.total_rows++;
					if (r->error != NULL) {
						ret = zg_reject(zg, file, r->line, "malformed CSV: %s", r->error);
					} else if (r->fields != b->header_fields) {
						ret = zg_reject(zg, file, r->line, "%zu fields, the header has %zu",
						                (size_t)r->fields, b->header_fields);
					} else {
						rec.line = r->line;
						for (size_t k = 0; k < fk[f]->count; k++) {
							rec.field[k] = b->text + r->off[k];
							rec.len[k] = r->len[k];
						}
						const struct host_ahead *ha = &ring[seq % HOST_RING];
						bool have = fk[f]->host_second && ha->seq == seq;
						struct pre_row pre = { b->text + r->norm_off, r->norm_len, r->hash,
							               fk[f]->host_second, r->hash,
							               ha->text, have ? ha->len : 0, ha->hash };
						ret = fk[f]->row(zg, file, &rec, col, &pre);
					}
					seq++;
					if (ret < 0) {
						goto fail;
					}
				}
				ret = TLD_OK;
				break;
			}
			zg_reader_release(rd, b);
			b = NULL;
		}
	}
	ret = TLD_OK;
fail:
	if (b != NULL) {
		zg_reader_release(rd, b);
	}
	zg_reader_free(rd);
	return ret;
}
