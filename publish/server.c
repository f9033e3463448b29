/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "common/clock.h"
#include "common/yaml_schema.h"
#include "publish/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/dnswire.h"
#include "publish/publish.h"
#include "publish/tsig.h"
#include "publish/zoneimage.h"

#define MAX_LISTEN 32
#define MSG_MAX 65535
#define MSG_RESERVE 400          /* room kept for OPT and TSIG */
#define AXFR_MSG_LIMIT 16000         /* compression pointers reach 16383 bytes */
#define MAX_SEGMENTS (TLD_JOURNAL_MAX_ENTRIES + 4)
#define UDP_EDNS_SIZE 1232

/* One loaded version with its journal: shared by transfers, refcounted. */
struct snapshot {
	atomic_int refs;
	int64_t version_id;
	struct tld_zone_image *zone;
	struct tld_zone_image **journal;
	size_t njournal;
};

struct segment {
	const struct tld_zone_image *img;
	size_t from, to;
};

struct conn {
	int fd;
	struct sockaddr_storage peer;
	char peer_text[INET6_ADDRSTRLEN + 8];
	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_pos;
	int64_t last_active_ms;
	/* transfer in progress */
	bool streaming;
	struct snapshot *snap;
	struct segment seg[MAX_SEGMENTS];
	size_t nseg, cur_seg, cur_rr;
	bool tsig_on;
	struct tld_tsig_ctx tsig;
	bool edns;
	uint16_t id;
	uint8_t qname[TLD_DNS_MAXNAME];
	size_t qname_len;
	uint16_t qtype;
	unsigned messages;
	uint64_t bytes;
	int64_t started_ms;
	const char *kind;
};

struct tld_server {
	const struct tld_config *cfg;
	struct tld_server_limits limits;
	tld_statedb_t *db;
	uint8_t apex[TLD_DNS_MAXNAME];
	size_t apex_len;
	int udp[MAX_LISTEN], tcp[MAX_LISTEN];
	size_t nlisten;
	struct conn **conns;
	size_t nconns;
	struct snapshot *current;
	struct tld_msg_writer *writer;
	uint8_t *udp_buf, *udp_out;
	/* loader */
	pthread_mutex_t lock;
	pthread_t loader;
	bool loading;
	bool loader_done;
	struct snapshot *loaded;
	int64_t last_check_ms;
	int64_t failed_version_id;
};

struct tld_server_limits tld_server_limits_default(void)
{
	struct tld_server_limits l = {
		.max_connections = 256, .max_per_client = 16,
		.idle_timeout_ms = 20000, .reload_interval_ms = 250,
	};
	return l;
}

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}


static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, size, "%s@%u", host, port);
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
	}
	if (a->ss_family == AF_INET) {
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		              &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	}
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* ---- snapshots and the loader thread ---- */

static void snapshot_release(struct snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1) {
		return;
	}
	tld_image_free(s->zone);
	for (size_t i = 0; i < s->njournal; i++) {
		tld_image_free(s->journal[i]);
	}
	free(s->journal);
	free(s);
}

static struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

struct load_job {
	struct tld_server *srv;
	struct tld_version_info version;
	struct tld_journal_info *journal;
	size_t njournal;
};

static void *loader_main(void *arg)
{
	struct load_job *job = arg;
	struct snapshot *s = calloc(1, sizeof(*s));
	int64_t t0 = tld_mono_ms();

	if (s != NULL) {
		atomic_init(&s->refs, 1);
		s->version_id = job->version.id;
		s->journal = calloc(job->njournal ? job->njournal : 1, sizeof(*s->journal));
		if (s->journal == NULL || tld_image_load(job->version.image, &s->zone) != TLD_OK ||
		    s->zone->serial != job->version.serial) {
			tld_error("cannot load version %u from %s", job->version.serial, job->version.image);
			snapshot_release(s);
			s = NULL;
		}
	}
	for (size_t i = 0; s != NULL && i < job->njournal; i++) {
		struct tld_zone_image *j = NULL;
		if (tld_image_load(job->journal[i].file, &j) == TLD_OK &&
		    j->from_serial == job->journal[i].from_serial &&
		    j->serial == job->journal[i].to_serial) {
			s->journal[s->njournal++] = j;
		} else {
			tld_image_free(j);
			tld_warning("journal entry %s unusable; IXFR across it falls back to AXFR",
			            job->journal[i].file);
		}
	}
	if (s != NULL) {
		tld_notice("loaded serial %u (%zu records, %zu journal entries) in %lld ms",
		           s->zone->serial, s->zone->count, s->njournal, (long long)(tld_mono_ms() - t0));
	}
	pthread_mutex_lock(&job->srv->lock);
	job->srv->loaded = s;
	job->srv->loader_done = true;
	if (s == NULL) {
		job->srv->failed_version_id = job->version.id;
	}
	pthread_mutex_unlock(&job->srv->lock);
	free(job->journal);
	free(job);
	return NULL;
}

/* Checks the state store for a newer version and starts loading it. */
static void check_new_version(struct tld_server *srv, bool wait)
{
	struct tld_version_info v;
	struct load_job *job;

	if (srv->loading) {
		pthread_mutex_lock(&srv->lock);
		bool done = srv->loader_done;
		struct snapshot *s = srv->loaded;
		srv->loaded = NULL;
		pthread_mutex_unlock(&srv->lock);
		if (!done) {
			return;
		}
		pthread_join(srv->loader, NULL);
		srv->loading = false;
		if (s != NULL) {
			snapshot_release(srv->current);
			srv->current = s;
		}
	}
	int64_t now = tld_mono_ms();
	if (!wait && now - srv->last_check_ms < srv->limits.reload_interval_ms) {
		return;
	}
	srv->last_check_ms = now;
	if (tld_versions_current(srv->db, &v) != TLD_OK) {
		return;
	}
	if ((srv->current && srv->current->version_id == v.id) || srv->failed_version_id == v.id) {
		return;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		return;
	}
	job->srv = srv;
	job->version = v;
	if (tld_journal_list(srv->db, &job->journal, &job->njournal) != TLD_OK) {
		job->journal = NULL;
		job->njournal = 0;
	}
	srv->loader_done = false;
	if (pthread_create(&srv->loader, NULL, loader_main, job) != 0) {
		free(job->journal);
		free(job);
		return;
	}
	srv->loading = true;
	if (wait) {
		pthread_join(srv->loader, NULL);
		srv->loading = false;
		pthread_mutex_lock(&srv->lock);
		if (srv->loaded) {
			snapshot_release(srv->current);
			srv->current = srv->loaded;
			srv->loaded = NULL;
		}
		pthread_mutex_unlock(&srv->lock);
	}
}

/* ---- sockets ---- */

static int open_socket(const struct tld_sockaddr *a, int type)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void tld_server_free(tld_server_t *srv)
{
	if (srv == NULL) {
		return;
	}
	if (srv->loading) {
		pthread_join(srv->loader, NULL);
		snapshot_release(srv->loaded);
	}
	for (size_t i = 0; i < srv->nlisten; i++) {
		close(srv->udp[i]);
		close(srv->tcp[i]);
	}
	for (size_t i = 0; i < srv->nconns; i++) {
		close(srv->conns[i]->fd);
		snapshot_release(srv->conns[i]->snap);
		free(srv->conns[i]->in);
		free(srv->conns[i]->out);
		free(srv->conns[i]);
	}
	free(srv->conns);
	snapshot_release(srv->current);
	free(srv->writer);
	free(srv->udp_buf);
	free(srv->udp_out);
	tld_statedb_close(srv->db);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

int tld_server_new(const struct tld_config *cfg, const struct tld_server_limits *limits,
                   tld_server_t **out)
{
	struct tld_server *srv = calloc(1, sizeof(*srv));
	int r = TLD_ENOMEM;
	if (srv == NULL) {
		return TLD_ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	srv->cfg = cfg;
	srv->limits = limits ? *limits : tld_server_limits_default();
	srv->failed_version_id = -1;
	srv->writer = calloc(1, sizeof(*srv->writer));
	srv->udp_buf = malloc(MSG_MAX);
	srv->udp_out = malloc(MSG_MAX);
	srv->conns = calloc(srv->limits.max_connections, sizeof(*srv->conns));
	if (srv->writer == NULL || srv->udp_buf == NULL || srv->udp_out == NULL || srv->conns == NULL) {
		goto fail;
	}
	if (tld_name_from_text(cfg->zone, srv->apex, &srv->apex_len) != TLD_OK) {
		r = TLD_ECONFIG;
		goto fail;
	}
	r = tld_statedb_open(cfg->state_dir, &srv->db);
	if (r != TLD_OK) {
		goto fail;
	}
	r = tld_versions_init(srv->db);
	if (r != TLD_OK) {
		goto fail;
	}
	if (cfg->publish.listen_count == 0 || cfg->publish.listen_count > MAX_LISTEN) {
		tld_error("publish.listen: between 1 and %d addresses needed", MAX_LISTEN);
		r = TLD_ECONFIG;
		goto fail;
	}
	for (size_t i = 0; i < cfg->publish.listen_count; i++) {
		const struct tld_sockaddr *a = &cfg->publish.listen[i];
		srv->udp[i] = open_socket(a, SOCK_DGRAM);
		srv->tcp[i] = srv->udp[i] >= 0 ? open_socket(a, SOCK_STREAM) : -1;
		if (srv->tcp[i] < 0) {
			tld_error("cannot listen on %s: %s", a->text, strerror(errno));
			if (srv->udp[i] >= 0) {
				close(srv->udp[i]);
			}
			r = TLD_ENET;
			goto fail;
		}
		srv->nlisten++;
		tld_notice("listening on %s (UDP and TCP)", a->text);
	}
	check_new_version(srv, true);
	if (srv->current == NULL) {
		tld_warning("no published version yet; answering REFUSED until one is published");
	}
	*out = srv;
	return TLD_OK;
fail:
	tld_server_free(srv);
	return r;
}

/* ---- answering ---- */

/* Whether the ACL lets this source with this key (NULL = no TSIG) in. */
static bool acl_allows(const struct tld_server *srv, const struct sockaddr_storage *src,
                       const struct tld_tsig_key *key)
{
	const struct tld_config *cfg = srv->cfg;
	for (size_t i = 0; i < cfg->publish.acl_count; i++) {
		const struct tld_acl_entry *e = &cfg->publish.acl[i];
		if (e->key != NULL && (key == NULL || strcasecmp(e->key, key->name) != 0)) {
			continue;
		}
		if (e->from_count == 0) {
			return true;
		}
		for (size_t j = 0; j < e->from_count; j++) {
			if (tld_prefix_match(&e->from[j], (const struct sockaddr *)src)) {
				return true;
			}
		}
	}
	return false;
}

static void add_opt(struct tld_msg_writer *w)
{
	static const uint8_t root = 0;
	tld_writer_rr(w, 3, &root, 1, TLD_RR_OPT, UDP_EDNS_SIZE, 0, NULL, 0);
}

/* Builds a header-only or short reply into out; returns its length (0 = drop). */
static size_t error_reply(struct tld_server *srv, const struct tld_msg *m, bool parsed, int rcode,
                          struct tld_tsig_ctx *tsig, int tsig_error, uint8_t *out, size_t cap)
{
	struct tld_msg_writer *w = srv->writer;
	uint16_t flags = (uint16_t)(0x8000 | (m->flags & 0x7900));  /* QR, opcode, RD */
	tld_writer_init(w, out, cap - MSG_RESERVE, cap - MSG_RESERVE, m->id, flags);
	if (parsed && m->has_question) {
		tld_writer_question(w, m->qname, m->qname_len, m->qtype, m->qclass);
	}
	if (parsed && m->has_opt) {
		add_opt(w);
	}
	tld_writer_rcode(w, rcode);
	tld_writer_finish(w);
	size_t len = w->len;
	if (tsig != NULL && tsig->key != NULL) {
		bool sign = tsig_error == 0 || tsig_error == TLD_RCODE_BADTIME;
		if (tld_tsig_sign(tsig, out, &len, cap, wall_now(), (uint16_t)tsig_error, sign) != TLD_OK) {
			return 0;
		}
	}
	return len;
}

/* The SOA answer (SOA queries, up-to-date IXFR, IXFR over UDP). */
static size_t soa_reply(struct tld_server *srv, const struct tld_msg *m, struct tld_tsig_ctx *tsig,
                        const struct snapshot *snap, uint8_t *out, size_t cap)
{
	struct tld_msg_writer *w = srv->writer;
	struct tld_image_rr soa;
	tld_image_rr(snap->zone, snap->zone->soa, &soa);
	tld_writer_init(w, out, cap - MSG_RESERVE, cap - MSG_RESERVE, m->id,
	                (uint16_t)(0x8400 | (m->flags & 0x0100)));
	tld_writer_question(w, m->qname, m->qname_len, m->qtype, m->qclass);
	tld_writer_rr(w, 1, soa.owner, soa.owner_len, soa.type, soa.rclass, soa.ttl, soa.rdata, soa.rdlen);
	if (m->has_opt) {
		add_opt(w);
	}
	tld_writer_finish(w);
	size_t len = w->len;
	if (tsig != NULL && tsig->key != NULL &&
	    tld_tsig_sign(tsig, out, &len, cap, wall_now(), 0, true) != TLD_OK) {
		return 0;
	}
	return len;
}

/* Finds the journal chain from serial to the current version; false if none. */
static bool journal_chain(const struct snapshot *snap, uint32_t from, struct segment *seg,
                          size_t *nseg, size_t max)
{
	uint32_t s = from;
	size_t n = 0;
	while (s != snap->zone->serial) {
		bool found = false;
		for (size_t i = 0; i < snap->njournal; i++) {
			if (snap->journal[i]->from_serial == s) {
				if (n == max) {
					return false;
				}
				seg[n].img = snap->journal[i];
				seg[n].from = 0;
				seg[n].to = snap->journal[i]->count;
				n++;
				s = snap->journal[i]->serial;
				found = true;
				break;
			}
		}
		if (!found) {
			return false;
		}
	}
	*nseg = n;
	return true;
}

enum verdict { V_DROP, V_REPLY, V_STREAM };

/*
 * Common checks for a query on either transport: parse, opcode, zone, TSIG,
 * ACL.  Fills reply (and *reply_len) for errors and SOA answers.
 */
static enum verdict examine(struct tld_server *srv, const uint8_t *pkt, size_t len,
                            const struct sockaddr_storage *src, const char *src_text, bool tcp,
                            struct tld_msg *m, struct tld_tsig_ctx *tsig, uint8_t *reply,
                            size_t cap, size_t *reply_len)
{
	int tsig_error = 0;
	memset(tsig, 0, sizeof(*tsig));
	*reply_len = 0;
	if (tld_msg_parse(pkt, len, m) != TLD_OK) {
		if (len < TLD_DNS_HDR || (pkt[2] & 0x80)) {
			return V_DROP;
		}
		m->id = tld_get16(pkt);
		m->flags = tld_get16(pkt + 2);
		tld_info("%s: malformed query, FORMERR", src_text);
		*reply_len = error_reply(srv, m, false, TLD_RCODE_FORMERR, NULL, 0, reply, cap);
		return V_REPLY;
	}
	if (m->flags & 0x8000) {
		return V_DROP;  /* a response: never answer it */
	}
	int opcode = (m->flags >> 11) & 0xF;
	if (m->has_tsig) {
		if (tld_tsig_verify_request(m, srv->cfg->publish.tsig, srv->cfg->publish.tsig_count,
		                            wall_now(), tsig, &tsig_error) != TLD_OK) {
			char kn[1024];
			tld_name_to_text(m->tsig.owner, kn, sizeof(kn));
			tld_warning("%s: TSIG key %s: %s", src_text, kn,
			            tsig_error == TLD_RCODE_BADKEY ? "BADKEY" :
			            tsig_error == TLD_RCODE_BADTIME ? "BADTIME" : "BADSIG");
			*reply_len = error_reply(srv, m, true, TLD_RCODE_NOTAUTH, tsig, tsig_error, reply, cap);
			return V_REPLY;
		}
	}
	if (opcode != TLD_OP_QUERY) {
		*reply_len = error_reply(srv, m, true, TLD_RCODE_NOTIMP, tsig, 0, reply, cap);
		return V_REPLY;
	}
	if (!m->has_question) {
		*reply_len = error_reply(srv, m, true, TLD_RCODE_FORMERR, tsig, 0, reply, cap);
		return V_REPLY;
	}
	if (m->qclass != TLD_CLASS_IN || m->qname_len != srv->apex_len ||
	    memcmp(m->qname, srv->apex, srv->apex_len) != 0 ||
	    (m->qtype != TLD_RR_SOA && m->qtype != TLD_RR_AXFR && m->qtype != TLD_RR_IXFR)) {
		*reply_len = error_reply(srv, m, true, TLD_RCODE_REFUSED, tsig, 0, reply, cap);
		return V_REPLY;
	}
	if (!acl_allows(srv, src, tsig->key)) {
		tld_warning("%s: %s refused by the ACL (key %s)", src_text,
		            m->qtype == TLD_RR_AXFR ? "AXFR" : m->qtype == TLD_RR_IXFR ? "IXFR" : "SOA query",
		            tsig->key ? tsig->key->name : "none");
		*reply_len = error_reply(srv, m, true, TLD_RCODE_REFUSED, tsig, 0, reply, cap);
		return V_REPLY;
	}
	if (srv->current == NULL) {
		*reply_len = error_reply(srv, m, true, TLD_RCODE_SERVFAIL, tsig, 0, reply, cap);
		return V_REPLY;
	}
	if (m->qtype == TLD_RR_SOA ||
	    (m->qtype == TLD_RR_IXFR && m->has_soa && m->soa_serial == srv->current->zone->serial) ||
	    (m->qtype == TLD_RR_IXFR && !tcp)) {
		if (m->qtype == TLD_RR_IXFR && !m->has_soa) {
			*reply_len = error_reply(srv, m, true, TLD_RCODE_FORMERR, tsig, 0, reply, cap);
			return V_REPLY;
		}
		*reply_len = soa_reply(srv, m, tsig, srv->current, reply, cap);
		return V_REPLY;
	}
	if (!tcp) {  /* AXFR over UDP */
		*reply_len = error_reply(srv, m, true, TLD_RCODE_NOTIMP, tsig, 0, reply, cap);
		return V_REPLY;
	}
	if (m->qtype == TLD_RR_IXFR && !m->has_soa) {
		*reply_len = error_reply(srv, m, true, TLD_RCODE_FORMERR, tsig, 0, reply, cap);
		return V_REPLY;
	}
	return V_STREAM;
}

static void handle_udp(struct tld_server *srv, int fd)
{
	for (int burst = 0; burst < 64; burst++) {
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		struct tld_msg m;
		struct tld_tsig_ctx tsig;
		char src_text[INET6_ADDRSTRLEN + 8];
		size_t rlen;
		ssize_t n = recvfrom(fd, srv->udp_buf, MSG_MAX, 0, (struct sockaddr *)&src, &slen);
		if (n < 0) {
			return;
		}
		addr_text(&src, src_text, sizeof(src_text));
		enum verdict v = examine(srv, srv->udp_buf, (size_t)n, &src, src_text, false, &m, &tsig,
		                         srv->udp_out, MSG_MAX, &rlen);
		if (v != V_REPLY || rlen == 0) {
			continue;
		}
		size_t max = m.has_opt ? (m.udp_size < 4096 ? m.udp_size : 4096) : 512;
		if (rlen > max) {
			/* header only with TC; the client retries over TCP */
			srv->udp_out[2] |= 0x02;
			memset(srv->udp_out + 4, 0, 8);
			rlen = TLD_DNS_HDR;
		}
		sendto(fd, srv->udp_out, rlen, 0, (struct sockaddr *)&src, slen);
	}
}

static void conn_close(struct tld_server *srv, size_t i)
{
	struct conn *c = srv->conns[i];
	close(c->fd);
	snapshot_release(c->snap);
	free(c->in);
	free(c->out);
	free(c);
	srv->conns[i] = srv->conns[--srv->nconns];
}

static void handle_accept(struct tld_server *srv, int lfd)
{
	for (int burst = 0; burst < 32; burst++) {
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		int fd = accept4(lfd, (struct sockaddr *)&src, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			return;
		}
		unsigned same = 0;
		for (size_t i = 0; i < srv->nconns; i++) {
			same += same_host(&srv->conns[i]->peer, &src);
		}
		char text[INET6_ADDRSTRLEN + 8];
		addr_text(&src, text, sizeof(text));
		if (srv->nconns >= srv->limits.max_connections || same >= srv->limits.max_per_client) {
			tld_warning("%s: connection refused (limit: %u total, %u per client)", text,
			            srv->limits.max_connections, srv->limits.max_per_client);
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (c == NULL || (c->in = malloc(2 + MSG_MAX)) == NULL ||
		    (c->out = malloc(2 + MSG_MAX)) == NULL) {
			if (c) {
				free(c->in);
				free(c);
			}
			close(fd);
			return;
		}
		c->fd = fd;
		c->peer = src;
		snprintf(c->peer_text, sizeof(c->peer_text), "%s", text);
		c->last_active_ms = tld_mono_ms();
		srv->conns[srv->nconns++] = c;
	}
}

/* Generates the next transfer message into c->out; false when the stream is done. */
static bool next_message(struct tld_server *srv, struct conn *c)
{
	struct tld_msg_writer *w = srv->writer;
	uint8_t *msg = c->out + 2;
	if (c->cur_seg >= c->nseg) {
		return false;
	}
	tld_writer_init(w, msg, MSG_MAX - MSG_RESERVE, AXFR_MSG_LIMIT, c->id, 0x8400);
	if (c->messages == 0) {
		tld_writer_question(w, c->qname, c->qname_len, c->qtype, TLD_CLASS_IN);
	}
	while (c->cur_seg < c->nseg) {
		const struct segment *s = &c->seg[c->cur_seg];
		if (c->cur_rr >= s->to) {
			c->cur_seg++;
			if (c->cur_seg < c->nseg) {
				c->cur_rr = c->seg[c->cur_seg].from;
			}
			continue;
		}
		struct tld_image_rr rr;
		tld_image_rr(s->img, c->cur_rr, &rr);
		if (tld_writer_rr(w, 1, rr.owner, rr.owner_len, rr.type, rr.rclass, rr.ttl, rr.rdata,
		                  rr.rdlen) != TLD_OK) {
			break;
		}
		c->cur_rr++;
	}
	if (c->edns) {
		add_opt(w);
	}
	tld_writer_finish(w);
	size_t len = w->len;
	if (c->tsig_on && tld_tsig_sign(&c->tsig, msg, &len, MSG_MAX, wall_now(), 0, true) != TLD_OK) {
		return false;
	}
	tld_put16(c->out, (uint16_t)len);
	c->out_len = len + 2;
	c->out_pos = 0;
	c->messages++;
	return true;
}

static void start_stream(struct tld_server *srv, struct conn *c, const struct tld_msg *m,
                         const struct tld_tsig_ctx *tsig)
{
	struct snapshot *snap = snapshot_ref(srv->current);
	const struct tld_zone_image *z = snap->zone;
	size_t n = 0;

	c->snap = snap;
	c->id = m->id;
	memcpy(c->qname, m->qname, m->qname_len);
	c->qname_len = m->qname_len;
	c->qtype = m->qtype;
	c->edns = m->has_opt;
	c->tsig_on = tsig->key != NULL;
	c->tsig = *tsig;
	c->messages = 0;
	c->bytes = 0;
	c->started_ms = tld_mono_ms();
	c->kind = "AXFR";
	c->seg[0] = (struct segment){ z, 0, 1 };
	if (m->qtype == TLD_RR_IXFR &&
	    journal_chain(snap, m->soa_serial, c->seg + 1, &n, MAX_SEGMENTS - 2)) {
		c->kind = "IXFR";
		c->seg[n + 1] = (struct segment){ z, 0, 1 };
		c->nseg = n + 2;
	} else {
		if (m->qtype == TLD_RR_IXFR) {
			c->kind = "IXFR->AXFR";
		}
		c->seg[1] = (struct segment){ z, 1, z->count };
		c->seg[2] = (struct segment){ z, 0, 1 };
		c->nseg = 3;
	}
	c->cur_seg = 0;
	c->cur_rr = c->seg[0].from;
	c->streaming = true;
	next_message(srv, c);
}

static void finish_stream(struct conn *c)
{
	tld_notice("transfer %s to %s key %s serial %u: %u messages, %llu bytes, %lld ms", c->kind,
	           c->peer_text, c->tsig_on ? c->tsig.key->name : "none", c->snap->zone->serial,
	           c->messages, (unsigned long long)c->bytes, (long long)(tld_mono_ms() - c->started_ms));
	snapshot_release(c->snap);
	c->snap = NULL;
	c->streaming = false;
}

/* Answers the next complete query in c->in, if any; false to close the connection. */
static bool conn_process(struct tld_server *srv, struct conn *c)
{
	if (c->in_len < 2) {
		return true;
	}
	size_t mlen = tld_get16(c->in);
	if (mlen < TLD_DNS_HDR) {
		return false;
	}
	if (c->in_len < 2 + mlen) {
		return true;
	}
	struct tld_msg m;
	struct tld_tsig_ctx tsig;
	size_t rlen;
	enum verdict v = examine(srv, c->in + 2, mlen, &c->peer, c->peer_text, true, &m, &tsig,
	                         c->out + 2, MSG_MAX, &rlen);
	if (v == V_STREAM) {
		start_stream(srv, c, &m, &tsig);
	} else if (v == V_REPLY && rlen > 0) {
		tld_put16(c->out, (uint16_t)rlen);
		c->out_len = rlen + 2;
		c->out_pos = 0;
	} else {
		return false;
	}
	/* one query at a time: a pipelined next query waits for this answer */
	memmove(c->in, c->in + 2 + mlen, c->in_len - 2 - mlen);
	c->in_len -= 2 + mlen;
	return true;
}

/* Reads what the client sent and answers; false to close the connection. */
static bool conn_read(struct tld_server *srv, struct conn *c)
{
	ssize_t n = read(c->fd, c->in + c->in_len, 2 + MSG_MAX - c->in_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		return false;
	}
	if (n < 0) {
		return true;
	}
	c->in_len += (size_t)n;
	c->last_active_ms = tld_mono_ms();
	return conn_process(srv, c);
}

static bool conn_write(struct tld_server *srv, struct conn *c)
{
	for (int burst = 0; burst < 16; burst++) {
		if (c->out_pos == c->out_len) {
			if (c->streaming && !next_message(srv, c)) {
				finish_stream(c);
			}
			if (!c->streaming && c->out_pos == c->out_len) {
				/* answered: take the next pipelined query, if complete */
				size_t before = c->in_len;
				if (!conn_process(srv, c)) {
					return false;
				}
				if (c->in_len == before) {
					return true;
				}
				continue;
			}
		}
		ssize_t n = write(c->fd, c->out + c->out_pos, c->out_len - c->out_pos);
		if (n < 0) {
			return errno == EAGAIN || errno == EINTR;
		}
		c->out_pos += (size_t)n;
		c->bytes += (uint64_t)n;
		c->last_active_ms = tld_mono_ms();
	}
	return true;
}

int tld_server_run(tld_server_t *srv, volatile sig_atomic_t *stop)
{
	size_t cap = 2 * MAX_LISTEN + srv->limits.max_connections;
	struct pollfd *pfd = calloc(cap, sizeof(*pfd));
	if (pfd == NULL) {
		return TLD_ENOMEM;
	}
	while (!*stop) {
		size_t n = 0;
		for (size_t i = 0; i < srv->nlisten; i++) {
			pfd[n++] = (struct pollfd){ .fd = srv->udp[i], .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = srv->tcp[i], .events = POLLIN };
		}
		for (size_t i = 0; i < srv->nconns; i++) {
			struct conn *c = srv->conns[i];
			bool busy = c->out_pos < c->out_len || c->streaming;
			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = busy ? POLLOUT : POLLIN };
		}
		int pr = poll(pfd, n, 200);
		if (pr < 0 && errno != EINTR) {
			free(pfd);
			return TLD_ENET;
		}
		check_new_version(srv, false);
		if (pr <= 0) {
			goto timeouts;
		}
		for (size_t i = 0; i < srv->nlisten; i++) {
			if (pfd[2 * i].revents & POLLIN) {
				handle_udp(srv, srv->udp[i]);
			}
			if (pfd[2 * i + 1].revents & POLLIN) {
				handle_accept(srv, srv->tcp[i]);
			}
		}
		/* connections: walk the pollfd entries that belonged to them */
		for (size_t k = 2 * srv->nlisten; k < n; k++) {
			if (pfd[k].revents == 0) {
				continue;
			}
			size_t i;
			for (i = 0; i < srv->nconns && srv->conns[i]->fd != pfd[k].fd; i++) {
			}
			if (i == srv->nconns) {
				continue;
			}
			struct conn *c = srv->conns[i];
			bool keep = true;
			if (pfd[k].revents & (POLLERR | POLLNVAL)) {
				keep = false;
			} else if (pfd[k].revents & POLLOUT) {
				keep = conn_write(srv, c);
			} else if (pfd[k].revents & (POLLIN | POLLHUP)) {
				keep = conn_read(srv, c) && conn_write(srv, c);
			}
			if (!keep) {
				if (c->streaming) {
					tld_warning("transfer %s to %s aborted after %llu bytes", c->kind,
					            c->peer_text, (unsigned long long)c->bytes);
				}
				conn_close(srv, i);
			}
		}
timeouts:
		for (size_t i = 0; i < srv->nconns;) {
			if (tld_mono_ms() - srv->conns[i]->last_active_ms > srv->limits.idle_timeout_ms) {
				tld_info("%s: idle connection closed", srv->conns[i]->peer_text);
				conn_close(srv, i);
			} else {
				i++;
			}
		}
	}
	free(pfd);
	return TLD_OK;
}
