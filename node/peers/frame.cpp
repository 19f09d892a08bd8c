#include "node/peers/frame.h"

#include <algorithm>

namespace vigil::node {

Result<Bytes> encode_frame(ByteSpan payload, std::size_t max_frame_bytes) {
  if (payload.size() > max_frame_bytes) {
    return make_error(ErrorCode::kInvalidInput, "frame of " + std::to_string(payload.size()) +
                                                    " bytes exceeds the limit of " + std::to_string(max_frame_bytes));
  }
  Bytes out(kFrameHeaderBytes + payload.size());
  const auto n = static_cast<std::uint32_t>(payload.size());
  out[0] = static_cast<std::uint8_t>(n >> 24);
  out[1] = static_cast<std::uint8_t>(n >> 16);
  out[2] = static_cast<std::uint8_t>(n >> 8);
  out[3] = static_cast<std::uint8_t>(n);
  std::copy(payload.begin(), payload.end(), out.begin() + kFrameHeaderBytes);
  return out;
}

Status FrameDecoder::feed(ByteSpan bytes, std::vector<Bytes>& frames) {
  if (failed_) return make_error(ErrorCode::kBadEncoding, "frame stream already failed");
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::size_t offset = 0;
  while (buffer_.size() - offset >= kFrameHeaderBytes) {
    const std::uint8_t* h = buffer_.data() + offset;
    const std::size_t length = static_cast<std::size_t>(h[0]) << 24 | static_cast<std::size_t>(h[1]) << 16 |
                               static_cast<std::size_t>(h[2]) << 8 | h[3];
    if (length > max_frame_bytes_) {
      failed_ = true;
      buffer_.clear();
      return make_error(ErrorCode::kBadEncoding, "peer declared a frame of " + std::to_string(length) +
                                                     " bytes; the limit is " + std::to_string(max_frame_bytes_));
    }
    if (buffer_.size() - offset - kFrameHeaderBytes < length) break;
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(offset + kFrameHeaderBytes);
    frames.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(length));
    offset += kFrameHeaderBytes + length;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset));
  return {};
}

}  // namespace vigil::node
