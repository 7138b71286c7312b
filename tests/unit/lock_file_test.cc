// LockFile and open_private_file(): the files a root daemon creates where an
// operator says (pidfile, lock files beside the socket and the state file)
// are never reached through a planted symbolic link, never created in a
// directory other users can write, and are held by one process at a time.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/lock_file.h"
#include "common/private_file.h"

namespace flowpath {
namespace {

namespace fs = std::filesystem;

class LockFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lock_file_test." + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string contents(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(LockFileTest, HoldsThePidAndRefusesASecondOwner) {
  std::string path = (dir_ / "run" / "x.lock").string();  // the directory is created
  auto first = LockFile::acquire(path, "test lock");
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(contents(path), std::to_string(::getpid()) + "\n");
  EXPECT_TRUE((*first)->check_held().ok());
  auto second = LockFile::acquire(path, "test lock");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), "test lock " + path + " is held by a running flowpathd (pid " +
                                std::to_string(::getpid()) + ")");
  first->reset();
  EXPECT_FALSE(fs::exists(path)) << "the lock file stays after its owner is gone";
  EXPECT_TRUE(LockFile::acquire(path, "test lock").ok());
}

TEST_F(LockFileTest, ALockFileLeftByACrashIsTakenOver) {
  std::string path = (dir_ / "x.lock").string();
  std::ofstream(path) << "99999999\n";  // nobody holds its lock
  auto lock = LockFile::acquire(path, "test lock");
  ASSERT_TRUE(lock.ok()) << lock.error();
  EXPECT_EQ(contents(path), std::to_string(::getpid()) + "\n");
}

TEST_F(LockFileTest, ALockFileRemovedOrReplacedIsNoLongerHeld) {
  std::string path = (dir_ / "x.lock").string();
  auto lock = LockFile::acquire(path, "test lock");
  ASSERT_TRUE(lock.ok());
  fs::remove(path);
  Status held = (*lock)->check_held();
  ASSERT_FALSE(held.ok());
  EXPECT_NE(held.error().find("was removed"), std::string::npos) << held.error();
  // Another process may take a new file under the same name now; this one
  // must not remove it when it goes.
  auto other = LockFile::acquire(path, "test lock");
  ASSERT_TRUE(other.ok()) << other.error();
  held = (*lock)->check_held();
  ASSERT_FALSE(held.ok());
  EXPECT_NE(held.error().find("was replaced"), std::string::npos) << held.error();
  lock->reset();
  EXPECT_TRUE(fs::exists(path)) << "the old owner removed the new owner's lock file";
}

TEST_F(LockFileTest, APlantedSymbolicLinkIsNeverFollowed) {
  fs::path victim = dir_ / "victim";
  std::ofstream(victim) << "precious\n";
  fs::path link = dir_ / "x.lock";
  fs::create_symlink(victim, link);
  auto lock = LockFile::acquire(link.string(), "test lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error(), "test lock " + link.string() + " is a symbolic link; refusing to follow it");
  EXPECT_EQ(contents(victim), "precious\n");
  // A dangling link (to a file root would create) is refused too.
  fs::path dangling = dir_ / "y.lock";
  fs::create_symlink(dir_ / "created-through-the-link", dangling);
  EXPECT_FALSE(LockFile::acquire(dangling.string(), "test lock").ok());
  EXPECT_FALSE(fs::exists(dir_ / "created-through-the-link"));
}

TEST_F(LockFileTest, ADirectoryOtherUsersCanWriteIsRefused) {
  fs::path shared = dir_ / "shared";
  fs::create_directories(shared);
  fs::permissions(shared, fs::perms::all | fs::perms::sticky_bit);  // as /tmp
  auto lock = LockFile::acquire((shared / "x.lock").string(), "test lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.error().find("is writable by every user"), std::string::npos) << lock.error();
  EXPECT_FALSE(fs::exists(shared / "x.lock"));
}

TEST_F(LockFileTest, OnlyRegularFilesAreOpened) {
  fs::create_directories(dir_ / "x.lock");
  auto lock = LockFile::acquire((dir_ / "x.lock").string(), "test lock");
  ASSERT_FALSE(lock.ok());
  auto fd = open_private_file("/dev/null", O_RDWR, 0600, "test file");
  EXPECT_FALSE(fd.ok());  // /dev is root's, but /dev/null is not a regular file
}

}  // namespace
}  // namespace flowpath
