#!/bin/sh
# key generate / list / dnskey / ds / delete on a throw-away SoftHSM token;
# DS records checked against ldns-key2ds as referee; hsm speed runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
command -v ldns-key2ds >/dev/null 2>&1 || skip_all "ldns-key2ds missing"

I=$TMP/inst
hsm_make_instance "$I" test. 2>"$TMP/gen.err"
ok $? "instance with a KSK and a ZSK (tags $HSM_KSK_TAG, $HSM_ZSK_TAG)"

run_cmd "$TLDSIGN" key list
is 0 "$rc" "key list exits 0"
is 3 "$(printf '%s\n' "$out" | grep -c .)" "header + two keys"
printf '%s\n' "$out" | grep -q "^$HSM_KSK_TAG  *ksk  *ecdsap256sha256  *present .* test\.-ksk-$HSM_KSK_TAG\$"
ok $? "KSK row: tag, role, algorithm, state, label"

"$TLDSIGN" key dnskey >"$TMP/dnskey" 2>/dev/null
is 0 "$?" "key dnskey exits 0"
is 2 "$(grep -c ' IN DNSKEY ' "$TMP/dnskey")" "two DNSKEY records"
grep " 257 3 13 " "$TMP/dnskey" | sed 's/ ;.*//' >"$TMP/ksk.key"
ldns-key2ds -n -2 "$TMP/ksk.key" >"$TMP/ref.ds" 2>/dev/null
ok $? "ldns-key2ds reads our DNSKEY"
"$TLDSIGN" key ds >"$TMP/our.ds" 2>/dev/null
is 0 "$?" "key ds exits 0"
ref=$(awk '{print $4, $5, $6, toupper($7)}' "$TMP/ref.ds")
ours=$(awk '{print $4, $5, $6, $7}' "$TMP/our.ds")
is "$ref" "$ours" "SHA-256 DS equals ldns-key2ds"
ldns-key2ds -n -4 "$TMP/ksk.key" >"$TMP/ref4.ds" 2>/dev/null
ref=$(awk '{print $4, $5, $6, toupper($7)}' "$TMP/ref4.ds")
ours=$("$TLDSIGN" key ds --digest 4 "$HSM_KSK_TAG" 2>/dev/null | awk '{print $4, $5, $6, $7}')
is "$ref" "$ours" "SHA-384 DS equals ldns-key2ds"
run_cmd "$TLDSIGN" key ds 1
[ "$rc" -ne 0 ] || [ "$HSM_KSK_TAG" = 1 ] || [ "$HSM_ZSK_TAG" = 1 ]
ok $? "key ds of an unknown tag fails"

run_cmd "$TLDSIGN" key delete "$HSM_ZSK_TAG"
[ "$rc" -ne 0 ]; ok $? "delete without --retired is refused"
printf '%s\n' "$out" | grep -q "still published or signing"; ok $? "refusal says why"
run_cmd "$TLDSIGN" key delete "$HSM_ZSK_TAG" --retired
is 0 "$rc" "delete --retired"
"$TLDSIGN" key list 2>/dev/null | grep -q "^$HSM_ZSK_TAG "
[ $? -ne 0 ]; ok $? "deleted key gone from key list"
"$TLDSIGN" key list --all 2>/dev/null | grep -q "^$HSM_ZSK_TAG .* deleted "
ok $? "key list --all keeps it as deleted (its tag is never reused)"
pkcs11-tool --module "$HSM_MODULE" --token-label tldsign --login --pin "$HSM_PIN" -O 2>/dev/null \
	| grep -c "label: *test\.-zsk-$HSM_ZSK_TAG" >"$TMP/count"
is 0 "$(cat "$TMP/count")" "ZSK objects removed from the token"

run_cmd "$TLDSIGN" key generate --role zsk --algorithm 15
is 0 "$rc" "Ed25519 key generated"
run_cmd "$TLDSIGN" key generate --role bogus
is 2 "$rc" "bad role: usage exit code 2"

run_cmd "$TLDSIGN" hsm speed --seconds 1 --sessions 2
is 0 "$rc" "hsm speed runs"
printf '%s\n' "$out" | grep -q "signatures/s"; ok $? "hsm speed reports signatures/s"
pkcs11-tool --module "$HSM_MODULE" --token-label tldsign --login --pin "$HSM_PIN" -O 2>/dev/null \
	| grep -c "tldsign-hsm-speed" >"$TMP/count"
is 0 "$(cat "$TMP/count")" "hsm speed removed its test key"
printf '%s\n' "$out" | grep -Eq '^window [0-9.]+ [0-9.]+ [0-9]+$'; ok $? "hsm speed reports its signing window"

# --label: an existing key, kept afterwards; its algorithm comes from the key
run_cmd "$TLDSIGN" hsm speed --seconds 1 --label "test.-ksk-$HSM_KSK_TAG"
is 0 "$rc" "hsm speed --label on the KSK"
printf '%s\n' "$out" | grep -q "^algorithm 13 (ecdsap256sha256), 1 session: "; ok $? "algorithm taken from the key"
n=$(pkcs11-tool --module "$HSM_MODULE" --token-label tldsign --login --pin "$HSM_PIN" -O 2>/dev/null |
	grep -c "test.-ksk-$HSM_KSK_TAG")
is 2 "$n" "the KSK pair is still in the token"
run_cmd "$TLDSIGN" hsm speed --seconds 1 --label no-such-key
is 4 "$rc" "hsm speed --label of a missing key: HSM error"
printf '%s\n' "$out" | grep -q 'no-such-key'; ok $? "the label is named"
done_testing
