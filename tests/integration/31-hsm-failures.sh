#!/bin/sh
# HSM failure paths (issue 3 point 6): each a clear message, exit code 4,
# nothing written to the state store.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require

I=$TMP/inst
hsm_make_instance "$I" test. 2>/dev/null
ok $? "instance"
db=$I/state/state.db
rows() { sqlite3 "$db" "SELECT count(*) FROM keys"; }
before=$(rows)
is 2 "$before" "two keys recorded"

cp "$I/tldsign.yaml" "$TMP/good.yaml"
sed "s|module: .*|module: /nonexistent/libpkcs11.so|" "$TMP/good.yaml" >"$I/tldsign.yaml"
run_cmd "$TLDSIGN" key generate --role zsk
is 4 "$rc" "wrong module path: exit 4"
printf '%s\n' "$out" | grep -q "loading PKCS#11 module /nonexistent/libpkcs11.so"; ok $? "message names the module"

sed "s|token: tldsign|token: absent|" "$TMP/good.yaml" >"$I/tldsign.yaml"
run_cmd "$TLDSIGN" key generate --role zsk
is 4 "$rc" "token absent: exit 4"
printf '%s\n' "$out" | grep -q 'token "absent" not found'; ok $? "message names the token"

cp "$TMP/good.yaml" "$I/tldsign.yaml"
cp "$I/hsm/pin" "$TMP/pin.good"
printf '0000\n' >"$I/hsm/pin"
run_cmd "$TLDSIGN" key generate --role zsk
is 4 "$rc" "wrong PIN: exit 4"
printf '%s\n' "$out" | grep -q "CKR_PIN_INCORRECT"; ok $? "message says CKR_PIN_INCORRECT"
printf '%s\n' "$out" | grep -q "0000"; [ $? -ne 0 ]; ok $? "the PIN is not printed"
n=$(printf '%s\n' "$out" | grep -c "C_Login")
is 1 "$n" "login tried once, never retried"
cp "$TMP/pin.good" "$I/hsm/pin"

# Key deleted behind our back: key ds still works (public data is in the
# store), key delete notices and still marks it.
tag=$HSM_ZSK_TAG
id=$(sqlite3 "$db" "SELECT cka_id FROM keys WHERE key_tag = $tag")
pkcs11-tool --module "$HSM_MODULE" --token-label tldsign --login --pin "$HSM_PIN" \
	--delete-object --type privkey --id "$id" >/dev/null 2>&1
ok $? "ZSK private key removed with pkcs11-tool"
run_cmd "$TLDSIGN" key delete "$tag" --retired
is 0 "$rc" "delete of a key already missing from the token"
printf '%s\n' "$out" | grep -q "already missing"; ok $? "says it was already missing"

is "$before" "$(rows)" "no row added by any failed command"
is 1 "$(sqlite3 "$db" "SELECT count(*) FROM keys WHERE deleted IS NOT NULL")" "only the deleted key is marked"
done_testing
