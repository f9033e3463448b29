/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The check of a patch's splice plan against the text formatted after the
 * signatures (signer/patch_internal.h: sign_patch_plan_check()): a plan
 * made from the run's names is used only when the formatted blocks are the
 * planned ones -- as many, the same ones empty, each other block's owner
 * the planned one (upper case and \DDD escapes read as the parser reads
 * them).  Every difference is refused: a block more or fewer, an empty
 * block planned with text or the other way round, an owner one byte off,
 * one label more, a prefix, an owner that is no name, a relative owner.
 * (That the plan itself puts the blocks where the whole-zone path writes
 * them is tested by test_signer_patch.c, fuzz_patch and 84-run-patch.sh.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/patch_internal.h"
#include "signer/zparse.h"
#include "tests/tap/tap.h"

#define MAXB 8

struct fixture {
	struct sign_patch_plan plan;
	uint8_t keys[MAXB * SIGNER_KEY_MAX];
	size_t key_off[MAXB + 1];
	uint8_t empty[MAXB];
	char text[4096];
	size_t tlen;
	struct signer_sigfile_block mb[MAXB];
	size_t nmb;
};

/* Plans block i with the owner name (presentation form, absolute; NULL: an empty block). */
static void plan_block(struct fixture *f, const char *name)
{
	size_t i = f->plan.nblocks, klen = 0;
	if (name != NULL) {
		uint8_t wire[SIGNER_DNAME_MAX];
		size_t wl = signer_zparse_name(name, strlen(name), NULL, wire);
		klen = wl > 0 ? signer_dname_key(wire, f->keys + f->key_off[i]) : 0;
	}
	f->empty[i] = name == NULL;
	f->key_off[i + 1] = f->key_off[i] + klen;
	f->plan.nblocks++;
}

/* Appends a formatted block of text (its lines; "" an empty block). */
static void text_block(struct fixture *f, const char *lines)
{
	size_t n = strlen(lines);
	memcpy(f->text + f->tlen, lines, n);
	f->tlen += n;
	f->mb[f->nmb++] = (struct signer_sigfile_block){ .len = (uint32_t)n };
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->plan.keys = f->keys;
	f->plan.key_off = f->key_off;
	f->plan.empty = f->empty;
}

static int check(struct fixture *f)
{
	return sign_patch_plan_check(&f->plan, f->text, f->mb, f->nmb);
}

/* The planned blocks of most cases: the apex, an empty non-terminal, a name, an NSEC3 record. */
static void plan_usual(struct fixture *f)
{
	fixture_init(f);
	plan_block(f, "test.");
	plan_block(f, NULL);
	plan_block(f, "a.nic.test.");
	plan_block(f, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test.");
}

static void text_usual(struct fixture *f, const char *third)
{
	text_block(f, "test.\t3600\tIN\tSOA\tns1.test. h.test. 1 2 3 4 5\ntest.\t3600\tIN\tRRSIG\tSOA 15 1 ...\n");
	text_block(f, "");
	text_block(f, third);
	text_block(f, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test.\t300\tIN\tNSEC3\t1 0 0 - x\n");
}

static void test_same(void)
{
	struct fixture f;
	plan_usual(&f);
	text_usual(&f, "a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_OK, check(&f), "the formatted blocks are the planned ones");

	plan_usual(&f);
	text_usual(&f, "A.Nic.TEST.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_OK, check(&f), "an owner in upper case: the same name");

	plan_usual(&f);
	text_usual(&f, "\\097.nic.test. 300 IN A 192.0.2.1\n");
	is_int(TLD_OK, check(&f), "an owner with an escape (parsed) and spaces");

	fixture_init(&f);
	plan_block(&f, "a\\000b.test.");
	text_block(&f, "a\\000b.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_OK, check(&f), "an owner with a zero byte (escaped in its key)");

	fixture_init(&f);
	is_int(TLD_OK, check(&f), "no blocks, none planned");
}

static void test_refused(void)
{
	tld_log_init(TLD_LOG_ERROR + 0, false);
	struct fixture f;
	plan_usual(&f);
	text_usual(&f, "b.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "an owner one byte off");

	plan_usual(&f);
	text_usual(&f, "x.a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "an owner one label more");

	plan_usual(&f);
	text_usual(&f, "nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "an owner the planned one's parent");

	plan_usual(&f);
	text_usual(&f, "a.nic.test\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "a relative owner");

	plan_usual(&f);
	text_usual(&f, "a..nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "an owner that is no name");

	plan_usual(&f);
	text_usual(&f, "\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "a block without an owner");

	plan_usual(&f);
	text_usual(&f, "");
	is_int(TLD_EAGAIN, check(&f), "a block planned with text formatted empty");

	plan_usual(&f);
	f.empty[1] = 0;
	text_usual(&f, "a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "an empty non-terminal's block planned with text, formatted empty");

	plan_usual(&f);
	text_block(&f, "test.\t3600\tIN\tSOA\tns1.test. h.test. 1 2 3 4 5\n");
	text_block(&f, "nic.test.\t300\tIN\tTXT\t\"x\"\n");
	text_block(&f, "a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	text_block(&f, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test.\t300\tIN\tNSEC3\t1 0 0 - x\n");
	is_int(TLD_EAGAIN, check(&f), "an empty block planned formatted with text");

	plan_usual(&f);
	text_usual(&f, "a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	text_block(&f, "z.test.\t300\tIN\tA\t192.0.2.9\n");
	is_int(TLD_EAGAIN, check(&f), "a block more than planned");

	plan_usual(&f);
	text_block(&f, "test.\t3600\tIN\tSOA\tns1.test. h.test. 1 2 3 4 5\n");
	text_block(&f, "");
	text_block(&f, "a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "a block fewer than planned");

	plan_usual(&f);
	text_block(&f, "test.\t3600\tIN\tSOA\tns1.test. h.test. 1 2 3 4 5\n");
	text_block(&f, "");
	text_block(&f, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test.\t300\tIN\tNSEC3\t1 0 0 - x\n");
	text_block(&f, "a.nic.test.\t300\tIN\tA\t192.0.2.1\n");
	is_int(TLD_EAGAIN, check(&f), "two blocks the other way round");
}

/* A planner zeroed but never started gives no plan to use (the whole zone is signed), and ends cleanly. */
static void test_never_started(void)
{
	struct sign_patch_planner pl;
	memset(&pl, 0, sizeof(pl));
	ok(sign_patch_plan_join(&pl, NULL) == TLD_EAGAIN, "a planner never started has no plan");
	sign_patch_plan_end(&pl);
	ok(pl.plan.pos == NULL, "and ends with nothing to free");
}

int main(void)
{
	plan_lazy();
	test_same();
	test_refused();
	test_never_started();
	return exit_status();
}
