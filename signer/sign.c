/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * signer_sign_file(): read, add the key RRsets, build, chain, plan every
 * signature (reuse or new), sign the new ones in large batches through the
 * HSM pool, write.
 */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "hsm/keys.h"
#include "policy/keyplan.h"
#include "signer/dname.h"
#include "signer/grow.h"
#include "signer/patch_internal.h"
#include "signer/rrsig.h"
#include "signer/rrtype.h"
#include "signer/sign_internal.h"
#include "signer/textout.h"
#include "signer/timing.h"
#include "signer/typebitmap.h"
#include "signer/zone_read.h"
#include "signer/zparse.h"

/*
 * New signatures per HSM batch, and the most message bytes held at once.
 * Each batch costs a fork and a login per worker (a few ms); 50,000 items
 * amortise that and keep the messages of a batch to a few MiB.
 */
#define BATCH_ITEMS 50000
#define BATCH_BYTES (16u << 20)

/* Slots ahead whose previous signatures are fetched into the cache while one is planned. */
#define PLAN_AHEAD 8

/* Threads hashing the RRsets at most, and slots per thread at least. */
#define HASH_THREADS_MAX 16
#define HASH_MIN_SLOTS 256

/* -- internal API -- */

/* CPU seconds (user + system) of the process and its waited-for children (the HSM workers forked per batch) */
static double cpu_seconds(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) /
	               1e6;
}

/* Peak resident memory so far (VmHWM), MiB; 0 when unknown */
static unsigned long peak_mib(void)
{
	char line[256];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0) {
			kib = strtoul(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib / 1024;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool is_key_type(uint16_t t)
{
	return t == SIGNER_T_DNSKEY || t == SIGNER_T_CDS || t == SIGNER_T_CDNSKEY;
}

/* SOA serial of a wire SOA RDATA (names, then serial) */
static uint8_t *soa_serial_at(const struct signer_zone *z)
{
	const struct signer_rr *soa = &z->rrs[z->soa_rr];
	return z->rdata + soa->rdoff + soa->rdlen - 20;
}

struct prev_soa {
	bool found;
	uint32_t serial;
};

static int prev_soa_cb(void *ctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                       const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct prev_soa *p = ctx;
	(void)owner, (void)rclass, (void)ttl, (void)line;
	if (type != SIGNER_T_SOA || rdlen < 22) {
		return TLD_OK;
	}
	p->found = true;
	p->serial = get32(rdata + rdlen - 20);
	return TLD_ECANCELED; /* stop: the SOA is all we need */
}

int sign_text_soa_serial(const char *file, const char *text, size_t len, const uint8_t *origin, bool quiet,
                         bool *found, uint32_t *serial)
{
	struct prev_soa p = { 0 };
	int ret;
	if (quiet) {
		struct signer_zparse_slice sl = { .first_line = 1, .quiet = true };
		ret = signer_zparse_slice(file, text, len, origin, &sl, prev_soa_cb, &p);
	} else {
		ret = signer_zparse(file, text, len, origin, prev_soa_cb, &p);
	}
	*found = p.found;
	*serial = p.serial;
	return ret == TLD_ECANCELED ? TLD_OK : ret;
}

/* The SOA serial of the previous signed version (its first SOA record). */
static int previous_serial(const char *path, const uint8_t *origin, bool *have, uint32_t *serial)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT) {
			*have = false;
			return TLD_OK;
		}
		tld_error("%s: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* the SOA opens our files; read more only when it does not */
	size_t want = size > 0 ? (size_t)size : 0;
	if (want > (1u << 20)) {
		want = 1u << 20;
	}
	struct prev_soa p = { 0 };
	int ret = TLD_OK;
	for (;;) {
		char *buf = malloc(want ? want : 1);
		if (buf == NULL) {
			ret = TLD_ENOMEM;
			break;
		}
		fseek(f, 0, SEEK_SET);
		size_t got = fread(buf, 1, want, f);
		/* cut at the last newline so no record is half read */
		while (got > 0 && (long)got < size && buf[got - 1] != '\n') {
			got--;
		}
		ret = sign_text_soa_serial(path, buf, got, origin, false, &p.found, &p.serial);
		free(buf);
		if (p.found || ret != TLD_OK || (long)want >= size) {
			break;
		}
		want = (size_t)size;
	}
	fclose(f);
	if (ret != TLD_OK) {
		tld_error("%s: cannot read the previous signed version", path);
		return ret;
	}
	*have = p.found;
	*serial = p.serial;
	return TLD_OK;
}

/* The DNSKEY, CDS, CDNSKEY and NSEC3PARAM RRsets, before the build. */
static int add_signer_records(struct sign_run *run)
{
	struct signer_zone *z = run->z;
	const struct tld_policy *pol = run->o->policy;
	const struct signer_keyset *ks = run->ks;
	uint32_t soa_ttl = 0, minimum = 0;
	for (size_t i = 0; i < z->nrrs; i++) {
		if (z->rrs[i].type == SIGNER_T_SOA && z->rrs[i].rdlen >= 22) {
			soa_ttl = z->rrs[i].ttl;
			minimum = get32(z->rdata + z->rrs[i].rdoff + z->rrs[i].rdlen - 4);
			break;
		}
	}
	uint32_t key_ttl = pol->ttl.dnskey ? pol->ttl.dnskey : soa_ttl;
	int ret = TLD_OK;
	for (size_t i = 0; i < ks->n && ret == TLD_OK; i++) {
		const struct signer_key *k = &ks->keys[i];
		if (!ks->use[i].publish) {
			continue;
		}
		ret = signer_zone_add(z, z->origin, SIGNER_T_DNSKEY, key_ttl, k->dnskey, k->dnskey_len, 0);
		if (ret == TLD_OK && ks->cds[i]) {
			uint8_t ds[64];
			size_t dslen = 0;
			ret = tld_ds_from_dnskey(run->o->cfg->zone, k->dnskey, k->dnskey_len, pol->parent.ds_digest, ds,
			                         sizeof(ds), &dslen);
			if (ret == TLD_OK) {
				ret = signer_zone_add(z, z->origin, SIGNER_T_CDS, key_ttl, ds, (uint16_t)dslen, 0);
			}
			if (ret == TLD_OK) {
				ret = signer_zone_add(z, z->origin, SIGNER_T_CDNSKEY, key_ttl, k->dnskey, k->dnskey_len, 0);
			}
		}
	}
	if (ret == TLD_OK && tld_keyplan_cds_delete(pol)) { /* RFC 8078: the only CDS/CDNSKEY */
		size_t len = 0;
		const uint8_t *rd = tld_cds_delete_rdata(&len);
		ret = signer_zone_add(z, z->origin, SIGNER_T_CDS, key_ttl, rd, (uint16_t)len, 0);
		rd = tld_cdnskey_delete_rdata(&len);
		if (ret == TLD_OK) {
			ret = signer_zone_add(z, z->origin, SIGNER_T_CDNSKEY, key_ttl, rd, (uint16_t)len, 0);
		}
	}
	if (ret == TLD_OK && pol->denial.type == TLD_DENIAL_NSEC3) {
		uint8_t rd[5 + 255];
		size_t len = signer_nsec3param_rdata(&run->n3p, rd);
		ret = signer_zone_add(z, z->origin, SIGNER_T_NSEC3PARAM, soa_ttl < minimum ? soa_ttl : minimum, rd,
		                      (uint16_t)len, 0);
	}
	return ret;
}

static int add_slot(struct sign_run *run, const struct slot *s)
{
	if (signer_grow((void **)&run->slots, &run->slots_cap, run->nslots + 1, sizeof(*run->slots)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	run->slots[run->nslots++] = *s;
	return TLD_OK;
}

/* Every RRset that gets signatures, in writing order (see sign_internal.h). */
static int make_slots(struct sign_run *run)
{
	const struct signer_zone *z = run->z;
	size_t nsec_i = 0;
	for (size_t i = 0; i < z->nnodes; i++) {
		const struct signer_node *n = &z->nodes[i];
		if (n->flags & SIGNER_NODE_OCCLUDED) {
			continue;
		}
		for (uint32_t r = 0; r < n->rr_count;) {
			uint32_t first = n->rr_first + r, count = 0;
			uint16_t type = z->rrs[first].type;
			while (r < n->rr_count && z->rrs[n->rr_first + r].type == type) {
				r++;
				count++;
			}
			/* at a zone cut only the DS RRset is authoritative (RFC 4035 2.2) */
			if ((n->flags & SIGNER_NODE_DELEG) && type != SIGNER_T_DS) {
				continue;
			}
			struct slot s = { .node = (uint32_t)i, .rr_first = first, .rr_count = count, .type = type,
			                  .kind = SLOT_ZONE,
			                  .key_rrset = (n->flags & SIGNER_NODE_APEX) && is_key_type(type) };
			if (add_slot(run, &s) != TLD_OK) {
				return TLD_ENOMEM;
			}
		}
		if (run->nsec != NULL && nsec_i < run->nsec->count && run->nsec->nodes[nsec_i] == i) {
			struct slot s = { .node = (uint32_t)i, .rr_first = (uint32_t)nsec_i++, .type = SIGNER_T_NSEC,
			                  .kind = SLOT_NSEC };
			if (add_slot(run, &s) != TLD_OK) {
				return TLD_ENOMEM;
			}
		}
	}
	run->nzone_slots = run->nslots;
	for (size_t j = 0; run->n3 != NULL && j < run->n3->count; j++) {
		struct slot s = { .node = (uint32_t)j, .type = SIGNER_T_NSEC3, .kind = SLOT_NSEC3 };
		if (add_slot(run, &s) != TLD_OK) {
			return TLD_ENOMEM;
		}
	}
	return TLD_OK;
}

static int tail_room(struct sign_run *run, size_t more)
{
	return signer_grow((void **)&run->tail, &run->tail_cap, run->tail_len + more, 1);
}

static uint8_t *tail_rr(struct sign_run *run, const uint8_t *owner, size_t ol, uint16_t type, uint32_t ttl,
                        const uint8_t *rd, uint16_t rdlen)
{
	uint8_t *p = run->tail + run->tail_len;
	memcpy(p, owner, ol);
	p += ol;
	p = put16(p, type);
	p = put16(p, 1);
	p = put32(p, ttl);
	p = put16(p, rdlen);
	memcpy(p, rd, rdlen);
	p += rdlen;
	run->tail_len = (size_t)(p - run->tail);
	return p;
}

static int hash_tail(struct sign_run *run, uint8_t *hash)
{
	uint8_t full[SIGNER_SHA256_LEN];
	int ret = signer_sha256_of(run->md, run->tail, run->tail_len, full);
	if (ret == TLD_OK) {
		memcpy(hash, full, SIGNER_SIGFILE_HASH);
	}
	return ret;
}

/* Which keys sign a slot */
static bool key_signs(const struct sign_run *run, size_t k, const struct slot *s)
{
	return s->key_rrset ? run->ks->use[k].sign_keys : run->ks->use[k].sign_zone;
}

static int arena_add(struct sign_run *run, const uint8_t *p, size_t len, uint64_t *off)
{
	if (signer_grow((void **)&run->arena, &run->arena_cap, run->arena_len + len, 1) != TLD_OK) {
		return TLD_ENOMEM;
	}
	memcpy(run->arena + run->arena_len, p, len);
	*off = run->arena_len;
	run->arena_len += len;
	return TLD_OK;
}

static int add_sig(struct sign_run *run, uint32_t slot, uint32_t *index)
{
	if (run->nsigs >= UINT32_MAX - 1 ||
	    signer_grow((void **)&run->sigs, &run->sigs_cap, run->nsigs + 1, sizeof(*run->sigs)) != TLD_OK) {
		return TLD_ENOMEM;
	}
	run->sigs[run->nsigs] = (struct sig){ 0, 0, slot };
	*index = (uint32_t)run->nsigs++;
	return TLD_OK;
}

/* Signs the waiting batch and stores header + signature of each. */
static int flush_batch(struct sign_run *run)
{
	struct tld_sign_result *res = NULL;
	if (run->nreqs == 0) {
		return TLD_OK;
	}
	int ret = TLD_OK;
	if (run->pool == NULL) {
		ret = tld_signpool_open_started(run->o->started, run->o->cfg, run->ks->pool, run->ks->npool,
		                                run->o->workers, &run->pool);
		if (ret != TLD_OK) {
			tld_error("signing: cannot open the HSM: %s", tld_strerror(ret));
			return ret;
		}
	}
	for (size_t i = 0; i < run->nreqs; i++) {
		run->reqs[i].msg = run->msgs + run->req_off[i];
	}
	ret = tld_signpool_sign(run->pool, run->reqs, run->nreqs, &res);
	if (ret != TLD_OK) {
		tld_error("signing: %s (%s)", tld_strerror(ret), tld_signpool_error(run->pool));
		return ret;
	}
	run->batches++;
	if (res->failed > 0) {
		tld_error("signing: %zu of %zu signatures failed: %s", res->failed, res->count,
		          tld_signpool_error(run->pool));
		ret = TLD_EHSM;
		for (size_t i = 0; i < res->count; i++) {
			if (res->err[i] != TLD_OK) {
				ret = res->err[i];
				break;
			}
		}
		goto fail;
	}
	for (size_t i = 0; i < run->nreqs; i++) {
		size_t hl = run->req_hlen[i];
		size_t need = hl + res->len[i];
		if (signer_grow((void **)&run->arena, &run->arena_cap, run->arena_len + need, 1) != TLD_OK) {
			ret = TLD_ENOMEM;
			goto fail;
		}
		struct sig *sg = &run->sigs[run->req_sig[i]];
		memcpy(run->arena + run->arena_len, run->msgs + run->req_off[i], hl);
		memcpy(run->arena + run->arena_len + hl, res->sig + res->offset[i], res->len[i]);
		sg->off = run->arena_len;
		sg->len = (uint32_t)need;
		run->arena_len += need;
	}
	run->fresh += run->nreqs;
	run->nreqs = 0;
	run->msgs_len = 0;
fail:
	tld_sign_result_free(res);
	return ret;
}

/* Queues a new signature of slot s by key k; run->tail holds the RRset. */
static int queue_sig(struct sign_run *run, uint32_t si, size_t k, const uint8_t *owner, uint32_t ttl)
{
	const struct slot *s = &run->slots[si];
	const struct signer_key *key = &run->ks->keys[k];
	struct signer_sig_times times;
	int ret = signer_sig_times(run->o->policy, s->type, owner, run->seed, run->o->now, &times);
	if (ret != TLD_OK) {
		tld_error("signing: the policy's signature times are unusable (%s)", tld_strerror(ret));
		return ret;
	}
	struct signer_rrsig_fields f = {
		.type_covered = s->type,
		.algorithm = key->algorithm,
		.labels = signer_rrsig_labels(owner),
		.original_ttl = ttl,
		.expiration = times.expiration,
		.inception = times.inception,
		.key_tag = key->key_tag,
		.signer = run->z->origin,
	};
	uint8_t hdr[18 + SIGNER_DNAME_MAX];
	size_t hl = signer_rrsig_header(&f, hdr);
	uint32_t sig;
	if (add_sig(run, si, &sig) != TLD_OK ||
	    signer_grow((void **)&run->msgs, &run->msgs_cap, run->msgs_len + hl + run->tail_len, 1) != TLD_OK) {
		return TLD_ENOMEM;
	}
	if (run->nreqs >= run->reqs_cap) {
		size_t cap = run->reqs_cap ? run->reqs_cap * 2 : 4096;
		void *a = realloc(run->reqs, cap * sizeof(*run->reqs));
		if (a != NULL) {
			run->reqs = a;
		}
		void *b = realloc(run->req_off, cap * sizeof(*run->req_off));
		if (b != NULL) {
			run->req_off = b;
		}
		void *c = realloc(run->req_sig, cap * sizeof(*run->req_sig));
		if (c != NULL) {
			run->req_sig = c;
		}
		void *d = realloc(run->req_hlen, cap * sizeof(*run->req_hlen));
		if (d != NULL) {
			run->req_hlen = d;
		}
		if (a == NULL || b == NULL || c == NULL || d == NULL) {
			return TLD_ENOMEM;
		}
		run->reqs_cap = cap;
	}
	memcpy(run->msgs + run->msgs_len, hdr, hl);
	memcpy(run->msgs + run->msgs_len + hl, run->tail, run->tail_len);
	size_t r = run->nreqs++;
	run->reqs[r] = (struct tld_sign_req){ .key = key->pool_index, .len = (uint32_t)(hl + run->tail_len) };
	run->req_off[r] = run->msgs_len;
	run->req_sig[r] = sig;
	run->req_hlen[r] = (uint16_t)hl;
	run->msgs_len += hl + run->tail_len;
	if (run->nreqs >= BATCH_ITEMS || run->msgs_len >= BATCH_BYTES) {
		return flush_batch(run);
	}
	return TLD_OK;
}

/* Whether an old RRSIG can stay: key still signs this slot, expiry beyond the refresh window. */
static bool reusable(const struct sign_run *run, const struct slot *s, const uint8_t *rd, uint16_t len,
                     uint32_t ttl, uint8_t labels, size_t *key)
{
	const struct signer_zone *z = run->z;
	if (len <= 18 + z->origin_len || (rd[0] << 8 | rd[1]) != s->type || rd[3] != labels ||
	    get32(rd + 4) != ttl || memcmp(rd + 18, z->origin, z->origin_len) != 0) {
		return false;
	}
	tld_time_t now = run->o->now;
	tld_time_t exp = signer_rrsig_time_abs(get32(rd + 8), now);
	tld_time_t inc = signer_rrsig_time_abs(get32(rd + 12), now);
	if (exp <= now + run->o->policy->signatures.refresh || inc > now) {
		return false;
	}
	uint16_t tag = (uint16_t)(rd[16] << 8 | rd[17]);
	for (size_t k = 0; k < run->ks->n; k++) {
		const struct signer_key *kk = &run->ks->keys[k];
		if (kk->key_tag == tag && kk->algorithm == rd[2] && key_signs(run, k, s)) {
			*key = k;
			return true;
		}
	}
	return false;
}

/* Owner and TTL of a slot without building its RRset. */
static void slot_owner_ttl(const struct sign_run *run, const struct slot *s, uint8_t *owner, uint32_t *ttl)
{
	const struct signer_zone *z = run->z;
	if (s->kind == SLOT_NSEC3) {
		signer_nsec3_owner(z, run->n3, s->node, owner);
		*ttl = run->n3->ttl;
		return;
	}
	const struct signer_node *n = &z->nodes[s->node];
	memcpy(owner, signer_node_wire(z, n), n->wire_len);
	*ttl = s->kind == SLOT_NSEC ? run->nsec->ttl : z->rrs[s->rr_first].ttl;
}

/* One thread of hash_all_slots(): a shallow copy of the run with its own scratch buffers. */
struct hash_job {
	struct sign_run local;
	size_t from, to;
	int ret;
};

static void *hash_job_run(void *arg)
{
	struct hash_job *j = arg;
	uint8_t owner[SIGNER_DNAME_MAX];
	uint32_t ttl;
	for (size_t i = j->from; i < j->to && j->ret == TLD_OK; i++) {
		struct slot *s = &j->local.slots[i];
		j->ret = sign_slot_tail(&j->local, s, owner, &ttl);
		if (j->ret == TLD_OK) {
			j->ret = hash_tail(&j->local, s->hash);
		}
	}
	return NULL;
}

/*
 * The hash of every slot's RRset, on all cores (contiguous slot ranges; each
 * thread writes only the hashes of its range).  The rest of the run is only
 * read meanwhile.
 */
static int hash_all_slots(struct sign_run *run)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus < 1 ? 1 : cpus > HASH_THREADS_MAX ? HASH_THREADS_MAX : (size_t)cpus;
	if (nt > run->nslots / HASH_MIN_SLOTS + 1) {
		nt = run->nslots / HASH_MIN_SLOTS + 1;
	}
	struct hash_job *jobs = calloc(nt, sizeof(*jobs));
	pthread_t tid[HASH_THREADS_MAX];
	size_t started = 0, ready = 0;
	int ret = TLD_ENOMEM;
	if (jobs == NULL) {
		return TLD_ENOMEM;
	}
	for (; ready < nt; ready++) {
		struct hash_job *j = &jobs[ready];
		j->local = *run;
		j->local.tail = NULL;
		j->local.tail_len = j->local.tail_cap = 0;
		j->local.rdbuf = malloc(SIGN_RDBUF_SIZE);
		j->local.md = NULL;
		j->from = run->nslots * ready / nt;
		j->to = run->nslots * (ready + 1) / nt;
		ret = j->local.rdbuf == NULL ? TLD_ENOMEM : signer_sha256_new(run->sha256, &j->local.md);
		if (ret != TLD_OK) {
			ready++;
			goto fail;
		}
	}
	for (size_t k = 1; k < nt; k++) {
		if (pthread_create(&tid[k - 1], NULL, hash_job_run, &jobs[k]) != 0) {
			break;
		}
		started = k;
	}
	for (size_t k = started + 1; k < nt; k++) { /* no thread for these: here */
		hash_job_run(&jobs[k]);
	}
	hash_job_run(&jobs[0]);
	for (size_t k = 1; k <= started; k++) {
		pthread_join(tid[k - 1], NULL);
	}
	ret = TLD_OK;
	for (size_t k = 0; k < nt && ret == TLD_OK; k++) {
		ret = jobs[k].ret;
	}
	run->hashed = ret == TLD_OK;
fail:
	for (size_t k = 0; k < ready; k++) {
		free(jobs[k].local.tail);
		free(jobs[k].local.rdbuf);
		signer_sha256_free(jobs[k].local.md);
	}
	free(jobs);
	return ret;
}

/* Hashes the SOA RRset again (its serial changed after hash_all_slots()). */
static int rehash_soa(struct sign_run *run)
{
	uint8_t owner[SIGNER_DNAME_MAX];
	uint32_t ttl;
	for (size_t i = 0; i < run->nzone_slots && run->slots[i].node == 0; i++) {
		struct slot *s = &run->slots[i];
		if (s->kind == SLOT_ZONE && s->type == SIGNER_T_SOA) {
			int ret = sign_slot_tail(run, s, owner, &ttl);
			return ret == TLD_OK ? hash_tail(run, s->hash) : ret;
		}
	}
	return TLD_OK;
}

/*
 * Plans one slot: hash its RRset (unless hash_all_slots() did), keep what the
 * previous version has that is still good, queue the rest.  With dry, only
 * says whether everything would be kept (and nothing dropped).
 */
static int plan_slot(struct sign_run *run, uint32_t si, bool dry, bool *all_kept)
{
	struct slot *s = &run->slots[si];
	uint8_t owner[SIGNER_DNAME_MAX];
	uint32_t ttl;
	bool have_tail = !run->hashed;
	int ret = TLD_OK;
	if (run->hashed) {
		slot_owner_ttl(run, s, owner, &ttl);
	} else {
		ret = sign_slot_tail(run, s, owner, &ttl);
		if (ret == TLD_OK) {
			ret = hash_tail(run, s->hash);
		}
	}
	if (ret != TLD_OK) {
		return ret;
	}
	uint8_t labels = signer_rrsig_labels(owner);
	bool covered[64] = { false };
	size_t nkeys = run->ks->n < 64 ? run->ks->n : 64;
	size_t kept = 0, dropped = 0;
	const struct signer_sigfile_entry *e = run->match != NULL ? run->match[si]
	                                       : run->prev != NULL ? signer_sigfile_find(run->prev, s->hash)
	                                                           : NULL;
	if (!dry) {
		s->sig_first = (uint32_t)run->nsigs;
		s->nsigs = 0;
		run->matched += e != NULL;
	}
	if (e != NULL) {
		size_t pos = 0;
		const uint8_t *rd;
		uint16_t len;
		while (signer_sigfile_next(run->prev, e, &pos, &rd, &len)) {
			size_t k;
			if (!reusable(run, s, rd, len, ttl, labels, &k) || k >= nkeys || covered[k]) {
				dropped++;
				continue;
			}
			covered[k] = true;
			kept++;
			if (!dry) {
				uint32_t idx;
				if (add_sig(run, si, &idx) != TLD_OK ||
				    arena_add(run, rd, len, &run->sigs[idx].off) != TLD_OK) {
					return TLD_ENOMEM;
				}
				run->sigs[idx].len = len;
				s = &run->slots[si];
				s->nsigs++;
			}
		}
	}
	size_t needed = 0;
	for (size_t k = 0; k < nkeys; k++) {
		if (!key_signs(run, k, s) || covered[k]) {
			continue;
		}
		needed++;
		if (!dry) {
			if (!have_tail) { /* the RRset itself only now: it is signed */
				ret = sign_slot_tail(run, s, owner, &ttl);
				if (ret != TLD_OK) {
					return ret;
				}
				have_tail = true;
			}
			ret = queue_sig(run, si, k, owner, ttl);
			if (ret != TLD_OK) {
				return ret;
			}
			s = &run->slots[si];
			s->nsigs++;
		}
	}
	if (dry) {
		*all_kept = e != NULL && needed == 0 && dropped == 0;
	} else {
		run->reused += kept;
		run->dropped += dropped;
	}
	return TLD_OK;
}

/*
 * sign_node_digests() on its own thread while the chain is built: it only
 * reads the zone (built, not changed by the chain) and run->sha256, and
 * writes only run->node_digest and run->unsigned_hash, which nothing reads
 * until it is joined.
 */
struct nodes_job {
	struct sign_run *run;
	int ret;
};

static void *nodes_thread(void *arg)
{
	struct nodes_job *j = arg;
	j->ret = sign_node_digests(j->run);
	return NULL;
}

/* Would this run change nothing against the previous version (SOA serial set to the old one)? */
static int unchanged_against_prev(struct sign_run *run, bool *unchanged)
{
	*unchanged = false;
	/*
	 * before version 4 the unsigned hash was taken otherwise: never equal;
	 * a patch run's file has none (zero): never equal either
	 */
	const struct signer_sigfile_patch *pp = run->prev != NULL ? run->prev->patch : NULL;
	if (run->prev == NULL || run->prev->hdr->version < SIGNER_SIGFILE_NODE_DIGESTS ||
	    (pp != NULL && (pp->flags & SIGNER_SIGFILE_PATCHED) != 0) || run->prev->hdr->nentries != run->nslots ||
	    memcmp(run->prev->hdr->unsigned_hash, run->unsigned_hash, sizeof(run->unsigned_hash)) != 0) {
		return TLD_OK;
	}
	for (size_t i = 0; i < run->nslots; i++) {
		bool kept = false;
		int ret = plan_slot(run, (uint32_t)i, true, &kept);
		if (ret != TLD_OK) {
			return ret;
		}
		if (!kept) {
			return TLD_OK;
		}
	}
	*unchanged = true;
	return TLD_OK;
}

static uint64_t zone_seed(const uint8_t *origin, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ origin[i]) * 0x100000001b3ULL;
	}
	return h;
}

static int check_origin(const struct sign_run *run)
{
	uint8_t want[SIGNER_DNAME_MAX];
	size_t wl = 0;
	if (tld_dname_to_wire(run->o->cfg->zone, want, sizeof(want), &wl) != TLD_OK || wl != run->z->origin_len ||
	    memcmp(want, run->z->origin, wl) != 0) {
		char have[1024];
		signer_dname_to_text(run->z->origin, have, sizeof(have));
		tld_error("%s: the zone is %s but the configuration signs %s", run->o->input, have, run->o->cfg->zone);
		return TLD_EZONE;
	}
	return TLD_OK;
}

/* Frees the batch buffers (messages and requests). */
static void release_batch(struct sign_run *run)
{
	free(run->reqs);
	free(run->req_off);
	free(run->req_sig);
	free(run->req_hlen);
	free(run->msgs);
	run->reqs = NULL;
	run->req_off = NULL;
	run->req_sig = NULL;
	run->req_hlen = NULL;
	run->msgs = NULL;
	run->nreqs = run->reqs_cap = 0;
	run->msgs_len = run->msgs_cap = 0;
}

static void run_clear(struct sign_run *run)
{
	tld_signpool_close(run->pool);
	signer_keyset_free(run->ks);
	signer_nsec3_chain_free(run->n3);
	signer_nsec_chain_free(run->nsec);
	signer_sigfile_close(run->prev);
	signer_zone_free(run->z);
	free(run->slots);
	free(run->sigs);
	free(run->arena);
	free(run->tail);
	free(run->rdbuf);
	free(run->node_digest);
	free(run->order);
	free(run->match);
	release_batch(run);
	signer_sha256_free(run->md);
	EVP_MD_free(run->sha256);
}

static int open_previous(struct sign_run *run, const char *previous)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s%s", previous, SIGNER_SIGFILE_SUFFIX);
	int ret = signer_sigfile_open(path, &run->prev);
	if (ret == TLD_ENOENT) {
		tld_info("%s: no signature side file; every signature is made anew", path);
		return TLD_OK;
	}
	if (ret == TLD_EPARSE) {
		return TLD_OK; /* logged; nothing reused */
	}
	if (ret != TLD_OK) {
		tld_error("%s: %s", path, tld_strerror(ret));
		return ret;
	}
	const struct signer_sigfile_header *h = run->prev->hdr;
	if (h->origin_len != run->z->origin_len || memcmp(h->origin, run->z->origin, h->origin_len) != 0) {
		tld_warning("%s: signatures of another zone; not reused", path);
		signer_sigfile_close(run->prev);
		run->prev = NULL;
	}
	return TLD_OK;
}

/*
 * Keeps the previous version's text index when the side file belongs to the
 * previous zone file (same SOA serial): sign_write() then copies the text of
 * unchanged stretches from that file.
 */
static void keep_text_index(struct sign_run *run, const char *previous, uint32_t prev_serial)
{
	const struct signer_sigfile *p = run->prev;
	if (p != NULL && p->text != NULL && p->text->nblocks > 0 && p->hdr->serial == prev_serial) {
		run->prev_text = previous; /* run->prev stays open until the text is written */
	}
}

/*
 * The previous version (its serial, its side file with the lookups
 * sigfile.c makes when it opens one, its text index), on a thread of its
 * own while the zone is built: it needs only the origin and writes only
 * have_prev, prev_serial, run->prev and run->prev_text, which nothing reads
 * before the join.
 */
struct prev_job {
	struct sign_run *run;
	bool have_prev;
	uint32_t prev_serial;
	int ret;
};

static void *prev_thread(void *arg)
{
	struct prev_job *j = arg;
	const char *previous = j->run->o->previous;
	j->ret = previous_serial(previous, j->run->z->origin, &j->have_prev, &j->prev_serial);
	if (j->ret == TLD_OK && j->have_prev) {
		j->ret = open_previous(j->run, previous);
	}
	if (j->ret == TLD_OK && j->have_prev) {
		keep_text_index(j->run, previous, j->prev_serial);
	}
	return NULL;
}

/* -- public API -- */

/* A value into a digest in a fixed width, big-endian (the digests are the same on every host). */
static int digest_u64(EVP_MD_CTX *c, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	}
	return EVP_DigestUpdate(c, b, sizeof(b)) == 1 ? TLD_OK : TLD_ECRYPTO;
}

int sign_patch_digests(struct sign_run *run)
{
	const struct tld_policy *pol = run->o->policy;
	const struct signer_keyset *ks = run->ks;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ret = c != NULL && EVP_DigestInit_ex(c, run->sha256, NULL) == 1 ? TLD_OK : TLD_ECRYPTO;
	/* the keys: what each does and its DNSKEY */
	ret = ret == TLD_OK ? digest_u64(c, ks->n) : ret;
	for (size_t i = 0; i < ks->n && ret == TLD_OK; i++) {
		const struct signer_key *k = &ks->keys[i];
		const struct signer_key_use *u = &ks->use[i];
		uint64_t word = (uint64_t)k->key_tag << 32 | (uint64_t)k->algorithm << 24 | (uint64_t)u->publish << 3 |
		                (uint64_t)u->sign_keys << 2 | (uint64_t)u->sign_zone << 1 | (uint64_t)ks->cds[i];
		ret = digest_u64(c, word);
		ret = ret == TLD_OK ? digest_u64(c, k->dnskey_len) : ret;
		if (ret == TLD_OK && EVP_DigestUpdate(c, k->dnskey, k->dnskey_len) != 1) {
			ret = TLD_ECRYPTO;
		}
	}
	ret = ret == TLD_OK ? digest_u64(c, tld_keyplan_cds_delete(pol)) : ret;
	if (ret == TLD_OK && EVP_DigestFinal_ex(c, run->keys_digest, NULL) != 1) {
		ret = TLD_ECRYPTO;
	}
	/* the policy: denial, signature times, key TTL and CDS digest */
	if (ret == TLD_OK && EVP_DigestInit_ex(c, run->sha256, NULL) != 1) {
		ret = TLD_ECRYPTO;
	}
	const uint64_t words[] = {
		(uint64_t)pol->denial.type, pol->denial.opt_out, pol->denial.iterations, pol->denial.salt_len,
		(uint64_t)pol->signatures.validity, (uint64_t)pol->signatures.dnskey_validity,
		(uint64_t)pol->signatures.refresh, (uint64_t)pol->signatures.jitter,
		(uint64_t)pol->signatures.inception_offset, pol->ttl.dnskey, pol->parent.ds_digest,
		SIGN_TEXT_FORMAT_VERSION,
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && ret == TLD_OK; i++) {
		ret = digest_u64(c, words[i]);
	}
	if (ret == TLD_OK && (EVP_DigestUpdate(c, pol->denial.salt, pol->denial.salt_len) != 1 ||
	                      EVP_DigestFinal_ex(c, run->policy_digest, NULL) != 1)) {
		ret = TLD_ECRYPTO;
	}
	EVP_MD_CTX_free(c);
	return ret;
}

int sign_slot_tail(struct sign_run *run, const struct slot *s, uint8_t *owner, uint32_t *ttl)
{
	const struct signer_zone *z = run->z;
	run->tail_len = 0;
	if (s->kind == SLOT_ZONE) {
		const struct signer_node *n = &z->nodes[s->node];
		memcpy(owner, signer_node_wire(z, n), n->wire_len);
		*ttl = z->rrs[s->rr_first].ttl;
		size_t need = 0;
		for (uint32_t i = 0; i < s->rr_count; i++) {
			need += n->wire_len + 10u + z->rrs[s->rr_first + i].rdlen;
		}
		if (need > 4 * 65536) {
			return TLD_ERANGE;
		}
		if (tail_room(run, need) != TLD_OK) {
			return TLD_ENOMEM;
		}
		for (uint32_t i = 0; i < s->rr_count; i++) {
			const struct signer_rr *rr = &z->rrs[s->rr_first + i];
			tail_rr(run, owner, n->wire_len, rr->type, *ttl, signer_rr_rdata(z, rr), rr->rdlen);
		}
		return TLD_OK;
	}
	size_t ol = 0;
	size_t len = sign_denial_rdata(run, s, run->rdbuf, owner, &ol);
	if (len == 0) {
		return TLD_ENOMEM;
	}
	*ttl = s->kind == SLOT_NSEC ? run->nsec->ttl : run->n3->ttl;
	if (tail_room(run, ol + 10 + len) != TLD_OK) {
		return TLD_ENOMEM;
	}
	tail_rr(run, owner, ol, s->type, *ttl, run->rdbuf, (uint16_t)len);
	return TLD_OK;
}

size_t sign_denial_rdata(const struct sign_run *run, const struct slot *s, uint8_t *rdbuf, uint8_t *owner,
                         size_t *owner_len)
{
	const struct signer_zone *z = run->z;
	if (s->kind == SLOT_NSEC) {
		const struct signer_node *n = &z->nodes[s->node];
		memcpy(owner, signer_node_wire(z, n), n->wire_len);
		*owner_len = n->wire_len;
		return signer_nsec_rdata(z, run->nsec, s->rr_first, rdbuf);
	}
	*owner_len = signer_nsec3_owner(z, run->n3, s->node, owner);
	if (*owner_len == 0) {
		return 0;
	}
	return signer_nsec3_rdata(z, run->n3, s->node, rdbuf);
}

/* Is the run's key set and policy the previous (patched) version's?  Logged when not. */
static bool patch_digests_match(const struct sign_run *run, const struct sign_patch *pc)
{
	const struct signer_sigfile_patch *p = pc->sf->patch;
	if (memcmp(p->keys_digest, run->keys_digest, sizeof(run->keys_digest)) != 0) {
		tld_info("signing: the keys or what they sign differ from the previous run's: the whole zone is signed");
		return false;
	}
	if (memcmp(p->policy_digest, run->policy_digest, sizeof(run->policy_digest)) != 0) {
		tld_info("signing: the signing policy differs from the previous run's: the whole zone is signed");
		return false;
	}
	return true;
}

/*
 * signer_sign_file(), or with pc the replaced names of a patch run
 * (patch_internal.h): no previous version read here (pc has it), the chain's
 * next hashes from pc, the text spliced into the previous one.
 */
static int sign_zone(const struct signer_sign_opts *o, struct sign_patch *pc, struct signer_sign_stats *stats)
{
	struct sign_run run;
	struct signer_sign_stats st;
	const struct tld_policy *pol = o->policy;
	struct prev_job pj = { .run = &run, .ret = TLD_OK };
	pthread_t pj_tid;
	bool pj_running = false; /* prev_thread() to join */
	struct sign_patch_planner planner; /* a patch's splice plan, beside the signing (sign_patch_plan_start()) */
	memset(&planner, 0, sizeof(planner));
	memset(&run, 0, sizeof(run));
	memset(&st, 0, sizeof(st));
	run.o = o;
	run.z = o->zone; /* ours now: freed by run_clear() */
	double t0 = tld_mono_seconds(), c0 = cpu_seconds();

	run.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	run.rdbuf = malloc(SIGN_RDBUF_SIZE);
	int ret = run.sha256 == NULL || run.rdbuf == NULL ? TLD_ENOMEM : signer_sha256_new(run.sha256, &run.md);
	if (ret != TLD_OK) {
		goto fail;
	}
	tld_debug("signing: SHA-256 %s", signer_sha256_direct(run.md) ? "through the provider's functions, one context "
	                                                                "per thread" : "through the EVP calls");
	run.n3p.algorithm = SIGNER_NSEC3_SHA1;
	run.n3p.opt_out = pol->denial.opt_out;
	run.n3p.iterations = pol->denial.iterations;
	run.n3p.salt_len = pol->denial.salt_len;
	memcpy(run.n3p.salt, pol->denial.salt, pol->denial.salt_len);

	/* read; keys; the records the signer owns; build */
	if (run.z != NULL) {
		ret = run.z->built ? TLD_EINVAL : TLD_OK;
	} else {
		ret = signer_zone_read(o->input, NULL, &run.z);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	st.records_in = run.z->nrrs;
	tld_debug("signing: read %zu records in %.2f s, peak %lu MiB", run.z->nrrs, tld_mono_seconds() - t0, peak_mib());
	ret = check_origin(&run);
	if (ret == TLD_OK && pc == NULL && o->previous != NULL) { /* the previous version beside the build */
		pj_running = pthread_create(&pj_tid, NULL, prev_thread, &pj) == 0;
		if (!pj_running) {
			prev_thread(&pj);
		}
	}
	if (ret == TLD_OK) {
		ret = signer_keyset_load(o->cfg, pol, o->db, o->now, &run.ks);
	}
	if (ret == TLD_OK) {
		ret = sign_patch_digests(&run);
	}
	if (ret == TLD_OK && pc != NULL && !patch_digests_match(&run, pc)) {
		ret = TLD_EAGAIN;
	}
	if (ret == TLD_OK && pc != NULL && pc->nothing) { /* as the full path finds it: nothing to sign or write */
		memset(stats, 0, sizeof(*stats));
		stats->serial = pc->prev_serial;
		stats->unchanged = true;
		stats->records_in = run.z->nrrs;
		goto fail; /* ret is TLD_OK: only the clean-up */
	}
	if (ret == TLD_OK) {
		ret = add_signer_records(&run);
	}
	if (ret == TLD_OK) {
		ret = signer_zone_build(run.z);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	run.seed = zone_seed(run.z->origin, run.z->origin_len);
	double t1 = tld_mono_seconds(), c1 = cpu_seconds();
	tld_debug("signing: read and built in %.2f s (cpu %.2f s; records %s), peak %lu MiB", t1 - t0, c1 - c0,
	          run.z->rrs_merged ? "in order, a short tail merged in" : "placed by node", peak_mib());

	/* denial chain; meanwhile the node digests and the unsigned hash on threads of their own */
	struct nodes_job uj = { .run = &run, .ret = TLD_OK };
	pthread_t uj_tid;
	bool uj_thread = pthread_create(&uj_tid, NULL, nodes_thread, &uj) == 0;
	if (!uj_thread) {
		nodes_thread(&uj);
	}
	if (pol->denial.type == TLD_DENIAL_NSEC3) {
		ret = signer_nsec3_chain_build(run.z, &run.n3p, &run.n3);
		if (ret == TLD_OK && pc != NULL) {
			ret = sign_patch_chain(&run, pc);
		}
		if (ret == TLD_OK && pc != NULL) { /* the zone's names and chain are final: the splice plan beside the rest */
			sign_patch_plan_start(&planner, &run, pc);
		}
		st.nsec_records = pc != NULL ? pc->nchain : run.n3 ? run.n3->count : 0;
	} else {
		ret = signer_nsec_chain_build(run.z, &run.nsec);
		st.nsec_records = run.nsec ? run.nsec->count : 0;
	}
	if (ret == TLD_OK) {
		ret = make_slots(&run);
	}
	if (uj_thread) {
		pthread_join(uj_tid, NULL);
	}
	if (ret == TLD_OK) {
		ret = uj.ret;
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	double t2 = tld_mono_seconds(), c2 = cpu_seconds();
	tld_debug("signing: chain in %.2f s (cpu %.2f s), peak %lu MiB", t2 - t1, c2 - c1, peak_mib());

	/* serial: the previous version's, kept only when nothing else changes */
	if (pj_running) {
		pthread_join(pj_tid, NULL);
		pj_running = false;
	}
	bool have_prev = pc != NULL || pj.have_prev;
	uint32_t prev_serial = pc != NULL ? pc->prev_serial : pj.prev_serial;
	if (pc != NULL) {
		run.prev = pc->sf; /* the driver's: let go of before run_clear() */
	}
	if ((ret = pj.ret) != TLD_OK) {
		goto fail;
	}
	uint8_t *serial_at = soa_serial_at(run.z);
	uint32_t input_serial = get32(serial_at);
	bool unchanged = false;
	bool may_keep = have_prev && o->keep_serial_if_unchanged && run.prev != NULL &&
	                run.prev->hdr->serial == prev_serial;
	if (may_keep) {
		put32(serial_at, prev_serial);
	}
	uint32_t hashed_serial = get32(serial_at);
	ret = hash_all_slots(&run);
	if (ret == TLD_OK && may_keep) {
		ret = unchanged_against_prev(&run, &unchanged);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	uint32_t serial = prev_serial;
	if (!unchanged) {
		ret = signer_serial_next(pol->serial, input_serial, have_prev, prev_serial, o->now, &serial);
		if (ret != TLD_OK) {
			tld_error("signing: no serial by the policy's scheme (%s)", tld_strerror(ret));
			goto fail;
		}
	}
	put32(serial_at, serial);
	if (serial != hashed_serial) {
		ret = rehash_soa(&run);
		if (ret != TLD_OK) {
			goto fail;
		}
	}

	/* plan every slot (its entry matched in one pass), signing as batches fill, then the rest */
	ret = sign_order_slots(&run);
	if (ret == TLD_OK) {
		ret = sign_match_previous(&run);
	}
	if (ret == TLD_OK && run.prev != NULL) { /* about the signatures of the previous version */
		ret = signer_grow((void **)&run.arena, &run.arena_cap, (size_t)run.prev->hdr->blob_len + 65536, 1);
	}
	if (ret == TLD_OK) {
		ret = signer_grow((void **)&run.sigs, &run.sigs_cap, run.nslots + run.nslots / 4 + 1024, sizeof(*run.sigs));
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	for (size_t i = 0; i < run.nslots; i++) {
		const struct signer_sigfile_entry *ahead =
			run.match != NULL && i + PLAN_AHEAD < run.nslots ? run.match[i + PLAN_AHEAD] : NULL;
		if (ahead != NULL && ahead->off < run.prev->hdr->blob_len) {
			__builtin_prefetch(run.prev->blob + ahead->off);
		}
		ret = plan_slot(&run, (uint32_t)i, false, NULL);
		if (ret != TLD_OK) {
			goto fail;
		}
	}
	ret = flush_batch(&run);
	if (ret != TLD_OK) {
		goto fail;
	}
	struct tld_signpool_stats ps;
	tld_signpool_get_stats(run.pool, &ps);
	tld_signpool_close(run.pool);
	run.pool = NULL;
	release_batch(&run); /* before the writing phase: it is not needed any more */
	free(run.match);     /* it points into the previous side file */
	run.match = NULL;
	if (pc != NULL) {
		/* the patch writer reads the previous side file whole */
	} else if (run.prev_text == NULL) {
		signer_sigfile_close(run.prev); /* kept signatures were copied out */
		run.prev = NULL;
	} else {
		signer_sigfile_drop_signatures(run.prev); /* only its text index is needed from here on */
	}
	double t3 = tld_mono_seconds(), c3 = cpu_seconds();
	tld_debug("signing: signatures in %.2f s (cpu %.2f s, %s), peak %lu MiB", t3 - t2, c3 - c2,
	          ps.started_batches > 0 ? "not the workers started early: they count when they end"
	                             : "workers included",
	          peak_mib());

	ret = pc != NULL ? sign_patch_write(&run, pc, &planner, o->output, serial)
	                 : sign_write(&run, o->output, unchanged);
	if (ret != TLD_OK) {
		goto fail;
	}
	double t4 = tld_mono_seconds();
	tld_debug("signing: written in %.2f s (cpu %.2f s), peak %lu MiB", t4 - t3, cpu_seconds() - c3, peak_mib());

	st.serial = serial;
	st.unchanged = unchanged;
	st.rrsets_signed = run.nzone_slots - (run.nsec ? run.nsec->count : 0);
	st.sigs_new = run.fresh;
	st.sigs_reused = run.reused;
	st.earliest_expiration = 0;
	if (pc != NULL) { /* the previous version's signatures outside the replaced names count too */
		st.rrsets_signed = pc->kept_slots + run.nzone_slots; /* kept_slots: zone RRsets only */
		st.sigs_reused += pc->kept_sigs;
		if (pc->kept_any) {
			st.earliest_expiration = signer_rrsig_time_abs(pc->kept_exp_min, o->now);
		}
	}
	for (size_t i = 0; i < run.nsigs; i++) {
		tld_time_t e = signer_rrsig_time_abs(get32(run.arena + run.sigs[i].off + 8), o->now);
		if (st.earliest_expiration == 0 || e < st.earliest_expiration) {
			st.earliest_expiration = e;
		}
	}
	st.seconds_read = t1 - t0;
	st.seconds_chain = t2 - t1;
	st.seconds_sign = t3 - t2;
	st.seconds_write = t4 - t3;
	st.hsm_signatures = ps.signatures;
	st.seconds_hsm = ps.seconds;
	st.hsm_batches = ps.batches;
	st.text_copied = run.text_copied;
	st.text_formatted = run.text_formatted;
	st.text_digest = run.text_digest; /* handed on */
	memset(&run.text_digest, 0, sizeof(run.text_digest));
	if (ps.batches > 0) {
		tld_info("signing: HSM %" PRIu64 " signatures in %zu batches (%zu by workers started early), %.2f s in the "
		         "HSM pool = %.0f signatures/s; %" PRIu64 " session key copies (%" PRIu64 " destroyed), %" PRIu64
		         " keys used on the token object",
		         ps.signatures, ps.batches, ps.started_batches, ps.seconds,
		         ps.seconds > 0 ? (double)ps.signatures / ps.seconds : 0.0,
		         ps.key_copies, ps.key_copies_destroyed, ps.token_key_uses);
	}
	tld_info("signing: %zu keys (%zu planned, %zu interim), %zu RRsets with signatures, %" PRIu64
	         " matched in the side file, %" PRIu64 " old signatures dropped, %zu HSM batches, zone text %.1f MiB "
	         "copied from the previous version and %.1f MiB formatted, peak %lu MiB",
	         run.ks->n, run.ks->planned, run.ks->interim, run.nslots, run.matched, run.dropped, run.batches,
	         (double)run.text_copied / 1048576.0, (double)run.text_formatted / 1048576.0, peak_mib());
	*stats = st;
	ret = TLD_OK;
fail:
	if (pj_running) {
		pthread_join(pj_tid, NULL);
	}
	sign_patch_plan_end(&planner); /* before the zone it reads is freed */
	if (pc != NULL) {
		run.prev = NULL; /* the driver's */
	}
	tld_text_digest_release(&run.text_digest); /* not handed on (failed) */
	run_clear(&run);
	return ret;
}

int signer_sign_file(const struct signer_sign_opts *o, struct signer_sign_stats *stats)
{
	return sign_zone(o, NULL, stats);
}

int sign_zone_patched(const struct signer_sign_opts *o, struct sign_patch *pc, struct signer_sign_stats *stats)
{
	return sign_zone(o, pc, stats);
}
