#include "config/identity_names.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace cba::config {

bool is_dotted_oid(std::string_view text) {
  // At least two arcs, decimal, no leading zeros, first arc 0..2.
  std::size_t arcs = 0;
  std::size_t start = 0;
  for (;;) {
    const auto dot = text.find('.', start);
    const auto arc = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (arc.empty() || arc.size() > 20 ||
        !std::all_of(arc.begin(), arc.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (arc.size() > 1 && arc.front() == '0') return false;
    if (arcs == 0 && (arc.size() != 1 || arc.front() > '2')) return false;
    ++arcs;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return arcs >= 2;
}

parsed<std::string> eku_oid(std::string_view name_or_oid) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 3> names{{
      {"client_auth", "1.3.6.1.5.5.7.3.2"},
      {"smartcard_logon", "1.3.6.1.4.1.311.20.2.2"},
      {"server_auth", "1.3.6.1.5.5.7.3.1"},
  }};
  for (const auto& [name, oid] : names) {
    if (name == name_or_oid) return {std::string(oid), {}};
  }
  if (is_dotted_oid(name_or_oid)) return {std::string(name_or_oid), {}};
  return {std::nullopt, "expected client_auth, smartcard_logon, server_auth or a dotted OID like "
                        "1.3.6.1.5.5.7.3.2, got \"" + std::string(name_or_oid) + '"'};
}

parsed<std::string> normalize_upn_suffix(std::string_view text) {
  std::string_view suffix = text;
  if (!suffix.empty() && suffix.front() == '@') suffix.remove_prefix(1);
  const bool ok = !suffix.empty() && std::all_of(suffix.begin(), suffix.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != '@';
  });
  if (!ok) {
    return {std::nullopt, "expected a UPN suffix like @example.test, got \"" + std::string(text) + '"'};
  }
  std::string out = "@";
  for (char c : suffix) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {std::move(out), {}};
}

}  // namespace cba::config
