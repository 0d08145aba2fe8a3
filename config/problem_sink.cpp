#include "config/problem_sink.hpp"

namespace cba::config {

void problem_sink::add(position where, std::string key_path, std::string message) const {
  problems_->push_back(problem{file_, where.line, where.column, std::move(key_path), std::move(message)});
}

std::string format(const problem& p) {
  std::string out = p.file;
  if (p.line > 0) {
    out += ':' + std::to_string(p.line);
    if (p.column > 0) out += ':' + std::to_string(p.column);
  }
  out += ": ";
  if (!p.key_path.empty()) out += p.key_path + ": ";
  out += p.message;
  return out;
}

}  // namespace cba::config
