// --pidfile: a file holding flowpathd's process id, locked (flock) for as
// long as the daemon runs, so a second daemon started with the same pidfile
// is refused with the first one's pid, and a file left by a crash (nobody
// holds its lock) is simply taken over. Removed when the daemon exits.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

namespace flowpath::daemon {

class Pidfile {
 public:
  // Creates (or takes over) `path` with this process's id. The file is
  // opened as open_private_file() does (daemon_files.h).
  static Result<std::unique_ptr<Pidfile>> create(const std::string& path);
  // Removes the file.
  ~Pidfile();
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;

  const std::string& path() const { return path_; }

 private:
  Pidfile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace flowpath::daemon
