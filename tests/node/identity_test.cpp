// The node's identity key file: created with mode 0600, and refused when
// missing, readable by others, too long to be a key, or not 64 hex digits.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "node/identity.h"

namespace vigil::node {
namespace {

namespace fs = std::filesystem;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-identity-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) {
    std::ofstream(dir_ / "identity.key", std::ios::binary | std::ios::trunc) << text;
    fs::permissions(dir_ / "identity.key", fs::perms::owner_read | fs::perms::owner_write);
  }
  std::string refusal() {
    auto loaded = load_identity(dir_);
    return loaded ? "loaded" : loaded.error().message;
  }
  fs::path dir_;
};

TEST_F(IdentityTest, ACreatedKeyLoadsBackAndIsPrivate) {
  auto created = create_identity(dir_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "identity.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = load_identity(dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->public_key, created->public_key);
  EXPECT_FALSE(create_identity(dir_).ok()) << "never overwritten";
}

TEST_F(IdentityTest, RefusesMissingExposedOversizedAndMalformedFiles) {
  EXPECT_NE(refusal().find("vigil init"), std::string::npos) << "missing: " << refusal();
  write(std::string(64, 'a') + "\n");
  EXPECT_EQ(refusal(), "loaded");
  fs::permissions(dir_ / "identity.key", fs::perms::group_read, fs::perm_options::add);
  EXPECT_NE(refusal().find("chmod 600"), std::string::npos) << refusal();
  write(std::string(1 << 20, 'a'));
  EXPECT_NE(refusal().find("not an identity key"), std::string::npos) << "read whole before: " << refusal();
  write(std::string(63, 'a') + "\n");
  EXPECT_NE(refusal().find("expected 64 hex digits"), std::string::npos) << refusal();
  write(std::string(62, 'a') + "zz\n");
  EXPECT_NE(refusal().find("expected 64 hex digits"), std::string::npos) << refusal();
}

}  // namespace
}  // namespace vigil::node
