#!/bin/sh
# `tldsign publish` of signed zones killed with SIGKILL at instants spread
# over a whole publish (verify, parse, write, rename, commit, link, prune) in
# a bounded loop: the served version is always complete, the state stays
# consistent, and the next publish completes normally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/publib.sh"
need kdig ldns-signzone ldns-keygen sqlite3
[ -x "$TLDSIGN" ] || skip_all "tldsign not built"
P=15330
SECRET=$(new_secret)
KEY="hmac-sha256:xfr:$SECRET"
N=3000
ROUNDS=8
cli_config "$TMP/tldsign.yaml" $P "$SECRET" 3
pub() { "$TLDSIGN" --now 2026-11-21T00:00:00Z -c "$TMP/tldsign.yaml" publish --no-notify -i "$@"; }

# every version signed beforehand (same shape: the record count is fixed)
i=1
while [ $i -le $((ROUNDS + 2)) ]; do
	make_zone $i $N $((i % 7)) "$TMP/u$i"; sign_zone "$TMP/u$i" "$TMP/s$i"
	i=$((i + 1))
done
t0=$(now_ms)
pub "$TMP/s1" >/dev/null 2>&1; ok $? "publish serial 1 (signed, verified)"
span=$(( $(now_ms) - t0 ))
records=$(grep -vc '^;' "$TMP/s1")
start_bg "$TMP/serve.pid" "$TMP/serve.log" "$TLDSIGN" -c "$TMP/tldsign.yaml" serve
wait_for 20 serial_is $P 1 "$KEY"; ok $? "serving serial 1"

complete=0 killed=0 i=0 next=2
while [ $i -lt $ROUNDS ]; do
	i=$((i + 1))
	pub "$TMP/s$next" >/dev/null 2>&1 &
	pid=$!
	# round i kills at i/ROUNDS of an uninterrupted publish ($span ms)
	ms=$(( span * i / ROUNDS ))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && killed=$((killed + 1))
	# the version is used up when it was committed; the server follows the commit
	cur=$(sqlite3 "$TMP/state/state.db" "SELECT serial FROM publish_versions ORDER BY id DESC LIMIT 1")
	wait_for 10 serial_is $P "$cur" "$KEY" || diag "round $i: serial $cur committed but not served"
	[ "$cur" = "$next" ] && next=$((next + 1))
	kdig @127.0.0.1 -p $P -y "$KEY" +time=10 +noall +answer test. AXFR > "$TMP/axfr" 2>&1
	got=$(grep -c 'IN	' "$TMP/axfr")
	first=$(head -1 "$TMP/axfr" | awk '{print $4}'); last=$(tail -1 "$TMP/axfr" | awk '{print $4}')
	if [ "$got" = $((records + 1)) ] && [ "$first" = SOA ] && [ "$last" = SOA ]; then
		complete=$((complete + 1))
	else
		diag "round $i (kill at $ms ms of $span): $got records (want $((records + 1))), first $first, last $last"
	fi
done
is $ROUNDS "$complete" "every served version was complete ($killed of $ROUNDS publishes killed)"
[ "$killed" -gt 0 ]; ok $? "some publishes were actually killed mid-way"
diag "publishes committed up to serial $((next - 1))"

pub "$TMP/s$next" >/dev/null 2>&1; ok $? "the next publish completes normally (serial $next)"
wait_for 20 serial_is $P $next "$KEY"; ok $? "and is served"
ls "$TMP/zones" "$TMP/state/journal" 2>/dev/null | grep -q '\.tmp\.'; ok $((! $?)) "temporary files of killed publishes were cleaned up"
kdig @127.0.0.1 -p $P -y "$KEY" +noall +answer test. IXFR=1 > "$TMP/ixfr" 2>&1
[ "$(grep -c 'IN	' "$TMP/ixfr")" -gt 0 ]; ok $? "IXFR or AXFR-style answer from serial 1 after the crashes"
kill -0 "$(cat "$TMP/serve.pid")"; ok $? "server survived"
done_testing
