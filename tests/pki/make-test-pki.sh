#!/usr/bin/env bash
# make-test-pki.sh OUTDIR: a throwaway test PKI for cba-proxy (openssl CLI only, ECDSA P-256, unencrypted
# keys). Idempotent: when OUTDIR/.complete exists nothing is done. Safe to call concurrently for one
# OUTDIR (flock). Never commit its output.
#
# Files created in OUTDIR (NAME.pem certificate, NAME.key private key, NAME-chain.pem = leaf + issuer):
#   root-ca.pem root-ca.key            CN=Example Root CA,O=Example (self-signed trust anchor)
#   issuing-ca.pem issuing-ca.key      CN=Example Issuing CA,DC=example,DC=test (under root, pathlen 0)
#   rogue-ca.pem rogue-ca.key          CN=Example Rogue CA,DC=example,DC=test (under root, NOT in ntauth)
#   other-root-ca.pem other-root-ca.key  CN=Other Root CA,O=Other (unrelated root, unknown to the proxy)
#   roots.pem                          = root-ca.pem
#   intermediates.pem                  = issuing-ca.pem + rogue-ca.pem
#   ntauth.pem                         = issuing-ca.pem
#   server.pem server.key server-chain.pem   serverAuth; DNS:localhost, DNS:proxy.example.test,
#                                            IP:127.0.0.1, IP:::1; issued by issuing-ca
#   upstream-ca.pem upstream-ca.key    CN=Example Upstream CA,O=Example (separate root for https upstreams)
#   upstream.pem upstream.key upstream-chain.pem  serverAuth; DNS:upstream.example.test, IP:127.0.0.1
#   Client leaves (clientAuth, SAN otherName UPN 1.3.6.1.4.1.311.20.2.3 UTF8String, issuing-ca, unless
#   stated otherwise):
#     alice        UPN alice@example.test, CN=Alice
#     bob          UPN bob@example.test, CN=Bob (disabled in users.yaml)
#     unknown      UPN nobody@example.test, CN=Nobody (no account)
#     expired      UPN alice@example.test, valid 2020-01-01 .. 2021-01-01
#     wrong-eku    UPN alice@example.test, EKU serverAuth only
#     no-eku       UPN alice@example.test, no EKU extension
#     smartcard    UPN alice@example.test, EKU smartcardLogon (1.3.6.1.4.1.311.20.2.2) only
#     untrusted    UPN alice@example.test, issued by other-root-ca
#     rogue        UPN alice@example.test, issued by rogue-ca (chain valid, issuer not in ntauth)
#     no-upn       no SAN, CN=Alice
#     two-upns     SAN UPNs alice@example.test and mallory@example.test
#     subject-upn  no SAN, CN=alice@example.test
#     rsa-alice    like alice with an RSA-2048 key
#   KB5014754 mapping leaves (issuing-ca, clientAuth, UPN alice@example.test unless stated otherwise):
#     alice-sid        SID extension 1.3.6.1.4.1.311.25.2 with alice's SID
#                      S-1-5-21-1004336348-1177238915-682003330-1104 (AD CS's layout)
#     alice-sid-url    SAN URL tag:microsoft.com,2022-09-14:sid:<alice's SID>, no extension
#     alice-wrong-sid  SID extension with S-1-5-21-1004336348-1177238915-682003330-1199 (not alice's)
#     bad-sid-ext      SID extension whose value is a bare OCTET STRING (malformed)
#     strong           UPN strong@example.test, CN=Strong, serial with the high bit set (DER sign byte
#                      00); users.yaml's account "strong" holds its X509:<I>..<SR>.. value
#   users.yaml     file-directory accounts: alice (enabled), bob (disabled), strong (enabled, with
#                  alt_security_identities: the strong leaf's issuer+serial, computed here with the
#                  openssl CLI: issuer RDNs in certificate order, serial bytes reversed, upper case)
#   .complete      written last (.lock: the flock file serialising concurrent runs)
set -euo pipefail
# shellcheck source=tests/pki/pki-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/pki-lib.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
[[ -e "$out/.complete" ]] && exit 0
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
[[ -e "$out/.complete" ]] && exit 0

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

cnf=$work/openssl.cnf
upn_san="otherName:1.3.6.1.4.1.311.20.2.3;UTF8:"
sid_ext=1.3.6.1.4.1.311.25.2
{
  pki_req_sections
  pki_ca_sections root_ca issuing_ca
  pki_leaf_section server serverAuth "DNS:localhost, DNS:proxy.example.test, IP:127.0.0.1, IP:::1"
  pki_leaf_section upstream serverAuth "DNS:upstream.example.test, IP:127.0.0.1"
  cat <<'EOF'
[two_upns]
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
otherName.2 = 1.3.6.1.4.1.311.20.2.3;UTF8:mallory@example.test
[alice_sid_ext]
other_name = IMPLICIT:0C,SEQUENCE:alice_sid_other_name
[alice_sid_other_name]
type_id = OID:1.3.6.1.4.1.311.25.2.1
value = EXPLICIT:0C,OCTETSTRING:S-1-5-21-1004336348-1177238915-682003330-1104
[alice_sid_url]
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
URI.1 = tag:microsoft.com,2022-09-14:sid:S-1-5-21-1004336348-1177238915-682003330-1104
[wrong_sid_ext]
other_name = IMPLICIT:0C,SEQUENCE:wrong_sid_other_name
[wrong_sid_other_name]
type_id = OID:1.3.6.1.4.1.311.25.2.1
value = EXPLICIT:0C,OCTETSTRING:S-1-5-21-1004336348-1177238915-682003330-1199
EOF
  # The client leaves.
  pki_leaf_section client_alice clientAuth "${upn_san}alice@example.test"
  pki_leaf_section client_bob clientAuth "${upn_san}bob@example.test"
  pki_leaf_section client_unknown clientAuth "${upn_san}nobody@example.test"
  pki_leaf_section client_wrong_eku serverAuth "${upn_san}alice@example.test"
  pki_leaf_section client_no_eku - "${upn_san}alice@example.test"
  pki_leaf_section client_smartcard 1.3.6.1.4.1.311.20.2.2 "${upn_san}alice@example.test"
  pki_leaf_section client_no_upn clientAuth -
  pki_leaf_section client_two_upns clientAuth @two_upns
  pki_leaf_section client_alice_sid clientAuth "${upn_san}alice@example.test" "$sid_ext = ASN1:SEQUENCE:alice_sid_ext"
  pki_leaf_section client_alice_sid_url clientAuth @alice_sid_url
  pki_leaf_section client_alice_wrong_sid clientAuth "${upn_san}alice@example.test" \
    "$sid_ext = ASN1:SEQUENCE:wrong_sid_ext"
  # Not the structure AD CS writes: a bare OCTET STRING, which the proxy must refuse.
  pki_leaf_section client_bad_sid_ext clientAuth "${upn_san}alice@example.test" \
    "$sid_ext = ASN1:OCTETSTRING:S-1-5-21-1004336348-1177238915-682003330-1104"
  pki_leaf_section client_strong clientAuth "${upn_san}strong@example.test"
} >"$cnf"

# `openssl ca` is the only 3.0 tool that sets an arbitrary notBefore (for the expired leaf).
mkdir -p "$work/ca"
: >"$work/ca/index.txt"
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = backdated
[backdated]
database = $work/ca/index.txt
new_certs_dir = $work/ca
default_md = sha256
policy = any
unique_subject = no
rand_serial = yes
[any]
commonName = supplied
EOF

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 8 | sed 's/^./1/')"; }

# self_signed NAME SUBJECT
self_signed() {
  ec_key "$work/$1.key"
  openssl req -new -x509 -config "$cnf" -extensions root_ca -key "$work/$1.key" -subj "$2" \
    -days 3650 -sha256 -set_serial "$(serial)" -out "$work/$1.pem"
}

# issue NAME SUBJECT ISSUER EXT_SECTION [rsa|ec] [SERIAL]
issue() {
  if [[ ${5:-} == rsa ]]; then rsa_key "$work/$1.key"; else ec_key "$work/$1.key"; fi
  openssl req -new -config "$cnf" -key "$work/$1.key" -subj "$2" |
    openssl x509 -req -CA "$work/$3.pem" -CAkey "$work/$3.key" -set_serial "${6:-$(serial)}" -days 825 \
      -sha256 -extfile "$cnf" -extensions "$4" -out "$work/$1.pem" 2>/dev/null
  cat "$work/$1.pem" "$work/$3.pem" >"$work/$1-chain.pem"
}

self_signed root-ca "/O=Example/CN=Example Root CA"
self_signed other-root-ca "/O=Other/CN=Other Root CA"
self_signed upstream-ca "/O=Example/CN=Example Upstream CA"
issue issuing-ca "/DC=test/DC=example/CN=Example Issuing CA" root-ca issuing_ca
issue rogue-ca "/DC=test/DC=example/CN=Example Rogue CA" root-ca issuing_ca
rm -f "$work/issuing-ca-chain.pem" "$work/rogue-ca-chain.pem"

issue server "/CN=proxy.example.test" issuing-ca server
issue upstream "/CN=upstream.example.test" upstream-ca upstream

issue alice "/CN=Alice" issuing-ca client_alice
issue bob "/CN=Bob" issuing-ca client_bob
issue unknown "/CN=Nobody" issuing-ca client_unknown
issue wrong-eku "/CN=Alice" issuing-ca client_wrong_eku
issue no-eku "/CN=Alice" issuing-ca client_no_eku
issue smartcard "/CN=Alice" issuing-ca client_smartcard
issue untrusted "/CN=Alice" other-root-ca client_alice
issue rogue "/CN=Alice" rogue-ca client_alice
issue no-upn "/CN=Alice" issuing-ca client_no_upn
issue two-upns "/CN=Alice" issuing-ca client_two_upns
issue subject-upn "/CN=alice@example.test" issuing-ca client_no_upn
issue rsa-alice "/CN=Alice" issuing-ca client_alice rsa
issue alice-sid "/CN=Alice" issuing-ca client_alice_sid
issue alice-sid-url "/CN=Alice" issuing-ca client_alice_sid_url
issue alice-wrong-sid "/CN=Alice" issuing-ca client_alice_wrong_sid
issue bad-sid-ext "/CN=Alice" issuing-ca client_bad_sid_ext
# The high bit makes DER prepend a 00 sign byte: the <SR> form then ends in 00.
issue strong "/CN=Strong" issuing-ca client_strong ec "0x8$(openssl rand -hex 8 | cut -c2-)"

# X509:<I>issuer<SR>serial of the strong leaf, the way AD administrators' tools write it: issuer RDNs
# in certificate order (openssl prints them so without dn_rev), the DER INTEGER's bytes (sign byte
# included) reversed, upper case. Computed with the CLI, independently of the proxy's code.
strong_issuer=$(openssl x509 -in "$work/strong.pem" -noout -issuer -nameopt sep_comma_plus,sname,utf8 |
  sed 's/^issuer=//')
strong_serial=$(openssl x509 -in "$work/strong.pem" -noout -serial | sed 's/^serial=//')
if (( ${#strong_serial} % 2 )); then strong_serial=0$strong_serial; fi
if [[ $strong_serial =~ ^[89A-F] ]]; then strong_serial=00$strong_serial; fi
strong_altsecid="X509:<I>$strong_issuer<SR>$(echo "$strong_serial" | fold -w2 | tac | tr -d '\n')"

ec_key "$work/expired.key"
openssl req -new -config "$cnf" -key "$work/expired.key" -subj "/CN=Alice" -out "$work/expired.csr"
openssl ca -config "$work/ca.cnf" -batch -notext -md sha256 -cert "$work/issuing-ca.pem" \
  -keyfile "$work/issuing-ca.key" -startdate 20200101000000Z -enddate 20210101000000Z \
  -extfile "$cnf" -extensions client_alice -in "$work/expired.csr" -out "$work/expired.pem" 2>/dev/null
cat "$work/expired.pem" "$work/issuing-ca.pem" >"$work/expired-chain.pem"
rm -rf "$work/expired.csr" "$work/ca" "$work/ca.cnf" "$work/openssl.cnf"

cp "$work/root-ca.pem" "$work/roots.pem"
cat "$work/issuing-ca.pem" "$work/rogue-ca.pem" >"$work/intermediates.pem"
cp "$work/issuing-ca.pem" "$work/ntauth.pem"

cat >"$work/users.yaml" <<'EOF'
# Accounts of the file directory (directory.type: file), matching the test PKI's client certificates.
accounts:
  - upn: alice@example.test
    sam_account_name: alice
    sid: S-1-5-21-1004336348-1177238915-682003330-1104
    dn: "CN=Alice,CN=Users,DC=example,DC=test"
    disabled: false
  - upn: bob@example.test
    sam_account_name: bob
    sid: S-1-5-21-1004336348-1177238915-682003330-1105
    dn: "CN=Bob,CN=Users,DC=example,DC=test"
    disabled: true
EOF
cat >>"$work/users.yaml" <<EOF
  - upn: strong@example.test
    sam_account_name: strong
    sid: S-1-5-21-1004336348-1177238915-682003330-1110
    dn: "CN=Strong,CN=Users,DC=example,DC=test"
    disabled: false
    alt_security_identities: ["$strong_altsecid"]
EOF

chmod 600 "$work"/*.key
mv -f "$work"/* "$out"/
touch "$out/.complete"
