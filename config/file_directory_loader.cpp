#include "config/file_directory_loader.hpp"
#include "config/ascii_case.hpp"

#include "config/field_readers.hpp"
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace cba::config {

bool is_plausible_upn(std::string_view upn) {
  const auto at = upn.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == upn.size()) return false;
  if (upn.find('@', at + 1) != std::string_view::npos) return false;
  return std::all_of(upn.begin(), upn.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
}

bool is_sid_string(std::string_view sid) {
  if (!sid.starts_with("S-1-") || sid.size() == 4) return false;
  std::size_t digits = 0;
  for (const char c : sid.substr(4)) {
    if (c == '-') {
      if (digits == 0) return false;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 10) return false;
    } else {
      return false;
    }
  }
  return digits > 0;
}

namespace {

struct seen_upn {
  std::string lower_upn;
  std::string key_path;
  int line = 0;
};

file_account parse_account(const node_cursor& item, std::vector<seen_upn>& seen) {
  file_account a;
  map_cursor m(item);
  if (auto upn = m.require("upn"); read_string(upn, a.upn)) {
    if (!is_plausible_upn(a.upn)) {
      upn->report("expected a UPN like alice@example.test (exactly one '@', no spaces), got \"" + a.upn + '"');
    } else {
      const auto key = ascii_lower(a.upn);
      const auto twice = std::find_if(seen.begin(), seen.end(), [&](const seen_upn& s) { return s.lower_upn == key; });
      if (twice != seen.end()) {
        upn->report("duplicate upn '" + a.upn + "' (also " + twice->key_path + " at line " +
                    std::to_string(twice->line) + "; UPNs are case-insensitive)");
      } else {
        seen.push_back({key, item.key_path(), upn->where().line});
      }
    }
  }
  read_string(m.require("sam_account_name"), a.sam_account_name);
  if (auto sid = m.get("sid"); read_string(sid, a.sid) && !is_sid_string(a.sid)) {
    sid->report("expected a SID like S-1-5-21-1004336348-1177238915-682003330-1104, got \"" + a.sid + '"');
  }
  read_string(m.get("dn"), a.dn);
  read_bool(m.get("disabled"), a.disabled);
  read_string_list(m.get("alt_security_identities"), a.alt_security_identities);
  m.finish();
  return a;
}

}  // namespace

std::vector<file_account> parse_file_directory(const std::string& yaml_text, const std::string& display_name,
                                               std::vector<problem>& problems) {
  std::vector<file_account> accounts;
  reader_context context{problem_sink(display_name, problems), {}, {}};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    context.sink.add(to_position(e.mark), {}, "YAML syntax error: " + e.msg);
    return accounts;
  }
  const node_cursor root_cursor(root, {}, to_position(root.Mark(), {1, 1}), context);
  map_cursor m(root_cursor);
  if (!m.valid()) return accounts;
  std::vector<seen_upn> seen;
  if (auto list = m.require("accounts")) {
    for (const auto& item : list->items("a list of accounts")) accounts.push_back(parse_account(item, seen));
  }
  m.finish();
  return accounts;
}

std::vector<file_account> load_file_directory(const std::string& path, std::vector<problem>& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.push_back(problem{path, 0, 0, {}, "cannot read the users file"});
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_file_directory(text.str(), path, problems);
}

}  // namespace cba::config
