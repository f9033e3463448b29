/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tldsign.yaml: the schema table, the loader and the cross-field checks.
 * Key names, types, ranges and defaults below are the reference; README
 * "Configuration" and etc/tldsign.yaml document the same table.
 */
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/yaml_schema.h"

/* -- internal API -- */

#define C(f) offsetof(struct tld_config, f)
#define TTL_MAX 2147483647
#define DUR_MAX (100LL * 365 * 86400)

static const struct tld_yenum digest_names[] = {
	{ "sha256", TLD_DIGEST_SHA256 }, { "sha384", TLD_DIGEST_SHA384 }, { NULL, 0 },
};

static const struct tld_yenum tsig_alg_names[] = {
	{ "hmac-sha256", TLD_TSIG_HMAC_SHA256 }, { "hmac-sha512", TLD_TSIG_HMAC_SHA512 }, { NULL, 0 },
};

static const struct tld_yitem hsm_keys[] = {
	{ .key = "module", .type = TLD_Y_PATH, .def = "/usr/lib/softhsm/libsofthsm2.so", .offset = C(hsm.module) },
	{ .key = "token", .type = TLD_Y_STR, .flags = TLD_YF_REQUIRED, .offset = C(hsm.token) },
	{ .key = "pin-file", .type = TLD_Y_PATH, .offset = C(hsm.pin_file) },
	{ .key = "pin-env", .type = TLD_Y_STR, .offset = C(hsm.pin_env) },
	{ .key = "softhsm-conf", .type = TLD_Y_PATH, .offset = C(hsm.softhsm_conf) },
	{ .key = "session-key-copies", .type = TLD_Y_BOOL, .def = "true", .offset = C(hsm.session_key_copies) },
	{ .key = "early-workers", .type = TLD_Y_BOOL, .def = "true", .offset = C(hsm.early_workers) },
	{ .key = NULL },
};

#define SOA_U32(k, f, d) { .key = k, .type = TLD_Y_INT, .min = 0, .max = TTL_MAX, .def = d, \
                           .offset = C(apex.soa.f), .size = 4 }
static const struct tld_yitem soa_keys[] = {
	{ .key = "mname", .type = TLD_Y_NAME, .flags = TLD_YF_REQUIRED, .offset = C(apex.soa.mname) },
	{ .key = "rname", .type = TLD_Y_NAME, .flags = TLD_YF_REQUIRED, .offset = C(apex.soa.rname) },
	SOA_U32("refresh", refresh, "1800"),
	SOA_U32("retry", retry, "900"),
	SOA_U32("expire", expire, "1209600"),
	SOA_U32("minimum", minimum, "3600"),
	SOA_U32("ttl", ttl, "3600"),
	{ .key = NULL },
};

static const struct tld_yitem name_elem = { .key = "", .type = TLD_Y_NAME, .offset = 0 };

static const struct tld_yitem apex_keys[] = {
	{ .key = "soa", .type = TLD_Y_MAP, .flags = TLD_YF_REQUIRED, .children = soa_keys },
	{ .key = "ns", .type = TLD_Y_SEQ, .flags = TLD_YF_REQUIRED, .min = 1, .max = 64,
	  .offset = C(apex.ns), .count_offset = C(apex.ns_count), .size = sizeof(char *),
	  .children = &name_elem },
	{ .key = "records", .type = TLD_Y_PATH, .offset = C(apex.records) },
	{ .key = NULL },
};

static const struct tld_yitem ttl_keys[] = {
	{ .key = "delegation-ns", .type = TLD_Y_INT, .max = TTL_MAX, .def = "172800",
	  .offset = C(ttl.delegation_ns), .size = 4 },
	{ .key = "ds", .type = TLD_Y_INT, .max = TTL_MAX, .def = "86400", .offset = C(ttl.ds), .size = 4 },
	{ .key = "glue", .type = TLD_Y_INT, .max = TTL_MAX, .def = "172800", .offset = C(ttl.glue), .size = 4 },
	{ .key = NULL },
};

static const struct tld_yitem u8_elem = { .key = "", .type = TLD_Y_INT, .min = 1, .max = 255, .size = 1 };

static const struct tld_yitem zonegen_keys[] = {
	{ .key = "ds-algorithms", .type = TLD_Y_SEQ, .max = 255, .def = "[8, 10, 13, 14, 15, 16]",
	  .offset = C(zonegen.ds_algorithms), .count_offset = C(zonegen.ds_algorithms_count),
	  .size = 1, .children = &u8_elem },
	{ .key = "ds-digest-types", .type = TLD_Y_SEQ, .max = 255, .def = "[2, 4]",
	  .offset = C(zonegen.ds_digest_types), .count_offset = C(zonegen.ds_digest_types_count),
	  .size = 1, .children = &u8_elem },
	{ .key = "keydata-digest", .type = TLD_Y_ENUM, .def = "sha256", .enums = digest_names,
	  .offset = C(zonegen.keydata_digest), .size = sizeof(enum tld_digest) },
	{ .key = NULL },
};

static const struct tld_yitem output_keys[] = {
	{ .key = "dir", .type = TLD_Y_PATH, .def = "zones/", .offset = C(output.dir) },
	{ .key = "keep", .type = TLD_Y_INT, .min = 1, .max = 100000, .def = "10",
	  .offset = C(output.keep), .size = sizeof(unsigned) },
	{ .key = "after-publish", .type = TLD_Y_STR, .offset = C(output.after_publish) },
	{ .key = NULL },
};

#define T(f) offsetof(struct tld_tsig_key, f)
static const struct tld_yitem tsig_keys[] = {
	{ .key = "name", .type = TLD_Y_NAME, .flags = TLD_YF_REQUIRED, .offset = T(name) },
	{ .key = "algorithm", .type = TLD_Y_ENUM, .def = "hmac-sha256", .enums = tsig_alg_names,
	  .offset = T(algorithm), .size = sizeof(enum tld_tsig_alg) },
	{ .key = "secret", .type = TLD_Y_BASE64, .flags = TLD_YF_REQUIRED, .offset = T(secret),
	  .count_offset = T(secret_len) },
	{ .key = NULL },
};
static const struct tld_yitem tsig_elem = { .key = "", .type = TLD_Y_MAP, .children = tsig_keys };

static const struct tld_yitem prefix_elem = { .key = "", .type = TLD_Y_PREFIX };
#define A(f) offsetof(struct tld_acl_entry, f)
static const struct tld_yitem acl_keys[] = {
	{ .key = "key", .type = TLD_Y_NAME, .offset = A(key) },
	{ .key = "from", .type = TLD_Y_SEQ, .flags = TLD_YF_REQUIRED, .min = 1, .offset = A(from),
	  .count_offset = A(from_count), .size = sizeof(struct tld_prefix), .children = &prefix_elem },
	{ .key = NULL },
};
static const struct tld_yitem acl_elem = { .key = "", .type = TLD_Y_MAP, .children = acl_keys };

#define S(f) offsetof(struct tld_secondary, f)
static const struct tld_yitem secondary_keys[] = {
	{ .key = "address", .type = TLD_Y_ADDR, .flags = TLD_YF_REQUIRED, .offset = S(address) },
	{ .key = "key", .type = TLD_Y_NAME, .offset = S(key) },
	{ .key = NULL },
};
static const struct tld_yitem secondary_elem = { .key = "", .type = TLD_Y_MAP, .children = secondary_keys };
static const struct tld_yitem addr_elem = { .key = "", .type = TLD_Y_ADDR };

static const struct tld_yitem publish_keys[] = {
	{ .key = "listen", .type = TLD_Y_SEQ, .max = 64, .offset = C(publish.listen),
	  .count_offset = C(publish.listen_count), .size = sizeof(struct tld_sockaddr),
	  .children = &addr_elem },
	{ .key = "tsig", .type = TLD_Y_SEQ, .max = 1000, .offset = C(publish.tsig),
	  .count_offset = C(publish.tsig_count), .size = sizeof(struct tld_tsig_key),
	  .children = &tsig_elem },
	{ .key = "acl", .type = TLD_Y_SEQ, .max = 1000, .offset = C(publish.acl),
	  .count_offset = C(publish.acl_count), .size = sizeof(struct tld_acl_entry),
	  .children = &acl_elem },
	{ .key = "secondaries", .type = TLD_Y_SEQ, .max = 1000, .offset = C(publish.secondaries),
	  .count_offset = C(publish.secondaries_count), .size = sizeof(struct tld_secondary),
	  .children = &secondary_elem },
	{ .key = "notify-timeout", .type = TLD_Y_DURATION, .min = 1, .max = 86400, .def = "30s",
	  .offset = C(publish.notify_timeout) },
	{ .key = "confirm-timeout", .type = TLD_Y_DURATION, .min = 1, .max = 86400, .def = "60s",
	  .offset = C(publish.confirm_timeout) },
	{ .key = NULL },
};

static const struct tld_yitem guard_keys[] = {
	{ .key = "max-delegation-drop", .type = TLD_Y_SHARE, .def = "5%", .offset = C(guards.max_delegation_drop) },
	{ .key = "max-ds-drop", .type = TLD_Y_SHARE, .def = "5%", .offset = C(guards.max_ds_drop) },
	{ .key = "max-bad-rows", .type = TLD_Y_SHARE, .def = "0.5%", .offset = C(guards.max_bad_rows) },
	{ .key = "max-export-age", .type = TLD_Y_DURATION, .min = 1, .max = DUR_MAX, .def = "2h",
	  .offset = C(guards.max_export_age) },
	{ .key = NULL },
};

static const struct tld_yitem verify_keys[] = {
	{ .key = "full-every", .type = TLD_Y_DURATION, .min = 0, .max = DUR_MAX, .def = "24h",
	  .offset = C(verify.full_every) },
	{ .key = NULL },
};

static const struct tld_yitem config_keys[] = {
	{ .key = "zone", .type = TLD_Y_NAME, .flags = TLD_YF_REQUIRED, .offset = C(zone) },
	{ .key = "export", .type = TLD_Y_PATH, .def = "export/", .offset = C(export_dir) },
	{ .key = "state-dir", .type = TLD_Y_PATH, .def = "state/", .offset = C(state_dir) },
	{ .key = "policy", .type = TLD_Y_PATH, .def = "policy.yaml", .offset = C(policy_path) },
	{ .key = "hsm", .type = TLD_Y_MAP, .flags = TLD_YF_REQUIRED, .children = hsm_keys },
	{ .key = "apex", .type = TLD_Y_MAP, .flags = TLD_YF_REQUIRED, .children = apex_keys },
	{ .key = "ttl", .type = TLD_Y_MAP, .children = ttl_keys },
	{ .key = "zonegen", .type = TLD_Y_MAP, .children = zonegen_keys },
	{ .key = "output", .type = TLD_Y_MAP, .children = output_keys },
	{ .key = "publish", .type = TLD_Y_MAP, .children = publish_keys },
	{ .key = "guards", .type = TLD_Y_MAP, .children = guard_keys },
	{ .key = "verify", .type = TLD_Y_MAP, .children = verify_keys },
	{ .key = NULL },
};

/* The node of the idx-th element's key (for messages), or the nearest ancestor. */
static const struct tld_ynode *elem_node(const struct tld_ynode *root, const char *seq, size_t idx,
                                         const char *key)
{
	const struct tld_ynode *s = tld_ynode_path(root, seq);
	if (s == NULL || s->type != TLD_YNODE_SEQ || idx >= s->count) {
		return s != NULL ? s : root;
	}
	const struct tld_ynode *v = tld_ynode_get(s->items[idx], key);
	return v != NULL ? v : s->items[idx];
}

static int cross_checks(struct tld_yctx *ctx, const struct tld_ynode *root, struct tld_config *cfg)
{
	int err = TLD_OK;
	const struct tld_ynode *hsm = tld_ynode_get(root, "hsm");
	bool has_file = cfg->hsm.pin_file != NULL, has_env = cfg->hsm.pin_env != NULL;
	if (hsm != NULL && hsm->type == TLD_YNODE_MAP && !has_file && !has_env &&
	    tld_ynode_get(hsm, "pin-file") == NULL && tld_ynode_get(hsm, "pin-env") == NULL) {
		err = tld_yreport(ctx, hsm, "hsm", "needs pin-file or pin-env");
	} else if (has_file && has_env) {
		err = tld_yreport(ctx, tld_ynode_get(hsm, "pin-env"), "hsm.pin-env",
		                  "give pin-file or pin-env, not both");
	}
	for (size_t i = 0; i < cfg->publish.tsig_count && err == TLD_OK; i++) {
		for (size_t j = 0; j < i && err == TLD_OK; j++) {
			const char *a = cfg->publish.tsig[i].name, *b = cfg->publish.tsig[j].name;
			if (a != NULL && b != NULL && strcmp(a, b) == 0) {
				char path[64];
				snprintf(path, sizeof(path), "publish.tsig[%zu].name", i);
				err = tld_yreport(ctx, elem_node(root, "publish.tsig", i, "name"), path,
				                  "TSIG key '%s' defined twice (also publish.tsig[%zu])", a, j);
			}
		}
	}
	for (size_t i = 0; i < cfg->publish.acl_count && err == TLD_OK; i++) {
		const char *k = cfg->publish.acl[i].key;
		if (k != NULL && tld_config_tsig_key(cfg, k) == NULL) {
			char path[64];
			snprintf(path, sizeof(path), "publish.acl[%zu].key", i);
			err = tld_yreport(ctx, elem_node(root, "publish.acl", i, "key"), path,
			                  "TSIG key '%s' is not defined in publish.tsig", k);
		}
	}
	for (size_t i = 0; i < cfg->publish.secondaries_count && err == TLD_OK; i++) {
		const char *k = cfg->publish.secondaries[i].key;
		if (k != NULL && tld_config_tsig_key(cfg, k) == NULL) {
			char path[64];
			snprintf(path, sizeof(path), "publish.secondaries[%zu].key", i);
			err = tld_yreport(ctx, elem_node(root, "publish.secondaries", i, "key"), path,
			                  "TSIG key '%s' is not defined in publish.tsig", k);
		}
	}
	return err;
}

static void sockaddr_clear(struct tld_sockaddr *sa)
{
	free(sa->text);
	sa->text = NULL;
}

/* -- public API -- */

int tld_config_parse(const char *name, const char *dir, const char *data, size_t len,
                     struct tld_diag *diag, struct tld_config **out)
{
	struct tld_ynode *root = NULL;
	struct tld_config *cfg = NULL;
	size_t before = tld_diag_total(diag);
	int err = tld_ydoc_parse(name, data, len, diag, &root);
	if (err != TLD_OK) {
		goto fail;
	}
	if (root->type != TLD_YNODE_MAP) {
		err = tld_diag_add(diag, name, root->line, root->col,
		                   "expected a mapping of settings at the top level, got %s",
		                   tld_ynode_type_name(root));
		err = err != TLD_OK ? err : TLD_ECONFIG;
		goto fail;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		err = TLD_ENOMEM;
		goto fail;
	}
	cfg->path = strdup(name);
	cfg->dir = strdup(dir != NULL ? dir : "");
	if (cfg->path == NULL || cfg->dir == NULL) {
		err = TLD_ENOMEM;
		goto fail;
	}
	struct tld_yctx ctx = { .file = name, .dir = dir, .diag = diag };
	err = tld_yschema_apply(&ctx, config_keys, root, "", root, cfg);
	if (err == TLD_OK) {
		err = cross_checks(&ctx, root, cfg);
	}
	if (err == TLD_OK && (ctx.problems > 0 || tld_diag_total(diag) != before)) {
		err = TLD_ECONFIG;
	}
fail:
	tld_ynode_free(root);
	if (err != TLD_OK) {
		tld_config_free(cfg);
		return err;
	}
	*out = cfg;
	return TLD_OK;
}

int tld_config_load_diag(const char *path, struct tld_diag *diag, struct tld_config **out)
{
	char *data = NULL, *copy = NULL;
	size_t len = 0;
	int err = tld_read_file(path, &data, &len);
	if (err != TLD_OK) {
		tld_diag_add(diag, path, 0, 0, "cannot read: %s", tld_strerror(err));
		return err;
	}
	copy = strdup(path);
	if (copy == NULL) {
		free(data);
		return TLD_ENOMEM;
	}
	/*
	 * Paths in the file are relative to its directory, made absolute here:
	 * the state store records version paths, and a `serve` or `status`
	 * started from another working directory must find the same files.
	 */
	const char *dir = dirname(copy);
	char *abs_dir = realpath(dir, NULL);
	err = tld_config_parse(path, abs_dir != NULL ? abs_dir : dir, data, len, diag, out);
	free(abs_dir);
	free(copy);
	free(data);
	return err;
}

int tld_config_load(const char *path, struct tld_config **out)
{
	struct tld_diag diag = { 0 };
	int err = tld_config_load_diag(path, &diag, out);
	tld_diag_log(&diag);
	tld_diag_clear(&diag);
	return err;
}

void tld_config_free(struct tld_config *cfg)
{
	if (cfg == NULL) {
		return;
	}
	free(cfg->path);
	free(cfg->dir);
	free(cfg->zone);
	free(cfg->export_dir);
	free(cfg->state_dir);
	free(cfg->policy_path);
	free(cfg->hsm.module);
	free(cfg->hsm.token);
	free(cfg->hsm.pin_file);
	free(cfg->hsm.pin_env);
	free(cfg->hsm.softhsm_conf);
	free(cfg->apex.soa.mname);
	free(cfg->apex.soa.rname);
	for (size_t i = 0; i < cfg->apex.ns_count; i++) {
		free(cfg->apex.ns[i]);
	}
	free(cfg->apex.ns);
	free(cfg->apex.records);
	free(cfg->zonegen.ds_algorithms);
	free(cfg->zonegen.ds_digest_types);
	free(cfg->output.dir);
	free(cfg->output.after_publish);
	for (size_t i = 0; i < cfg->publish.listen_count; i++) {
		sockaddr_clear(&cfg->publish.listen[i]);
	}
	free(cfg->publish.listen);
	for (size_t i = 0; i < cfg->publish.tsig_count; i++) {
		free(cfg->publish.tsig[i].name);
		if (cfg->publish.tsig[i].secret != NULL) {
			explicit_bzero(cfg->publish.tsig[i].secret, cfg->publish.tsig[i].secret_len);
		}
		free(cfg->publish.tsig[i].secret);
	}
	free(cfg->publish.tsig);
	for (size_t i = 0; i < cfg->publish.acl_count; i++) {
		free(cfg->publish.acl[i].key);
		free(cfg->publish.acl[i].from);
	}
	free(cfg->publish.acl);
	for (size_t i = 0; i < cfg->publish.secondaries_count; i++) {
		sockaddr_clear(&cfg->publish.secondaries[i].address);
		free(cfg->publish.secondaries[i].key);
	}
	free(cfg->publish.secondaries);
	free(cfg);
}

const struct tld_tsig_key *tld_config_tsig_key(const struct tld_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL) {
		return NULL;
	}
	size_t n = strlen(name);
	for (size_t i = 0; i < cfg->publish.tsig_count; i++) {
		const char *k = cfg->publish.tsig[i].name;
		if (k == NULL) {
			continue;
		}
		size_t kn = strlen(k);
		/* names are stored with a trailing dot; accept the query with or without */
		if (strcasecmp(k, name) == 0 ||
		    (n + 1 == kn && k[kn - 1] == '.' && strncasecmp(k, name, n) == 0)) {
			return &cfg->publish.tsig[i];
		}
	}
	return NULL;
}
