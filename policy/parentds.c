/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parent DS check: expectation, judgement (pure) and the comparison of sets. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "policy/parentds.h"

static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	if (len + 1 >= size) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

const char *tld_parent_verdict_name(enum tld_parent_verdict v)
{
	switch (v) {
	case TLD_PARENT_IDLE: return "idle";
	case TLD_PARENT_DONE: return "done";
	case TLD_PARENT_NOT_YET: return "not yet";
	case TLD_PARENT_DISAGREE: return "servers disagree";
	case TLD_PARENT_UNEXPECTED: return "unexpected DS set";
	case TLD_PARENT_ERROR: return "error";
	}
	return "?";
}

static bool rec_equal(const struct tld_ds_rec *a, const struct tld_ds_rec *b)
{
	return a->len == b->len && memcmp(a->rdata, b->rdata, a->len) == 0;
}

static bool set_has(const struct tld_ds_set *set, const struct tld_ds_rec *rec)
{
	for (size_t i = 0; i < set->n; i++) {
		if (rec_equal(&set->ds[i], rec)) {
			return true;
		}
	}
	return false;
}

bool tld_ds_set_equal(const struct tld_ds_set *a, const struct tld_ds_set *b)
{
	if (a->n != b->n) {
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (!set_has(b, &a->ds[i])) {
			return false;
		}
	}
	return true;
}

int tld_ds_set_add(struct tld_ds_set *set, const uint8_t *rdata, size_t len)
{
	struct tld_ds_rec rec;
	if (len > sizeof(rec.rdata)) {
		return TLD_ERANGE;
	}
	rec.len = (uint16_t)len;
	memcpy(rec.rdata, rdata, len);
	if (set_has(set, &rec)) {
		return TLD_OK;
	}
	if (set->n >= TLD_PARENT_MAX_DS) {
		return TLD_ERANGE;
	}
	set->ds[set->n++] = rec;
	return TLD_OK;
}

void tld_ds_set_words(const struct tld_ds_set *set, char *buf, size_t size)
{
	if (size == 0) {
		return;
	}
	buf[0] = '\0';
	append(buf, size, "{");
	for (size_t i = 0; i < set->n; i++) {
		const struct tld_ds_rec *r = &set->ds[i];
		if (r->len < 4) {
			append(buf, size, "%s(malformed DS)", i ? ", " : "");
			continue;
		}
		append(buf, size, "%s%u %u %u ", i ? ", " : "", (unsigned)(r->rdata[0] << 8 | r->rdata[1]),
		       r->rdata[2], r->rdata[3]);
		for (size_t b = 4; b < r->len && b < 8; b++) {
			append(buf, size, "%02X", r->rdata[b]);
		}
		append(buf, size, "%s", r->len > 8 ? ".." : "");
	}
	append(buf, size, "}");
}

static const struct tld_ds_confirm *pending_for(int64_t key_id, const struct tld_ds_confirm *conf, size_t n_conf)
{
	const struct tld_ds_confirm *last = NULL;
	for (size_t i = 0; i < n_conf; i++) {
		if (conf[i].key_id == key_id) {
			last = &conf[i];
		}
	}
	return last;
}

int tld_parent_expect_build(const struct tld_keystate *keys, size_t n, const struct tld_ds_rec *key_ds,
                            const struct tld_ds_confirm *conf, size_t n_conf, struct tld_parent_expect *out)
{
	struct tld_parent_expect e;
	memset(&e, 0, sizeof(e));
	for (size_t i = 0; i < n; i++) {
		const struct tld_keystate *k = &keys[i];
		enum tld_kstate ds = k->st[TLD_KR_DS];
		if (ds == TLD_KS_NA) {
			continue;
		}
		const struct tld_ds_confirm *p = pending_for(k->key_id, conf, n_conf);
		bool present, wait_seen = false, wait_gone = false;
		if (p != NULL) {
			present = !p->gone; /* already confirmed by hand or by an earlier check */
		} else {
			present = ds == TLD_KS_RUMOURED || ds == TLD_KS_OMNIPRESENT;
			wait_seen = ds == TLD_KS_HIDDEN && k->ds_requested != 0;
			wait_gone = present && k->ds_withdraw != 0;
		}
		if (!present && !wait_seen) {
			continue;
		}
		if (key_ds[i].len < 4) {
			return TLD_EKEY;
		}
		if (wait_seen || wait_gone) {
			size_t *cnt = wait_seen ? &e.n_seen : &e.n_gone;
			if (*cnt >= TLD_PARENT_MAX_WAIT) {
				return TLD_ERANGE;
			}
			(wait_seen ? e.seen_id : e.gone_id)[*cnt] = k->key_id;
			(wait_seen ? e.seen_tag : e.gone_tag)[*cnt] = k->key_tag;
			(*cnt)++;
		}
		int ret = TLD_OK;
		if (present) {
			ret = tld_ds_set_add(&e.before, key_ds[i].rdata, key_ds[i].len);
		}
		if (ret == TLD_OK && (wait_seen || (present && !wait_gone))) {
			ret = tld_ds_set_add(&e.after, key_ds[i].rdata, key_ds[i].len);
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	*out = e;
	return TLD_OK;
}

static void describe_wait(const struct tld_parent_expect *exp, char *words, size_t size)
{
	append(words, size, " (waiting for");
	for (size_t i = 0; i < exp->n_seen; i++) {
		append(words, size, " DS %u to appear", exp->seen_tag[i]);
	}
	for (size_t i = 0; i < exp->n_gone; i++) {
		append(words, size, " DS %u to go", exp->gone_tag[i]);
	}
	append(words, size, ")");
}

enum tld_parent_verdict tld_parent_judge(const struct tld_parent_expect *exp, char *const *servers,
                                         const struct tld_parent_answer *answers, size_t n, char *words,
                                         size_t size)
{
	char a[512], b[512];
	words[0] = '\0';
	if (exp->n_seen + exp->n_gone == 0 || n == 0) {
		return TLD_PARENT_IDLE;
	}
	bool error = false;
	for (size_t i = 0; i < n; i++) {
		if (answers[i].status != TLD_OK) {
			append(words, size, "%s%s: %s", error ? "; " : "", servers[i], answers[i].error);
			error = true;
		}
	}
	if (error) {
		append(words, size, "; no conclusion without every server");
		describe_wait(exp, words, size);
		return TLD_PARENT_ERROR;
	}
	bool agree = true;
	for (size_t i = 1; i < n; i++) {
		agree &= tld_ds_set_equal(&answers[0].set, &answers[i].set);
	}
	if (!agree) {
		append(words, size, "the parent servers disagree:");
		for (size_t i = 0; i < n; i++) {
			tld_ds_set_words(&answers[i].set, a, sizeof(a));
			append(words, size, "%s %s serves %s%s", i ? ";" : "", servers[i], a,
			       tld_ds_set_equal(&answers[i].set, &exp->after) ? " (the expected set)" : "");
		}
		describe_wait(exp, words, size);
		return TLD_PARENT_DISAGREE;
	}
	tld_ds_set_words(&answers[0].set, a, sizeof(a));
	if (tld_ds_set_equal(&answers[0].set, &exp->after)) {
		append(words, size, "all %zu parent server(s) serve the expected DS set %s", n, a);
		return TLD_PARENT_DONE;
	}
	if (tld_ds_set_equal(&answers[0].set, &exp->before)) {
		append(words, size, "all %zu parent server(s) still serve the DS set %s", n, a);
		describe_wait(exp, words, size);
		return TLD_PARENT_NOT_YET;
	}
	tld_ds_set_words(&exp->after, b, sizeof(b));
	append(words, size, "all %zu parent server(s) serve the DS set %s, expected %s", n, a, b);
	describe_wait(exp, words, size);
	return TLD_PARENT_UNEXPECTED;
}
