#include "common/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/private_file.h"

namespace flowpath {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// The pid written in a lock file, or "" if it holds none.
std::string read_pid(int fd) {
  char text[32] = {};
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i) pid += text[i];
  return pid;
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

Result<std::unique_ptr<LockFile>> LockFile::acquire(const std::string& given,
                                                    std::string_view what) {
  std::error_code ec;
  std::string path = std::filesystem::absolute(given, ec).string();
  if (ec) return make_error(std::string(what) + " " + given + ": " + ec.message());
  const std::string name = std::string(what) + " " + path;
  int fd = -1;
  // An owner that exits unlinks its file while holding the lock; if we locked
  // such a file, it is no longer under `path`: open it again.
  for (int attempt = 0; fd < 0; ++attempt) {
    TRY_ASSIGN(opened, open_private_file(path, O_RDWR, 0644, what));
    if (::flock(opened, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      std::string pid = read_pid(opened);
      ::close(opened);
      if (err == EWOULDBLOCK) {
        return make_error(name + " is held by a running flowpathd" +
                          (pid.empty() ? std::string() : " (pid " + pid + ")"));
      }
      return make_error(name + ": cannot lock it: " + errno_text(err));
    }
    struct stat locked, named;
    if (::fstat(opened, &locked) == 0 && ::lstat(path.c_str(), &named) == 0 &&
        same_file(locked, named)) {
      fd = opened;
    } else {
      ::close(opened);
      if (attempt == 10) return make_error(name + " keeps being replaced");
    }
  }
  std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    int err = errno;
    ::close(fd);
    return make_error(name + ": cannot write it: " + errno_text(err));
  }
  return std::unique_ptr<LockFile>(new LockFile(path, std::string(what), fd));
}

Status LockFile::check_held() const {
  struct stat locked, named;
  if (::fstat(fd_, &locked) != 0) {
    return make_error(what_ + " " + path_ + ": " + errno_text(errno));
  }
  if (::lstat(path_.c_str(), &named) != 0) {
    return make_error(what_ + " " + path_ + " was removed (" + errno_text(errno) +
                      "): another flowpathd may have taken over; restart this one");
  }
  if (!same_file(locked, named)) {
    return make_error(what_ + " " + path_ +
                      " was replaced: another flowpathd may have taken over; restart this one");
  }
  return Ok{};
}

Status LockFile::add_record_lock() {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;  // the whole file
  int rc;
  do {
    rc = ::fcntl(fd_, F_SETLK, &lock);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return make_error(what_ + " " + path_ + ": cannot lock it (fcntl): " + errno_text(errno));
  return Ok{};
}

LockFile::~LockFile() {
  // Unlinked while still locked: a process starting now either sees our lock
  // or creates a new file. Not if it is no longer ours.
  if (check_held().ok()) ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace flowpath
