# tests/pki/pki-lib.sh: the openssl config sections the project's PKI scripts share (tests/pki/make-test-pki.sh,
# tests/revocation/make-revocation-pki.sh, bench/make-bench-pki.sh), so their CAs and TLS leaves carry the same
# extensions, in the same order. Sourced, never run. Each function prints config text: redirect it into the
# config file.

# pki_req_sections: what `openssl req` needs; every subject comes from -subj.
pki_req_sections() {
  cat <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
CNF
}

# pki_ca_sections ROOT ISSUING [EXTRA_LINE...]: extension sections for a self-signed root and an issuing CA
# under it (pathlen 0); EXTRA_LINEs end the ISSUING section (CRL distribution point, OCSP URL).
pki_ca_sections() {
  cat <<CNF
[$1]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[$2]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
  local line
  for line in "${@:3}"; do echo "$line"; done
}

# pki_leaf_section NAME EKU SAN [EXTRA_LINE...]: a TLS leaf's extension section; "-" leaves EKU or SAN out.
pki_leaf_section() {
  echo "[$1]"
  echo "basicConstraints = critical, CA:FALSE"
  echo "keyUsage = critical, digitalSignature, keyEncipherment"
  [[ $2 == - ]] || echo "extendedKeyUsage = $2"
  [[ $3 == - ]] || echo "subjectAltName = $3"
  echo "subjectKeyIdentifier = hash"
  echo "authorityKeyIdentifier = keyid:always"
  local line
  for line in "${@:4}"; do [[ -z $line ]] || echo "$line"; done
}
