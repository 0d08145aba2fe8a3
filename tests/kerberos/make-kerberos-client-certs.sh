#!/usr/bin/env bash
# make-kerberos-client-certs.sh PKI_DIR OUTDIR: client certificates for the lab accounts user01..user20
# (UPN userNN@example.test), issued by the test PKI's issuing CA (clientAuth, SAN otherName UPN), as
# OUTDIR/userNN.pem + .key. For the 20-account interleaving test.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 PKI_DIR OUTDIR" >&2; exit 2; }
pki=$1
out=$2
mkdir -p "$out"

issue() {
  local name=$1 upn=$2
  local ext="$out/$name.ext"
  printf '%s\n' 'basicConstraints = critical, CA:FALSE' 'keyUsage = critical, digitalSignature, keyEncipherment' \
    'extendedKeyUsage = clientAuth' "subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:$upn" >"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/$name.key" \
    -subj "/CN=$name" 2>/dev/null |
    openssl x509 -req -CA "$pki/issuing-ca.pem" -CAkey "$pki/issuing-ca.key" -set_serial "0x$(openssl rand -hex 12)" \
      -days 2 -sha256 -extfile "$ext" -out "$out/$name.pem" 2>/dev/null
  rm -f "$ext"
}

for i in $(seq -w 1 20); do
  issue "user$i" "user$i@example.test"
done
