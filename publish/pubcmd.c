/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/pubcmd.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/lock.h"
#include "common/log.h"
#include "common/statedb.h"
#include "publish/notify.h"
#include "publish/publish.h"
#include "publish/server.h"

/* Notifies and checks; the lowest-level result wins. */
static int notify_and_check(const struct tld_config *cfg, uint32_t serial)
{
	struct tld_secondary_status *st = NULL;
	size_t n = 0;
	if (cfg->publish.secondaries_count == 0) {
		return TLD_OK;
	}
	/* the server picks the version up within a second; NOTIFY only then */
	tld_primary_wait(cfg, serial, 10);
	int r = tld_notify_all(cfg, serial, &st, &n);
	if (r != TLD_OK && r != TLD_ESECONDARY) {
		return r;
	}
	int64_t timeout = cfg->publish.confirm_timeout > 0 ? cfg->publish.confirm_timeout : 60;
	int c = tld_secondaries_check(cfg, serial, timeout, st, NULL);
	free(st);
	return c != TLD_OK ? c : r;
}

int tld_publish_command(const struct tld_config *cfg, const char *signed_path, bool notify)
{
	struct tld_publish_result res;
	tld_statedb_t *db = NULL;
	tld_lock_t *lock = NULL;
	memset(&res, 0, sizeof(res));
	int r = tld_lock_acquire(cfg->state_dir, &lock);
	if (r != TLD_OK) {
		return r;
	}
	r = tld_statedb_open(cfg->state_dir, &db);
	if (r == TLD_OK) {
		r = tld_versions_init(db);
	}
	if (r == TLD_OK) {
		r = tld_publish_zone_file(cfg, db, signed_path, &res);
	}
	tld_statedb_close(db);
	tld_lock_release(lock);
	if (r != TLD_OK && !(r == TLD_EIO && res.after_publish_ran)) {
		return r;
	}
	int after = r;
	if (notify && !res.unchanged) {
		r = notify_and_check(cfg, res.serial);
	}
	return after != TLD_OK ? after : r;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int tld_serve_command(const struct tld_config *cfg)
{
	tld_server_t *srv = NULL;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int r = tld_server_new(cfg, NULL, &srv);
	if (r != TLD_OK) {
		return r;
	}
	tld_notice("serving zone %s", cfg->zone);
	r = tld_server_run(srv, &stop_flag);
	tld_server_free(srv);
	tld_notice("stopped");
	return r;
}

int tld_notify_command(const struct tld_config *cfg)
{
	struct tld_version_info v;
	tld_statedb_t *db = NULL;
	int r = tld_statedb_open(cfg->state_dir, &db);
	if (r != TLD_OK) {
		return r;
	}
	r = tld_versions_current(db, &v);
	tld_statedb_close(db);
	if (r == TLD_ENOENT) {
		tld_error("nothing has been published yet");
	}
	if (r != TLD_OK) {
		return r;
	}
	return notify_and_check(cfg, v.serial);
}
