#!/bin/sh
# Builds every tests/fuzz/fuzz_*.c as a libFuzzer target (clang, ASan+UBSan)
# and runs each: "short" (FUZZ_SECONDS, default 10 s, in make check) or
# "long" (default 300 s, make fuzz).  Seed corpora: tests/fuzz/corpus/NAME/.
# Output is TAP, one test point per target; crashes land in build-fuzz/crash-NAME-*.
set -u
mode=${1:-short}
# "short" (make check) is reproducible: a fixed seed and a fixed number of
# runs (20000, or tests/fuzz/NAME.runs for slow targets), so CI never fails
# on a random new input; "long" (make fuzz) explores
# with a random seed.  A crash input found by `make fuzz` belongs in the seed
# corpus (tests/fuzz/corpus/NAME/) once fixed, so `make check` replays it.
if [ "$mode" = long ]; then
	secs=${FUZZ_SECONDS:-300}
	limits=""
else
	# a cap on runs, not on time, so a CI run explores exactly what a
	# developer's run did; the time limit is only a safety net
	secs=${FUZZ_SECONDS:-120}
fi
# FUZZ_ONLY=NAME runs one target (e.g. FUZZ_ONLY=fuzz_csv)
targets=$(ls tests/fuzz/${FUZZ_ONLY:-fuzz_*}.c 2>/dev/null)
if [ -z "$targets" ]; then
	echo "fuzz: no targets"
	exit 0
fi
log=build/test-logs/fuzz
mkdir -p "$log"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
if ! make --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	SAN_CFLAGS="$SAN -fsanitize=fuzzer-no-link" build-fuzz/libtldsign.a >"$log/build.log" 2>&1; then
	cat "$log/build.log"
	echo "fuzz build 0 passed, 1 failed"
	[ -n "${TAP_RESULTS:-}" ] && echo "fuzz build 0 1 0" >>"$TAP_RESULTS"
	exit 1
fi
PKG_CFLAGS=$(pkg-config --cflags openssl libp11 ldns yaml-0.1 sqlite3)
PKG_LIBS=$(pkg-config --libs openssl libp11 ldns yaml-0.1 sqlite3)
fails=0
for src in $targets; do
	name=$(basename "$src" .c)
	bin=build-fuzz/$name
	corpus=build-fuzz/corpus-$name
	# "short" starts from the seed corpus alone, as a fresh clone (CI) does:
	# units found by earlier runs would make this run explore elsewhere
	[ "$mode" != long ] && rm -rf "$corpus"
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$name" ] && cp -n tests/fuzz/corpus/$name/* "$corpus/" 2>/dev/null
	pass=0; fail=0
	if clang -std=c11 -D_GNU_SOURCE -I. -O1 -g $SAN -fsanitize=fuzzer $PKG_CFLAGS -o "$bin" "$src" \
		build-fuzz/libtldsign.a $PKG_LIBS -ldl -lm -pthread >"$log/$name.build.log" 2>&1; then
		limits=""
		if [ "$mode" != long ]; then
			runs=${FUZZ_RUNS:-20000}
			[ -f "tests/fuzz/$name.runs" ] && runs=$(cat "tests/fuzz/$name.runs")
			limits="-seed=${FUZZ_SEED:-1} -runs=$runs"
		fi
		dict=""
		[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
		if ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 "$bin" $dict $limits -max_total_time="$secs" -rss_limit_mb=2048 \
			-artifact_prefix="build-fuzz/crash-$name-" -print_final_stats=1 "$corpus" \
			>"$log/$name.log" 2>&1; then
			pass=1
			printf '%-14s %-40s ok  (%s)\n' fuzz "$name" "$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log/$name.log" | sed 's/.*: */runs /')"
		else
			fail=1
			printf '%-14s %-40s FAIL\n' fuzz "$name"
			tail -n 40 "$log/$name.log"
		fi
	else
		fail=1
		printf '%-14s %-40s FAIL (build)\n' fuzz "$name"
		tail -n 30 "$log/$name.build.log"
	fi
	fails=$((fails + fail))
	[ -n "${TAP_RESULTS:-}" ] && echo "fuzz $name $pass $fail 0" >>"$TAP_RESULTS"
done
[ "$fails" -eq 0 ]
