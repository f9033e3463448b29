#!/bin/sh
# make-zone.sh N OUT.zone [SEED]
#
# Writes an unsigned test. zone with N delegations (10% DS, 10% in-zone glue)
# for tests and benchmarks: a throw-away instance in a temp dir (no HSM
# needed), build/tools/gen-export, then `tldsign zonegen`.  Deterministic for
# the same N and SEED.
#   tests/tools/make-zone.sh 1000000 /tmp/big.zone
# Environment: TLDSIGN (binary), TLDSIGN_TOOLS (dir of gen-export),
# DS_SHARE, GLUE_SHARE (default 0.1), KEEP_TMP=1 keeps the instance.
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 N OUT.zone [SEED]" >&2
	exit 2
fi
n=$1 out=$2 seed=${3:-1}
top=$(cd "$(dirname "$0")/../.." && pwd)
tldsign=${TLDSIGN:-$top/build/tldsign}
tools=${TLDSIGN_TOOLS:-$top/build/tools}
now=2026-11-21T00:00:00Z
for f in "$tldsign" "$tools/gen-export"; do
	[ -x "$f" ] || { echo "$0: $f missing; run make tests" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/make-zone.XXXXXX")
[ "${KEEP_TMP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT
cat >"$dir/tldsign.yaml" <<CFG
zone: test.
export: export/
state-dir: state/
hsm:
  token: unused-by-zonegen
  pin-env: TLDSIGN_PIN
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test.}
  ns: [ns1.nic.test., ns2.nic.test.]
  records: apex.zone
CFG
cat >"$dir/apex.zone" <<'APEX'
ns1.nic.test. 3600 IN A 192.0.2.53
ns1.nic.test. 3600 IN AAAA 2001:db8::53
ns2.nic.test. 3600 IN A 198.51.100.53
APEX
"$tools/gen-export" --delegations "$n" --ds-share "${DS_SHARE:-0.1}" \
	--glue-share "${GLUE_SHARE:-0.1}" --seed "$seed" --tld test. \
	--exported-at "$now" -o "$dir/export"
"$tldsign" -q -c "$dir/tldsign.yaml" --now "$now" zonegen -o "$out" \
	--report "$dir/state-report.json"
