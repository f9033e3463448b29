#!/bin/sh
# make bench: runs every bench/bench-*.sh in order; each prints its own table
# (bench/ab-run.sh, an A/B of two binaries, is run by hand).
# BENCH_SIZES (default "100000 1000000") selects the zone sizes where a bench takes it.
set -u
cd "$(dirname "$0")/.."
mkdir -p build/bench
status=0
for b in bench/bench-*.sh; do
	[ -f "$b" ] || continue
	echo "=== $b"
	sh "$b" || { echo "bench $b failed"; status=1; }
done
exit $status
