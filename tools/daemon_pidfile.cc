#include "daemon_pidfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "daemon_files.h"

namespace flowpath::daemon {

namespace {

// The pid written in a pidfile, or "" if it holds none.
std::string read_pid(int fd) {
  char text[32] = {};
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i) pid += text[i];
  return pid;
}

}  // namespace

Result<std::unique_ptr<Pidfile>> Pidfile::create(const std::string& given) {
  std::error_code ec;
  std::string path = std::filesystem::absolute(given, ec).string();
  if (ec) return make_error("pidfile " + given + ": " + ec.message());
  int fd = -1;
  // A daemon that exits unlinks its file while holding the lock; if we locked
  // such a file, it is no longer under `path`: open it again.
  for (int attempt = 0; fd < 0; ++attempt) {
    TRY_ASSIGN(opened, open_private_file(path, O_RDWR, 0644, "pidfile"));
    if (::flock(opened, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      std::string pid = read_pid(opened);
      ::close(opened);
      if (err == EWOULDBLOCK) {
        return make_error("pidfile " + path + " is held by a running flowpathd" +
                          (pid.empty() ? std::string() : " (pid " + pid + ")"));
      }
      return make_error("pidfile " + path + ": cannot lock it: " + errno_text(err));
    }
    struct stat locked, named;
    if (::fstat(opened, &locked) == 0 && ::stat(path.c_str(), &named) == 0 &&
        locked.st_dev == named.st_dev && locked.st_ino == named.st_ino) {
      fd = opened;
    } else {
      ::close(opened);
      if (attempt == 10) return make_error("pidfile " + path + " keeps being replaced");
    }
  }
  std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    int err = errno;
    ::close(fd);
    return make_error("pidfile " + path + ": cannot write it: " + errno_text(err));
  }
  return std::unique_ptr<Pidfile>(new Pidfile(path, fd));
}

Pidfile::~Pidfile() {
  // Unlinked while still locked: a daemon starting now either sees our lock
  // or creates a new file.
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace flowpath::daemon
