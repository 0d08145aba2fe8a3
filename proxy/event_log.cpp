#include "proxy/event_log.hpp"

#include <chrono>
#include <ctime>
#include <stdexcept>

namespace cba {

std::string_view level_name(config::log_level level) noexcept {
  switch (level) {
    case config::log_level::error: return "error";
    case config::log_level::warn: return "warn";
    case config::log_level::info: return "info";
    case config::log_level::debug: return "debug";
  }
  return "info";
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

event_log::event_log(const config::log_config& cfg, sink override_sink)
    : level_(cfg.level), sink_(std::move(override_sink)) {
  if (sink_) return;
  if (cfg.access.path == "off") {
    access_off_ = true;
  } else if (cfg.access.path == "-" || cfg.access.path.empty()) {
    access_file_ = stdout;
  } else {
    access_file_ = std::fopen(cfg.access.path.c_str(), "ae");
    if (access_file_ == nullptr)
      throw std::runtime_error("log.access.path: cannot open '" + cfg.access.path + "' for appending");
    owns_access_file_ = true;
  }
}

event_log::~event_log() {
  if (owns_access_file_) std::fclose(access_file_);
}

void event_log::write(std::FILE* file, const std::string& text) {
  std::lock_guard lock(mutex_);
  if (sink_) {
    sink_(text);
    return;
  }
  std::fwrite(text.data(), 1, text.size(), file);
  std::fputc('\n', file);
  std::fflush(file);
}

void event_log::access(json_line line) {
  if (access_off_ && !sink_) return;
  write(access_file_, line.str());
}

void event_log::event(config::log_level level, std::string_view what, json_line line) {
  if (!enabled(level)) return;
  json_line head;
  head.add("time", now_rfc3339()).add("level", level_name(level)).add("event", what);
  std::string text = head.str();
  const std::string rest = line.str();
  if (rest.size() > 2) {  // splice the caller's fields after ours
    text.pop_back();
    text += ',';
    text.append(rest, 1, std::string::npos);
  }
  write(stderr, text);
}

}  // namespace cba
