/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * key generate | import | list | ds | dnskey | delete, and hsm speed.
 * The PIN never comes from the command line: hsm.pin-file or hsm.pin-env.
 */
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "hsm/algorithm.h"
#include "hsm/hsm.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "hsm/signpool.h"
#include "policy/keystate.h"
#include "policy/keystore.h"
#include "policy/policy.h"

/* The instance: config, state store and (when it loads) the policy. */
struct key_ctx {
	struct tld_config *cfg;
	struct tld_policy *pol;
	tld_statedb_t *db;
};

static void key_ctx_clear(struct key_ctx *k)
{
	tld_statedb_close(k->db);
	tld_policy_free(k->pol);
	tld_config_free(k->cfg);
	memset(k, 0, sizeof(*k));
}

static int key_ctx_open(const struct tld_cli *cli, bool need_policy, struct key_ctx *k)
{
	memset(k, 0, sizeof(*k));
	int ret = tld_config_load(cli->config_path, &k->cfg);
	if (ret != TLD_OK) {
		return ret;
	}
	if (k->cfg->policy_path != NULL) {
		ret = tld_policy_load(k->cfg->policy_path, &k->pol);
		if (ret != TLD_OK && need_policy) {
			goto fail;
		}
	}
	ret = tld_statedb_open(k->cfg->state_dir, &k->db);
	if (ret == TLD_OK) {
		ret = tld_keydb_init(k->db);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	return TLD_OK;
fail:
	key_ctx_clear(k);
	return ret;
}

static int usage(const char *synopsis)
{
	tld_error("usage: tldsign %s", synopsis);
	return TLD_EUSAGE;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] == '\0' || s[0] == '-' || *end != '\0' || v > max) {
		return TLD_EUSAGE;
	}
	*out = v;
	return TLD_OK;
}

static const char *alg_name(int alg)
{
	const struct tld_alg_info *a = tld_alg_info(alg);
	return a ? a->name : "?";
}

int cmd_key_generate(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "role", required_argument, NULL, 'r' },
		                              { "algorithm", required_argument, NULL, 'a' },
		                              { "bits", required_argument, NULL, 'b' },
		                              { NULL, 0, NULL, 0 } };
	const char *syn = "key generate --role ksk|zsk|csk [--algorithm A] [--bits N]";
	enum tld_key_role role = 0;
	const struct tld_alg_info *alg = NULL;
	unsigned long bits = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:a:b:", opts, NULL)) != -1) {
		if (c == 'r' && tld_key_role_parse(optarg, &role) == TLD_OK) {
			continue;
		}
		if (c == 'a' && (alg = tld_alg_info_parse(optarg)) != NULL) {
			continue;
		}
		if (c == 'b' && parse_uint(optarg, 16384, &bits) == TLD_OK) {
			continue;
		}
		return usage(syn);
	}
	if (role == 0 || optind != argc) {
		return usage(syn);
	}
	struct key_ctx k;
	int ret = key_ctx_open(cli, alg == NULL, &k);
	if (ret != TLD_OK) {
		return ret;
	}
	int algorithm = alg ? alg->number : (int)k.pol->algorithm;
	if (bits == 0) {
		bits = (k.pol && k.pol->rsa_bits) ? k.pol->rsa_bits : 2048;
	}
	struct tld_key_record rec;
	ret = tld_key_generate(k.cfg, k.db, role, algorithm, (unsigned)bits, &rec);
	if (ret == TLD_OK) {
		printf("%u %s %s %s\n", rec.key_tag, tld_key_role_name(rec.role), alg_name(rec.algorithm),
		       rec.label);
	}
	key_ctx_clear(&k);
	return ret;
}

int cmd_key_import(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "label", required_argument, NULL, 'l' },
		                              { "role", required_argument, NULL, 'r' },
		                              { "algorithm", required_argument, NULL, 'a' },
		                              { NULL, 0, NULL, 0 } };
	const char *syn = "key import --label L --role ksk|zsk|csk [--algorithm 10]";
	const char *label = NULL;
	enum tld_key_role role = 0;
	const struct tld_alg_info *alg = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:r:a:", opts, NULL)) != -1) {
		if (c == 'l') {
			label = optarg;
		} else if (c == 'r' && tld_key_role_parse(optarg, &role) == TLD_OK) {
		} else if (c == 'a' && (alg = tld_alg_info_parse(optarg)) != NULL) {
		} else {
			return usage(syn);
		}
	}
	if (label == NULL || role == 0 || optind != argc) {
		return usage(syn);
	}
	struct key_ctx k;
	int ret = key_ctx_open(cli, false, &k);
	if (ret != TLD_OK) {
		return ret;
	}
	struct tld_key_record rec;
	ret = tld_key_import(k.cfg, k.db, label, role, alg ? alg->number : 0, &rec);
	if (ret == TLD_OK) {
		printf("%u %s %s %s\n", rec.key_tag, tld_key_role_name(rec.role), alg_name(rec.algorithm),
		       rec.label);
	}
	key_ctx_clear(&k);
	return ret;
}

/*
 * The key state machine's view of a key (policy/keystate.h), in one word:
 *   generated  goal "be in the zone", every record still hidden
 *   published  being introduced (some record rumoured)
 *   standby    DNSKEY omnipresent, not signing (a pre-published key)
 *   active     every record of its role omnipresent
 *   retiring   goal "leave", some record not yet hidden
 *   removed    goal "leave", every record hidden (may be deleted)
 * and when its next record can move on: the earliest rumoured/unretentive
 * record's change time plus the policy's wait for it (as `rollover status`
 * reports it), or "ds seen"/"ds gone" when it waits on the parent.
 */
static const char *state_word(const struct tld_keystate *ks)
{
	bool all_hidden = true, all_omni = true;
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		if (ks->st[r] == TLD_KS_NA) {
			continue;
		}
		all_hidden &= ks->st[r] == TLD_KS_HIDDEN;
		all_omni &= ks->st[r] == TLD_KS_OMNIPRESENT;
	}
	if (!ks->goal) {
		return all_hidden ? "removed" : "retiring";
	}
	if (all_omni) {
		return "active";
	}
	if (all_hidden) {
		return "generated";
	}
	enum tld_kstate sig = ks->st[ks->role == TLD_ROLE_KSK ? TLD_KR_KRRSIG : TLD_KR_ZRRSIG];
	if (ks->st[TLD_KR_DNSKEY] == TLD_KS_OMNIPRESENT && sig == TLD_KS_HIDDEN) {
		return "standby";
	}
	return "published";
}

static void next_transition(const struct tld_policy *pol, const struct tld_keystate *ks, char *buf,
                            size_t size)
{
	tld_time_t next = 0;
	snprintf(buf, size, "-");
	if (ks->st[TLD_KR_DS] == TLD_KS_HIDDEN && ks->ds_requested && ks->goal) {
		snprintf(buf, size, "ds seen");
		return;
	}
	if (ks->st[TLD_KR_DS] != TLD_KS_HIDDEN && ks->st[TLD_KR_DS] != TLD_KS_NA && ks->ds_withdraw) {
		snprintf(buf, size, "ds gone");
		return;
	}
	if (pol == NULL) {
		return;
	}
	for (int r = 0; r < TLD_KR_COUNT; r++) {
		bool retire = ks->st[r] == TLD_KS_UNRETENTIVE;
		if (ks->st[r] != TLD_KS_RUMOURED && !retire) {
			continue;
		}
		tld_time_t due = ks->changed[r] + tld_keystate_wait(pol, (enum tld_krec)r, retire);
		if (next == 0 || due < next) {
			next = due;
		}
	}
	if (next != 0) {
		tld_time_format(next, buf, size);
	}
}

int cmd_key_list(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'A' }, { NULL, 0, NULL, 0 } };
	bool all = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "A", opts, NULL)) != -1) {
		if (c != 'A') {
			return usage("key list [--all]");
		}
		all = true;
	}
	if (optind != argc) {
		return usage("key list [--all]");
	}
	struct key_ctx k;
	struct tld_key_record *recs = NULL;
	size_t n = 0;
	int ret = key_ctx_open(cli, false, &k);
	if (ret != TLD_OK) {
		return ret;
	}
	struct tld_keystate *states = NULL;
	size_t nstates = 0;
	ret = tld_keydb_list(k.db, k.cfg->zone, all, &recs, &n);
	if (ret == TLD_OK) {
		ret = tld_keystore_load(k.db, k.cfg->zone, &states, &nstates);
	}
	if (ret == TLD_OK) {
		printf("%-6s %-4s %-16s %-9s %-20s %-20s %s\n", "TAG", "ROLE", "ALGORITHM", "STATE",
		       "NEXT", "CREATED", "LABEL");
		for (size_t i = 0; i < n; i++) {
			char when[40], next[40] = "-";
			const char *state = recs[i].deleted ? "deleted" : "present";
			for (size_t j = 0; !recs[i].deleted && j < nstates; j++) {
				if (states[j].key_id == recs[i].id) {
					state = state_word(&states[j]);
					next_transition(k.pol, &states[j], next, sizeof(next));
				}
			}
			tld_time_format((tld_time_t)recs[i].created, when, sizeof(when));
			printf("%-6u %-4s %-16s %-9s %-20s %-20s %s\n", recs[i].key_tag,
			       tld_key_role_name(recs[i].role), alg_name(recs[i].algorithm), state, next, when,
			       recs[i].label);
		}
	}
	free(states);
	tld_key_records_free(recs, n);
	key_ctx_clear(&k);
	return ret;
}

static void print_b64(const uint8_t *p, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out != NULL) {
		EVP_EncodeBlock((unsigned char *)out, p, (int)len);
		fputs(out, stdout);
	}
	free(out);
}

int cmd_key_dnskey(const struct tld_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		return usage("key dnskey");
	}
	struct key_ctx k;
	struct tld_key_record *recs = NULL;
	size_t n = 0;
	int ret = key_ctx_open(cli, false, &k);
	if (ret != TLD_OK) {
		return ret;
	}
	uint32_t ttl = k.pol ? k.pol->ttl.dnskey : 3600;
	ret = tld_keydb_list(k.db, k.cfg->zone, false, &recs, &n);
	for (size_t i = 0; ret == TLD_OK && i < n; i++) {
		const struct tld_key_record *r = &recs[i];
		printf("%s %u IN DNSKEY %u 3 %u ", r->zone, ttl, r->flags, r->algorithm);
		print_b64(r->dnskey + 4, r->dnskey_len - 4);
		printf(" ; %s key %u\n", tld_key_role_name(r->role), r->key_tag);
	}
	tld_key_records_free(recs, n);
	key_ctx_clear(&k);
	return ret;
}

int cmd_key_ds(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "digest", required_argument, NULL, 'd' },
		                              { NULL, 0, NULL, 0 } };
	const char *syn = "key ds [--digest 2|4] [KEYTAG]";
	unsigned long digest = 0, tag = 0;
	bool have_tag = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c != 'd' || parse_uint(optarg, 4, &digest) != TLD_OK || (digest != 2 && digest != 4)) {
			return usage(syn);
		}
	}
	if (optind + 1 == argc) {
		if (parse_uint(argv[optind], 65535, &tag) != TLD_OK) {
			return usage(syn);
		}
		have_tag = true;
	} else if (optind != argc) {
		return usage(syn);
	}
	struct key_ctx k;
	struct tld_key_record *recs = NULL;
	size_t n = 0, shown = 0;
	int ret = key_ctx_open(cli, false, &k);
	if (ret != TLD_OK) {
		return ret;
	}
	if (digest == 0) {
		digest = (k.pol && k.pol->parent.ds_digest) ? k.pol->parent.ds_digest : 2;
	}
	uint32_t ttl = k.pol ? k.pol->parent.ds_ttl : 86400;
	ret = tld_keydb_list(k.db, k.cfg->zone, false, &recs, &n);
	for (size_t i = 0; ret == TLD_OK && i < n; i++) {
		const struct tld_key_record *r = &recs[i];
		if (have_tag ? r->key_tag != tag : r->flags != 257) {
			continue;
		}
		uint8_t ds[64];
		size_t dlen = 0;
		ret = tld_ds_from_dnskey(r->zone, r->dnskey, r->dnskey_len, (uint8_t)digest, ds,
		                         sizeof(ds), &dlen);
		if (ret != TLD_OK) {
			break;
		}
		printf("%s %u IN DS %u %u %u ", r->zone, ttl, r->key_tag, r->algorithm, ds[3]);
		for (size_t j = 4; j < dlen; j++) {
			printf("%02X", ds[j]);
		}
		printf("\n");
		shown++;
	}
	if (ret == TLD_OK && have_tag && shown == 0) {
		tld_error("key ds: zone %s has no key with tag %lu", k.cfg->zone, tag);
		ret = TLD_ENOENT;
	}
	tld_key_records_free(recs, n);
	key_ctx_clear(&k);
	return ret;
}

/*
 * In use = the rollover state table (policy/, key_state) has the key in any
 * DNSKEY, RRSIG or DS state other than hidden (0).  A key the state machine
 * has never seen counts as in use unless the operator states that it is
 * retired (--retired).
 */
struct delete_check {
	tld_statedb_t *db;
	bool retired;
};

static bool key_in_use(void *ctx, const struct tld_key_record *rec)
{
	const struct delete_check *dc = ctx;
	sqlite3_stmt *st = NULL;
	bool in_use = !dc->retired;
	if (sqlite3_prepare_v2(tld_statedb_handle(dc->db),
	                       "SELECT dnskey, krrsig, zrrsig, ds FROM key_state WHERE key_id = ?1", -1,
	                       &st, NULL) != SQLITE_OK) {
		return in_use; /* no state table yet */
	}
	sqlite3_bind_int64(st, 1, rec->id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		in_use = sqlite3_column_int(st, 0) != 0 || sqlite3_column_int(st, 1) != 0 ||
		         sqlite3_column_int(st, 2) != 0 || sqlite3_column_int(st, 3) != 0;
		if (in_use) {
			tld_error("key delete: key %u is not hidden in the rollover state table", rec->key_tag);
		}
	} else if (rc != SQLITE_DONE) {
		in_use = true;
	}
	sqlite3_finalize(st);
	return in_use;
}

int cmd_key_delete(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "retired", no_argument, NULL, 'R' },
		                              { NULL, 0, NULL, 0 } };
	const char *syn = "key delete KEYTAG --retired";
	bool retired = false;
	unsigned long tag = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "R", opts, NULL)) != -1) {
		if (c != 'R') {
			return usage(syn);
		}
		retired = true;
	}
	if (optind + 1 != argc || parse_uint(argv[optind], 65535, &tag) != TLD_OK) {
		return usage(syn);
	}
	struct key_ctx k;
	int ret = key_ctx_open(cli, false, &k);
	if (ret != TLD_OK) {
		return ret;
	}
	struct delete_check dc = { .db = k.db, .retired = retired };
	ret = tld_key_delete(k.cfg, k.db, (uint16_t)tag, key_in_use, &dc);
	key_ctx_clear(&k);
	return ret;
}

static double now_seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * hsm speed: signs batches with a throw-away key (or an existing one named
 * by --label, so that concurrent runs need no key generation) until the time
 * is up.  Prints the rate and, second, the signing window in wall-clock
 * seconds ("window START END COUNT"), so that a benchmark can add up
 * concurrent runs over the time they really overlapped.
 */
int cmd_hsm_speed(const struct tld_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "algorithm", required_argument, NULL, 'a' },
		                              { "sessions", required_argument, NULL, 'n' },
		                              { "seconds", required_argument, NULL, 's' },
		                              { "bits", required_argument, NULL, 'b' },
		                              { "label", required_argument, NULL, 'l' },
		                              { NULL, 0, NULL, 0 } };
	const char *syn = "hsm speed [--algorithm A] [--sessions N] [--seconds S] [--bits N] [--label L]";
	const char *label = NULL;
	const struct tld_alg_info *alg = tld_alg_info(13);
	unsigned long sessions = 1, seconds = 3, bits = 2048;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "a:n:s:b:l:", opts, NULL)) != -1) {
		if (c == 'l') {
			label = optarg;
			continue;
		}
		if ((c == 'a' && (alg = tld_alg_info_parse(optarg)) != NULL) ||
		    (c == 'n' && parse_uint(optarg, 256, &sessions) == TLD_OK && sessions > 0) ||
		    (c == 's' && parse_uint(optarg, 3600, &seconds) == TLD_OK && seconds > 0) ||
		    (c == 'b' && parse_uint(optarg, 4096, &bits) == TLD_OK)) {
			continue;
		}
		return usage(syn);
	}
	if (optind != argc) {
		return usage(syn);
	}
	struct tld_config *cfg = NULL;
	tld_hsm_t *hsm = NULL;
	tld_signpool_t *pool = NULL;
	tld_hsm_obj_t pub = 0, priv = 0;
	bool have_key = false;
	struct tld_sign_req *reqs = NULL;
	uint8_t *msgs = NULL;
	enum { MIN_PER_SESSION = 256, MAX_PER_SESSION = 50000, MSG = 160 };
	size_t max_batch = 0;
	int ret = tld_config_load(cli->config_path, &cfg);
	if (ret != TLD_OK) {
		return ret;
	}
	struct tld_signpool_key key = { .algorithm = alg->number, .key_tag = 0, .role = "speed-test" };
	key.id_len = 20;
	ret = tld_hsm_open(cfg, &hsm);
	if (ret != TLD_OK) {
		goto fail;
	}
	if (!tld_hsm_supports(hsm, alg->number)) {
		tld_error("hsm speed: token \"%s\" does not offer algorithm %u (%s)", cfg->hsm.token,
		          alg->number, alg->name);
		ret = TLD_EINVAL;
		goto fail;
	}
	if (label != NULL) {
		/* An existing key pair: its algorithm comes from the key (RSA: 8, or 10 if asked). */
		int a = 0;
		unsigned kb = 0;
		ret = tld_hsm_find_label(hsm, true, label, &priv);
		if (ret == TLD_OK) {
			ret = tld_hsm_find_label(hsm, false, label, &pub);
		}
		if (ret == TLD_OK) {
			ret = tld_hsm_get_id(hsm, priv, key.id, sizeof(key.id), &key.id_len);
		}
		if (ret == TLD_OK) {
			ret = tld_hsm_key_algorithm(hsm, pub, alg->number, &a, &kb);
		}
		if (ret != TLD_OK) {
			tld_error("hsm speed: key \"%s\": %s", label, tld_hsm_error(hsm)[0] ? tld_hsm_error(hsm)
			                                                             : tld_strerror(ret));
			goto fail;
		}
		alg = tld_alg_info(a);
		key.algorithm = (uint8_t)a;
		bits = kb;
	} else {
		ret = tld_hsm_random(hsm, key.id, key.id_len);
		if (ret == TLD_OK) {
			ret = tld_hsm_generate(hsm, alg->number, (unsigned)bits, key.id, key.id_len,
			                       "tldsign-hsm-speed", &pub, &priv);
		}
		if (ret != TLD_OK) {
			tld_error("hsm speed: %s", tld_hsm_error(hsm));
			goto fail;
		}
		have_key = true;
	}
	/* One PKCS#11 context per process: the pool's workers open their own. */
	tld_hsm_close(hsm);
	hsm = NULL;
	max_batch = MAX_PER_SESSION * sessions;
	reqs = calloc(max_batch, sizeof(*reqs));
	msgs = malloc(max_batch * MSG);
	if (reqs == NULL || msgs == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	RAND_bytes(msgs, (int)(max_batch * MSG));
	for (size_t i = 0; i < max_batch; i++) {
		reqs[i] = (struct tld_sign_req){ .key = 0, .len = MSG, .msg = msgs + i * MSG };
	}
	ret = tld_signpool_open(cfg, &key, 1, (unsigned)sessions, &pool);
	if (ret != TLD_OK) {
		goto fail;
	}
	/* Batches sized to about one second of work, after a small first one. */
	double wall_start = now_seconds(CLOCK_REALTIME);
	double start = now_seconds(CLOCK_MONOTONIC), elapsed = 0;
	size_t done = 0, batch = MIN_PER_SESSION * sessions;
	while (elapsed < (double)seconds) {
		struct tld_sign_result *res = NULL;
		ret = tld_signpool_sign(pool, reqs, batch, &res);
		if (ret == TLD_OK && res->failed > 0) {
			tld_error("hsm speed: %zu signatures failed: %s", res->failed, tld_signpool_error(pool));
			ret = TLD_EHSM;
		}
		tld_sign_result_free(res);
		if (ret != TLD_OK) {
			goto fail;
		}
		done += batch;
		elapsed = now_seconds(CLOCK_MONOTONIC) - start;
		double next = (double)done / elapsed;
		batch = next < (double)(MIN_PER_SESSION * sessions) ? MIN_PER_SESSION * sessions
		        : next > (double)max_batch                  ? max_batch
		                                                    : (size_t)next;
	}
	printf("algorithm %u (%s%s), %lu session%s: %zu signatures in %.2f s = %.0f signatures/s\n",
	       alg->number, alg->name, alg->kind == TLD_KIND_RSA ? (bits == 2048 ? ", 2048 bits" : ", RSA") : "",
	       sessions, sessions == 1 ? "" : "s", done, elapsed, (double)done / elapsed);
	printf("window %.3f %.3f %zu\n", wall_start, now_seconds(CLOCK_REALTIME), done);
	struct tld_signpool_stats ps;
	tld_signpool_get_stats(pool, &ps);
	tld_info("hsm speed: %zu batches, %" PRIu64 " session key copies signed, %" PRIu64
	         " worker keys used on the token object (hsm.session-key-copies: %s)",
	         ps.batches, ps.key_copies, ps.token_key_uses, cfg->hsm.session_key_copies ? "true" : "false");
fail:
	tld_signpool_close(pool);
	if (have_key && hsm == NULL && tld_hsm_open(cfg, &hsm) == TLD_OK &&
	    (tld_hsm_find_id(hsm, true, key.id, key.id_len, &priv) != TLD_OK ||
	     tld_hsm_find_id(hsm, false, key.id, key.id_len, &pub) != TLD_OK ||
	     tld_hsm_destroy(hsm, priv) != TLD_OK || tld_hsm_destroy(hsm, pub) != TLD_OK)) {
		tld_error("hsm speed: could not remove the test key labelled tldsign-hsm-speed: %s",
		          tld_hsm_error(hsm));
	}
	tld_hsm_close(hsm);
	free(reqs);
	free(msgs);
	tld_config_free(cfg);
	return ret;
}
