// Byte strings: hex conversion, constant-time comparison, and SecretBytes,
// a buffer for key material that wipes itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/result.h"

namespace vigil {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

std::string to_hex(ByteSpan bytes);

// Decodes lower- or upper-case hex without separators; fails with
// kBadEncoding on an odd length or a non-hex character.
Result<Bytes> from_hex(std::string_view hex);

// Like from_hex, but also requires exactly `expected_size` bytes.
Result<Bytes> from_hex_exact(std::string_view hex, std::size_t expected_size);

// Constant-time equality of two buffers (false when the sizes differ; the
// sizes themselves are not secret).
bool equal_ct(ByteSpan a, ByteSpan b);

// Overwrites memory in a way the compiler may not elide.
void secure_wipe(void* data, std::size_t size);

inline ByteSpan as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
// The inverse: bytes as a std::string (protobuf's type for `bytes` fields).
inline std::string as_string(ByteSpan bytes) { return {bytes.begin(), bytes.end()}; }

// Owned secret bytes: wiped on destruction and on move, never printed,
// compared in constant time, copied only through clone().
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : data_(size) {}
  explicit SecretBytes(ByteSpan bytes) : data_(bytes.begin(), bytes.end()) {}
  ~SecretBytes() { wipe(); }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes clone() const { return SecretBytes(ByteSpan(data_)); }

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteSpan span() const { return data_; }
  std::span<std::uint8_t> mutable_span() { return data_; }

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) { return equal_ct(a.span(), b.span()); }

 private:
  void wipe() {
    if (!data_.empty()) secure_wipe(data_.data(), data_.size());
  }
  std::vector<std::uint8_t> data_;
};

}  // namespace vigil
