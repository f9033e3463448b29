#!/bin/sh
# tldsign run signs a changed export as a patch of the published version
# (signer/patch.h) and the result is the zone the full path signs: each
# round makes a copy of the instance, runs it with the patch
# (TLDSIGN_PATCH unset) and the copy with TLDSIGN_PATCH=0 at the same time
# -- the copy also with hsm.early-workers false, so that the signing
# workers started early and those forked per batch are compared too --
# and compares the two published zone files (the signature field of RRSIGs
# made in this round aside: ECDSA signatures are not deterministic;
# inception, expiration, key tag and every other byte must match).
# Rounds: NS changed, DS added and removed (NSEC3 records come and go),
# domains added, removed and held, glue changed; a patch of a patch; many
# signatures due for refresh a week later; nothing changed (unchanged, as the
# full path); and the fall-backs: a changed policy, a missing side file, an
# edited unsigned zone of the last run.
# Every published version validates with dnssec-verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/lib-run.sh"
hsm_require
command -v dnssec-verify >/dev/null || skip_all "dnssec-verify not installed"
GEN=${TLDSIGN_TOOLS:-$TOP/build/tools}/gen-export
WM=$TOP/tests/golden/zonegen/write-manifest.sh
I=$TMP/inst
C=$I/tldsign.yaml
# nine days back: the round eight days on still signs in the past, as dnssec-verify checks against the real clock
T0=$(($(run_t0) - 9 * 86400))
at() { echo $((T0 + $1 * 60)); }
export_at() { "$WM" "$1/export" "$(date -u -d "@$(($(at "$2") - 60))" +%Y-%m-%dT%H:%M:%SZ)"; }
run_in() { # run_in DIR STEP [env...]: a run of the instance in DIR at STEP
	d=$1; step=$2; shift 2
	run_cmd env "$@" "$TLDSIGN" -c "$d/tldsign.yaml" --now "$(at "$step")" -v run
}
current_file() { sqlite3 "$1/state/state.db" "SELECT file FROM publish_versions ORDER BY id DESC LIMIT 1"; }
current_digest() { sqlite3 "$1/state/state.db" "SELECT digest FROM publish_versions ORDER BY id DESC LIMIT 1"; }
# strip FILE: the zone without the signature field of RRSIGs
strip() { awk -F'\t' 'BEGIN { OFS = "\t" } $4 == "RRSIG" { sub(/ [^ ]*$/, "", $5) } { print }' "$1"; }

# round NAME STEP EXPECT: a copy signed in full, the instance patched (EXPECT
# is "patch" or "full": which path the instance's run takes), both compared
round() {
	name=$1; step=$2; expect=$3
	export_at "$I" "$step"
	rm -rf "$TMP/full"; cp -a "$I" "$TMP/full"
	sed -i "s|$I/|$TMP/full/|g; s|$I\$|$TMP/full|g" "$TMP/full/tldsign.yaml" "$TMP/full/hsm/softhsm2.conf" 2>/dev/null
	grep -q early-workers "$TMP/full/tldsign.yaml" || sed -i 's/^hsm:$/hsm:\n  early-workers: false/' "$TMP/full/tldsign.yaml"
	run_in "$TMP/full" "$step" TLDSIGN_PATCH=0
	is 0 "$rc" "$name: the full path's run succeeds"
	[ "$rc" -eq 0 ] || echo "$out" | tail -15 | sed 's/^/#   /'
	run_in "$I" "$step"
	is 0 "$rc" "$name: the run succeeds"
	[ "$rc" -eq 0 ] || echo "$out" | tail -15 | sed 's/^/#   /'
	if [ "$expect" = patch ]; then
		echo "$out" | grep -q "a patch of the previous version"; ok $? "$name: signed as a patch"
		# the last run's unsigned.zone, as that run wrote it, is not hashed again
		echo "$out" | grep -q "identity unchanged"; ok $? "$name: the last run's unsigned.zone known by its identity"
	else
		echo "$out" | grep -q "the whole zone is signed"; ok $? "$name: the whole zone signed (fall-back)"
	fi
	a=$(current_file "$I"); b=$(current_file "$TMP/full")
	# the digest recorded (the patch's writer made it, the full run's preparation) is the file's
	is "$(sha256sum <"$a" | cut -d' ' -f1)" "$(current_digest "$I")" "$name: the digest recorded is the file's"
	is "$(sha256sum <"$b" | cut -d' ' -f1)" "$(current_digest "$TMP/full")" "$name: the full path's too"
	# the checks recorded with the last version held: nothing refused as not the one recorded
	! echo "$out" | grep -q "not the file recorded\|not the image recorded"; ok $? "$name: the last version's checks held"
	strip "$a" >"$TMP/a"; strip "$b" >"$TMP/b"
	cmp -s "$TMP/a" "$TMP/b"; ok $? "$name: the same zone as the full path's"
	[ $? -eq 0 ] || diff "$TMP/a" "$TMP/b" | head -20 | sed 's/^/#   /'
	dnssec-verify -q -o test. -x "$a" >"$TMP/dv" 2>&1; ok $? "$name: dnssec-verify accepts it"
	[ $? -eq 0 ] || sed 's/^/#   /' "$TMP/dv" | head -10
}

run_init "$I" "$(at 0)"; ok $? "init, token and keys"
printf 'verify:\n  full-every: 1h\n' >>"$C"
rm -rf "$I/export"
"$GEN" --delegations 3000 --ds-share 0.3 --seed 7 --tld test. --exported-at "$(date -u -d "@$(at 0)" +%Y-%m-%dT%H:%M:%SZ)" \
	-o "$I/export" >/dev/null; ok $? "a 3000-delegation export"
export_at "$I" 1
run_in "$I" 1
is 0 "$rc" "first run (full)"

E=$I/export
# 1: one NS changed in 1% of the rows
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 100 == 0 { $2 = "ns1.changed.example" } { print }' "$E/nameservers.csv" >"$TMP/x" &&
	mv "$TMP/x" "$E/nameservers.csv"
round "NS changed" 2 patch
# 2: DS added to insecure delegations, DS removed from secure ones (NSEC3 records come and go)
awk -F, 'NR > 1 && NR <= 40 { printf "%s,%d,13,2,%064x\n", $1, NR * 7, NR * 104729 }' "$E/domains.csv" >>"$E/ds.csv"
awk 'NR == 1 || NR % 40 != 5' "$E/ds.csv" >"$TMP/x" && mv "$TMP/x" "$E/ds.csv"
round "DS added and removed" 3 patch
# 3: domains added (with their own glue), removed, held
for n in 1 2 3 4 5; do
	echo "patchnew$n.test,ok" >>"$E/domains.csv"
	echo "patchnew$n.test,ns1.patchnew$n.test" >>"$E/nameservers.csv"
	echo "patchnew$n.test,ns2.example.net" >>"$E/nameservers.csv"
	echo "ns1.patchnew$n.test,192.0.2.$n" >>"$E/hosts.csv"
	echo "patchnew$n.test,4242,13,2,$(printf '%064x' "$n")" >>"$E/ds.csv"
done
# removed: every row of the domain goes (no bad rows left behind)
awk -F, 'NR > 1 && NR % 197 == 3 { print $1 }' "$E/domains.csv" >"$TMP/gone"
for f in domains nameservers ds dnskeys; do
	awk -F, 'NR == FNR { gone[$1] = 1; next } FNR == 1 || !($1 in gone)' "$TMP/gone" "$E/$f.csv" >"$TMP/x" &&
		mv "$TMP/x" "$E/$f.csv"
done
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 189 == 0 && $2 == "ok" { $2 = "clientHold" } { print }' "$E/domains.csv" >"$TMP/x" &&
	mv "$TMP/x" "$E/domains.csv"
round "domains added, removed, held" 4 patch
# 4: glue addresses changed (a patch of a patched version)
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 7 == 0 && $2 ~ /\./ { $2 = "198.51.100." (NR % 250) } { print }' \
	"$E/hosts.csv" >"$TMP/x" && mv "$TMP/x" "$E/hosts.csv"
round "glue changed" 5 patch
# 5: nothing changed: unchanged, as the full path
export_at "$I" 6
run_in "$I" 6
is 0 "$rc" "nothing changed: the run succeeds"
echo "$out" | grep -q "nothing changed"; ok $? "nothing changed: nothing published"
# 6: eight days on: the signatures of the first run are due for refresh
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 50 == 1 { $2 = "ns2.changed.example" } { print }' "$E/nameservers.csv" >"$TMP/x" &&
	mv "$TMP/x" "$E/nameservers.csv"
round "signatures due for refresh" $((8 * 24 * 60)) patch
# 7: a changed policy: the whole zone signed
sed -i 's/jitter: 12h/jitter: 11h/' "$I/policy.yaml"
echo "policychange.test,ok" >>"$E/domains.csv"
echo "policychange.test,ns1.example.net" >>"$E/nameservers.csv"
round "policy changed" $((8 * 24 * 60 + 10)) full
# 8: no side file of the published version: the whole zone signed
echo "nosidefile.test,ok" >>"$E/domains.csv"
echo "nosidefile.test,ns1.example.net" >>"$E/nameservers.csv"
rm -f "$I/state/previous.zone.sigs"
round "no side file" $((8 * 24 * 60 + 20)) full
# 9: the last run's unsigned.zone edited in place (one byte, same size): not the text the
# published version was signed from any more, so the whole zone is signed
echo "edited.test,ok" >>"$E/domains.csv"
echo "edited.test,ns1.example.net" >>"$E/nameservers.csv"
at=$(($(stat -c %s "$I/state/unsigned.zone") - 3))
b=$(dd if="$I/state/unsigned.zone" bs=1 skip="$at" count=1 2>/dev/null)
[ "$b" = 9 ] && b=8 || b=9
printf '%s' "$b" | dd of="$I/state/unsigned.zone" bs=1 seek="$at" conv=notrunc 2>/dev/null
round "unsigned.zone edited" $((8 * 24 * 60 + 25)) full
echo "$out" | grep -q "not the one the published version was signed from"
ok $? "unsigned.zone edited: the run says why"
# 10: and the next run patches again
echo "again.test,ok" >>"$E/domains.csv"
echo "again.test,ns1.example.net" >>"$E/nameservers.csv"
round "patching again" $((8 * 24 * 60 + 30)) patch
# 10: the last run's unsigned zone is not the one the published version was signed from (a glue address
# edited in it, the size kept): the whole zone signed (a patch would miss what the edit hides)
echo "edited.test,ok" >>"$E/domains.csv"
echo "edited.test,ns1.example.net" >>"$E/nameservers.csv"
sed -i '0,/\tA\t192\.0\.2\./s/\tA\t192\.0\.2\./\tA\t192.0.3./' "$I/state/unsigned.zone"
round "the last run's unsigned zone edited" $((8 * 24 * 60 + 40)) full
echo "$out" | grep -q "unsigned zone is not the one the published version was signed from"
ok $? "the last run's unsigned zone edited: the fall-back's reason"
done_testing
