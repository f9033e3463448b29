/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tld_verify_zone_file(): load, then the checks.  NSEC3 hashing and the
 * signature checks run on all cores over chunks of owner names in canonical
 * order, each chunk with its own failure list; the lists are merged in zone
 * order after join so the report does not depend on the thread count.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/side_job.h"
#include "verify/internal.h"

#define MAX_THREADS 256

static double elapsed(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/*
 * The names are cut into chunks of consecutive names that the workers take in
 * turn (an atomic counter): a worker slowed down by other load on the machine
 * takes fewer chunks instead of holding everyone up.  Each chunk has its own
 * failure list; the lists merge in chunk order, so the report does not depend
 * on which worker took which chunk.
 */
struct pool {
	struct vfy_zone *z;
	const struct tld_verify_opts *opts;
	const struct vfy_vcache *cache_in;
	size_t chunk;              /* names per chunk */
	size_t n_chunks;
	struct vfy_issue_list *fails; /* one per chunk */
	atomic_size_t next;        /* the next chunk to take */
	int phase;                 /* 0 hash, 1 signatures, 2 both */
};

struct worker {
	pthread_t thread;
	struct pool *pool;
	int err;
	struct vfy_hashvec cache_out;
	struct vfy_counts counts;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	struct vfy_crypto *crypto = NULL;
	size_t c;

	if (p->phase != 0 && (crypto = vfy_crypto_new()) == NULL) {
		w->err = TLD_ENOMEM;
		return NULL;
	}
	while (w->err == TLD_OK && (c = atomic_fetch_add(&p->next, 1)) < p->n_chunks) {
		size_t from = c * p->chunk;
		size_t to = from + p->chunk < p->z->n_names ? from + p->chunk : p->z->n_names;
		if (p->phase != 1 && (w->err = vfy_hash_names(p->z, from, to)) != TLD_OK) {
			break;
		}
		if (p->phase != 0) {
			vfy_check_signatures(p->z, from, to, p->opts, p->cache_in,
			                     p->opts->cache_out != NULL ? &w->cache_out : NULL,
			                     &p->fails[c], &w->counts, crypto);
		}
		/* the report's name counts, while the chunk's names are in cache (once) */
		if (p->phase != 0) {
			vfy_count_names(p->z, from, to, &w->counts);
		}
	}
	vfy_crypto_free(crypto);
	return NULL;
}

/*
 * Starts one phase over all chunks on nt workers.  \return how many threads
 * started (none: parallel_join() runs the phase on its thread)
 */
static unsigned parallel_start(struct pool *p, struct worker *ws, unsigned nt, int phase)
{
	unsigned started = 0;

	p->phase = phase;
	atomic_store(&p->next, 0);
	for (unsigned t = 0; t < nt && nt > 1; t++) {
		ws[t].pool = p;
		if (pthread_create(&ws[t].thread, NULL, worker_run, &ws[t]) != 0) {
			break;
		}
		started++;
	}
	return started;
}

/*
 * Waits for the phase parallel_start() started: the threads that started take
 * all the chunks (none: this thread does).  \return a worker's error, or TLD_OK
 */
static int parallel_join(struct pool *p, struct worker *ws, unsigned started)
{
	int ret = TLD_OK;

	for (unsigned t = 0; t < started; t++) {
		pthread_join(ws[t].thread, NULL);
	}
	if (started == 0) {
		ws[0].pool = p;
		worker_run(&ws[0]);
		started = 1;
	}
	for (unsigned t = 0; t < started; t++) {
		if (ws[t].err != TLD_OK && ret == TLD_OK) {
			ret = ws[t].err;
		}
	}
	return ret;
}

/* Runs one phase over all chunks on nt workers. */
static int run_parallel(struct pool *p, struct worker *ws, unsigned nt, int phase)
{
	return parallel_join(p, ws, parallel_start(p, ws, nt, phase));
}

/* Work of the caller's run on this thread while the workers check the signatures. */
struct beside {
	void (*fn)(void *arg);
	void *arg;
};

static void check_dnskey_response(struct vfy_zone *z, struct vfy_issue_list *warns,
                                  struct tld_verify_report *rep)
{
	const struct vfy_name *apex = &z->names[z->apex_name];
	size_t rdlens[256];
	size_t n = 0;

	for (size_t i = apex->first; i < apex->first + apex->count && n < 256; i++) {
		if (z->recs[i].type == LDNS_RR_TYPE_DNSKEY) {
			vfy_rdata(&z->recs[i], &rdlens[n++]);
		}
	}
	rep->dnskey_response_size = vfy_dnskey_response_size(z->apex_wlen, rdlens, n);
	if (rep->dnskey_response_size > 1232) {
		vfy_issue_rec(warns, z, z->dnskey_recs[0],
		              "the DNSKEY response (DNSKEY RRset and RRSIGs, with EDNS) is %zu "
		              "bytes, above 1232: it will be truncated over UDP",
		              rep->dnskey_response_size);
	}
}

/*
 * The parent's DS set.  The chain of trust holds when, for every algorithm in
 * the DS set, at least one DS of that algorithm matches a published KSK (RFC
 * 4035 section 5.2, RFC 6840 section 5.11).  A DS that matches no key is
 * normal in a double-DS rollover (the new KSK's DS is published before its
 * DNSKEY) and only warned about.
 */
static int check_ds_file(struct vfy_zone *z, const char *path, struct vfy_issue_list *fails,
                         struct vfy_issue_list *warns)
{
	bool alg_seen[256] = { false }, alg_ok[256] = { false };
	ldns_rr *alg_first[256] = { NULL };
	int alg_line[256] = { 0 };
	FILE *fp = fopen(path, "r");
	uint32_t ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 1, ret = TLD_OK;
	size_t n_ds = 0;

	if (fp == NULL) {
		tld_error("%s: %s", path, strerror(errno));
		return TLD_EIO;
	}
	while (!feof(fp)) {
		ldns_rr *ds = NULL;
		int start_line = line;
		ldns_status s = ldns_rr_new_frm_fp_l(&ds, fp, &ttl, &origin, &prev, &line);
		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN) {
			continue;
		}
		if (s != LDNS_STATUS_OK) {
			if (feof(fp) && ds == NULL && s == LDNS_STATUS_SYNTAX_ERR) {
				break;
			}
			tld_error("%s:%d: %s", path, start_line, ldns_get_errorstr_by_id(s));
			ret = TLD_EPARSE;
			goto fail;
		}
		if (ldns_rr_get_type(ds) != LDNS_RR_TYPE_DS) {
			tld_error("%s:%d: not a DS record", path, start_line);
			ldns_rr_free(ds);
			ret = TLD_EPARSE;
			goto fail;
		}
		n_ds++;
		uint16_t tag = ldns_rdf2native_int16(ldns_rr_rdf(ds, 0));
		uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(ds, 1));
		uint8_t dt = ldns_rdf2native_int8(ldns_rr_rdf(ds, 2));
		bool matched = false, sep = false;
		for (size_t k = 0; k < ldns_rr_list_rr_count(z->dnskeys) && !matched; k++) {
			ldns_rr *key = ldns_rr_list_rr(z->dnskeys, k);
			if (z->key_tags[k] != tag || ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) != alg) {
				continue;
			}
			ldns_rr *calc = ldns_key_rr2ds(key, (ldns_hash)dt);
			if (calc != NULL && ldns_rr_compare_ds(calc, ds) &&
			    ldns_rdf_compare(ldns_rr_rdf(calc, 3), ldns_rr_rdf(ds, 3)) == 0 &&
			    ldns_dname_compare(ldns_rr_owner(ds), ldns_rr_owner(key)) == 0) {
				matched = true;
				sep = (ldns_rdf2native_int16(ldns_rr_rdf(key, 0)) & LDNS_KEY_SEP_KEY) != 0;
			}
			ldns_rr_free(calc);
		}
		alg_seen[alg] = true;
		if (!matched) {
			vfy_issue_add(warns, (size_t)-1, ds,
			              "%s:%d: DS matches no published DNSKEY (key tag %u, algorithm %u, "
			              "digest type %u); fine only while another DS of the algorithm matches",
			              path, start_line, tag, alg, dt);
		} else if (!sep) {
			vfy_issue_add(warns, (size_t)-1, ds,
			              "%s:%d: DS matches DNSKEY %u, which lacks the SEP (KSK) bit",
			              path, start_line, tag);
		} else {
			tld_info("%s:%d: DS matches the published KSK with key tag %u algorithm %u",
			         path, start_line, tag, alg);
			alg_ok[alg] = true;
		}
		if (alg_first[alg] == NULL) {
			alg_first[alg] = ds;
			alg_line[alg] = start_line;
		} else {
			ldns_rr_free(ds);
		}
	}
	if (n_ds == 0) {
		tld_error("%s: no DS record", path);
		ret = TLD_EPARSE;
	}
	for (int a = 0; a < 256; a++) {
		if (alg_seen[a] && !alg_ok[a]) {
			vfy_issue_add(fails, (size_t)-1, alg_first[a],
			              "%s:%d: no DS of algorithm %d matches a published KSK: the chain "
			              "of trust from the parent is broken", path, alg_line[a], a);
		}
	}
fail:
	for (int a = 0; a < 256; a++) {
		ldns_rr_free(alg_first[a]);
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(fp);
	return ret;
}

/* The previous verified-signature cache; NULL when there is none to use. */
static int load_cache(const struct tld_verify_opts *opts, const struct vfy_zone *z,
                      struct vfy_vcache **out)
{
	*out = NULL;
	if (opts->cache_in == NULL) {
		return TLD_OK;
	}
	int ret = vfy_vcache_load(opts->cache_in, z->apex_wire, z->apex_wlen, out);
	if (ret == TLD_ENOENT) {
		tld_info("verify: no verified-signature cache %s; verifying every signature",
		         opts->cache_in);
	} else if (ret == TLD_OK) {
		tld_info("verify: %zu entries in the verified-signature cache %s",
		         vfy_vcache_count(*out), opts->cache_in);
	}
	return ret == TLD_ENOMEM ? ret : TLD_OK; /* anything else: warned, full verification */
}

/*
 * Writes this verification's cache; a failure only loses the next run's
 * speed.  A delta verification (dropped != NULL) checked only the changed
 * part: the cache keeps the entries of cache_in but those of the previous
 * file's changed part (dropped), and adds the new part's.
 */
static void write_cache(const struct tld_verify_opts *opts, const struct vfy_zone *z,
                        const struct vfy_hashvec *vecs, unsigned nt,
                        const struct vfy_vcache *cache_in, struct vfy_hashvec *dropped)
{
	for (unsigned t = 0; t < nt; t++) {
		if (vecs[t].err != TLD_OK) {
			tld_warning("%s: out of memory collecting the verified-signature cache; not written",
			            opts->cache_out);
			return;
		}
	}
	int ret = dropped != NULL ? vfy_vcache_write_delta(opts->cache_out, z->apex_wire, z->apex_wlen,
	                                                   cache_in, dropped, vecs, nt)
	                          : vfy_vcache_write(opts->cache_out, z->apex_wire, z->apex_wlen, vecs, nt);
	if (ret != TLD_OK) {
		tld_warning("%s: verified-signature cache not written: %s", opts->cache_out,
		            tld_strerror(ret));
	}
}

/*
 * The cache file's writing on a thread of its own, beside the denial checks
 * (a delta verification: beside the whole-zone checks and the state's
 * writing): it renames the file written ahead into place when the checks'
 * entries are the guessed ones (cache_ahead_take()), else writes the file
 * with write_cache().  It owns the workers' hash vectors; z, cache_in,
 * dropped and ahead must outlive it.
 */
struct cache_writer {
	struct tld_side_job job;
	const struct tld_verify_opts *opts;
	const struct vfy_zone *z;
	struct vfy_hashvec vecs[MAX_THREADS];
	unsigned nt;
	const struct vfy_vcache *cache_in;
	struct vfy_hashvec *dropped;
	struct cache_ahead *ahead; /* a delta verification's file written ahead, or NULL */
};

/*
 * A delta verification's cache file written ahead, on a thread of its own
 * beside the signature checks, instead of after them (its fsync was the
 * verification's last wait): the cache_out vfy_vcache_write_delta() writes
 * if the entries the checks add are those of vfy_cache_guess(), under a
 * temporary name.  The cache writer renames it into place only when the
 * checks' entries are that very set (vfy_vcache_ahead_end(): then its
 * bytes are the ones it would write), else it writes the file from the
 * checks' entries as ever.  The guess is never trusted: at worst a wasted
 * temporary.  z, cache_in and dropped (sorted by it) must outlive it; the
 * workers only write the names' hashes meanwhile, which it does not read.
 */
struct cache_ahead {
	struct tld_side_job job;
	const struct tld_verify_opts *opts;
	const struct vfy_zone *z;
	const struct vfy_vcache *cache_in;
	struct vfy_hashvec *dropped;
	struct vfy_vcache_ahead *file; /* out: written and synced, or NULL */
};

/* cache_ahead_take()'s outcomes (vfy_cache_ahead_stats()) */
static atomic_size_t ahead_taken, ahead_refused;

static void cache_ahead_run(void *arg)
{
	struct cache_ahead *a = arg;
	struct vfy_hashvec guess = { 0 };

	vfy_cache_guess(a->z, 0, a->z->n_names, a->opts, &guess);
	int ret = guess.err != TLD_OK ? guess.err
	                              : vfy_vcache_ahead_start(a->opts->cache_out, a->z->apex_wire,
	                                                       a->z->apex_wlen, a->cache_in, a->dropped,
	                                                       &guess, &a->file);
	if (ret != TLD_OK) {
		tld_debug("verify: no cache file written ahead: %s", tld_strerror(ret));
	}
	vfy_hashvec_clear(&guess);
}

/* Starts the writing ahead (on this thread when no other can be had). */
static void cache_ahead_start(struct cache_ahead *a, const struct tld_verify_opts *opts,
                              const struct vfy_zone *z, const struct vfy_vcache *cache_in,
                              struct vfy_hashvec *dropped)
{
	*a = (struct cache_ahead){ .opts = opts, .z = z, .cache_in = cache_in, .dropped = dropped };
	tld_side_start(&a->job, cache_ahead_run, a);
}

/* Waits for the writing ahead; what it wrote is left for cache_ahead_take() or _drop(). */
static void cache_ahead_join(struct cache_ahead *a)
{
	tld_side_join(&a->job);
}

/* Removes what was written ahead and not taken (fine when nothing was started). */
static void cache_ahead_drop(struct cache_ahead *a)
{
	cache_ahead_join(a);
	vfy_vcache_ahead_abort(a->file);
	a->file = NULL;
}

/*
 * The file written ahead into place when the checks' entries (vecs, every
 * one collected) are the guessed ones.  \return whether it took its place
 */
static bool cache_ahead_take(struct cache_ahead *a, const struct vfy_hashvec *vecs, unsigned nt)
{
	cache_ahead_join(a);
	for (unsigned t = 0; t < nt; t++) {
		if (vecs[t].err != TLD_OK) {
			cache_ahead_drop(a);
			return false;
		}
	}
	if (a->file == NULL) {
		return false;
	}
	int ret = vfy_vcache_ahead_end(a->file, vecs, nt);
	a->file = NULL;
	if (ret == TLD_OK) {
		atomic_fetch_add_explicit(&ahead_taken, 1, memory_order_relaxed);
	} else if (ret == TLD_EAGAIN) {
		atomic_fetch_add_explicit(&ahead_refused, 1, memory_order_relaxed);
		tld_debug("verify: the cache file written ahead is not the checks' (other entries); "
		          "written again");
	}
	return ret == TLD_OK;
}

void vfy_cache_ahead_stats(struct vfy_cache_ahead_stats *out)
{
	out->taken = atomic_load_explicit(&ahead_taken, memory_order_relaxed);
	out->refused = atomic_load_explicit(&ahead_refused, memory_order_relaxed);
}

static void cache_writer_run(void *arg)
{
	struct cache_writer *cw = arg;
	if (cw->ahead == NULL || !cache_ahead_take(cw->ahead, cw->vecs, cw->nt)) {
		write_cache(cw->opts, cw->z, cw->vecs, cw->nt, cw->cache_in, cw->dropped);
	}
}

/* Takes the workers' hashes and writes them (on a thread when one can be made). */
static void cache_writer_start(struct cache_writer *cw, const struct tld_verify_opts *opts,
                               const struct vfy_zone *z, struct worker *ws, unsigned nt,
                               const struct vfy_vcache *cache_in, struct vfy_hashvec *dropped)
{
	cw->opts = opts;
	cw->z = z;
	cw->nt = nt;
	cw->cache_in = cache_in;
	cw->dropped = dropped;
	for (unsigned t = 0; t < nt; t++) {
		cw->vecs[t] = ws[t].cache_out;
		memset(&ws[t].cache_out, 0, sizeof(ws[t].cache_out));
	}
	tld_side_start(&cw->job, cache_writer_run, cw);
}

/* Waits for the writing (fine when never started) and frees the hashes. */
static void cache_writer_join(struct cache_writer *cw)
{
	tld_side_join(&cw->job);
	for (unsigned t = 0; t < cw->nt; t++) {
		vfy_hashvec_clear(&cw->vecs[t]);
	}
	cw->nt = 0;
}

static unsigned thread_count(const struct tld_verify_opts *opts)
{
	long n = opts->threads ? (long)opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1u : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/*
 * The checks of a loaded zone (whole = the whole file; else the changed part
 * of a delta verification, whose denial chain is checked on the facts by
 * vdelta.c), into rep: failures, warnings, counts.  dropped: see write_cache().
 * The cache (opts->cache_out) is written by cw, joined here when whole, else
 * left to the caller's cache_writer_join() (always called, whatever the return).
 */
static int check_zone(struct vfy_zone *z, const struct tld_verify_opts *opts, unsigned nt,
                      bool whole, struct vfy_issue_list *seq, struct vfy_hashvec *dropped,
                      struct cache_writer *cw, const struct beside *beside,
                      struct vfy_vcache *cache, struct tld_verify_report *rep,
                      const struct timespec *t0)
{
	struct worker *ws = calloc(nt, sizeof(*ws));
	struct pool pool = { 0 };
	struct vfy_issue_list warns = { 0 };
	int ret;

	if (ws == NULL) {
		return TLD_ENOMEM;
	}
	if (nt > z->n_names / 64 + 1) {
		nt = (unsigned)(z->n_names / 64 + 1);
	}
	pool.z = z;
	pool.opts = opts;
	pool.cache_in = cache;
	pool.chunk = z->n_names / ((size_t)nt * 32);
	pool.chunk = pool.chunk < 64 ? 64 : pool.chunk > 8192 ? 8192 : pool.chunk;
	pool.n_chunks = (z->n_names + pool.chunk - 1) / pool.chunk;
	if ((pool.fails = calloc(pool.n_chunks + 1, sizeof(*pool.fails))) == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	if (beside == NULL) {
		/* NSEC3 hashing and signature checks are independent: one pass over the chunks */
		ret = run_parallel(&pool, ws, nt, 2);
	} else if ((ret = run_parallel(&pool, ws, nt, 0)) == TLD_OK) {
		/* the names hashed first: the work beside the signature checks reads the hashes */
		unsigned started = parallel_start(&pool, ws, nt, 1);
		beside->fn(beside->arg);
		ret = parallel_join(&pool, ws, started);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	tld_info("verify: names hashed and signatures checked at %.2f s (cpu %.2f s, %u threads)",
	         elapsed(t0), tld_process_cpu_seconds(), nt);
	for (unsigned t = 0; t < nt; t++) {
		rep->rrsigs_cached += ws[t].counts.rrsigs_cached;
	}
	if (opts->cache_in != NULL) {
		tld_info("verify: %zu signatures verified from the cache, the others with the public key",
		         rep->rrsigs_cached);
	}
	/* the cache file (sorted, hashed, written and synced) while the chain is checked */
	if (opts->cache_out != NULL) {
		cache_writer_start(cw, opts, z, ws, nt, cache, dropped);
	}
	if (whole) {
		vfy_check_denial(z, seq);
		cache_writer_join(cw);
		tld_info("verify: denial chain checked at %.2f s (cpu %.2f s)", elapsed(t0),
		         tld_process_cpu_seconds());
	}
	check_dnskey_response(z, &warns, rep);
	if (opts->ds_file != NULL && (ret = check_ds_file(z, opts->ds_file, seq, &warns)) != TLD_OK) {
		goto fail;
	}
	for (unsigned t = 0; t < nt; t++) {
		rep->rrsets_signed += ws[t].counts.rrsets_signed;
		rep->rrsigs_verified += ws[t].counts.rrsigs_verified;
		rep->names += ws[t].counts.names;
		rep->empty_nonterminals += ws[t].counts.ents;
		rep->delegations_secure += ws[t].counts.delegations_secure;
		rep->delegations_insecure += ws[t].counts.delegations_insecure;
	}
	/* the chunks' lists in zone order, then the sequential checks' */
	pool.fails[pool.n_chunks] = *seq;
	memset(seq, 0, sizeof(*seq));
	ret = vfy_issue_merge(pool.fails, pool.n_chunks + 1, &rep->failures, &rep->n_failures);
	if (ret == TLD_OK) {
		ret = vfy_issue_merge(&warns, 1, &rep->warnings, &rep->n_warnings);
	}
	rep->records = z->n_recs;
	rep->nsec3 = z->n_nsec3;
	rep->nsec = z->n_nsec;
	rep->threads = nt;
	rep->names_checked = z->n_names;
fail:
	for (unsigned t = 0; t < nt; t++) {
		vfy_hashvec_clear(&ws[t].cache_out);
	}
	free(ws);
	if (pool.fails != NULL) {
		for (size_t c = 0; c <= pool.n_chunks; c++) {
			vfy_issue_list_clear(&pool.fails[c]);
		}
		free(pool.fails);
	}
	vfy_issue_list_clear(&warns);
	return ret;
}

static struct tld_verify_report *report_new(const char *path)
{
	struct tld_verify_report *rep = calloc(1, sizeof(*rep));
	if (rep != NULL && (rep->path = strdup(path)) == NULL) {
		free(rep);
		rep = NULL;
	}
	return rep;
}

/* Writes the verification state of a zone that passed; a failure is a warning. */
static void write_state(const struct tld_verify_opts *opts, struct vfy_facts *f)
{
	int ret = vfy_vstate_write(opts->state_out, f);
	if (ret != TLD_OK) {
		tld_warning("%s: verification state not written: %s", opts->state_out, tld_strerror(ret));
	}
}

/* The facts of a whole zone that passed, checked against its report, written. */
static void write_full_state(const struct tld_verify_opts *opts, const struct vfy_zone *z,
                             const struct vfy_mac_job *mac, const struct tld_verify_report *rep)
{
	struct vfy_facts f = { 0 };
	const char *why = NULL;

	if (mac->ret != TLD_OK) {
		why = "the file's tag failed";
	} else if (!mac->line_oriented) {
		why = "not one whole record a line (directives, comments, parentheses, quotes, escapes)";
	} else if (!z->owners_ordered) {
		why = "owners not in canonical order";
	} else if (!z->uses_nsec3 || z->uses_nsec || z->apex_wlen < 2) {
		why = "not an NSEC3 zone below the root";
	} else if (vfy_zone_facts(z, &f) != TLD_OK) {
		why = "NSEC3 hashes of another length, or out of memory";
	} else if (f.counts.records != rep->records || f.counts.names != rep->names ||
	           f.counts.ents != rep->empty_nonterminals ||
	           f.counts.rrsets_signed != rep->rrsets_signed ||
	           f.counts.rrsigs_verified != rep->rrsigs_verified ||
	           f.counts.delegations_secure != rep->delegations_secure ||
	           f.counts.delegations_insecure != rep->delegations_insecure ||
	           f.counts.nsec3 != rep->nsec3) {
		why = "its counts differ from the report's (a bug: please report it)";
	}
	if (why != NULL) {
		tld_info("verify: %s: no verification state written (the next verification will be "
		         "in full): %s", opts->state_out, why);
	} else {
		f.file_mac = *mac->mac;
		memcpy(f.file_mac.tag, mac->tag, VFY_FILEMAC_TAG);
		write_state(opts, &f);
	}
	vfy_facts_clear(&f);
}

static int verify_full(const char *path, const struct tld_verify_opts *opts, const char *reason,
                       struct tld_verify_report **out)
{
	struct vfy_zone *z = NULL;
	struct vfy_vcache *cache = NULL;
	struct tld_verify_report *rep = NULL;
	struct vfy_issue_list seq = { 0 };
	struct vfy_text text = { 0 };
	struct vfy_mac_job mac = { 0 };
	struct vfy_filemac key;
	unsigned nt = thread_count(opts);
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((ret = vfy_text_map(path, &text)) != TLD_OK) {
		return ret;
	}
	if (opts->state_out != NULL) {
		/* the state names the very bytes parsed: tagged from the same mapping */
		mac = (struct vfy_mac_job){ .text = text.text, .len = text.len, .check_lines = true };
		mac.mac = vfy_filemac_new_key(&key) == TLD_OK ? &key : NULL;
		vfy_mac_start(&mac);
	}
	ret = vfy_zone_load_text(path, text.text, text.len, nt, false, &seq, &z);
	vfy_mac_wait(&mac);
	vfy_text_unmap(&text);
	if (ret != TLD_OK) {
		vfy_issue_list_clear(&seq);
		return ret;
	}
	tld_info("verify: loaded %zu records in %.2f s (cpu %.2f s)", z->n_recs, elapsed(&t0),
	         tld_process_cpu_seconds());
	if ((rep = report_new(path)) == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	rep->full_reason = reason;
	if ((ret = load_cache(opts, z, &cache)) != TLD_OK) {
		goto fail;
	}
	tld_debug("verify: cache read at %.3f s", elapsed(&t0));
	struct cache_writer cw = { 0 };
	ret = check_zone(z, opts, nt, true, &seq, NULL, &cw, NULL, cache, rep, &t0);
	cache_writer_join(&cw);
	if (ret != TLD_OK) {
		goto fail;
	}
	if (rep->n_failures == 0 && opts->state_out != NULL) {
		write_full_state(opts, z, &mac, rep);
	}
	vfy_vcache_free(cache);
	vfy_zone_free(z);
	*out = rep;
	return rep->n_failures ? TLD_EVERIFY : TLD_OK;
fail:
	vfy_issue_list_clear(&seq);
	vfy_vcache_free(cache);
	tld_verify_report_free(rep);
	vfy_zone_free(z);
	return ret;
}

/*
 * The delta verification's whole-zone part, on the caller's thread while the
 * workers check the new part's signatures (it reads the new part and its
 * hashes, never what the workers write): the facts merged, the state started
 * on its writer (kept only when everything passes), the whole-zone checks.
 */
struct delta_whole {
	struct vfy_delta *d;
	const struct tld_verify_opts *opts;
	struct vfy_facts *facts;
	struct vfy_vstate_job **state;
	const struct timespec *t0;
	const char *why;           /* out, with ret TLD_EAGAIN */
	int ret;                   /* out */
};

static void delta_whole_run(void *arg)
{
	struct delta_whole *w = arg;
	const struct tld_verify_opts *opts = w->opts;

	if ((w->ret = vfy_delta_merge(w->d, opts, w->facts, &w->why)) != TLD_OK) {
		return;
	}
	if (opts->state_out != NULL) {
		/*
		 * the state written and synced beside the checks, under a
		 * temporary name: it takes its own only when all of them pass
		 */
		int wr = vfy_vstate_write_start(opts->state_out, w->facts, w->state);
		if (wr != TLD_OK) {
			tld_warning("%s: verification state not written: %s", opts->state_out,
			            tld_strerror(wr));
		}
	}
	w->ret = vfy_delta_check(w->d, opts, w->facts, &w->why);
	tld_info("verify: whole-zone checks on the updated facts at %.2f s (cpu %.2f s)",
	         elapsed(w->t0), tld_process_cpu_seconds());
}

/* TLD_EAGAIN with *why: run the full path. */
static int verify_delta(const char *path, const struct tld_verify_opts *opts, const char **why,
                        struct tld_verify_report **out)
{
	struct vfy_delta *d = NULL;
	struct vfy_vcache *cache = NULL;
	struct tld_verify_report *rep = NULL;
	struct vfy_issue_list seq = { 0 };
	struct vfy_hashvec dropped = { 0 };
	struct vfy_facts facts = { 0 };
	struct cache_writer cw = { 0 };
	struct cache_ahead ahead = { 0 };
	struct vfy_vstate_job *state = NULL;
	unsigned nt = thread_count(opts);
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((ret = vfy_delta_open(path, opts, nt, &d, why)) != TLD_OK) {
		return ret;
	}
	struct vfy_zone *z = vfy_delta_zone(d);
	tld_info("verify: changed parts loaded in %.2f s (cpu %.2f s): %zu records", elapsed(&t0),
	         tld_process_cpu_seconds(), z->n_recs);
	if ((rep = report_new(path)) == NULL) {
		ret = TLD_ENOMEM;
		goto out;
	}
	if ((ret = load_cache(opts, z, &cache)) != TLD_OK) {
		goto out;
	}
	if (cache != NULL && opts->cache_out != NULL) {
		/* the previous changed part's entries leave the cache (the new part's come in) */
		const struct vfy_zone *oz = vfy_delta_old_zone(d);
		vfy_cache_hits(oz, 0, oz->n_names, opts, cache, &dropped);
		if ((ret = dropped.err) != TLD_OK) {
			goto out;
		}
	}
	if (opts->cache_out != NULL) {
		/* the cache file written ahead, beside the checks */
		cache_ahead_start(&ahead, opts, z, cache, &dropped);
		cw.ahead = &ahead;
	}
	/* the previous part's hashes and facts for the merge, beside the new part's checks */
	vfy_delta_old_start(d);
	/*
	 * the whole-zone part beside the signature checks; once they end, the
	 * cache file written ahead is only renamed into place (when the checks'
	 * entries are another set, it is written from them), beside the state's
	 * writing
	 */
	struct delta_whole whole = { .d = d, .opts = opts, .facts = &facts, .state = &state,
		                     .t0 = &t0, .ret = TLD_OK };
	struct beside beside = { delta_whole_run, &whole };
	if ((ret = check_zone(z, opts, nt, false, &seq, &dropped, &cw, &beside, cache, rep, &t0)) !=
	    TLD_OK) {
		goto out;
	}
	if (rep->n_failures > 0) {
		*why = "the changed part fails a check";
		ret = TLD_EAGAIN;
		goto out;
	}
	if ((ret = whole.ret) != TLD_OK) {
		*why = whole.why;
		goto out;
	}
	rep->mode = TLD_VERIFY_DELTA;
	rep->subtrees_changed = vfy_delta_subtrees(d);
	rep->records = facts.counts.records;
	rep->names = facts.counts.names;
	rep->empty_nonterminals = facts.counts.ents;
	rep->rrsets_signed = facts.counts.rrsets_signed;
	rep->rrsigs_verified = facts.counts.rrsigs_verified;
	rep->delegations_secure = facts.counts.delegations_secure;
	rep->delegations_insecure = facts.counts.delegations_insecure;
	rep->nsec3 = facts.counts.nsec3;
	rep->nsec = 0;
	if (state != NULL) {
		int wr = vfy_vstate_write_end(state, true);
		state = NULL;
		if (wr != TLD_OK) {
			tld_warning("%s: verification state not written: %s", opts->state_out,
			            tld_strerror(wr));
		}
		tld_debug("verify: state written at %.3f s", elapsed(&t0));
	}
	*out = rep;
	rep = NULL;
out:
	(void)vfy_vstate_write_end(state, false); /* a check failed: the state goes (before the facts) */
	cache_writer_join(&cw); /* before what it reads is freed */
	cache_ahead_drop(&ahead); /* when the cache writer did not take it */
	tld_debug("verify: cache written at %.3f s", elapsed(&t0));
	vfy_facts_clear(&facts);
	vfy_hashvec_clear(&dropped);
	vfy_issue_list_clear(&seq);
	vfy_vcache_free(cache);
	tld_verify_report_free(rep);
	vfy_delta_free(d);
	return ret;
}

int tld_verify_zone_file(const char *path, const struct tld_verify_opts *opts,
                         struct tld_verify_report **out)
{
	const char *why = NULL;

	if (opts->previous != NULL && opts->state_in != NULL) {
		int ret = verify_delta(path, opts, &why, out);
		if (ret != TLD_EAGAIN) {
			return ret;
		}
		tld_info("verify: %s: verifying in full: %s", path, why);
	}
	return verify_full(path, opts, why, out);
}
