#pragma once
// RAII for libldap's C handles, declared once (style rule 16). Internal to ldap/.

#include <ldap.h>

#include <memory>

namespace cba::ldap {

struct ldap_unbinder {
  void operator()(LDAP* ld) const noexcept { ldap_unbind_ext(ld, nullptr, nullptr); }
};
using ldap_ptr = std::unique_ptr<LDAP, ldap_unbinder>;

struct message_deleter {
  void operator()(LDAPMessage* m) const noexcept { ldap_msgfree(m); }
};
using message_ptr = std::unique_ptr<LDAPMessage, message_deleter>;

struct ldap_memory_deleter {
  void operator()(char* p) const noexcept { ldap_memfree(p); }
};
using ldap_string = std::unique_ptr<char, ldap_memory_deleter>;

struct ber_element_deleter {
  void operator()(BerElement* b) const noexcept { ber_free(b, 0); }
};
using ber_element_ptr = std::unique_ptr<BerElement, ber_element_deleter>;

struct berval_array_deleter {
  void operator()(berval** values) const noexcept { ldap_value_free_len(values); }
};
using berval_array = std::unique_ptr<berval*, berval_array_deleter>;

}  // namespace cba::ldap
