#!/bin/sh
# The registry side for real: a throw-away PostgreSQL 15 cluster (Unix socket
# in $TMP only), etc/registry-schema.sql, registry rows, etc/export-registry.sh
# (COPY ... FORMAT csv, HEADER), then tldsign zonegen; the zone is compared
# with tests/golden/zonegen/postgres.zone.
. "$(dirname "$0")/lib.sh"
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/initdb" ] || skip_all "PostgreSQL 15 not installed"
NOW=2026-11-21T11:00:00Z
G=$TOP/tests/golden/zonegen

# PostgreSQL refuses to run as root: use nobody then
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
	as_pg() { runuser -u nobody -- "$@"; }
	chmod 755 "$TMP"
fi
mkdir -p "$TMP/pg" "$TMP/out"
[ "$(id -u)" = 0 ] && chown nobody "$TMP/pg" "$TMP/out"
export PGHOST=$TMP/pg PGDATABASE=registry PGUSER=registry

as_pg "$PGBIN/initdb" -D "$TMP/pg/data" -U registry --auth=trust -E UTF8 --locale=C.UTF-8 \
	>"$TMP/initdb.log" 2>&1
ok $? "initdb" || { sed 's/^/# /' "$TMP/initdb.log"; done_testing; }
as_pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/log" -w -t 30 \
	-o "-k $TMP/pg -c listen_addresses='' -c fsync=off" start >/dev/null 2>&1
ok $? "PostgreSQL started (Unix socket only)" || { sed 's/^/# /' "$TMP/pg/log"; done_testing; }
at_exit as_pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop

as_pg psql -X -q -d postgres -c "CREATE DATABASE registry" >/dev/null
ok $? "database created"
as_pg psql -X -q -v ON_ERROR_STOP=1 -f "$TOP/etc/registry-schema.sql" >"$TMP/schema.log" 2>&1
ok $? "etc/registry-schema.sql loads" || sed 's/^/# /' "$TMP/schema.log"

as_pg psql -X -q -v ON_ERROR_STOP=1 >"$TMP/load.log" 2>&1 <<'SQL'
INSERT INTO domain (name) VALUES ('example.test'), ('held.test'), ('glue.test'),
    ('secure.test'), ('a.test'), ('nons.test'), ('sub.a.test'), ('other.example');
INSERT INTO domain_status SELECT id, 'clientHold' FROM domain WHERE name = 'held.test';
INSERT INTO domain_status SELECT id, 'clientTransferProhibited' FROM domain WHERE name IN ('example.test', 'secure.test');
INSERT INTO domain_status SELECT id, 'clientUpdateProhibited' FROM domain WHERE name = 'example.test';
INSERT INTO host (name) VALUES ('ns1.provider.net'), ('ns2.provider.net'), ('ns1.glue.test'),
    ('ns2.glue.test'), ('ns1.held.test'), ('orphan.glue.test'), ('ns.lame.test');
INSERT INTO host_address SELECT id, '192.0.2.1' FROM host WHERE name = 'ns1.glue.test';
INSERT INTO host_address SELECT id, '2001:db8::1' FROM host WHERE name = 'ns1.glue.test';
INSERT INTO host_address SELECT id, '192.0.2.2' FROM host WHERE name = 'ns2.glue.test';
INSERT INTO host_address SELECT id, '192.0.2.9' FROM host WHERE name = 'ns1.held.test';
INSERT INTO host_address SELECT id, '192.0.2.10' FROM host WHERE name = 'orphan.glue.test';
INSERT INTO domain_ns SELECT d.id, h.id FROM domain d, host h WHERE
       (d.name = 'example.test' AND h.name IN ('ns1.provider.net', 'ns2.provider.net'))
    OR (d.name = 'held.test' AND h.name = 'ns1.held.test')
    OR (d.name = 'glue.test' AND h.name IN ('ns1.glue.test', 'ns2.glue.test'))
    OR (d.name = 'secure.test' AND h.name IN ('ns1.glue.test', 'ns1.provider.net'))
    OR (d.name = 'a.test' AND h.name IN ('ns.lame.test', 'ns2.provider.net'))
    OR (d.name = 'sub.a.test' AND h.name = 'ns1.provider.net')
    OR (d.name = 'other.example' AND h.name = 'ns1.provider.net');
INSERT INTO domain_ds SELECT id, 12345, 13, 2, 'ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789'
    FROM domain WHERE name = 'example.test';
INSERT INTO domain_ds SELECT id, 1, 13, 2, 'abcd' FROM domain WHERE name = 'example.test';
INSERT INTO domain_ds SELECT id, 2, 13, 4, '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889900112233445566778899aabbccddeeff' FROM domain WHERE name = 'glue.test';
INSERT INTO domain_key SELECT id, 257, 3, 13,
    'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=='
    FROM domain WHERE name = 'secure.test';
SQL
ok $? "registry rows loaded" || sed 's/^/# /' "$TMP/load.log"

as_pg env EXPORTED_AT=2026-11-21T10:00:00Z "$TOP/etc/export-registry.sh" "$TMP/out/export" test \
	>"$TMP/export.log" 2>&1
ok $? "etc/export-registry.sh exports" || sed 's/^/# /' "$TMP/export.log"
for f in domains nameservers hosts ds dnskeys; do
	grep -q "$f.csv: {rows: [0-9]*, sha256: [0-9a-f]\{64\}}" "$TMP/out/export/manifest.yaml"
	ok $? "manifest lists $f.csv with rows and sha256"
done
head -1 "$TMP/out/export/ds.csv" | grep -qx 'domain,key_tag,algorithm,digest_type,digest'
ok $? "COPY wrote the header row"
grep -q '^example.test,clientTransferProhibited clientUpdateProhibited$' "$TMP/out/export/domains.csv"
ok $? "statuses aggregated space-separated"
ls "$TMP/out" | grep -q tmp; is 1 "$?" "no temporary export directory left"

cat >"$TMP/tldsign.yaml" <<EOF
zone: test.
export: $TMP/out/export
state-dir: $TMP/state
hsm: {token: unused-by-zonegen, pin-env: TLDSIGN_PIN}
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test.}
  ns: [ns1.nic.test., ns2.nic.test.]
  records: $G/apex.zone
EOF
run_cmd "$TLDSIGN" -c "$TMP/tldsign.yaml" --now "$NOW" zonegen -o "$TMP/z.zone"
is 0 "$rc" "zonegen on the PostgreSQL export"
cmp -s "$G/postgres.zone" "$TMP/z.zone"; ok $? "zone matches tests/golden/zonegen/postgres.zone"
[ $? -eq 0 ] || diff "$G/postgres.zone" "$TMP/z.zone" | sed 's/^/# /'
echo "$out" | grep -q "5 bad rows"; ok $? "bad rows from the database reported"
[ $? -eq 0 ] || echo "$out" | sed 's/^/# /'

# a second export of the same database is byte-identical (ORDER BY everywhere)
as_pg env EXPORTED_AT=2026-11-21T10:00:00Z "$TOP/etc/export-registry.sh" "$TMP/out/export2" test. \
	>/dev/null 2>&1
diff -r "$TMP/out/export" "$TMP/out/export2" >/dev/null; ok $? "export is deterministic"
done_testing
