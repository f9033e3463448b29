#!/bin/sh
# tldsign verify accepts zones from three outside signers (ldns-signzone,
# dnssec-signzone, kzonesign) and the RFC 5155 example; the referees
# (dnssec-verify, ldns-verify-zone, kzonecheck) agree; exit codes 2 and 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-common.inc"

for t in ldns-keygen ldns-signzone dnssec-keygen dnssec-signzone kzonesign keymgr \
         dnssec-verify ldns-verify-zone kzonecheck ldns-nsec3-hash; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done

# every record the fast path reads is also parsed by ldns and compared
export TLDSIGN_VERIFY_CROSSCHECK=1
V() { run_cmd "$TLDSIGN" --now "$VFY_NOW" verify "$@"; }

# RFC 5155 Appendix A: wildcard, ENTs, glue, secure and insecure delegation
V "$VECTORS/rfc5155/signed.zone" --threads 2
is 5 "$rc" "RFC 5155 example at 2026: its signatures (to 2015) are expired"
run_cmd "$TLDSIGN" --now 2010-01-01T00:00:00Z verify "$VECTORS/rfc5155/signed.zone"
is 0 "$rc" "RFC 5155 example verifies at 2010"
case $out in *"12 NSEC3"*"2 empty non-terminals"*|*"2 empty non-terminals"*"12 NSEC3"*) r=0;; *) r=1;; esac
ok $r "RFC 5155 example: 12 NSEC3, 2 empty non-terminals counted"

gen_zone 3000 "$TMP/in.zone"
mkdir -p "$TMP/lk" "$TMP/bk"
make_keys_ldns "$TMP/lk"; ok $? "ldns-keygen keys"
make_keys_bind "$TMP/bk"; ok $? "dnssec-keygen keys"

sign_ldns "$TMP/in.zone" "$TMP/ldns-nsec3.zone" -n -p -t 0; ok $? "ldns-signzone NSEC3 opt-out"
V "$TMP/ldns-nsec3.zone"
is 0 "$rc" "ldns-signzone NSEC3 opt-out zone verifies"
ldns-verify-zone "$TMP/ldns-nsec3.zone" >/dev/null 2>&1; ok $? "referee ldns-verify-zone agrees"

sign_ldns "$TMP/in.zone" "$TMP/ldns-nsec.zone"; ok $? "ldns-signzone NSEC"
V "$TMP/ldns-nsec.zone"
is 0 "$rc" "ldns-signzone NSEC zone verifies"
case $out in *" 0 NSEC3, "*) r=0;; *) r=1;; esac
ok $r "NSEC zone: verified as an NSEC chain"

sign_bind "$TMP/in.zone" "$TMP/bind.zone"; ok $? "dnssec-signzone NSEC3 opt-out"
V "$TMP/bind.zone" --threads 1
is 0 "$rc" "dnssec-signzone zone verifies (1 thread)"
one=$out
V "$TMP/bind.zone" --threads 4
is 0 "$rc" "dnssec-signzone zone verifies (4 threads)"
is "$(echo "$one" | sed 's/, [0-9]* threads//')" "$(echo "$out" | sed 's/, [0-9]* threads//')" \
	"same report with 1 and 4 threads"
dnssec-verify -q -o test. "$TMP/bind.zone" >/dev/null 2>&1; ok $? "referee dnssec-verify agrees"

sign_knot "$TMP/in.zone" "$TMP/knot.zone"; ok $? "kzonesign NSEC3 opt-out"
V "$TMP/knot.zone"
is 0 "$rc" "kzonesign zone verifies"
kzonecheck -d on -o test. -t "$(date -u -d 2026-11-21 +%s)" "$TMP/knot.zone" >/dev/null 2>&1
ok $? "referee kzonecheck agrees"

# a zonegen-made TLD zone (tests/tools/make-zone.sh), signed by dnssec-signzone
if [ -x "$TLDSIGN_TOOLS/gen-export" ]; then
	TLDSIGN=$TLDSIGN sh "$TOP/tests/tools/make-zone.sh" 2000 "$TMP/zg.zone" 7 >/dev/null 2>&1
	ok $? "make-zone.sh 2000 delegations"
	sign_bind "$TMP/zg.zone" "$TMP/zg-bind.zone"; ok $? "zonegen zone signed by dnssec-signzone"
	V "$TMP/zg-bind.zone"
	is 0 "$rc" "zonegen zone signed by dnssec-signzone verifies"
	case $out in *"; 2000 secure and"*|*" 0 secure"*) r=1;; *) r=0;; esac
	ok $r "zonegen zone has both secure and insecure delegations"
	sign_knot "$TMP/zg.zone" "$TMP/zg-knot.zone"; ok $? "zonegen zone signed by kzonesign"
	V "$TMP/zg-knot.zone"
	is 0 "$rc" "zonegen zone signed by kzonesign verifies"
else
	diag "build/tools/gen-export missing (make tests): zonegen zone not checked"
fi

# DNSKEY response above 1232 bytes: a warning, not a failure (two RSA-2048
# KSKs, as in a KSK rollover, and a ZSK)
gen_zone 10 "$TMP/small.zone"
mkdir -p "$TMP/rsa"
dnssec-keygen -q -K "$TMP/rsa" -a RSASHA256 -b 2048 -f KSK test. >/dev/null &&
dnssec-keygen -q -K "$TMP/rsa" -a RSASHA256 -b 2048 -f KSK test. >/dev/null &&
dnssec-keygen -q -K "$TMP/rsa" -a RSASHA256 -b 2048 test. >/dev/null
ok $? "RSA-2048 keys"
( BKDIR=$TMP/rsa; sign_bind "$TMP/small.zone" "$TMP/rsa.zone" )
V "$TMP/rsa.zone"
is 0 "$rc" "large DNSKEY response alone does not fail the zone"
case $out in *"WARNING: "*"DNSKEY"*"above 1232"*) r=0;; *) r=1;; esac
ok $r "warning names the DNSKEY RRset and the 1232-byte limit"
size=$(echo "$out" | sed -n 's/.*DNSKEY response \([0-9]*\) bytes.*/\1/p')
ok "$([ "${size:-0}" -gt 1232 ]; echo $?)" "reported DNSKEY response size $size > 1232"

# DS from the parent's side
dnssec-dsfromkey -2 "$(ls "$TMP"/bk/K*.key | while read -r k; do grep -q ' 257 ' "$k" && echo "$k"; done)" \
	> "$TMP/ds.txt" 2>/dev/null
V "$TMP/bind.zone" --ds "$TMP/ds.txt"
is 0 "$rc" "--ds with the KSK's DS passes"

# the file is parsed in slices on several threads: $ORIGIN, $TTL, relative
# names and line numbers must come out as when read in one piece
gen_zone 15000 "$TMP/big.zone"
printf '$ORIGIN sub.test.\n$TTL 600\nrel 172800 IN NS ns.example.net.\nx IN TXT "x"\n' >> "$TMP/big.zone"
"$TLDSIGN" --now "$VFY_NOW" verify --threads 1 "$TMP/big.zone" > "$TMP/one.out" 2>&1
"$TLDSIGN" --now "$VFY_NOW" verify --threads 3 "$TMP/big.zone" > "$TMP/three.out" 2>&1
is "$(sed 's/, [0-9]* threads//' "$TMP/one.out" | md5sum)" "$(sed 's/, [0-9]* threads//' "$TMP/three.out" | md5sum)" \
	"unsigned 15000-delegation zone: same report from 1 and 3 parser threads"
grep -q "x.sub.test. 600 IN TXT" "$TMP/three.out"; ok $? "relative name and \$TTL after a late \$ORIGIN"
lines=$(wc -l < "$TMP/big.zone")
echo "www.test. 3600 IN A 300.1.2.3" >> "$TMP/big.zone"
V "$TMP/big.zone" --threads 3
is 3 "$rc" "parse error in the last slice: exit 3"
case $out in *"big.zone:$((lines + 1)):"*) r=0;; *) r=1;; esac
ok $r "parse error in the last slice names line $((lines + 1))"

# usage and unparsable input
run_cmd "$TLDSIGN" verify
is 2 "$rc" "no FILE: exit 2"
run_cmd "$TLDSIGN" verify "$TMP/bind.zone" --refresh bogus
is 2 "$rc" "bad --refresh: exit 2"
printf 'test. 3600 IN SOA ns1.test. h.test. 1 2 3 4 5\nwww.test. 3600 IN A 300.1.2.3\n' > "$TMP/bad.zone"
V "$TMP/bad.zone"
is 3 "$rc" "unparsable zone: exit 3"
case $out in *"bad.zone:2"*) r=0;; *) r=1;; esac
ok $r "parse error names file and line"
V "$TMP/no-such.zone"
ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; echo $?)" "missing file: failure, not a verify verdict"

done_testing
