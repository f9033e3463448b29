#!/bin/sh
# One incremental `tldsign run` replayed from a saved state, for paired runs
# of two binaries (the numbers in bench/RESULTS.md's seventh-session section):
#
#   W=DIR sh bench/bench-incr.sh N both   # instance of N delegations: full run, state saved, incremental run
#   W=DIR TLDSIGN=BIN sh bench/bench-incr.sh N incr   # the state restored (cp -a), the same change, BIN runs it
#
# The change is bench-run.sh's: 1% of the delegations get another NS set,
# 0.1% new DS.  Restoring with cp -a gives STATE_DIR/unsigned.zone a new
# identity, so every replay hashes it (~0.1 CPU s that bench-run.sh's runs
# do not pay): compare replays with replays.  Env: W (default
# build/bench/incr), TLDSIGN, RUNV (e.g. -vv), PERF (a command prefix, e.g.
# "perf record -g -o F"), PRE (a command run before the measured one).
set -u
cd "${TOP:-$(dirname "$0")/..}"
. tests/integration/lib-hsm.sh
TLDSIGN=${TLDSIGN:-$PWD/build/tldsign}
n=${1:-1000000}; what=${2:-both}
W=${W:-$PWD/build/bench/incr}; mkdir -p $W
I=$W/inst-$n
T0=1795255200
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
st() { /usr/bin/python3 -c "
import json,sys; j=json.load(open('$I/state/last-run.json'))
print('  stages', ' '.join('%s %.2f'%(k,v) for k,v in j['stage_seconds'].items() if v>=0.005), 'prep %.2f'%j.get('publish_prepared_seconds',0))"; }
if [ "$what" != incr ]; then
rm -rf "$I"
"$TLDSIGN" --now "$T0" init "$I" --zone test. >$W/init.log 2>&1 || { cat $W/init.log; exit 1; }
if grep -q "keys are not created by this build" "$W/init.log"; then
  hsm_make_token "$I/hsm" tldsign >/dev/null &&
  "$TLDSIGN" -c "$I/tldsign.yaml" --now "$T0" key generate --role ksk >/dev/null 2>&1 &&
  "$TLDSIGN" -c "$I/tldsign.yaml" --now "$T0" key generate --role zsk >/dev/null 2>&1 || exit 1
fi
rm -rf "$I/export"
build/tools/gen-export --delegations "$n" --ds-share 0.1 --seed 1 --tld test. --exported-at "$(iso $((T0 - 60)))" -o "$I/export" || exit 1
${PERF:-} /usr/bin/time -f "full: %e s wall %U user %S sys %M KB" "$TLDSIGN" -c "$I/tldsign.yaml" --now $((T0 + 60)) ${RUNV:-} run; st
rm -rf $W/export-base-$n $W/state-base-$n $W/zones-base-$n
cp -a $I/export $W/export-base-$n; cp -a $I/state $W/state-base-$n; cp -a $I/zones $W/zones-base-$n
fi
if [ "$what" = incr ]; then for d in export state zones; do rm -rf $I/$d; cp -a $W/$d-base-$n $I/$d; done; fi
if [ "$what" != full ]; then
awk -F, -v step=100 'BEGIN { OFS = "," } NR > 1 && NR % step == 0 { $2 = "ns1.changed.example" } { print }' "$I/export/nameservers.csv" >$W/ns && mv $W/ns "$I/export/nameservers.csv"
awk -F, -v n="$n" 'NR > 1 && NR <= n / 1000 + 1 { printf "%s,%d,13,2,%064x\n", $1, (NR * 7) % 65536, NR * 104729 }' "$I/export/domains.csv" >>"$I/export/ds.csv"
tests/golden/zonegen/write-manifest.sh "$I/export" "$(iso $((T0 + 240)))"
sync; ${PRE:-true}
${PERF:-} /usr/bin/time -f "incr: %e s wall %U user %S sys %M KB %R minflt" "$TLDSIGN" -c "$I/tldsign.yaml" --now $((T0 + 300)) ${RUNV:-} run; st
fi
