#include "common/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace flowpath {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string in_what(const std::string& path, std::string_view what) {
  return std::string(what) + " " + path;
}

}  // namespace

Status check_private_directory(const std::string& path, std::string_view what) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(in_what(path, what) + ": cannot create directory " + dir.string() + ": " +
                      ec.message());
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return make_error(in_what(path, what) + ": directory " + dir.string() + ": " +
                      errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return make_error(in_what(path, what) + ": " + dir.string() + " is not a directory");
  }
  if (st.st_mode & S_IWOTH) {
    return make_error(in_what(path, what) + ": directory " + dir.string() +
                      " is writable by every user (mode " + mode_text(st.st_mode) +
                      "); another user could put a link or a file of theirs there. Use a "
                      "directory only root can write to, such as /run/flowpath, /var/lib/flowpath or /var/log/flowpath");
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return make_error(in_what(path, what) + ": directory " + dir.string() + " belongs to uid " +
                      std::to_string(st.st_uid) +
                      ", who could replace the file; use a directory of root's or of flowpathd's");
  }
  return Ok{};
}

Result<int> open_private_file(const std::string& path, int flags, mode_t mode,
                              std::string_view what) {
  TRY_STATUS(check_private_directory(path, what));
  int fd = ::open(path.c_str(), flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP) {
      return make_error(in_what(path, what) + " is a symbolic link; refusing to follow it");
    }
    return make_error(in_what(path, what) + ": " + errno_text(err));
  }
  struct stat st;
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = errno_text(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (st.st_uid != ::geteuid()) {
    problem = "belongs to uid " + std::to_string(st.st_uid) + ", not to us";
  }
  if (!problem.empty()) {
    ::close(fd);
    return make_error(in_what(path, what) + ": " + problem);
  }
  return fd;
}

}  // namespace flowpath
