#pragma once
// Where log lines go: the access log (one line per request or refused handshake) and event lines
// (start-up, warnings, upstream trouble). Thread-safe; each line is written whole.
// Secrets never reach this class: callers log names of files, never their contents.

#include "config/config.hpp"
#include "proxy/json_line.hpp"

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

namespace cba {

class event_log {
 public:
  using sink = std::function<void(const std::string&)>;
  // `override_sink` (tests) receives every line; else access lines follow log.access.path and events
  // go to stderr.
  event_log(const config::log_config& cfg, sink override_sink);
  ~event_log();
  event_log(const event_log&) = delete;
  event_log& operator=(const event_log&) = delete;

  bool enabled(config::log_level level) const noexcept { return level <= level_; }
  // Whether access() writes anything: callers skip building lines nobody will read.
  bool access_enabled() const noexcept { return !access_off_ || static_cast<bool>(sink_); }
  void access(json_line line);
  void event(config::log_level level, std::string_view what, json_line line = {});

 private:
  void write(std::FILE* file, const std::string& text);

  config::log_level level_;
  sink sink_;
  bool access_off_ = false;
  std::FILE* access_file_ = nullptr;  // stdout or an opened file
  bool owns_access_file_ = false;
  std::mutex mutex_;
};

std::string now_rfc3339();
std::string_view level_name(config::log_level level) noexcept;

}  // namespace cba
