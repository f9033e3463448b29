/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sign_patch_write() (patch_internal.h): the patched version's zone text and
 * side file.
 *
 * The text: the previous file's blocks (sigfile.h: a node or an NSEC3
 * record each, in canonical order of their owners) in order, without those
 * of the replaced names, the removed owners and the NSEC3 records gone, with
 * the blocks of the replaced names (formatted by sign_write.c's own code)
 * merged in by owner, where the splice plan (sign_patch_plan.c, made from
 * the run's names while the HSM signed) puts them: checked here against the
 * formatted blocks first.  Where a block to take out is not found, two
 * blocks have one owner, or the formatted blocks are not the planned ones,
 * TLD_EAGAIN before anything is written.
 *
 * The text is written in two halves at their offsets, the second on a
 * thread of its own (write_halves()); the side file (sign_patch_side.c) on
 * a thread beside them, from the text index made first; both files are
 * committed as sign_write() commits (the side file first: it names the
 * text's size and serial).
 *
 * Whichever of the two is done first -- the side file's thread or the text's
 * writer -- then makes the text's SHA-256 and check (common/textcheck.h)
 * while it waits for the other, for the publish preparation, which would
 * otherwise read the file again for them, when a core is busy verifying:
 * from the very pieces the text is written from, in the same order (a
 * third walk of the one plan, checked to come to the same block count and
 * size as the other walks), so they are the digest and check of the file's
 * bytes.  It never holds either file up: when the other is done, the
 * hashing stops between two pieces and what it made, the stream of the
 * text's first bytes, is handed on for the preparation to go on with from
 * the file's.  With them goes the file's identity
 * once committed (common/file_ident.h), taken only when the committed file
 * is still the one written (device, inode, size and modification time as
 * the stream left them): the preparation trusts the digest only for a file
 * with that identity, and hashes the file itself otherwise.  Hashing is an
 * optimisation: when it fails, no digest is handed on.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/file_ident.h"
#include "common/log.h"
#include "common/two_cores.h"
#include "signer/grow.h"
#include "signer/patch_internal.h"
#include "signer/rrsig.h"
#include "signer/textout.h"
#include "signer/sign_internal.h"

/* -- internal API -- */

struct splice {
	struct sign_run *run;
	struct sign_patch *pc;
	const struct signer_sigfile *sf;
	const struct sign_patch_plan *plan;   /* pos, drop */
	char *mtext;                          /* the replaced names' blocks */
	size_t mlen;
	struct signer_sigfile_block *mb;
	size_t nmb;
	size_t *moff;                         /* nmb + 1 */
};

/* The run's blocks' offsets in its text. */
static int block_offsets(struct splice *sp)
{
	sp->moff = malloc((sp->nmb + 1) * sizeof(*sp->moff));
	if (sp->moff == NULL) {
		return TLD_ENOMEM;
	}
	sp->moff[0] = 0;
	for (size_t i = 0; i < sp->nmb; i++) {
		sp->moff[i + 1] = sp->moff[i] + sp->mb[i].len;
	}
	return TLD_OK;
}

/* Written text is handed to the kernel's writeback in stretches of this size (as sign_write.c does). */
#define WRITEBACK_CHUNK (16u << 20)
/* Each text writer's buffer: pieces are gathered into it, larger ones written as they are. */
#define WRITE_BUFFER (1u << 20)

/*
 * Where the text goes: bytes [from, to) of it to fd at their offsets (one of
 * the two halves, sign_patch_write()), gathered in buf, with the writeback
 * started as they go; or the stream hash until stop is set.
 */
struct text_out {
	int fd;                               /* -1: the hash */
	uint64_t from, to;
	uint64_t pos;                         /* offset in the text of the next piece */
	char *buf;                            /* cap bytes: blen of them pending, for offset bpos */
	size_t cap, blen;
	uint64_t bpos, flushed;               /* writeback started for [from, flushed) */
	struct tld_text_stream *hash;
	const atomic_bool *stop;
	uint64_t hash_limit;                  /* not 0: the hashing stops there too (TLDSIGN_SIGN_PATCH_HASH=half) */
	bool stopped;                         /* hash holds a prefix of the text: a piece was not added */
};

static int pwrite_all(int fd, const char *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return w < 0 ? tld_errno(errno) : TLD_EIO; /* a full disk is told as such */
		}
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return TLD_OK;
}

/* Writes what the buffer holds, and starts the writeback of what is written once a chunk is. */
static int out_flush(struct text_out *o)
{
	int ret = o->blen > 0 ? pwrite_all(o->fd, o->buf, o->blen, o->bpos) : TLD_OK;
	o->bpos += o->blen;
	o->blen = 0;
	if (ret == TLD_OK && o->bpos - o->flushed >= WRITEBACK_CHUNK) {
		(void)sync_file_range(o->fd, (off_t)o->flushed, (off_t)(o->bpos - o->flushed), SYNC_FILE_RANGE_WRITE);
		o->flushed = o->bpos;
	}
	return ret;
}

/* The next piece of the text: its bytes in [from, to) written (pieces come in order). */
static int out_put(struct text_out *o, const char *p, size_t len)
{
	if (o->hash != NULL) {
		if (o->stopped || atomic_load_explicit(o->stop, memory_order_relaxed) ||
		    (o->hash_limit > 0 && o->hash->len >= o->hash_limit)) {
			o->stopped = true;
			return TLD_EAGAIN;
		}
		return tld_text_stream_add(o->hash, p, len);
	}
	uint64_t at = o->pos > o->from ? o->pos : o->from, end = o->pos + len < o->to ? o->pos + len : o->to;
	const char *q = p + (at - o->pos);
	o->pos += len;
	if (at >= end) {
		return TLD_OK; /* the other half's */
	}
	size_t n = (size_t)(end - at);
	int ret = TLD_OK;
	if (o->blen + n > o->cap) {
		ret = out_flush(o);
	}
	if (ret == TLD_OK && n >= o->cap) { /* as it is */
		ret = pwrite_all(o->fd, q, n, at);
		o->bpos = at + n;
		return ret == TLD_OK ? out_flush(o) : ret;
	}
	if (ret == TLD_OK) {
		memcpy(o->buf + o->blen, q, n);
		o->blen += n;
	}
	return ret;
}

/* Previous blocks [from, to) but the dropped ones, to out; *nix counts them. */
static int copy_blocks(struct splice *sp, struct text_out *out, size_t from, size_t to, size_t *d, size_t *nix,
                       uint64_t *size)
{
	const struct signer_sigfile *sf = sp->sf;
	while (from < to) {
		size_t end = to;
		while (*d < sp->plan->ndrop && sp->plan->drop[*d] < from) {
			(*d)++;
		}
		if (*d < sp->plan->ndrop && sp->plan->drop[*d] < to) {
			end = sp->plan->drop[*d];
		}
		if (end > from) {
			size_t len = (size_t)(sf->block_off[end] - sf->block_off[from]);
			int ret = out_put(out, sp->pc->prev_text + sf->block_off[from], len);
			if (ret != TLD_OK) {
				return ret;
			}
			*size += len;
			*nix += end - from;
		}
		from = end < to ? end + 1 : to; /* past the dropped block */
	}
	return TLD_OK;
}

/*
 * The text: the previous blocks with the run's merged in, to out; *nix
 * blocks and *size bytes in all (the plan's index has as many: checked).
 */
static int write_spliced(struct splice *sp, struct text_out *out, size_t *nix, uint64_t *size)
{
	size_t cur = 0, d = 0;
	*nix = 0;
	*size = 0;
	int ret = TLD_OK;
	for (size_t i = 0; i < sp->nmb && ret == TLD_OK; i++) {
		if (sp->plan->pos[i] == SIZE_MAX) {
			continue;
		}
		ret = copy_blocks(sp, out, cur, sp->plan->pos[i], &d, nix, size);
		if (ret == TLD_OK) {
			ret = out_put(out, sp->mtext + sp->moff[i], sp->mb[i].len);
		}
		(*nix)++;
		*size += sp->mb[i].len;
		cur = sp->plan->pos[i];
	}
	if (ret == TLD_OK) {
		ret = copy_blocks(sp, out, cur, (size_t)sp->sf->text->nblocks, &d, nix, size);
	}
	return ret == TLD_OK && out->hash == NULL ? out_flush(out) : ret;
}

/* One half of the text, written by write_spliced(): its counts of the whole. */
struct half_job {
	struct splice *sp;
	struct text_out out;
	size_t n;
	uint64_t size;
	int ret;
};

static void *half_main(void *arg)
{
	struct half_job *h = arg;
	h->out.buf = malloc(h->out.cap);
	h->ret = h->out.buf == NULL ? TLD_ENOMEM : write_spliced(h->sp, &h->out, &h->n, &h->size);
	free(h->out.buf);
	return NULL;
}

/*
 * The text into fd in two halves at their offsets, the second on a thread of
 * its own (here after the first when none can be had): the copy into the
 * page cache -- most of the write's CPU -- on both cores while the side
 * file's thread waits for its disk.  Each walks the whole plan, writes the
 * bytes of its half (a piece across the middle in two) and counts every
 * block and byte: both must come to the index's nix blocks and size bytes,
 * else TLD_EAGAIN (logged; the caller commits nothing).
 */
static int write_halves(struct splice *sp, int fd, size_t nix, uint64_t size)
{
	uint64_t half = size / 2;
	const char *env = getenv("TLDSIGN_SIGN_PATCH_WRITE_BUFFER"); /* bytes (tests only: pieces written as they are) */
	size_t cap = env != NULL && atoi(env) > 0 ? (size_t)atoi(env) : WRITE_BUFFER;
	struct half_job h[2] = {
		{ .sp = sp, .out = { .fd = fd, .from = 0, .to = half, .cap = cap, .bpos = 0, .flushed = 0 } },
		{ .sp = sp, .out = { .fd = fd, .from = half, .to = size, .cap = cap, .bpos = half, .flushed = half } },
	};
	tld_two_cores(half_main, &h[0], &h[1]);
	int ret = h[0].ret != TLD_OK ? h[0].ret : h[1].ret;
	for (int k = 0; k < 2 && ret == TLD_OK; k++) {
		if (h[k].n != nix || h[k].size != size) { /* the plan's index and the walk of the text: a bug */
			tld_info("signing: patch: %zu blocks (%" PRIu64 " bytes) written, %zu (%" PRIu64 ") in their index: the "
			         "whole zone is signed", h[k].n, h[k].size, nix, size);
			ret = TLD_EAGAIN; /* nothing committed */
		}
	}
	return ret;
}

/* -- public API -- */

/*
 * The side file, on a thread of its own beside the text: written and on the
 * disk, committed after the join; then the text's digest and check.
 */
struct side_job {
	struct splice *sp;
	const char *path;
	uint32_t serial;
	const struct signer_sigfile_block *ix;
	size_t nix;
	uint64_t size;
	tld_atomic_file_t *af;
	int ret;
	double seconds, hash_seconds;
	bool hash;                            /* on a thread of its own: the text's digest too */
	atomic_bool stop;                     /* the text is written: the side thread's hashing stops */
	atomic_bool side_done;                /* the side file is written: the text writer's hashing stops */
	atomic_int hasher;                    /* who hashes: 0 none yet, 1 the side thread, 2 the text's writer */
	struct tld_text_digest digest;        /* hex "" and no partial when not made */
};

/*
 * TLDSIGN_SIGN_PATCH_HASH (tests only): "whole" waits for the hashing, "none"
 * hashes nothing, "half" stops it half way as the other file's end would.
 */
enum hash_mode { HASH_PART, HASH_WHOLE, HASH_NONE, HASH_HALF };

static enum hash_mode hash_mode(void)
{
	const char *env = getenv("TLDSIGN_SIGN_PATCH_HASH");
	return env == NULL                   ? HASH_PART
	       : strcmp(env, "whole") == 0 ? HASH_WHOLE
	       : strcmp(env, "none") == 0  ? HASH_NONE
	       : strcmp(env, "half") == 0  ? HASH_HALF
	                                   : HASH_PART;
}

/*
 * The text's SHA-256 and check from the pieces it is written from, or the
 * stream of its first bytes when stopped (j->digest: nothing on failure).
 */
static void hash_text(struct side_job *j, const atomic_bool *stop)
{
	struct tld_text_stream hs;
	struct text_out h = { .fd = -1, .hash = &hs, .stop = stop, .hash_limit = hash_mode() == HASH_HALF ? j->size / 2 : 0 };
	size_t n = 0;
	uint64_t size = 0;
	if (tld_text_stream_init(&hs, true) != TLD_OK) {
		return;
	}
	int ret = write_spliced(j->sp, &h, &n, &size);
	if (ret == TLD_OK && n == j->nix && size == j->size) {
		if (tld_text_stream_end(&hs, j->digest.hex, &j->digest.check) != TLD_OK) {
			j->digest.hex[0] = 0;
		}
		return;
	}
	/* stopped between two pieces: every piece before added whole, none after */
	if (ret != TLD_OK && h.stopped && hs.len < j->size && (j->digest.partial = malloc(sizeof(hs))) != NULL) {
		*j->digest.partial = hs;
		return;
	}
	tld_text_stream_free(&hs);
}

static void *side_thread(void *arg)
{
	struct side_job *j = arg;
	double t0 = tld_mono_seconds();
	j->ret = tld_atomic_file_open(j->path, 0644, &j->af);
	if (j->ret == TLD_OK) {
		FILE *f = tld_atomic_file_stream(j->af);
		j->ret = sign_patch_side_write(j->sp->run, j->sp->pc, f, j->serial, j->ix, j->nix, j->size);
		if (j->ret == TLD_OK && (fflush(f) != 0 || fdatasync(fileno(f)) != 0)) {
			j->ret = TLD_EIO; /* the commit's fsync then finds nothing to wait for */
		}
	}
	double t1 = tld_mono_seconds();
	j->seconds = t1 - t0;
	int none = 0;
	if (j->ret == TLD_OK && j->hash && !atomic_load(&j->stop) && atomic_compare_exchange_strong(&j->hasher, &none, 1)) {
		hash_text(j, &j->stop); /* the text is still being written: until it is */
		j->hash_seconds = tld_mono_seconds() - t1;
	}
	atomic_store(&j->side_done, true);
	return NULL;
}

/*
 * The identity of the committed text path into d->ident when it is the file
 * written (*written: fstat of the stream after its last write); else d is
 * released: no digest is handed on.
 */
static void take_ident(const char *path, const struct stat *written, struct tld_text_digest *d)
{
	if ((d->hex[0] == 0 && d->partial == NULL) || !tld_file_ident_as_written(path, written, d->ident)) {
		tld_text_digest_release(d);
	}
}

int sign_patch_write(struct sign_run *run, struct sign_patch *pc, struct sign_patch_planner *pl, const char *path,
                     uint32_t serial)
{
	struct splice sp = { .run = run, .pc = pc, .sf = pc->sf, .plan = &pl->plan };
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return TLD_EINVAL;
	}
	double t0 = tld_mono_seconds(), waited = 0;
	int ret = sign_write_text_memory(run, &sp.mtext, &sp.mlen, &sp.mb, &sp.nmb);
	double t1 = tld_mono_seconds();
	if (ret == TLD_OK) {
		ret = sign_patch_plan_join(pl, &waited);
		if (ret == TLD_EAGAIN) {
			tld_info("signing: the previous zone text is not as its index says: the whole zone is signed");
		}
	}
	if (ret == TLD_OK) {
		ret = sign_patch_plan_check(&pl->plan, sp.mtext, sp.mb, sp.nmb);
	}
	if (ret == TLD_OK) {
		ret = block_offsets(&sp);
	}
	/* the index first (the side file holds it: the plan's, the run's blocks put in), then the side file beside the text */
	struct side_job sj = { .sp = &sp, .path = side, .serial = serial, .ret = TLD_OK, .stop = false,
	                       .side_done = false, .hasher = 0 };
	struct stat written = { 0 };
	tld_atomic_file_t *af = NULL;
	pthread_t tid;
	bool threaded = false;
	if (ret == TLD_OK) {
		sign_patch_plan_fill(&pl->plan, sp.mb, &sj.size);
		sj.ix = pl->plan.ix;
		sj.nix = pl->plan.nix;
	}
	double t2 = tld_mono_seconds(), write_cpu = 0;
	if (ret == TLD_OK) {
		sj.hash = hash_mode() != HASH_NONE;
		threaded = pthread_create(&tid, NULL, side_thread, &sj) == 0;
		if (!threaded) {
			sj.hash = false; /* on the critical path it would only move the publish's work */
			side_thread(&sj);
		}
		ret = tld_atomic_file_open(path, 0644, &af);
	}
	if (ret == TLD_OK) {
		int fd = fileno(tld_atomic_file_stream(af)); /* written at offsets: the stream is left empty */
		double c0 = tld_thread_cpu_seconds();
		ret = write_halves(&sp, fd, sj.nix, sj.size);
		write_cpu = tld_thread_cpu_seconds() - c0;
		if (ret == TLD_OK && fstat(fd, &written) != 0) {
			ret = TLD_EIO;
		}
		if (ret != TLD_OK && ret != TLD_EAGAIN) {
			tld_error("%s: writing the signed zone failed: %s", path, tld_strerror(ret));
		}
	}
	double t3 = tld_mono_seconds();
	atomic_bool never = false;
	if (hash_mode() != HASH_WHOLE) {
		atomic_store(&sj.stop, true); /* the text is written: the side thread's hashing is not waited for */
	}
	int none = 0;
	if (ret == TLD_OK && threaded && sj.hash && !atomic_load(&sj.side_done) &&
	    atomic_compare_exchange_strong(&sj.hasher, &none, 2)) {
		/* the side file is still being written (its disk): the text hashed meanwhile, until it is */
		hash_text(&sj, hash_mode() == HASH_WHOLE ? &never : &sj.side_done);
		sj.hash_seconds = tld_mono_seconds() - t3;
	}
	if (threaded) {
		pthread_join(tid, NULL);
	}
	double t4 = tld_mono_seconds();
	if (ret == TLD_OK && sj.ret != TLD_OK) {
		ret = sj.ret;
		if (ret != TLD_EAGAIN) {
			tld_error("%s: writing the signature side file failed: %s", side, tld_strerror(ret));
		}
	}
	/* the side file first, as sign_write() commits: it names the text's size and serial */
	if (ret == TLD_OK) {
		ret = tld_atomic_file_commit(sj.af);
		sj.af = NULL;
	}
	if (ret == TLD_OK) {
		ret = tld_atomic_file_commit(af);
		af = NULL;
	}
	if (ret == TLD_OK) {
		take_ident(path, &written, &sj.digest);
		run->text_digest = sj.digest; /* handed on */
	} else {
		tld_text_digest_release(&sj.digest);
	}
	if (sj.af != NULL) {
		tld_atomic_file_abort(sj.af);
	}
	if (af != NULL) {
		tld_atomic_file_abort(af);
	}
	if (ret == TLD_OK) {
		run->text_formatted = sp.mlen;
		run->text_copied = sj.size - sp.mlen;
		tld_debug("signing: patch: %zu blocks (%.1f MiB) formatted in %.2f s; %zu previous blocks taken out, "
		          "planned beside the signing in %.3f s (%zu owners parsed, %.3f CPU s; waited %.3f s for it), "
		          "checked in %.3f s, the text written in two halves in %.2f s (%.2f CPU s on this thread) beside the side "
		          "file (%.2f s), then %.2f s until it was done, fsync and rename %.2f s; the text's SHA-256 and check %s "
		          "%s in %.2f s",
		          sp.nmb, (double)sp.mlen / 1048576.0, t1 - t0, pl->plan.ndrop, pl->plan.seconds, pl->plan.parsed,
		          pl->plan.cpu, waited, t2 - t1 - waited, t3 - t2, write_cpu,
		          sj.seconds, t4 - t3, tld_mono_seconds() - t4,
		          run->text_digest.hex[0] != 0 ? "made"
		          : run->text_digest.partial != NULL ? "made in part (to be gone on with)" : "not made",
		          sj.hasher == 1 ? "by the side file's thread" : sj.hasher == 2 ? "by the text's writer" : "by none",
		          sj.hash_seconds);
		if (run->text_digest.partial != NULL) {
			tld_debug("signing: patch: the text's SHA-256 and check stopped at %.1f of %.1f MiB",
			          (double)run->text_digest.partial->len / 1048576.0, (double)sj.size / 1048576.0);
		}
	}
	free(sp.mtext);
	free(sp.mb);
	free(sp.moff);
	return ret;
}
