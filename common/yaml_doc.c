/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/error.h"
#include "common/log.h"
#include "common/yaml_doc.h"

/* -- internal API -- */

struct builder {
	const char *file;
	struct tld_diag *diag;
	struct tld_ynode *stack[TLD_YAML_MAX_DEPTH + 1];
	size_t depth;
	struct tld_ynode *root;
	size_t nodes;
	unsigned docs;
	bool failed;               /* a problem was reported */
};

static int node_append(struct tld_ynode *parent, struct tld_ynode *child)
{
	if ((parent->count & (parent->count - 1)) == 0) {   /* 0, 1, 2, 4, ... grow */
		size_t cap = parent->count == 0 ? 4 : parent->count * 2;
		struct tld_ynode **n = realloc(parent->items, cap * sizeof(*n));
		if (n == NULL) {
			return TLD_ENOMEM;
		}
		parent->items = n;
	}
	parent->items[parent->count++] = child;
	return TLD_OK;
}

static int report(struct builder *b, yaml_mark_t mark, const char *what)
{
	b->failed = true;
	return tld_diag_add(b->diag, b->file, (unsigned)mark.line + 1, (unsigned)mark.column + 1,
	                    "%s", what);
}

/* Attaches a finished node to the open collection (or makes it the root). */
static int attach(struct builder *b, struct tld_ynode *node)
{
	if (b->depth == 0) {
		b->root = node;
		return TLD_OK;
	}
	return node_append(b->stack[b->depth - 1], node);
}

/* Refuses anchors and tags on a node event; returns true if refused. */
static bool refuse_decorations(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
                               const yaml_char_t *tag, int implicit, int *err)
{
	if (anchor != NULL) {
		*err = report(b, ev->start_mark, "YAML anchors and aliases are not supported");
		return true;
	}
	if (tag != NULL && !implicit) {
		*err = report(b, ev->start_mark, "YAML tags are not supported");
		return true;
	}
	return false;
}

static int handle_event(struct builder *b, const yaml_event_t *ev, bool *stop)
{
	int err = TLD_OK;
	struct tld_ynode *node = NULL;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			*stop = true;
			return report(b, ev->start_mark, "more than one YAML document in the file");
		}
		return TLD_OK;
	case YAML_ALIAS_EVENT:
		*stop = true;
		return report(b, ev->start_mark, "YAML anchors and aliases are not supported");
	case YAML_SCALAR_EVENT:
		if (refuse_decorations(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag,
		                       ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit,
		                       &err)) {
			*stop = true;
			return err;
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (refuse_decorations(b, ev, ev->data.sequence_start.anchor,
		                       ev->data.sequence_start.tag, ev->data.sequence_start.implicit,
		                       &err)) {
			*stop = true;
			return err;
		}
		break;
	case YAML_MAPPING_START_EVENT:
		if (refuse_decorations(b, ev, ev->data.mapping_start.anchor,
		                       ev->data.mapping_start.tag, ev->data.mapping_start.implicit,
		                       &err)) {
			*stop = true;
			return err;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0) {
			b->depth--;
		}
		return TLD_OK;
	default:
		return TLD_OK;
	}

	if (++b->nodes > TLD_YAML_MAX_NODES) {
		*stop = true;
		return report(b, ev->start_mark, "too many YAML nodes");
	}
	node = calloc(1, sizeof(*node));
	if (node == NULL) {
		return TLD_ENOMEM;
	}
	node->line = (unsigned)ev->start_mark.line + 1;
	node->col = (unsigned)ev->start_mark.column + 1;
	if (ev->type == YAML_SCALAR_EVENT) {
		node->type = TLD_YNODE_SCALAR;
		node->len = ev->data.scalar.length;
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		node->value = malloc(node->len + 1);
		if (node->value == NULL) {
			free(node);
			return TLD_ENOMEM;
		}
		memcpy(node->value, ev->data.scalar.value, node->len);
		node->value[node->len] = '\0';
	} else {
		node->type = ev->type == YAML_SEQUENCE_START_EVENT ? TLD_YNODE_SEQ : TLD_YNODE_MAP;
	}
	err = attach(b, node);
	if (err != TLD_OK) {
		tld_ynode_free(node);
		return err;
	}
	if (node->type != TLD_YNODE_SCALAR) {
		if (b->depth >= TLD_YAML_MAX_DEPTH) {
			*stop = true;
			return report(b, ev->start_mark, "YAML nesting too deep");
		}
		b->stack[b->depth++] = node;
	}
	return TLD_OK;
}

static void free_items(struct tld_ynode *node)
{
	for (size_t i = 0; i < node->count; i++) {
		tld_ynode_free(node->items[i]);
	}
	free(node->items);
}

/* -- public API -- */

const char *tld_ynode_type_name(const struct tld_ynode *node)
{
	if (node == NULL) {
		return "nothing";
	}
	switch (node->type) {
	case TLD_YNODE_SCALAR: return tld_ynode_is_null(node) ? "an empty value" : "a scalar";
	case TLD_YNODE_SEQ:    return "a sequence";
	default:               return "a mapping";
	}
}

bool tld_ynode_is_null(const struct tld_ynode *node)
{
	return node != NULL && node->type == TLD_YNODE_SCALAR && node->plain &&
	       (node->len == 0 || strcmp(node->value, "~") == 0 || strcmp(node->value, "null") == 0);
}

int tld_ydoc_parse(const char *file, const char *data, size_t len, struct tld_diag *diag,
                   struct tld_ynode **out)
{
	yaml_parser_t parser;
	struct builder b = { .file = file, .diag = diag };
	int err = TLD_OK;

	if (len > TLD_YAML_MAX_BYTES) {
		err = tld_diag_add(diag, file, 1, 1, "file too large (over %u bytes)",
		                   TLD_YAML_MAX_BYTES);
		return err != TLD_OK ? err : TLD_ECONFIG;
	}
	if (!yaml_parser_initialize(&parser)) {
		return TLD_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				err = TLD_ENOMEM;
				break;
			}
			yaml_mark_t m = parser.problem_mark;
			if (parser.context != NULL) {
				b.failed = true;
				err = tld_diag_add(diag, file, (unsigned)m.line + 1, (unsigned)m.column + 1,
				                   "YAML syntax error: %s %s",
				                   parser.problem ? parser.problem : "invalid", parser.context);
			} else {
				b.failed = true;
				err = tld_diag_add(diag, file, (unsigned)m.line + 1, (unsigned)m.column + 1,
				                   "YAML syntax error: %s",
				                   parser.problem ? parser.problem : "invalid");
			}
			break;
		}
		bool stop = false;
		bool end = ev.type == YAML_STREAM_END_EVENT;
		err = handle_event(&b, &ev, &stop);
		yaml_event_delete(&ev);
		if (err != TLD_OK || stop || end) {
			break;
		}
	}
	yaml_parser_delete(&parser);

	if (err == TLD_OK && !b.failed && (b.root == NULL || tld_ynode_is_null(b.root))) {
		b.failed = true;
		err = tld_diag_add(diag, file, 1, 1, "empty file (expected a mapping of settings)");
	}
	if (err != TLD_OK || b.failed) {
		tld_ynode_free(b.root);
		return err != TLD_OK ? err : TLD_ECONFIG;
	}
	*out = b.root;
	return TLD_OK;
}

void tld_ynode_free(struct tld_ynode *node)
{
	if (node == NULL) {
		return;
	}
	free_items(node);
	free(node->value);
	free(node);
}

const struct tld_ynode *tld_ynode_get(const struct tld_ynode *map, const char *key)
{
	if (map == NULL || map->type != TLD_YNODE_MAP) {
		return NULL;
	}
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const struct tld_ynode *k = map->items[i];
		if (k->type == TLD_YNODE_SCALAR && strcmp(k->value, key) == 0) {
			return map->items[i + 1];
		}
	}
	return NULL;
}

const struct tld_ynode *tld_ynode_path(const struct tld_ynode *root, const char *dotted)
{
	char key[128];
	const struct tld_ynode *node = root;
	const char *p = dotted;
	while (node != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key)) {
			return NULL;
		}
		memcpy(key, p, n);
		key[n] = '\0';
		node = tld_ynode_get(node, key);
		p += n;
		if (*p == '.') {
			p++;
		}
	}
	return node;
}

int tld_diag_add(struct tld_diag *diag, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...)
{
	if (diag->count >= TLD_DIAG_MAX) {
		diag->dropped++;
		return TLD_OK;
	}
	if (diag->count == diag->cap) {
		size_t cap = diag->cap == 0 ? 8 : diag->cap * 2;
		char **n = realloc(diag->msgs, cap * sizeof(*n));
		if (n == NULL) {
			diag->oom = true;
			return TLD_ENOMEM;
		}
		diag->msgs = n;
		diag->cap = cap;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *s = NULL;
	int n = line == 0 ? asprintf(&s, "%s: %s", file, msg)
	                  : asprintf(&s, "%s:%u:%u: %s", file, line, col, msg);
	if (n < 0) {
		diag->oom = true;
		return TLD_ENOMEM;
	}
	diag->msgs[diag->count++] = s;
	return TLD_OK;
}

size_t tld_diag_total(const struct tld_diag *diag)
{
	return diag->count + diag->dropped;
}

void tld_diag_log(const struct tld_diag *diag)
{
	for (size_t i = 0; i < diag->count; i++) {
		tld_error("%s", diag->msgs[i]);
	}
	if (diag->dropped > 0) {
		tld_error("... and %zu more problems", diag->dropped);
	}
}

void tld_diag_clear(struct tld_diag *diag)
{
	for (size_t i = 0; i < diag->count; i++) {
		free(diag->msgs[i]);
	}
	free(diag->msgs);
	memset(diag, 0, sizeof(*diag));
}

int tld_read_file(const char *path, char **out, size_t *len)
{
	int err = TLD_OK;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return tld_errno(errno);
	}
	buf = malloc(TLD_YAML_MAX_BYTES + 2);
	if (buf == NULL) {
		err = TLD_ENOMEM;
		goto fail;
	}
	n = fread(buf, 1, TLD_YAML_MAX_BYTES + 1, f);
	if (ferror(f)) {
		err = TLD_EIO;
		goto fail;
	}
	if (n > TLD_YAML_MAX_BYTES) {
		err = TLD_ERANGE;
		goto fail;
	}
	buf[n] = '\0';
fail:
	fclose(f);
	if (err != TLD_OK) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return TLD_OK;
}
