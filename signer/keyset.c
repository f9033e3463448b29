/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/keyset.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/keys.h"
#include "policy/keyplan.h"

/* -- internal API -- */

static const struct tld_key_use *find_use(const struct tld_key_use *uses, size_t n, int64_t key_id)
{
	for (size_t i = 0; i < n; i++) {
		if (uses[i].key_id == key_id) {
			return &uses[i];
		}
	}
	return NULL;
}

static const char *use_words(const struct signer_key_use *u, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", u->publish ? "published" : "not published",
	         u->sign_keys ? ", signs the DNSKEY RRset" : "", u->sign_zone ? ", signs the zone" : "");
	return buf;
}

/* -- public API -- */

int signer_keyset_check(const struct signer_key *keys, const struct signer_key_use *use, size_t n)
{
	size_t ksigners = 0, zsigners = 0;
	for (size_t i = 0; i < n; i++) {
		const struct signer_key *k = &keys[i];
		if (k->dnskey_len < 4 || tld_keytag(k->dnskey, k->dnskey_len) != k->key_tag ||
		    k->dnskey[3] != k->algorithm) {
			tld_error("keys: the DNSKEY recorded for key %u does not match its key tag or algorithm",
			          k->key_tag);
			return TLD_EKEY;
		}
		if ((use[i].sign_keys || use[i].sign_zone) && !use[i].publish) {
			tld_error("keys: key %u signs but its DNSKEY is not published", k->key_tag);
			return TLD_EKEY;
		}
		ksigners += use[i].sign_keys;
		zsigners += use[i].sign_zone;
		for (size_t j = 0; j < i; j++) {
			if (use[i].publish && use[j].publish && keys[j].key_tag == k->key_tag) {
				tld_error("keys: two published keys share key tag %u", k->key_tag);
				return TLD_EKEYTAG;
			}
		}
	}
	if (ksigners == 0 || zsigners == 0) {
		tld_error("keys: no key signs the %s", ksigners == 0 ? "DNSKEY RRset (need a KSK or CSK)"
		                                                     : "zone data (need a ZSK or CSK)");
		return TLD_EKEY;
	}
	/* RFC 4035 2.2: every algorithm of the DNSKEY RRset signs every RRset */
	for (size_t i = 0; i < n; i++) {
		if (!use[i].publish) {
			continue;
		}
		bool k = false, z = false;
		for (size_t j = 0; j < n; j++) {
			if (keys[j].algorithm == keys[i].algorithm) {
				k |= use[j].sign_keys;
				z |= use[j].sign_zone;
			}
		}
		if (!k || !z) {
			tld_error("keys: algorithm %u is in the DNSKEY RRset (key %u) but no key of it signs the %s",
			          keys[i].algorithm, keys[i].key_tag, !k ? "DNSKEY RRset" : "zone");
			return TLD_EKEY;
		}
	}
	return TLD_OK;
}

int signer_keyset_load(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                       tld_time_t now, struct signer_keyset **out)
{
	struct tld_key_use *uses = NULL;
	size_t nuses = 0;
	char words[128];
	struct signer_keyset *ks = calloc(1, sizeof(*ks));
	if (ks == NULL) {
		return TLD_ENOMEM;
	}
	int ret = tld_keydb_init(db);
	if (ret == TLD_OK) {
		ret = tld_keydb_list(db, cfg->zone, true, &ks->recs, &ks->nrecs);
	}
	if (ret == TLD_OK) {
		ret = tld_keyplan_now(pol, db, cfg->zone, now, &uses, &nuses, NULL);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	size_t cap = ks->nrecs ? ks->nrecs : 1;
	ks->keys = calloc(cap, sizeof(*ks->keys));
	ks->use = calloc(cap, sizeof(*ks->use));
	ks->cds = calloc(cap, sizeof(*ks->cds));
	ks->pool = calloc(cap, sizeof(*ks->pool));
	if (ks->keys == NULL || ks->use == NULL || ks->cds == NULL || ks->pool == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	/* a key the plan wants that the key store does not have cannot be honoured */
	for (size_t u = 0; u < nuses; u++) {
		bool known = false;
		for (size_t r = 0; r < ks->nrecs; r++) {
			known |= ks->recs[r].id == uses[u].key_id;
		}
		if (!known && (uses[u].publish_dnskey || uses[u].sign_dnskey || uses[u].sign_zone)) {
			tld_error("keys: the key plan uses key %u, which the key store does not have", uses[u].key_tag);
			ret = TLD_EKEY;
			goto fail;
		}
	}
	for (size_t r = 0; r < ks->nrecs; r++) {
		const struct tld_key_record *rec = &ks->recs[r];
		const struct tld_key_use *plan = find_use(uses, nuses, rec->id);
		struct signer_key_use u = { 0 };
		bool cds = false;
		struct signer_key k = {
			.algorithm = rec->algorithm,
			.key_tag = rec->key_tag,
			.role = rec->role,
			.deleted = rec->deleted != 0,
			.dnskey = rec->dnskey,
			.dnskey_len = (uint16_t)rec->dnskey_len,
			.pool_index = UINT32_MAX,
		};
		if (plan != NULL) {
			u.publish = plan->publish_dnskey;
			u.sign_keys = plan->sign_dnskey;
			u.sign_zone = plan->sign_zone;
			cds = plan->publish_cds;
			ks->planned++;
			if (k.deleted && (u.sign_keys || u.sign_zone)) {
				tld_error("keys: key %u is deleted from the key store but the key plan still signs with it",
				          k.key_tag);
				ret = TLD_EKEY;
				goto fail;
			}
		} else if (!k.deleted) {
			signer_interim_use(&k, &u); /* the set is checked below */
			ks->interim++;
			tld_info("keys: key %u (%s) is not under the key state machine: interim rule, %s", k.key_tag,
			         tld_key_role_name(k.role), use_words(&u, words, sizeof(words)));
		}
		if (!u.publish && !u.sign_keys && !u.sign_zone) {
			continue;
		}
		if (u.sign_keys || u.sign_zone) {
			struct tld_signpool_key *pk = &ks->pool[ks->npool];
			pk->algorithm = rec->algorithm;
			pk->key_tag = rec->key_tag;
			pk->role = tld_key_role_name(rec->role);
			if (rec->cka_id_len > sizeof(pk->id)) {
				ret = TLD_EKEY;
				goto fail;
			}
			memcpy(pk->id, rec->cka_id_raw, rec->cka_id_len);
			pk->id_len = rec->cka_id_len;
			k.pool_index = (uint32_t)ks->npool++;
		}
		ks->keys[ks->n] = k;
		ks->use[ks->n] = u;
		ks->cds[ks->n] = cds;
		ks->n++;
	}
	if (ks->n == 0) {
		tld_error("keys: zone %s has no keys in the key store (tldsign key generate)", cfg->zone);
		ret = TLD_EKEY;
		goto fail;
	}
	ret = signer_keyset_check(ks->keys, ks->use, ks->n);
	if (ret != TLD_OK) {
		goto fail;
	}
	for (size_t i = 0; i < ks->n; i++) {
		tld_debug("keys: %u algorithm %u: %s", ks->keys[i].key_tag, ks->keys[i].algorithm,
		          use_words(&ks->use[i], words, sizeof(words)));
	}
	free(uses);
	*out = ks;
	return TLD_OK;
fail:
	free(uses);
	signer_keyset_free(ks);
	return ret;
}

void signer_keyset_free(struct signer_keyset *ks)
{
	if (ks == NULL) {
		return;
	}
	tld_key_records_free(ks->recs, ks->nrecs);
	free(ks->keys);
	free(ks->use);
	free(ks->cds);
	free(ks->pool);
	free(ks);
}
