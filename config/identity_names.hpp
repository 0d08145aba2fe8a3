#pragma once
// Normalisation of the names used by trust and identity settings, so later code compares one form.

#include "config/parsed.hpp"

#include <string>
#include <string_view>

namespace cba::config {

// client_auth -> 1.3.6.1.5.5.7.3.2, smartcard_logon -> 1.3.6.1.4.1.311.20.2.2,
// server_auth -> 1.3.6.1.5.5.7.3.1; a dotted OID is returned as written after a syntax check.
parsed<std::string> eku_oid(std::string_view name_or_oid);
bool is_dotted_oid(std::string_view text);

// "example.test", "@Example.Test" -> "@example.test".
parsed<std::string> normalize_upn_suffix(std::string_view text);

}  // namespace cba::config
