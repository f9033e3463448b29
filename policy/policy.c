/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * policy.yaml: the schema table, the loader and the cross-field checks.
 * Key names, ranges and defaults here are the reference; README
 * "Configuration" and etc/policy.yaml document the same table.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/yaml_schema.h"
#include "policy/policy.h"

/* -- internal API -- */

#define P(f) offsetof(struct tld_policy, f)
#define TTL_MAX 2147483647
#define DUR_MAX (100LL * 365 * 86400)
#define YEAR (365LL * 86400)

static const struct {
	int number;
	const char *name;
} algorithms[] = {
	{ TLD_ALG_RSASHA256, "rsasha256" },
	{ TLD_ALG_RSASHA512, "rsasha512" },
	{ TLD_ALG_ECDSAP256SHA256, "ecdsap256sha256" },
	{ TLD_ALG_ECDSAP384SHA384, "ecdsap384sha384" },
	{ TLD_ALG_ED25519, "ed25519" },
	{ TLD_ALG_ED448, "ed448" },
};

static int conv_algorithm(struct tld_yctx *ctx, const struct tld_yitem *item,
                          const struct tld_ynode *node, const char *path, void *field)
{
	(void)item;
	int alg = node->type == TLD_YNODE_SCALAR ? tld_algorithm_from_name(node->value) : 0;
	if (alg == 0) {
		return tld_yreport(ctx, node, path,
		                   "bad algorithm '%s' (allowed: rsasha256, rsasha512, ecdsap256sha256, "
		                   "ecdsap384sha384, ed25519, ed448)",
		                   node->type == TLD_YNODE_SCALAR ? node->value : tld_ynode_type_name(node));
	}
	*(enum tld_algorithm *)field = (enum tld_algorithm)alg;
	return TLD_OK;
}

static int conv_salt(struct tld_yctx *ctx, const struct tld_yitem *item,
                     const struct tld_ynode *node, const char *path, void *field)
{
	(void)item;
	uint8_t *salt = field;
	uint8_t *salt_len = salt + (P(denial.salt_len) - P(denial.salt));
	size_t n = 0;
	if (node->type != TLD_YNODE_SCALAR) {
		return tld_yreport(ctx, node, path, "expected a hex string, got %s", tld_ynode_type_name(node));
	}
	if (tld_ynode_is_null(node) || strcmp(node->value, "-") == 0) {
		*salt_len = 0;
		return TLD_OK;
	}
	int err = tld_hex_decode(node->value, salt, 255, &n);
	if (err == TLD_ERANGE) {
		return tld_yreport(ctx, node, path, "salt longer than 255 bytes");
	}
	if (err != TLD_OK || strlen(node->value) != node->len) {
		return tld_yreport(ctx, node, path, "bad hex salt '%s' (even number of 0-9, a-f; \"\" for none)",
		                   node->value);
	}
	*salt_len = (uint8_t)n;
	return TLD_OK;
}

/* A parent server: "addr" or "addr@port", kept as written. */
static int conv_nameserver(struct tld_yctx *ctx, const struct tld_yitem *item,
                           const struct tld_ynode *node, const char *path, void *field)
{
	(void)item;
	struct tld_sockaddr sa;
	if (node->type != TLD_YNODE_SCALAR || strlen(node->value) != node->len ||
	    tld_sockaddr_parse(node->value, &sa) != TLD_OK) {
		return tld_yreport(ctx, node, path,
		                   "bad address '%s' (use 192.0.2.1, 192.0.2.1@5300, ::1@5300)",
		                   node->type == TLD_YNODE_SCALAR ? node->value : tld_ynode_type_name(node));
	}
	char *s = strdup(node->value);
	if (s == NULL) {
		return TLD_ENOMEM;
	}
	*(char **)field = s;
	return TLD_OK;
}

static const struct tld_yenum ksk_roll_names[] = {
	{ "double-ds", TLD_KSK_DOUBLE_DS }, { "double-ksk", TLD_KSK_DOUBLE_KSK }, { NULL, 0 },
};
static const struct tld_yenum zsk_roll_names[] = { { "pre-publish", TLD_ZSK_PRE_PUBLISH }, { NULL, 0 } };
static const struct tld_yenum denial_names[] = {
	{ "nsec", TLD_DENIAL_NSEC }, { "nsec3", TLD_DENIAL_NSEC3 }, { NULL, 0 },
};
static const struct tld_yenum serial_names[] = {
	{ "unixtime", TLD_SERIAL_UNIXTIME }, { "datecounter", TLD_SERIAL_DATECOUNTER },
	{ "counter", TLD_SERIAL_COUNTER }, { NULL, 0 },
};
static const struct tld_yenum cds_names[] = {
	{ "none", TLD_CDS_NONE }, { "rollover", TLD_CDS_ROLLOVER }, { "always", TLD_CDS_ALWAYS },
	{ "delete", TLD_CDS_DELETE }, { NULL, 0 },
};
static const struct tld_yenum digest_names[] = { { "sha256", 2 }, { "sha384", 4 }, { NULL, 0 } };

#define LIFETIME(name, f, d) \
	static const struct tld_yitem name[] = { \
		{ .key = "lifetime", .type = TLD_Y_DURATION, .min = 0, .max = DUR_MAX, .def = d, \
		  .offset = P(f) }, \
		{ .key = NULL }, \
	}
LIFETIME(ksk_keys, ksk_lifetime, "1y");
LIFETIME(zsk_keys, zsk_lifetime, "90d");
LIFETIME(csk_keys, csk_lifetime, "1y");

static const struct tld_yitem keys_keys[] = {
	{ .key = "ksk", .type = TLD_Y_MAP, .children = ksk_keys },
	{ .key = "zsk", .type = TLD_Y_MAP, .children = zsk_keys },
	{ .key = "csk", .type = TLD_Y_MAP, .children = csk_keys },
	{ .key = "rsa-bits", .type = TLD_Y_INT, .min = 2048, .max = 4096, .def = "2048",
	  .offset = P(rsa_bits), .size = sizeof(unsigned) },
	{ .key = NULL },
};

static const struct tld_yitem rollover_keys[] = {
	{ .key = "ksk", .type = TLD_Y_ENUM, .def = "double-ds", .enums = ksk_roll_names,
	  .offset = P(ksk_rollover), .size = sizeof(enum tld_ksk_rollover) },
	{ .key = "zsk", .type = TLD_Y_ENUM, .def = "pre-publish", .enums = zsk_roll_names,
	  .offset = P(zsk_rollover), .size = sizeof(enum tld_zsk_rollover) },
	{ .key = NULL },
};

static const struct tld_yitem denial_keys[] = {
	{ .key = "type", .type = TLD_Y_ENUM, .def = "nsec3", .enums = denial_names,
	  .offset = P(denial.type), .size = sizeof(enum tld_denial_type) },
	{ .key = "opt-out", .type = TLD_Y_BOOL, .def = "true", .offset = P(denial.opt_out) },
	{ .key = "iterations", .type = TLD_Y_INT, .min = 0, .max = 100, .def = "0",
	  .offset = P(denial.iterations), .size = 2 },
	{ .key = "salt", .type = TLD_Y_CUSTOM, .conv = conv_salt, .offset = P(denial.salt) },
	{ .key = NULL },
};

#define DUR(k, f, lo, d) { .key = k, .type = TLD_Y_DURATION, .min = lo, .max = DUR_MAX, .def = d, \
                           .offset = P(f) }
static const struct tld_yitem sig_keys[] = {
	DUR("validity", signatures.validity, 3600, "14d"),
	DUR("dnskey-validity", signatures.dnskey_validity, 3600, "21d"),
	DUR("refresh", signatures.refresh, 0, "7d"),
	DUR("jitter", signatures.jitter, 0, "12h"),
	DUR("inception-offset", signatures.inception_offset, 0, "1h"),
	{ .key = NULL },
};

static const struct tld_yitem ttl_keys[] = {
	{ .key = "dnskey", .type = TLD_Y_INT, .max = TTL_MAX, .def = "3600", .offset = P(ttl.dnskey), .size = 4 },
	{ .key = "max-zone", .type = TLD_Y_INT, .max = TTL_MAX, .def = "172800", .offset = P(ttl.max_zone),
	  .size = 4 },
	{ .key = NULL },
};

static const struct tld_yitem ns_elem = { .key = "", .type = TLD_Y_CUSTOM, .conv = conv_nameserver };

static const struct tld_yitem parent_keys[] = {
	{ .key = "ds-ttl", .type = TLD_Y_INT, .max = TTL_MAX, .def = "86400", .offset = P(parent.ds_ttl), .size = 4 },
	DUR("propagation-delay", parent.propagation_delay, 0, "1h"),
	{ .key = "ds-digest", .type = TLD_Y_ENUM, .def = "sha256", .enums = digest_names,
	  .offset = P(parent.ds_digest), .size = 1 },
	{ .key = "cds", .type = TLD_Y_ENUM, .def = "rollover", .enums = cds_names, .offset = P(parent.cds),
	  .size = sizeof(enum tld_cds_mode) },
	{ .key = "nameservers", .type = TLD_Y_SEQ, .max = 64, .offset = P(parent.nameservers),
	  .count_offset = P(parent.nameservers_count), .size = sizeof(char *), .children = &ns_elem },
	DUR("ds-wait-warning", parent.ds_wait_warning, 0, "7d"),
	{ .key = NULL },
};

static const struct tld_yitem timing_keys[] = {
	DUR("propagation-delay", timing.propagation_delay, 0, "1h"),
	DUR("publish-safety", timing.publish_safety, 0, "1h"),
	DUR("retire-safety", timing.retire_safety, 0, "1h"),
	{ .key = NULL },
};

static const struct tld_yitem policy_keys[] = {
	{ .key = "algorithm", .type = TLD_Y_CUSTOM, .conv = conv_algorithm, .def = "ecdsap256sha256",
	  .offset = P(algorithm) },
	{ .key = "keys", .type = TLD_Y_MAP, .children = keys_keys },
	{ .key = "rollover", .type = TLD_Y_MAP, .children = rollover_keys },
	{ .key = "denial", .type = TLD_Y_MAP, .children = denial_keys },
	{ .key = "signatures", .type = TLD_Y_MAP, .children = sig_keys },
	{ .key = "serial", .type = TLD_Y_ENUM, .def = "unixtime", .enums = serial_names, .offset = P(serial),
	  .size = sizeof(enum tld_serial_scheme) },
	{ .key = "ttl", .type = TLD_Y_MAP, .children = ttl_keys },
	{ .key = "parent", .type = TLD_Y_MAP, .children = parent_keys },
	{ .key = "timing", .type = TLD_Y_MAP, .children = timing_keys },
	{ .key = NULL },
};

/* The node at a dotted path, else its nearest present ancestor, else the root. */
static const struct tld_ynode *near(const struct tld_ynode *root, const char *dotted)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", dotted);
	for (;;) {
		const struct tld_ynode *n = tld_ynode_path(root, buf);
		if (n != NULL) {
			return n;
		}
		char *dot = strrchr(buf, '.');
		if (dot == NULL) {
			return root;
		}
		*dot = '\0';
	}
}

/* Key combination and RSA size: checked even when other values were bad. */
static int key_checks(struct tld_yctx *ctx, const struct tld_ynode *root, struct tld_policy *pol)
{
	int err = TLD_OK;
	const struct tld_ynode *keys = tld_ynode_get(root, "keys");
	bool ksk = tld_ynode_get(keys, "ksk") != NULL, zsk = tld_ynode_get(keys, "zsk") != NULL;
	bool csk = tld_ynode_get(keys, "csk") != NULL;

	if (csk && (ksk || zsk)) {
		err = tld_yreport(ctx, near(root, "keys.csk"), "keys.csk", "use either ksk + zsk, or csk alone");
	} else if (ksk != zsk) {
		err = tld_yreport(ctx, near(root, ksk ? "keys.ksk" : "keys.zsk"), "keys",
		                  "%s without %s (use either ksk + zsk, or csk alone)", ksk ? "ksk" : "zsk",
		                  ksk ? "zsk" : "ksk");
	}
	pol->use_csk = csk && !ksk && !zsk;
	if (err == TLD_OK && tld_ynode_get(keys, "rsa-bits") != NULL && pol->algorithm != 0 &&
	    !tld_algorithm_is_rsa((int)pol->algorithm)) {
		err = tld_yreport(ctx, near(root, "keys.rsa-bits"), "keys.rsa-bits",
		                  "applies only to RSA algorithms (rsasha256, rsasha512), not %s",
		                  tld_algorithm_name((int)pol->algorithm));
	}
	return err;
}

/* Timing and denial: checked only when every value passed on its own. */
static int cross_checks(struct tld_yctx *ctx, const struct tld_ynode *root, struct tld_policy *pol)
{
	int err = TLD_OK;
	char a[32], b[32];
	const int64_t validity = pol->signatures.validity, refresh = pol->signatures.refresh;
	if (err == TLD_OK && refresh >= validity) {
		err = tld_yreport(ctx, near(root, "signatures.refresh"), "signatures.refresh",
		                  "refresh (%s) must be shorter than validity (%s)",
		                  tld_duration_format(refresh, a, sizeof(a)), tld_duration_format(validity, b, sizeof(b)));
	}
	if (err == TLD_OK && refresh >= pol->signatures.dnskey_validity) {
		err = tld_yreport(ctx, near(root, "signatures.refresh"), "signatures.refresh",
		                  "refresh (%s) must be shorter than dnskey-validity (%s)",
		                  tld_duration_format(refresh, a, sizeof(a)),
		                  tld_duration_format(pol->signatures.dnskey_validity, b, sizeof(b)));
	}
	if (err == TLD_OK && refresh < validity && pol->signatures.jitter >= validity - refresh) {
		err = tld_yreport(ctx, near(root, "signatures.jitter"), "signatures.jitter",
		                  "jitter (%s) must be shorter than validity - refresh (%s)",
		                  tld_duration_format(pol->signatures.jitter, a, sizeof(a)),
		                  tld_duration_format(validity - refresh, b, sizeof(b)));
	}
	const struct tld_ynode *optout = tld_ynode_path(root, "denial.opt-out");
	if (err == TLD_OK && pol->denial.type == TLD_DENIAL_NSEC && optout != NULL && pol->denial.opt_out) {
		err = tld_yreport(ctx, optout, "denial.opt-out", "opt-out applies only to nsec3");
	}
	if (pol->denial.type == TLD_DENIAL_NSEC) {
		pol->denial.opt_out = false;
	}
	return err;
}

/* -- public API -- */

int tld_policy_parse(const char *name, const char *data, size_t len, struct tld_diag *diag,
                     struct tld_policy **out)
{
	struct tld_ynode *root = NULL;
	struct tld_policy *pol = NULL;
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
	pol = calloc(1, sizeof(*pol));
	if (pol == NULL || (pol->path = strdup(name)) == NULL) {
		err = TLD_ENOMEM;
		goto fail;
	}
	struct tld_yctx ctx = { .file = name, .dir = NULL, .diag = diag };
	err = tld_yschema_apply(&ctx, policy_keys, root, "", root, pol);
	unsigned value_problems = ctx.problems;
	if (err == TLD_OK) {
		err = key_checks(&ctx, root, pol);
	}
	if (err == TLD_OK && value_problems == 0) {
		/* cross-field checks only on values that individually passed */
		err = cross_checks(&ctx, root, pol);
	}
	if (err == TLD_OK && (ctx.problems > 0 || tld_diag_total(diag) != before)) {
		err = TLD_ECONFIG;
	}
fail:
	tld_ynode_free(root);
	if (err != TLD_OK) {
		tld_policy_free(pol);
		return err;
	}
	*out = pol;
	return TLD_OK;
}

int tld_policy_load_diag(const char *path, struct tld_diag *diag, struct tld_policy **out)
{
	char *data = NULL;
	size_t len = 0;
	int err = tld_read_file(path, &data, &len);
	if (err != TLD_OK) {
		tld_diag_add(diag, path, 0, 0, "cannot read: %s", tld_strerror(err));
		return err;
	}
	err = tld_policy_parse(path, data, len, diag, out);
	free(data);
	return err;
}

int tld_policy_load(const char *path, struct tld_policy **out)
{
	struct tld_diag diag = { 0 };
	int err = tld_policy_load_diag(path, &diag, out);
	tld_diag_log(&diag);
	tld_diag_clear(&diag);
	return err;
}

void tld_policy_free(struct tld_policy *pol)
{
	if (pol == NULL) {
		return;
	}
	for (size_t i = 0; i < pol->parent.nameservers_count; i++) {
		free(pol->parent.nameservers[i]);
	}
	free(pol->parent.nameservers);
	free(pol->path);
	free(pol);
}

const char *tld_algorithm_name(int algorithm)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
		if (algorithms[i].number == algorithm) {
			return algorithms[i].name;
		}
	}
	return NULL;
}

int tld_algorithm_from_name(const char *name)
{
	if (name == NULL) {
		return 0;
	}
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
		if (strcasecmp(algorithms[i].name, name) == 0) {
			return algorithms[i].number;
		}
	}
	if (*name != '\0' && strlen(name) <= 3 && strspn(name, "0123456789") == strlen(name)) {
		int n = atoi(name);
		if (tld_algorithm_name(n) != NULL) {
			return n;
		}
	}
	return 0;
}

bool tld_algorithm_is_rsa(int algorithm)
{
	return algorithm == TLD_ALG_RSASHA256 || algorithm == TLD_ALG_RSASHA512;
}

const char *tld_role_name(enum tld_key_role role)
{
	switch (role) {
	case TLD_ROLE_KSK: return "ksk";
	case TLD_ROLE_ZSK: return "zsk";
	case TLD_ROLE_CSK: return "csk";
	default:           return NULL;
	}
}

int tld_role_from_name(const char *name)
{
	if (name == NULL) {
		return 0;
	}
	if (strcasecmp(name, "ksk") == 0) {
		return TLD_ROLE_KSK;
	}
	if (strcasecmp(name, "zsk") == 0) {
		return TLD_ROLE_ZSK;
	}
	if (strcasecmp(name, "csk") == 0) {
		return TLD_ROLE_CSK;
	}
	return 0;
}
