#!/bin/sh
# audit list / verify: the chain holds, and an entry edited with sqlite3 is caught.
. "$(dirname "$0")/lib.sh"
APPEND="$TLDSIGN_TOOLS/policy-audit-append"
[ -x "$APPEND" ] || skip_all "build/tools/policy-audit-append not built"
command -v sqlite3 >/dev/null || skip_all "no sqlite3"
S="$TMP/state"

"$APPEND" "$S" 2026-11-21T10:00:00Z alice "key generate" 12345 >/dev/null ; ok $? "append 1"
"$APPEND" "$S" 2026-11-21T10:05:00Z alice "rollover start" 12345 >/dev/null ; ok $? "append 2"
"$APPEND" "$S" 2026-11-22T10:00:00Z bob "ds seen" 12345 "test. 86400 IN DS 12345 13 2 AB12" >/dev/null ; ok $? "append 3"

run_cmd "$TLDSIGN" audit verify --state-dir "$S"
is 0 "$rc" "intact log verifies"
echo "$out" | grep -q "3 entries" ; ok $? "3 entries reported"
run_cmd "$TLDSIGN" audit list --state-dir "$S"
is 0 "$rc" "audit list exits 0"
echo "$out" | grep -q "ds seen" ; ok $? "list shows ds seen"
echo "$out" | grep -q "DS: test. 86400 IN DS 12345" ; ok $? "list shows the resulting DS"

cp "$S/state.db" "$TMP/clean.db"
sqlite3 "$S/state.db" "UPDATE audit SET actor = 'mallory' WHERE seq = 2" ; ok $? "edited a row with sqlite3"
run_cmd "$TLDSIGN" audit verify --state-dir "$S"
is 5 "$rc" "edited row: audit verify exits 5"
echo "$out" | grep -q "entry 2 .*edited" ; ok $? "edited row named"

cp "$TMP/clean.db" "$S/state.db"
sqlite3 "$S/state.db" "DELETE FROM audit WHERE seq = 3"
run_cmd "$TLDSIGN" audit verify --state-dir "$S"
is 5 "$rc" "removed last row: exit 5"

cd "$TMP" || exit 1
run_cmd "$TLDSIGN" -c "$TMP/none.yaml" audit verify
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "no --state-dir and no config: fails ($rc)"
echo "$out" | grep -q "none.yaml" ; ok $? "the missing config is named"
done_testing
