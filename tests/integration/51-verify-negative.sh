#!/bin/sh
# tldsign verify rejects broken zones and names the failing record.  Each case
# edits a good zone signed by dnssec-signzone (true NSEC3 opt-out); where a
# valid signature is needed over the edited data, the record and its RRSIG
# are taken from a second version signed with the same keys.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-common.inc"

for t in dnssec-keygen dnssec-signzone dnssec-dsfromkey ldns-keygen ldns-signzone ldns-nsec3-hash; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done

# expect_fail ZONE OWNER REASON DESC [verify options]: exit 5, and a FAIL line
# naming OWNER (case-insensitive regex) followed by a reason matching REASON
expect_fail() {
	_z=$1 _o=$2 _r=$3 _d=$4
	shift 4
	run_cmd "$TLDSIGN" --now "$VFY_NOW" verify "$_z" "$@"
	is 5 "$rc" "$_d: exit 5"
	echo "$out" | awk -v o="$_o" -v r="$_r" '
		prev ~ /^FAIL: / && tolower(prev) ~ tolower(o) && $0 ~ /^  -> / && $0 ~ r { found = 1 }
		{ prev = $0 }
		END { exit !found }'
	ok $? "$_d: failure names $_o ($_r)"
	[ $? -eq 0 ] || echo "$out" | head -20 | sed 's/^/# /'
}
# failures ZONE: the number of failures reported
failures() {
	"$TLDSIGN" --now "$VFY_NOW" verify "$@" 2>&1 | sed -n 's/.*: FAILED: \([0-9]*\) failure.*/\1/p'
}
# owner_lines ZONE OWNER TYPE-REGEX: the lines of OWNER whose type part matches
owner_lines() {
	grep -i "^$2[.	 ]" "$1" | grep -E "IN[	 ]+($3)"
}
# replace_lines ZONE OWNER TYPE-REGEX NEWLINES-FILE OUT
replace_lines() {
	{ grep -v -i -E "^$2[.	 ].*IN[	 ]+($3)" "$1"; cat "$4"; } > "$5"
}

gen_zone 300 "$TMP/in.zone"
mkdir -p "$TMP/bk"
make_keys_bind "$TMP/bk"; ok $? "keys"
sign_bind "$TMP/in.zone" "$TMP/good.zone"; ok $? "good zone signed"
run_cmd "$TLDSIGN" --now "$VFY_NOW" verify "$TMP/good.zone"
is 0 "$rc" "good zone verifies"

# 1. corrupted RRSIG over an NSEC3 (the .de outage of May 2026)
line=$(grep -n -m1 -E "IN[	 ]+RRSIG[	 ]+NSEC3 " "$TMP/good.zone" | cut -d: -f1)
owner=$(sed -n "${line}p" "$TMP/good.zone" | awk '{print $1}')
awk -v l="$line" 'NR == l { for (i = 1; i <= NF; i++) if ($i == "test.") { $(i+1) = "AAAA" substr($(i+1), 5); break } } { print }' \
	"$TMP/good.zone" > "$TMP/c1.zone"
expect_fail "$TMP/c1.zone" "$owner.*RRSIG.*NSEC3" "signature does not verify" "corrupted RRSIG over NSEC3"
is 2 "$(failures "$TMP/c1.zone")" "corrupted RRSIG: two failures (the signature, and algorithm 13 missing over that NSEC3)"

# 2. a signature by a key not in the DNSKEY set (ldns signs with an extra ZSK, not published)
mkdir -p "$TMP/lk"
make_keys_ldns "$TMP/lk"
ZSK2=$TMP/lk/$(cd "$TMP/lk" && ldns-keygen -a ECDSAP256SHA256 test.)
cat "$TMP/in.zone" "$KSK.key" "$ZSK.key" > "$TMP/in2.zone"
ldns-signzone -d -n -p -t 0 -i "$VFY_INC" -e "$VFY_EXP" -o test. -f "$TMP/c2.zone" \
	"$TMP/in2.zone" "$KSK" "$ZSK" "$ZSK2"
ok $? "zone signed with an extra, unpublished key"
tag2=$(ldns-key2ds -n "$ZSK2.key" 2>/dev/null | awk '{print $5}')
[ -n "$tag2" ] || tag2=$(echo "$ZSK2" | sed 's/.*+0*//')
expect_fail "$TMP/c2.zone" "^FAIL: .*www\.test\..*RRSIG.*TXT" "signed by key tag $tag2 .*not in the published DNSKEY set" \
	"signature by an unpublished key"

# 3. missing NSEC3 for a secure delegation
h=$(nsec3_owner d00010.test.)
grep -v -i "^$h\." "$TMP/good.zone" > "$TMP/c3.zone"
expect_fail "$TMP/c3.zone" "d00010\.test\." "secure delegation d00010\.test\. has no NSEC3" \
	"missing NSEC3 for a secure delegation"

# 4. an opt-out span over a secure delegation: d00011 gains a (signed) DS but no NSEC3
{ cat "$TMP/in.zone"; printf 'd00011 86400 IN DS 11 13 2 %064x\n' 11; } > "$TMP/in4.zone"
sign_bind "$TMP/in4.zone" "$TMP/v4.zone"
{ cat "$TMP/good.zone"; owner_lines "$TMP/v4.zone" d00011.test 'DS|RRSIG[	 ]+DS'; } > "$TMP/c4.zone"
expect_fail "$TMP/c4.zone" "d00011\.test\." "secure delegation d00011\.test\. has no NSEC3.*opt-out span" \
	"opt-out span over a secure delegation"
is 1 "$(failures "$TMP/c4.zone")" "opt-out span: exactly one failure (chain itself intact)"

# 5-7. signature times: expired, not yet valid, within the refresh window
# (dnssec-signzone refuses such times; ldns-signzone signs with the same ZSK)
zsk=$(grep -L ' 257 ' "$TMP"/bk/K*.key | head -1)
for c in "20250101000000 20260601000000 expired expired" \
         "20270101000000 20360101000000 not-yet-valid not\ yet\ valid" \
         "20260101000000 20261201000000 refresh within\ the\ refresh\ window"; do
	set -- $c
	ldns-signzone -d -n -p -t 0 -i "$1" -e "$2" -o test. -f "$TMP/t-$3.zone" \
		"$TMP/in.zone" "${zsk%.key}"
	owner_lines "$TMP/t-$3.zone" www.test 'RRSIG[	 ]+TXT' > "$TMP/sig"
	replace_lines "$TMP/good.zone" www.test 'RRSIG[	 ]+TXT' "$TMP/sig" "$TMP/c-$3.zone"
done
expect_fail "$TMP/c-expired.zone" "www\.test\..*RRSIG.*TXT" "signature expired at 2026-06-01" "expired signature"
expect_fail "$TMP/c-not-yet-valid.zone" "www\.test\..*RRSIG.*TXT" "signature not yet valid" "not-yet-valid signature"
expect_fail "$TMP/c-refresh.zone" "www\.test\..*RRSIG.*TXT" "within the refresh window" \
	"signature expiring within the refresh window" --refresh 14d
run_cmd "$TLDSIGN" --now "$VFY_NOW" verify "$TMP/c-refresh.zone" --refresh 5d
is 0 "$rc" "same zone passes with a refresh window that ends before the expiry"

# the refresh window from the instance policy (signatures.refresh) when a config is given
mkdir -p "$TMP/inst"
cat > "$TMP/inst/tldsign.yaml" <<'CFG'
zone: test.
export: export/
state-dir: state/
policy: policy.yaml
hsm:
  token: unused
  pin-env: TLDSIGN_PIN
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test.}
  ns: [ns1.nic.test., ns2.nic.test.]
CFG
printf 'algorithm: ecdsap256sha256\nsignatures: {validity: 30d, refresh: 14d}\n' > "$TMP/inst/policy.yaml"
run_cmd "$TLDSIGN" -c "$TMP/inst/tldsign.yaml" --now "$VFY_NOW" verify "$TMP/c-refresh.zone"
is 5 "$rc" "refresh window of 14d taken from the policy (-c)"
case $out in *"within the refresh window (14d)"*) r=0;; *) r=1;; esac
ok $r "policy refresh window named in the reason"
run_cmd "$TLDSIGN" -c "$TMP/inst/tldsign.yaml" --now "$VFY_NOW" verify "$TMP/c-refresh.zone" --refresh 1d
is 0 "$rc" "--refresh overrides the policy"

# 8. two NSEC3PARAM
{ cat "$TMP/good.zone"; echo "test. 3600 IN NSEC3PARAM 1 0 5 AABBCCDD"; } > "$TMP/c8.zone"
expect_fail "$TMP/c8.zone" "^FAIL: .*test\..*NSEC3PARAM" "more than one NSEC3PARAM" "two NSEC3PARAM"

# 9. an algorithm that does not sign every RRset (ECDSA + RSA keys, one RSA RRSIG removed)
mkdir -p "$TMP/bk2"
cp "$TMP"/bk/K* "$TMP/bk2/"
dnssec-keygen -q -K "$TMP/bk2" -a RSASHA256 -b 1024 -f KSK test. >/dev/null &&
dnssec-keygen -q -K "$TMP/bk2" -a RSASHA256 -b 1024 test. >/dev/null
ok $? "RSA keys added"
( BKDIR=$TMP/bk2; sign_bind "$TMP/in.zone" "$TMP/two-alg.zone" )
run_cmd "$TLDSIGN" --now "$VFY_NOW" verify "$TMP/two-alg.zone"
is 0 "$rc" "two-algorithm zone verifies"
grep -v -E "^www\.test\..*RRSIG[	 ]+TXT 8 " "$TMP/two-alg.zone" > "$TMP/c9.zone"
expect_fail "$TMP/c9.zone" "www\.test\..*TXT" "no valid signature of algorithm 8" \
	"algorithm 8 does not sign www TXT"

# 10. wrong bitmap: www's NSEC3 (validly signed) from a version where www also had AAAA
{ cat "$TMP/in.zone"; echo "www 3600 IN AAAA 2001:db8::1"; } > "$TMP/in10.zone"
sign_bind "$TMP/in10.zone" "$TMP/v10.zone"
h=$(nsec3_owner www.test.)
owner_lines "$TMP/v10.zone" "$h" 'NSEC3|RRSIG[	 ]+NSEC3' > "$TMP/n3"
replace_lines "$TMP/good.zone" "$h" 'NSEC3|RRSIG[	 ]+NSEC3' "$TMP/n3" "$TMP/c10.zone"
expect_fail "$TMP/c10.zone" "$h.*NSEC3" "type bitmap \[TXT AAAA RRSIG\] does not match the data at www\.test\." \
	"wrong bitmap"
is 1 "$(failures "$TMP/c10.zone")" "wrong bitmap: exactly one failure"

# 11. broken ring / order: an NSEC3 whose next hash skips its successor; a duplicate hash
h=$(nsec3_owner d00010.test.)
awk -v h="$h" 'toupper($1) == toupper(h ".test.") && $4 == "NSEC3" { $9 = h } { print }' \
	"$TMP/good.zone" > "$TMP/c11.zone"
expect_fail "$TMP/c11.zone" "$h.*NSEC3" "NSEC3 chain broken" "broken NSEC3 ring"
{ cat "$TMP/good.zone"; awk -v h="$h" 'toupper($1) == toupper(h ".test.") && $4 == "NSEC3" { $9 = "00000000000000000000000000000000"; print }' "$TMP/good.zone"; } > "$TMP/c11b.zone"
expect_fail "$TMP/c11b.zone" "$h.*NSEC3" "duplicate NSEC3 owner hash" "duplicate NSEC3 hash"

# 12. DS that matches no key; DS of a key without the SEP bit
printf 'test. 86400 IN DS 12345 13 2 %064x\n' 1 > "$TMP/ds-bad.txt"
expect_fail "$TMP/good.zone" "DS 12345 13 2" "no DS of algorithm 13 matches a published KSK" "DS matching no key" --ds "$TMP/ds-bad.txt"
zsk=$(grep -L ' 257 ' "$TMP"/bk/K*.key | head -1)
dnssec-dsfromkey -2 "$zsk" > "$TMP/ds-zsk.txt"
expect_fail "$TMP/good.zone" "IN.*DS" "no DS of algorithm 13 matches a published KSK" "DS of a ZSK" --ds "$TMP/ds-zsk.txt"
# a double-DS rollover: the new KSK's DS is at the parent before its DNSKEY is
# published; the chain holds through the old DS, so this passes with a warning
ksk=$(grep -l ' 257 ' "$TMP"/bk/K*.key | head -1)
{ dnssec-dsfromkey -2 "$ksk"; cat "$TMP/ds-bad.txt"; } > "$TMP/ds-double.txt"
run_cmd "$TLDSIGN" --now "$VFY_NOW" verify "$TMP/good.zone" --ds "$TMP/ds-double.txt"
is 0 "$rc" "double-DS phase (one DS without its key yet) passes"
echo "$out" | grep -q "DS matches no published DNSKEY" ; ok $? "the DS without a key is warned about"

# 13. glue must not be signed: ns1.d00005's A signed where d00005 was not a cut
grep -v -E "^d00005 " "$TMP/in.zone" > "$TMP/in13.zone"
sign_bind "$TMP/in13.zone" "$TMP/v13.zone"
{ cat "$TMP/good.zone"; owner_lines "$TMP/v13.zone" ns1.d00005.test 'RRSIG[	 ]+A'; } > "$TMP/c13.zone"
expect_fail "$TMP/c13.zone" "ns1\.d00005\.test\..*RRSIG" "glue .*must not be signed" "signed glue"

# 14. an authoritative RRset without signature
grep -v -E "^www\.test\..*RRSIG[	 ]+TXT" "$TMP/good.zone" > "$TMP/c14.zone"
expect_fail "$TMP/c14.zone" "www\.test\..*TXT" "authoritative RRset is not signed" "unsigned RRset"

done_testing
