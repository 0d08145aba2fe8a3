#pragma once
// A value or the message explaining why the text could not become one. Used by the small parsers of
// config values (units, addresses, URLs, templates) that tests exercise directly.

#include <optional>
#include <string>

namespace cba::config {

template <class T>
struct parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty; phrased for the user ("expected ..., got ...")
};

}  // namespace cba::config
