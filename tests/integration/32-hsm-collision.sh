#!/bin/sh
# Key-tag collision refusal: two P-256 keys with one key tag, made outside
# tldsign (bounded birthday search with OpenSSL, imported with
# softhsm2-util); `key import` accepts the first and refuses the second.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
[ -x "$TLDSIGN_TOOLS/hsm_tag_collision" ] || skip_all "build/tools/hsm_tag_collision not built"

I=$TMP/inst
mkdir -p "$I/hsm" && hsm_make_token "$I/hsm" tldsign && hsm_write_config "$I" test.
ok $? "empty instance"
TLDSIGN_CONFIG=$I/tldsign.yaml; export TLDSIGN_CONFIG
set -- $("$TLDSIGN_TOOLS/hsm_tag_collision" "$TMP/a.pem" "$TMP/b.pem")
tag=$1
ok $? "two keys share tag $tag (found after $2 keys)"
softhsm2-util --import "$TMP/a.pem" --token tldsign --label ceremony-a --id 0a0a --pin "$HSM_PIN" >/dev/null
ok $? "first key imported into the token"
softhsm2-util --import "$TMP/b.pem" --token tldsign --label ceremony-b --id 0b0b --pin "$HSM_PIN" >/dev/null
ok $? "second key imported into the token"
run_cmd "$TLDSIGN" key import --label ceremony-a --role ksk
is 0 "$rc" "key import of the first key"
is "$tag" "$(printf '%s\n' "$out" | grep -v '^tldsign:' | cut -d' ' -f1)" "recorded with tag $tag"
run_cmd "$TLDSIGN" key import --label ceremony-b --role ksk
[ "$rc" -ne 0 ]; ok $? "key import of the colliding key refused (exit $rc)"
printf '%s\n' "$out" | grep -q "key tag $tag, already used by ksk key \"ceremony-a\""; ok $? "message names both keys"
is 1 "$(sqlite3 "$I/state/state.db" "SELECT count(*) FROM keys")" "only one key recorded"
done_testing
