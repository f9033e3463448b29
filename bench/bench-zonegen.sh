#!/bin/sh
# bench-zonegen: registry export -> unsigned zone.  For each size N (BENCH_SIZES,
# default "100000 1000000"; 10% DS, 10% in-zone glue) generates the export once,
# then measures `tldsign zonegen` (manifest check, CSV, rules, canonical
# write) against `kzonecheck -o test.` merely parsing and checking the
# produced zone: wall time, CPU and peak RSS (/usr/bin/time), and the ratios.
# zonegen is measured twice: with -o (atomic write with fsync) and to stdout.
# Targets (issue 2): zonegen <= 0.5x kzonecheck wall time, <= 250 MiB peak.
set -u
cd "$(dirname "$0")/.."
B=build/bench/zonegen
mkdir -p "$B"
TLDSIGN=${TLDSIGN:-build/tldsign}
GEN=${TLDSIGN_TOOLS:-build/tools}/gen-export
NOW=2026-11-21T00:00:00Z
for f in "$TLDSIGN" "$GEN"; do
	[ -x "$f" ] || { echo "bench-zonegen: $f missing (make tests)"; exit 1; }
done
command -v kzonecheck >/dev/null || { echo "bench-zonegen: kzonecheck missing"; exit 1; }

cat >"$B/tldsign.yaml" <<'CFG'
zone: test.
export: export/
state-dir: state/
hsm: {token: unused-by-zonegen, pin-env: TLDSIGN_PIN}
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test.}
  ns: [ns1.nic.test., ns2.nic.test.]
  records: apex.zone
CFG
printf '%s\n' 'ns1.nic.test. 3600 IN A 192.0.2.53' 'ns2.nic.test. 3600 IN A 198.51.100.53' >"$B/apex.zone"

# measure LABEL CMD...: prints "wall user sys maxrss_kib" into $B/LABEL.time
measure() {
	label=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$B/$label.time" "$@" >/dev/null 2>"$B/$label.err"
	echo $? >"$B/$label.rc"
}
field() { cut -d' ' -f"$2" "$B/$1.time"; }

printf '%-10s %-15s %9s %9s %10s %9s\n' size tool wall_s cpu_s peak_MiB rc
for n in ${BENCH_SIZES:-100000 1000000}; do
	rm -rf "$B/export"
	"$GEN" --delegations "$n" --ds-share 0.1 --glue-share 0.1 --seed 1 -o "$B/export" --exported-at "$NOW"
	measure "zonegen-$n" "$TLDSIGN" -q -c "$B/tldsign.yaml" --now "$NOW" zonegen -o "$B/zone-$n" \
		--report "$B/report-$n.json"
	# the same without the durable write (to stdout, /dev/null): compute only
	measure "zonegen-stdout-$n" "$TLDSIGN" -q -c "$B/tldsign.yaml" --now "$NOW" zonegen \
		--report "$B/report-$n.json"
	measure "kzonecheck-$n" kzonecheck -o test. "$B/zone-$n"
	for t in zonegen zonegen-stdout kzonecheck; do
		w=$(field "$t-$n" 1); u=$(field "$t-$n" 2); s=$(field "$t-$n" 3); m=$(field "$t-$n" 4)
		awk -v n="$n" -v t="$t" -v w="$w" -v u="$u" -v s="$s" -v m="$m" -v rc="$(cat "$B/$t-$n.rc")" \
			'BEGIN { printf "%-10s %-15s %9s %9.2f %10.1f %9s\n", n, t, w, u + s, m / 1024, rc }' 
	done
	zw=$(field "zonegen-$n" 1); kw=$(field "kzonecheck-$n" 1); zm=$(field "zonegen-$n" 4)
	sw=$(field "zonegen-stdout-$n" 1)
	awk -v n="$n" -v sw="$sw" -v kw="$kw" 'BEGIN { printf "%-10s ratio zonegen(stdout)/kzonecheck wall %.2f\n", n, (kw > 0 ? sw / kw : 0) }' 
	awk -v n="$n" -v zw="$zw" -v kw="$kw" -v zm="$zm" 'BEGIN { printf "%-10s ratio zonegen/kzonecheck wall %.2f (target <= 0.50), zonegen peak %.1f MiB (target <= 250)\n", n, (kw > 0 ? zw / kw : 0), zm / 1024 }' 
	rm -f "$B/zone-$n"
done
rm -rf "$B/export"
