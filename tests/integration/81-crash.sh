#!/bin/sh
# Crash safety of `tldsign run` (DESIGN section 3): kill -9 at 12 points of
# runs over a 20,000-delegation export (spread over an incremental run's time); after each kill the last published
# version is intact (file digest as recorded) and served by `tldsign serve`,
# the state store passes PRAGMA integrity_check, the lock is free, and the next
# run succeeds with a zone dnssec-verify accepts.  Then the failure paths:
# HSM token gone (exit 4), SoftHSM's token.object emptied (exit 4, the file
# named), disk full (exit 1, on a small tmpfs in a private
# mount namespace), a signed zone the verifier rejects (exit 5) -- each with
# nothing published.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/lib-run.sh"
hsm_require
command -v sqlite3 >/dev/null || skip_all "sqlite3 missing"
I=$TMP/inst
C=$I/tldsign.yaml
S=$I/state
PORT=15710
T0=$(run_t0)
at() { echo $((T0 + $1 * 60)); }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
q() { sqlite3 "$S/state.db" "$1" 2>/dev/null; }

run_init "$I" "$(at 0)"; ok $? "init, token and keys"
rm -rf "$I/export"
"$TLDSIGN_TOOLS/gen-export" --delegations 20000 --seed 81 --tld test. \
	--exported-at "$(iso "$(at 0)")" -o "$I/export" >/dev/null
ok $? "a 20,000-delegation export"
SECRET=c2VjcmV0LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXM=
cat >>"$C" <<EOF
publish:
  listen: ["127.0.0.1@$PORT"]
  tsig: [{name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}]
  acl: [{key: xfr, from: ["127.0.0.0/8"]}]
EOF

# change STEP: flip one domain's status so the next run has work, rewrite the manifest
change() {
	line=$(($1 % 19000 + 2))
	awk -F, -v l="$line" 'BEGIN { OFS = "," } NR == l { $2 = ($2 == "ok") ? "clientHold" : "ok" } { print }' \
		"$I/export/domains.csv" >"$TMP/d" && mv "$TMP/d" "$I/export/domains.csv"
	"$TOP/tests/golden/zonegen/write-manifest.sh" "$I/export" "$(iso "$(($(at "$1") - 30))")"
}
run_at() { step=$1; shift; run_cmd "$TLDSIGN" -c "$C" --now "$(at "$step")" run "$@"; }

run_at 1
is 0 "$rc" "first run publishes"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/#   /'
FULL=1
SERVE_PID=
if [ "$FULL" = 1 ]; then
	"$TLDSIGN" -c "$C" serve >"$TMP/serve.log" 2>&1 &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID; wait $SERVE_PID"
	i=0; while [ $i -lt 50 ] && ! dig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr:$SECRET" +short +time=1 +tries=1 test. SOA >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1)); done
fi

# published_intact DESC: the recorded current version's file has its digest and is served
published_intact() {
	row=$(q "SELECT serial, file, digest FROM publish_versions ORDER BY id DESC LIMIT 1")
	serial=${row%%|*}; rest=${row#*|}; file=${rest%%|*}; digest=${rest#*|}
	[ -n "$row" ] && [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$digest" ]
	ok $? "$1: published serial $serial intact (digest as recorded)"
	# serve picks up a committed version within a poll interval: wait up to ~5 s
	i=0
	while :; do
		got=$(dig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr:$SECRET" +short +time=2 +tries=2 test. SOA | awk '{ print $3 }')
		[ "$got" = "$serial" ] || [ $i -ge 25 ] && break
		i=$((i + 1)); sleep 0.2
	done
	is "$serial" "$got" "$1: serve answers serial $serial"
}

# SoftHSM's file store empties token.object at every login before writing it
# again (hsm/softhsm_store.h): a kill inside that window loses the token, which
# no signer can prevent.  The token directory is kept aside, and a kill that
# lands there is reported and the file restored, as an operator would from a
# backup; tldsign's own state is checked as after any other kill.
TOKENS=$(dirname "$(ls "$I"/hsm/tokens/*/token.object 2>/dev/null | head -1)")
[ -n "$TOKENS" ] && cp -a "$TOKENS" "$TMP/tokens.backup"
softhsm_restore() {
	if [ -n "$TOKENS" ] && [ ! -s "$TOKENS/token.object" ]; then
		diag "$1: the kill landed in SoftHSM's token.object rewrite (emptied); restored from the backup"
		cp "$TMP/tokens.backup/token.object" "$TOKENS/token.object"
	fi
}

# the kill points: spread over the time an incremental run takes here (runs
# got fast enough that fixed points after 0.1 s fell after their end)
step=2
change $step
t_start=$(date +%s.%N)
run_at $step
t_end=$(date +%s.%N)
is 0 "$rc" "an incremental run before the kills"
step=$((step + 1))
DELAYS=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { d = b - a; if (d < 0.05) d = 0.05
	for (k = 1; k <= 12; k++) printf "%.3f ", d * k / 13 }')
diag "an incremental run takes $(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }') s here; kills after: $DELAYS"
hits=0
for d in $DELAYS; do
	change $step
	"$TLDSIGN" -c "$C" --now "$(at $step)" run >"$TMP/run.out" 2>&1 &
	pid=$!
	sleep "$d"
	if kill -9 "$pid" 2>/dev/null; then hits=$((hits + 1)); fi
	wait "$pid" 2>/dev/null
	diag "kill after ${d}s: $(grep -c . "$TMP/run.out") log lines, last: $(tail -1 "$TMP/run.out" | cut -c1-150)"
	softhsm_restore "kill after ${d}s"
	is ok "$(q 'PRAGMA integrity_check')" "kill after ${d}s: state store integrity_check ok"
	# the killed run's signing workers die with it (started at its start:
	# hsm.early-workers); workers forked per batch (when those could not be
	# used) finish their batch and hold the lock until then, so that no next
	# run uses the HSM beside them
	flock -w 20 "$S/lock" true; ok $? "kill after ${d}s: the lock is free again (within 20 s)"
	if [ "$FULL" = 1 ]; then published_intact "kill after ${d}s"; fi
	step=$((step + 1))
done
diag "$hits of 12 kills landed inside a running run"

run_at $step
if [ "$FULL" = 1 ]; then
	is 0 "$rc" "the run after the kills succeeds"
	[ "$rc" -eq 0 ] || echo "$out" | tail -20 | sed 's/^/#   /'
	f=$(q "SELECT file FROM publish_versions ORDER BY id DESC LIMIT 1")
	dnssec-verify -q -o test. -x "$f" >"$TMP/dv" 2>&1; ok $? "dnssec-verify accepts the version after the kills"
	published_intact "after the kills"
fi
is 0 "$(ls "$S" | grep -c '\.tmp\.')" "no temporary file of a killed run is left in the state directory"
is 0 "$(ls "$I/zones" "$S/journal" 2>/dev/null | grep -c '\.tmp\.')" \
	"no temporary file of a killed run's publish is left in the output directory or the journal"
step=$((step + 1))

# --- disk full: the instance on a 24 MB tmpfs, filled up (private mount namespace)
if unshare -m true 2>/dev/null; then
	change $step
	cat >"$TMP/full.sh" <<EOF
set -u
mount -t tmpfs -o size=24m tmpfs "$S" || exit 99
cp -a "$TMP/state.copy/." "$S/"
# the files the last publish replaced (previous.zone*.old) would be freed by the run beside its
# first stages (run/replaced_files.h), making room at a moment that varies: removed here, so
# that the disk is full whenever the run writes
rm -f "$S"/*.old
# 1: completely full; 2: 1 MB left (the state store works, the zone does not fit)
for case in 1 2; do
	if [ \$case = 1 ]; then dd if=/dev/zero of="$S/filler" bs=64k 2>/dev/null
	else avail=\$(df -k --output=avail "$S" | tail -1)
	     dd if=/dev/zero of="$S/filler" bs=1k count=\$((avail - 1024)) 2>/dev/null; fi
	"$TLDSIGN" -c "$C" --now "$(at $step)" run >"$TMP/full\$case.out" 2>&1
	echo \$? >"$TMP/full\$case.rc"
	rm -f "$S/filler"
	sqlite3 "$S/state.db" "PRAGMA integrity_check" >"$TMP/full\$case.check" 2>&1
	sqlite3 "$S/state.db" "SELECT count(*) FROM publish_versions" >"$TMP/full\$case.versions" 2>&1
done
EOF
	rm -rf "$TMP/state.copy"; cp -a "$S" "$TMP/state.copy"
	before=$(q "SELECT count(*) FROM publish_versions")
	unshare -m sh "$TMP/full.sh"
	if [ "$?" = 99 ]; then
		skip "disk full: cannot mount a tmpfs here"
	else
		for c in 1 2; do
			what="disk full ($([ $c = 1 ] && echo "no byte left" || echo "1 MB left"))"
			is 1 "$(cat "$TMP/full$c.rc")" "$what: the run exits 1"
			grep -Eq "No space left on device|disk I/O error" "$TMP/full$c.out"; ok $? "$what: the error says why"
			[ $? -eq 0 ] || sed 's/^/#   /' "$TMP/full$c.out"
			is ok "$(cat "$TMP/full$c.check")" "$what: state store integrity_check ok"
			is "$before" "$(cat "$TMP/full$c.versions")" "$what: nothing published"
		done
		grep -q "No space left on device" "$TMP/full2.out"; ok $? "1 MB left: the zone write reports No space left on device"
	fi
else
	skip "disk full: no private mount namespace (unshare -m) here"
fi
step=$((step + 1))

# --- HSM gone: the token directory disappears ----------------------------------
tokdir=$(awk -F= '/directories.tokendir/ { gsub(/[ \t]/, "", $2); print $2 }' "$I/hsm/softhsm2.conf")
before=$(q "SELECT count(*) FROM publish_versions")
change $step
mv "$tokdir" "$tokdir.away"
run_at $step
is 4 "$rc" "HSM token gone: exit 4"
is "$before" "$(q 'SELECT count(*) FROM publish_versions')" "HSM token gone: nothing published"
mv "$tokdir.away" "$tokdir"
published_intact "HSM token gone"
step=$((step + 1))

# --- SoftHSM's token.object emptied (a process killed in its login write): the
# run names the file and says what to do; restored, the next run works --------
if [ -n "$TOKENS" ]; then
	change $step
	: >"$TOKENS/token.object"
	run_at $step
	is 4 "$rc" "SoftHSM token.object emptied: exit 4"
	echo "$out" | grep -q "SoftHSM token file $TOKENS/token.object is empty"
	ok $? "the error names the empty token.object and says why"
	is "$before" "$(q 'SELECT count(*) FROM publish_versions')" "token.object emptied: nothing published"
	cp "$TMP/tokens.backup/token.object" "$TOKENS/token.object"
	published_intact "token.object emptied"
	step=$((step + 1))
fi

# --- verification gate: a damaged signed zone (the run's test hook appends an
# unsigned RRset between signing and verification) ------------------------------
change $step
export TLDSIGN_TEST_BREAK_SIGNED=1; run_at $step; unset TLDSIGN_TEST_BREAK_SIGNED
is 5 "$rc" "a damaged signed zone: verification fails, exit 5"
echo "$out" | grep -q "failed verification"; ok $? "the failure is reported"
is "$before" "$(q 'SELECT count(*) FROM publish_versions')" "verification failure: nothing published"
# the publish was prepared beside the verification: its temporaries are gone
is 0 "$(ls "$I/zones" "$S/journal" 2>/dev/null | grep -c '\.tmp\.')" \
	"verification failure: no temporary file left in the output directory or the journal"
published_intact "verification failure"
step=$((step + 1))
run_at $step
is 0 "$rc" "without the damage the next run publishes"
f=$(q "SELECT file FROM publish_versions ORDER BY id DESC LIMIT 1")
dnssec-verify -q -o test. -x "$f" >"$TMP/dv" 2>&1; ok $? "dnssec-verify accepts it"
done_testing
