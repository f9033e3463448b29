#!/bin/sh
# Issue 6 point 3: the parent DS check.  Two NSD servers on loopback play the
# parent (a root-like zone "." holding the delegation of test. and its DS);
# the policy lists both as parent.nameservers.  The test drives the first
# DS publication and a KSK double-DS rollover where every `ds seen` /
# `ds gone` comes from the parent check alone (no confirmation by hand):
# one server lagging (servers disagree) holds the states; the DS set nobody
# asked for holds them; both servers serving exactly the expected set
# advance them.  At every step the zone is signed and verified with each
# parent server's DS set as trust anchor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
for c in nsd kdig kzonecheck; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done
PA=15801
PB=15802
I="$TMP/inst"
mkdir -p "$I/hsm" && hsm_make_token "$I/hsm" tldsign && hsm_write_config "$I" test. || skip_all "no token"
cat >>"$I/policy.yaml" <<EOT
rollover: {ksk: double-ds, zsk: pre-publish}
ttl: {dnskey: 3600, max-zone: 86400}
parent: {ds-ttl: 3600, propagation-delay: 1h, cds: none, ds-wait-warning: 3d,
         nameservers: ["127.0.0.1@$PA", "127.0.0.1@$PB"]}
timing: {propagation-delay: 1h, publish-safety: 1h, retire-safety: 1h}
EOT
C="-c $I/tldsign.yaml"
cat >"$TMP/unsigned.zone" <<'EOT'
$ORIGIN test.
$TTL 3600
@ 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 1 1800 900 1209600 3600
@ 86400 IN NS ns1.nic.test.
ns1.nic 3600 IN A 192.0.2.1
example 86400 IN NS ns1.example.org.
EOT

# --- the parent: NSD serving "." with the delegation of test. and the DS lines in $1.ds
SERIAL=1
write_parent() { # NAME
	d="$TMP/$1"
	{
		echo ". 86400 IN SOA a.root-servers.invalid. nstld.invalid. $SERIAL 1800 900 604800 86400"
		echo ". 86400 IN NS a.root-servers.invalid."
		echo "test. 3600 IN NS ns1.nic.test."
		echo "ns1.nic.test. 3600 IN A 192.0.2.1"
		sed 's/^test\. IN DS /test. 3600 IN DS /' "$d/ds"
	} >"$d/root.zone.new"
	mv "$d/root.zone.new" "$d/root.zone"
	SERIAL=$((SERIAL + 1))
}
start_parent() { # NAME PORT
	d="$TMP/$1"
	mkdir -p "$d"
	: >"$d/ds"
	write_parent "$1"
	cat >"$d/nsd.conf" <<EOT
server:
  ip-address: 127.0.0.1@$2
  username: ""
  chroot: ""
  zonesdir: "$d"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d"
  pidfile: "$d/nsd.pid"
  logfile: "$d/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "."
  zonefile: "root.zone"
EOT
	nsd -d -c "$d/nsd.conf" >"$d/stdout.log" 2>&1 &
	echo $! >"$d/pid"
	at_exit "kill \$(cat '$d/pid') 2>/dev/null; sleep 0.2; kill -9 \$(cat '$d/pid') 2>/dev/null"
}
served_ds() { # PORT: the DS set served, one normalised line per DS, sorted
	kdig @127.0.0.1 -p "$1" +norec +time=1 +retry=0 +noall +answer test. DS 2>/dev/null |
		awk '$4 == "DS" { d = ""; for (i = 8; i <= NF; i++) d = d $i; print "test. IN DS " $5 " " $6 " " $7 " " toupper(d) }' | sort
}
wait_served() { # NAME PORT: waits (bounded) until the server serves NAME/ds
	want=$(sort "$TMP/$1/ds")
	i=0
	while [ $i -lt 50 ]; do
		[ "$(served_ds "$2")" = "$want" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
parent_set() { # NAME DS-LINES...: the parent NAME serves exactly these DS (reloaded, waited for)
	name=$1
	shift
	: >"$TMP/$name/ds"
	for l in "$@"; do [ -n "$l" ] && echo "$l" >>"$TMP/$name/ds"; done
	write_parent "$name"
	kill -HUP "$(cat "$TMP/$name/pid")"
	port=$PA
	[ "$name" = pb ] && port=$PB
	wait_served "$name" "$port"
	ok $? "parent $name serves $# DS"
}
start_parent pa $PA
start_parent pb $PB
i=0
while [ $i -lt 50 ] && ! { kdig @127.0.0.1 -p $PA +time=1 +retry=0 . SOA >/dev/null 2>&1 &&
	kdig @127.0.0.1 -p $PB +time=1 +retry=0 . SOA >/dev/null 2>&1; }; do sleep 0.2; i=$((i + 1)); done
kdig @127.0.0.1 -p $PB +time=1 +retry=0 . SOA | grep -q "status: NOERROR"; ok $? "both parent servers answer"

# --- the child: keys, signing and verification at each step
T=1795255200 # 2026-11-21T10:00:00Z
now() { date -u -d "@$T" +%Y-%m-%dT%H:%M:%SZ; }
"$TLDSIGN" $C --now "$(now)" ceremony run "$TOP/etc/ceremonies/ksk-generation.yaml" --yes \
	--transcript "$TMP/gen.txt" >"$TMP/gen.log" 2>&1 || { cat "$TMP/gen.log"; skip_all "key generation failed"; }
step=0
sign_step() { # signs at $T (a key plan run: the parent check happens here) and verifies
	step=$((step + 1))
	"$TLDSIGN" $C --now "$(now)" sign -i "$TMP/unsigned.zone" -o "$TMP/signed.$step" >"$TMP/sign.$step.log" 2>&1
	ok $? "step $step $(now): sign"
	for p in pa pb; do
		if [ -s "$TMP/$p/ds" ]; then
			"$TLDSIGN" $C --now "$(now)" verify "$TMP/signed.$step" --ds "$TMP/$p/ds" >"$TMP/verify.$step.$p.log" 2>&1
		else
			"$TLDSIGN" $C --now "$(now)" verify "$TMP/signed.$step" >"$TMP/verify.$step.$p.log" 2>&1
		fi
		ok $? "step $step: tldsign verify with parent $p's DS set ($(wc -l <"$TMP/$p/ds") DS)"
	done
	kzonecheck -d on -o test. -t "$T" "$TMP/signed.$step" >"$TMP/kz.$step.log" 2>&1
	ok $? "step $step: kzonecheck"
}
status() { "$TLDSIGN" $C --now "$(now)" rollover status 2>&1; }
next_time() { # T = next key event, else one day on
	nx=$(status | sed -n 's/^next event: \([0-9T:-]*Z\).*/\1/p')
	if [ -n "$nx" ] && [ "$(date -u -d "$nx" +%s)" -gt "$T" ]; then T=$(date -u -d "$nx" +%s); else T=$((T + 86400)); fi
}
advance_until() { # PATTERN MAX: sign and step time until rollover status matches PATTERN
	n=0
	while [ $n -lt "$2" ]; do
		sign_step
		status | grep -q "$1" && return 0
		next_time
		n=$((n + 1))
	done
	return 1
}
submit_ds() { status | sed -n 's/^DS to submit to the parent: //p'; }

# 1. first DS: the lagging server holds the state, both serving it advances it
advance_until "DS to submit to the parent" 12; ok $? "the first KSK's DS is asked of the parent"
DS1=$(submit_ds)
TAG1=$(echo "$DS1" | awk '{print $4}')
later=$(date -u -d "@$((T + 4 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
run_cmd "$TLDSIGN" $C --now "$later" rollover status
echo "$out" | grep -q "WARNING: the parent has not published this DS for more than 3d" ; ok $? "waiting longer than parent.ds-wait-warning (3d): a warning"
echo "$out" | grep -q "parent check: all 2 parent server(s) still serve the DS set {} (waiting for DS $TAG1 to appear)" ; ok $? "rollover status: neither server has it yet, in words"
parent_set pa "$DS1"
sign_step
grep -q "parent check (servers disagree)" "$TMP/sign.$step.log"; ok $? "signing run logs that the servers disagree"
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "parent check: WARNING (servers disagree): .*127.0.0.1@$PB serves {}" ; ok $? "rollover status: servers disagree, in words"
echo "$out" | grep -q "KSK $TAG1 .*DS hidden" ; ok $? "disagreement: DS still hidden (no advance)"
"$TLDSIGN" $C audit list >"$TMP/audit.txt" 2>&1
grep -q "parent-check" "$TMP/audit.txt"; [ $? -ne 0 ]; ok $? "nothing recorded by the parent check yet"
parent_set pb "$DS1"
T=$((T + 3600))
sign_step
grep -q "parent check: all 2 parent server(s) serve the expected DS set" "$TMP/sign.$step.log"; ok $? "both agree: logged"
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "KSK $TAG1 .*DS \(rumoured\|omnipresent\)" ; ok $? "both servers agree: DS seen, state advanced"
"$TLDSIGN" $C audit list >"$TMP/audit.txt" 2>&1
grep "ds seen" "$TMP/audit.txt" | grep -q "parent-check.*$TAG1\|$TAG1.*parent-check"; ok $? "audit: ds seen $TAG1 by parent-check"

# 2. KSK double-DS rollover
advance_until "KSK $TAG1 .*active; .*DS omnipresent" 10; ok $? "the first KSK is active with its DS"
run_cmd "$TLDSIGN" $C --now "$(now)" rollover start ksk
is 0 "$rc" "KSK double-DS rollover started"
advance_until "DS to submit to the parent" 12; ok $? "the new KSK's DS is asked of the parent"
DS2=$(submit_ds)
TAG2=$(echo "$DS2" | awk '{print $4}')
# a parent that swapped instead of adding: nobody asked for that set
parent_set pa "$DS2"
parent_set pb "$DS2"
step=$((step + 1))
"$TLDSIGN" $C --now "$(now)" sign -i "$TMP/unsigned.zone" -o "$TMP/signed.$step" >"$TMP/sign.$step.log" 2>&1
ok $? "step $step $(now): sign with the parent broken"
"$TLDSIGN" $C --now "$(now)" verify "$TMP/signed.$step" --ds "$TMP/pa/ds" >"$TMP/verify.$step.pa.log" 2>&1
is 5 "$?" "step $step: the parent's swapped DS set breaks the chain (tldsign verify exit 5)"
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "parent check: WARNING (unexpected DS set)" ; ok $? "old DS dropped early: unexpected set reported"
echo "$out" | grep -q "KSK $TAG2 .*DS hidden" ; ok $? "unexpected set: no advance"
parent_set pa "$DS1" "$DS2"
parent_set pb "$DS1" "$DS2"
T=$((T + 3600))
sign_step
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "KSK $TAG2 .*DS \(rumoured\|omnipresent\)" ; ok $? "both DS served by both: ds seen $TAG2"
advance_until "ask it to remove this DS, then run \`tldsign ds gone $TAG1\`" 12; ok $? "the old DS is to be withdrawn"
T=$((T + 3600))
sign_step
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "parent check: all 2 parent server(s) still serve" ; ok $? "parent has not acted: not yet, in words"
parent_set pa "$DS2"
T=$((T + 3600))
sign_step
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "KSK $TAG1 .*DS omnipresent" ; ok $? "one server removed it, the other lags: old DS kept"
parent_set pb "$DS2"
T=$((T + 3600))
sign_step
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "KSK $TAG1 .*DS \(unretentive\|hidden\)" ; ok $? "both removed it: ds gone $TAG1"
advance_until "KSK $TAG1 .*being retired; DNSKEY hidden" 12; ok $? "old KSK retired"

"$TLDSIGN" $C audit list >"$TMP/audit.txt" 2>&1
n_auto=$(grep -c "ds \(seen\|gone\)" "$TMP/audit.txt")
n_pc=$(grep "ds \(seen\|gone\)" "$TMP/audit.txt" | grep -c "parent-check")
is 3 "$n_auto" "three DS confirmations in the audit log"
is 3 "$n_pc" "all of them by the parent check"
run_cmd "$TLDSIGN" $C audit verify
is 0 "$rc" "audit log intact"
done_testing
