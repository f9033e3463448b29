#!/bin/sh
# `tldsign run` starts its signing workers at its start (hsm/signpool.h,
# hsm.early-workers): they log in beside the export and sign the run's
# batches (-vv says so), and none is left after the run, whose lock is free;
# with hsm.early-workers false the workers are forked per batch as before; a
# started worker that dies mid-batch (tests/p11fault: SIGKILL at its 5th
# C_Sign) fails the run with the HSM exit code 4, naming the death, nothing
# is published, no worker is left and the next run publishes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/lib-run.sh"
hsm_require
command -v cc >/dev/null 2>&1 || skip_all "no C compiler for the fault module"
GEN=${TLDSIGN_TOOLS:-$TOP/build/tools}/gen-export
WM=$TOP/tests/golden/zonegen/write-manifest.sh
I=$TMP/inst
C=$I/tldsign.yaml
T0=$(run_t0)
at() { echo $((T0 + $1 * 60)); }
export_at() { "$WM" "$I/export" "$(date -u -d "@$(($(at "$1") - 60))" +%Y-%m-%dT%H:%M:%SZ)"; }
run_at() { # run_at STEP CONFIG [env...]
	step=$1; cfg=$2; shift 2
	export_at "$step"
	run_cmd env "$@" "$TLDSIGN" -c "$cfg" --now "$(at "$step")" -vv run --workers 2
}
versions() { sqlite3 "$I/state/state.db" "SELECT count(*) FROM publish_versions"; }
change_ns() { # change_ns EVERY NAME: the NS of every EVERY-th domain (a new SOA signature at least)
	awk -F, -v every="$1" -v ns="$2" 'BEGIN { OFS = "," } NR > 1 && NR % every == 0 { $2 = ns } { print }' \
		"$I/export/nameservers.csv" >"$TMP/x" && mv "$TMP/x" "$I/export/nameservers.csv"
}
add_ds() { # add_ds FROM TO: DS for the domains in rows FROM..TO (new signatures: DS and NSEC3)
	awk -F, -v a="$1" -v b="$2" 'NR > a && NR <= b { printf "%s,%d,13,2,%064x\n", $1, NR * 7, NR * 104729 }' \
		"$I/export/domains.csv" >>"$I/export/ds.csv"
}
# gone PIDS...: none of the processes runs any more
gone() {
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}

run_init "$I" "$(at 0)"; ok $? "init, token and keys"
rm -rf "$I/export"
"$GEN" --delegations 2000 --ds-share 0.3 --seed 5 --tld test. --exported-at "$(date -u -d "@$(at 0)" +%Y-%m-%dT%H:%M:%SZ)" \
	-o "$I/export" >/dev/null; ok $? "a 2000-delegation export"

# --- started early (the default)
run_at 1 "$C"
is 0 "$rc" "first run: exit 0"
[ "$rc" -eq 0 ] || echo "$out" | tail -15 | sed 's/^/#   /'
echo "$out" | grep -q "signing workers started early: 2 logged in"; ok $? "first run: 2 workers started and logged in"
echo "$out" | grep -q "batches (1 by workers started early)"; ok $? "first run: the batch signed by them"
pids=$(echo "$out" | sed -n 's/.*started early, pid \([0-9]*\)).*/\1/p')
[ -n "$pids" ]; ok $? "first run: the workers name their pids ($(echo $pids))"
gone $pids; ok $? "first run: no worker is left after the run"
flock -n "$I/state/lock" true; ok $? "first run: the lock is free"

# --- hsm.early-workers false: forked per batch
change_ns 50 ns1.changed.example
sed 's/^hsm:$/hsm:\n  early-workers: false/' "$C" >"$I/forked.yaml"
grep -q "early-workers: false" "$I/forked.yaml"; ok $? "a config with hsm.early-workers false"
run_at 2 "$I/forked.yaml"
is 0 "$rc" "early-workers false: exit 0"
echo "$out" | grep -q "signing workers started early"; ok $((! $?)) "early-workers false: none started early"
echo "$out" | grep -q "batches (0 by workers started early)"; ok $? "early-workers false: forked per batch"
echo "$out" | grep -q "published serial"; ok $? "early-workers false: published"

# --- a started worker killed mid-batch
FAULT=$TMP/p11fault.so
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -shared -fPIC -I"$TOP" \
	"$TOP/tests/p11fault/p11fault.c" -o "$FAULT" -ldl
ok $? "fault-injecting PKCS#11 module builds"
sed "s|module: .*|module: $FAULT|" "$C" >"$I/fault.yaml"
add_ds 1 150
before=$(versions)
LOG=$TMP/fault.log
run_at 3 "$I/fault.yaml" P11FAULT_MODULE="$HSM_MODULE" P11FAULT_LOG="$LOG" P11FAULT_SIGN_N=5 P11FAULT_SIGN_MODE=kill
is 4 "$rc" "worker killed: the run exits 4 (HSM)"
is 1 "$(grep -c '^FAULT C_Sign SIGKILL' "$LOG")" "worker killed: one worker killed itself at its 5th signature"
echo "$out" | grep -q "signing worker [0-9] died of signal 9"; ok $? "worker killed: the run names the death"
echo "$out" | grep -q "signatures failed"; ok $? "worker killed: its unfinished items failed"
is "$before" "$(versions)" "worker killed: nothing published"
wpids=$(awk '$1 == "C_Login" { print $2 }' "$LOG")
gone $wpids; ok $? "worker killed: no worker is left ($(echo $wpids))"
flock -n "$I/state/lock" true; ok $? "worker killed: the lock is free"
run_at 4 "$C"
is 0 "$rc" "after the killed worker: the next run exits 0"
is $((before + 1)) "$(versions)" "after the killed worker: the next run publishes"

done_testing
