#!/usr/bin/env bash
# make-revocation-pki.sh OUTDIR PORT: a small PKI run with `openssl ca` (index.txt databases), for the
# revocation tests. Every CRL distribution point and OCSP URL points at http://127.0.0.1:PORT, where the
# test's loopback server answers. ECDSA P-256, unencrypted keys; never commit the output.
#
#   root-ca.pem/.key          CN=Revocation Root CA (self-signed); database root-ca/
#   issuing-ca.pem/.key       CN=Revocation Issuing CA, issued by root-ca; CDP /root-ca.crl,
#                             AIA OCSP /ocsp/root-ca; database issuing-ca/
#   ocsp-issuing.pem/.key     delegated OCSP signer of issuing-ca (EKU OCSPSigning, ocspNoCheck)
#   good, revoked, victim     client leaves (clientAuth, SAN UPN alice@example.test) of issuing-ca with
#                             CDP /issuing-ca.crl and AIA OCSP /ocsp/issuing-ca; `revoked` is revoked
#                             (keyCompromise) here, `victim` is for tests to revoke
#   bare                      like good, without CDP and AIA
#   LEAF-chain.pem            leaf + issuing-ca
#   roots.pem = root-ca.pem, intermediates.pem = issuing-ca.pem
#   issuing-ca.crl root-ca.crl (PEM, next update in 1 day) and *.crl.der (DER), made last
# Later CRLs: gencrl CA [SECONDS]; revocations: revoke CA LEAF (functions below, also callable as
# `make-revocation-pki.sh --gencrl OUTDIR CA [SECONDS]` and `--revoke OUTDIR CA LEAF`).
set -euo pipefail
# shellcheck source=tests/pki/pki-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../pki/pki-lib.sh"

gencrl() {  # OUT CA [SECONDS]
  local out=$1 ca=$2 secs=${3:-86400}
  openssl ca -batch -config "$out/$ca/ca.cnf" -gencrl -crlsec "$secs" -out "$out/$ca.crl.tmp" 2>/dev/null
  openssl crl -in "$out/$ca.crl.tmp" -outform DER -out "$out/$ca.crl.der.tmp"
  mv "$out/$ca.crl.tmp" "$out/$ca.crl"
  mv "$out/$ca.crl.der.tmp" "$out/$ca.crl.der"
}

revoke() {  # OUT CA LEAF
  openssl ca -batch -config "$1/$2/ca.cnf" -revoke "$1/$3.pem" -crl_reason keyCompromise 2>/dev/null
}

if [[ ${1:-} == --gencrl ]]; then gencrl "$2" "$3" "${4:-86400}"; exit 0; fi
if [[ ${1:-} == --revoke ]]; then revoke "$2" "$3" "$4"; exit 0; fi
if [[ $# -ne 2 ]]; then
  echo "usage: $0 OUTDIR PORT" >&2
  exit 2
fi
out=$1
port=$2
base="http://127.0.0.1:$port"
mkdir -p "$out"

ca_config() {  # CA
  local ca=$1
  mkdir -p "$out/$ca/certs"
  : >"$out/$ca/index.txt"
  echo 1000 >"$out/$ca/serial"
  echo 1000 >"$out/$ca/crlnumber"
  {
    cat <<CNF
[ca]
default_ca = ca_default
[ca_default]
dir = $out/$ca
database = \$dir/index.txt
new_certs_dir = \$dir/certs
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $out/$ca.pem
private_key = $out/$ca.key
default_md = sha256
default_days = 30
default_crl_days = 1
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
CNF
    pki_req_sections
    pki_ca_sections root_ext issuing_ext "crlDistributionPoints = URI:$base/root-ca.crl" \
      "authorityInfoAccess = OCSP;URI:$base/ocsp/root-ca"
    # Leaves that only sign, without a subject key id: not pki_leaf_section's TLS leaves.
    cat <<CNF
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:$base/issuing-ca.crl
authorityInfoAccess = OCSP;URI:$base/ocsp/issuing-ca
[bare_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
authorityKeyIdentifier = keyid:always
[ocsp_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
authorityKeyIdentifier = keyid:always
CNF
  } >"$out/$ca/ca.cnf"
}

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$1.key" 2>/dev/null; }

issue() {  # CA NAME SUBJECT EXTENSIONS
  key "$2"
  openssl req -new -config "$out/$1/ca.cnf" -key "$out/$2.key" -subj "$3" -out "$out/$2.csr"
  openssl ca -batch -notext -preserveDN -config "$out/$1/ca.cnf" -extensions "$4" -in "$out/$2.csr" \
    -out "$out/$2.pem" 2>/dev/null
  rm -f "$out/$2.csr"
}

ca_config root-ca
ca_config issuing-ca
key root-ca
openssl req -new -x509 -config "$out/root-ca/ca.cnf" -extensions root_ext -key "$out/root-ca.key" \
  -subj "/O=Example/CN=Revocation Root CA" -days 30 -out "$out/root-ca.pem"
issue root-ca issuing-ca "/DC=test/DC=example/CN=Revocation Issuing CA" issuing_ext
issue issuing-ca ocsp-issuing "/CN=Revocation Issuing CA OCSP" ocsp_ext
for leaf in good revoked victim; do
  issue issuing-ca "$leaf" "/CN=Alice $leaf" leaf_ext
done
issue issuing-ca bare "/CN=Alice bare" bare_ext
for leaf in good revoked victim bare; do cat "$out/$leaf.pem" "$out/issuing-ca.pem" >"$out/$leaf-chain.pem"; done
cp "$out/root-ca.pem" "$out/roots.pem"
cp "$out/issuing-ca.pem" "$out/intermediates.pem"
revoke "$out" issuing-ca revoked
gencrl "$out" issuing-ca
gencrl "$out" root-ca
