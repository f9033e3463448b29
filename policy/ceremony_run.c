/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Running a ceremony: announce, confirm, perform, record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "policy/audit.h"
#include "policy/ceremony.h"
#include "policy/keyplan.h"
#include "policy/keystore.h"

/* What the step will do, in words, before anyone confirms it. */
static void announce(const struct tld_cer_step *st, const struct tld_ceremony_env *env, FILE *f)
{
	static const char *kinds[] = { "?", "KSK", "ZSK", "CSK", "algorithm" };
	static const char *roles[] = { "?", "KSK", "ZSK", "CSK" };
	switch (st->action) {
	case TLD_CER_NOTE:
		fprintf(f, "  read aloud: %s\n", st->text);
		break;
	case TLD_CER_AUDIT_VERIFY:
		fprintf(f, "  will check the hash chain of the audit log and print its head hash\n");
		break;
	case TLD_CER_STATUS:
		fprintf(f, "  will show every key of %s, its states and what it waits for\n", env->zone);
		break;
	case TLD_CER_ADVANCE:
		fprintf(f, "  will move the key states of %s to now, as a signing run would\n", env->zone);
		break;
	case TLD_CER_KEY_GENERATE:
		fprintf(f, "  will generate a new %s (algorithm %u) inside the HSM and put it under the key policy\n",
		        roles[st->role], (unsigned)env->pol->algorithm);
		break;
	case TLD_CER_ROLLOVER_START:
		fprintf(f, "  will start a %s rollover: generate the successor key(s) in the HSM; the current "
		        "key(s) retire as the state machine allows\n", kinds[st->kind]);
		break;
	case TLD_CER_DS_SEEN:
		fprintf(f, "  will record that the parent publishes the DS of key %d\n",
		        st->key_tag == TLD_CER_TAG_PARAM ? env->key_tag : st->key_tag);
		break;
	case TLD_CER_DS_GONE:
		fprintf(f, "  will record that the parent no longer publishes the DS of key %d\n",
		        st->key_tag == TLD_CER_TAG_PARAM ? env->key_tag : st->key_tag);
		break;
	}
}

static int confirm(struct tld_ceremony_env *env)
{
	if (env->yes) {
		fprintf(env->out, "  confirmed (--yes)\n");
		return TLD_OK;
	}
	fprintf(env->out, "  proceed? type 'yes' to perform this step: ");
	fflush(env->out);
	char line[64];
	if (env->in == NULL || fgets(line, sizeof(line), env->in) == NULL) {
		return TLD_ECANCELED;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0 ? TLD_OK : TLD_ECANCELED;
}

static int print_key(struct tld_ceremony_env *env, uint16_t tag, FILE *f)
{
	fprintf(f, "  key tag %u\n", tag);
	return env->print_key ? env->print_key(env->hook_ctx, tag, f) : TLD_OK;
}

/*
 * Generates the keys (each committed to the key store by the generator),
 * then adopts them all in one transaction; on failure the new keys leave
 * the token again, so nothing is half-done.
 */
static int generate_and_adopt(struct tld_ceremony_env *env, const struct tld_key_need *needs, size_t nn,
                              const char *what, FILE *f)
{
	int64_t ids[3];
	uint16_t tags[3];
	size_t made = 0;
	int ret = TLD_OK;
	if (env->generate == NULL) {
		fprintf(f, "  key generation needs the HSM key store and the config (not given: rehearsal)\n");
		return TLD_ENOTIMPL;
	}
	for (size_t i = 0; i < nn && i < 3 && ret == TLD_OK; i++) {
		ret = env->generate(env->hook_ctx, needs[i].role, needs[i].algorithm, &ids[i], &tags[i]);
		made += ret == TLD_OK;
	}
	if (ret == TLD_OK) {
		ret = tld_statedb_begin(env->db);
		for (size_t i = 0; i < made && ret == TLD_OK; i++) {
			ret = tld_keyplan_adopt(env->db, env->zone, ids[i], tags[i], needs[i].algorithm, needs[i].role,
			                        needs[i].successor_of, env->now, env->actor);
		}
		if (ret == TLD_OK && what != NULL) {
			ret = tld_audit_append(env->db, env->now, env->actor, "rollover start", "", NULL, what, NULL);
		}
		if (ret == TLD_OK) {
			ret = tld_statedb_commit(env->db);
		} else {
			tld_statedb_rollback(env->db);
		}
	}
	if (ret != TLD_OK) {
		for (size_t i = 0; i < made; i++) {
			if (env->discard == NULL || env->discard(env->hook_ctx, tags[i]) != TLD_OK) {
				tld_error("key %u was generated but could not be removed again", tags[i]);
			}
		}
		return ret;
	}
	for (size_t i = 0; i < made && ret == TLD_OK; i++) {
		ret = print_key(env, tags[i], f);
	}
	return ret;
}

static int do_rollover(struct tld_ceremony_env *env, int kind, FILE *f)
{
	struct tld_keystate *keys = NULL;
	struct tld_key_need needs[3];
	size_t nk = 0, nn = 0;
	int ret = tld_keystore_load(env->db, env->zone, &keys, &nk);
	if (ret == TLD_OK) {
		ret = tld_keystate_plan_rollover(env->pol, keys, nk, (enum tld_rollover_kind)kind, needs, &nn);
		if (ret == TLD_EPOLICY) {
			fprintf(f, "  refused: no active key of that kind, a rollover of it is under way, or the "
			        "algorithm is unchanged\n");
		}
	}
	free(keys);
	if (ret == TLD_OK) {
		char detail[64];
		snprintf(detail, sizeof(detail), "%s rollover, %zu new key(s)",
		         tld_rollover_kind_name((enum tld_rollover_kind)kind), nn);
		ret = generate_and_adopt(env, needs, nn, detail, f);
	}
	return ret;
}

static int do_status(struct tld_ceremony_env *env, FILE *f)
{
	struct tld_keystate *keys = NULL;
	size_t nk = 0;
	int ret = tld_keystore_load(env->db, env->zone, &keys, &nk);
	if (ret == TLD_OK) {
		if (nk == 0) {
			fprintf(f, "  no keys under the key policy for %s\n", env->zone);
		}
		tld_keyplan_describe(env->pol, keys, nk, env->now, 7 * 86400, f);
	}
	free(keys);
	return ret;
}

static int perform(const struct tld_cer_step *st, struct tld_ceremony_env *env, FILE *f)
{
	int ret = TLD_OK;
	int key_tag = st->key_tag == TLD_CER_TAG_PARAM ? env->key_tag : st->key_tag;
	switch (st->action) {
	case TLD_CER_NOTE:
		fprintf(f, "  %s\n", st->text);
		return TLD_OK;
	case TLD_CER_AUDIT_VERIFY: {
		int64_t n = 0;
		char head[TLD_AUDIT_HASH_HEX], why[512];
		ret = tld_audit_verify(env->db, &n, head, why, sizeof(why));
		if (ret == TLD_OK) {
			fprintf(f, "  audit log intact: %lld entries, head %s\n", (long long)n, n ? head : "(empty)");
		} else if (ret == TLD_EVERIFY) {
			fprintf(f, "  audit log BROKEN: %s\n", why);
		}
		return ret;
	}
	case TLD_CER_STATUS:
		return do_status(env, f);
	case TLD_CER_ADVANCE: {
		struct tld_key_use *u = NULL;
		size_t n = 0;
		tld_time_t next = 0;
		char t[32];
		ret = tld_keyplan_now(env->pol, env->db, env->zone, env->now, &u, &n, &next);
		for (size_t i = 0; ret == TLD_OK && i < n; i++) {
			fprintf(f, "  key %u: %s%s%s%s%s\n", u[i].key_tag, u[i].publish_dnskey ? "published " : "",
			        u[i].sign_dnskey ? "signs-DNSKEY " : "", u[i].sign_zone ? "signs-zone " : "",
			        u[i].ds_submit ? "DS-to-submit " : "", u[i].ds_remove ? "DS-to-withdraw" : "");
		}
		if (ret == TLD_OK) {
			fprintf(f, "  next event: %s\n", next ? tld_time_format(next, t, sizeof(t)) : "none (waits on people)");
		}
		free(u);
		return ret;
	}
	case TLD_CER_KEY_GENERATE: {
		struct tld_key_need need = { (uint8_t)st->role, (uint8_t)env->pol->algorithm, 0 };
		return generate_and_adopt(env, &need, 1, NULL, f);
	}
	case TLD_CER_ROLLOVER_START:
		return do_rollover(env, st->kind, f);
	case TLD_CER_DS_SEEN:
	case TLD_CER_DS_GONE:
		ret = tld_keyplan_ds_confirm(env->db, env->zone, (uint16_t)key_tag, st->action == TLD_CER_DS_GONE,
		                             env->now, env->actor, NULL);
		if (ret == TLD_OK) {
			fprintf(f, "  recorded: DS of key %d %s at the parent\n", key_tag,
			        st->action == TLD_CER_DS_GONE ? "gone" : "seen");
			if (env->print_key && env->print_key(env->hook_ctx, (uint16_t)key_tag, f) != TLD_OK) {
				fprintf(f, "  (the DS cannot be printed: key %d is not in the key store)\n", key_tag);
			}
		}
		return ret;
	}
	return TLD_EINVAL;
}

static void both(struct tld_ceremony_env *env, const char *text)
{
	fputs(text, env->out);
	if (env->transcript) {
		fputs(text, env->transcript);
	}
}

int tld_ceremony_run(const struct tld_ceremony *c, const char *script_path, struct tld_ceremony_env *env)
{
	char t[32], line[512];
	int ret = TLD_OK;

	for (size_t i = 0; i < c->n_steps; i++) {
		if (c->steps[i].key_tag == TLD_CER_TAG_PARAM && (env->key_tag < 0 || env->key_tag > 65535)) {
			tld_error("%s: step %zu (line %u) takes its key tag from the command line: give --key-tag",
			          script_path, i + 1, c->steps[i].line);
			return TLD_EUSAGE;
		}
	}

	snprintf(line, sizeof(line), "Ceremony: %s\nScript: %s\nZone: %s\nTime: %s\nOperator: %s\nParticipants:",
	         c->name, script_path, env->zone, tld_time_format(env->now, t, sizeof(t)), env->actor);
	both(env, line);
	for (size_t i = 0; i < c->n_participants; i++) {
		snprintf(line, sizeof(line), "%s %s", i ? "," : "", c->participants[i]);
		both(env, line);
	}
	for (size_t i = 0; i < env->n_participants; i++) {
		snprintf(line, sizeof(line), "%s %s", i || c->n_participants ? "," : "", env->participants[i]);
		both(env, line);
	}
	both(env, c->n_participants + env->n_participants ? "\n\n" : " (none named)\n\n");

	for (size_t i = 0; i < c->n_steps; i++) {
		const struct tld_cer_step *st = &c->steps[i];
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m == NULL) {
			return TLD_ENOMEM;
		}
		fprintf(m, "Step %zu of %zu: %s  [%s, script line %u]\n", i + 1, c->n_steps, st->title,
		        tld_cer_action_name(st->action), st->line);
		announce(st, env, m);
		fclose(m);
		both(env, buf);
		free(buf);
		ret = confirm(env);
		if (ret != TLD_OK) {
			both(env, "  DECLINED: the ceremony stops here; this step was not performed\n");
			break;
		}
		if (env->transcript && !env->yes) {
			fprintf(env->transcript, "  confirmed by the operator\n");
		}
		buf = NULL;
		m = open_memstream(&buf, &len);
		if (m == NULL) {
			return TLD_ENOMEM;
		}
		ret = perform(st, env, m);
		fclose(m);
		both(env, buf);
		free(buf);
		if (ret != TLD_OK) {
			snprintf(line, sizeof(line), "  FAILED: %s; nothing of this step was kept; the ceremony stops\n",
			         tld_strerror(ret));
			both(env, line);
			break;
		}
		char detail[300], tag[16] = "";
		snprintf(detail, sizeof(detail), "%s, step %zu: %s", c->name, i + 1, st->title);
		if (st->action == TLD_CER_DS_SEEN || st->action == TLD_CER_DS_GONE) {
			snprintf(tag, sizeof(tag), "%d", st->key_tag == TLD_CER_TAG_PARAM ? env->key_tag : st->key_tag);
		}
		ret = tld_audit_append(env->db, env->now, env->actor, "ceremony step", tag, NULL, detail, NULL);
		if (ret != TLD_OK) {
			both(env, "  FAILED to record the step in the audit log; the ceremony stops\n");
			break;
		}
		both(env, "  done\n\n");
	}
	int64_t n = 0;
	char head[TLD_AUDIT_HASH_HEX], why[256];
	if (tld_audit_verify(env->db, &n, head, why, sizeof(why)) == TLD_OK && n > 0) {
		snprintf(line, sizeof(line), "Audit log head after the ceremony: entry %lld, %s\n", (long long)n, head);
		both(env, line);
	}
	snprintf(line, sizeof(line), "Result: %s\n", ret == TLD_OK ? "completed" : "STOPPED");
	both(env, line);
	return ret;
}
