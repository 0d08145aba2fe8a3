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
#   users.yaml     file-directory accounts: alice (enabled), bob (disabled)
#   .complete      written last (.lock: the flock file serialising concurrent runs)
set -euo pipefail

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
cat >"$cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:proxy.example.test, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[upstream]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:upstream.example.test, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_common]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_alice]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_bob]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:bob@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_unknown]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:nobody@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_wrong_eku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_no_eku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_smartcard]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = 1.3.6.1.4.1.311.20.2.2
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_no_upn]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_two_upns]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = @two_upns
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[two_upns]
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test
otherName.2 = 1.3.6.1.4.1.311.20.2.3;UTF8:mallory@example.test
EOF

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

# issue NAME SUBJECT ISSUER EXT_SECTION [rsa]
issue() {
  if [[ ${5:-} == rsa ]]; then rsa_key "$work/$1.key"; else ec_key "$work/$1.key"; fi
  openssl req -new -config "$cnf" -key "$work/$1.key" -subj "$2" |
    openssl x509 -req -CA "$work/$3.pem" -CAkey "$work/$3.key" -set_serial "$(serial)" -days 825 \
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

chmod 600 "$work"/*.key
mv -f "$work"/* "$out"/
touch "$out/.complete"
