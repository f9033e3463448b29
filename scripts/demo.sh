#!/bin/sh
# make demo: the whole pipeline on a 10,000-domain sample, served to a real
# NSD secondary over TSIG on loopback, checked with dig and a validating delv.
#
#   demo/               the instance (made fresh each time by `tldsign init`)
#   demo/nsd/           the NSD secondary's config, zone file and log
#   127.0.0.1@15700     tldsign serve (hidden primary)
#   127.0.0.1@15701     NSD (secondary)
#
# Everything started here is stopped on exit (trap).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/build/tldsign
TOOLS=$TOP/build/tools
D=$TOP/demo
PRIMARY=15700
SECONDARY=15701
DOMAINS=${DEMO_DOMAINS:-10000}
pids=""

say() { printf '\n== %s\n' "$*"; }
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
need() { command -v "$1" >/dev/null 2>&1 || { echo "demo: $1 is missing (make deps installs it)" >&2; exit 1; }; }
for t in nsd dig delv openssl softhsm2-util; do need "$t"; done

say "build"
make -C "$TOP" -s -j2 all tools

say "tldsign init $D --zone test."
rm -rf "$D"
"$BIN" init "$D" --zone test. 2>"$D.init.log" || { cat "$D.init.log" >&2; exit 1; }
cat "$D.init.log" >&2
if grep -q "keys are not created by this build" "$D.init.log"; then
	# this build's init makes no token: make one and the policy's KSK + ZSK
	mkdir -p "$D/hsm/tokens"
	printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$D" >"$D/hsm/softhsm2.conf"
	PIN=$(openssl rand -hex 8)
	(umask 077 && echo "$PIN" >"$D/hsm/pin")
	SOFTHSM2_CONF=$D/hsm/softhsm2.conf softhsm2-util --init-token --free --label tldsign \
		--pin "$PIN" --so-pin "$(openssl rand -hex 8)" >/dev/null
	"$BIN" -c "$D/tldsign.yaml" key generate --role ksk
	"$BIN" -c "$D/tldsign.yaml" key generate --role zsk
fi
rm -f "$D.init.log"

say "a $DOMAINS-domain registry export (build/tools/gen-export)"
rm -rf "$D/export"
"$TOOLS/gen-export" --delegations "$DOMAINS" --seed 7 --tld test. \
	--exported-at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" -o "$D/export"
wc -l "$D/export"/*.csv

say "publishing to an NSD secondary (TSIG key xfr, hmac-sha256)"
SECRET=$(openssl rand -base64 32)
cat >>"$D/tldsign.yaml" <<EOF
publish:
  listen: ["127.0.0.1@$PRIMARY"]
  tsig: [{name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}]
  acl: [{key: xfr, from: ["127.0.0.0/8"]}]
  secondaries: [{address: "127.0.0.1@$SECONDARY", key: xfr}]
  notify-timeout: 10s
  confirm-timeout: 30s
EOF
mkdir -p "$D/nsd"
cat >"$D/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$SECONDARY
  username: ""
  chroot: ""
  zonesdir: "$D/nsd"
  database: ""
  zonelistfile: "$D/nsd/zone.list"
  xfrdfile: "$D/nsd/xfrd.state"
  xfrdir: "$D/nsd"
  pidfile: "$D/nsd/nsd.pid"
  logfile: "$D/nsd/nsd.log"
  server-count: 1
  verbosity: 2
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
"$BIN" -c "$D/tldsign.yaml" serve >"$D/serve.log" 2>&1 &
pids="$pids $!"
nsd -d -c "$D/nsd/nsd.conf" >"$D/nsd/stdout.log" 2>&1 &
pids="$pids $!"
sleep 1

say "tldsign run"
set +e
"$BIN" -c "$D/tldsign.yaml" run
rc=$?
set -e
echo "(exit $rc)"
if [ "$rc" -ne 0 ]; then
	echo "demo: the run did not publish a fully confirmed version (exit $rc); see above" >&2
	"$BIN" -c "$D/tldsign.yaml" status --timeout 2 || true
	exit 1
fi

say "the secondary answers, signed: dig @127.0.0.1 -p $SECONDARY +dnssec"
dig @127.0.0.1 -p "$SECONDARY" +dnssec +norec +multiline test. SOA | sed -n '/ANSWER SECTION/,/^$/p'
some=$(awk -F, 'NR == 2 { print $1 }' "$D/export/ds.csv")
dig @127.0.0.1 -p "$SECONDARY" +dnssec +norec "$some" DS | sed -n '/ANSWER SECTION/,/^$/p'

say "validated: delv with the zone's DS as trust anchor (tldsign key ds)"
"$BIN" -c "$D/tldsign.yaml" key ds | awk '
	BEGIN { print "trust-anchors {" }
	$0 ~ /[ \t]DS[ \t]/ { for (i = 1; i <= NF; i++) if ($i == "DS") break;
	    d = ""; for (j = i + 4; j <= NF; j++) d = d $j;
	    printf "  test. static-ds %s %s %s \"%s\";\n", $(i+1), $(i+2), $(i+3), d }
	END { print "};" }' >"$D/anchor.conf"
cat "$D/anchor.conf"
delv @127.0.0.1 -p "$SECONDARY" -a "$D/anchor.conf" +root=test. test. SOA
delv @127.0.0.1 -p "$SECONDARY" -a "$D/anchor.conf" +root=test. "$some" DS

say "tldsign status"
"$BIN" -c "$D/tldsign.yaml" status

say "done; stopping tldsign serve and NSD"
