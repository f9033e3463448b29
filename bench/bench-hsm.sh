#!/bin/sh
# Signatures per second through SoftHSM2 (tldsign hsm speed) for algorithms
# 13, 8 (RSA 2048) and 15 with 1, 2 and 4 worker processes, against the
# two-process ceiling: two independent `tldsign hsm speed --sessions 1`
# started together on the same key; their signatures added up over the
# wall-clock window in which either ran (from the first start to the last
# end), so a process that ran alone for a while does not inflate it.
#
# Every run also reports its CPU time (user + sys, children included, from
# /usr/bin/time): on a shared machine wall-clock rates follow the load, while
# signatures per CPU-second show what the pool itself costs.  sig/cpu-s for
# 2 workers close to the ceiling's means no overhead of ours (fork, login,
# work split) is left; a wall-clock gap then comes from the machine's load.
# BENCH_HSM_SECONDS (default 5) per measurement.
set -u
cd "$(dirname "$0")/.."
TLDSIGN=${TLDSIGN:-$PWD/build/tldsign}
SECS=${BENCH_HSM_SECONDS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-hsm.XXXXXX")
trap 'rm -rf "$W"' EXIT
# lib.sh-compatible names used by lib-hsm.sh
skip_all() { echo "bench-hsm: skipped: $*"; exit 0; }
. tests/integration/lib-hsm.sh
hsm_require
mkdir -p "$W/hsm" && hsm_make_token "$W/hsm" tldsign >/dev/null && hsm_write_config "$W" bench.
export TLDSIGN_CONFIG="$W/tldsign.yaml"

run() { # OUT LABEL SESSIONS: one hsm speed run, output and times in OUT
	/usr/bin/time -f 'cpu %U %S' -o "$1.time" \
		"$TLDSIGN" -q hsm speed --label "$2" --sessions "$3" --seconds "$SECS" >"$1" 2>/dev/null
}
# rate and CPU efficiency of the runs in files "$@": "SIG/S SIG/CPU-S"
figures() {
	for f in "$@"; do
		awk '/^window/ {print $2, $3, $4}' "$f"
		awk '/^cpu/ {print "cpu", $2 + $3}' "$f.time"
	done | awk '$1 == "cpu" {cpu += $2; next}
		{ if (s == "" || $1 < s) s = $1; if ($2 > e) e = $2; n += $3 }
		END { if (e > s && cpu > 0) printf "%.0f %.0f\n", n / (e - s), n / cpu; else print "- -" }'
}

echo "cores: $(nproc)   load before: $(cut -d' ' -f1-3 /proc/loadavg)   seconds per run: $SECS"
printf '%-5s %18s %18s %18s %18s %9s %9s\n' alg "1 worker" "2 workers" "4 workers" "2-proc ceiling" \
	"2w/ceil" "cpu eff"
printf '%-5s %18s %18s %18s %18s %9s %9s\n' "" "sig/s sig/cpu-s" "sig/s sig/cpu-s" "sig/s sig/cpu-s" \
	"sig/s sig/cpu-s" "wall" "2w/ceil"
for alg in 13 8 15; do
	tag=$("$TLDSIGN" -q key generate --role zsk --algorithm "$alg" 2>/dev/null | cut -d' ' -f1)
	label=bench.-zsk-$tag
	run "$W/r1" "$label" 1; run "$W/r2" "$label" 2; run "$W/r4" "$label" 4
	run "$W/ca" "$label" 1 & p=$!
	run "$W/cb" "$label" 1
	wait "$p"
	set -- $(figures "$W/r1") $(figures "$W/r2") $(figures "$W/r4") $(figures "$W/ca" "$W/cb")
	ratios=$(awk -v a="$3" -v b="$7" -v c="$4" -v d="$8" 'BEGIN {
		printf "%s %s", (b > 0 ? sprintf("%.0f%%", 100 * a / b) : "-"), (d > 0 ? sprintf("%.0f%%", 100 * c / d) : "-") }')
	printf '%-5s %8s %9s %8s %9s %8s %9s %8s %9s %9s %9s\n' "$alg" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" $ratios
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)  (the machine is shared: compare ratios, not absolutes)"
