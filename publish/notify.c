/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/notify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/dnswire.h"
#include "publish/publish.h"
#include "publish/secstate.h"
#include "publish/tsig.h"
#include "publish/zoneimage.h"

#define QUERY_MAX 1024
#define FIRST_RETRY_MS 500
#define MAX_RETRY_MS 8000
#define CHECK_INTERVAL_MS 500

enum mode { MODE_NOTIFY, MODE_SOA };

struct peer {
	int fd;
	const struct tld_tsig_key *key;
	uint16_t id;
	struct tld_tsig_ctx tsig;
	int64_t next_send;
	int64_t interval;
	bool done;
};

static const struct tld_tsig_key *find_key(const struct tld_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->publish.tsig_count; i++) {
		if (strcasecmp(cfg->publish.tsig[i].name, name) == 0) {
			return &cfg->publish.tsig[i];
		}
	}
	return NULL;
}

static uint16_t random_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
		id = (uint16_t)(tld_mono_ms() * 2654435761u >> 16);
	}
	return id;
}

static int build_query(const struct tld_config *cfg, struct peer *p, enum mode mode,
                       const uint8_t *soa, uint8_t *buf, size_t *len)
{
	static struct tld_msg_writer w;  /* used by one thread at a time: the publisher */
	uint8_t apex[TLD_DNS_MAXNAME];
	size_t apex_len;
	if (tld_name_from_text(cfg->zone, apex, &apex_len) != TLD_OK) {
		return TLD_ECONFIG;
	}
	p->id = random_id();
	uint16_t flags = mode == MODE_NOTIFY ? (uint16_t)(TLD_OP_NOTIFY << 11 | 0x0400) : 0;
	tld_writer_init(&w, buf, QUERY_MAX - 200, QUERY_MAX - 200, p->id, flags);
	tld_writer_question(&w, apex, apex_len, TLD_RR_SOA, TLD_CLASS_IN);
	if (mode == MODE_NOTIFY && soa != NULL) {
		/* RFC 1996 3.7: the new SOA in the answer section (secondaries log its serial) */
		struct tld_zone_image one = { .data = (uint8_t *)soa, .len = tld_image_record_len(soa),
		                              .rr = &(size_t){ 0 }, .count = 1 };
		struct tld_image_rr rr;
		tld_image_rr(&one, 0, &rr);
		if (tld_writer_rr(&w, 1, rr.owner, rr.owner_len, rr.type, rr.rclass, rr.ttl, rr.rdata,
		                  rr.rdlen) != TLD_OK) {
			return TLD_ERANGE;
		}
	}
	tld_writer_finish(&w);
	*len = w.len;
	if (p->key != NULL) {
		return tld_tsig_sign_request(&p->tsig, p->key, buf, len, QUERY_MAX, (int64_t)time(NULL));
	}
	return TLD_OK;
}

/* Checks a response; returns true when it completes this peer's exchange. */
static bool take_response(struct peer *p, enum mode mode, const uint8_t *buf, size_t len,
                          uint32_t serial, struct tld_secondary_status *st)
{
	struct tld_msg m;
	if (tld_msg_parse(buf, len, &m) != TLD_OK || m.id != p->id || !(m.flags & 0x8000)) {
		return false;
	}
	int opcode = (m.flags >> 11) & 0xF, rcode = m.flags & 0xF;
	if (opcode != (mode == MODE_NOTIFY ? TLD_OP_NOTIFY : TLD_OP_QUERY)) {
		return false;
	}
	if (p->key != NULL && tld_tsig_verify_response(&p->tsig, &m, (int64_t)time(NULL)) != TLD_OK) {
		snprintf(st->error, sizeof(st->error), "response TSIG did not verify (rcode %d)", rcode);
		return false;
	}
	if (rcode != TLD_RCODE_NOERROR) {
		snprintf(st->error, sizeof(st->error), "%s answered rcode %d",
		         mode == MODE_NOTIFY ? "NOTIFY" : "SOA query", rcode);
		return false;
	}
	if (mode == MODE_NOTIFY) {
		st->acked = true;
		st->error[0] = 0;
		return true;
	}
	if (!m.has_soa) {
		snprintf(st->error, sizeof(st->error), "SOA answer without SOA");
		return false;
	}
	st->have_serial = true;
	st->serial = m.soa_serial;
	st->error[0] = 0;
	return m.soa_serial == serial;
}

/* Where a query goes: address and TSIG key name (NULL = unsigned). */
struct target {
	const struct tld_sockaddr *address;
	const char *key;
};

static int exchange_all(const struct tld_config *cfg, const struct target *targets, size_t n,
                        enum mode mode, uint32_t serial, const uint8_t *soa, int64_t timeout_ms,
                        struct tld_secondary_status *st)
{
	struct peer *peers = calloc(n ? n : 1, sizeof(*peers));
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
	uint8_t buf[QUERY_MAX], in[4096];
	int64_t start = tld_mono_ms(), deadline = start + timeout_ms;
	int r = TLD_OK;

	if (peers == NULL || pfd == NULL) {
		r = TLD_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct target *s = &targets[i];
		peers[i].fd = -1;
		if (s->key != NULL && (peers[i].key = find_key(cfg, s->key)) == NULL) {
			snprintf(st[i].error, sizeof(st[i].error), "TSIG key %s not configured", s->key);
			peers[i].done = true;
			continue;
		}
		peers[i].fd = socket(s->address->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (peers[i].fd < 0 ||
		    connect(peers[i].fd, (const struct sockaddr *)&s->address->ss, s->address->len) != 0) {
			snprintf(st[i].error, sizeof(st[i].error), "socket: %s", strerror(errno));
			peers[i].done = true;
			continue;
		}
		peers[i].next_send = start;
		peers[i].interval = mode == MODE_NOTIFY ? FIRST_RETRY_MS : CHECK_INTERVAL_MS;
	}
	for (;;) {
		int64_t now = tld_mono_ms(), wake = deadline;
		bool pending = false;
		for (size_t i = 0; i < n; i++) {
			struct peer *p = &peers[i];
			pfd[i] = (struct pollfd){ .fd = p->done ? -1 : p->fd, .events = POLLIN };
			if (p->done) {
				continue;
			}
			pending = true;
			if (now >= p->next_send) {
				size_t len = 0;
				if (build_query(cfg, p, mode, soa, buf, &len) == TLD_OK) {
					if (send(p->fd, buf, len, 0) < 0) {
						snprintf(st[i].error, sizeof(st[i].error), "send: %s", strerror(errno));
					}
					if (mode == MODE_NOTIFY) {
						st[i].notify_attempts++;
					}
				}
				p->next_send = now + p->interval;
				if (mode == MODE_NOTIFY && p->interval < MAX_RETRY_MS) {
					p->interval *= 2;
				}
			}
			if (p->next_send < wake) {
				wake = p->next_send;
			}
		}
		if (!pending || now >= deadline) {
			break;
		}
		int pr = poll(pfd, n, (int)(wake > now ? wake - now : 0));
		if (pr < 0 && errno != EINTR) {
			r = TLD_ENET;
			goto fail;
		}
		for (size_t i = 0; pr > 0 && i < n; i++) {
			if (!(pfd[i].revents & POLLIN)) {
				continue;
			}
			ssize_t got = recv(peers[i].fd, in, sizeof(in), 0);
			if (got < 0) {
				snprintf(st[i].error, sizeof(st[i].error), "recv: %s", strerror(errno));
				continue;
			}
			if (take_response(&peers[i], mode, in, (size_t)got, serial, &st[i])) {
				peers[i].done = true;
				if (mode == MODE_NOTIFY) {
					st[i].ack_ms = tld_mono_ms() - start;
				} else {
					st[i].confirmed = true;
					st[i].lag_ms = tld_mono_ms() - start;
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool good = mode == MODE_NOTIFY ? st[i].acked : st[i].confirmed;
		if (!good) {
			r = TLD_ESECONDARY;
			if (st[i].error[0] == 0) {
				snprintf(st[i].error, sizeof(st[i].error), "no answer within %lld s",
				         (long long)(timeout_ms / 1000));
			}
		}
	}
fail:
	for (size_t i = 0; peers && i < n; i++) {
		if (peers[i].fd >= 0) {
			close(peers[i].fd);
		}
	}
	free(peers);
	free(pfd);
	return r;
}

static int secondary_exchange(const struct tld_config *cfg, enum mode mode, uint32_t serial,
                              const uint8_t *soa, int64_t timeout_ms, struct tld_secondary_status *st)
{
	size_t n = cfg->publish.secondaries_count;
	struct target *t = calloc(n ? n : 1, sizeof(*t));
	if (t == NULL) {
		return TLD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		t[i].address = &cfg->publish.secondaries[i].address;
		t[i].key = cfg->publish.secondaries[i].key;
	}
	int r = exchange_all(cfg, t, n, mode, serial, soa, timeout_ms, st);
	free(t);
	return r;
}

int tld_primary_wait(const struct tld_config *cfg, uint32_t serial, int64_t timeout_s)
{
	struct tld_secondary_status st;
	struct target t;
	if (cfg->publish.listen_count == 0) {
		return TLD_OK;
	}
	memset(&st, 0, sizeof(st));
	t.address = &cfg->publish.listen[0];
	t.key = NULL;
	/* query with the key the ACL asks for, if any */
	for (size_t i = 0; i < cfg->publish.acl_count && t.key == NULL; i++) {
		t.key = cfg->publish.acl[i].key;
	}
	int r = exchange_all(cfg, &t, 1, MODE_SOA, serial, NULL, timeout_s * 1000, &st);
	if (r == TLD_OK) {
		tld_info("our transfer server serves serial %u", serial);
	} else {
		tld_warning("our transfer server at %s does not serve serial %u yet (%s); NOTIFY anyway",
		            t.address->text ? t.address->text : "?", serial, st.error);
	}
	return r;
}

static struct tld_secondary_status *new_status(const struct tld_config *cfg)
{
	size_t n = cfg->publish.secondaries_count;
	struct tld_secondary_status *st = calloc(n ? n : 1, sizeof(*st));
	for (size_t i = 0; st && i < n; i++) {
		snprintf(st[i].address, sizeof(st[i].address), "%s",
		         cfg->publish.secondaries[i].address.text ? cfg->publish.secondaries[i].address.text : "?");
	}
	return st;
}

/* The published SOA of serial from its image (first record); false when unavailable. */
static bool published_soa(const struct tld_config *cfg, uint32_t serial, uint8_t *rec, size_t cap)
{
	struct tld_version_info v;
	tld_statedb_t *db = NULL;
	bool found = false;
	if (cfg->state_dir == NULL || tld_statedb_open(cfg->state_dir, &db) != TLD_OK) {
		return false;
	}
	if (tld_versions_current(db, &v) == TLD_OK && v.serial == serial &&
	    tld_image_load_soa(v.image, rec, cap) == TLD_OK) {
		found = true;
	}
	tld_statedb_close(db);
	return found;
}

int tld_notify_all(const struct tld_config *cfg, uint32_t serial,
                   struct tld_secondary_status **out, size_t *n)
{
	uint8_t soa[1 + TLD_DNS_MAXNAME + 10 + 2 * TLD_DNS_MAXNAME + 20];
	struct tld_secondary_status *st = new_status(cfg);
	if (st == NULL) {
		return TLD_ENOMEM;
	}
	bool have_soa = published_soa(cfg, serial, soa, sizeof(soa));
	if (!have_soa) {
		tld_info("serial %u: no published SOA found; NOTIFY without answer section", serial);
	}
	int64_t timeout = cfg->publish.notify_timeout > 0 ? cfg->publish.notify_timeout : 30;
	int r = secondary_exchange(cfg, MODE_NOTIFY, serial, have_soa ? soa : NULL, timeout * 1000, st);
	if (r != TLD_OK && r != TLD_ESECONDARY) {
		free(st);
		return r;
	}
	for (size_t i = 0; i < cfg->publish.secondaries_count; i++) {
		if (st[i].acked) {
			tld_notice("NOTIFY serial %u to %s acknowledged after %u attempt(s), %lld ms", serial,
			           st[i].address, st[i].notify_attempts, (long long)st[i].ack_ms);
		} else {
			tld_warning("NOTIFY serial %u to %s not acknowledged: %s", serial, st[i].address,
			            st[i].error);
		}
	}
	tld_secondaries_store_cfg(cfg, serial, st, cfg->publish.secondaries_count, true);
	*out = st;
	*n = cfg->publish.secondaries_count;
	return r;
}

int tld_secondaries_check(const struct tld_config *cfg, uint32_t serial, int64_t timeout_s,
                          struct tld_secondary_status *status, struct tld_secondary_status **out)
{
	struct tld_secondary_status *st = status ? status : new_status(cfg);
	if (st == NULL) {
		return TLD_ENOMEM;
	}
	int r = secondary_exchange(cfg, MODE_SOA, serial, NULL, timeout_s * 1000, st);
	if (r != TLD_OK && r != TLD_ESECONDARY) {
		if (status == NULL) {
			free(st);
		}
		return r;
	}
	for (size_t i = 0; i < cfg->publish.secondaries_count; i++) {
		if (st[i].confirmed) {
			tld_notice("secondary %s serves serial %u (after %lld ms)", st[i].address, serial,
			           (long long)st[i].lag_ms);
		} else if (st[i].have_serial) {
			tld_warning("secondary %s still serves serial %u, not %u", st[i].address, st[i].serial,
			            serial);
		} else {
			tld_warning("secondary %s: serial unknown: %s", st[i].address, st[i].error);
		}
	}
	tld_secondaries_store_cfg(cfg, serial, st, cfg->publish.secondaries_count, false);
	if (out != NULL) {
		*out = st;
	} else if (status == NULL) {
		free(st);
	}
	return r;
}
