#!/bin/sh
# Real NSD, Knot and BIND secondaries pull from tldsign's hidden primary with
# TSIG: version 1 by AXFR after NOTIFY, version 2 (a few changed delegations)
# by IXFR, and each serves exactly tldsign's version 2, which validates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/publib.sh"
need kdig knotd nsd named ldns-signzone ldns-keygen ldns-verify-zone
[ -x "$TLDSIGN" ] || skip_all "tldsign not built"

P=$PORT_PRIMARY; PK=15311; PN=15312; PB=15313
SECRET=$(new_secret)
KEY="hmac-sha256:xfr:$SECRET"
make_zone 2026112101 300 0 "$TMP/v1.unsigned"; sign_zone "$TMP/v1.unsigned" "$TMP/v1.zone"
make_zone 2026112102 300 7 "$TMP/v2.unsigned"; sign_zone "$TMP/v2.unsigned" "$TMP/v2.zone"

# tldsign itself, through its CLI and tldsign.yaml
cat > "$TMP/tldsign.yaml" <<CONF
zone: test.
state-dir: state/
hsm: {module: /usr/lib/softhsm/libsofthsm2.so, token: unused, pin-env: TLDSIGN_PIN}
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test., refresh: 1800, retry: 900,
        expire: 1209600, minimum: 3600, ttl: 3600}
  ns: [ns1.nic.test., ns2.nic.test.]
output: {dir: zones/, keep: 5}
publish:
  listen: ["127.0.0.1@$P", "::1@$P"]
  tsig: [{name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}]
  acl: [{key: xfr, from: ["127.0.0.0/8", "::1/128"]}]
  secondaries:
    - {address: "127.0.0.1@$PK", key: xfr}
    - {address: "127.0.0.1@$PN", key: xfr}
    - {address: "127.0.0.1@$PB", key: xfr}
  notify-timeout: 10s
  confirm-timeout: 20s
CONF
NOW=2026-11-21T00:00:00Z
pub() { "$TLDSIGN" --now $NOW -c "$TMP/tldsign.yaml" "$@"; }

# --- tldsign first: version 1 and the server (the secondaries find it at start-up)
run_cmd pub publish -i "$TMP/v1.zone" --no-notify; is 0 "$rc" "publish v1 (verified first)"; [ "$rc" = 0 ] || diag "$out"
start_bg "$TMP/serve.pid" "$TMP/serve.log" "$TLDSIGN" -c "$TMP/tldsign.yaml" serve
wait_for 20 serial_is $P 2026112101 "$KEY"; ok $? "tldsign serves serial 2026112101"


# --- Knot secondary
mkdir -p "$TMP/knot"
cat > "$TMP/knot/knot.conf" <<CONF
server:
  rundir: "$TMP/knot"
  listen: 127.0.0.1@$PK
log:
  - target: "$TMP/knot/knot.log"
    any: info
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 127.0.0.1@$P
    key: xfr
acl:
  - id: from_primary
    address: 127.0.0.1
    key: xfr
    action: notify
  - id: dump
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$TMP/knot"
    zonefile-sync: 0
    journal-content: none
database:
  storage: "$TMP/knot/db"
zone:
  - domain: test.
    master: primary
    acl: [from_primary, dump]
CONF
start_bg "$TMP/knot.pid" "$TMP/knot/stderr" knotd -c "$TMP/knot/knot.conf"

# --- NSD secondary
mkdir -p "$TMP/nsd"
cat > "$TMP/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$PN
  username: ""
  chroot: ""
  zonesdir: "$TMP/nsd"
  pidfile: "$TMP/nsd/nsd.pid"
  xfrdfile: "$TMP/nsd/xfrd.state"
  zonelistfile: "$TMP/nsd/zone.list"
  database: ""
  logfile: "$TMP/nsd/nsd.log"
  verbosity: 2
  server-count: 1
remote-control:
  control-enable: no
key:
  name: xfr
  algorithm: hmac-sha256
  secret: "$SECRET"
zone:
  name: test.
  zonefile: test.zone
  allow-notify: 127.0.0.1 xfr
  request-xfr: 127.0.0.1@$P xfr
  provide-xfr: 127.0.0.1 NOKEY
CONF
start_bg "$TMP/nsd.pid" "$TMP/nsd/stderr" nsd -d -c "$TMP/nsd/nsd.conf"

# --- BIND secondary
mkdir -p "$TMP/bind"
cat > "$TMP/bind/named.conf" <<CONF
options {
  directory "$TMP/bind";
  pid-file "$TMP/bind/named.pid";
  session-keyfile "$TMP/bind/session.key";
  listen-on port $PB { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  allow-transfer { 127.0.0.1; };
  dnssec-validation no;
};
controls { };
key "xfr" { algorithm hmac-sha256; secret "$SECRET"; };
server 127.0.0.1 { keys { xfr; }; };
logging { channel f { file "$TMP/bind/named.log"; severity info; print-time yes; };
  category default { f; }; category xfer-in { f; }; category notify { f; }; };
zone "test." { type secondary; file "test.bk";
  primaries port $P { 127.0.0.1 key xfr; }; allow-notify { 127.0.0.1; }; };
CONF
start_bg "$TMP/bind.pid" "$TMP/bind/stderr" named -g -c "$TMP/bind/named.conf"

wait_for 20 kdig @127.0.0.1 -p $PK +time=1 +retry=0 nic.test. A; ok $? "knotd answers"
wait_for 20 kdig @127.0.0.1 -p $PN +time=1 +retry=0 nic.test. A; ok $? "nsd answers"
wait_for 20 kdig @127.0.0.1 -p $PB +time=1 +retry=0 nic.test. A; ok $? "named answers"

run_cmd pub notify; is 0 "$rc" "NOTIFY acknowledged and serial 1 confirmed by all three"; [ "$rc" = 0 ] || diag "$out"
for port in $PK $PN $PB; do
	wait_for 20 serial_is $port 2026112101; ok $? "secondary on $port serves serial 2026112101"
done
n=$(grep -c 'transfer AXFR to 127.0.0.1@.* serial 2026112101' "$TMP/serve.log")
is 3 "$n" "three AXFRs of version 1 in the transfer log"

# --- the publish gate: a zone whose signatures do not verify is refused
sed 's/^ns1\.nic\.test\.\(.*\)127\.0\.0\.1$/ns1.nic.test.\1127.0.0.9/' "$TMP/v2.zone" > "$TMP/broken.zone"
cmp -s "$TMP/v2.zone" "$TMP/broken.zone"; ok $((! $?)) "broken copy differs (an A record changed, RRSIG kept)"
run_cmd pub publish -i "$TMP/broken.zone"; is 5 "$rc" "publish refuses a zone that fails verification (exit 5)"
serial_is $P 2026112101 "$KEY"; ok $? "still serving serial 2026112101"

# --- version 2: a few changed delegations, by IXFR
run_cmd pub publish -i "$TMP/v2.zone"; is 0 "$rc" "publish v2, NOTIFY, all secondaries confirm"; [ "$rc" = 0 ] || diag "$out"
for port in $PK $PN $PB; do
	wait_for 20 serial_is $port 2026112102; ok $? "secondary on $port serves serial 2026112102"
done
n=$(grep -c 'transfer IXFR to 127.0.0.1@.* serial 2026112102' "$TMP/serve.log")
is 3 "$n" "three IXFRs of version 2 in the transfer log"
grep -q 'transfer AXFR.* serial 2026112102' "$TMP/serve.log"; ok $((! $?)) "no AXFR of version 2"
grep -q 'IXFR, incoming.*finished' "$TMP/knot/knot.log"; ok $? "knotd log shows an incoming IXFR"
n=$(sed -n 's/.*Transfer completed: [0-9]* messages, \([0-9]*\) records.*(serial 2026112102)/\1/p' "$TMP/bind/stderr" | head -1)
[ -n "$n" ] && [ "$n" -lt 100 ]; ok $? "named received version 2 incrementally ($n records, not the whole zone)"

axfr_sorted $P "$KEY" > "$TMP/primary.txt"
[ "$(wc -l < "$TMP/primary.txt")" -gt 500 ]; ok $? "tldsign's AXFR of version 2 is complete"
for port in $PK $PN $PB; do
	axfr_sorted $port > "$TMP/sec$port.txt"
	[ -s "$TMP/primary.txt" ] && cmp -s "$TMP/primary.txt" "$TMP/sec$port.txt"
	ok $? "secondary on $port serves exactly version 2"
	[ $? = 0 ] || diff "$TMP/primary.txt" "$TMP/sec$port.txt" | head -5 | sed 's/^/# /'
	[ -s "$TMP/sec$port.txt" ] && ldns-verify-zone "$TMP/sec$port.txt" > "$TMP/verify$port.txt" 2>&1
	ok $? "version 2 from the secondary on $port validates (ldns-verify-zone)"
done
kdig @127.0.0.1 -p $PB +dnssec +norec dom50.test. NS | grep -q 'ns7.other.example'
ok $? "named answers a changed delegation"

# --- NOTIFY carries the SOA (RFC 1996 3.7): named logs the serial it announced
grep -q "notify from 127.0.0.1#[0-9]*: serial 2026112102" "$TMP/bind/stderr"
ok $? "named saw serial 2026112102 in the NOTIFY"
# --- per-secondary results in the state store (for tldsign status)
rows=$(sqlite3 "$TMP/state/state.db" "SELECT address || ' ' || expected || ' ' || acked || ' ' || confirmed || ' ' || serial FROM publish_secondaries ORDER BY address" 2>&1)
n=$(printf '%s\n' "$rows" | grep -c ' 2026112102 1 1 2026112102$')
is 3 "$n" "state store: three secondaries acked and serving 2026112102"; [ "$n" = 3 ] || diag "$rows"

done_testing
