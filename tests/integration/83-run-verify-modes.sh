#!/bin/sh
# tldsign run's publish gate verifies a new version either from scratch or by
# its changes from the last published version (verify/vdelta.c, with the
# verifier's own state of that version, STATE_DIR/previous.zone.vstate):
#  - the first run, --full-verify, verify.full-every 0, and the first run
#    after verify.full-every has passed verify from scratch and say why;
#  - the runs between verify by the changes; last-run.json (verify_mode,
#    verify_full_reason), metrics.prom (tldsign_verify_delta) and the run
#    history (verify_full) tell which;
#  - a missing, damaged or stale state makes the verifier take the full way;
#  - a damaged signed zone is refused (exit 5, nothing published) with the
#    delta asked for, as from scratch;
#  - every published version validates with dnssec-verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/lib-run.sh"
hsm_require
command -v dnssec-verify >/dev/null || skip_all "dnssec-verify not installed"
WM=$TOP/tests/golden/zonegen/write-manifest.sh
I=$TMP/inst
C=$I/tldsign.yaml
S=$I/state
T0=$(run_t0)
at() { echo $((T0 + $1 * 60)); }
export_at() { "$WM" "$I/export" "$(date -u -d "@$(($(at "$1") - 60))" +%Y-%m-%dT%H:%M:%SZ)"; }
# change_at STEP: one more delegation in the export, exported before run STEP
change_at() {
	echo "mode$1.test,ok" >>"$I/export/domains.csv"
	echo "mode$1.test,ns1.example.net" >>"$I/export/nameservers.csv"
	export_at "$1"
}
run_at() { step=$1; shift; run_cmd "$TLDSIGN" -c "$C" --now "$(at "$step")" -v run "$@"; }
json() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" "$S/last-run.json" "$1"; }
current_file() { sqlite3 "$S/state.db" "SELECT file FROM publish_versions ORDER BY id DESC LIMIT 1"; }
versions() { sqlite3 "$S/state.db" "SELECT count(*) FROM publish_versions"; }
last_full() { sqlite3 "$S/state.db" "SELECT verify_full FROM run_history ORDER BY id DESC LIMIT 1"; }
# mode_is STEP MODE REASON-PATTERN DESC: the run published, verified as MODE
mode_is() {
	is 0 "$rc" "$4: exit 0"
	[ "$rc" -eq 0 ] || echo "$out" | tail -20 | sed 's/^/#   /'
	is "$2" "$(json verify_mode)" "$4: last-run.json verify_mode $2"
	if [ -n "$3" ]; then
		json verify_full_reason | grep -q -- "$3"; ok $? "$4: verify_full_reason says '$3'"
	else
		is "" "$(json verify_full_reason)" "$4: no verify_full_reason"
	fi
	d=0; [ "$2" = delta ] && d=1
	grep -q "^tldsign_verify_delta $d\$" "$S/metrics.prom"; ok $? "$4: metrics.prom tldsign_verify_delta $d"
	f=$((1 - d)); is "$f" "$(last_full)" "$4: run history verify_full $f"
	dnssec-verify -q -o test. -x "$(current_file)" >"$TMP/dv" 2>&1; ok $? "$4: dnssec-verify accepts the published version"
	[ $? -eq 0 ] || sed 's/^/#   /' "$TMP/dv" | head -10
}

run_init "$I" "$(at 0)"; ok $? "init, token and keys"
# an hour, not the default day: dnssec-verify checks times against the real clock
printf 'verify:\n  full-every: 1h\n' >>"$C"
export_at 1

run_at 1
mode_is 1 full "no run of the zone verified from scratch yet" "first run"
[ -s "$S/previous.zone.vstate" ]; ok $? "the verifier's state of the published version is kept"

change_at 2; run_at 2
mode_is 2 delta "" "next run"
echo "$out" | grep -q "run: verify: by the changes from $S/previous.zone: 1 subtrees changed"
ok $? "the log names the previous version and one changed subtree"

change_at 3; run_at 3 --full-verify
mode_is 3 full "--full-verify" "--full-verify"

change_at 4; run_at 4
mode_is 4 delta "" "after --full-verify"

# a damaged state: the verifier takes the full way and says why
printf 'garbage' >>"$S/previous.zone.vstate"
change_at 5; run_at 5
mode_is 5 full "the verification state is not usable" "damaged state"
change_at 6; rm -f "$S/previous.zone.vstate"; run_at 6
mode_is 6 full "no verification state" "no state"
change_at 7; run_at 7
mode_is 7 delta "" "the state is back after a run from scratch"

# a damaged signed zone is refused with the delta asked for
v=$(versions)
change_at 8
TLDSIGN_TEST_BREAK_SIGNED=1 run_at 8
is 5 "$rc" "a damaged signed zone: exit 5"
echo "$out" | grep -q "failed verification"; ok $? "the refusal says the zone failed verification"
is "$v" "$(versions)" "nothing published"
run_at 8
mode_is 8 delta "" "the next run after the refusal"

# a state of an earlier format (version 1: a SHA-256 where the file's tag is),
# as an upgrade finds it: refused as such, the full way, then by the changes again
printf '\001' | dd of="$S/previous.zone.vstate" bs=1 seek=19 conv=notrunc 2>/dev/null
change_at 9; run_at 9
mode_is 9 full "the verification state is not usable" "a version-1 state"
echo "$out" | grep -q "verification state ignored: another format version"
ok $? "the log says the state is of another format version"
change_at 10; run_at 10
mode_is 10 delta "" "the run after the upgrade"

# verify.full-every: passed, then 0
change_at 70; run_at 70
mode_is 70 full "the last verification from scratch was at .* (verify.full-every 1h)" "an hour after the last run from scratch"
change_at 71; run_at 71
mode_is 71 delta "" "a minute after that"
sed -i 's/^  full-every: 1h$/  full-every: 0/' "$C"
change_at 72; run_at 72
mode_is 72 full "verify.full-every is 0" "verify.full-every 0"
done_testing
