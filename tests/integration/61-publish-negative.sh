#!/bin/sh
# The transfer server under refusal and abuse: no TSIG, wrong key, unknown
# key, wrong source, unknown IXFR serial, simultaneous transfers, truncated,
# oversized and garbage packets over UDP and TCP; versions and pruning.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/publib.sh"
need kdig ldns-signzone ldns-keygen
[ -x "$TLDSIGN" ] || skip_all "tldsign not built"
PY=/usr/bin/python3
P=15320
SECRET=$(new_secret)
KEY="hmac-sha256:xfr:$SECRET"
KEY512="hmac-sha512:x512:$(new_secret)"
cat > "$TMP/tldsign.yaml" <<CONF
zone: test.
state-dir: state/
hsm: {module: /usr/lib/softhsm/libsofthsm2.so, token: unused, pin-env: TLDSIGN_PIN}
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test., refresh: 1800, retry: 900,
        expire: 1209600, minimum: 3600, ttl: 3600}
  ns: [ns1.nic.test., ns2.nic.test.]
output: {dir: out/, keep: 2}
publish:
  listen: ["127.0.0.1@$P", "::1@$P"]
  tsig:
    - {name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}
    - {name: x512, algorithm: hmac-sha512, secret: "${KEY512#hmac-sha512:x512:}"}
  acl:
    - {key: xfr, from: ["127.0.0.0/8"]}
    - {key: x512, from: ["127.0.0.1/32"]}
CONF
pub() { "$TLDSIGN" --now 2026-11-21T00:00:00Z -c "$TMP/tldsign.yaml" publish --no-notify -i "$@"; }

make_zone 1000 3000 0 "$TMP/v1.unsigned"; sign_zone "$TMP/v1.unsigned" "$TMP/v1.zone"
make_zone 1001 3000 3 "$TMP/v2.unsigned"; sign_zone "$TMP/v2.unsigned" "$TMP/v2.zone"
make_zone 1002 3000 4 "$TMP/v3.unsigned"; sign_zone "$TMP/v3.unsigned" "$TMP/v3.zone"

run_cmd pub "$TMP/v1.zone"; is 0 "$rc" "publish version 1"
run_cmd pub "$TMP/v1.zone"; is 0 "$rc" "publishing the same version again is a no-op"
echo "$out" | grep -q "already published"; ok $? "... and says so"
sed 's/ 1000 1800 / 999 1800 /' "$TMP/v1.unsigned" > "$TMP/old.unsigned"; sign_zone "$TMP/old.unsigned" "$TMP/old.zone"
run_cmd pub "$TMP/old.zone"; is 3 "$rc" "an older serial is refused (exit 3)"
echo "$out" | grep -q "not newer"; ok $? "... with a clear message"
printf 'test. 3600 IN SOA a. b. 5 1 1 1 1\nbroken line here\n' > "$TMP/bad.zone"
run_cmd pub "$TMP/bad.zone"; is 3 "$rc" "a zone file that does not parse is refused"
echo "$out" | grep -q "bad.zone:2"; ok $? "... naming file and line"

start_bg "$TMP/serve.pid" "$TMP/serve.log" "$TLDSIGN" -c "$TMP/tldsign.yaml" serve
wait_for 20 serial_is $P 1000 "$KEY"; ok $? "server up with serial 1000"

# refusals
kdig @127.0.0.1 -p $P +time=2 +retry=0 test. AXFR > "$TMP/o" 2>&1
grep -q "REFUSED" "$TMP/o"; ok $? "AXFR without TSIG: REFUSED"
kdig @127.0.0.1 -p $P +time=2 +retry=0 -y "hmac-sha256:xfr:$(new_secret)" test. AXFR > "$TMP/o" 2>&1
grep -q "BADSIG" "$TMP/o"; ok $? "AXFR with the wrong secret: BADSIG"
kdig @127.0.0.1 -p $P +time=2 +retry=0 -y "hmac-sha256:nosuchkey:$SECRET" test. AXFR > "$TMP/o" 2>&1
grep -q "NOTAUTH\|BADKEY" "$TMP/o"; ok $? "AXFR with an unknown key: NOTAUTH"
kdig @::1 -p $P +time=2 +retry=0 -y "$KEY" test. AXFR > "$TMP/o" 2>&1
grep -q "REFUSED" "$TMP/o"; ok $? "AXFR from a source outside the ACL (::1): REFUSED"
kdig @127.0.0.1 -p $P +time=2 +retry=0 -y "$KEY" +tcp other. SOA > "$TMP/o" 2>&1
grep -q "REFUSED" "$TMP/o"; ok $? "query for another zone: REFUSED"
kdig @127.0.0.1 -p $P +time=2 +retry=0 -y "$KEY" test. AXFR +notcp +noall +answer > "$TMP/o" 2>&1
grep -q "test.*SOA" "$TMP/o"; ok $((! $?)) "no AXFR over UDP"

# a multi-message AXFR, TSIG on every message (kdig verifies each), sha256 and sha512
kdig @127.0.0.1 -p $P -y "$KEY" test. AXFR > "$TMP/axfr" 2>&1
msgs=$(sed -n 's/.*Received [0-9]* B (\([0-9]*\) messages.*/\1/p' "$TMP/axfr")
[ "${msgs:-0}" -gt 1 ]; ok $? "AXFR of 3000 delegations spans several messages ($msgs)"
grep -q ";; ERROR\|;; WARNING" "$TMP/axfr"; ok $((! $?)) "every message's TSIG verified by kdig (sha256)"
kdig @127.0.0.1 -p $P -y "$KEY512" test. AXFR > "$TMP/axfr512" 2>&1
grep -q ";; ERROR\|;; WARNING" "$TMP/axfr512"; ok $((! $?)) "hmac-sha512 transfer verified by kdig"
n=$(grep -c 'IN	SOA' "$TMP/axfr"); is 2 "$n" "SOA first and last"
lines=$(grep -v '^;' "$TMP/axfr" | grep -c 'IN	')
recs=$(grep -v '^;' "$TMP/v1.zone" | grep -c .)
is $((recs + 1)) "$lines" "AXFR carries every record of the zone (+ closing SOA)"

# several transfers at once
pids=""; i=0; while [ $i -lt 6 ]; do
	kdig @127.0.0.1 -p $P -y "$KEY" +time=10 test. AXFR > "$TMP/par$i" 2>&1 &
	pids="$pids $!"; i=$((i + 1))
done
for pid in $pids; do wait $pid; done
good=0; i=0; while [ $i -lt 6 ]; do
	[ "$(grep -c 'IN	SOA' "$TMP/par$i")" = 2 ] && ! grep -q ";; ERROR" "$TMP/par$i" && good=$((good + 1))
	i=$((i + 1))
done
is 6 "$good" "six simultaneous AXFRs complete"

# IXFR
run_cmd pub "$TMP/v2.zone"; is 0 "$rc" "publish version 2"
run_cmd pub "$TMP/v3.zone"; is 0 "$rc" "publish version 3"
wait_for 20 serial_is $P 1002 "$KEY"; ok $? "new version picked up without restart"
kdig @127.0.0.1 -p $P -y "$KEY" test. IXFR=1000 +noall +answer > "$TMP/ixfr" 2>&1
n=$(grep -c 'IN	SOA' "$TMP/ixfr"); is 6 "$n" "IXFR 1000 -> 1002 is a two-step difference (6 SOAs)"
[ "$(wc -l < "$TMP/ixfr")" -lt 1000 ]; ok $? "... and small (not the 3000-delegation zone)"
kdig @127.0.0.1 -p $P -y "$KEY" test. IXFR=777 +noall +answer > "$TMP/ixfr" 2>&1
n=$(grep -c . "$TMP/ixfr"); [ "$n" -gt 3000 ]; ok $? "IXFR from an unknown serial: the full zone ($n records)"
kdig @127.0.0.1 -p $P -y "$KEY" test. IXFR=1002 +noall +answer > "$TMP/ixfr" 2>&1
is 1 "$(grep -c . "$TMP/ixfr")" "IXFR from the current serial: a single SOA"
ls "$TMP/out"/test.*.zone | grep -c 'test\.[0-9]*\.zone' > "$TMP/n"
is 2 "$(cat "$TMP/n")" "only the last 2 versions are kept"

# abuse: truncated, oversized and garbage packets over UDP and TCP
cat > "$TMP/abuse.py" <<'PYEOF'
import random, socket, struct, sys
port = int(sys.argv[1]); random.seed(42)
q = bytes.fromhex("12340000000100000000000004746573740000060001")
pkts = [b"", b"\x00", q[:5], q[:13], q[:-1], q + b"\x00" * 3, b"\xff" * 12,
        q[:12] + b"\xc0\x0c\x00\x06\x00\x01",  # pointer loop
        q[:12] + b"\x3f" + b"a" * 63 + b"\x00\x00\x06\x00\x01",
        bytes(65000), q[:4] + b"\xff\xff\xff\xff\xff\xff\xff\xff" + q[12:]]
for i in range(300):
    b = bytearray(q); 
    for _ in range(random.randint(1, 6)):
        b[random.randrange(len(b))] = random.randrange(256)
    pkts.append(bytes(b) + bytes(random.randrange(256) for _ in range(random.randint(0, 40))))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in pkts:
    try: u.sendto(p, ("127.0.0.1", port))
    except OSError: pass
for p in pkts[:60]:
    t = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        t.sendall(struct.pack("!H", len(p) & 0xffff) + p[:65535])
        t.shutdown(socket.SHUT_WR)
        t.recv(70000)
    except OSError: pass
    t.close()
# a length prefix promising more than is sent, then silence
t = socket.create_connection(("127.0.0.1", port), timeout=2)
t.sendall(b"\xff\xff" + b"\x00" * 100)
t.close()
print("sent", len(pkts))
PYEOF
$PY "$TMP/abuse.py" $P > "$TMP/abuse.out" 2>&1; ok $? "abuse packets sent"
kill -0 "$(cat "$TMP/serve.pid")"; ok $? "server still running"
serial_is $P 1002 "$KEY"; ok $? "server still answers SOA over UDP"
kdig @127.0.0.1 -p $P -y "$KEY" +tcp +noall +answer test. SOA | grep -q 1002; ok $? "... and over TCP"
printf '\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04test' > "$TMP/trunc"
$PY -c "
import socket,sys
u=socket.socket(); u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); u.settimeout(2)
u.sendto(open(sys.argv[1],'rb').read(),('127.0.0.1',$P)); d=u.recv(600)
print(d[3]&15)" "$TMP/trunc" > "$TMP/rcode" 2>&1
is 1 "$(cat "$TMP/rcode")" "a truncated query gets FORMERR"

done_testing
