/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parent DS check of a key plan step: key states -> queries -> confirmations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "policy/keyplan.h"
#include "policy/keyplan_hsm.h"
#include "policy/keystore.h"
#include "policy/parentds.h"

#define PARENT_TIMEOUT_MS 2000

/* The DS RDATA of every key with a DS (digest type of the policy). */
static int key_ds_list(tld_statedb_t *db, const char *zone, const struct tld_keystate *keys, size_t n,
                       uint8_t digest, struct tld_ds_rec *out)
{
	for (size_t i = 0; i < n; i++) {
		struct tld_key_record rec;
		size_t len = 0;
		out[i].len = 0;
		if (keys[i].st[TLD_KR_DS] == TLD_KS_NA) {
			continue;
		}
		int ret = tld_keydb_find_tag(db, zone, keys[i].key_tag, &rec);
		if (ret == TLD_ENOENT) {
			continue; /* tld_parent_expect_build() says TLD_EKEY if it matters */
		}
		if (ret == TLD_OK) {
			ret = tld_ds_from_dnskey(zone, rec.dnskey, rec.dnskey_len, digest, out[i].rdata,
			                         sizeof(out[i].rdata), &len);
		}
		if (ret != TLD_OK) {
			return ret;
		}
		out[i].len = (uint16_t)len;
	}
	return TLD_OK;
}

static int record_confirmations(tld_statedb_t *db, const char *zone, const struct tld_parent_expect *exp,
                                uint8_t digest, tld_time_t now, struct tld_parent_result *res)
{
	int ret = tld_statedb_begin(db);
	for (size_t g = 0; g < 2 && ret == TLD_OK; g++) {
		size_t cnt = g ? exp->n_gone : exp->n_seen;
		for (size_t i = 0; i < cnt && ret == TLD_OK; i++) {
			uint16_t tag = g ? exp->gone_tag[i] : exp->seen_tag[i];
			char ds[256];
			if (tld_keyplan_ds_text(db, zone, tag, digest, ds, sizeof(ds)) != TLD_OK) {
				ds[0] = '\0';
			}
			ret = tld_keyplan_ds_confirm(db, zone, tag, g != 0, now, TLD_PARENT_ACTOR, ds[0] ? ds : NULL);
			if (ret == TLD_OK) {
				res->recorded++;
				snprintf(res->words + strlen(res->words), sizeof(res->words) - strlen(res->words),
				         "; recorded ds %s %u", g ? "gone" : "seen", tag);
			}
		}
	}
	if (ret == TLD_OK) {
		return tld_statedb_commit(db);
	}
	tld_statedb_rollback(db);
	res->recorded = 0;
	return ret;
}

int tld_parent_check(const struct tld_policy *pol, tld_statedb_t *db, const char *zone, tld_time_t now,
                     bool record, struct tld_parent_result *res)
{
	struct tld_keystate *keys = NULL;
	struct tld_ds_confirm *conf = NULL;
	struct tld_ds_rec *key_ds = NULL;
	struct tld_parent_answer *answers = NULL;
	struct tld_parent_expect exp;
	size_t nk = 0, nc = 0;
	uint8_t digest = pol->parent.ds_digest ? pol->parent.ds_digest : 2;

	memset(res, 0, sizeof(*res));
	if (pol->parent.nameservers_count == 0) {
		return TLD_OK;
	}
	int ret = tld_keystore_init(db);
	if (ret == TLD_OK) {
		ret = tld_keystore_load(db, zone, &keys, &nk);
	}
	if (ret == TLD_OK) {
		ret = tld_keystore_pending(db, zone, &conf, &nc);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	key_ds = calloc(nk ? nk : 1, sizeof(*key_ds));
	answers = calloc(pol->parent.nameservers_count, sizeof(*answers));
	if (key_ds == NULL || answers == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	ret = key_ds_list(db, zone, keys, nk, digest, key_ds);
	if (ret == TLD_OK) {
		ret = tld_parent_expect_build(keys, nk, key_ds, conf, nc, &exp);
	}
	if (ret == TLD_EKEY || ret == TLD_ERANGE || ret == TLD_ECRYPTO) {
		res->verdict = TLD_PARENT_ERROR;
		snprintf(res->words, sizeof(res->words), "cannot compute the DS set the parent should serve (%s)",
		         tld_strerror(ret));
		ret = TLD_OK;
		goto fail;
	}
	if (ret != TLD_OK || exp.n_seen + exp.n_gone == 0) {
		goto fail; /* nothing waits on the parent: no queries */
	}
	for (size_t i = 0; i < pol->parent.nameservers_count; i++) {
		tld_parent_query_ds(pol->parent.nameservers[i], zone, PARENT_TIMEOUT_MS, &answers[i]);
	}
	res->verdict = tld_parent_judge(&exp, pol->parent.nameservers, answers, pol->parent.nameservers_count,
	                                res->words, sizeof(res->words));
	if (record && res->verdict == TLD_PARENT_DONE) {
		ret = record_confirmations(db, zone, &exp, digest, now, res);
	}
fail:
	free(answers);
	free(key_ds);
	free(conf);
	free(keys);
	return ret;
}
