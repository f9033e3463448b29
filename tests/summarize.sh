#!/bin/sh
# Adds up the per-test lines written by run-tests.sh and prints the closing
# line "N passed, N failed, N skipped".  Exit 1 if anything failed or nothing ran.
f=$1
if [ ! -s "$f" ]; then
	echo "no test ran"
	echo "0 passed, 1 failed"
	exit 1
fi
awk '{p+=$3; f+=$4; s+=$5; if ($4 > 0) bad = bad " " $1 "/" $2}
     END { if (bad != "") print "failed:" bad;
           printf "%d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0 || p == 0) }' "$f"
