#!/bin/sh
# tldsign sign against kzonesign, dnssec-signzone (-n 2, with and without -P)
# and ldns-signzone on the same generated TLD zone (tests/tools/make-zone.sh:
# N delegations, 10% DS, 10% in-zone glue), ECDSA P-256, NSEC3 opt-out,
# 0 iterations, empty salt.  tldsign signs through SoftHSM (keys in a token),
# the others with software keys.  Then re-signs by tldsign with the previous
# version: 1% of the DS RRsets changed, nothing changed (--keep-serial), and
# issue 7's incremental (1% of the delegations and 0.1% of the DS changed).
# Prints wall time, CPU and peak memory side by side, as ratios to kzonesign,
# and the HSM rate
# while signing against `tldsign hsm speed` (target: at least 80%).
# BENCH_SIZES (default "1000000") sets the zone sizes; run it once, not in loops.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
TLDSIGN=${TLDSIGN:-$TOP/build/tldsign}
TLDSIGN_TOOLS=${TLDSIGN_TOOLS:-$TOP/build/tools}
W=$TOP/build/bench/sign
mkdir -p "$W"
for f in "$TLDSIGN" "$TLDSIGN_TOOLS/signer-keys" "$TLDSIGN_TOOLS/gen-export"; do
	[ -x "$f" ] || { echo "build first: make tests ($f missing)"; exit 1; }
done
for t in kzonesign keymgr dnssec-signzone dnssec-keygen ldns-signzone ldns-keygen softhsm2-util /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 0; }
done
NOW=2026-01-01T00:00:00Z
INC=20251231000000
EXP=20351231000000
T0=$(date -u -d 2026-01-01 +%s)

# measure NAME CMD...: appends "NAME wall user sys maxrss_kb rc" to $W/results
measure() {
	_name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$W/time.$$" "$@" >"$W/out.$$" 2>&1
	_rc=$?
	echo "$_name $(tail -1 "$W/time.$$") $_rc" >>"$W/results"
	tail -1 "$W/out.$$" | cut -c1-200 | sed "s/^/#   $_name: /"
}

# tldsign instance: SoftHSM token, config, policy, KSK + ZSK
tldsign_instance() {
	_d=$1
	rm -rf "$_d" && mkdir -p "$_d/hsm/tokens" "$_d/state" || return 1
	printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$_d" >"$_d/hsm/softhsm2.conf"
	(umask 077 && echo 1234 >"$_d/hsm/pin")
	SOFTHSM2_CONF=$_d/hsm/softhsm2.conf softhsm2-util --init-token --free --label tldsign --pin 1234 \
		--so-pin 5678 >/dev/null || return 1
	cat >"$_d/tldsign.yaml" <<EOT
zone: test.
export: export/
state-dir: state/
policy: policy.yaml
hsm:
  module: ${TLDSIGN_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
  token: tldsign
  pin-file: hsm/pin
  softhsm-conf: hsm/softhsm2.conf
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test.}
  ns: [ns1.nic.test., ns2.nic.test.]
EOT
	cat >"$_d/policy.yaml" <<EOT
algorithm: ecdsap256sha256
keys: {ksk: {lifetime: 0}, zsk: {lifetime: 0}}
denial: {type: nsec3, opt-out: true, iterations: 0}
signatures: {validity: 3650d, dnskey-validity: 3650d, refresh: 7d, jitter: 12h, inception-offset: 1h}
EOT
	"$TLDSIGN_TOOLS/signer-keys" "$_d/tldsign.yaml" ksk >/dev/null 2>&1 &&
	"$TLDSIGN_TOOLS/signer-keys" "$_d/tldsign.yaml" zsk >/dev/null 2>&1
}

knot_setup() {
	_kd=$1
	rm -rf "$_kd" && mkdir -p "$_kd/kasp" "$_kd/out" || return 1
	cat >"$_kd/knot.conf" <<KNOT
server:
    rundir: "$_kd"
database:
    storage: "$_kd"
    kasp-db: "$_kd/kasp"
policy:
  - id: p
    algorithm: ecdsap256sha256
    nsec3: on
    nsec3-opt-out: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
    rrsig-lifetime: 3650d
    rrsig-refresh: 30d
    zone-max-ttl: 172800
template:
  - id: default
    storage: "$_kd"
    file: "%s.zone"
zone:
  - domain: test.
    dnssec-policy: p
KNOT
	keymgr -c "$_kd/knot.conf" test. generate algorithm=13 ksk=yes created=$T0 publish=$T0 active=$T0 >/dev/null &&
	keymgr -c "$_kd/knot.conf" test. generate algorithm=13 created=$T0 publish=$T0 active=$T0 >/dev/null
}

for n in ${BENCH_SIZES:-1000000}; do
	z=$W/in-$n.zone
	if [ ! -s "$z" ]; then
		"$TOP/tests/tools/make-zone.sh" "$n" "$z" 1 >/dev/null || exit 1
	fi
	: >"$W/results"
	echo "zone: $n delegations, $(wc -l <"$z") records, $(du -m "$z" | cut -f1) MiB; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

	# tldsign through SoftHSM; then 1% of the DS RRsets changed, re-signed with the previous version
	I=$W/tldsign
	tldsign_instance "$I" || { echo "tldsign instance failed"; exit 1; }
	rm -f "$I/signed.zone" "$I/signed.zone.sigs"
	measure "tldsign" "$TLDSIGN" -c "$I/tldsign.yaml" --now "$NOW" sign -i "$z" -o "$I/signed.zone"
	sign_rate=$(sed -n 's/.*(HSM \([0-9]*\) signatures\/s over.*/\1/p' "$W/out.$$")
	# the token's best through the same pool, as many sessions as the signer's workers (one per CPU)
	best=$("$TLDSIGN" -q -c "$I/tldsign.yaml" hsm speed --sessions "$(nproc)" --seconds 5 2>/dev/null |
		sed -n 's/.* = \([0-9]*\) signatures\/s$/\1/p')
	echo "#   HSM while signing: ${sign_rate:-?} signatures/s; hsm speed --sessions $(nproc): ${best:-?} signatures/s" \
		"($(awk -v a="${sign_rate:-0}" -v b="${best:-0}" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'); target >= 80%)"
	awk 'BEGIN { srand(1) } $4 == "DS" && !($1 in seen) { seen[$1] = 1; if (rand() < 0.01) pick[$1] = 1 }
	     $4 == "DS" && ($1 in pick) && !($1 in done) { $8 = "00" substr($8, 3); done[$1] = 1 } { print }' \
		"$z" >"$W/in-$n-1pct.zone"
	measure "tldsign-resign-1pct" "$TLDSIGN" -c "$I/tldsign.yaml" --now 2026-01-01T01:00:00Z sign \
		-i "$W/in-$n-1pct.zone" -o "$I/signed.zone"
	measure "tldsign-resign-same" "$TLDSIGN" -c "$I/tldsign.yaml" --now 2026-01-01T02:00:00Z sign \
		--keep-serial -i "$W/in-$n-1pct.zone" -o "$I/signed.zone"
	# issue 7's incremental run: 1% of the delegations changed (their NS set), 0.1% of the DS RRsets
	awk 'BEGIN { srand(2) } $4 == "NS" && $1 != "test." && !($1 in seen) { seen[$1] = 1; if (rand() < 0.01) pick[$1] = 1 }
	     $4 == "NS" && ($1 in pick) { $5 = "ns9.changed" length(pick) ".net." }
	     $4 == "DS" && !($1 in dseen) { dseen[$1] = 1; if (rand() < 0.001) dpick[$1] = 1 }
	     $4 == "DS" && ($1 in dpick) && !($1 in ddone) { $8 = "11" substr($8, 3); ddone[$1] = 1 } { print }' \
		"$W/in-$n-1pct.zone" >"$W/in-$n-1pct-deleg.zone"
	measure "tldsign-resign-deleg" "$TLDSIGN" -c "$I/tldsign.yaml" --now 2026-01-01T03:00:00Z sign \
		-i "$W/in-$n-1pct-deleg.zone" -o "$I/signed.zone"

	# kzonesign (software keys, all cores)
	K=$W/knot
	knot_setup "$K" || { echo "keymgr failed"; exit 1; }
	cp "$z" "$K/test.zone"
	measure "kzonesign" kzonesign -c "$K/knot.conf" -o "$K/out" -t "$T0" test.

	# dnssec-signzone, two threads, with and without -P (no post-sign verification)
	B=$W/bind
	rm -rf "$B" && mkdir -p "$B"
	dnssec-keygen -q -K "$B" -a ECDSAP256SHA256 -f KSK test. >/dev/null &&
		dnssec-keygen -q -K "$B" -a ECDSAP256SHA256 test. >/dev/null || exit 1
	measure "dnssec-signzone -n2" dnssec-signzone -q -S -K "$B" -d "$B" -3 - -H 0 -A -n 2 -s "$INC" -e "$EXP" \
		-o test. -f "$B/signed.zone" "$z"
	measure "dnssec-signzone -n2 -P" dnssec-signzone -q -S -K "$B" -d "$B" -3 - -H 0 -A -n 2 -P -s "$INC" -e "$EXP" \
		-o test. -f "$B/signed-P.zone" "$z"

	# ldns-signzone (software keys, one thread)
	L=$W/ldns
	rm -rf "$L" && mkdir -p "$L"
	(cd "$L" && ldns-keygen -a ECDSAP256SHA256 -k test. >ksk && ldns-keygen -a ECDSAP256SHA256 test. >zsk) || exit 1
	measure "ldns-signzone" ldns-signzone -n -p -t 0 -i "$INC" -e "$EXP" -o test. -f "$L/signed.zone" "$z" \
		"$L/$(cat "$L/ksk")" "$L/$(cat "$L/zsk")"

	awk '
		{ name[NR] = $1; for (f = 2; f < NF - 4; f++) name[NR] = name[NR] " " $f
		  wall[NR] = $(NF - 4); cpu[NR] = $(NF - 3) + $(NF - 2); rss[NR] = $(NF - 1) / 1024; rc[NR] = $NF
		  if ($1 == "kzonesign") { bw = wall[NR]; bm = rss[NR] } }
		END {
			printf "%-24s %9s %9s %9s %6s %9s %9s %s\n", "tool", "wall s", "cpu s", "peak MiB", "exit", "wall x", "mem x", "(x = ratio to kzonesign)"
			for (i = 1; i <= NR; i++)
				printf "%-24s %9.2f %9.2f %9.0f %6d %9.2f %9.2f\n", name[i], wall[i], cpu[i], rss[i], rc[i],
				       (bw > 0) ? wall[i] / bw : 0, (bm > 0) ? rss[i] / bm : 0
		}' "$W/results"
	echo "# tldsign signs through SoftHSM (one PKCS#11 session per worker); the others sign in software."
done
rm -f "$W/time.$$" "$W/out.$$"
