/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/yaml_schema.h"

/* -- internal API -- */

#define PATH_MAX_LEN 256

static void join_path(char *buf, size_t size, const char *parent, const char *key)
{
	if (parent == NULL || *parent == '\0') {
		snprintf(buf, size, "%s", key);
	} else {
		snprintf(buf, size, "%s.%s", parent, key);
	}
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40) {
		return SIZE_MAX;
	}
	size_t row[41];
	for (size_t j = 0; j <= lb; j++) {
		row[j] = j;
	}
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best) {
				best = row[j] + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *suggest(const struct tld_yitem *table, const char *key)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (const struct tld_yitem *it = table; it->key != NULL; it++) {
		size_t d = edit_distance(key, it->key);
		if (d < best_d) {
			best_d = d;
			best = it->key;
		}
	}
	return best;
}

static void write_uint(void *field, size_t size, int64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)field = (uint8_t)v; break;
	case 2: *(uint16_t *)field = (uint16_t)v; break;
	case 4: *(uint32_t *)field = (uint32_t)v; break;
	default: *(int64_t *)field = v; break;
	}
}

static int parse_int(const char *s, int64_t *out)
{
	if (*s == '\0') {
		return TLD_EINVAL;
	}
	const char *p = s;
	if (*p == '-') {
		p++;
	}
	for (const char *q = p; *q; q++) {
		if (!isdigit((unsigned char)*q)) {
			return TLD_EINVAL;
		}
	}
	if (*p == '\0') {
		return TLD_EINVAL;
	}
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE) {
		return TLD_ERANGE;
	}
	*out = v;
	return TLD_OK;
}

static bool want_scalar(struct tld_yctx *ctx, const struct tld_ynode *node, const char *path,
                        const char *what, int *err)
{
	if (node->type != TLD_YNODE_SCALAR) {
		*err = tld_yreport(ctx, node, path, "expected %s, got %s", what, tld_ynode_type_name(node));
		return false;
	}
	return true;
}

static int resolve_path(struct tld_yctx *ctx, const char *text, char **out)
{
	char *s = NULL;
	if (text[0] == '/' || ctx->dir == NULL || ctx->dir[0] == '\0' || strcmp(ctx->dir, ".") == 0) {
		s = strdup(text);
	} else if (asprintf(&s, "%s/%s", ctx->dir, text) < 0) {
		s = NULL;
	}
	if (s == NULL) {
		return TLD_ENOMEM;
	}
	/* "zones/" and "zones" name the same directory: drop trailing slashes */
	for (size_t len = strlen(s); len > 1 && s[len - 1] == '/'; len--) {
		s[len - 1] = '\0';
	}
	*out = s;
	return TLD_OK;
}

static const char *value_text(const struct tld_ynode *node)
{
	return node->value;
}

static int enum_list(const struct tld_yenum *enums, char *buf, size_t size)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (const struct tld_yenum *e = enums; e->name != NULL; e++) {
		int n = snprintf(buf + pos, size - pos, "%s%s", pos ? ", " : "", e->name);
		if (n < 0 || (size_t)n >= size - pos) {
			break;
		}
		pos += (size_t)n;
	}
	return TLD_OK;
}

static int convert(struct tld_yctx *ctx, const struct tld_yitem *it, const struct tld_ynode *node,
                   const char *path, void *base);

static int convert_seq(struct tld_yctx *ctx, const struct tld_yitem *it,
                       const struct tld_ynode *node, const char *path, void *base)
{
	int err = TLD_OK;
	void **arrp = (void **)((char *)base + it->offset);
	size_t *countp = (size_t *)((char *)base + it->count_offset);
	if (node->type != TLD_YNODE_SEQ) {
		return tld_yreport(ctx, node, path, "expected a sequence, got %s",
		                   tld_ynode_type_name(node));
	}
	if ((int64_t)node->count < it->min || (it->max > 0 && (int64_t)node->count > it->max)) {
		if (it->max > 0) {
			return tld_yreport(ctx, node, path, "needs %" PRId64 " to %" PRId64 " entries, has %zu",
			                   it->min, it->max, node->count);
		}
		return tld_yreport(ctx, node, path, "needs at least %" PRId64 " entr%s, has %zu",
		                   it->min, it->min == 1 ? "y" : "ies", node->count);
	}
	if (node->count == 0) {
		return TLD_OK;
	}
	char *arr = calloc(node->count, it->size);
	if (arr == NULL) {
		return TLD_ENOMEM;
	}
	*arrp = arr;
	*countp = node->count;
	for (size_t i = 0; i < node->count && err == TLD_OK; i++) {
		char sub[PATH_MAX_LEN];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		err = convert(ctx, it->children, node->items[i], sub, arr + i * it->size);
	}
	return err;
}

static int convert(struct tld_yctx *ctx, const struct tld_yitem *it, const struct tld_ynode *node,
                   const char *path, void *base)
{
	int err = TLD_OK;
	void *field = (char *)base + it->offset;
	int64_t v = 0;

	if (it->type == TLD_Y_MAP) {
		if (node->type != TLD_YNODE_MAP) {
			return tld_yreport(ctx, node, path, "expected a mapping, got %s",
			                   tld_ynode_type_name(node));
		}
		return tld_yschema_apply(ctx, it->children, node, path, node, base);
	}
	if (it->type == TLD_Y_SEQ) {
		return convert_seq(ctx, it, node, path, base);
	}
	if (it->type == TLD_Y_CUSTOM) {
		return it->conv(ctx, it, node, path, field);
	}
	if (!want_scalar(ctx, node, path, "a single value", &err)) {
		return err;
	}
	const char *s = value_text(node);
	if (strlen(s) != node->len) {
		return tld_yreport(ctx, node, path, "value contains a NUL character");
	}
	bool null = tld_ynode_is_null(node) || node->len == 0;
	if (null && it->type != TLD_Y_STR) {
		return tld_yreport(ctx, node, path, "missing value");
	}

	switch (it->type) {
	case TLD_Y_STR:
		if (null) {
			if (it->flags & TLD_YF_REQUIRED) {
				return tld_yreport(ctx, node, path, "must not be empty");
			}
			return TLD_OK;
		}
		*(char **)field = strdup(s);
		return *(char **)field == NULL ? TLD_ENOMEM : TLD_OK;
	case TLD_Y_PATH:
		return resolve_path(ctx, s, (char **)field);
	case TLD_Y_NAME:
		err = tld_name_normalise(s, (char **)field);
		if (err == TLD_EINVAL) {
			return tld_yreport(ctx, node, path, "bad domain name '%s'", s);
		}
		return err;
	case TLD_Y_INT:
		err = parse_int(s, &v);
		if (err == TLD_EINVAL) {
			return tld_yreport(ctx, node, path, "expected an integer, got '%s'", s);
		}
		if (err != TLD_OK || v < it->min || v > it->max) {
			return tld_yreport(ctx, node, path, "%s out of range (%" PRId64 "..%" PRId64 ")", s,
			                   it->min, it->max);
		}
		write_uint(field, it->size, v);
		return TLD_OK;
	case TLD_Y_DURATION:
		err = tld_duration_parse(s, &v);
		if (err == TLD_EINVAL) {
			return tld_yreport(ctx, node, path, "bad duration '%s' (use s, m, h, d, w, y)", s);
		}
		if (err != TLD_OK || v < it->min || v > it->max) {
			char lo[32], hi[32];
			tld_duration_format(it->min, lo, sizeof(lo));
			tld_duration_format(it->max, hi, sizeof(hi));
			return tld_yreport(ctx, node, path, "duration '%s' out of range (%s..%s)", s, lo, hi);
		}
		*(int64_t *)field = v;
		return TLD_OK;
	case TLD_Y_SHARE: {
		double d = 0;
		if (tld_share_parse(s, &d) != TLD_OK) {
			return tld_yreport(ctx, node, path,
			                   "bad share '%s' (write a percentage from 0%% to 100%%, e.g. 5%%)", s);
		}
		*(double *)field = d;
		return TLD_OK;
	}
	case TLD_Y_BOOL:
		if (strcmp(s, "true") == 0) {
			*(bool *)field = true;
		} else if (strcmp(s, "false") == 0) {
			*(bool *)field = false;
		} else {
			return tld_yreport(ctx, node, path, "expected true or false, got '%s'", s);
		}
		return TLD_OK;
	case TLD_Y_ENUM:
		for (const struct tld_yenum *e = it->enums; e->name != NULL; e++) {
			if (strcasecmp(e->name, s) == 0) {
				write_uint(field, it->size, e->value);
				return TLD_OK;
			}
		}
		{
			char list[256];
			enum_list(it->enums, list, sizeof(list));
			return tld_yreport(ctx, node, path, "bad value '%s' (allowed: %s)", s, list);
		}
	case TLD_Y_ADDR: {
		struct tld_sockaddr *sa = field;
		if (tld_sockaddr_parse(s, sa) != TLD_OK) {
			return tld_yreport(ctx, node, path,
			                   "bad address '%s' (use 192.0.2.1, 192.0.2.1@5300, ::1@5300)", s);
		}
		sa->text = strdup(s);
		return sa->text == NULL ? TLD_ENOMEM : TLD_OK;
	}
	case TLD_Y_PREFIX:
		if (tld_prefix_parse(s, field) != TLD_OK) {
			return tld_yreport(ctx, node, path,
			                   "bad prefix '%s' (use 127.0.0.0/8, ::1/128 or an address; host bits must be zero)",
			                   s);
		}
		return TLD_OK;
	case TLD_Y_BASE64: {
		uint8_t *buf = NULL;
		size_t n = 0;
		err = tld_base64_decode(s, &buf, &n);
		if (err == TLD_EINVAL || (err == TLD_OK && n == 0)) {
			free(buf);
			return tld_yreport(ctx, node, path, "bad base64 value");
		}
		if (err != TLD_OK) {
			return err;
		}
		*(uint8_t **)field = buf;
		*(size_t *)((char *)base + it->count_offset) = n;
		return TLD_OK;
	}
	default:
		return tld_yreport(ctx, node, path, "internal error: unknown schema type");
	}
}

/* Applies the default of an absent key by parsing its YAML text. */
static int apply_default(struct tld_yctx *ctx, const struct tld_yitem *it, const char *path,
                         void *base)
{
	struct tld_diag d = { 0 };
	struct tld_ynode *node = NULL;
	int err = tld_ydoc_parse("(default)", it->def, strlen(it->def), &d, &node);
	if (err == TLD_OK) {
		struct tld_yctx sub = { .file = "(built-in default)", .dir = ctx->dir, .diag = ctx->diag };
		err = convert(&sub, it, node, path, base);
		ctx->problems += sub.problems;
	} else if (err == TLD_ECONFIG) {
		/* An empty default ("") is the empty string. */
		err = TLD_OK;
	}
	tld_ynode_free(node);
	tld_diag_clear(&d);
	return err;
}

/* -- public API -- */

int tld_yreport(struct tld_yctx *ctx, const struct tld_ynode *node, const char *path,
                const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->problems++;
	unsigned line = node ? node->line : 1, col = node ? node->col : 1;
	if (path != NULL && *path != '\0') {
		return tld_diag_add(ctx->diag, ctx->file, line, col, "%s: %s", path, msg);
	}
	return tld_diag_add(ctx->diag, ctx->file, line, col, "%s", msg);
}

int tld_yschema_apply(struct tld_yctx *ctx, const struct tld_yitem *table,
                      const struct tld_ynode *map, const char *path,
                      const struct tld_ynode *where, void *base)
{
	int err = TLD_OK;
	size_t nitems = 0;
	while (table[nitems].key != NULL) {
		nitems++;
	}
	const struct tld_ynode *seen[64] = { 0 };
	if (nitems > 64) {
		return TLD_EINVAL;
	}

	if (map != NULL) {
		for (size_t i = 0; i + 1 < map->count && err == TLD_OK; i += 2) {
			const struct tld_ynode *k = map->items[i], *v = map->items[i + 1];
			if (k->type != TLD_YNODE_SCALAR) {
				err = tld_yreport(ctx, k, path, "a key must be a plain word, got %s",
				                  tld_ynode_type_name(k));
				continue;
			}
			size_t j = 0;
			while (j < nitems && strcmp(table[j].key, k->value) != 0) {
				j++;
			}
			char sub[PATH_MAX_LEN];
			join_path(sub, sizeof(sub), path, k->value);
			if (j == nitems) {
				const char *hint = suggest(table, k->value);
				if (hint != NULL) {
					err = tld_yreport(ctx, k, sub, "unknown key (did you mean '%s'?)", hint);
				} else {
					err = tld_yreport(ctx, k, sub, "unknown key");
				}
				continue;
			}
			if (seen[j] != NULL) {
				err = tld_yreport(ctx, k, sub, "duplicate key (first at %u:%u)", seen[j]->line,
				                  seen[j]->col);
				continue;
			}
			seen[j] = k;
			err = convert(ctx, &table[j], v, sub, base);
		}
	}
	for (size_t j = 0; j < nitems && err == TLD_OK; j++) {
		if (seen[j] != NULL) {
			continue;
		}
		const struct tld_yitem *it = &table[j];
		char sub[PATH_MAX_LEN];
		join_path(sub, sizeof(sub), path, it->key);
		if (it->flags & TLD_YF_REQUIRED) {
			err = tld_yreport(ctx, map ? map : where, sub, "missing required key");
		} else if (it->def != NULL) {
			err = apply_default(ctx, it, sub, base);
		} else if (it->type == TLD_Y_MAP) {
			err = tld_yschema_apply(ctx, it->children, NULL, sub, map ? map : where, base);
		}
	}
	return err;
}

int tld_name_normalise(const char *text, char **out)
{
	size_t len = strlen(text);
	if (len == 0 || len > 254) {
		return TLD_EINVAL;
	}
	if (strcmp(text, ".") == 0) {
		char *s = strdup(".");
		if (s == NULL) {
			return TLD_ENOMEM;
		}
		*out = s;
		return TLD_OK;
	}
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '.') {
			if (label == 0) {
				return TLD_EINVAL;
			}
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_') {
			return TLD_EINVAL;
		}
		if (++label > 63) {
			return TLD_EINVAL;
		}
	}
	bool dot = text[len - 1] == '.';
	if (len + (dot ? 0 : 1) > 254) {
		return TLD_EINVAL;
	}
	char *s = malloc(len + 2);
	if (s == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		s[i] = (char)tolower((unsigned char)text[i]);
	}
	if (!dot) {
		s[len++] = '.';
	}
	s[len] = '\0';
	*out = s;
	return TLD_OK;
}

int tld_sockaddr_parse(const char *text, struct tld_sockaddr *out)
{
	char host[64];
	unsigned long port = 53;
	const char *at = strrchr(text, '@');
	size_t hlen = at ? (size_t)(at - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		return TLD_EINVAL;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (at != NULL) {
		const char *p = at + 1;
		if (*p == '\0' || strlen(p) > 5) {
			return TLD_EINVAL;
		}
		for (const char *q = p; *q; q++) {
			if (!isdigit((unsigned char)*q)) {
				return TLD_EINVAL;
			}
		}
		port = strtoul(p, NULL, 10);
		if (port == 0 || port > 65535) {
			return TLD_EINVAL;
		}
	}
	struct tld_sockaddr r;
	memset(&r, 0, sizeof(r));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&r.ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&r.ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		r.len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		r.len = sizeof(*in6);
	} else {
		return TLD_EINVAL;
	}
	r.text = NULL;
	*out = r;
	return TLD_OK;
}

int tld_prefix_parse(const char *text, struct tld_prefix *out)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		return TLD_EINVAL;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	struct tld_prefix p;
	memset(&p, 0, sizeof(p));
	unsigned maxbits;
	if (inet_pton(AF_INET, host, p.addr) == 1) {
		p.family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, host, p.addr) == 1) {
		p.family = AF_INET6;
		maxbits = 128;
	} else {
		return TLD_EINVAL;
	}
	p.bits = maxbits;
	if (slash != NULL) {
		const char *b = slash + 1;
		if (*b == '\0' || strlen(b) > 3) {
			return TLD_EINVAL;
		}
		for (const char *q = b; *q; q++) {
			if (!isdigit((unsigned char)*q)) {
				return TLD_EINVAL;
			}
		}
		unsigned long bits = strtoul(b, NULL, 10);
		if (bits > maxbits) {
			return TLD_EINVAL;
		}
		p.bits = (unsigned)bits;
	}
	for (unsigned i = p.bits; i < maxbits; i++) {
		if (p.addr[i / 8] & (0x80u >> (i % 8))) {
			return TLD_EINVAL;
		}
	}
	*out = p;
	return TLD_OK;
}

bool tld_prefix_match(const struct tld_prefix *prefix, const struct sockaddr *sa)
{
	const uint8_t *a;
	if (sa->sa_family != prefix->family) {
		return false;
	}
	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	for (unsigned i = 0; i < prefix->bits; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));
		if ((a[i / 8] & m) != (prefix->addr[i / 8] & m)) {
			return false;
		}
	}
	return true;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int tld_base64_decode(const char *text, uint8_t **out, size_t *out_len)
{
	size_t len = strlen(text);
	if (len % 4 != 0) {
		return TLD_EINVAL;
	}
	uint8_t *buf = malloc(len / 4 * 3 + 1);
	if (buf == NULL) {
		return TLD_ENOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = text[i + (size_t)k];
			if (c == '=' && i + 4 == len && k >= 2) {
				pad++;
				v[k] = 0;
			} else if (pad > 0 || (v[k] = b64_value(c)) < 0) {
				free(buf);
				return TLD_EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		buf[n++] = (uint8_t)(w >> 16);
		if (pad < 2) {
			buf[n++] = (uint8_t)(w >> 8);
		}
		if (pad < 1) {
			buf[n++] = (uint8_t)w;
		}
	}
	*out = buf;
	*out_len = n;
	return TLD_OK;
}

int tld_hex_decode(const char *text, uint8_t *buf, size_t cap, size_t *out_len)
{
	size_t len = strlen(text);
	if (len % 2 != 0) {
		return TLD_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)text[i])) {
			return TLD_EINVAL;
		}
	}
	if (len / 2 > cap) {
		return TLD_ERANGE;
	}
	for (size_t i = 0; i < len; i += 2) {
		char b[3] = { text[i], text[i + 1], '\0' };
		buf[i / 2] = (uint8_t)strtoul(b, NULL, 16);
	}
	*out_len = len / 2;
	return TLD_OK;
}

int tld_share_parse(const char *text, double *out)
{
	size_t len = strlen(text);
	if (len < 2 || len > 16 || text[len - 1] != '%') {
		return TLD_EINVAL;
	}
	size_t digits = 0, dots = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (isdigit((unsigned char)text[i])) {
			digits++;
		} else if (text[i] == '.' && i > 0 && i + 2 < len) {
			dots++;
		} else {
			return TLD_EINVAL;
		}
	}
	if (digits == 0 || dots > 1) {
		return TLD_EINVAL;
	}
	double v = strtod(text, NULL);
	if (!(v >= 0.0 && v <= 100.0)) {
		return TLD_EINVAL;
	}
	*out = v / 100.0;
	return TLD_OK;
}
