#!/bin/sh
# tldsign verify against dnssec-verify and ldns-verify-zone on the same
# generated TLD zone (N delegations, 10% DS, every 5th with glue), signed
# once by dnssec-signzone (ECDSA P-256, NSEC3 opt-out, 0 iterations, no salt).
# Prints wall time, CPU and peak memory side by side, as ratios to dnssec-verify;
# tldsign-verify-cached is a run whose signatures are all in the
# verified-signature cache (only the public-key operations are skipped).
# On a shared machine the wall times vary with the load; the CPU column does not.
# BENCH_SIZES (default "100000 1000000") sets the zone sizes.
set -u
cd "$(dirname "$0")/.."
. tests/integration/verify-common.inc
TLDSIGN=${TLDSIGN:-$PWD/build/tldsign}
W=build/bench/verify
mkdir -p "$W"
[ -x "$TLDSIGN" ] || { echo "build first: make"; exit 1; }
for t in dnssec-signzone dnssec-verify ldns-verify-zone /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 0; }
done

# measure NAME CMD...: appends "NAME wall user sys maxrss_kb rc" to $W/results
measure() {
	_name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$W/time.$$" "$@" >"$W/out.$$" 2>&1
	_rc=$?
	echo "$_name $(cat "$W/time.$$" | tail -1) $_rc" >> "$W/results"
	tail -1 "$W/out.$$" | cut -c1-160 | sed "s/^/#   $_name: /"
}

for n in ${BENCH_SIZES:-100000 1000000}; do
	z=$W/signed-$n.zone
	if [ ! -s "$z" ]; then
		gen_zone "$n" "$W/in-$n.zone"
		rm -rf "$W/keys" && mkdir -p "$W/keys"
		make_keys_bind "$W/keys"
		BKDIR=$W/keys
		dnssec-signzone -q -S -K "$W/keys" -d "$W" -3 - -H 0 -A -O full -P -n 2 \
			-s "$VFY_INC" -e "$VFY_EXP" -o test. -f "$z" "$W/in-$n.zone" >/dev/null || exit 1
	fi
	: > "$W/results"
	echo "zone: $n delegations, $(wc -l < "$z") records, $(du -m "$z" | cut -f1) MiB; $(nproc) cores"
	measure "tldsign-verify" "$TLDSIGN" --now "$VFY_NOW" verify "$z"
	measure "tldsign-verify-1thread" "$TLDSIGN" --now "$VFY_NOW" verify --threads 1 "$z"
	# the cron run's case: every signature already in the verified-signature
	# cache (written by an unmeasured run first); all other checks still run
	rm -f "$W/signed-$n.vcache"
	"$TLDSIGN" --now "$VFY_NOW" verify --cache "$W/signed-$n.vcache" "$z" >/dev/null 2>&1
	measure "tldsign-verify-cached" "$TLDSIGN" --now "$VFY_NOW" verify --cache "$W/signed-$n.vcache" "$z"
	measure "dnssec-verify" dnssec-verify -q -o test. "$z"
	measure "ldns-verify-zone" ldns-verify-zone -t "$(date -u -d 2026-11-21 +%Y%m%d%H%M%S 2>/dev/null || echo 20261121000000)" "$z"
	awk '
		{ name[NR] = $1; wall[NR] = $2; cpu[NR] = $3 + $4; rss[NR] = $5 / 1024; rc[NR] = $6
		  if ($1 == "dnssec-verify") { bw = $2; bc = $3 + $4; bm = $5 / 1024 } }
		END {
			printf "%-24s %9s %9s %9s %6s %8s %8s %8s %s\n", "tool", "wall s", "cpu s", "peak MiB", "exit", "wall x", "cpu x", "mem x", "(x = ratio to dnssec-verify)"
			for (i = 1; i <= NR; i++)
				printf "%-24s %9.2f %9.2f %9.0f %6d %8.2f %8.2f %8.2f\n", name[i], wall[i], cpu[i], rss[i], rc[i],
				       (bw > 0 ? wall[i] / bw : 0), (bc > 0 ? cpu[i] / bc : 0), (bm > 0 ? rss[i] / bm : 0)
		}' "$W/results"
done
rm -f "$W/time.$$" "$W/out.$$"
