#!/bin/sh
# Signatures per second through SoftHSM2 (tldsign hsm speed) for algorithms
# 13, 8 (RSA 2048) and 15 with 1, 2 and 4 worker processes, against the
# two-process ceiling: two independent `tldsign hsm speed --sessions 1` run
# at the same time (their sum is what two PKCS#11 contexts can do here).
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

rate() { # ALG SESSIONS -> signatures/s
	"$TLDSIGN" -q hsm speed --algorithm "$1" --sessions "$2" --seconds "$SECS" 2>/dev/null |
		sed -n 's/.* = \([0-9]*\) signatures\/s/\1/p'
}
ceiling() { # ALG -> sum of two concurrent single-session runs
	"$TLDSIGN" -q hsm speed --algorithm "$1" --sessions 1 --seconds "$SECS" >"$W/a" 2>/dev/null &
	p=$!
	"$TLDSIGN" -q hsm speed --algorithm "$1" --sessions 1 --seconds "$SECS" >"$W/b" 2>/dev/null
	wait "$p"
	a=$(sed -n 's/.* = \([0-9]*\) signatures\/s/\1/p' "$W/a")
	b=$(sed -n 's/.* = \([0-9]*\) signatures\/s/\1/p' "$W/b")
	echo $(( ${a:-0} + ${b:-0} ))
}

echo "cores: $(nproc)   load before: $(cut -d' ' -f1-3 /proc/loadavg)   seconds per run: $SECS"
printf '%-10s %10s %10s %10s %12s %10s\n' algorithm "1 worker" "2 workers" "4 workers" "2-proc ceil" "2w/ceil"
for alg in 13 8 15; do
	r1=$(rate "$alg" 1); r2=$(rate "$alg" 2); r4=$(rate "$alg" 4); c=$(ceiling "$alg")
	pct=$(awk -v a="${r2:-0}" -v b="${c:-0}" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')
	printf '%-10s %10s %10s %10s %12s %10s\n' "$alg" "${r1:-fail}" "${r2:-fail}" "${r4:-fail}" "${c:-fail}" "$pct"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)  (the machine is shared: compare ratios, not absolutes)"
