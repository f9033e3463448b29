#!/bin/sh
# Publisher benchmark: publish, AXFR out and IXFR of a 1% change, tldsign's
# hidden primary side by side with knotd serving the same signed zone.
# Zone sizes: BENCH_SIZES (default "100000 1000000"); ports 15400-15404.
# "AXFR to a real secondary": a knotd secondary started empty against each
# primary, timed from its start until it answers with the zone's serial.
set -u
cd "$(dirname "$0")/.."
TLDSIGN=$PWD/build/tldsign
W=$PWD/build/bench/publish
rm -rf "$W"; mkdir -p "$W"
TIME="/usr/bin/time -f %e_%U_%S_%M"
P=15400 PK=15401 PS1=15403 PS2=15404
SECRET=$(head -c 32 /dev/urandom | base64)
KEY="hmac-sha256:xfr:$SECRET"
cleanup() { for f in "$W"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; }
trap cleanup EXIT

zone() { # SERIAL N CHANGE% OUT
	awk -v serial="$1" -v n="$2" -v pct="$3" 'BEGIN {
		print "$ORIGIN test."; print "$TTL 3600"
		print "@ SOA ns1.nic.test. hostmaster.nic.test. " serial " 1800 900 1209600 3600"
		print "@ NS ns1.nic.test."; print "ns1.nic A 127.0.0.1"
		step = pct > 0 ? int(100 / pct) : 0
		for (i = 0; i < n; i++) {
			ns = (step && i % step == 0) ? "ns.changed.example." : "ns1.d" i ".example."
			print "d" i " NS " ns
			if (i % 10 == 0) print "d" i " DS 12345 13 2 " sprintf("%064d", i)
		}
	}' > "$4"
}
t() { # LABEL CMD...: runs CMD under /usr/bin/time, prints "label wall cpu maxrss"
	_l=$1; shift
	$TIME -o "$W/time" "$@" > "$W/out" 2>&1
	_rc=$?
	IFS=_ read -r e u s m < "$W/time" 2>/dev/null || { e=0 u=0 s=0 m=0; }
	printf '%-40s %8s s %8.2f s %8d KiB  rc=%s\n' "$_l" "$e" "$(echo "$u + $s" | bc)" "$m" "$_rc"
	echo "$e" > "$W/last"
}

for N in ${BENCH_SIZES:-100000 1000000}; do
	echo "--- $N delegations (Ed25519, NSEC3 opt-out, ldns-signzone), wall / CPU / peak RSS"
	(cd "$W" && k=$(ldns-keygen -a ED25519 -k test.) && mv "$k.key" k.key && mv "$k.private" k.private)
	zone 1 "$N" 0 "$W/u1"; zone 2 "$N" 1 "$W/u2"
	t "ldns-signzone v1 (setup)" ldns-signzone -i 20200101000000 -e 20371231000000 -n -p -o test. -f "$W/v1.zone" "$W/u1" "$W/k"
	ldns-signzone -i 20200101000000 -e 20371231000000 -n -p -o test. -f "$W/v2.zone" "$W/u2" "$W/k"
	cat > "$W/tldsign.yaml" <<CONF
zone: test.
state-dir: state/
hsm: {module: /usr/lib/softhsm/libsofthsm2.so, token: unused, pin-env: TLDSIGN_PIN}
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test., refresh: 1800, retry: 900, expire: 1209600, minimum: 3600, ttl: 3600}
  ns: [ns1.nic.test.]
output: {dir: zones/, keep: 3}
publish:
  listen: ["127.0.0.1@$P"]
  tsig: [{name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}]
  acl: [{key: xfr, from: ["127.0.0.0/8"]}]
CONF
	rm -rf "$W/state" "$W/zones"
	t "tldsign publish v1 (verify+write+image)" "$TLDSIGN" --now 2026-11-21T00:00:00Z -c "$W/tldsign.yaml" publish -i "$W/v1.zone" --no-notify
	"$TLDSIGN" -c "$W/tldsign.yaml" serve > "$W/serve.log" 2>&1 & echo $! > "$W/serve.pid"
	i=0; while [ $i -lt 300 ] && ! kdig @127.0.0.1 -p $P -y "$KEY" +short +time=1 +retry=0 test. SOA 2>/dev/null | grep -q ' 1 '; do sleep 0.2; i=$((i+1)); done
	# knotd as primary on the same file
	mkdir -p "$W/knot/db"; cp "$W/v1.zone" "$W/knot/test.zone"
	cat > "$W/knot/knot.conf" <<CONF
server:
  rundir: "$W/knot"
  listen: 127.0.0.1@$PK
log:
  - target: "$W/knot/knot.log"
    any: notice
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: x
    address: 127.0.0.1
    key: xfr
    action: transfer
database:
  storage: "$W/knot/db"
template:
  - id: default
    storage: "$W/knot"
    journal-content: none
zone:
  - domain: test.
    acl: x
    file: test.zone
CONF
	knotc -c "$W/knot/knot.conf" conf-check >/dev/null || { echo "knot config rejected"; exit 1; }
	knotd -c "$W/knot/knot.conf" > /dev/null 2>&1 & echo $! > "$W/knot.pid"
	i=0; while [ $i -lt 300 ] && ! kdig @127.0.0.1 -p $PK -y "$KEY" +short +time=1 +retry=0 test. SOA 2>/dev/null | grep -q ' 1 '; do sleep 0.2; i=$((i+1)); done
	t "AXFR to kdig from tldsign serve" kdig @127.0.0.1 -p $P -y "$KEY" +noall +stats test. AXFR
	a=$(cat "$W/last"); grep -o 'Received [0-9]* B' "$W/out" | sed 's/^/    /'
	t "AXFR to kdig from knotd" kdig @127.0.0.1 -p $PK -y "$KEY" +noall +stats test. AXFR
	b=$(cat "$W/last"); grep -o 'Received [0-9]* B' "$W/out" | sed 's/^/    /'
	echo "    ratio tldsign/knotd AXFR wall: $(echo "scale=2; $a / ($b + 0.001)" | bc)"
	# a real secondary (knotd) bootstrapping the zone from each primary
	for src in tldsign:$P knotd:$PK; do
		name=${src%%:*} port=${src#*:} sp=$PS1
		[ "$name" = knotd ] && sp=$PS2
		d="$W/sec-$name"; rm -rf "$d"; mkdir -p "$d/db"  # a fresh log per size
		cat > "$d/knot.conf" <<CONF
server:
  rundir: "$d"
  listen: 127.0.0.1@$sp
log:
  - target: "$d/knot.log"
    any: info
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 127.0.0.1@$port
    key: xfr
acl:
  - id: notify
    address: 127.0.0.1
    key: xfr
    action: notify
database:
  storage: "$d/db"
template:
  - id: default
    storage: "$d"
    journal-content: changes
zone:
  - domain: test.
    master: primary
    acl: notify
    file: test.zone
    zonefile-sync: -1
CONF
		start=$(date +%s.%N)
		knotd -c "$d/knot.conf" > /dev/null 2>&1 & echo $! > "$W/sec-$name.pid"
		i=0; while [ $i -lt 6000 ] && ! kdig @127.0.0.1 -p $sp +short +time=1 +retry=0 test. SOA 2>/dev/null | grep -q ' 1 '; do sleep 0.1; i=$((i+1)); done
		end=$(date +%s.%N)
		printf '%-40s %8.2f s   (knotd secondary, start until it serves serial 1)\n' "AXFR to a knotd secondary from $name" "$(echo "$end - $start" | bc)"
		echo "$(echo "$end - $start" | bc)" > "$W/sec-$name.time"
		grep -E 'AXFR, incoming.*finished' "$d/knot.log" | sed 's/^.*finished/    AXFR finished/' | head -1
		grep -E 'refresh.*zone updated' "$d/knot.log" | sed 's/^.*zone updated/    zone updated (transfer + load, knotd log)/' | head -1
	done
	echo "    ratio tldsign/knotd secondary load: $(echo "scale=2; $(cat "$W/sec-tldsign.time") / ($(cat "$W/sec-knotd.time") + 0.001)" | bc)"
	t "tldsign publish v2 (1% changed)" "$TLDSIGN" --now 2026-11-21T00:00:00Z -c "$W/tldsign.yaml" publish -i "$W/v2.zone" --no-notify
	i=0; while [ $i -lt 300 ] && ! kdig @127.0.0.1 -p $P -y "$KEY" +short +time=1 +retry=0 test. SOA 2>/dev/null | grep -q ' 2 '; do sleep 0.2; i=$((i+1)); done
	t "IXFR 1->2 (1% change) from tldsign" kdig @127.0.0.1 -p $P -y "$KEY" +noall +stats test. IXFR=1
	grep -o 'Received [0-9]* B ([0-9]* messages, [0-9]* records)' "$W/out" | sed 's/^/    /'
	grep 'loaded serial' "$W/serve.log" | sed 's/^/    serve: /'
	# the tldsign-fed secondary follows by IXFR after a NOTIFY-equivalent refresh
	start=$(date +%s.%N)
	knotc -c "$W/sec-tldsign/knot.conf" zone-refresh test. > /dev/null 2>&1
	i=0; while [ $i -lt 3000 ] && ! kdig @127.0.0.1 -p $PS1 +short +time=1 +retry=0 test. SOA 2>/dev/null | grep -q ' 2 '; do sleep 0.1; i=$((i+1)); done
	end=$(date +%s.%N)
	printf '%-40s %8.2f s\n' "knotd secondary at serial 2 (refresh)" "$(echo "$end - $start" | bc)"
	grep -E 'IXFR, incoming.*finished|AXFR, incoming.*finished' "$W/sec-tldsign/knot.log" | tail -1 | sed 's/^.*\([AI]XFR\), incoming.*finished/    \1 finished/'
	grep -E 'refresh.*zone updated' "$W/sec-tldsign/knot.log" | tail -1 | sed 's/^.*zone updated/    zone updated/'
	cleanup; sleep 0.5
done
