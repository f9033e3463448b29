#!/bin/sh
# ceremony run: --yes runs every step and writes the transcript; a declined
# confirmation and a failing step stop the ceremony with nothing half-done;
# malformed scripts are named by file:line:column.
. "$(dirname "$0")/lib.sh"
ADOPT="$TLDSIGN_TOOLS/policy-adopt-key"
[ -x "$ADOPT" ] || skip_all "build/tools/policy-adopt-key not built"
S="$TMP/state"
T0=2026-11-21T10:00:00Z
"$ADOPT" "$S" test. 11111 13 ksk $T0 >/dev/null ; ok $? "KSK adopted"
"$ADOPT" "$S" test. 22222 13 zsk $T0 >/dev/null ; ok $? "ZSK adopted"
CER="$TOP/etc/ceremonies"
cd "$TMP" || exit 1

cat > "$TMP/walk.yaml" <<'YAML'
ceremony: Bring keys in
participants: [Alice (administrator)]
steps:
  - title: Check the log
    action: audit-verify
  - title: Advance
    action: advance
  - title: Status
    action: status
YAML
run_cmd "$TLDSIGN" --now $T0 ceremony run "$TMP/walk.yaml" --yes --participant "Bob (witness)" \
	--state-dir "$S" --zone test. --transcript "$TMP/t1.txt"
is 0 "$rc" "walk ceremony with --yes: exit 0"
[ -s "$TMP/t1.txt" ] ; ok $? "transcript written"
grep -q "Alice (administrator), Bob (witness)" "$TMP/t1.txt" ; ok $? "participants from script and command line"
grep -q "Step 3 of 3: Status" "$TMP/t1.txt" ; ok $? "every step in the transcript"
grep -q "KSK 11111" "$TMP/t1.txt" ; ok $? "key tags in the transcript"
grep -q "Audit log head after the ceremony: entry" "$TMP/t1.txt" ; ok $? "audit head recorded"
grep -q "Result: completed" "$TMP/t1.txt" ; ok $? "completed"

# move time on so the DS is asked for, then the DS-seen ceremony
run_cmd "$TLDSIGN" --now 2026-11-24T10:00:00Z ceremony run "$TMP/walk.yaml" --yes --state-dir "$S" \
	--zone test. --transcript "$TMP/t2.txt"
grep -q "tldsign ds seen 11111" "$TMP/t2.txt" ; ok $? "status asks for ds seen 11111"
run_cmd "$TLDSIGN" --now 2026-11-25T10:00:00Z ceremony run "$CER/ds-seen.yaml" --yes --state-dir "$S" \
	--zone test. --transcript "$TMP/t3.txt"
is 2 "$rc" "ds-seen script without --key-tag: usage error"
[ ! -e "$TMP/t3.txt" ] ; ok $? "no transcript for a ceremony that never started"
run_cmd "$TLDSIGN" --now 2026-11-25T10:00:00Z ceremony run "$CER/ds-seen.yaml" --yes --key-tag 11111 \
	--state-dir "$S" --zone test. --transcript "$TMP/t3.txt"
is 0 "$rc" "ds-seen ceremony: exit 0"
grep -q "DS rumoured" "$TMP/t3.txt" ; ok $? "DS rumoured after the ceremony"

run_cmd "$TLDSIGN" audit list --state-dir "$S"
echo "$out" | grep -q "ds seen .*tags=11111" ; ok $? "ds seen audited"
echo "$out" | grep -q "ceremony step" ; ok $? "ceremony steps audited"
run_cmd "$TLDSIGN" audit verify --state-dir "$S"
is 0 "$rc" "audit chain intact after ceremonies"
before=$(echo "$out" | sed -n 's/.*intact: \([0-9]*\) entries.*/\1/p')

# declined confirmation: step not performed
echo no | "$TLDSIGN" --now 2026-11-26T10:00:00Z ceremony run "$CER/ds-seen.yaml" --key-tag 11111 \
	--state-dir "$S" --zone test. --transcript "$TMP/t4.txt" >/dev/null 2>&1
rc=$?
ok $([ $rc -ne 0 ] && echo 0 || echo 1) "declined: non-zero exit ($rc)"
grep -q "DECLINED" "$TMP/t4.txt" ; ok $? "declined in the transcript"
grep -q "Result: STOPPED" "$TMP/t4.txt" ; ok $? "stopped"

# failing step (no HSM in this build): stops, later steps do not run
run_cmd "$TLDSIGN" --now 2026-11-26T10:00:00Z ceremony run "$CER/ksk-generation.yaml" --yes \
	--state-dir "$S" --zone test. --transcript "$TMP/t5.txt"
ok $([ $rc -ne 0 ] && echo 0 || echo 1) "failing step: non-zero exit"
grep -q "FAILED" "$TMP/t5.txt" ; ok $? "failure in the transcript"
grep -q "Step 4 of" "$TMP/t5.txt" ; [ $? -ne 0 ] ; ok $? "later steps not run"
run_cmd "$TLDSIGN" audit verify --state-dir "$S"
after=$(echo "$out" | sed -n 's/.*intact: \([0-9]*\) entries.*/\1/p')
is $((before + 2)) "$after" "only the two completed steps of the failed ceremony were audited"

printf 'ceremony: bad\nsteps:\n  - action: ds-seen\n    key-tag: 70000\n' > "$TMP/bad.yaml"
run_cmd "$TLDSIGN" ceremony run "$TMP/bad.yaml" --yes --state-dir "$S" --zone test.
is 2 "$rc" "bad key tag: exit 2"
echo "$out" | grep -q "bad.yaml:4:14: key-tag must be a number" ; ok $? "error names file:line:column"
printf 'ceremony: bad\nsteps:\n  - action: explode\n' > "$TMP/bad2.yaml"
run_cmd "$TLDSIGN" ceremony run "$TMP/bad2.yaml" --yes --state-dir "$S" --zone test.
echo "$out" | grep -q "bad2.yaml:3:13: unknown action 'explode'" ; ok $? "unknown action named"
for f in "$CER"/*.yaml; do
	printf 'x\n' | "$TLDSIGN" --now 2026-11-27T10:00:00Z ceremony run "$f" --key-tag 1 --state-dir "$S" \
		--zone test. --transcript "$TMP/parse-$(basename "$f").txt" >/dev/null 2>&1
	grep -q "Step 1 of" "$TMP/parse-$(basename "$f").txt" ; ok $? "$(basename "$f") parses"
done
done_testing
