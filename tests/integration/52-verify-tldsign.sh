#!/bin/sh
# tldsign verify on zones signed by tldsign itself (SoftHSM keys): accepted,
# the DS of `tldsign key ds` matches, and the .de-outage case (a corrupted
# RRSIG over an NSEC3) is caught and named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/sign-common.inc"
sign_require

T=$TMP/tld
sign_instance "$T" test. '{type: nsec3, opt-out: true}' adopt
ok $? "instance with a KSK and a ZSK in SoftHSM"
tld_zone 1000 "$T/in.zone"; ok $? "1000-delegation zone"
run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" sign -i "$T/in.zone" -o "$T/signed.zone"
is 0 "$rc" "tldsign sign"

run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" verify "$T/signed.zone" --threads 2
is 0 "$rc" "tldsign verify accepts the tldsign-signed zone"
case $out in *" 0 failure(s)"*" NSEC3,"*) r=0;; *) r=1;; esac
ok $r "summary: no failure, NSEC3 chain checked"

"$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" key ds > "$T/ds.txt" 2>/dev/null
grep -q "IN[	 ]*DS" "$T/ds.txt"; ok $? "tldsign key ds prints the KSK's DS"
run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" -v --now "$SIGN_NOW" verify "$T/signed.zone" --ds "$T/ds.txt"
is 0 "$rc" "--ds: the KSK's DS matches a published SEP key"
case $out in *"DS matches the published KSK with key tag $KSK_TAG"*) r=0;; *) r=1;; esac
ok $r "-v says which key the DS matches ($KSK_TAG)"

# the refresh window of the instance policy (7d) is applied: a now close to expiry fails
exp=$(awk '$4 == "RRSIG" {print $9; exit}' "$T/signed.zone")
run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now 2035-12-28T00:00:00Z verify "$T/signed.zone"
is 5 "$rc" "seven days before expiry (first expiration $exp): within the policy's refresh window"

# the .de outage of May 2026: one RRSIG over an NSEC3 corrupted
line=$(grep -n -m1 -E "RRSIG[	 ]+NSEC3[	 ]" "$T/signed.zone" | cut -d: -f1)
owner=$(sed -n "${line}p" "$T/signed.zone" | awk '{print $1}')
awk -v l="$line" 'NR == l { $NF = "AAAA" substr($NF, 5) } { print }' "$T/signed.zone" > "$T/bad.zone"
run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" verify "$T/bad.zone"
is 5 "$rc" "corrupted RRSIG over an NSEC3: exit 5"
echo "$out" | awk -v o="$owner" 'prev ~ /^FAIL: / && index(tolower(prev), tolower(o)) && /signature does not verify/ { f = 1 } { prev = $0 } END { exit !f }'
ok $? "the failure names the RRSIG of NSEC3 $owner"

done_testing
