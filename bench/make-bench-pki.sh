#!/usr/bin/env bash
# bench/make-bench-pki.sh OUTDIR: the benchmark's two throwaway PKIs (openssl CLI only), one per key
# type, so that a row of the table is one algorithm end to end (an all-RSA PKI is what AD CS issues by
# default; an all-ECDSA one is the fast case). Idempotent: nothing is done when OUTDIR/.complete exists.
# Never commit the output.
#
# For each KT in ecdsa (P-256) and rsa (RSA-2048), OUTDIR/KT/ holds:
#   root-ca.pem               CN=Bench Root CA (trust anchor; both servers trust only this)
#   issuing-ca.pem            CN=Bench Issuing CA,DC=example,DC=test (under root; the NTAuth issuer)
#   server.pem server.key server-chain.pem   serverAuth, DNS:localhost, IP:127.0.0.1 (leaf + issuing CA)
#   client.pem client.key client-chain.pem   clientAuth, UPN alice@example.test, alice's SID extension
#                                            (a KB5014754 strong mapping, like the demo's alice-sid)
#   users.yaml                the file directory: alice, enabled, with that SID
set -euo pipefail
# shellcheck source=tests/pki/pki-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/pki/pki-lib.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
[[ -e $out/.complete ]] && exit 0
mkdir -p "$out"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

cnf=$work/openssl.cnf
{
  pki_req_sections
  pki_ca_sections root_ca issuing_ca
  pki_leaf_section server serverAuth "DNS:localhost, IP:127.0.0.1"
  pki_leaf_section client clientAuth "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test" \
    "1.3.6.1.4.1.311.25.2 = ASN1:SEQUENCE:sid_ext"
  cat <<'CNF'
[sid_ext]
other_name = IMPLICIT:0C,SEQUENCE:sid_other_name
[sid_other_name]
type_id = OID:1.3.6.1.4.1.311.25.2.1
value = EXPLICIT:0C,OCTETSTRING:S-1-5-21-1004336348-1177238915-682003330-1104
CNF
} >"$cnf"

serial() { echo "0x1$(openssl rand -hex 8 | cut -c2-)"; }

for kt in ecdsa rsa; do
  d=$work/$kt
  mkdir -p "$d"
  key() {
    if [[ $kt == rsa ]]; then
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
    else
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    fi
  }
  key "$d/root-ca.key"
  openssl req -new -x509 -config "$cnf" -extensions root_ca -key "$d/root-ca.key" \
    -subj "/O=Example/CN=Bench Root CA ($kt)" -days 3650 -sha256 -set_serial "$(serial)" -out "$d/root-ca.pem"
  # issue NAME SUBJECT ISSUER SECTION
  issue() {
    key "$d/$1.key"
    openssl req -new -config "$cnf" -key "$d/$1.key" -subj "$2" |
      openssl x509 -req -CA "$d/$3.pem" -CAkey "$d/$3.key" -set_serial "$(serial)" -days 825 -sha256 \
        -extfile "$cnf" -extensions "$4" -out "$d/$1.pem" 2>/dev/null
  }
  issue issuing-ca "/DC=test/DC=example/CN=Bench Issuing CA ($kt)" root-ca issuing_ca
  issue server "/CN=localhost" issuing-ca server
  issue client "/CN=Alice" issuing-ca client
  cat "$d/server.pem" "$d/issuing-ca.pem" >"$d/server-chain.pem"
  cat "$d/client.pem" "$d/issuing-ca.pem" >"$d/client-chain.pem"
  rm -f "$d/root-ca.key" "$d/issuing-ca.key"
  cat >"$d/users.yaml" <<'USERS'
accounts:
  - upn: alice@example.test
    sam_account_name: alice
    sid: S-1-5-21-1004336348-1177238915-682003330-1104
    dn: "CN=Alice,CN=Users,DC=example,DC=test"
    disabled: false
USERS
  chmod 600 "$d"/*.key
done
rm -f "$cnf"
mv -f "$work"/ecdsa "$work"/rsa "$out"/
touch "$out/.complete"
