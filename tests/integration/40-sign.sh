#!/bin/sh
# tldsign sign: the RFC 5155 example zone and a generated TLD zone, signed
# through SoftHSM with NSEC3 opt-out, NSEC3 without opt-out and NSEC, each
# accepted by dnssec-verify, ldns-verify-zone, kzonecheck and tldsign verify;
# bad input, a broken key set and a wrong zone are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/sign-common.inc"
sign_require

# --- RFC 5155 Appendix A zone, its NSEC3 parameters, keys under the interim rule
R=$TMP/rfc
sign_instance "$R" example. '{type: nsec3, opt-out: true, iterations: 12, salt: aabbccdd}'
ok $? "instance for example. with a KSK and a ZSK"
run_cmd "$TLDSIGN" -c "$R/tldsign.yaml" --now "$SIGN_NOW" sign -i "$VECTORS/rfc5155/unsigned.zone" -o "$R/signed.zone"
is 0 "$rc" "sign the RFC 5155 zone exits 0"
echo "$out" | grep -Eq "^signed example\. serial .*1[0-9] NSEC3, [0-9]+ new and 0 reused"
ok $? "summary line: serial, NSEC3 records, every signature new ($out)"
echo "$out" | grep -Eq "[0-9.]+ s \(HSM [0-9]+ signatures/s over [0-9.]+ s\) -> "
ok $? "summary line: the HSM rate while signing"
referees example. "$R/signed.zone" "RFC 5155 zone"
# the chain is the RFC's: same hashed owner names (salt aabbccdd, 12 iterations)
awk '$4 == "NSEC3" {print tolower($1)}' "$VECTORS/rfc5155/signed.zone" | sort >"$TMP/rfc.owners"
awk '$4 == "NSEC3" {print $1}' "$R/signed.zone" | sort >"$TMP/our.owners"
cmp -s "$TMP/rfc.owners" "$TMP/our.owners"; ok $? "NSEC3 owner names are those of RFC 5155 Appendix A"
[ -s "$R/signed.zone.sigs" ]; ok $? "signature side file written next to the zone"
head -1 "$R/signed.zone" | grep -q 'IN	SOA'; ok $? "the SOA opens the file"
awk '$4 == "RRSIG" && $5 == "NS" && $1 == "a.example."' "$R/signed.zone" | grep -q .
ok $((! $?)) "delegation NS is not signed"
awk '$4 == "RRSIG" && ($1 == "ns1.a.example." || $1 == "ns2.a.example.")' "$R/signed.zone" | grep -q .
ok $((! $?)) "glue is not signed"

# --- generated TLD zone, keys under the key state machine
T=$TMP/tld
sign_instance "$T" test. '{type: nsec3, opt-out: true}' adopt
ok $? "instance for test. with adopted keys"
tld_zone 3000 "$T/in.zone"; ok $? "3000-delegation zone with wildcard, apex data, ENT"
for v in "nsec3 opt-out:{type: nsec3, opt-out: true}" "nsec3:{type: nsec3, opt-out: false}" "nsec:{type: nsec}"; do
	name=${v%%:*}
	sed "s/^denial: .*/denial: ${v#*:}/" "$T/policy.yaml" >"$T/p-$name.yaml"
	out_file="$T/$(echo "$name" | tr ' ' -).zone"
	run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" sign --policy "$T/p-$name.yaml" -i "$T/in.zone" -o "$out_file"
	is 0 "$rc" "$name: sign exits 0"
	referees test. "$out_file" "TLD zone, $name"
done
# the parallel text writer, forced onto small parts, writes the same zone
# (RRSIG signature fields left out: ECDSA signatures differ on every run)
strip_sig() { awk '$4 == "RRSIG" { $NF = "" } { print }' "$1"; }
for name in "nsec3 opt-out" nsec; do
	f=$(echo "$name" | tr ' ' -)
	run_cmd env TLDSIGN_SIGN_TEXT_PART=37 "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" sign \
		--policy "$T/p-$name.yaml" -i "$T/in.zone" -o "$T/$f-parts.zone"
	is 0 "$rc" "$name: sign with the text written in 37-node parts exits 0"
	strip_sig "$T/$f.zone" >"$T/$f.a" && strip_sig "$T/$f-parts.zone" >"$T/$f.b"
	cmp -s "$T/$f.a" "$T/$f.b"; ok $? "$name: parallel parts give the same text ($(wc -l <"$T/$f.a") lines)"
done
n_ds=$(awk '$4 == "DS"' "$T/nsec3-opt-out.zone" | wc -l)
n_ds_sig=$(awk '$4 == "RRSIG" && $5 == "DS"' "$T/nsec3-opt-out.zone" | wc -l)
n_ds_sets=$(awk '$4 == "DS" {print $1}' "$T/nsec3-opt-out.zone" | sort -u | wc -l)
is "$n_ds_sets" "$n_ds_sig" "one RRSIG per DS RRset ($n_ds DS records)"
grep -q 'RRSIG	TXT .* test\. ' "$T/nsec3-opt-out.zone"; ok $? "apex and wildcard data signed"
awk '$1 == "*.wild.test." && $4 == "RRSIG" {print $7}' "$T/nsec3-opt-out.zone" | grep -qx 2
ok $? "wildcard RRSIG labels field excludes the '*' (2)"
n3=$(awk '$4 == "NSEC3"' "$T/nsec3-opt-out.zone" | wc -l)
n3all=$(awk '$4 == "NSEC3"' "$T/nsec3.zone" | wc -l)
ok $((n3 >= n3all ? 1 : 0)) "opt-out leaves insecure delegations out of the chain ($n3 < $n3all)"
awk '$4 == "NSEC3" {print $6}' "$T/nsec3-opt-out.zone" | sort -u | grep -qx 1; ok $? "opt-out flag set"
expiries=$(awk '$4 == "RRSIG" && $5 == "DS" {print $9}' "$T/nsec3-opt-out.zone" | sort -u | wc -l)
ok $((expiries > n_ds_sig / 2 ? 0 : 1)) "jitter spreads expiry times ($expiries distinct over $n_ds_sig DS signatures)"

# --- refusals
cp "$T/nsec3-opt-out.zone" "$T/keep.zone"
printf 'test. 3600 IN SOA a. b. 1 2 3 4 5\ntest. 3600 IN NS ns.example.\nx.test. 60 IN A 1.2.3\n' >"$T/bad.zone"
run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" sign -i "$T/bad.zone" -o "$T/keep.zone"
is 3 "$rc" "malformed input: exit 3"
echo "$out" | grep -q "bad.zone:3: x.test. A"; ok $? "error names file, line and record ($out)"
cmp -s "$T/keep.zone" "$T/nsec3-opt-out.zone"; ok $? "the existing output is untouched"
run_cmd "$TLDSIGN" -c "$T/tldsign.yaml" --now "$SIGN_NOW" sign -i "$VECTORS/rfc5155/unsigned.zone" -o "$T/other.zone"
is 3 "$rc" "zone of another name than the config's: exit 3"
[ ! -e "$T/other.zone" ]; ok $? "nothing written"

B=$TMP/broken
mkdir -p "$B/hsm" "$B/state"
hsm_make_token "$B/hsm" tldsign >/dev/null && hsm_write_config "$B" test.
"$TLDSIGN_TOOLS/signer-keys" "$B/tldsign.yaml" zsk >/dev/null 2>&1; ok $? "instance with a ZSK only"
run_cmd "$TLDSIGN" -c "$B/tldsign.yaml" --now "$SIGN_NOW" sign -i "$T/in.zone" -o "$B/out.zone"
is 4 "$rc" "broken key set (nothing signs the DNSKEY RRset): exit 4"
echo "$out" | grep -q "no key signs the DNSKEY RRset"; ok $? "says why ($out)"
[ ! -e "$B/out.zone" ]; ok $? "nothing written"
E=$TMP/empty
mkdir -p "$E/hsm" "$E/state"
hsm_make_token "$E/hsm" tldsign >/dev/null && hsm_write_config "$E" test.
run_cmd "$TLDSIGN" -c "$E/tldsign.yaml" --now "$SIGN_NOW" sign -i "$T/in.zone" -o "$E/out.zone"
is 4 "$rc" "no keys at all: exit 4"
done_testing
