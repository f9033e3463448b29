/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * publish/server limits on loopback: the per-client limit, the total
 * connection limit and the idle timeout (small limits, bounded waits), and
 * the server answering again once connections are gone.  Port 15345.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/dnswire.h"
#include "publish/publish.h"
#include "publish/server.h"
#include "tests/tap/tap.h"

#define PORT 15345

static volatile sig_atomic_t stop_flag;
static tld_server_t *srv;

static void *serve(void *arg)
{
	(void)arg;
	tld_server_run(srv, &stop_flag);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP connection to the server from source address 127.0.0.<host>. */
static int connect_from(int host)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	src.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)host);
	dst.sin_addr.s_addr = htonl(0x7f000001u);
	dst.sin_port = htons(PORT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	return fd;
}

/* True when the server closes fd within ms (EOF or reset), without sending anything. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b[64];
	if (poll(&p, 1, ms) <= 0) {
		return false;
	}
	ssize_t n = recv(fd, b, sizeof(b), 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Sends an SOA query over fd and reads a NOERROR answer with serial 5 within 2 s. */
static bool soa_answered(int fd)
{
	static struct tld_msg_writer w;
	uint8_t q[2 + 512], in[2 + 4096], apex[TLD_DNS_MAXNAME];
	size_t apex_len, got = 0;
	tld_name_from_text("test.", apex, &apex_len);
	tld_writer_init(&w, q + 2, 512, 512, 0x1234, 0);
	tld_writer_question(&w, apex, apex_len, TLD_RR_SOA, TLD_CLASS_IN);
	tld_writer_finish(&w);
	tld_put16(q, (uint16_t)w.len);
	if (send(fd, q, w.len + 2, MSG_NOSIGNAL) != (ssize_t)(w.len + 2)) {
		return false;
	}
	int64_t deadline = now_ms() + 2000;
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0) {
			continue;
		}
		ssize_t n = recv(fd, in + got, sizeof(in) - got, 0);
		if (n <= 0) {
			return false;
		}
		got += (size_t)n;
		if (got >= 2 && got >= 2 + (size_t)tld_get16(in)) {
			struct tld_msg m;
			return tld_msg_parse(in + 2, tld_get16(in), &m) == TLD_OK && m.id == 0x1234 &&
			       (m.flags & 0xF) == TLD_RCODE_NOERROR && m.has_soa && m.soa_serial == 5;
		}
	}
	return false;
}

int main(void)
{
	char dir[256], zone[300], state[300], out[300], cmd[300];
	struct tld_config cfg;
	struct tld_publish_result res;
	struct tld_prefix lo = { .family = AF_INET, .addr = { 127 }, .bits = 8 };
	struct tld_acl_entry acl = { .key = NULL, .from = &lo, .from_count = 1 };
	struct tld_sockaddr listen_addr;
	tld_statedb_t *db = NULL;
	pthread_t th;

	tld_log_init(TLD_LOG_ERROR, false);
	snprintf(dir, sizeof(dir), "%s/limits.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		skip_all("no temporary directory");
	}
	snprintf(zone, sizeof(zone), "%s/in.zone", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(out, sizeof(out), "%s/zones", dir);
	FILE *fp = fopen(zone, "w");
	fprintf(fp, "test. 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 5 1800 900 1209600 3600\n"
	            "test. 3600 IN NS ns1.nic.test.\nns1.nic.test. 3600 IN A 192.0.2.1\n");
	fclose(fp);
	memset(&cfg, 0, sizeof(cfg));
	cfg.zone = "test.";
	cfg.state_dir = state;
	cfg.output.dir = out;
	cfg.output.keep = 2;
	memset(&listen_addr, 0, sizeof(listen_addr));
	struct sockaddr_in *sin = (struct sockaddr_in *)&listen_addr.ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(PORT);
	sin->sin_addr.s_addr = htonl(0x7f000001u);
	listen_addr.len = sizeof(*sin);
	listen_addr.text = "127.0.0.1@15345";
	cfg.publish.listen = &listen_addr;
	cfg.publish.listen_count = 1;
	cfg.publish.acl = &acl;
	cfg.publish.acl_count = 1;

	mkdir(state, 0700);
	is_int(TLD_OK, tld_statedb_open(state, &db), "state store");
	is_int(TLD_OK, tld_versions_init(db), "tables");
	is_int(TLD_OK, tld_publish_zone_file(&cfg, db, zone, &res), "serial 5 published");
	tld_statedb_close(db);

	struct tld_server_limits lim = tld_server_limits_default();
	lim.max_connections = 3;
	lim.max_per_client = 2;
	lim.idle_timeout_ms = 600;
	if (!is_int(TLD_OK, tld_server_new(&cfg, &lim, &srv), "server on 127.0.0.1@%d", PORT)) {
		return exit_status();
	}
	pthread_create(&th, NULL, serve, NULL);

	int a1 = connect_from(1), a2 = connect_from(1);
	ok(a1 >= 0 && a2 >= 0, "two connections from 127.0.0.1");
	ok(soa_answered(a1) && soa_answered(a2), "both are answered");
	int a3 = connect_from(1);
	ok(a3 >= 0 && closed_within(a3, 2000), "a third from 127.0.0.1 is closed at once (per-client limit 2)");
	int b1 = connect_from(2);
	ok(b1 >= 0 && soa_answered(b1), "one from 127.0.0.2 is answered (3 in total)");
	int c1 = connect_from(3);
	ok(c1 >= 0 && closed_within(c1, 2000), "one from 127.0.0.3 is closed at once (total limit 3)");

	/* idle timeout: nothing sent; the server closes all three within 600 ms + slack */
	int64_t t0 = now_ms();
	bool all = closed_within(a1, 3000) && closed_within(a2, 3000) && closed_within(b1, 3000);
	int64_t waited = now_ms() - t0;
	ok(all, "idle connections closed by the server (after %lld ms)", (long long)waited);
	int c2 = connect_from(3);
	ok(c2 >= 0 && soa_answered(c2), "after that, 127.0.0.3 gets an answer");
	/* a connection that keeps asking is not idle */
	bool alive = true;
	for (int i = 0; i < 4 && alive; i++) {
		usleep(300 * 1000);
		alive = soa_answered(c2);
	}
	ok(alive, "a connection querying every 0.3 s stays open for 1.2 s (idle timeout 0.6 s)");

	for (int fd = 0, fds[] = { a1, a2, a3, b1, c1, c2 }; fd < 6; fd++) {
		if (fds[fd] >= 0) {
			close(fds[fd]);
		}
	}
	stop_flag = 1;
	pthread_join(th, NULL);
	tld_server_free(srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		diag("could not remove %s", dir);
	}
	return exit_status();
}
