#pragma once
// A directory under $TMPDIR removed (recursively) when the object dies.

#include <filesystem>
#include <string>
#include <string_view>

namespace cba::test {

class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "cba-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  // Writes `content` to path()/name and returns the full path.
  std::string write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// Whole file as bytes; throws std::runtime_error when unreadable.
std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view content);

}  // namespace cba::test
