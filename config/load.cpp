#include "config/load.hpp"

#include "config/file_directory_loader.hpp"
#include "config/load_anyway.hpp"
#include "config/parse.hpp"
#include "config/problem_sink.hpp"
#include "config/referenced_files.hpp"
#include "config/unsupported_features.hpp"
#include "config/validate.hpp"
#include "config/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cba::config {
namespace {

void load_users_file(proxy_config& config, const located_sink& main_file, std::vector<problem>& problems) {
  auto& file = config.directory.file;
  if (config.directory.type != directory_type::file || file.path.empty()) return;
  if (auto why = file_access_problem(file.path)) {
    main_file.add("directory.file.path", *why);
    return;
  }
  file.accounts = load_file_directory(file.path, problems);
}

// Problems of the main file first, each file in line order; the parse order is kept for equal places.
void sort_problems(std::vector<problem>& problems, const std::string& main_file) {
  std::stable_sort(problems.begin(), problems.end(), [&](const problem& a, const problem& b) {
    const bool a_other = a.file != main_file;
    const bool b_other = b.file != main_file;
    if (a_other != b_other) return !a_other;
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

std::string absolute_normal(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  return p.lexically_normal().string();
}

}  // namespace

proxy_config load_text_anyway(const std::string& yaml_text, const std::string& display_name,
                              const std::string& base_dir, const referenced_file_checker* checker,
                              std::vector<problem>& problems) {
  proxy_config config;
  config.source_file = display_name;
  reader_context context{problem_sink(display_name, problems), {}, absolute_normal(base_dir)};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    context.sink.add(to_position(e.mark), {}, "YAML syntax error: " + e.msg);
    return config;
  }
  if (!root.IsMap()) {
    context.sink.add(to_position(root.Mark(), {1, 1}), {},
                     root.IsNull() ? "the file is empty; expected listeners, trust, upstreams, routes, ..."
                                   : "expected a mapping of settings, got " + describe(root));
    return config;
  }

  parse_proxy_config(node_cursor(root, {}, to_position(root.Mark(), {1, 1}), context), config);
  const located_sink located(context.sink, context.positions);
  validate(config, located);
  check_referenced_files(config, located, checker);
  load_users_file(config, located, problems);
  report_unsupported_features(config, located);
  sort_problems(problems, display_name);
  return config;
}

load_result load_text(const std::string& yaml_text, const std::string& display_name,
                      const std::string& base_dir, const referenced_file_checker* checker) {
  load_result result;
  auto config = load_text_anyway(yaml_text, display_name, base_dir, checker, result.problems);
  if (result.problems.empty()) result.config = std::move(config);
  return result;
}

load_result load_file(const std::string& path, const referenced_file_checker* checker) {
  const std::string absolute = absolute_normal(path);
  if (auto why = file_access_problem(absolute)) {
    load_result result;
    result.problems.push_back(problem{path, 0, 0, {}, *why});
    return result;
  }
  std::ifstream in(absolute, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto result = load_text(text.str(), path, std::filesystem::path(absolute).parent_path().string(), checker);
  if (result.config) result.config->source_file = absolute;
  return result;
}

}  // namespace cba::config
