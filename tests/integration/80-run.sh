#!/bin/sh
# tldsign run, the cron loop (DESIGN section 3): init, run, change the export
# (new, deleted, held domains, new and removed DS), run again, every published
# version validated by dnssec-verify; nothing changed -> nothing published;
# each guard refuses (exit 3, naming guard, figures and the override) and
# --force overrides once and is audited; a concurrent run gets exit 7.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/lib-run.sh"
hsm_require
WM=$TOP/tests/golden/zonegen/write-manifest.sh
I=$TMP/inst
C=$I/tldsign.yaml
S=$I/state
T0=$(run_t0)                # each run one minute later
at() { echo $((T0 + $1 * 60)); }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
# export_at STEP: rewrite the manifest, exported one minute before run STEP
export_at() { "$WM" "$I/export" "$(date -u -d "@$(($(at "$1") - 60))" +%Y-%m-%dT%H:%M:%SZ)"; }
# run_at STEP [ARGS]: tldsign run at minute STEP
run_at() { step=$1; shift; run_cmd "$TLDSIGN" -c "$C" --now "$(at "$step")" run "$@"; }
current_file() { sqlite3 "$S/state.db" "SELECT file FROM publish_versions ORDER BY id DESC LIMIT 1" 2>/dev/null; }
versions() { sqlite3 "$S/state.db" "SELECT count(*) FROM publish_versions" 2>/dev/null || echo 0; }
json() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$S/last-run.json" "$1"; }
zone_ok() { # zone_ok DESC: the current version validates with dnssec-verify
	f=$(current_file)
	dnssec-verify -q -o test. -x "$f" >"$TMP/dv" 2>&1; ok $? "$1: dnssec-verify accepts $(basename "$f")"
	[ $? -eq 0 ] || sed 's/^/#   /' "$TMP/dv" | head -20
}

run_init "$I" "$(at 0)"; ok $? "init, token and keys"

# a real NSD secondary pulling from `tldsign serve` with TSIG
PRIMARY=15720 SECONDARY=15721
SECRET=c2VjcmV0LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXM=
cat >>"$C" <<EOF
publish:
  listen: ["127.0.0.1@$PRIMARY"]
  tsig: [{name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}]
  acl: [{key: xfr, from: ["127.0.0.0/8"]}]
  secondaries: [{address: "127.0.0.1@$SECONDARY", key: xfr}]
  notify-timeout: 5s
  confirm-timeout: 10s
EOF
mkdir -p "$TMP/nsd"
cat >"$TMP/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$SECONDARY
  username: ""
  chroot: ""
  zonesdir: "$TMP/nsd"
  database: ""
  zonelistfile: "$TMP/nsd/zone.list"
  xfrdfile: "$TMP/nsd/xfrd.state"
  xfrdir: "$TMP/nsd"
  pidfile: "$TMP/nsd/nsd.pid"
  logfile: "$TMP/nsd/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
key:
  name: xfr
  algorithm: hmac-sha256
  secret: "$SECRET"
zone:
  name: test.
  zonefile: "test.zone"
  request-xfr: 127.0.0.1@$PRIMARY xfr
  allow-notify: 127.0.0.1 xfr
EOF
"$TLDSIGN" -c "$C" serve >"$TMP/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID; wait $SERVE_PID"
start_nsd() { nsd -d -c "$TMP/nsd/nsd.conf" >>"$TMP/nsd/stdout.log" 2>&1 & NSD_PID=$!; }
start_nsd
at_exit 'kill $NSD_PID; wait $NSD_PID'
secondary_serial() { dig @127.0.0.1 -p $SECONDARY +short +time=2 +tries=1 test. SOA | awk '{ print $3 }'; }
published_serial() { sqlite3 "$S/state.db" "SELECT serial FROM publish_versions ORDER BY id DESC LIMIT 1"; }

# --- usage ---------------------------------------------------------------
run_cmd "$TLDSIGN" -c "$C" run --force ""
is 2 "$rc" "--force without a reason is a usage error"
run_cmd "$TLDSIGN" -c "$C" run extra
is 2 "$rc" "an extra argument is a usage error"
run_cmd "$TLDSIGN" -c "$TMP/none.yaml" run
is 2 "$rc" "a missing config is exit 2"

# --- the lock: a second run while one holds it -----------------------------
export_at 1
run_cmd flock "$S/lock" "$TLDSIGN" -c "$C" --now "$(at 1)" run
is 7 "$rc" "run while another process holds STATE_DIR/lock exits 7"
echo "$out" | grep -q "lock"; ok $? "the refusal names the lock"
[ ! -e "$S/last-run.json" ]; ok $? "a locked-out run writes no report"

# --- export refused: too old (on a copy: the run's time enters the history) --
cp -r "$I" "$TMP/old"
run_cmd "$TLDSIGN" -c "$TMP/old/tldsign.yaml" --now "$(at 200)" run
is 3 "$rc" "an export older than max-export-age is refused with exit 3"
echo "$out" | grep -q "max-export-age"; ok $? "the refusal names max-export-age"
is 0 "$(sqlite3 "$TMP/old/state/state.db" 'SELECT count(*) FROM publish_versions')" "nothing published"

# --- the first run ----------------------------------------------------------
run_at 1
is 0 "$rc" "first run exits 0"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/#   /'
zone_ok "run 1"
is "$(published_serial)" "$(secondary_serial)" "run 1: the NSD secondary serves the published serial"
[ -s "$S/unsigned.zone" ]; ok $? "the unsigned zone is in the state directory"
kzonecheck -o test. "$S/unsigned.zone" >/dev/null 2>&1; ok $? "kzonecheck accepts the unsigned zone"
# the run signs the zone handed over in memory; the file beside is the text `tldsign zonegen` writes
"$TLDSIGN" -c "$C" --now "$(at 1)" zonegen -o "$TMP/zonegen.zone" >/dev/null 2>&1
cmp -s "$TMP/zonegen.zone" "$S/unsigned.zone"; ok $? "unsigned.zone is the text tldsign zonegen writes"
is "$(sha256sum "$S/unsigned.zone" | cut -d' ' -f1)" \
	"$(sqlite3 "$S/state.db" 'SELECT unsigned_digest FROM run_history ORDER BY id DESC LIMIT 1')" \
	"the run history's unsigned digest is the SHA-256 of unsigned.zone"
[ -s "$S/last-run.json" ] && [ -s "$S/metrics.prom" ]; ok $? "last-run.json and metrics.prom written"
/usr/bin/python3 -m json.tool "$S/last-run.json" >/dev/null; ok $? "last-run.json is valid JSON"
is 99 "$(json delegations)" "last-run.json: 99 delegations"
grep -q '^tldsign_stage_duration_seconds{stage="export"} ' "$S/metrics.prom"; ok $? "metrics.prom: stage durations"
grep -q "^tldsign_last_run_exit_code 0\$" "$S/metrics.prom"; ok $? "metrics.prom: exit code 0"
is True "$(json published)" "last-run.json: published"
is 1 "$(sqlite3 "$S/state.db" 'SELECT count(*) FROM run_history')" "one history row per run"
run_cmd "$TLDSIGN" -c "$C" --now "$(at 1)" status --timeout 0
is 0 "$rc" "status exits 0"
echo "$out" | grep -q "^last run: .*$(date -u -d "@$(at 1)" +%Y-%m-%dT%H:%M:%SZ)"; ok $? "status shows the last run"

# --- bad rows: refused, then forced ----------------------------------------
cp -r "$I/export" "$TMP/export.orig"
printf 'bad_name.test,ok\n-lead.test,ok\nx..test,ok\n' >>"$I/export/domains.csv"
export_at 2
run_at 2
is 3 "$rc" "3 bad rows of 436 (> 0.5%) are refused with exit 3"
echo "$out" | grep -q "guard max-bad-rows refused the run: max-bad-rows: 3 of 436 export rows rejected"
ok $? "the refusal names the guard and the figures"
echo "$out" | grep -q -- "--force REASON"; ok $? "the refusal names the override"
is "failed" "$(json result)" "last-run.json: failed"
run_at 2 --force "ticket 4711: three broken rows accepted"
is 0 "$rc" "--force overrides the bad-rows guard"
zone_ok "forced run"
echo "$out" | grep -q "guard max-bad-rows overridden"; ok $? "the override is logged"
run_cmd "$TLDSIGN" -c "$C" audit list --state-dir "$S"
echo "$out" | grep "run --force" | grep -q "ticket 4711"; ok $? "the override is in the audit log with its reason"
run_cmd "$TLDSIGN" -c "$C" audit verify --state-dir "$S"
is 0 "$rc" "the audit chain verifies"
is "ticket 4711: three broken rows accepted" "$(json forced)" "last-run.json names the override"
rm -rf "$I/export" && cp -r "$TMP/export.orig" "$I/export"

# --- the clock guard ----------------------------------------------------------
export_at 0
run_at 0
is 3 "$rc" "a run at an earlier time than the last run is refused"
echo "$out" | grep -q "clock-monotonic"; ok $? "the refusal names clock-monotonic"

# --- the cron loop ---------------------------------------------------------------
export_at 3
run_at 3
is 0 "$rc" "run 3 exits 0"
zone_ok "run 3"
v=$(versions)
run_at 4
is 0 "$rc" "run with nothing changed exits 0"
echo "$out" | grep -q "unchanged"; ok $? "the summary says unchanged"
is "$v" "$(versions)" "nothing new published"

# new, deleted, held domains; new and removed DS
ds1=$(sed -n 2p "$I/export/ds.csv" | cut -d, -f1)
sed -i 2d "$I/export/ds.csv"
sec=$(grep -m1 ',257,' "$I/export/dnskeys.csv" | cut -d, -f1)
new1=$(sed -n 3p "$I/export/domains.csv" | cut -d, -f1)
for k in 1 2 3; do   # three new secure delegations keep the DS count from dropping
	echo "brandnew$k.test,ok" >>"$I/export/domains.csv"
	echo "brandnew$k.test,ns1.example.net" >>"$I/export/nameservers.csv"
	echo "brandnew$k.test,1234$k,13,2,$(printf "x$k" | sha256sum | cut -d' ' -f1)" >>"$I/export/ds.csv"
done
held=$(sed -n 4p "$I/export/domains.csv" | cut -d, -f1)
sed -i "s/^$held,.*/$held,clientHold/" "$I/export/domains.csv"
gone=$(sed -n 5p "$I/export/domains.csv" | cut -d, -f1)
sed -i "/^$gone,/d" "$I/export/domains.csv" "$I/export/nameservers.csv" "$I/export/ds.csv" "$I/export/dnskeys.csv"
export_at 5
old=$(current_file)
run_at 5
is 0 "$rc" "run after the export changed exits 0"
[ "$rc" -eq 0 ] || echo "$out" | sed "s/^/#   /"
# the verifier's cache of the last published version spared most public-key checks
cached=$(json verify_rrsigs_cached) valid=$(json verify_rrsigs_valid)
[ "$cached" -gt 0 ] && [ "$cached" -lt "$valid" ]
ok $? "run 5: $cached of $valid signatures verified from the verifier's cache, the rest by public key"
[ -s "$S/previous.zone.vcache" ]; ok $? "the verifier's cache of the published version is kept"
is delta "$(json verify_mode)" "run 5: verified by its changes from the published version (verified from scratch at run 1)"
[ -s "$S/previous.zone.vstate" ]; ok $? "the verifier's state of the published version is kept"
[ "$(current_file)" != "$old" ]; ok $? "a new version is published"
# the files the publish replaced keep a second name until the next run frees them (run/replaced_files.h)
cmp -s "$S/previous.zone" "$(current_file)"; ok $? "previous.zone is the published version's signer output"
[ "$(stat -c %i "$S/previous.zone.old")" = "$(stat -c %i "$old")" ]
ok $? "previous.zone.old is the file it replaced (the version before, $old)"
replaced=$(stat -c %i "$S/previous.zone.sigs.old" 2>/dev/null)
[ -n "$replaced" ]; ok $? "previous.zone.sigs.old: the side file replaced"
zone_ok "run 5"
is "$(published_serial)" "$(secondary_serial)" "run 5: the NSD secondary follows"
f=$(current_file)
grep -q '^brandnew1\.test\..*DS' "$f"; ok $? "the new domain's DS is published"
! grep -q "^$held\..*NS" "$f"; ok $? "the held domain is not delegated"
! grep -q "^$gone\." "$f"; ok $? "the deleted domain is gone"
! grep -q "^$ds1\..*DS.*" "$f" || [ "$ds1" = "$sec" ]; ok $? "the removed DS is gone"
: "$new1"

# delegation drop: remove 10 of ~99 delegated domains
cp -r "$I/export" "$TMP/export.5"
for d in $(sed -n '2,11p' "$I/export/domains.csv" | cut -d, -f1); do
	sed -i "/^$d,/d" "$I/export/domains.csv" "$I/export/nameservers.csv" "$I/export/ds.csv" "$I/export/dnskeys.csv"
done
export_at 6
run_at 6
is 3 "$rc" "a 10% delegation drop is refused"
[ "$(stat -c %i "$S/previous.zone.sigs.old" 2>/dev/null)" != "$replaced" ] && [ ! -e "$S/previous.zone.old" ]
ok $? "the next run (even one refused) removed the files the last publish replaced"
[ -s "$S/previous.zone" ] && [ -s "$S/previous.zone.sigs" ]; ok $? "and kept the published version's"
echo "$out" | grep -q "max-delegation-drop: delegations fell from"; ok $? "the refusal names the guard and the figures"
run_at 6 --force "ticket 4712: registrar cleanup"
is 0 "$rc" "--force publishes the drop once"
zone_ok "forced run"

# DS drop: remove every DS
cp "$I/export/ds.csv" "$TMP/ds.csv"; cp "$I/export/dnskeys.csv" "$TMP/dnskeys.csv"
head -1 "$TMP/ds.csv" >"$I/export/ds.csv"
head -1 "$TMP/dnskeys.csv" >"$I/export/dnskeys.csv"
export_at 7
run_at 7
is 3 "$rc" "removing every DS is refused"
echo "$out" | grep -q "max-ds-drop"; ok $? "the refusal names max-ds-drop"

# apex change: a different NS set in the config
cp "$TMP/ds.csv" "$I/export/ds.csv"; cp "$TMP/dnskeys.csv" "$I/export/dnskeys.csv"; export_at 8
sed -i 's/ns2.nic.test./ns3.nic.test./' "$C"
run_at 8
is 3 "$rc" "an apex NS change is refused"
echo "$out" | grep -q "apex-change"; ok $? "the refusal names apex-change"
sed -i 's/ns3.nic.test./ns2.nic.test./' "$C"

# a secondary that does not follow: published, exit 6; the next run re-notifies
kill $NSD_PID; wait $NSD_PID 2>/dev/null
echo "late.test,ok" >>"$I/export/domains.csv"
echo "late.test,ns1.example.net" >>"$I/export/nameservers.csv"
export_at 9
run_at 9
is 6 "$rc" "the secondary is down: published, exit 6"
echo "$out" | grep -q "secondaries 0/1 confirmed"; ok $? "the summary says 0/1 confirmed"
grep -q 'tldsign_secondary_serial_lag{secondary="127.0.0.1@15721"} -1' "$S/metrics.prom"; ok $? "metrics.prom: lag unknown"
start_nsd
run_at 10
is 0 "$rc" "with the secondary back, the next run (nothing changed) gets it confirmed"
echo "$out" | grep -q "notifying again"; ok $? "it says it notifies again"
is "$(published_serial)" "$(secondary_serial)" "the secondary serves the published serial"

# the zonegen report is written beside the stages after the export: one that
# cannot be written still fails the run, and nothing is published
echo "late2.test,ok" >>"$I/export/domains.csv"
echo "late2.test,ns1.example.net" >>"$I/export/nameservers.csv"
export_at 11
rm -f "$S/zonegen-report.json"; mkdir "$S/zonegen-report.json"
v=$(versions)
run_at 11
[ "$rc" -ne 0 ]; ok $? "a zonegen report that cannot be written fails the run (exit $rc)"
echo "$out" | grep -q "zonegen-report.json exists and is not a regular file"; ok $? "it names the report"
is "$v" "$(versions)" "nothing published"
rmdir "$S/zonegen-report.json"
run_at 12
is 0 "$rc" "the next run publishes"
[ -s "$S/zonegen-report.json" ]; ok $? "and writes the report"

run_cmd "$TLDSIGN" -c "$C" --now "$(at 10)" status --timeout 3
echo "$out" | grep -q "127.0.0.1@15721 *serial .* (current)"; ok $? "status: the secondary is current"
run_cmd "$TLDSIGN" -c "$C" --now "$(at 10)" status --timeout 0
echo "$out" | grep -q "^published: *serial"; ok $? "status shows the published serial"
echo "$out" | grep -q "^rrsig expiry: 20"; ok $? "status shows the earliest RRSIG expiry"
done_testing
