/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * policy/parentds: what the key plan expects at the parent in each phase of
 * a double-DS rollover, the judgement of the servers' answers (all agree on
 * the expected set, lagging server, error, unexpected set), a query to a
 * loopback port where nothing listens; policy/keyplan: the longest wait on
 * the parent and the RFC 8078 delete records; policy.c: the keys
 * parent.cds: delete and parent.ds-wait-warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/yaml_doc.h"
#include "policy/keyplan.h"
#include "policy/parentds.h"
#include "tests/tap/tap.h"

#define T0 1795255200LL
#define DAY 86400LL

static struct tld_ds_rec ds_of(uint16_t tag, uint8_t fill)
{
	struct tld_ds_rec r;
	r.len = 4 + 32;
	r.rdata[0] = (uint8_t)(tag >> 8);
	r.rdata[1] = (uint8_t)tag;
	r.rdata[2] = 13;
	r.rdata[3] = 2;
	memset(r.rdata + 4, fill, 32);
	return r;
}

static struct tld_keystate ksk(int64_t id, uint16_t tag, enum tld_kstate ds)
{
	struct tld_keystate k;
	tld_keystate_init(&k, id, tag, 13, TLD_ROLE_KSK, T0);
	k.st[TLD_KR_DNSKEY] = TLD_KS_OMNIPRESENT;
	k.st[TLD_KR_KRRSIG] = TLD_KS_OMNIPRESENT;
	k.st[TLD_KR_DS] = ds;
	return k;
}

static struct tld_parent_answer answer_of(const struct tld_ds_rec *recs, size_t n)
{
	struct tld_parent_answer a;
	memset(&a, 0, sizeof(a));
	for (size_t i = 0; i < n; i++) {
		tld_ds_set_add(&a.set, recs[i].rdata, recs[i].len);
	}
	return a;
}

static void test_sets(void)
{
	struct tld_ds_set a = { .n = 0 }, b = { .n = 0 };
	struct tld_ds_rec x = ds_of(100, 0xAA), y = ds_of(200, 0xBB);
	char w[256];
	ok(tld_ds_set_equal(&a, &b), "empty sets are equal");
	is_int(TLD_OK, tld_ds_set_add(&a, x.rdata, x.len), "add x");
	is_int(TLD_OK, tld_ds_set_add(&a, x.rdata, x.len), "add x again");
	is_int(1, (long long)a.n, "duplicate kept once");
	tld_ds_set_add(&a, y.rdata, y.len);
	tld_ds_set_add(&b, y.rdata, y.len);
	ok(!tld_ds_set_equal(&a, &b), "subset is not equal");
	tld_ds_set_add(&b, x.rdata, x.len);
	ok(tld_ds_set_equal(&a, &b), "order does not matter");
	struct tld_ds_rec x2 = ds_of(100, 0xAB);
	struct tld_ds_set c = { .n = 0 };
	tld_ds_set_add(&c, x2.rdata, x2.len);
	tld_ds_set_add(&c, y.rdata, y.len);
	ok(!tld_ds_set_equal(&a, &c), "same key tag, other digest: not equal");
	uint8_t big[80] = { 0 };
	is_int(TLD_ERANGE, tld_ds_set_add(&c, big, sizeof(big)), "oversized DS refused");
	tld_ds_set_words(&a, w, sizeof(w));
	is_str("{100 13 2 AAAAAAAA.., 200 13 2 BBBBBBBB..}", w, "words");
	struct tld_ds_set e = { .n = 0 };
	tld_ds_set_words(&e, w, sizeof(w));
	is_str("{}", w, "empty set in words");
}

/* A double-DS KSK rollover's parent phases: expected sets and judgement. */
static void test_double_ds_phases(void)
{
	struct tld_keystate keys[3];
	struct tld_ds_rec kds[3];
	struct tld_parent_expect e;
	struct tld_parent_answer ans[2];
	char *servers[2] = { "127.0.0.1@15801", "127.0.0.1@15802" };
	char w[1536];

	/* old KSK 100 at the parent, new KSK 200 asked for, a ZSK without DS */
	keys[0] = ksk(1, 100, TLD_KS_OMNIPRESENT);
	keys[1] = ksk(2, 200, TLD_KS_HIDDEN);
	keys[1].ds_requested = T0 + DAY;
	tld_keystate_init(&keys[2], 3, 300, 13, TLD_ROLE_ZSK, T0);
	kds[0] = ds_of(100, 0x11);
	kds[1] = ds_of(200, 0x22);
	kds[2].len = 0;

	is_int(TLD_OK, tld_parent_expect_build(keys, 3, kds, NULL, 0, &e), "phase 1: expectation built");
	is_int(1, (long long)e.n_seen, "phase 1: one DS awaited");
	is_int(200, e.seen_tag[0], "phase 1: the new KSK's");
	is_int(0, (long long)e.n_gone, "phase 1: none to go");
	is_int(1, (long long)e.before.n, "phase 1: before = {old}");
	is_int(2, (long long)e.after.n, "phase 1: after = {old, new}");

	struct tld_ds_rec both[2] = { kds[0], kds[1] };
	ans[0] = answer_of(both, 2);
	ans[1] = answer_of(both, 2);
	is_int(TLD_PARENT_DONE, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)), "both servers: done");
	ok(strstr(w, "expected DS set") != NULL, "done in words: %s", w);

	ans[1] = answer_of(both, 1);
	is_int(TLD_PARENT_DISAGREE, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)),
	       "one server lagging: disagree");
	ok(strstr(w, "127.0.0.1@15802 serves {100 13 2") != NULL && strstr(w, "DS 200 to appear") != NULL,
	   "disagreement in words: %s", w);

	ans[0] = answer_of(both, 1);
	is_int(TLD_PARENT_NOT_YET, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)), "both old: not yet");

	struct tld_ds_rec only_new[1] = { kds[1] };
	ans[0] = answer_of(only_new, 1);
	ans[1] = answer_of(only_new, 1);
	is_int(TLD_PARENT_UNEXPECTED, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)),
	       "old DS dropped too early: unexpected, no advance");

	struct tld_ds_rec extra[3] = { kds[0], kds[1], ds_of(200, 0x99) }; /* a second digest of 200 */
	ans[0] = answer_of(extra, 3);
	ans[1] = answer_of(extra, 3);
	is_int(TLD_PARENT_UNEXPECTED, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)),
	       "an extra DS: not exactly the expected set");

	ans[0] = answer_of(both, 2);
	ans[1] = answer_of(both, 2);
	ans[1].status = TLD_ENET;
	snprintf(ans[1].error, sizeof(ans[1].error), "no answer (timeout)");
	is_int(TLD_PARENT_ERROR, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)), "one server silent: error");
	ok(strstr(w, "127.0.0.1@15802: no answer") != NULL, "error in words: %s", w);

	/* a pending `ds seen` for 200 counts as done: nothing awaited */
	struct tld_ds_confirm c = { 2, false, T0 + 2 * DAY };
	is_int(TLD_OK, tld_parent_expect_build(keys, 3, kds, &c, 1, &e), "pending seen: built");
	is_int(0, (long long)(e.n_seen + e.n_gone), "pending seen: nothing awaited");
	is_int(TLD_PARENT_IDLE, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)), "idle: no verdict");

	/* phase 2: new DS omnipresent, old DS to be withdrawn */
	keys[1].st[TLD_KR_DS] = TLD_KS_OMNIPRESENT;
	keys[0].goal = false;
	keys[0].ds_withdraw = T0 + 5 * DAY;
	is_int(TLD_OK, tld_parent_expect_build(keys, 3, kds, NULL, 0, &e), "phase 2: built");
	is_int(1, (long long)e.n_gone, "phase 2: one DS to go");
	is_int(100, e.gone_tag[0], "phase 2: the old KSK's");
	is_int(2, (long long)e.before.n, "phase 2: before = {old, new}");
	is_int(1, (long long)e.after.n, "phase 2: after = {new}");
	ans[0] = answer_of(only_new, 1);
	ans[1] = answer_of(only_new, 1);
	is_int(TLD_PARENT_DONE, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)), "phase 2: old gone: done");
	struct tld_ds_rec none[1];
	ans[0] = answer_of(none, 0);
	ans[1] = answer_of(none, 0);
	is_int(TLD_PARENT_UNEXPECTED, tld_parent_judge(&e, servers, ans, 2, w, sizeof(w)),
	       "phase 2: no DS at all: unexpected");

	/* a key whose DS matters but cannot be computed */
	kds[1].len = 0;
	is_int(TLD_EKEY, tld_parent_expect_build(keys, 3, kds, NULL, 0, &e), "missing DS RDATA: TLD_EKEY");
}

static void test_waiting(void)
{
	struct tld_keystate keys[2];
	keys[0] = ksk(1, 100, TLD_KS_OMNIPRESENT);
	keys[1] = ksk(2, 200, TLD_KS_HIDDEN);
	is_int(0, tld_keyplan_waiting_seconds(keys, 2, T0), "nothing asked: no wait");
	keys[1].ds_requested = T0 - 3 * DAY;
	is_int(3 * DAY, tld_keyplan_waiting_seconds(keys, 2, T0), "DS asked 3 days ago");
	keys[0].ds_withdraw = T0 - 9 * DAY;
	is_int(9 * DAY, tld_keyplan_waiting_seconds(keys, 2, T0), "withdrawal asked 9 days ago: the longest");
	keys[1].st[TLD_KR_DS] = TLD_KS_RUMOURED; /* seen: waits on TTLs now, not the parent */
	keys[0].st[TLD_KR_DS] = TLD_KS_UNRETENTIVE;
	is_int(0, tld_keyplan_waiting_seconds(keys, 2, T0), "both confirmed: no wait on the parent");
}

static void test_cds_delete(void)
{
	size_t len = 0;
	const uint8_t *rd = tld_cds_delete_rdata(&len);
	static const uint8_t cds[] = { 0, 0, 0, 0, 0 }, cdnskey[] = { 0, 0, 3, 0, 0 };
	is_mem(cds, sizeof(cds), rd, len, "CDS 0 0 0 00 (RFC 8078 section 4)");
	rd = tld_cdnskey_delete_rdata(&len);
	is_mem(cdnskey, sizeof(cdnskey), rd, len, "CDNSKEY 0 3 0 AA== (RFC 8078 section 4)");
}

static struct tld_policy *parse(const char *text, int want)
{
	struct tld_diag d = { 0 };
	struct tld_policy *pol = NULL;
	is_int(want, tld_policy_parse("p.yaml", text, strlen(text), &d, &pol), "parse: %s", text);
	for (size_t i = 0; i < d.count; i++) {
		diag("%s", d.msgs[i]);
	}
	tld_diag_clear(&d);
	return pol;
}

static void test_policy_keys(void)
{
	struct tld_policy *pol = parse("algorithm: ecdsap256sha256\n", TLD_OK);
	if (pol != NULL) {
		is_int(7 * DAY, pol->parent.ds_wait_warning, "parent.ds-wait-warning defaults to 7d");
		ok(!tld_keyplan_cds_delete(pol), "default: no delete records");
		tld_policy_free(pol);
	}
	pol = parse("parent: {cds: delete, ds-wait-warning: 2d, nameservers: [\"127.0.0.1@15801\"]}\n", TLD_OK);
	if (pol != NULL) {
		ok(tld_keyplan_cds_delete(pol), "parent.cds: delete");
		is_int(2 * DAY, pol->parent.ds_wait_warning, "parent.ds-wait-warning: 2d");
		tld_policy_free(pol);
	}
	tld_policy_free(parse("parent: {cds: remove}\n", TLD_ECONFIG));
	tld_policy_free(parse("parent: {ds-wait-warning: soon}\n", TLD_ECONFIG));
}

/* Nothing listens on this loopback port (the test range's last port). */
static void test_query_no_server(void)
{
	struct tld_parent_answer a;
	int ret = tld_parent_query_ds("127.0.0.1@15849", "test.", 200, &a);
	is_int(TLD_ENET, ret, "no server: TLD_ENET");
	is_int(TLD_ENET, a.status, "status recorded");
	ok(strstr(a.error, "no answer") != NULL, "said in words: %s", a.error);
	is_int(TLD_EINVAL, tld_parent_query_ds("not-an-address", "test.", 200, &a), "bad address refused");
	ok(strstr(a.error, "not-an-address") != NULL, "bad address named: %s", a.error);
}

int main(void)
{
	plan_lazy();
	test_sets();
	test_double_ds_phases();
	test_waiting();
	test_cds_delete();
	test_policy_keys();
	test_query_no_server();
	return exit_status();
}
