#!/bin/sh
# Key operations in the hash-chained audit log (issue 6 point 6): key
# generate, key import and key delete each append one entry (actor, key tag,
# the SHA-256 DS of a KSK); a failed operation appends none; audit verify
# holds.  key list shows the key state machine's view and the next
# transition, and present/deleted for keys outside it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
command -v sqlite3 >/dev/null 2>&1 || skip_all "no sqlite3"
command -v pkcs11-tool >/dev/null 2>&1 || skip_all "no pkcs11-tool"
I=$TMP/inst
T0=2026-11-21T10:00:00Z
mkdir -p "$I/hsm" && hsm_make_token "$I/hsm" tldsign && hsm_write_config "$I" test.
ok $? "token and instance"
TLDSIGN_CONFIG=$I/tldsign.yaml; export TLDSIGN_CONFIG
USER=alice; SUDO_USER=; export USER SUDO_USER
entries() { sqlite3 "$I/state/state.db" "SELECT count(*) FROM audit" 2>/dev/null || echo 0; }

KSK=$("$TLDSIGN" --now $T0 key generate --role ksk 2>/dev/null | cut -d' ' -f1)
ZSK=$("$TLDSIGN" --now $T0 key generate --role zsk 2>/dev/null | cut -d' ' -f1)
[ -n "$KSK" ] && [ -n "$ZSK" ]; ok $? "KSK $KSK and ZSK $ZSK generated"
run_cmd "$TLDSIGN" audit list
is 0 "$rc" "audit list"
is 2 "$(printf '%s\n' "$out" | grep -c ' alice  *key generate ')" "two key generate entries by alice"
printf '%s\n' "$out" | grep -q "key generate .*tags=$KSK  ksk key, algorithm 13, zone test\., CKA_ID [0-9a-f]\{40\}, label test\.-ksk-$KSK"
ok $? "KSK entry names tag, role, algorithm, CKA_ID and label"
ds=$("$TLDSIGN" key ds "$KSK" 2>/dev/null | awk '{print $NF}')
printf '%s\n' "$out" | grep -q "^ *DS: test\. IN DS $KSK 13 2 $ds\$"
ok $? "KSK entry carries its SHA-256 DS (= key ds)"
printf '%s\n' "$out" | grep -A1 "tags=$ZSK " | grep -q "DS:"
ok $((! $?)) "ZSK entry has no DS"

run_cmd "$TLDSIGN" --now $T0 key list
is 0 "$rc" "key list"
printf '%s\n' "$out" | head -1 | grep -q "^TAG  *ROLE  *ALGORITHM  *STATE  *NEXT  *CREATED  *LABEL"
ok $? "header: TAG ROLE ALGORITHM STATE NEXT CREATED LABEL"
printf '%s\n' "$out" | grep -q "^$KSK  *ksk .* present  *- "; ok $? "not under the state machine: present"

# --- a key from a ceremony elsewhere, imported
pkcs11-tool --module "$HSM_MODULE" --token-label tldsign --login --pin "$HSM_PIN" \
	--keypairgen --key-type EC:prime256v1 --label ceremony-ksk --id 0badc0de >/dev/null 2>&1
ok $? "key pair made with pkcs11-tool"
run_cmd "$TLDSIGN" --now $T0 key import --label ceremony-ksk --role ksk
is 0 "$rc" "key import"
IMP=$(printf '%s\n' "$out" | grep -o '^[0-9]*' | head -1)
run_cmd "$TLDSIGN" audit list
printf '%s\n' "$out" | grep -q " key import  *tags=$IMP  ksk key, .*CKA_ID 0badc0de, label ceremony-ksk"
ok $? "key import entry (tag $IMP, CKA_ID, label)"
printf '%s\n' "$out" | grep -A1 " key import " | grep -q "DS: test\. IN DS $IMP 13 2 [0-9A-F]\{64\}"
ok $? "key import entry carries the DS"

# --- delete, and failures append nothing
before=$(entries)
run_cmd "$TLDSIGN" --now $T0 key delete "$IMP"
ok $((rc != 0 ? 0 : 1)) "key delete refused without --retired (exit $rc)"
cp "$I/hsm/pin" "$TMP/pin.good"; printf '0000\n' >"$I/hsm/pin"
run_cmd "$TLDSIGN" --now $T0 key generate --role zsk
is 4 "$rc" "key generate with a wrong PIN fails"
run_cmd "$TLDSIGN" --now $T0 key delete "$IMP" --retired
is 4 "$rc" "key delete with a wrong PIN fails"
cp "$TMP/pin.good" "$I/hsm/pin"
is "$before" "$(entries)" "failed operations appended nothing"
run_cmd "$TLDSIGN" --now $T0 key delete "$IMP" --retired
is 0 "$rc" "key delete --retired"
run_cmd "$TLDSIGN" audit list
printf '%s\n' "$out" | grep -q " key delete  *tags=$IMP  ksk key"; ok $? "key delete entry"
run_cmd "$TLDSIGN" key list --all
printf '%s\n' "$out" | grep -q "^$IMP  *ksk .* deleted "; ok $? "deleted key: deleted"

# --- the state machine's view
run_cmd "$TLDSIGN" --now $T0 rollover status
is 0 "$rc" "rollover status adopts the keys"
run_cmd "$TLDSIGN" --now $T0 key list
printf '%s\n' "$out" | grep -q "^$ZSK  *zsk .* generated  *- "; ok $? "adopted, not yet stepped: generated"
cat >"$TMP/advance.yaml" <<'YAML'
ceremony: advance
steps:
  - {title: advance, action: advance}
YAML
"$TLDSIGN" --now $T0 ceremony run "$TMP/advance.yaml" --yes --transcript "$TMP/a1.txt" >/dev/null 2>&1
ok $? "advance at $T0"
run_cmd "$TLDSIGN" --now $T0 key list
printf '%s\n' "$out" | grep -q "^$ZSK  *zsk .* published  *2026-11-2[0-9]T[0-9:]*Z "
ok $? "introduced: published, with its next transition time"
printf '%s\n' "$out" | grep -q "^$KSK  *ksk .* published  *2026-11-2[0-9]T[0-9:]*Z "
ok $? "KSK published, with its next transition time"
for t in 2026-11-21T13:00:00Z 2026-11-23T12:00:00Z 2026-11-24T12:00:00Z; do
	"$TLDSIGN" --now $t ceremony run "$TMP/advance.yaml" --yes --transcript "$TMP/a-$t.txt" >/dev/null 2>&1 || echo "# advance at $t failed"
done
run_cmd "$TLDSIGN" --now 2026-11-24T12:00:00Z key list
printf '%s\n' "$out" | grep -q "^$ZSK  *zsk .* active  *- "; ok $? "ZSK active, nothing pending"
printf '%s\n' "$out" | grep -q "^$KSK  *ksk .* ds seen "; ok $? "KSK waits for ds seen"

run_cmd "$TLDSIGN" audit verify
is 0 "$rc" "audit verify: the chain holds ($(printf '%s' "$out" | head -1))"
done_testing
