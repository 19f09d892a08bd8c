#include "files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vigil/dcap.h"

namespace vigil::cli {

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(ErrorCode::kInvalidInput, "cannot read " + path.string() + ": " + ec.message());
  if (size > max_bytes) {
    return make_error(ErrorCode::kInvalidInput,
                      path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kInvalidInput, "cannot open " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Status write_file(const std::filesystem::path& path, const std::string& contents, FileMode mode, bool overwrite) {
  if (!overwrite && std::filesystem::exists(path)) {
    return make_error(ErrorCode::kInvalidInput, path.string() + " already exists (use --force to replace it)");
  }
  const mode_t perms = mode == FileMode::kSecret ? 0600 : 0644;
  // mkostemp replaces the XXXXXX with a fresh name and creates the file
  // itself (mode 0600, never through a link): nothing planted in a shared
  // folder receives the contents. The final mode is set once written.
  std::string tmp = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kInvalidInput, "cannot create " + tmp + ": " + std::strerror(errno));
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(ErrorCode::kInvalidInput, "cannot write " + tmp + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, perms) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kInvalidInput, "cannot finish writing " + tmp + ": " + std::strerror(errno));
  }
  // Without overwrite, a file that appeared meanwhile is not replaced either.
  const int renamed = overwrite ? ::rename(tmp.c_str(), path.c_str())
                                : ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  if (renamed != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kInvalidInput,
                      "cannot rename " + tmp + " to " + path.string() + ": " + std::strerror(err));
  }
  return {};
}

Result<Bytes> read_quote_file(const std::filesystem::path& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 2 * dcap::kMaxQuoteBytes + 16));
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  const std::string_view trimmed =
      first == std::string::npos ? std::string_view() : std::string_view(text).substr(first, last - first + 1);
  const bool hex = !trimmed.empty() && trimmed.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
  if (!hex) return Bytes(text.begin(), text.end());
  auto bytes = from_hex(trimmed);
  if (!bytes) return make_error(ErrorCode::kBadEncoding, path.string() + ": odd number of hex digits");
  return bytes;
}

}  // namespace vigil::cli
