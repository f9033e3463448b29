#!/bin/sh
# A/B of two tldsign binaries on incremental `tldsign run`s: copies A and B of
# an instance that bench-run.sh left (build/bench/run/inst-N), then RUNS
# rounds of: 1% of the delegations get another NS set, the manifest is
# rewritten, A and B run (same --now, later each round; which goes first
# alternates).  Prints per run
# wall, CPU and the stage timings of -v, the means, and whether the two
# signed zones are the same but for the RRSIG signatures (ECDSA signatures
# differ run to run).
#
#   bench/ab-run.sh OLD_TLDSIGN NEW_TLDSIGN [INSTANCE] [RUNS]
#
# e.g. bench/ab-run.sh /tmp/tldsign.before build/tldsign build/bench/run/inst-100000 8
# The copies go to build/bench/ab/ (the instance is only read).
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
A_BIN=$1 B_BIN=$2
SRC=${3:-build/bench/run/inst-100000}
RUNS=${4:-8}
W=$TOP/build/bench/ab
T0=1795255200                         # as bench-run.sh; its runs ended at T0 + 300
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
[ -d "$SRC/state" ] || { echo "no instance $SRC: run BENCH_SIZES=100000 sh bench/bench-run.sh first"; exit 1; }
SRC=$(cd "$SRC" && pwd)
rm -rf "$W"
mkdir -p "$W"
for x in A B; do
	cp -a "$SRC" "$W/$x"
	# the token, and the published versions' files, are the copy's
	sed -i "s#^directories.tokendir = .*#directories.tokendir = $W/$x/hsm/tokens#" "$W/$x/hsm/softhsm2.conf"
	base() { echo "replace($1, rtrim($1, replace($1, '/', '')), '')"; } # SQL: the file name
	sqlite3 "$W/$x/state/state.db" \
		"UPDATE publish_versions SET file = '$W/$x/zones/' || $(base file), image = '$W/$x/zones/' || $(base image)" \
		"UPDATE publish_journal SET file = '$W/$x/state/journal/' || $(base file)"
done

# strip FILE: the zone with the signature field of every RRSIG left out
strip() { awk -F'\t' 'BEGIN { OFS = "\t" } $4 == "RRSIG" { n = split($5, f, " "); s = f[1]; for (i = 2; i < n; i++) s = s " " f[i]; $5 = s } { print }' "$1"; }

: >"$W/results"
k=1
while [ $k -le "$RUNS" ]; do
	now=$((T0 + 300 + k * 300))
	order="A B"; [ $((k % 2)) -eq 0 ] && order="B A" # no side always second
	for x in $order; do
		I=$W/$x
		awk -F, -v k="$k" 'BEGIN { OFS = "," } NR > 1 && NR % 100 == 0 { $2 = "ns1.changed" k ".example" } { print }' \
			"$I/export/nameservers.csv" >"$I/ns.tmp" && mv "$I/ns.tmp" "$I/export/nameservers.csv"
		tests/golden/zonegen/write-manifest.sh "$I/export" "$(iso $((now - 60)))"
		bin=$A_BIN; [ $x = B ] && bin=$B_BIN
		/usr/bin/time -f '%e %U %S %M' -o "$W/time" "$bin" -v -c "$I/tldsign.yaml" --now $now run >"$I/run.$k.log" 2>&1
		rc=$?
		set -- $(cat "$W/time")
		st=$(sed -En 's/.*run: stage (export|sign|verify): ([0-9.]+) s, ([0-9.]+) s CPU.*/\1 \2 \3/p' "$I/run.$k.log" | tr '\n' ' ')
		echo "$x $k rc=$rc wall $1 cpu $(awk -v u="$2" -v s="$3" 'BEGIN { print u + s }') maxrss_kb $4 | $st" |
			tee -a "$W/results"
	done
	strip "$W/B/state/signed.zone" >"$W/strip.b"
	if strip "$W/A/state/signed.zone" | cmp -s - "$W/strip.b"; then
		echo "  run $k: signed zones the same but for RRSIG signatures ($(wc -l <"$W/strip.b") lines)"
	else
		echo "  run $k: signed zones DIFFER"
	fi
	k=$((k + 1))
done
awk '{ n[$1]++; w[$1] += $5; c[$1] += $7; e[$1] += $12; ec[$1] += $13; s[$1] += $15; sc[$1] += $16; v[$1] += $18 }
	END { for (x in n) printf "%s mean of %d: run %.3f s wall %.3f s CPU | export %.3f s (%.3f CPU) | sign %.3f s (%.3f CPU) | verify %.3f s\n",
	      x, n[x], w[x] / n[x], c[x] / n[x], e[x] / n[x], ec[x] / n[x], s[x] / n[x], sc[x] / n[x], v[x] / n[x] }' "$W/results" | sort
