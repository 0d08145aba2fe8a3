#pragma once
// The altSecurityIdentities values (explicit certificate mappings) a certificate answers to, in the
// Windows form an AD administrator stores them, and how a stored value is compared with them.
//
//   strong (KB5014754):  X509:<I>issuer<SR>serial   serial: the DER INTEGER's bytes in reverse order
//                        X509:<SKI>hex              the leaf's subjectKeyIdentifier extension
//                        X509:<SHA1-PUKEY>hex       see sha1_pukey below
//   weak:                X509:<I>issuer<S>subject, X509:<S>subject, X509:<RFC822>email
//
// Names are written most significant RDN first (DER order) with the Windows attribute keys of
// CertNameToStr: "DC=test,DC=example,CN=Example Issuing CA"; multi-valued RDNs join with '+'; a value
// holding one of , + = " ; # < > or a line break, or with leading/trailing blanks, is quoted "..." with
// inner quotes doubled (CertNameToStr's quoting, not RFC 4514's backslashes).
//
// X509:<SHA1-PUKEY>: Microsoft's texts call it the "SHA1 hash of the public key" (MS-PKCA 3.1.5.2.1.5,
// KB5014754), while Microsoft's own tool that writes these values (Entra PowerShell's
// Get-EntraUserCertificateUserIdsFromCertificate) stores the certificate's SHA-1 thumbprint
// (X509Certificate2.GetCertHashString(): SHA-1 of the whole DER certificate). Both bind one key or
// one certificate, so both are offered as candidates: the thumbprint, and SHA-1 of the
// subjectPublicKey BIT STRING's key bytes (RFC 5280 4.2.1.2 method 1, Windows' SKIHashSha1).

#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

namespace cba::tls {

enum class altsecid_kind { issuer_serial, ski, sha1_pukey, issuer_subject, subject, rfc822 };

// "issuer_serial", "ski", "sha1_pukey", "issuer_subject", "subject", "rfc822".
std::string_view altsecid_kind_name(altsecid_kind kind) noexcept;
// Strong per KB5014754: issuer_serial, ski, sha1_pukey.
bool is_strong(altsecid_kind kind) noexcept;

struct altsecid_candidate {
  altsecid_kind kind;
  std::string value;  // "X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b0a", hex lowercase
};

// Every candidate of `cert`, strong ones first. Kinds whose source the certificate lacks (no SKI
// extension, empty subject, no e-mail) are absent.
std::vector<altsecid_candidate> altsecid_candidates(X509* cert);

// The Windows form of a name (see above); empty for an empty name.
std::string windows_name_string(const X509_NAME* name);

// Whether a stored altSecurityIdentities value names this candidate. Compared case-insensitively
// (ASCII), as AD's Unicode-string attribute matching does, so hex digits of either case match; for
// issuer_serial a serial matches with or without the sign byte 00 (last in reversed order). Values
// that are not "X509:..." never match.
bool altsecid_matches(std::string_view stored, const altsecid_candidate& candidate);

}  // namespace cba::tls
