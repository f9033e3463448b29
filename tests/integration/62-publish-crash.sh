#!/bin/sh
# A publish killed with SIGKILL at random instants (bounded loop): the served
# version is always complete, the state stays consistent, and the next
# publish completes normally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/publib.sh"
need kdig
[ -x "$TLDPUB" ] || skip_all "tldpub not built"
P=15330
SECRET=$(new_secret)
KEY="hmac-sha256:xfr:$SECRET"
PUBOPTS="--zone test. --state $TMP/state --out $TMP/out --keep 3 --listen 127.0.0.1@$P
 --tsig xfr:hmac-sha256:$SECRET --acl xfr:127.0.0.0/8"
N=20000
ROUNDS=12

make_zone 1 $N 0 "$TMP/z1"
"$TLDPUB" $PUBOPTS publish-quiet "$TMP/z1" >/dev/null 2>&1; ok $? "publish serial 1"
records=$(grep -c ' NS \| A \| AAAA \| DS \| SOA ' "$TMP/z1")
start_bg "$TMP/serve.pid" "$TMP/serve.log" "$TLDPUB" $PUBOPTS serve
wait_for 20 serial_is $P 1 "$KEY"; ok $? "serving serial 1"

# expected record count per serial: every version has the same shape
complete=0 killed=0 i=0
serial=1
while [ $i -lt $ROUNDS ]; do
	i=$((i + 1))
	serial=$((serial + 1))
	make_zone $serial $N $((i % 7 + 1)) "$TMP/zn"
	"$TLDPUB" $PUBOPTS publish-quiet "$TMP/zn" >/dev/null 2>&1 &
	pid=$!
	# kill somewhere between 0 and ~0.6 s: parse, write, rename, commit, link, prune
	sleep "0.$(( (i * 37) % 6 ))$(( (i * 13) % 10 ))"
	kill -9 $pid 2>/dev/null && killed=$((killed + 1))
	wait $pid 2>/dev/null
	sleep 0.5   # let the server pick up whatever was committed
	kdig @127.0.0.1 -p $P -y "$KEY" +time=10 +noall +answer test. AXFR > "$TMP/axfr" 2>&1
	got=$(grep -c 'IN	' "$TMP/axfr")
	first=$(head -1 "$TMP/axfr" | awk '{print $4}'); last=$(tail -1 "$TMP/axfr" | awk '{print $4}')
	if [ "$got" = $((records + 1)) ] && [ "$first" = SOA ] && [ "$last" = SOA ]; then
		complete=$((complete + 1))
	else
		diag "round $i: $got records (want $((records + 1))), first $first, last $last"
	fi
done
is $ROUNDS "$complete" "every served version was complete ($killed publishes killed)"
[ "$killed" -gt 0 ]; ok $? "some publishes were actually killed mid-way"


serial=$((serial + 1))
make_zone $serial $N 0 "$TMP/zlast"
"$TLDPUB" $PUBOPTS publish-quiet "$TMP/zlast" >/dev/null 2>&1; ok $? "the next publish completes normally"
wait_for 20 serial_is $P $serial "$KEY"; ok $? "and is served (serial $serial)"
ls "$TMP/out" "$TMP/state/journal" | grep -q '\.tmp\.'; ok $((! $?)) "temporary files of killed publishes were cleaned up"
kdig @127.0.0.1 -p $P -y "$KEY" +noall +answer test. IXFR=1 > "$TMP/ixfr" 2>&1
[ "$(grep -c 'IN	' "$TMP/ixfr")" -gt 0 ]; ok $? "IXFR or AXFR-style answer from serial 1 after the crashes"
kill -0 "$(cat "$TMP/serve.pid")"; ok $? "server survived"
done_testing
