#!/bin/sh
# Runs TAP test programs or scripts, one at a time, and reports each.
# usage: tests/run-tests.sh SUITE TEST...
# Each test's output goes to build/test-logs/SUITE/NAME.log; a failing test's
# log is printed.  When $TAP_RESULTS is set, one line per test is appended:
#   SUITE NAME PASSED FAILED SKIPPED
# Exit status: 0 when every test passed.
set -u
suite=$1
shift
logdir=build/test-logs/$suite
mkdir -p "$logdir"
total_fail=0
for t in "$@"; do
	name=$(basename "$t")
	log=$logdir/$name.log
	start=$(date +%s)
	if [ -x "$t" ] && [ "${t%.sh}" = "$t" ]; then
		timeout 900 "$t" >"$log" 2>&1
	else
		timeout 900 sh "$t" >"$log" 2>&1
	fi
	rc=$?
	secs=$(( $(date +%s) - start ))
	pass=$(grep -c '^ok ' "$log")
	skipped=$(grep -c '^ok .*# *SKIP' "$log")
	fail=$(grep -c '^not ok ' "$log")
	plan=$(grep -m1 -E '^1\.\.[0-9]+' "$log" | sed 's/^1\.\.\([0-9]*\).*/\1/')
	skipall=$(grep -c '^1\.\.0 # *SKIP' "$log")
	pass=$((pass - skipped))
	status=ok
	if [ "$rc" -ne 0 ] || [ "$fail" -gt 0 ]; then
		status=FAIL
	fi
	if [ -z "$plan" ]; then
		status=FAIL
	elif [ "$skipall" -eq 0 ] && [ "$plan" -ne $((pass + fail + skipped)) ]; then
		status=FAIL
	fi
	if [ "$status" = FAIL ] && [ "$fail" -eq 0 ]; then
		fail=1   # crashed, wrong plan or non-zero exit: count the file as a failure
	fi
	if [ "$skipall" -gt 0 ]; then
		printf '%-14s %-40s skipped: %s\n' "$suite" "$name" "$(grep -m1 '^1\.\.0' "$log" | sed 's/.*SKIP *//')"
		skipped=1
	else
		printf '%-14s %-40s %s  (%d passed, %d failed, %d skipped, %ds)\n' "$suite" "$name" "$status" "$pass" "$fail" "$skipped" "$secs"
	fi
	if [ "$status" = FAIL ]; then
		total_fail=$((total_fail + 1))
		echo "----- $log (exit $rc) -----"
		tail -n 60 "$log"
		echo "-----"
	fi
	if [ -n "${TAP_RESULTS:-}" ]; then
		echo "$suite $name $pass $fail $skipped" >>"$TAP_RESULTS"
	fi
done
[ "$total_fail" -eq 0 ]
