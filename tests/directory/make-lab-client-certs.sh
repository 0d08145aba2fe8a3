#!/usr/bin/env bash
# make-lab-client-certs.sh PKI_DIR OUTDIR [ALICE_SID]: client certificates for the lab accounts the test
# PKI has none for, issued by the test PKI's issuing CA (clientAuth, SAN otherName UPN). NAME.pem + NAME.key:
#   dave      dave@example.test   (expired in AD)        erin    erin@example.test (locked out in AD)
#   carol     carol@corp.example  (other UPN suffix)     star    *@example.test
#   injection *)(userPrincipalName=*@example.test
#   alice-lab-sid  alice@example.test with the KB5014754 SID extension holding ALICE_SID (only when given:
#                  the lab domain's SIDs are known only once it is provisioned)
set -euo pipefail
[[ $# -eq 2 || $# -eq 3 ]] || { echo "usage: $0 PKI_DIR OUTDIR [ALICE_SID]" >&2; exit 2; }
pki=$1
out=$2
alice_sid=${3:-}
mkdir -p "$out"

# issue NAME UPN [SID]
issue() {
  local name=$1 upn=$2 sid=${3:-}
  local ext="$out/$name.ext"
  printf '%s\n' 'basicConstraints = critical, CA:FALSE' 'keyUsage = critical, digitalSignature, keyEncipherment' \
    'extendedKeyUsage = clientAuth' "subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:$upn" >"$ext"
  if [[ -n $sid ]]; then
    # AD CS's layout: SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] EXPLICIT OCTET STRING "S-1-5-..." } }
    printf '%s\n' '1.3.6.1.4.1.311.25.2 = ASN1:SEQUENCE:sid_ext' '[sid_ext]' \
      'other_name = IMPLICIT:0C,SEQUENCE:sid_other_name' '[sid_other_name]' 'type_id = OID:1.3.6.1.4.1.311.25.2.1' \
      "value = EXPLICIT:0C,OCTETSTRING:$sid" >>"$ext"
  fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/$name.key" \
    -subj "/CN=$name" 2>/dev/null |
    openssl x509 -req -CA "$pki/issuing-ca.pem" -CAkey "$pki/issuing-ca.key" -set_serial "0x$(openssl rand -hex 12)" \
      -days 2 -sha256 -extfile "$ext" -out "$out/$name.pem" 2>/dev/null
  rm -f "$ext"
}

issue dave dave@example.test
issue erin erin@example.test
issue carol carol@corp.example
issue star '*@example.test'
issue injection '*)(userPrincipalName=*@example.test'
[[ -z $alice_sid ]] || issue alice-lab-sid alice@example.test "$alice_sid"
