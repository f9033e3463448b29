/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/keydb.h"
#include "hsm/keys.h"
#include "policy/audit.h"
#include "policy/keyplan.h"
#include "policy/keyplan_hsm.h"
#include "policy/keystore.h"

int tld_keyplan_sync(tld_statedb_t *db, const char *zone, tld_time_t now, const char *actor)
{
	struct tld_key_record *recs = NULL;
	struct tld_keystate *keys = NULL;
	size_t nr = 0, nk = 0;
	int ret = tld_keydb_init(db);
	if (ret == TLD_OK) {
		ret = tld_keydb_list(db, zone, true, &recs, &nr);
	}
	if (ret == TLD_OK) {
		ret = tld_keystore_load(db, zone, &keys, &nk);
	}
	bool missing_changed = false;
	for (size_t i = 0; ret == TLD_OK && i < nr; i++) {
		struct tld_keystate *ks = NULL;
		for (size_t j = 0; j < nk; j++) {
			if (keys[j].key_id == recs[i].id) {
				ks = &keys[j];
			}
		}
		if (ks == NULL && recs[i].deleted == 0) {
			ret = tld_keyplan_adopt(db, zone, recs[i].id, recs[i].key_tag, recs[i].algorithm,
			                        (uint8_t)recs[i].role, 0, now, actor);
		} else if (ks != NULL && recs[i].deleted != 0 && ks->in_token) {
			ks->in_token = false;
			missing_changed = true;
			tld_warning("key %u was deleted from the token; it stops signing", ks->key_tag);
		}
	}
	if (ret == TLD_OK && missing_changed) {
		ret = tld_keystore_save(db, zone, keys, nk);
	}
	tld_key_records_free(recs, nr);
	free(keys);
	return ret;
}

static bool never_in_use(void *ctx, const struct tld_key_record *rec)
{
	(void)ctx;
	(void)rec;
	return false;
}

static int generate_for(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                        const struct tld_key_need *needs, size_t nn, tld_time_t now, const char *actor,
                        const char *why, uint16_t *tags, size_t *n_tags)
{
	struct tld_key_record recs[3];
	size_t made = 0;
	int ret = TLD_OK;

	for (size_t i = 0; i < nn && i < 3 && ret == TLD_OK; i++) {
		ret = tld_key_generate(cfg, db, (enum tld_key_role)needs[i].role, needs[i].algorithm,
		                       pol->rsa_bits ? pol->rsa_bits : 2048, &recs[i]);
		if (ret == TLD_OK) {
			made++;
		}
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_begin(db);
		for (size_t i = 0; i < made && ret == TLD_OK; i++) {
			ret = tld_keyplan_adopt(db, cfg->zone, recs[i].id, recs[i].key_tag, recs[i].algorithm,
			                        (uint8_t)recs[i].role, needs[i].successor_of, now, actor);
		}
		if (ret == TLD_OK) {
			char tagtext[32] = "";
			size_t len = 0;
			for (size_t i = 0; i < made; i++) {
				len += (size_t)snprintf(tagtext + len, sizeof(tagtext) - len, "%s%u", i ? "," : "",
				                        recs[i].key_tag);
			}
			ret = tld_audit_append(db, now, actor, "rollover start", tagtext, NULL, why, NULL);
		}
		if (ret == TLD_OK) {
			ret = tld_statedb_commit(db);
		} else {
			tld_statedb_rollback(db);
		}
	}
	if (ret != TLD_OK) {
		/* nothing half-done: the keys made for this rollover leave the token again */
		for (size_t i = 0; i < made; i++) {
			if (tld_key_delete(cfg, db, recs[i].key_tag, never_in_use, NULL) != TLD_OK) {
				tld_error("could not remove key %u again after the failed rollover start", recs[i].key_tag);
			}
		}
		return ret;
	}
	for (size_t i = 0; tags && i < made; i++) {
		tags[i] = recs[i].key_tag;
	}
	if (n_tags) {
		*n_tags = made;
	}
	return TLD_OK;
}

int tld_keyplan_start_rollover(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                               enum tld_rollover_kind kind, tld_time_t now, const char *actor,
                               uint16_t *tags, size_t *n_tags)
{
	struct tld_keystate *keys = NULL;
	struct tld_key_need needs[3];
	size_t nk = 0, nn = 0;
	int ret = tld_keyplan_sync(db, cfg->zone, now, actor);
	if (ret == TLD_OK) {
		ret = tld_keystore_load(db, cfg->zone, &keys, &nk);
	}
	if (ret == TLD_OK) {
		ret = tld_keystate_plan_rollover(pol, keys, nk, kind, needs, &nn);
		if (ret == TLD_EPOLICY) {
			tld_error("rollover start %s: no active key of that kind, a rollover of it is already under "
			          "way, or (algorithm) the policy names the algorithm in use",
			          tld_rollover_kind_name(kind));
		}
	}
	free(keys);
	if (ret != TLD_OK) {
		return ret;
	}
	char why[64];
	snprintf(why, sizeof(why), "%s rollover started by hand", tld_rollover_kind_name(kind));
	return generate_for(cfg, pol, db, needs, nn, now, actor, why, tags, n_tags);
}

int tld_keyplan_generate_due(const struct tld_config *cfg, const struct tld_policy *pol, tld_statedb_t *db,
                             tld_time_t now, const char *actor, unsigned *generated)
{
	struct tld_keystate *keys = NULL;
	struct tld_keystep step;
	size_t nk = 0;
	memset(&step, 0, sizeof(step));
	int ret = tld_keyplan_sync(db, cfg->zone, now, actor);
	if (ret == TLD_OK) {
		ret = tld_keystore_load(db, cfg->zone, &keys, &nk);
	}
	if (ret == TLD_OK) {
		ret = tld_keystate_step(pol, keys, nk, NULL, 0, now, &step); /* a dry run: nothing stored */
	}
	free(keys);
	if (generated) {
		*generated = 0;
	}
	if (ret != TLD_OK || step.n_needs == 0) {
		tld_keystep_clear(&step);
		return ret;
	}
	size_t made = 0;
	ret = generate_for(cfg, pol, db, step.needs, step.n_needs, now, actor, "key lifetime ended", NULL, &made);
	if (generated) {
		*generated = (unsigned)made;
	}
	tld_keystep_clear(&step);
	return ret;
}

int tld_keyplan_ds_text(tld_statedb_t *db, const char *zone, uint16_t key_tag, uint8_t digest_type,
                        char *buf, size_t size)
{
	struct tld_key_record rec;
	uint8_t ds[64];
	size_t ds_len = 0;
	int ret = tld_keydb_find_tag(db, zone, key_tag, &rec);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_ds_from_dnskey(zone, rec.dnskey, rec.dnskey_len, digest_type, ds, sizeof(ds), &ds_len);
	if (ret != TLD_OK) {
		return ret;
	}
	int n = snprintf(buf, size, "%s IN DS %u %u %u ", zone, key_tag, rec.algorithm, digest_type);
	for (size_t i = 4; i < ds_len && n > 0 && (size_t)n + 3 < size; i++) {
		n += snprintf(buf + n, size - (size_t)n, "%02X", ds[i]);
	}
	return (size_t)n + 3 < size ? TLD_OK : TLD_ERANGE;
}

static void base64(const uint8_t *in, size_t len, FILE *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < len ? in[i + 2] : 0);
		fputc(tab[v >> 18 & 63], out);
		fputc(tab[v >> 12 & 63], out);
		fputc(i + 1 < len ? tab[v >> 6 & 63] : '=', out);
		fputc(i + 2 < len ? tab[v & 63] : '=', out);
	}
}

int tld_keyplan_print_key(tld_statedb_t *db, const char *zone, uint16_t key_tag, uint8_t digest_type,
                          FILE *out)
{
	struct tld_key_record rec;
	char ds[256];
	int ret = tld_keydb_find_tag(db, zone, key_tag, &rec);
	if (ret != TLD_OK) {
		return ret;
	}
	if (rec.dnskey_len < 4) {
		return TLD_EKEY;
	}
	fprintf(out, "  %s IN DNSKEY %u %u %u ", zone, (unsigned)(rec.dnskey[0] << 8 | rec.dnskey[1]),
	        rec.dnskey[2], rec.dnskey[3]);
	base64(rec.dnskey + 4, rec.dnskey_len - 4, out);
	fprintf(out, "\n");
	if (rec.flags & 1) { /* SEP: KSK or CSK */
		ret = tld_keyplan_ds_text(db, zone, key_tag, digest_type ? digest_type : 2, ds, sizeof(ds));
		if (ret == TLD_OK) {
			fprintf(out, "  %s\n", ds);
		}
	}
	return ret;
}
