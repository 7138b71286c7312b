// Files flowpathd creates as root where an operator says (--pidfile,
// --log-file) or beside the files it owns (lock files). A root process that writes into a directory another user can
// write to can be made to write elsewhere (a planted symbolic link) or to
// trust a file it did not create, so such directories are refused, the last
// component is never followed if it is a link, and the file must be a regular
// file of ours.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace flowpath {

// Checks `path`'s directory, creating it (mode 0755) if missing: it must be a
// directory that no other user can write to (not S_IWOTH; owned by root or by
// us). `what` names the file in messages ("pidfile", "log file").
Status check_private_directory(const std::string& path, std::string_view what);

// check_private_directory(), then open(path, flags | O_CREAT | O_NOFOLLOW |
// O_CLOEXEC | O_NOCTTY, mode): the file must be a regular file owned by us.
// Returns the descriptor.
Result<int> open_private_file(const std::string& path, int flags, mode_t mode,
                              std::string_view what);

}  // namespace flowpath
