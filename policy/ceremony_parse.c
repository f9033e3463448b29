/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ceremony scripts: YAML (libyaml document API) into struct tld_ceremony. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/error.h"
#include "common/log.h"
#include "policy/ceremony.h"
#include "policy/keystate.h"

#define MAX_STEPS 200
#define MAX_PARTICIPANTS 50
#define MAX_SCRIPT (1024 * 1024)

struct parse_ctx {
	yaml_document_t *doc;
	const char *name;
};

static int problem(const struct parse_ctx *p, const yaml_node_t *node, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	tld_error("%s:%lu:%lu: %s", p->name, node ? (unsigned long)node->start_mark.line + 1 : 0UL,
	          node ? (unsigned long)node->start_mark.column + 1 : 0UL, msg);
	return TLD_ECONFIG;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int dup_scalar(const struct parse_ctx *p, const yaml_node_t *n, const char *key, char **out)
{
	const char *s = scalar(n);
	if (s == NULL) {
		return problem(p, n, "'%s' must be a text", key);
	}
	if (strlen(s) != n->data.scalar.length) {
		return problem(p, n, "'%s' contains a NUL byte", key);
	}
	free(*out);
	*out = strdup(s);
	return *out ? TLD_OK : TLD_ENOMEM;
}

static const struct {
	const char *name;
	enum tld_cer_action action;
} actions[] = {
	{ "note", TLD_CER_NOTE },
	{ "audit-verify", TLD_CER_AUDIT_VERIFY },
	{ "status", TLD_CER_STATUS },
	{ "advance", TLD_CER_ADVANCE },
	{ "key-generate", TLD_CER_KEY_GENERATE },
	{ "rollover-start", TLD_CER_ROLLOVER_START },
	{ "ds-seen", TLD_CER_DS_SEEN },
	{ "ds-gone", TLD_CER_DS_GONE },
};

const char *tld_cer_action_name(enum tld_cer_action a)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (actions[i].action == a) {
			return actions[i].name;
		}
	}
	return "?";
}

static int parse_step(const struct parse_ctx *p, yaml_node_t *node, struct tld_cer_step *st)
{
	if (node->type != YAML_MAPPING_NODE) {
		return problem(p, node, "a step must be a mapping (title, action, ...)%s", NULL);
	}
	st->line = (unsigned)node->start_mark.line + 1;
	st->key_tag = -1;
	yaml_node_t *action_node = NULL, *tag_node = NULL;
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pair->value);
		const char *key = scalar(k);
		int ret = TLD_OK;
		if (key == NULL) {
			return problem(p, k, "step keys must be texts%s", NULL);
		}
		if (strcmp(key, "title") == 0) {
			ret = dup_scalar(p, v, key, &st->title);
		} else if (strcmp(key, "text") == 0) {
			ret = dup_scalar(p, v, key, &st->text);
		} else if (strcmp(key, "action") == 0) {
			const char *a = scalar(v);
			action_node = v;
			for (size_t i = 0; a && i < sizeof(actions) / sizeof(actions[0]); i++) {
				if (strcmp(a, actions[i].name) == 0) {
					st->action = actions[i].action;
				}
			}
			if (st->action == 0) {
				return problem(p, v, "unknown action '%s' (note, audit-verify, status, advance, "
				               "key-generate, rollover-start, ds-seen, ds-gone)", a ? a : "?");
			}
		} else if (strcmp(key, "kind") == 0) {
			const char *s = scalar(v);
			static const char *kinds[] = { NULL, "ksk", "zsk", "csk", "algorithm" };
			for (int i = 1; s && i <= 4; i++) {
				if (strcmp(s, kinds[i]) == 0) {
					st->kind = i;
				}
			}
			if (st->kind == 0) {
				return problem(p, v, "kind must be ksk, zsk, csk or algorithm, not '%s'", s ? s : "?");
			}
		} else if (strcmp(key, "role") == 0) {
			const char *s = scalar(v);
			if (s && strcmp(s, "ksk") == 0) {
				st->role = TLD_ROLE_KSK;
			} else if (s && strcmp(s, "zsk") == 0) {
				st->role = TLD_ROLE_ZSK;
			} else if (s && strcmp(s, "csk") == 0) {
				st->role = TLD_ROLE_CSK;
			} else {
				return problem(p, v, "role must be ksk, zsk or csk, not '%s'", s ? s : "?");
			}
		} else if (strcmp(key, "key-tag") == 0) {
			const char *s = scalar(v);
			char *end = NULL;
			long t = s ? strtol(s, &end, 10) : -1;
			tag_node = v;
			if (s != NULL && strcmp(s, "from-command-line") == 0) {
				st->key_tag = TLD_CER_TAG_PARAM;
				continue;
			}
			if (s == NULL || *s == '\0' || *end != '\0' || t < 0 || t > 65535) {
				return problem(p, v, "key-tag must be a number from 0 to 65535, not '%s'", s ? s : "?");
			}
			st->key_tag = (int)t;
		} else {
			return problem(p, k, "unknown step key '%s'", key);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	if (st->action == 0) {
		return problem(p, node, "step without an action%s", NULL);
	}
	if (st->title == NULL) {
		st->title = strdup(tld_cer_action_name(st->action));
		if (st->title == NULL) {
			return TLD_ENOMEM;
		}
	}
	switch (st->action) {
	case TLD_CER_NOTE:
		if (st->text == NULL) {
			return problem(p, node, "a note step needs 'text'%s", NULL);
		}
		break;
	case TLD_CER_KEY_GENERATE:
		if (st->role == 0) {
			return problem(p, action_node, "key-generate needs 'role'%s", NULL);
		}
		break;
	case TLD_CER_ROLLOVER_START:
		if (st->kind == 0) {
			return problem(p, action_node, "rollover-start needs 'kind'%s", NULL);
		}
		break;
	case TLD_CER_DS_SEEN:
	case TLD_CER_DS_GONE:
		if (st->key_tag == -1) {
			return problem(p, tag_node ? tag_node : action_node, "%s needs 'key-tag'",
			               tld_cer_action_name(st->action));
		}
		break;
	default:
		break;
	}
	return TLD_OK;
}

static int parse_root(const struct parse_ctx *p, struct tld_ceremony *c)
{
	yaml_node_t *root = yaml_document_get_root_node(p->doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		return problem(p, root, "a ceremony script is a mapping (ceremony, participants, steps)%s", NULL);
	}
	yaml_node_t *steps = NULL;
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pair->value);
		const char *key = scalar(k);
		int ret = TLD_OK;
		if (key == NULL) {
			return problem(p, k, "keys must be texts%s", NULL);
		}
		if (strcmp(key, "ceremony") == 0) {
			if (c->name != NULL) {
				return problem(p, k, "duplicate key '%s'", key);
			}
			ret = dup_scalar(p, v, key, &c->name);
		} else if (strcmp(key, "participants") == 0) {
			if (c->participants != NULL) {
				return problem(p, k, "duplicate key '%s'", key);
			}
			if (v->type != YAML_SEQUENCE_NODE) {
				return problem(p, v, "participants: a list of names%s", NULL);
			}
			size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			if (n > MAX_PARTICIPANTS) {
				return problem(p, v, "more than 50 participants%s", NULL);
			}
			c->participants = calloc(n ? n : 1, sizeof(char *));
			if (c->participants == NULL) {
				return TLD_ENOMEM;
			}
			for (size_t i = 0; i < n && ret == TLD_OK; i++) {
				yaml_node_t *item = yaml_document_get_node(p->doc, v->data.sequence.items.start[i]);
				ret = dup_scalar(p, item, "participants", &c->participants[i]);
				c->n_participants = i + 1;
			}
		} else if (strcmp(key, "steps") == 0) {
			if (steps != NULL) {
				return problem(p, k, "duplicate key '%s'", key);
			}
			steps = v;
		} else {
			return problem(p, k, "unknown key '%s' (ceremony, participants, steps)", key);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	if (c->name == NULL) {
		return problem(p, root, "missing 'ceremony' (its name)%s", NULL);
	}
	if (steps == NULL || steps->type != YAML_SEQUENCE_NODE) {
		return problem(p, steps ? steps : root, "'steps' must be a list of steps%s", NULL);
	}
	size_t n = (size_t)(steps->data.sequence.items.top - steps->data.sequence.items.start);
	if (n == 0 || n > MAX_STEPS) {
		return problem(p, steps, "a ceremony has 1 to 200 steps%s", NULL);
	}
	c->steps = calloc(n, sizeof(*c->steps));
	if (c->steps == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		c->n_steps = i + 1;
		int ret = parse_step(p, yaml_document_get_node(p->doc, steps->data.sequence.items.start[i]), &c->steps[i]);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

int tld_ceremony_parse(const char *text, size_t len, const char *name, struct tld_ceremony **out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct tld_ceremony *c;
	int ret;

	if (len > MAX_SCRIPT) {
		tld_error("%s: larger than 1 MiB", name);
		return TLD_ECONFIG;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return TLD_ENOMEM;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(c);
		return TLD_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		tld_error("%s:%lu:%lu: %s", name, (unsigned long)parser.problem_mark.line + 1,
		          (unsigned long)parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		free(c);
		return TLD_ECONFIG;
	}
	struct parse_ctx p = { &doc, name };
	ret = parse_root(&p, c);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret != TLD_OK) {
		tld_ceremony_free(c);
		return ret;
	}
	*out = c;
	return TLD_OK;
}

int tld_ceremony_load(const char *path, struct tld_ceremony **out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		int err = tld_errno(errno);
		tld_error("%s: cannot open: %s", path, strerror(errno));
		return err;
	}
	char *buf = malloc(MAX_SCRIPT + 1);
	if (buf == NULL) {
		fclose(f);
		return TLD_ENOMEM;
	}
	size_t len = fread(buf, 1, MAX_SCRIPT + 1, f);
	int ret;
	if (ferror(f)) {
		tld_error("%s: read error", path);
		ret = TLD_EIO;
	} else {
		ret = tld_ceremony_parse(buf, len, path, out);
	}
	fclose(f);
	free(buf);
	return ret;
}

void tld_ceremony_free(struct tld_ceremony *c)
{
	if (c == NULL) {
		return;
	}
	for (size_t i = 0; i < c->n_participants; i++) {
		free(c->participants[i]);
	}
	free(c->participants);
	for (size_t i = 0; i < c->n_steps; i++) {
		free(c->steps[i].title);
		free(c->steps[i].text);
	}
	free(c->steps);
	free(c->name);
	free(c);
}
