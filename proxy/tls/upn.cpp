#include "proxy/tls/upn.hpp"

#include "proxy/tls/x509_facts.hpp"

#include <openssl/asn1.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace cba::tls {
namespace {

constexpr std::size_t max_upn_bytes = 1024;

// Decodes one UTF-8 sequence strictly (no overlongs, no surrogates, <= U+10FFFF); nullopt when invalid.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t extra = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (lead < 0x80U) {
    ++i;
    return lead;
  }
  if ((lead & 0xe0U) == 0xc0U) {
    extra = 1;
    cp = lead & 0x1fU;
    min = 0x80;
  } else if ((lead & 0xf0U) == 0xe0U) {
    extra = 2;
    cp = lead & 0x0fU;
    min = 0x800;
  } else if ((lead & 0xf8U) == 0xf0U) {
    extra = 3;
    cp = lead & 0x07U;
    min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + extra >= s.size()) return std::nullopt;
  for (std::size_t k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0U) != 0x80U) return std::nullopt;
    cp = (cp << 6U) | (c & 0x3fU);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  i += extra + 1;
  return cp;
}

// Characters that must never reach a header value or a log line as part of an identity: controls (C0,
// DEL, C1), every Unicode space and line/paragraph separator, and invisible format characters.
bool forbidden(char32_t cp) {
  if (cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0)) return true;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f)) return true;
  return cp == 0x205f || (cp >= 0x2060 && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

upn_selection refuse(errc reason, std::string detail) { return {reason, {}, std::move(detail)}; }

// Result of one source: nothing found (try the next), or a decision.
std::optional<upn_selection> from_candidates(const std::vector<std::string>& values,
                                             std::string_view source) {
  if (values.empty()) return std::nullopt;
  for (const auto& value : values) {
    if (auto problem = upn_problem(value)) {
      return refuse(errc::upn_malformed, std::string(source) + " \"" + escape_for_log(value) +
                                             "\" is not a usable UPN: " + *problem);
    }
  }
  const std::string first = ascii_lower(values.front());
  for (const auto& value : values) {
    if (ascii_lower(value) != first) {
      return refuse(errc::upn_ambiguous, "the certificate names more than one UPN in its " +
                                             std::string(source) + ": \"" + escape_for_log(values.front()) +
                                             "\" and \"" + escape_for_log(value) + "\"");
    }
  }
  return upn_selection{errc::ok, values.front(), {}};
}

std::optional<upn_selection> from_san(X509* leaf) {
  std::vector<std::string> values;
  for (auto& upn : read_san_upns(leaf)) {
    if (upn.asn1_type == V_ASN1_EOC && upn.bytes.empty()) {
      return refuse(errc::upn_malformed, "the certificate's subjectAltName extension cannot be decoded");
    }
    if (upn.asn1_type != V_ASN1_UTF8STRING) {
      return refuse(errc::upn_malformed, std::string("SAN UPN is a ") + ASN1_tag2str(upn.asn1_type) +
                                             ", not a UTF8String: \"" + escape_for_log(upn.bytes) + "\"");
    }
    values.push_back(std::move(upn.bytes));
  }
  return from_candidates(values, "SAN UPN");
}

std::optional<upn_selection> from_subject(X509* leaf) {
  std::vector<std::string> values;
  for (auto& cn : subject_common_names(leaf)) {
    if (cn.find('@') != std::string::npos) values.push_back(std::move(cn));
  }
  return from_candidates(values, "subject CN");
}

}  // namespace

std::string escape_for_log(std::string_view bytes) {
  static constexpr std::array<char, 16> digits{'0', '1', '2', '3', '4', '5', '6', '7',
                                               '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  for (const char ch : bytes.substr(0, 256)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += ch;
    } else {
      out += "\\x";
      out += digits[c >> 4U];
      out += digits[c & 0x0fU];
    }
  }
  if (bytes.size() > 256) out += "...";
  return out;
}

std::optional<std::string> upn_problem(std::string_view upn) {
  if (upn.empty()) return "it is empty";
  if (upn.size() > max_upn_bytes) return "it is longer than 1024 bytes";
  std::size_t ats = 0;
  for (std::size_t i = 0; i < upn.size();) {
    const auto cp = next_code_point(upn, i);
    if (!cp) return "it is not valid UTF-8";
    if (*cp == 0) return "it contains a NUL character";
    if (forbidden(*cp)) return "it contains a control, space or invisible character";
    if (*cp == '@') ++ats;
  }
  if (ats != 1) return "it must contain exactly one '@'";
  const auto at = upn.find('@');
  if (at == 0) return "the part before '@' is empty";
  if (at + 1 == upn.size()) return "the part after '@' is empty";
  return std::nullopt;
}

upn_selection select_upn(X509* leaf, const config::identity_config& identity) {
  std::optional<upn_selection> found;
  for (const auto source : identity.upn_sources) {
    found = source == config::upn_source::san_upn ? from_san(leaf) : from_subject(leaf);
    if (found) break;
  }
  if (!found) {
    const bool subject_too = std::find(identity.upn_sources.begin(), identity.upn_sources.end(),
                                       config::upn_source::subject_upn) != identity.upn_sources.end();
    return refuse(errc::upn_missing,
                  subject_too ? "the certificate has no UPN: no SAN otherName 1.3.6.1.4.1.311.20.2.3 and "
                                "no subject CN of the form user@suffix"
                              : "the certificate has no UPN (SAN otherName 1.3.6.1.4.1.311.20.2.3); "
                                "the subject is not used (identity.upn_sources)");
  }
  if (found->reason != errc::ok || identity.allowed_upn_suffixes.empty()) return std::move(*found);

  const std::string& upn = found->upn;
  const std::string suffix = ascii_lower(std::string_view(upn).substr(upn.find('@')));
  for (const auto& allowed : identity.allowed_upn_suffixes) {
    std::string normalized = ascii_lower(allowed);
    if (normalized.empty() || normalized.front() != '@') normalized.insert(0, 1, '@');
    if (normalized == suffix) return std::move(*found);
  }
  return refuse(errc::upn_suffix_not_allowed,
                "UPN \"" + escape_for_log(upn) + "\" has a suffix outside identity.allowed_upn_suffixes");
}

}  // namespace cba::tls
