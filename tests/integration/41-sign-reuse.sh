#!/bin/sh
# Signature reuse through the side file: a re-sign keeps every signature
# whose RRset is unchanged, still signed by its key and not due; a changed
# delegation re-signs only what changed; nothing changed with --keep-serial
# reports "unchanged" and keeps the serial; a damaged side file costs only
# reuse; near expiry everything is signed anew.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/sign-common.inc"
sign_require

T=$TMP/tld
sign_instance "$T" test. '{type: nsec3, opt-out: true}' adopt
ok $? "instance for test. with adopted keys"
tld_zone 3000 "$T/in.zone"; ok $? "3000-delegation zone"
S="$TLDSIGN -c $T/tldsign.yaml"

# new_sigs OLD NEW: RRSIG lines in NEW that OLD does not have
new_sigs() {
	awk '$4 == "RRSIG"' "$1" | sort >"$TMP/a"
	awk '$4 == "RRSIG"' "$2" | sort >"$TMP/b"
	comm -13 "$TMP/a" "$TMP/b" | wc -l
}
summary_new() { echo "$1" | sed -n 's/.* \([0-9]*\) new and \([0-9]*\) reused.*/\1/p'; }
summary_serial() { echo "$1" | sed -n 's/.* serial \([0-9]*\):.*/\1/p'; }

run_cmd $S --now "$SIGN_NOW" sign -i "$T/in.zone" -o "$T/signed.zone"
is 0 "$rc" "first signing exits 0"
total=$(awk '$4 == "RRSIG"' "$T/signed.zone" | wc -l)
is "$total" "$(summary_new "$out")" "first signing: every signature new ($total)"
serial1=$(summary_serial "$out")
cp "$T/signed.zone" "$T/v1.zone"

# same input again: only the SOA (new serial) is signed anew
run_cmd $S --now 2026-01-01T01:00:00Z sign -i "$T/in.zone"  -o "$T/signed.zone"
is 0 "$rc" "second signing exits 0"
is 1 "$(summary_new "$out")" "unchanged input: one new signature, the SOA's ($out)"
is 1 "$(new_sigs "$T/v1.zone" "$T/signed.zone")" "diff of the outputs: one new RRSIG"
serial2=$(summary_serial "$out")
ok $((serial2 > serial1 ? 0 : 1)) "serial increases ($serial1 -> $serial2)"
referees test. "$T/signed.zone" "re-signed zone" 2026-01-01T01:00:00Z
cp "$T/signed.zone" "$T/v2.zone"

# one secure delegation's DS changes: its DS RRset and the SOA
ds_owner=$(awk '$4 == "DS" {print $1; exit}' "$T/in.zone")
awk -v o="$ds_owner" '$1 == o && $4 == "DS" && !done {$8 = "00" substr($8, 3); done = 1} {print}' \
	"$T/in.zone" >"$T/in2.zone"
run_cmd $S --now 2026-01-01T02:00:00Z sign -i "$T/in2.zone" -o "$T/signed.zone"
is 0 "$rc" "signing with one DS changed exits 0"
is 2 "$(summary_new "$out")" "one DS changed: two new signatures (DS, SOA) ($out)"
is 2 "$(new_sigs "$T/v2.zone" "$T/signed.zone")" "diff of the outputs: two new RRSIGs"
referees test. "$T/signed.zone" "zone with a changed DS" 2026-01-01T02:00:00Z
cp "$T/signed.zone" "$T/v3.zone"

# an insecure delegation's NS changes: opt-out, unsigned NS: only the SOA
ins_owner=$(awk '$4 == "NS" && $1 != "test." {print $1}' "$T/in2.zone" | sort -u >"$TMP/ns_owners"
            awk '$4 == "DS" {print $1}' "$T/in2.zone" | sort -u >"$TMP/ds_owners"
            comm -23 "$TMP/ns_owners" "$TMP/ds_owners" | head -1)
awk -v o="$ins_owner" '$1 == o && $4 == "NS" && !done {$5 = "ns9.example.org."; done = 1} {print}' \
	"$T/in2.zone" >"$T/in3.zone"
run_cmd $S --now 2026-01-01T03:00:00Z sign -i "$T/in3.zone" -o "$T/signed.zone"
is 1 "$(summary_new "$out")" "insecure delegation changed: only the SOA is signed anew ($out)"
grep -q "^$ins_owner	.*NS	ns9.example.org.$" "$T/signed.zone"; ok $? "the change is in the output"
cp "$T/signed.zone" "$T/v4.zone"

# nothing changed, --keep-serial: unchanged, same serial, same bytes
serial4=$(summary_serial "$out")
inode() { ls -i "$1" | cut -d' ' -f1; }
ino4=$(inode "$T/signed.zone")
run_cmd $S -v --now 2026-01-01T04:00:00Z sign --keep-serial -i "$T/in3.zone" -o "$T/signed.zone"
is 0 "$rc" "--keep-serial run exits 0"
echo "$out" | grep -q "^unchanged test\. serial $serial4: .* 0 new and $total reused"; ok $? "reports unchanged ($out)"
cmp -s "$T/v4.zone" "$T/signed.zone"; ok $? "output identical to the previous version"
is "$ino4" "$(inode "$T/signed.zone")" "unchanged and identical: the file is not rewritten"
echo "$out" | grep -q "not rewritten"; ok $? "says it was not rewritten"
# the same run over a file that differs (here: a line appended) rewrites it
echo "; edited" >>"$T/signed.zone"
run_cmd $S --now 2026-01-01T04:00:00Z sign --keep-serial -i "$T/in3.zone" -o "$T/signed.zone"
echo "$out" | grep -q "^unchanged test\. serial $serial4: "; ok $? "edited output, nothing else changed: still unchanged"
cmp -s "$T/v4.zone" "$T/signed.zone"; ok $? "the edited file is written anew, identical to the previous version"
run_cmd $S --now 2026-01-01T04:00:00Z sign --keep-serial -i "$T/in2.zone" -o "$T/signed.zone"
echo "$out" | grep -q "^signed test\. .* 1 new"; ok $? "--keep-serial with a change: signed, new serial ($out)"

# a damaged side file: nothing reused, still a valid zone
head -c 100 "$T/signed.zone.sigs" >"$T/cut" && mv "$T/cut" "$T/signed.zone.sigs"
run_cmd $S --now 2026-01-01T05:00:00Z sign -i "$T/in2.zone" -o "$T/signed.zone"
is 0 "$rc" "damaged side file: signing exits 0"
is "$total" "$(summary_new "$out")" "damaged side file: every signature new"
echo "$out" | grep -q "not a signature side file\|too short"; ok $? "warns about the side file"

# near expiry (within refresh): everything is signed anew
run_cmd $S --now 2035-12-26T00:00:00Z sign -i "$T/in2.zone" -o "$T/signed.zone"
echo "$out" | grep -q " 0 reused"; ok $? "signatures inside the refresh window are all replaced ($out)"
is "$(awk '$4 == "RRSIG"' "$T/signed.zone" | wc -l)" "$(summary_new "$out")" "every RRSIG of the output is new"
done_testing
