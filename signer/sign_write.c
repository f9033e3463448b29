/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writing a signed zone: the text in canonical order (the SOA RRset first,
 * each RRset followed by its RRSIGs, NSEC3 records merged in by owner) and
 * the signature side file, both atomically.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/sign_internal.h"
#include "signer/textout.h"

#define TEXT_BUFFER (8u << 20)
/* Nodes per part of the parallel text writer (a few MiB of text), and threads at most. */
#define TEXT_PART_NODES 16384
#define TEXT_THREADS_MAX 16

/* -- internal API -- */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int c = memcmp(a, b, m);
	if (c != 0) {
		return c;
	}
	return (al > bl) - (al < bl);
}

/* One writer: its text buffer and its scratch RDATA buffer. */
struct text_part {
	const struct sign_run *run;
	struct signer_textout t;
	uint8_t rdbuf[SIGN_RDBUF_SIZE];
	size_t node_from, node_to; /* nodes [from, to) */
	size_t slot;               /* first zone slot of node_from */
	size_t j;                  /* first NSEC3 not written before node_from */
	bool last;                 /* also writes the NSEC3 records after the last node */
	int ret;
};

static int write_sigs(struct text_part *tp, const uint8_t *owner, uint32_t slot)
{
	const struct sign_run *run = tp->run;
	const struct slot *s = &run->slots[slot];
	for (uint32_t i = 0; i < s->nsigs; i++) {
		const struct sig *sg = &run->sigs[s->sig_first + i];
		const uint8_t *rd = run->arena + sg->off;
		uint32_t ttl = (uint32_t)rd[4] << 24 | (uint32_t)rd[5] << 16 | (uint32_t)rd[6] << 8 | rd[7];
		int ret = signer_textout_rr(&tp->t, owner, ttl, SIGNER_T_RRSIG, rd, (uint16_t)sg->len);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

static int write_denial(struct text_part *tp, uint32_t slot)
{
	const struct sign_run *run = tp->run;
	const struct slot *s = &run->slots[slot];
	uint8_t owner[SIGNER_DNAME_MAX];
	size_t ol = 0;
	size_t len = sign_denial_rdata(run, s, tp->rdbuf, owner, &ol);
	if (len == 0) {
		return TLD_ENOMEM;
	}
	uint32_t ttl = s->kind == SLOT_NSEC ? run->nsec->ttl : run->n3->ttl;
	int ret = signer_textout_rr(&tp->t, owner, ttl, s->type, tp->rdbuf, (uint16_t)len);
	if (ret == TLD_OK) {
		ret = write_sigs(tp, owner, slot);
	}
	return ret;
}

/* One RRset of a node and, when it is signed, its RRSIGs. */
static int write_rrset(struct text_part *tp, const struct signer_node *n, uint32_t first, uint32_t count,
                       size_t s_begin, size_t s_end)
{
	const struct sign_run *run = tp->run;
	const struct signer_zone *z = run->z;
	const uint8_t *owner = signer_node_wire(z, n);
	uint16_t type = z->rrs[first].type;
	for (uint32_t i = 0; i < count; i++) {
		const struct signer_rr *rr = &z->rrs[first + i];
		int ret = signer_textout_rr(&tp->t, owner, rr->ttl, rr->type, signer_rr_rdata(z, rr), rr->rdlen);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	for (size_t s = s_begin; s < s_end; s++) {
		if (run->slots[s].kind == SLOT_ZONE && run->slots[s].type == type) {
			return write_sigs(tp, owner, (uint32_t)s);
		}
	}
	return TLD_OK;
}

static int write_node(struct text_part *tp, size_t i)
{
	const struct sign_run *run = tp->run;
	const struct signer_zone *z = run->z;
	const struct signer_node *n = &z->nodes[i];
	size_t s_begin = tp->slot, s_end = tp->slot;
	while (s_end < run->nzone_slots && run->slots[s_end].node == i) {
		s_end++;
	}
	int ret = TLD_OK;
	if (n->flags & SIGNER_NODE_APEX) { /* the SOA opens the file */
		ret = write_rrset(tp, n, z->soa_rr, 1, s_begin, s_end);
	}
	for (uint32_t r = 0; r < n->rr_count && ret == TLD_OK;) {
		uint32_t first = n->rr_first + r, count = 0;
		uint16_t type = z->rrs[first].type;
		while (r < n->rr_count && z->rrs[n->rr_first + r].type == type) {
			r++;
			count++;
		}
		if ((n->flags & SIGNER_NODE_APEX) && type == SIGNER_T_SOA) {
			continue;
		}
		ret = write_rrset(tp, n, first, count, s_begin, s_end);
	}
	for (size_t s = s_begin; s < s_end && ret == TLD_OK; s++) {
		if (run->slots[s].kind == SLOT_NSEC) {
			ret = write_denial(tp, (uint32_t)s);
		}
	}
	tp->slot = s_end;
	return ret;
}

/* Sort key of NSEC3 owner j */
static size_t nsec3_key(const struct sign_run *run, size_t j, uint8_t *key)
{
	uint8_t owner[SIGNER_DNAME_MAX];
	if (signer_nsec3_owner(run->z, run->n3, j, owner) == 0) {
		return 0;
	}
	return signer_dname_key(owner, key);
}

/* Writes nodes [node_from, node_to) with the NSEC3 records that sort among them, into tp->t. */
static void write_part(struct text_part *tp)
{
	const struct sign_run *run = tp->run;
	const struct signer_zone *z = run->z;
	size_t j = tp->j, nn3 = run->n3 ? run->n3->count : 0;
	uint8_t key[SIGNER_KEY_MAX];
	size_t key_len = j < nn3 ? nsec3_key(run, j, key) : 0;
	int ret = TLD_OK;
	for (size_t i = tp->node_from; i < tp->node_to && ret == TLD_OK; i++) {
		const struct signer_node *n = &z->nodes[i];
		/* NSEC3 owners that sort before this node (never before the apex) */
		while (i > 0 && j < nn3 && ret == TLD_OK && key_cmp(key, key_len, signer_node_key(z, n), n->key_len) < 0) {
			ret = write_denial(tp, (uint32_t)(run->nzone_slots + j));
			if (++j < nn3) {
				key_len = nsec3_key(run, j, key);
			}
		}
		if (ret == TLD_OK) {
			ret = write_node(tp, i);
		}
	}
	for (; tp->last && j < nn3 && ret == TLD_OK; j++) {
		ret = write_denial(tp, (uint32_t)(run->nzone_slots + j));
	}
	tp->ret = ret;
}

static void *write_part_thread(void *arg)
{
	write_part(arg);
	return NULL;
}

/* First NSEC3 written at or after node i: those sorting before node i - 1 come earlier. */
static size_t first_nsec3_of(const struct sign_run *run, size_t i)
{
	size_t nn3 = run->n3 ? run->n3->count : 0;
	if (i <= 1 || nn3 == 0) {
		return 0;
	}
	const struct signer_node *prev = &run->z->nodes[i - 1];
	const uint8_t *pk = signer_node_key(run->z, prev);
	size_t lo = 0, hi = nn3;
	while (lo < hi) { /* count of NSEC3 keys below the previous node's */
		size_t mid = lo + (hi - lo) / 2;
		uint8_t key[SIGNER_KEY_MAX];
		size_t kl = nsec3_key(run, mid, key);
		if (key_cmp(key, kl, pk, prev->key_len) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* First zone slot of node i or after it. */
static size_t first_slot_of(const struct sign_run *run, size_t i)
{
	size_t lo = 0, hi = run->nzone_slots;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (run->slots[mid].node < i) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * Threads and nodes per part.  TLDSIGN_SIGN_TEXT_PART=N (tests only) sets
 * the part size and forces at least two threads, so that small zones take
 * the parallel path too.
 */
static unsigned writer_threads(const struct sign_run *run, size_t *part_nodes)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("TLDSIGN_SIGN_TEXT_PART");
	long forced = env != NULL ? strtol(env, NULL, 10) : 0;
	*part_nodes = TEXT_PART_NODES;
	if (n < 1) {
		n = 1;
	}
	if (forced > 0) {
		*part_nodes = (size_t)forced;
		n = n < 2 ? 2 : n;
	} else if (run->z->nnodes < 4 * TEXT_PART_NODES) {
		n = 1;
	}
	return (unsigned)(n > TEXT_THREADS_MAX ? TEXT_THREADS_MAX : n);
}

/*
 * The zone text: rounds of one part of TEXT_PART_NODES nodes per thread,
 * formatted in parallel into memory, written in order.
 */
/* Where the text goes: a stream, or a comparison with the existing file. */
struct text_sink {
	FILE *out;                /* stream, or NULL: compare with old[] */
	const char *old;          /* mapped (page-aligned) */
	size_t old_len, pos;
	size_t released;          /* old[0 .. released) dropped from memory */
	bool differs;
};

/* Compared pages are dropped as the comparison goes, so the old file does not stay resident. */
#define SINK_RELEASE_CHUNK (4u << 20)

static int sink_put(struct text_sink *k, const char *buf, size_t len)
{
	if (k->out != NULL) {
		return fwrite(buf, 1, len, k->out) == len ? TLD_OK : TLD_EIO;
	}
	if (!k->differs && (k->old_len - k->pos < len || memcmp(k->old + k->pos, buf, len) != 0)) {
		k->differs = true;
	}
	k->pos += len;
	size_t behind = k->pos < k->old_len ? k->pos & ~(size_t)4095 : k->old_len & ~(size_t)4095;
	if (behind - k->released >= SINK_RELEASE_CHUNK) {
		madvise((void *)(k->old + k->released), behind - k->released, MADV_DONTNEED);
		k->released = behind;
	}
	return TLD_OK;
}

static int write_text(const struct sign_run *run, struct text_sink *sink)
{
	const struct signer_zone *z = run->z;
	size_t part_nodes = 0;
	unsigned nt = writer_threads(run, &part_nodes);
	struct text_part *parts = calloc(nt, sizeof(*parts));
	pthread_t tid[TEXT_THREADS_MAX];
	int ret = TLD_ENOMEM;
	unsigned ready = 0;
	if (parts == NULL) {
		return TLD_ENOMEM;
	}
	for (; ready < nt; ready++) {
		parts[ready].run = run;
		if (signer_textout_init(&parts[ready].t, NULL, TEXT_BUFFER / nt, run->o->now) != TLD_OK) {
			goto fail;
		}
	}
	ret = TLD_OK;
	double t_format = 0, t_put = 0;
	for (size_t from = 0; from < z->nnodes && ret == TLD_OK;) {
		unsigned used = 0, started = 0;
		double r0 = mono();
		for (; used < nt && from < z->nnodes; used++) {
			struct text_part *tp = &parts[used];
			size_t to = z->nnodes - from > part_nodes ? from + part_nodes : z->nnodes;
			tp->node_from = from;
			tp->node_to = to;
			tp->slot = first_slot_of(run, from);
			tp->j = first_nsec3_of(run, from);
			tp->last = to == z->nnodes;
			tp->t.len = 0;
			tp->ret = TLD_OK;
			from = to;
		}
		for (unsigned k = 1; k < used; k++) {
			if (pthread_create(&tid[k - 1], NULL, write_part_thread, &parts[k]) != 0) {
				break;
			}
			started = k;
		}
		for (unsigned k = started + 1; k < used; k++) { /* no thread for these: here */
			write_part(&parts[k]);
		}
		write_part(&parts[0]);
		for (unsigned k = 1; k <= started; k++) {
			pthread_join(tid[k - 1], NULL);
		}
		double r1 = mono();
		for (unsigned k = 0; k < used && ret == TLD_OK; k++) {
			ret = parts[k].ret;
			if (ret == TLD_OK && parts[k].t.len > 0) {
				ret = sink_put(sink, parts[k].t.buf, parts[k].t.len);
			}
		}
		t_format += r1 - r0;
		t_put += mono() - r1;
		if (sink->out == NULL && sink->differs) {
			break; /* no need to go on comparing */
		}
	}
	if (ret == TLD_OK && sink->out != NULL && fflush(sink->out) != 0) {
		ret = TLD_EIO;
	}
	tld_debug("signing: zone text: %u threads formatting %.2f s, written in order %.2f s", nt, t_format, t_put);
fail:
	for (unsigned k = 0; k < ready; k++) {
		signer_textout_finish(&parts[k].t);
	}
	free(parts);
	return ret;
}

static const uint8_t *sig_at(void *ctx, size_t i, uint16_t *len)
{
	const struct sign_run *run = ctx;
	*len = (uint16_t)run->sigs[i].len;
	return run->arena + run->sigs[i].off;
}

/* The side file of this run to a stream. */
static int sidefile_to(const struct sign_run *run, FILE *out, uint32_t serial)
{
	struct signer_sigfile_item *items = malloc((run->nslots ? run->nslots : 1) * sizeof(*items));
	if (items == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < run->nslots; i++) {
		memcpy(items[i].hash, run->slots[i].hash, SIGNER_SIGFILE_HASH);
		items[i].sig_first = run->slots[i].sig_first;
		items[i].nsigs = run->slots[i].nsigs;
	}
	int ret = signer_sigfile_write(out, run->z->origin, run->z->origin_len, serial, run->unsigned_hash, items,
	                               run->nslots, sig_at, (void *)run);
	free(items);
	return ret;
}

static int write_sidefile(struct sign_run *run, const char *path, uint32_t serial)
{
	tld_atomic_file_t *af = NULL;
	int ret = tld_atomic_file_open(path, 0644, &af);
	if (ret == TLD_OK) {
		ret = sidefile_to(run, tld_atomic_file_stream(af), serial);
		if (ret != TLD_OK) {
			tld_error("%s: writing the signature side file failed: %s", path, tld_strerror(ret));
			tld_atomic_file_abort(af);
		} else {
			ret = tld_atomic_file_commit(af);
		}
	}
	return ret;
}

/* The side file, on a thread of its own (see sign_write()). */
struct side_job {
	struct sign_run *run;
	const char *path;
	uint32_t serial;
	int ret;
	double seconds;
};

static void *side_thread(void *arg)
{
	struct side_job *j = arg;
	double t0 = mono();
	j->ret = write_sidefile(j->run, j->path, j->serial);
	j->seconds = mono() - t0;
	return NULL;
}

static ssize_t sink_cookie_write(void *cookie, const char *buf, size_t len)
{
	return sink_put(cookie, buf, len) == TLD_OK ? (ssize_t)len : -1;
}

/* Whether the file at path holds exactly the bytes emit() writes (compared as they come, not kept). */
static bool file_matches(const struct sign_run *run, const char *path, uint32_t serial,
                         int (*emit)(const struct sign_run *run, struct text_sink *sink, uint32_t serial))
{
	struct text_sink sink = { 0 };
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		return false;
	}
	if (fstat(fd, &st) == 0 && st.st_size > 0 && S_ISREG(st.st_mode)) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
			sink.old = map;
			sink.old_len = (size_t)st.st_size;
			same = emit(run, &sink, serial) == TLD_OK && !sink.differs && sink.pos == sink.old_len;
			munmap(map, (size_t)st.st_size);
		}
	}
	close(fd);
	return same;
}

static int emit_text(const struct sign_run *run, struct text_sink *sink, uint32_t serial)
{
	(void)serial;
	return write_text(run, sink);
}

static int emit_sidefile(const struct sign_run *run, struct text_sink *sink, uint32_t serial)
{
	cookie_io_functions_t io = { .write = sink_cookie_write };
	FILE *f = fopencookie(sink, "w", io);
	if (f == NULL) {
		return TLD_ENOMEM;
	}
	int ret = sidefile_to(run, f, serial);
	if (fclose(f) != 0 && ret == TLD_OK) {
		ret = TLD_EIO;
	}
	return ret;
}

/*
 * Whether the file at path and its side file already hold exactly what would
 * be written: both are formatted and compared, not written.
 */
static bool same_as_existing(const struct sign_run *run, const char *path, uint32_t serial)
{
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return false;
	}
	return file_matches(run, side, serial, emit_sidefile) && file_matches(run, path, serial, emit_text);
}

/* -- public API -- */

int sign_write(struct sign_run *run, const char *path, bool unchanged)
{
	const uint8_t *soa = run->z->rdata + run->z->rrs[run->z->soa_rr].rdoff + run->z->rrs[run->z->soa_rr].rdlen - 20;
	uint32_t serial = (uint32_t)soa[0] << 24 | (uint32_t)soa[1] << 16 | (uint32_t)soa[2] << 8 | soa[3];
	char side[4096];
	if (snprintf(side, sizeof(side), "%s%s", path, SIGNER_SIGFILE_SUFFIX) >= (int)sizeof(side)) {
		return TLD_EINVAL;
	}
	if (unchanged && same_as_existing(run, path, serial)) {
		tld_info("%s: unchanged and identical to the file there: not rewritten", path);
		return TLD_OK;
	}
	/*
	 * The side file is written on its own thread while the text is
	 * formatted, and renamed into place before the text: it is
	 * content-addressed, so a crash between the two renames only costs reuse.
	 */
	double t0 = mono();
	struct side_job sj = { .run = run, .path = side, .serial = serial };
	pthread_t tid;
	bool threaded = pthread_create(&tid, NULL, side_thread, &sj) == 0;
	if (!threaded) {
		side_thread(&sj);
	}
	tld_atomic_file_t *af = NULL;
	int ret = tld_atomic_file_open(path, 0644, &af);
	if (ret == TLD_OK) {
		struct text_sink sink = { .out = tld_atomic_file_stream(af) };
		ret = write_text(run, &sink);
		if (ret != TLD_OK) {
			tld_error("%s: writing the signed zone failed: %s", path, tld_strerror(ret));
		}
	}
	double t1 = mono();
	if (threaded) {
		pthread_join(tid, NULL);
	}
	double t2 = mono();
	if (ret == TLD_OK && sj.ret != TLD_OK) {
		ret = sj.ret; /* logged by write_sidefile() */
	}
	if (ret != TLD_OK) {
		if (af != NULL) {
			tld_atomic_file_abort(af);
		}
		return ret;
	}
	ret = tld_atomic_file_commit(af);
	tld_debug("signing: side file (on its own thread) %.2f s, zone text %.2f s, waited %.2f s for the side file, "
	          "fsync and rename %.2f s",
	          sj.seconds, t1 - t0, t2 - t1, mono() - t2);
	return ret;
}
