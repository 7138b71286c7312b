// A lock file: a regular file holding the pid of the process that owns
// something (a pidfile, a control socket, a state file), locked with flock()
// for as long as that process runs. A second process is refused, told the
// owner's pid; a file left by a crash (nobody holds its lock) is taken over.
// The file is opened as open_private_file() does: never through a symbolic
// link, only in a directory no other user can write.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flowpath {

class LockFile {
 public:
  // Creates (or takes over) `path`, locks it and writes this process's pid.
  // `what` names the file in messages ("pidfile", "state file lock").
  static Result<std::unique_ptr<LockFile>> acquire(const std::string& path, std::string_view what);
  // Removes the file, then lets the lock go.
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  // Whether `path` still names the file this process locked: an operator (or
  // a script) that removed or replaced it may have let a second process take
  // the lock.
  Status check_held() const;
  // Also takes a POSIX record lock (fcntl F_SETLK, the whole file) besides
  // the flock(): Open vSwitch's tools (ovs-appctl reading NAME.pid) check a
  // pidfile's owner with F_GETLK, which does not see flock()s. The process
  // loses a record lock when it closes any descriptor of the file, so this
  // is only for a file nothing else in the process opens.
  Status add_record_lock();
  const std::string& path() const { return path_; }

 private:
  LockFile(std::string path, std::string what, int fd)
      : path_(std::move(path)), what_(std::move(what)), fd_(fd) {}
  std::string path_;
  std::string what_;
  int fd_;
};

}  // namespace flowpath
