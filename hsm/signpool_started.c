/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signing workers started before the batches (hsm/signpool.h, "Workers
 * started early"): forked while the caller is small, each logs in and waits
 * on its end of a socketpair (SOCK_SEQPACKET: one message per send) for
 *   KEYS   the pool's keys (checked: found by CKA_ID, mechanism offered)
 *   BATCH  with a memfd (SCM_RIGHTS): the batch area of hsm/signpool_internal.h
 *          with the requests and messages, which it maps, checks and signs into
 * answering READY (after its log-in), KEYS and DONE; end of file on the
 * socket (the parent closed it, or died) ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "hsm/algorithm.h"
#include "hsm/signpool_internal.h"

enum { CTL_READY = 1, CTL_KEYS, CTL_BATCH, CTL_DONE };
#define MAX_KEYS 64
/* The fd a started worker keeps its socket on (every other inherited fd above 2 is closed). */
#define WORKER_FD 3

struct ctl_msg {
	uint32_t type;
	int32_t ret;
	uint32_t w;        /* BATCH: the worker's slot in the area */
	uint32_t nkeys;    /* KEYS: the wire_keys that follow */
	uint32_t copies;   /* KEYS: hsm.session-key-copies */
	double seconds;    /* READY: its log-in */
	char text[SIGNPOOL_ERR_TEXT];
};

struct wire_key {
	uint8_t algorithm;
	uint16_t key_tag;
	uint32_t id_len;
	uint8_t id[64];
	char what[SIGNPOOL_WHAT];
};

/* What the workers inherit: their log-ins one at a time, and whether one failed. */
struct ctl_shared {
	pthread_mutex_t open_lock;
	int login_failed;
};

struct tld_signpool_workers {
	unsigned n;                          /* forked */
	pid_t pid[SIGNPOOL_MAX_WORKERS];     /* 0: reaped */
	int fd[SIGNPOOL_MAX_WORKERS];        /* -1: closed (the worker is gone or going) */
	struct ctl_shared *sh;
	bool checked;                        /* tld_signpool_workers_ready() ran */
	bool usable;
	bool in_use;                         /* a pool signs with them */
	int fail;                            /* why not usable */
	char fail_text[SIGNPOOL_ERR_TEXT];
};

/* -- both sides -- */

static int send_msg(int fd, const void *buf, size_t len, int pass_fd)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		memset(&c, 0, sizeof(c));
		mh.msg_control = c.b;
		mh.msg_controllen = sizeof(c.b);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	ssize_t r;
	do {
		r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r == (ssize_t)len ? TLD_OK : TLD_EIO;
}

/* One message into buf; *got_fd the fd passed with it, or -1.  \return its length, 0 at end of file, -1 */
static ssize_t recv_msg(int fd, void *buf, size_t size, int *got_fd)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b, .msg_controllen = sizeof(c.b) };
	ssize_t r;
	do {
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	*got_fd = -1;
	for (struct cmsghdr *cm = r >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(got_fd, CMSG_DATA(cm), sizeof(int));
		}
	}
	if (r >= 0 && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
		if (*got_fd >= 0) {
			close(*got_fd);
			*got_fd = -1;
		}
		return -1;
	}
	return r;
}

/*
 * A worker's answer into m (parent side): true when one whole message came.
 * Its text is terminated here (it comes from another process); any fd passed
 * with it is closed; on false, m is zeroed (type 0).
 */
static bool recv_ctl(int fd, struct ctl_msg *m)
{
	int afd = -1;
	ssize_t len = recv_msg(fd, m, sizeof(*m), &afd);
	if (afd >= 0) {
		close(afd);
	}
	if (len != (ssize_t)sizeof(*m)) {
		memset(m, 0, sizeof(*m));
		return false;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return true;
}

/* -- the worker (child) -- */

struct child {
	struct signpool_keys k;   /* owned */
	struct worker wk;
};

/*
 * While it logs in, the parent's death must not kill the worker at once:
 * SoftHSM rewrites token.object in place at every C_Login, emptying it
 * first (hsm/softhsm_store.h), and a worker killed in that instant loses
 * the token for every signer.  So the death signal is SIGTERM, held back
 * (blocked) until the log-in is done; then it is SIGKILL.  Either way the
 * worker does not outlive the parent by more than its log-in.
 */
static void login_guard(bool on, pid_t parent)
{
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (on) {
		if (sigprocmask(SIG_BLOCK, &term, NULL) != 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
			_exit(1);
		}
	} else if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || sigprocmask(SIG_UNBLOCK, &term, NULL) != 0) {
		_exit(1); /* a SIGTERM held back (the parent died meanwhile) ends it in sigprocmask() */
	}
	if (getppid() != parent) {
		_exit(1); /* it died before the death signal was set */
	}
}

/* The worker's parent, for the guard of a re-open's log-in (signpool_worker.c). */
static pid_t worker_parent;

static void reopen_guard(bool on)
{
	login_guard(on, worker_parent);
}

/*
 * Right after the fork: dies with the parent (also when it died before
 * this line; SIGTERM held back until its log-in, login_guard()), keeps
 * only stderr and its socket (as WORKER_FD; the lock file of the state
 * directory, the state store, the other workers' sockets all closed),
 * stdin and stdout on /dev/null.
 */
static void child_isolate(int *fd, pid_t parent)
{
	signal(SIGTERM, SIG_DFL);
	login_guard(true, parent);
	if (*fd != WORKER_FD && dup2(*fd, WORKER_FD) != WORKER_FD) {
		_exit(1);
	}
	*fd = WORKER_FD;
	if (close_range(WORKER_FD + 1, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long i = WORKER_FD + 1; i < (max > 0 ? max : 65536); i++) {
			close((int)i);
		}
	}
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (nul > WORKER_FD) {
			close(nul);
		}
	}
}

static void child_free_keys(struct child *c)
{
	free(c->k.keys);
	free(c->k.whats);
	c->k.keys = NULL;
	c->k.whats = NULL;
	c->k.nkeys = 0;
}

/* KEYS: takes the list (checked against the message) and finds every key in the token. */
static int child_keys(struct child *c, const struct ctl_msg *m, size_t len, char *text)
{
	const struct wire_key *wk = (const struct wire_key *)(m + 1);
	child_free_keys(c);
	if (m->nkeys > MAX_KEYS || len != sizeof(*m) + m->nkeys * sizeof(*wk)) {
		snprintf(text, SIGNPOOL_ERR_TEXT, "malformed key list");
		return TLD_EINVAL;
	}
	size_t nk = m->nkeys ? m->nkeys : 1;
	c->k.keys = calloc(nk, sizeof(*c->k.keys));
	c->k.whats = calloc(nk, sizeof(*c->k.whats));
	if (c->k.keys == NULL || c->k.whats == NULL || signpool_worker_room(&c->wk, m->nkeys) != TLD_OK) {
		child_free_keys(c);
		return TLD_ENOMEM;
	}
	c->k.copies = m->copies != 0;
	int ret = TLD_OK;
	for (size_t i = 0; i < m->nkeys && ret == TLD_OK; i++) {
		struct tld_signpool_key *key = &c->k.keys[i];
		if (wk[i].id_len > sizeof(key->id)) {
			snprintf(text, SIGNPOOL_ERR_TEXT, "malformed key list");
			ret = TLD_EINVAL;
			break;
		}
		key->algorithm = wk[i].algorithm;
		key->key_tag = wk[i].key_tag;
		key->id_len = wk[i].id_len;
		memcpy(key->id, wk[i].id, sizeof(key->id));
		snprintf(c->k.whats[i], sizeof(c->k.whats[i]), "%.*s", (int)sizeof(wk[i].what) - 1, wk[i].what);
		c->k.nkeys = i + 1;
		tld_hsm_obj_t obj;
		if (tld_alg_info(key->algorithm) == NULL || !tld_hsm_supports(c->wk.hsm, key->algorithm)) {
			snprintf(text, SIGNPOOL_ERR_TEXT, "%s: algorithm %u not offered", c->k.whats[i], key->algorithm);
			ret = TLD_EKEY;
		} else if ((ret = tld_hsm_find_id(c->wk.hsm, true, key->id, key->id_len, &obj)) != TLD_OK) {
			snprintf(text, SIGNPOOL_ERR_TEXT, "%s: %s", c->k.whats[i], tld_hsm_error(c->wk.hsm));
		}
	}
	tld_hsm_clear_error(c->wk.hsm);
	if (ret != TLD_OK) {
		child_free_keys(c);
	}
	return ret;
}

/* BATCH: maps the area passed, checks it, signs what it claims. */
static int child_batch(struct child *c, int afd, uint32_t w)
{
	struct stat st;
	struct signpool_area a;
	if (afd < 0 || fstat(afd, &st) != 0 || st.st_size <= 0) {
		return TLD_EINVAL;
	}
	void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
	if (base == MAP_FAILED) {
		return TLD_ENOMEM;
	}
	int ret = signpool_area_bind(&a, base, (size_t)st.st_size);
	if (ret == TLD_OK && (w >= a.hdr->nw || a.req == NULL || c->k.keys == NULL)) {
		ret = TLD_EINVAL;
	}
	if (ret == TLD_OK) {
		struct timespec t0, t1, t2;
		c->wk.a = &a;
		c->wk.w = w;
		tld_hsm_clear_error(c->wk.hsm); /* the first error of this batch */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int r = signpool_worker_begin(&c->wk);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		size_t done = r == TLD_OK ? signpool_worker_claim(&c->wk, NULL, (size_t)a.hdr->n) : 0;
		clock_gettime(CLOCK_MONOTONIC, &t2);
		signpool_worker_end(&c->wk, done);
		const struct worker_stats *ws = &a.wstat[w];
		tld_debug("signing worker %u (started early, pid %ld): keys %.3f s, %zu items %.3f s, %u session key "
		          "copies (%u destroyed), %u keys on the token object%s",
		          w, (long)getpid(), signpool_seconds(&t0, &t1), done, signpool_seconds(&t1, &t2), ws->copies,
		          ws->destroyed, ws->fallbacks, c->wk.given_up ? ", then gave up" : "");
		c->wk.a = NULL;
	}
	munmap(base, (size_t)st.st_size);
	return ret;
}

/* The worker: log in, say so, serve KEYS and BATCH until end of file.  Never returns. */
static void child_main(const struct tld_config *cfg, struct ctl_shared *sh, int fd, pid_t parent)
{
	child_isolate(&fd, parent);
	struct child c = { 0 };
	c.wk.k = &c.k;
	c.wk.open_lock = &sh->open_lock;
	worker_parent = parent;
	c.wk.login_guard = reopen_guard;
	struct ctl_msg m = { .type = CTL_READY };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* one at a time (SoftHSM rewrites token files at log-in); none after one failed (a PIN is tried once) */
	signpool_lock(&sh->open_lock);
	if (getppid() != parent) {
		pthread_mutex_unlock(&sh->open_lock);
		_exit(1); /* the parent died while this one waited its turn */
	}
	if (sh->login_failed) {
		m.ret = TLD_EAGAIN;
		snprintf(m.text, sizeof(m.text), "not tried: another worker's log-in failed");
	} else {
		m.ret = tld_hsm_open_quiet(cfg, &c.wk.hsm, m.text, sizeof(m.text));
		sh->login_failed = m.ret != TLD_OK;
	}
	pthread_mutex_unlock(&sh->open_lock);
	login_guard(false, parent);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m.seconds = signpool_seconds(&t0, &t1);
	if (send_msg(fd, &m, sizeof(m), -1) != TLD_OK || m.ret != TLD_OK) {
		tld_hsm_close(c.wk.hsm);
		_exit(1);
	}
	static union {
		struct ctl_msg m;
		char b[sizeof(struct ctl_msg) + (MAX_KEYS + 1) * sizeof(struct wire_key)];
	} in;
	for (;;) {
		int afd = -1;
		ssize_t len = recv_msg(fd, &in, sizeof(in), &afd);
		if (len < (ssize_t)sizeof(in.m)) {
			if (afd >= 0) {
				close(afd);
			}
			break; /* end of file (the pool is done, or the parent died), or a broken message */
		}
		struct ctl_msg out = { .type = in.m.type == CTL_KEYS ? CTL_KEYS : CTL_DONE };
		if (in.m.type == CTL_KEYS) {
			out.ret = child_keys(&c, &in.m, (size_t)len, out.text);
		} else if (in.m.type == CTL_BATCH) {
			out.ret = child_batch(&c, afd, in.m.w);
		} else {
			out.ret = TLD_EINVAL;
		}
		if (afd >= 0) {
			close(afd);
		}
		if (send_msg(fd, &out, sizeof(out), -1) != TLD_OK) {
			break;
		}
	}
	tld_hsm_close(c.wk.hsm);
	_exit(0);
}

/* -- the parent -- */

/* Closes every socket (the workers see end of file and end), then reaps them. */
static void end_all(tld_signpool_workers_t *ws)
{
	for (unsigned w = 0; w < ws->n; w++) {
		if (ws->fd[w] >= 0) {
			close(ws->fd[w]);
			ws->fd[w] = -1;
		}
	}
	for (unsigned w = 0; w < ws->n; w++) {
		int status;
		while (ws->pid[w] > 0 && waitpid(ws->pid[w], &status, 0) < 0 && errno == EINTR) {
			;
		}
		ws->pid[w] = 0;
	}
	ws->usable = false;
}

/* Worker w is gone (its socket said so): reaped, its status returned. */
static int reap(tld_signpool_workers_t *ws, unsigned w)
{
	int status = 0;
	close(ws->fd[w]);
	ws->fd[w] = -1;
	while (ws->pid[w] > 0 && waitpid(ws->pid[w], &status, 0) < 0 && errno == EINTR) {
		;
	}
	ws->pid[w] = 0;
	return status;
}

void tld_signpool_workers_stop(tld_signpool_workers_t *ws)
{
	if (ws == NULL) {
		return;
	}
	end_all(ws);
	if (ws->sh != NULL) {
		munmap(ws->sh, sizeof(*ws->sh));
	}
	free(ws);
}

int tld_signpool_workers_start(const struct tld_config *cfg, unsigned workers, tld_signpool_workers_t **out)
{
	if (tld_hsm_any_open()) {
		return TLD_EINVAL; /* a child would inherit a PKCS#11 context it must not use */
	}
	if (workers == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		workers = c > 0 ? (unsigned)c : 1;
	}
	tld_signpool_workers_t *ws = calloc(1, sizeof(*ws));
	if (ws == NULL) {
		return TLD_ENOMEM;
	}
	ws->sh = mmap(NULL, sizeof(*ws->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ws->sh == MAP_FAILED) {
		ws->sh = NULL;
		tld_signpool_workers_stop(ws);
		return TLD_ENOMEM;
	}
	if (signpool_mutex_init(&ws->sh->open_lock) != TLD_OK) {
		tld_signpool_workers_stop(ws);
		return TLD_ENOMEM;
	}
	unsigned nw = workers > SIGNPOOL_MAX_WORKERS ? SIGNPOOL_MAX_WORKERS : workers;
	pid_t parent = getpid();
	fflush(NULL);
	for (unsigned w = 0; w < nw; w++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
			tld_signpool_workers_stop(ws);
			return TLD_EHSM;
		}
		pid_t pid = fork();
		if (pid == 0) {
			child_main(cfg, ws->sh, sv[1], parent);
		}
		close(sv[1]);
		if (pid < 0) {
			close(sv[0]);
			tld_signpool_workers_stop(ws);
			return TLD_EHSM;
		}
		ws->pid[w] = pid;
		ws->fd[w] = sv[0];
		ws->n = w + 1;
	}
	*out = ws;
	return TLD_OK;
}

int tld_signpool_workers_ready(tld_signpool_workers_t *ws)
{
	if (ws->checked) {
		return ws->usable ? TLD_OK : ws->fail;
	}
	ws->checked = true;
	double slowest = 0;
	int fail = TLD_OK;
	for (unsigned w = 0; w < ws->n; w++) {
		struct ctl_msg m;
		if (!recv_ctl(ws->fd[w], &m) || m.type != CTL_READY) {
			m.ret = TLD_EHSM;
			snprintf(m.text, sizeof(m.text), "signing worker %u ended before it logged in", w);
		}
		if (m.ret != TLD_OK && (fail == TLD_OK || fail == TLD_EAGAIN) && m.ret != fail) {
			fail = m.ret; /* an actual failure before "not tried" */
			snprintf(ws->fail_text, sizeof(ws->fail_text), "%s", m.text);
		}
		slowest = m.seconds > slowest ? m.seconds : slowest;
	}
	if (fail != TLD_OK) {
		ws->fail = fail == TLD_EAGAIN ? TLD_EHSM : fail;
		end_all(ws);
		tld_debug("signing workers started early: not usable (%s)", ws->fail_text);
		return ws->fail;
	}
	ws->usable = true;
	tld_debug("signing workers started early: %u logged in (the slowest in %.3f s)", ws->n, slowest);
	return TLD_OK;
}

size_t tld_signpool_workers_pids(const tld_signpool_workers_t *ws, pid_t *pids, size_t max)
{
	size_t k = 0;
	for (unsigned w = 0; ws != NULL && w < ws->n && k < max; w++) {
		if (ws->pid[w] > 0) {
			pids[k++] = ws->pid[w];
		}
	}
	return k;
}

/* Sends the pool's keys to every worker and waits for each one's check.  \return TLD_OK when all found all */
static int hand_keys(tld_signpool_workers_t *ws, const tld_signpool_t *pool, char *why, size_t why_size)
{
	static union {
		struct ctl_msg m;
		char b[sizeof(struct ctl_msg) + MAX_KEYS * sizeof(struct wire_key)];
	} out;
	memset(&out, 0, sizeof(out));
	out.m.type = CTL_KEYS;
	out.m.nkeys = (uint32_t)pool->k.nkeys;
	out.m.copies = pool->k.copies;
	struct wire_key *wk = (struct wire_key *)(&out.m + 1);
	for (size_t i = 0; i < pool->k.nkeys; i++) {
		const struct tld_signpool_key *key = &pool->k.keys[i];
		wk[i].algorithm = key->algorithm;
		wk[i].key_tag = key->key_tag;
		wk[i].id_len = (uint32_t)key->id_len;
		memcpy(wk[i].id, key->id, sizeof(wk[i].id));
		snprintf(wk[i].what, sizeof(wk[i].what), "%s", pool->k.whats[i]);
	}
	size_t len = sizeof(out.m) + pool->k.nkeys * sizeof(*wk);
	int ret = TLD_OK;
	unsigned sent = 0;
	for (; sent < ws->n; sent++) {
		if (send_msg(ws->fd[sent], &out, len, -1) != TLD_OK) {
			snprintf(why, why_size, "signing worker %u is gone", sent);
			ret = TLD_EHSM;
			break;
		}
	}
	for (unsigned w = 0; w < sent; w++) { /* every answer read, also after a failure */
		struct ctl_msg m;
		bool got = recv_ctl(ws->fd[w], &m);
		if (ret == TLD_OK && (!got || m.type != CTL_KEYS)) {
			snprintf(why, why_size, "signing worker %u is gone", w);
			ret = TLD_EHSM;
		} else if (ret == TLD_OK && m.ret != TLD_OK) {
			snprintf(why, why_size, "%s", m.text[0] ? m.text : tld_strerror(m.ret));
			ret = m.ret;
		}
	}
	return ret;
}

int signpool_started_take(tld_signpool_workers_t *ws, tld_signpool_t *pool)
{
	int ret = tld_signpool_workers_ready(ws);
	if (ret == TLD_EPIN) {
		/* the PIN was missing or refused: not tried again (a token counts failed log-ins) */
		tld_error("HSM: %s", ws->fail_text);
		signpool_set_error(pool, ws->fail_text);
		return TLD_EPIN;
	}
	if (ret != TLD_OK || ws->in_use) {
		return TLD_EAGAIN;
	}
	char why[SIGNPOOL_ERR_TEXT] = "too many keys";
	ret = pool->k.nkeys <= MAX_KEYS ? hand_keys(ws, pool, why, sizeof(why)) : TLD_EAGAIN;
	if (ret != TLD_OK) {
		tld_debug("signing pool: the workers started early cannot sign with these keys (%s); they end, "
		          "the workers are forked per batch", why);
		end_all(ws);
		ws->fail = TLD_EHSM;
		return TLD_EAGAIN;
	}
	ws->in_use = true;
	pool->started = ws;
	return TLD_OK;
}

void signpool_started_release(tld_signpool_workers_t *ws)
{
	if (ws != NULL) {
		ws->in_use = false;
	}
}

/* The batch's area in a memfd: layout, requests, messages, every item "not signed". */
static int make_area(const tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n, unsigned nw,
                     int *afd, struct signpool_area *a)
{
	struct signpool_area_hdr h;
	size_t msg_len = 0;
	for (size_t i = 0; i < n; i++) {
		msg_len += reqs[i].len;
	}
	signpool_area_layout(&h, n, nw, pool->k.max_sig, msg_len ? msg_len : 1);
	*afd = memfd_create("tldsign-sign-batch", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*afd < 0) {
		return TLD_EAGAIN;
	}
	void *base = MAP_FAILED;
	/* sealed at its size: no worker can shrink it under the parent's mapping (SIGBUS) */
	if (ftruncate(*afd, (off_t)h.size) == 0 &&
	    fcntl(*afd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0) {
		base = mmap(NULL, h.size, PROT_READ | PROT_WRITE, MAP_SHARED, *afd, 0);
	}
	if (base == MAP_FAILED) {
		close(*afd);
		return TLD_ENOMEM;
	}
	memcpy(base, &h, sizeof(h));
	if (signpool_area_bind(a, base, h.size) != TLD_OK) {
		munmap(base, h.size);
		close(*afd);
		return TLD_ENOMEM;
	}
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		a->req[i] = (struct signpool_area_req){ .key = reqs[i].key, .len = reqs[i].len, .off = off };
		memcpy(a->msg + off, reqs[i].msg, reqs[i].len);
		off += reqs[i].len;
		a->err[i] = TLD_EHSM; /* not signed until a worker says so */
	}
	return TLD_OK;
}

int signpool_started_sign(tld_signpool_t *pool, const struct tld_sign_req *reqs, size_t n,
                          struct tld_sign_result **out)
{
	tld_signpool_workers_t *ws = pool->started;
	unsigned live = 0, slot_of[SIGNPOOL_MAX_WORKERS];
	for (unsigned w = 0; w < ws->n; w++) {
		live += ws->fd[w] >= 0;
		slot_of[w] = SIGNPOOL_MAX_WORKERS; /* not sent the batch */
	}
	if (live == 0) {
		return TLD_EAGAIN;
	}
	unsigned nw = signpool_batch_workers(n, live);
	struct signpool_area a;
	int afd = -1;
	struct timespec b0, b1;
	clock_gettime(CLOCK_MONOTONIC, &b0);
	int ret = make_area(pool, reqs, n, nw, &afd, &a);
	if (ret != TLD_OK) {
		return ret;
	}
	unsigned sent = 0;
	for (unsigned w = 0; w < ws->n && sent < nw; w++) {
		struct ctl_msg m = { .type = CTL_BATCH, .w = sent };
		if (ws->fd[w] < 0) {
			continue;
		}
		if (send_msg(ws->fd[w], &m, sizeof(m), afd) != TLD_OK) {
			signpool_note_status(pool, sent, reap(ws, w));
			continue;
		}
		slot_of[w] = sent++;
	}
	close(afd); /* the workers have their own */
	for (unsigned w = 0, s = 0; w < ws->n && s < sent; w++) {
		if (ws->fd[w] < 0 || slot_of[w] != s) {
			continue;
		}
		struct ctl_msg m;
		bool got = recv_ctl(ws->fd[w], &m);
		signpool_set_error(pool, a.werr[s]);
		if (!got || m.type != CTL_DONE) {
			/* died mid-batch: the items it had claimed and not finished stay TLD_EHSM */
			int status = reap(ws, w);
			signpool_note_status(pool, s, status);
			if (!WIFSIGNALED(status)) {
				char text[128];
				snprintf(text, sizeof(text), "signing worker %u ended mid-batch", s);
				tld_error("%s", text);
				signpool_set_error(pool, text);
			}
		} else if (m.ret != TLD_OK) {
			signpool_set_error(pool, tld_strerror(m.ret));
		}
		s++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b1);
	if (sent == 0) {
		munmap(a.base, a.size);
		return TLD_EAGAIN; /* every worker was gone: the batch is forked */
	}
	pool->stats.batches++;
	pool->stats.started_batches++;
	pool->stats.seconds += signpool_seconds(&b0, &b1);
	ret = signpool_collect(pool, &a, n, sent, out);
	munmap(a.base, a.size);
	return ret;
}
