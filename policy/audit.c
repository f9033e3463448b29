/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "policy/audit.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS audit ("
	" seq INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" operation TEXT NOT NULL,"
	" key_tags TEXT NOT NULL,"
	" ds TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS audit_head ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" seq INTEGER NOT NULL,"
	" hash TEXT NOT NULL);";

int tld_audit_init(tld_statedb_t *db)
{
	return tld_statedb_exec(db, schema);
}

const char *tld_audit_actor(const char *override)
{
	const char *a = override;
	if (a == NULL || a[0] == '\0') {
		a = getenv("SUDO_USER");
	}
	if (a == NULL || a[0] == '\0') {
		a = getenv("USER");
	}
	return a && a[0] ? a : "unknown";
}

static int digest_field(EVP_MD_CTX *md, const char *field)
{
	char len[32];
	size_t n = strlen(field);
	int l = snprintf(len, sizeof(len), "%zu:", n);
	return EVP_DigestUpdate(md, len, (size_t)l) == 1 && EVP_DigestUpdate(md, field, n) == 1 &&
	       EVP_DigestUpdate(md, ";", 1) == 1;
}

/* SHA-256 over the canonical encoding of an entry, as lower-case hex. */
static int entry_hash(const struct tld_audit_entry *e, char *hex)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int out_len = 0;
	char seq[32], tm[32];
	int ret = TLD_ECRYPTO;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL) {
		return TLD_ENOMEM;
	}
	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	snprintf(tm, sizeof(tm), "%lld", (long long)e->time);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || !digest_field(md, seq) ||
	    !digest_field(md, tm) || !digest_field(md, e->actor) || !digest_field(md, e->operation) ||
	    !digest_field(md, e->key_tags) || !digest_field(md, e->ds) || !digest_field(md, e->detail) ||
	    !digest_field(md, e->prev_hash) || EVP_DigestFinal_ex(md, out, &out_len) != 1) {
		goto fail;
	}
	for (unsigned i = 0; i < out_len; i++) {
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	}
	ret = TLD_OK;
fail:
	EVP_MD_CTX_free(md);
	return ret;
}

static int read_head(sqlite3 *h, int64_t *seq, char *hash)
{
	sqlite3_stmt *st = NULL;
	int ret = TLD_ESTATE;
	*seq = 0;
	hash[0] = '\0';
	if (sqlite3_prepare_v2(h, "SELECT seq, hash FROM audit_head WHERE id = 1", -1, &st, NULL) != SQLITE_OK) {
		return TLD_ESTATE;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(hash, TLD_AUDIT_HASH_HEX, "%s", (const char *)sqlite3_column_text(st, 1));
		ret = TLD_OK;
	} else if (rc == SQLITE_DONE) {
		ret = TLD_OK;
	}
	sqlite3_finalize(st);
	return ret;
}

int tld_audit_append(tld_statedb_t *db, tld_time_t when, const char *actor, const char *operation,
                     const char *key_tags, const char *ds, const char *detail, char *hash_out)
{
	sqlite3 *h = tld_statedb_handle(db);
	sqlite3_stmt *st = NULL;
	struct tld_audit_entry e;
	int ret;

	ret = tld_audit_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_statedb_exec(db, "SAVEPOINT audit_append");
	if (ret != TLD_OK) {
		return ret;
	}
	memset(&e, 0, sizeof(e));
	ret = read_head(h, &e.seq, e.prev_hash);
	if (ret != TLD_OK) {
		tld_statedb_error(db, "reading the audit head");
		goto fail;
	}
	e.seq++;
	e.time = when;
	e.actor = actor ? actor : "unknown";
	e.operation = operation;
	e.key_tags = key_tags ? key_tags : "";
	e.ds = ds ? ds : "";
	e.detail = detail ? detail : "";
	ret = entry_hash(&e, e.hash);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = TLD_ESTATE;
	if (sqlite3_prepare_v2(h, "INSERT INTO audit (seq, time, actor, operation, key_tags, ds, detail, "
	                          "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                       -1, &st, NULL) != SQLITE_OK) {
		tld_statedb_error(db, "preparing the audit insert");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, e.seq);
	sqlite3_bind_int64(st, 2, e.time);
	sqlite3_bind_text(st, 3, e.actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e.operation, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e.key_tags, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e.ds, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e.detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, e.prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, e.hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		tld_statedb_error(db, "appending to the audit log");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)",
	                       -1, &st, NULL) != SQLITE_OK) {
		tld_statedb_error(db, "preparing the audit head");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, e.seq);
	sqlite3_bind_text(st, 2, e.hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		tld_statedb_error(db, "updating the audit head");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	ret = tld_statedb_exec(db, "RELEASE audit_append");
	if (ret != TLD_OK) {
		goto fail;
	}
	if (hash_out) {
		memcpy(hash_out, e.hash, TLD_AUDIT_HASH_HEX);
	}
	return TLD_OK;
fail:
	sqlite3_finalize(st);
	tld_statedb_exec(db, "ROLLBACK TO audit_append; RELEASE audit_append");
	return ret;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

int tld_audit_foreach(tld_statedb_t *db, tld_audit_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int ret = tld_audit_init(db);
	if (ret != TLD_OK) {
		return ret;
	}
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT seq, time, actor, operation, key_tags, ds, detail, prev_hash, hash "
	                       "FROM audit ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "reading the audit log");
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tld_audit_entry e;
		memset(&e, 0, sizeof(e));
		e.seq = sqlite3_column_int64(st, 0);
		e.time = sqlite3_column_int64(st, 1);
		e.actor = col_text(st, 2);
		e.operation = col_text(st, 3);
		e.key_tags = col_text(st, 4);
		e.ds = col_text(st, 5);
		e.detail = col_text(st, 6);
		snprintf(e.prev_hash, sizeof(e.prev_hash), "%s", col_text(st, 7));
		snprintf(e.hash, sizeof(e.hash), "%s", col_text(st, 8));
		ret = fn(&e, ctx);
		if (ret != 0) {
			sqlite3_finalize(st);
			return ret;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? TLD_OK : tld_statedb_error(db, "reading the audit log");
}

struct verify_ctx {
	int64_t expect_seq;
	char prev[TLD_AUDIT_HASH_HEX];
	char *why;
	size_t why_size;
};

static int verify_one(const struct tld_audit_entry *e, void *ctx)
{
	struct verify_ctx *v = ctx;
	char hash[TLD_AUDIT_HASH_HEX];
	if (e->seq != v->expect_seq) {
		snprintf(v->why, v->why_size, "entry %lld: expected sequence number %lld (entry removed or "
		         "reordered)", (long long)e->seq, (long long)v->expect_seq);
		return TLD_EVERIFY;
	}
	if (strcmp(e->prev_hash, v->prev) != 0) {
		snprintf(v->why, v->why_size, "entry %lld: previous hash does not match entry %lld (entry "
		         "removed, reordered or edited)", (long long)e->seq, (long long)e->seq - 1);
		return TLD_EVERIFY;
	}
	struct tld_audit_entry copy = *e;
	int ret = entry_hash(&copy, hash);
	if (ret != TLD_OK) {
		return ret;
	}
	if (strcmp(hash, e->hash) != 0) {
		snprintf(v->why, v->why_size, "entry %lld (%s by %s): content does not match its hash (edited)",
		         (long long)e->seq, e->operation, e->actor);
		return TLD_EVERIFY;
	}
	memcpy(v->prev, e->hash, sizeof(v->prev));
	v->expect_seq++;
	return TLD_OK;
}

int tld_audit_verify(tld_statedb_t *db, int64_t *entries, char *head, char *why, size_t why_size)
{
	struct verify_ctx v;
	memset(&v, 0, sizeof(v));
	v.expect_seq = 1;
	v.why = why;
	v.why_size = why_size;
	why[0] = '\0';
	head[0] = '\0';
	int ret = tld_audit_foreach(db, verify_one, &v);
	*entries = v.expect_seq - 1;
	if (ret != TLD_OK) {
		return ret;
	}
	int64_t head_seq;
	char head_hash[TLD_AUDIT_HASH_HEX];
	if (read_head(tld_statedb_handle(db), &head_seq, head_hash) != TLD_OK) {
		return tld_statedb_error(db, "reading the audit head");
	}
	if (head_seq != *entries || strcmp(head_hash, v.prev) != 0) {
		snprintf(why, why_size, "the log ends at entry %lld but its head names entry %lld (entries "
		         "removed from the end, or the head edited)", (long long)*entries, (long long)head_seq);
		return TLD_EVERIFY;
	}
	memcpy(head, v.prev, TLD_AUDIT_HASH_HEX);
	return TLD_OK;
}
