#!/bin/sh
# Issue 6 point 4: `parent.cds: delete` (the zone goes insecure).  `tldsign
# sign` publishes exactly the RFC 8078 delete records (CDS 0 0 0 00,
# CDNSKEY 0 3 0 AA==) and no per-key CDS/CDNSKEY, signed by the KSK; the
# zone validates (tldsign verify with the parent's DS, kzonecheck,
# ldns-verify-zone).  The same instance with `cds: always` publishes the
# KSK's own CDS instead, so the check can tell them apart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
for c in kzonecheck ldns-verify-zone; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done
I="$TMP/inst"
mkdir -p "$I/hsm" && hsm_make_token "$I/hsm" tldsign && hsm_write_config "$I" test. || skip_all "no token"
cp "$I/policy.yaml" "$TMP/policy.base"
set_cds() { # MODE
	cp "$TMP/policy.base" "$I/policy.yaml"
	printf 'ttl: {dnskey: 3600, max-zone: 86400}\nparent: {ds-ttl: 3600, cds: %s}\n' "$1" >>"$I/policy.yaml"
}
set_cds always
C="-c $I/tldsign.yaml"
cat >"$TMP/unsigned.zone" <<'EOT'
$ORIGIN test.
$TTL 3600
@ 3600 IN SOA ns1.nic.test. hostmaster.nic.test. 1 1800 900 1209600 3600
@ 86400 IN NS ns1.nic.test.
ns1.nic 3600 IN A 192.0.2.1
example 86400 IN NS ns1.example.org.
EOT
T=1795255200
now() { date -u -d "@$T" +%Y-%m-%dT%H:%M:%SZ; }
"$TLDSIGN" $C --now "$(now)" ceremony run "$TOP/etc/ceremonies/ksk-generation.yaml" --yes \
	--transcript "$TMP/gen.txt" >"$TMP/gen.log" 2>&1 || { cat "$TMP/gen.log"; skip_all "key generation failed"; }
KSK=$(sed -n 's/^KSK \([0-9]*\) .*/\1/p' "$TMP/gen.txt" | head -1)
[ -n "$KSK" ]; ok $? "KSK $KSK generated"

# bring the KSK in and its DS to the parent (confirmed by hand here)
i=0
while [ $i -lt 12 ]; do
	"$TLDSIGN" $C --now "$(now)" sign -i "$TMP/unsigned.zone" -o "$TMP/s.zone" >"$TMP/s.log" 2>&1
	"$TLDSIGN" $C --now "$(now)" rollover status 2>&1 | grep -q "DS to submit" && break
	T=$((T + 43200))
	i=$((i + 1))
done
"$TLDSIGN" $C --now "$(now)" rollover status 2>&1 | sed -n 's/^DS to submit to the parent: //p' >"$TMP/parent.ds"
grep -q " DS $KSK " "$TMP/parent.ds"; ok $? "the KSK's DS asked of the parent"
run_cmd "$TLDSIGN" $C --now "$(now)" ds seen "$KSK"
is 0 "$rc" "ds seen $KSK"
T=$((T + 2 * 86400))

sign_check() { # LABEL: signs at $T into $TMP/LABEL.zone and validates it
	"$TLDSIGN" $C --now "$(now)" sign -i "$TMP/unsigned.zone" -o "$TMP/$1.zone" >"$TMP/$1.log" 2>&1
	ok $? "$1: sign"
	run_cmd "$TLDSIGN" $C --now "$(now)" verify "$TMP/$1.zone" --ds "$TMP/parent.ds"
	is 0 "$rc" "$1: tldsign verify with the parent's DS"
	[ "$rc" = 0 ] || echo "$out" | head -5 | sed 's/^/# /'
	kzonecheck -d on -o test. -t "$T" "$TMP/$1.zone" >"$TMP/$1.kz" 2>&1
	ok $? "$1: kzonecheck -d on"
	ldns-verify-zone -t "$(date -u -d "@$T" +%Y%m%d%H%M%S)" "$TMP/$1.zone" >"$TMP/$1.lv" 2>&1
	ok $? "$1: ldns-verify-zone"
}
rrs() { awk -v t="$2" '$4 == t' "$TMP/$1.zone"; }

sign_check always
rrs always CDS | grep -q "CDS[[:space:]]*$KSK 13 2 "; ok $? "cds: always: the KSK's own CDS"
rrs always CDS | grep -q "CDS[[:space:]]*0 0 0 00"; [ $? -ne 0 ]; ok $? "cds: always: no delete CDS"

set_cds delete
run_cmd "$TLDSIGN" policy check "$I/policy.yaml"
echo "$out" | grep -q "parent.cds.*insecure" ; ok $? "policy check warns that the zone goes insecure"
T=$((T + 3600))
sign_check delete
is 1 "$(rrs delete CDS | wc -l)" "cds: delete: one CDS"
rrs delete CDS | grep -q "CDS[[:space:]]*0 0 0 00$"; ok $? "CDS 0 0 0 00"
is 1 "$(rrs delete CDNSKEY | wc -l)" "cds: delete: one CDNSKEY"
rrs delete CDNSKEY | grep -q "CDNSKEY[[:space:]]*0 3 0 AA==$"; ok $? "CDNSKEY 0 3 0 AA=="
rrs delete RRSIG | grep -q "RRSIG[[:space:]]*CDS 13 1 [0-9]* [0-9]* [0-9]* $KSK "; ok $? "CDS signed by the KSK $KSK"
rrs delete RRSIG | grep -q "RRSIG[[:space:]]*CDNSKEY 13 1 [0-9]* [0-9]* [0-9]* $KSK "; ok $? "CDNSKEY signed by the KSK $KSK"
ldns-read-zone "$TMP/delete.zone" 2>/dev/null | grep -q "CDS.*0 0 0 00"; ok $? "ldns reads the delete CDS back"
run_cmd "$TLDSIGN" $C --now "$(now)" rollover status
echo "$out" | grep -q "delete records are published" ; ok $? "rollover status says the zone goes insecure"
done_testing
