// Peer frames: a 4-byte big-endian length, then that many bytes of a
// serialised protobuf message. The codec is a pure function of bytes,
// testable and fuzzable without a socket: a length over the cap is an error
// before anything is allocated, so a peer cannot make a node buffer more
// than one maximal frame.
#pragma once

#include <cstddef>
#include <vector>

#include "vigil/bytes.h"

namespace vigil::node {

inline constexpr std::size_t kFrameHeaderBytes = 4;

// Fails with kInvalidInput when the payload exceeds `max_frame_bytes`.
Result<Bytes> encode_frame(ByteSpan payload, std::size_t max_frame_bytes);

// Incremental decoder for one connection's byte stream.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Consumes `bytes` and appends every completed frame to `frames`. After an
  // error (kBadEncoding: a declared length over the cap) the stream is
  // unusable and the connection should be closed.
  Status feed(ByteSpan bytes, std::vector<Bytes>& frames);

  // Bytes of an incomplete frame held so far.
  std::size_t buffered() const { return buffer_.size(); }

 private:
  std::size_t max_frame_bytes_;
  Bytes buffer_;
  bool failed_ = false;
};

}  // namespace vigil::node
