#!/bin/sh
# Issue 6 end to end: a KSK double-DS rollover and a ZSK pre-publication
# rollover driven through --now steps.  At every step the zone is signed
# (`tldsign sign`, which takes key use from the key plan), then checked by
# `tldsign verify` with the parent's DS set of that moment as trust anchor
# and by `dnssec-verify`.  The test plays the parent: a DS asked for appears
# (and `ds seen` is confirmed) one step later; a withdrawal likewise.
. "$(dirname "$0")/lib.sh"
exec 3>&1   # TAP lines from inside redirected loops
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
command -v dnssec-verify >/dev/null || skip_all "dnssec-verify missing"
I="$TMP/inst"
mkdir -p "$I/hsm" && hsm_make_token "$I/hsm" tldsign && hsm_write_config "$I" test. || skip_all "no token"
cat >>"$I/policy.yaml" <<'EOT'
rollover: {ksk: double-ds, zsk: pre-publish}
ttl: {dnskey: 3600, max-zone: 86400}
parent: {ds-ttl: 86400, propagation-delay: 1h, cds: none}
timing: {propagation-delay: 1h, publish-safety: 1h, retire-safety: 1h}
EOT
C="-c $I/tldsign.yaml"
cat >"$TMP/unsigned.zone" <<'EOT'
$ORIGIN test.
$TTL 3600
@ 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 1 1800 900 1209600 3600
@ 86400 IN NS ns1.nic.test.
@ 86400 IN NS ns2.nic.test.
ns1.nic 3600 IN A 192.0.2.1
ns2.nic 3600 IN A 192.0.2.2
example 86400 IN NS ns1.example.org.
secure 86400 IN NS ns1.example.org.
secure 86400 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
EOT

T=1795255200 # 2026-11-21T10:00:00Z
now() { date -u -d "@$T" +%Y-%m-%dT%H:%M:%SZ; }

"$TLDSIGN" $C --now "$(now)" ceremony run "$TOP/etc/ceremonies/ksk-generation.yaml" --yes \
	--transcript "$TMP/gen.txt" >"$TMP/gen.log" 2>&1 || { cat "$TMP/gen.log"; skip_all "key generation failed"; }

: >"$TMP/parent.ds"            # the parent's DS set (trust anchor)
: >"$TMP/pending"              # "due-time add|remove TAG DS..." lines
step=0
breaks=0
sign_and_verify() {
	step=$((step + 1))
	out_zone="$TMP/signed.$step"
	"$TLDSIGN" $C --now "$(now)" sign -i "$TMP/unsigned.zone" -o "$out_zone" >"$TMP/sign.$step.log" 2>&1
	ok $? "step $step $(now): sign"
	if [ -s "$TMP/parent.ds" ]; then
		"$TLDSIGN" $C --now "$(now)" verify "$out_zone" --ds "$TMP/parent.ds" >"$TMP/verify.$step.log" 2>&1
	else
		"$TLDSIGN" $C --now "$(now)" verify "$out_zone" >"$TMP/verify.$step.log" 2>&1
	fi
	ok $? "step $step: tldsign verify with the parent's DS set ($(wc -l <"$TMP/parent.ds") DS)"
	# Outside referees at the simulated time.  dnssec-verify cannot be told the
	# time (and hangs under libfaketime), so kzonecheck -t and
	# ldns-verify-zone -t stand in for it here.
	kzonecheck -d on -o test. -t "$T" "$out_zone" >"$TMP/kz.$step.log" 2>&1
	ok $? "step $step: kzonecheck -d on at the step's time"
	ldns-verify-zone -t "$(date -u -d "@$T" +%Y%m%d%H%M%S)" "$out_zone" >"$TMP/lv.$step.log" 2>&1
	ok $? "step $step: ldns-verify-zone at the step's time"
}
parent_acts() { # apply due parent changes, confirm them; schedule new ones from rollover status
	st=$("$TLDSIGN" $C --now "$(now)" rollover status 2>&1)
	while read -r due what tag ds; do
		[ -n "$due" ] || continue
		if [ "$due" -le "$T" ]; then
			if [ "$what" = add ]; then
				echo "$ds" >>"$TMP/parent.ds"
				"$TLDSIGN" $C --now "$(now)" ds seen "$tag" >/dev/null 2>&1 ; ok $? "parent published DS $tag" >&3
			else
				grep -v " DS $tag " "$TMP/parent.ds" >"$TMP/p.new"; mv "$TMP/p.new" "$TMP/parent.ds"
				"$TLDSIGN" $C --now "$(now)" ds gone "$tag" >/dev/null 2>&1 ; ok $? "parent removed DS $tag" >&3
			fi
		else
			echo "$due $what $tag $ds"
		fi
	done <"$TMP/pending" >"$TMP/pending.new"
	mv "$TMP/pending.new" "$TMP/pending"
	st=$("$TLDSIGN" $C --now "$(now)" rollover status 2>&1)
	echo "$st" | sed -n 's/^DS to submit to the parent: //p' | while read -r ds; do
		tag=$(echo "$ds" | awk '{print $4}')
		grep -q " add $tag " "$TMP/pending" || echo "$((T + 86400)) add $tag $ds" >>"$TMP/pending"
	done
	echo "$st" | sed -n 's/.*ask it to remove this DS, then run `tldsign ds gone \([0-9]*\)`.*/\1/p' | while read -r tag; do
		grep -q " remove $tag " "$TMP/pending" || echo "$((T + 86400)) remove $tag -" >>"$TMP/pending"
	done
}
next_time() {
	nx=$("$TLDSIGN" $C --now "$(now)" rollover status 2>/dev/null | sed -n 's/^next event: \([0-9T:-]*Z\).*/\1/p')
	cand=$(sort -n "$TMP/pending" | head -1 | cut -d' ' -f1)
	best=""
	[ -n "$nx" ] && best=$(date -u -d "$nx" +%s)
	if [ -n "$cand" ] && { [ -z "$best" ] || [ "$cand" -lt "$best" ]; }; then best=$cand; fi
	[ -n "$best" ] && [ "$best" -gt "$T" ] && T=$best || T=$((T + 86400))
}
run_until() { # END-TIME
	i=0
	while [ "$T" -lt "$1" ] && [ $i -lt 40 ]; do
		sign_and_verify
		parent_acts
		next_time
		i=$((i + 1))
	done
}

run_until $((1795255200 + 6 * 86400))
grep -q " DS " "$TMP/parent.ds" ; ok $? "the zone is secure (DS at the parent)"
KSK_OLD=$(awk '{print $4}' "$TMP/parent.ds" | head -1)

run_cmd "$TLDSIGN" $C --now "$(now)" rollover start ksk
is 0 "$rc" "KSK double-DS rollover started"
run_until $((T + 10 * 86400))
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "KSK $KSK_OLD .*DNSKEY hidden" ; ok $? "old KSK retired"
grep -q " DS $KSK_OLD " "$TMP/parent.ds" ; [ $? -ne 0 ] ; ok $? "old DS gone from the parent"

run_cmd "$TLDSIGN" $C --now "$(now)" rollover start zsk
is 0 "$rc" "ZSK pre-publication rollover started"
run_until $((T + 6 * 86400))
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "ZSK .*being retired; DNSKEY hidden" ; ok $? "old ZSK retired"
run_cmd "$TLDSIGN" $C audit verify
is 0 "$rc" "audit log intact after both rollovers"
done_testing
