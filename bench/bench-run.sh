#!/bin/sh
# tldsign run, the whole cron pipeline (export -> zone -> sign -> full verify ->
# publish), on generated exports of N delegations (10% with DS):
#   run-full         first run: every signature new
#   run-incremental  next run after 1% of the delegations changed (NS set) and
#                    0.1% got a new DS
# beside the peers signing the same unsigned zone (STATE_DIR/unsigned.zone,
# ECDSA P-256, NSEC3 opt-out, 0 iterations, no salt): kzonesign,
# dnssec-signzone, ldns-signzone.  Wall time, CPU and peak memory; ratios to
# kzonesign.  Targets (issue 7): run-full <= 1.0x kzonesign, run-incremental
# <= 0.1x run-full.  BENCH_SIZES (default "100000 1000000") sets the sizes.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
TMP=$TOP/build/bench/run/tmp
. tests/integration/verify-common.inc
. tests/integration/lib-hsm.sh
TLDSIGN=${TLDSIGN:-$PWD/build/tldsign}
W=build/bench/run
mkdir -p "$W" "$TMP"
[ -x "$TLDSIGN" ] && [ -x build/tools/gen-export ] || { echo "build first: make all tools"; exit 1; }
for t in kzonesign keymgr dnssec-signzone ldns-signzone /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 0; }
done
T0=1795255200                        # 2026-11-21T10:00:00Z
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# measure NAME CMD...: appends "NAME wall user sys maxrss_kb rc" to $W/results
measure() {
	_name=$1
	shift
	# no dirty data of the steps before (the export just generated or
	# edited, the last run's unsigned.zone, which it renames into place
	# without fsync) left for the kernel to write back during the measured
	# command: runs of the cron job are minutes apart, far more than the
	# kernel's 30 s writeback expiry
	sync
	/usr/bin/time -f '%e %U %S %M' -o "$W/time.$$" "$@" >"$W/out.$$" 2>&1
	_rc=$?
	echo "$_name $(tail -1 "$W/time.$$") $_rc" >>"$W/results"
	tail -1 "$W/out.$$" | cut -c1-160 | sed "s/^/#   $_name: /"
}

# stages NAME: the stage durations of the last run (STATE_DIR/last-run.json)
stages() {
	/usr/bin/python3 - "$I/state/last-run.json" "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
st = " ".join("%s %.2f" % (k, v) for k, v in j["stage_seconds"].items() if v >= 0.005)
print("#   %s stages (s): %s (publish prepared in %.2f beside verify); verify: %s of %s RRSIGs from its cache" % (
    sys.argv[2], st, j.get("publish_prepared_seconds", 0), j.get("verify_rrsigs_cached", "?"),
    j.get("verify_rrsigs_valid", "?")))
PY
}

for n in ${BENCH_SIZES:-100000 1000000}; do
	I=$W/inst-$n
	rm -rf "$I"
	"$TLDSIGN" --now "$T0" init "$I" --zone test. >"$W/init.log" 2>&1 || { cat "$W/init.log"; exit 1; }
	if grep -q "keys are not created by this build" "$W/init.log"; then
		hsm_make_token "$I/hsm" tldsign >/dev/null &&
		"$TLDSIGN" -c "$I/tldsign.yaml" --now "$T0" key generate --role ksk >/dev/null 2>&1 &&
		"$TLDSIGN" -c "$I/tldsign.yaml" --now "$T0" key generate --role zsk >/dev/null 2>&1 ||
			{ echo "token or keys failed"; exit 1; }
	fi
	rm -rf "$I/export"
	build/tools/gen-export --delegations "$n" --ds-share 0.1 --seed 1 --tld test. \
		--exported-at "$(iso $((T0 - 60)))" -o "$I/export" || exit 1
	: >"$W/results"
	echo "export: $n delegations; $(nproc) cores"
	measure run-full "$TLDSIGN" -c "$I/tldsign.yaml" --now $((T0 + 60)) run
	stages run-full

	# 1% of the delegations get another NS set, 0.1% a new DS
	awk -F, -v step=100 'BEGIN { OFS = "," } NR > 1 && NR % step == 0 { $2 = "ns1.changed.example" } { print }' \
		"$I/export/nameservers.csv" >"$TMP/ns" && mv "$TMP/ns" "$I/export/nameservers.csv"
	awk -F, -v n="$n" 'NR > 1 && NR <= n / 1000 + 1 { printf "%s,%d,13,2,%064x\n", $1, (NR * 7) % 65536, NR * 104729 }' \
		"$I/export/domains.csv" >>"$I/export/ds.csv"
	tests/golden/zonegen/write-manifest.sh "$I/export" "$(iso $((T0 + 240)))"
	measure run-incremental "$TLDSIGN" -c "$I/tldsign.yaml" --now $((T0 + 300)) run
	stages run-incremental

	z=$I/state/unsigned.zone
	if [ -s "$z" ]; then
		echo "zone: $(wc -l <"$z") records unsigned, $(du -m "$z" | cut -f1) MiB"
		rm -rf "$TMP/knot" "$TMP/bind" "$TMP/ldns"
		mkdir -p "$TMP/bind" "$TMP/ldns"
		# the peers' key set-up is tiny and counted (sign_* from verify-common.inc)
		inc=". $TOP/tests/integration/verify-common.inc; TMP=$TMP"
		measure kzonesign sh -c "$inc; sign_knot '$z' '$TMP/knot.zone'"
		measure dnssec-signzone sh -c "$inc; make_keys_bind '$TMP/bind' && sign_bind '$z' '$TMP/bind.zone' -n $(nproc) -d '$TMP'"
		measure ldns-signzone sh -c "$inc; make_keys_ldns '$TMP/ldns' && sign_ldns '$z' '$TMP/ldns.zone' -n -p -t 0"
	fi
	awk '
		{ name[NR] = $1; wall[NR] = $2; cpu[NR] = $3 + $4; rss[NR] = $5 / 1024; rc[NR] = $6
		  if ($1 == "kzonesign") { bw = $2; bm = $5 / 1024 } }
		END {
			printf "%-18s %9s %9s %9s %6s %9s %9s %s\n", "pipeline", "wall s", "cpu s", "peak MiB", "exit", "wall x", "mem x", "(x = ratio to kzonesign)"
			for (i = 1; i <= NR; i++)
				printf "%-18s %9.2f %9.2f %9.0f %6d %9.2f %9.2f\n", name[i], wall[i], cpu[i], rss[i], rc[i],
				       (bw > 0 ? wall[i] / bw : 0), (bm > 0 ? rss[i] / bm : 0)
		}' "$W/results"
done
rm -rf "$W/time.$$" "$W/out.$$" "$TMP"
