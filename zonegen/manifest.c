/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/error.h"
#include "zonegen/manifest.h"
#include "zonegen/name.h"

/* A manifest lists five files; anything near this size is not a manifest. */
#define MANIFEST_MAX (1u << 20)

/* -- internal API -- */

static const char *scalar(yaml_document_t *doc, yaml_node_t *n)
{
	(void)doc;
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static unsigned long node_line(yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

static int parse_file(yaml_document_t *doc, const char *path, yaml_node_t *key,
                      yaml_node_t *val, struct tld_manifest_file *f, char *err, size_t errlen)
{
	const char *name = scalar(doc, key);
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		snprintf(err, errlen, "%s:%lu: file names must be plain names", path, node_line(key));
		return TLD_EEXPORT;
	}
	if (val->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "%s:%lu: %s: expected {rows: N, sha256: HEX}", path,
		         node_line(val), name);
		return TLD_EEXPORT;
	}
	bool have_rows = false, have_sha = false;
	for (yaml_node_pair_t *p = val->data.mapping.pairs.start; p < val->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *ks = scalar(doc, k), *vs = scalar(doc, v);
		if (ks == NULL || vs == NULL) {
			snprintf(err, errlen, "%s:%lu: %s: expected scalar values", path,
			         node_line(k), name);
			return TLD_EEXPORT;
		}
		if (strcmp(ks, "rows") == 0) {
			char *end;
			errno = 0;
			unsigned long long r = strtoull(vs, &end, 10);
			if (*vs < '0' || *vs > '9' || *end != '\0' || errno != 0) {
				snprintf(err, errlen, "%s:%lu: %s: rows must be a non-negative integer",
				         path, node_line(v), name);
				return TLD_EEXPORT;
			}
			f->rows = r;
			have_rows = true;
		} else if (strcmp(ks, "sha256") == 0) {
			if (strlen(vs) != 64) {
				snprintf(err, errlen, "%s:%lu: %s: sha256 must be 64 hex digits", path,
				         node_line(v), name);
				return TLD_EEXPORT;
			}
			for (int i = 0; i < 32; i++) {
				int hi = hexval(vs[2 * i]), lo = hexval(vs[2 * i + 1]);
				if (hi < 0 || lo < 0) {
					snprintf(err, errlen, "%s:%lu: %s: sha256 must be 64 hex digits",
					         path, node_line(v), name);
					return TLD_EEXPORT;
				}
				f->sha256[i] = (uint8_t)(hi << 4 | lo);
			}
			have_sha = true;
		} else {
			snprintf(err, errlen, "%s:%lu: %s: unknown key '%s'", path, node_line(k), name,
			         ks);
			return TLD_EEXPORT;
		}
	}
	if (!have_rows || !have_sha) {
		snprintf(err, errlen, "%s:%lu: %s: needs both rows and sha256", path, node_line(val),
		         name);
		return TLD_EEXPORT;
	}
	f->name = strdup(name);
	return f->name == NULL ? TLD_ENOMEM : TLD_OK;
}

/* -- public API -- */

int tld_manifest_load(const char *path, struct tld_manifest **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return TLD_EEXPORT;
	}
	char *data = NULL;
	size_t len = 0, cap = 0;
	int ret = TLD_OK;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > MANIFEST_MAX) {
				snprintf(err, errlen, "%s: larger than %u bytes", path, MANIFEST_MAX);
				ret = TLD_EEXPORT;
				break;
			}
			char *p = realloc(data, cap);
			if (p == NULL) {
				ret = TLD_ENOMEM;
				break;
			}
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: read error", path);
				ret = TLD_EEXPORT;
			}
			break;
		}
	}
	fclose(f);
	if (ret == TLD_OK) {
		ret = tld_manifest_parse(path, data, len, out, err, errlen);
	}
	free(data);
	return ret;
}

int tld_manifest_parse(const char *path, const char *data, size_t len, struct tld_manifest **out,
                       char *err, size_t errlen)
{
	int ret = TLD_EEXPORT;
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_doc = false;
	struct tld_manifest *m = NULL;
	if (!yaml_parser_initialize(&parser)) {
		return TLD_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu:%lu: %s", path, (unsigned long)parser.problem_mark.line + 1,
		         (unsigned long)parser.problem_mark.column + 1,
		         parser.problem ? parser.problem : "YAML error");
		goto fail;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "%s:1: expected a mapping (format, tld, exported_at, files)",
		         path);
		goto fail;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	bool have_format = false, have_time = false, have_files = false;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *ks = scalar(&doc, k), *vs = scalar(&doc, v);
		if (ks == NULL) {
			snprintf(err, errlen, "%s:%lu: keys must be scalars", path, node_line(k));
			goto fail;
		}
		/* a key given twice is refused: a manifest is never ambiguous */
		for (yaml_node_pair_t *e = root->data.mapping.pairs.start; e < p; e++) {
			const char *es = scalar(&doc, yaml_document_get_node(&doc, e->key));
			if (es != NULL && strcmp(es, ks) == 0) {
				snprintf(err, errlen, "%s:%lu: key '%s' given twice", path, node_line(k), ks);
				goto fail;
			}
		}
		if (strcmp(ks, "format") == 0) {
			if (vs == NULL || strcmp(vs, "1") != 0) {
				snprintf(err, errlen, "%s:%lu: unsupported format '%s' (expected 1)", path,
				         node_line(v), vs ? vs : "?");
				goto fail;
			}
			have_format = true;
		} else if (strcmp(ks, "tld") == 0) {
			char norm[TLD_NAME_MAX_TEXT];
			const char *why = NULL;
			if (vs == NULL) {
				snprintf(err, errlen, "%s:%lu: tld must be a name", path, node_line(v));
				goto fail;
			}
			size_t nlen = tld_name_normalize(vs, strlen(vs), norm, &why);
			if (nlen == 0) {
				snprintf(err, errlen, "%s:%lu: tld '%s': %s", path, node_line(v), vs, why);
				goto fail;
			}
			free(m->tld);
			m->tld = strdup(norm);
			if (m->tld == NULL) {
				ret = TLD_ENOMEM;
				goto fail;
			}
		} else if (strcmp(ks, "exported_at") == 0) {
			if (vs == NULL || tld_time_parse(vs, &m->exported_at) != 0) {
				snprintf(err, errlen, "%s:%lu: exported_at must be an RFC 3339 time", path,
				         node_line(v));
				goto fail;
			}
			have_time = true;
		} else if (strcmp(ks, "files") == 0) {
			if (v->type != YAML_MAPPING_NODE) {
				snprintf(err, errlen, "%s:%lu: files must be a mapping", path, node_line(v));
				goto fail;
			}
			size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
			m->files = calloc(n ? n : 1, sizeof(*m->files));
			if (m->files == NULL) {
				ret = TLD_ENOMEM;
				goto fail;
			}
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			     q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *fk = yaml_document_get_node(&doc, q->key);
				yaml_node_t *fv = yaml_document_get_node(&doc, q->value);
				struct tld_manifest_file *mf = &m->files[m->file_count];
				ret = parse_file(&doc, path, fk, fv, mf, err, errlen);
				if (ret != TLD_OK) {
					goto fail;
				}
				m->file_count++;
				if (tld_manifest_find(m, mf->name) != mf) {
					snprintf(err, errlen, "%s:%lu: %s listed twice", path, node_line(fk),
					         mf->name);
					ret = TLD_EEXPORT;
					goto fail;
				}
			}
			ret = TLD_EEXPORT;
			have_files = true;
		} else {
			snprintf(err, errlen, "%s:%lu: unknown key '%s'", path, node_line(k), ks);
			goto fail;
		}
	}
	if (!have_format || m->tld == NULL || !have_time || !have_files) {
		snprintf(err, errlen, "%s: missing key: %s", path,
		         !have_format ? "format" : m->tld == NULL ? "tld" : !have_time ? "exported_at"
		                                                                      : "files");
		goto fail;
	}
	*out = m;
	m = NULL;
	ret = TLD_OK;
fail:
	tld_manifest_free(m);
	if (have_doc) {
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return ret;
}

void tld_manifest_free(struct tld_manifest *m)
{
	if (m == NULL) {
		return;
	}
	for (size_t i = 0; i < m->file_count; i++) {
		free(m->files[i].name);
	}
	free(m->files);
	free(m->tld);
	free(m);
}

const struct tld_manifest_file *tld_manifest_find(const struct tld_manifest *m, const char *name)
{
	for (size_t i = 0; i < m->file_count; i++) {
		if (strcmp(m->files[i].name, name) == 0) {
			return &m->files[i];
		}
	}
	return NULL;
}
