/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hsm/keydb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/log.h"

const char *tld_key_role_name(enum tld_key_role role)
{
	switch (role) {
	case TLD_ROLE_KSK: return "ksk";
	case TLD_ROLE_ZSK: return "zsk";
	case TLD_ROLE_CSK: return "csk";
	}
	return "?";
}

int tld_key_role_parse(const char *text, enum tld_key_role *out)
{
	static const enum tld_key_role roles[] = { TLD_ROLE_KSK, TLD_ROLE_ZSK, TLD_ROLE_CSK };
	for (size_t i = 0; text != NULL && i < 3; i++) {
		if (strcasecmp(text, tld_key_role_name(roles[i])) == 0) {
			*out = roles[i];
			return TLD_OK;
		}
	}
	return TLD_EINVAL;
}

int tld_keydb_init(tld_statedb_t *db)
{
	return tld_statedb_exec(db,
		"CREATE TABLE IF NOT EXISTS keys ("
		" id INTEGER PRIMARY KEY,"
		" zone TEXT NOT NULL,"
		" role TEXT NOT NULL CHECK (role IN ('ksk','zsk','csk')),"
		" algorithm INTEGER NOT NULL,"
		" bits INTEGER NOT NULL DEFAULT 0,"
		" key_tag INTEGER NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),"
		" flags INTEGER NOT NULL CHECK (flags IN (256, 257)),"
		" cka_id TEXT NOT NULL,"
		" label TEXT NOT NULL,"
		" dnskey BLOB NOT NULL,"
		" created INTEGER NOT NULL,"
		" deleted INTEGER,"
		" UNIQUE (zone, key_tag));");
}

static int hex_decode(const char *hex, uint8_t *out, size_t size, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > size) {
		return TLD_EINVAL;
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			return TLD_EINVAL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return TLD_OK;
}

#define COLUMNS "id, zone, role, algorithm, bits, key_tag, flags, cka_id, label, dnskey, created, deleted"

static int row_to_record(sqlite3_stmt *st, struct tld_key_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	snprintf(r->zone, sizeof(r->zone), "%s", (const char *)sqlite3_column_text(st, 1));
	if (tld_key_role_parse((const char *)sqlite3_column_text(st, 2), &r->role) != TLD_OK) {
		return TLD_ESTATE;
	}
	r->algorithm = (uint8_t)sqlite3_column_int(st, 3);
	r->bits = (unsigned)sqlite3_column_int(st, 4);
	r->key_tag = (uint16_t)sqlite3_column_int(st, 5);
	r->flags = (uint16_t)sqlite3_column_int(st, 6);
	snprintf(r->cka_id, sizeof(r->cka_id), "%s", (const char *)sqlite3_column_text(st, 7));
	snprintf(r->label, sizeof(r->label), "%s", (const char *)sqlite3_column_text(st, 8));
	int blen = sqlite3_column_bytes(st, 9);
	if (blen < 4 || (size_t)blen > sizeof(r->dnskey) ||
	    hex_decode(r->cka_id, r->cka_id_raw, sizeof(r->cka_id_raw), &r->cka_id_len) != TLD_OK) {
		return TLD_ESTATE;
	}
	memcpy(r->dnskey, sqlite3_column_blob(st, 9), (size_t)blen);
	r->dnskey_len = (size_t)blen;
	r->created = sqlite3_column_int64(st, 10);
	r->deleted = sqlite3_column_type(st, 11) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 11);
	return TLD_OK;
}

int tld_keydb_list(tld_statedb_t *db, const char *zone, bool include_deleted,
                   struct tld_key_record **recs, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct tld_key_record *arr = NULL;
	size_t count = 0, cap = 0;
	int ret = TLD_OK;
	const char *sql = include_deleted
		? "SELECT " COLUMNS " FROM keys WHERE zone = ?1 ORDER BY id"
		: "SELECT " COLUMNS " FROM keys WHERE zone = ?1 AND deleted IS NULL ORDER BY id";
	if (sqlite3_prepare_v2(tld_statedb_handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "listing keys");
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			struct tld_key_record *na = realloc(arr, cap * sizeof(*arr));
			if (na == NULL) {
				ret = TLD_ENOMEM;
				goto fail;
			}
			arr = na;
		}
		ret = row_to_record(st, &arr[count]);
		if (ret != TLD_OK) {
			tld_error("state store: keys row %lld is malformed",
			          (long long)sqlite3_column_int64(st, 0));
			goto fail;
		}
		count++;
	}
	if (rc != SQLITE_DONE) {
		ret = tld_statedb_error(db, "listing keys");
		goto fail;
	}
	sqlite3_finalize(st);
	*recs = arr;
	*n = count;
	return TLD_OK;
fail:
	sqlite3_finalize(st);
	free(arr);
	return ret;
}

int tld_keydb_find_tag(tld_statedb_t *db, const char *zone, uint16_t key_tag,
                       struct tld_key_record *out)
{
	sqlite3_stmt *st = NULL;
	int ret;
	if (sqlite3_prepare_v2(tld_statedb_handle(db),
	                       "SELECT " COLUMNS " FROM keys WHERE zone = ?1 AND key_tag = ?2", -1, &st,
	                       NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "finding a key");
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, key_tag);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = row_to_record(st, out);
	} else if (rc == SQLITE_DONE) {
		ret = TLD_ENOENT;
	} else {
		ret = tld_statedb_error(db, "finding a key");
	}
	sqlite3_finalize(st);
	return ret;
}

int tld_keydb_insert(tld_statedb_t *db, struct tld_key_record *rec)
{
	sqlite3 *h = tld_statedb_handle(db);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h,
	                       "INSERT INTO keys (zone, role, algorithm, bits, key_tag, flags, cka_id,"
	                       " label, dnskey, created) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
	                       -1, &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "recording a key");
	}
	sqlite3_bind_text(st, 1, rec->zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tld_key_role_name(rec->role), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, rec->algorithm);
	sqlite3_bind_int(st, 4, (int)rec->bits);
	sqlite3_bind_int(st, 5, rec->key_tag);
	sqlite3_bind_int(st, 6, rec->flags);
	sqlite3_bind_text(st, 7, rec->cka_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rec->label, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, rec->dnskey, (int)rec->dnskey_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, rec->created);
	int rc = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(h);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT && ext == SQLITE_CONSTRAINT_UNIQUE) {
		tld_error("key tag %u is already recorded for zone %s", rec->key_tag, rec->zone);
		return TLD_EKEYTAG;
	}
	if (rc != SQLITE_DONE) {
		return tld_statedb_error(db, "recording a key");
	}
	rec->id = sqlite3_last_insert_rowid(h);
	return TLD_OK;
}

int tld_keydb_mark_deleted(tld_statedb_t *db, int64_t id, int64_t when)
{
	sqlite3 *h = tld_statedb_handle(db);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "UPDATE keys SET deleted = ?1 WHERE id = ?2 AND deleted IS NULL", -1,
	                       &st, NULL) != SQLITE_OK) {
		return tld_statedb_error(db, "marking a key deleted");
	}
	sqlite3_bind_int64(st, 1, when);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		return tld_statedb_error(db, "marking a key deleted");
	}
	return sqlite3_changes(h) == 1 ? TLD_OK : TLD_ENOENT;
}

void tld_key_records_free(struct tld_key_record *recs, size_t n)
{
	(void)n;
	free(recs);
}
