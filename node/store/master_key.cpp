// The master key every secret at rest is sealed under (node/store/store.h),
// its rotation, and the lock that keeps a rotation and a running node apart.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "node/store/store.h"
#include "vigil/random.h"

namespace vigil::node {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKeyFile = "master.key";
constexpr const char* kNextKeyFile = "master.key.next";

Error os_error(const std::string& what) { return make_error(ErrorCode::kInternal, what + ": " + std::strerror(errno)); }

// A file descriptor that closes itself.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Status write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("cannot write " + path.string());
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return os_error("cannot sync " + path.string());
  return {};
}

Status sync_dir(const fs::path& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0 || ::fsync(d.fd) != 0) return os_error("cannot sync " + dir.string());
  return {};
}

// Writes `key` as hex to `path` (mode 0600) so that the file either does not
// exist or is whole and on disk: a fresh temporary file (never an existing
// file or a symbolic link), synced, then renamed. With `owner`, the file gets
// that file's owner, so that a rotation run as root leaves a key the node's
// user can read.
Status write_key_file(const fs::path& path, const SecretBytes& key, const struct stat* owner = nullptr) {
  const fs::path tmp = path.string() + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return os_error("cannot remove " + tmp.string());
  std::string line = to_hex(key.span()) + "\n";
  Status written;
  {
    Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (f.fd < 0) {
      written = os_error("cannot create " + tmp.string());
    } else if (owner != nullptr && (owner->st_uid != ::geteuid() || owner->st_gid != ::getegid()) &&
               ::fchown(f.fd, owner->st_uid, owner->st_gid) != 0) {
      written = os_error("cannot give " + tmp.string() + " to uid " + std::to_string(owner->st_uid) +
                         " (the owner of the current key): run this as that user or as root");
    } else {
      written = write_all(f.fd, line.data(), line.size(), tmp);
    }
  }
  secure_wipe(line.data(), line.size());
  if (!written) {
    (void)::unlink(tmp.c_str());
    return written.error();
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return os_error("cannot rename " + tmp.string());
  return sync_dir(path.parent_path());
}

Result<SecretBytes> parse_key(std::string& hex, const std::string& source) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto bytes = from_hex_exact(hex, 32);
  secure_wipe(hex.data(), hex.size());
  if (!bytes) return make_error(ErrorCode::kInvalidInput, source + ": a master key is 64 hex digits");
  SecretBytes key(*bytes);
  secure_wipe(bytes->data(), bytes->size());
  return key;
}

Result<SecretBytes> read_key_file(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::kInvalidInput, "no master key: set VIGIL_MASTER_KEY or create " + path.string());
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(ErrorCode::kInvalidInput, path.string() + " is readable by others; run chmod 600 on it");
  }
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return os_error("cannot read " + path.string());
  std::string hex(80, '\0');
  const ssize_t n = ::read(f.fd, hex.data(), hex.size());
  if (n < 0) return os_error("cannot read " + path.string());
  hex.resize(static_cast<std::size_t>(n));
  return parse_key(hex, path.string());
}

// Overwrites an open file with zeros in place, so that its blocks do not keep
// the old key once its name points to the new one.
Status overwrite_with_zeros(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return os_error("cannot read " + path.string());
  const std::string zeros(static_cast<std::size_t>(st.st_size), '\0');
  if (::lseek(fd, 0, SEEK_SET) != 0) return os_error("cannot overwrite " + path.string());
  return write_all(fd, zeros.data(), zeros.size(), path);
}

}  // namespace

Result<SecretBytes> load_master_key(const fs::path& data_dir) {
  if (fs::exists(data_dir / kNextKeyFile)) {
    return make_error(ErrorCode::kInvalidInput, "a master-key rotation of " + data_dir.string() +
                                                    " was interrupted: run `vigil rotate-master-key --data-dir " +
                                                    data_dir.string() + "` to finish it");
  }
  if (const char* env = std::getenv("VIGIL_MASTER_KEY"); env != nullptr && *env != '\0') {
    std::string hex = env;
    return parse_key(hex, "VIGIL_MASTER_KEY");
  }
  return read_key_file(data_dir / kKeyFile);
}

Status create_master_key(const fs::path& data_dir) {
  SecretBytes key(32);
  system_rng().fill(key.mutable_span());
  return write_key_file(data_dir / kKeyFile, key);
}

Result<ResealCount> rotate_master_key(const fs::path& data_dir) {
  if (const char* env = std::getenv("VIGIL_MASTER_KEY"); env != nullptr && *env != '\0') {
    return make_error(ErrorCode::kInvalidInput,
                      "VIGIL_MASTER_KEY is set: the master key lives outside " + data_dir.string() +
                          ", where this cannot replace it; write it to " + (data_dir / kKeyFile).string() +
                          " (mode 0600), unset VIGIL_MASTER_KEY, rotate, then move the new key back");
  }
  VIGIL_ASSIGN_OR_RETURN(DataDirLock lock, DataDirLock::acquire(data_dir));
  const fs::path current_path = data_dir / kKeyFile, next_path = data_dir / kNextKeyFile;
  struct stat current_file {};
  if (::lstat(current_path.c_str(), &current_file) == 0 && !S_ISREG(current_file.st_mode)) {
    return make_error(ErrorCode::kInvalidInput, current_path.string() + " is not a regular file");
  }
  VIGIL_ASSIGN_OR_RETURN(SecretBytes current, read_key_file(current_path));
  SecretBytes next;
  if (fs::exists(next_path)) {  // an interrupted rotation: finish it with the key it chose
    VIGIL_ASSIGN_OR_RETURN(next, read_key_file(next_path));
  } else {
    next = SecretBytes(32);
    system_rng().fill(next.mutable_span());
    VIGIL_RETURN_IF_ERROR(write_key_file(next_path, next, &current_file));
  }
  ResealCount count;
  {
    VIGIL_ASSIGN_OR_RETURN(auto store, Store::open(data_dir / "vigil.db", std::move(current)));
    // On failure master.key.next stays: whether or not the transaction
    // reached the disk, running again finishes with it (and vigild refuses
    // to start meanwhile), where deleting it could lose the only key that
    // opens the data.
    auto resealed = store->reseal_under(std::move(next));
    if (!resealed) {
      return make_error(resealed.error().code, resealed.error().message + "; " + next_path.string() +
                                                   " is kept: run this again (with the right master.key) to finish");
    }
    count = *resealed;
    VIGIL_RETURN_IF_ERROR(store->forget_deleted());
  }
  // The new key takes the name first, and only then is the old file, still
  // open, overwritten: a crash in between leaves a complete rotation.
  Fd old(::open(current_path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (old.fd < 0) return os_error("cannot open " + current_path.string());
  if (::rename(next_path.c_str(), current_path.c_str()) != 0) return os_error("cannot rename " + next_path.string());
  VIGIL_RETURN_IF_ERROR(sync_dir(data_dir));
  VIGIL_RETURN_IF_ERROR(overwrite_with_zeros(old.fd, current_path));
  return count;
}

Result<DataDirLock> DataDirLock::acquire(const fs::path& data_dir) {
  // The folder itself is locked: unlike a lock file, it cannot be removed
  // from under its holder.
  const fs::path& path = data_dir;
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open " + path.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return make_error(ErrorCode::kInvalidInput,
                        data_dir.string() + " is in use by a running vigild (or another vigil command): stop it first");
    }
    errno = err;
    return os_error("cannot lock " + path.string());
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace vigil::node
