// Unambiguous byte strings for hashing and associated data: every
// variable-length field carries a 4-byte big-endian length prefix, so no two
// different field lists serialise alike.
#pragma once

#include <cstdint>
#include <string_view>

#include "vigil/bytes.h"

namespace vigil {

class ByteWriter {
 public:
  ByteWriter& u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
    return *this;
  }
  ByteWriter& u64(std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
    return *this;
  }
  ByteWriter& field(ByteSpan bytes) {
    u32(static_cast<std::uint32_t>(bytes.size()));
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ByteWriter& field(std::string_view text) { return field(as_bytes(text)); }
  template <std::size_t N>
  ByteWriter& field(const std::array<std::uint8_t, N>& bytes) {
    return field(ByteSpan(bytes));
  }

  const Bytes& bytes() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

}  // namespace vigil
