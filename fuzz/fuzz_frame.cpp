// The peer frame decoder on an arbitrary byte stream, delivered in arbitrary
// pieces: it must yield the same frames (and the same verdict) however the
// stream is cut, never a frame over the cap, and exactly the frames that
// re-encode to a prefix of the stream.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <vector>

#include "node/peers/frame.h"

namespace {

constexpr std::size_t kMaxFrame = 4096;

struct Decoded {
  std::vector<vigil::Bytes> frames;
  bool ok = true;
};

Decoded decode_in_pieces(vigil::ByteSpan stream, FuzzedDataProvider& cuts) {
  Decoded out;
  vigil::node::FrameDecoder decoder(kMaxFrame);
  std::size_t offset = 0;
  while (offset < stream.size() && out.ok) {
    const std::size_t n = cuts.ConsumeIntegralInRange<std::size_t>(1, stream.size() - offset);
    out.ok = decoder.feed(stream.subspan(offset, n), out.frames).ok();
    offset += n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  const auto cut_seed = input.ConsumeBytes<std::uint8_t>(input.ConsumeIntegralInRange<std::size_t>(0, 32));
  const vigil::Bytes stream = input.ConsumeRemainingBytes<std::uint8_t>();

  Decoded whole;
  vigil::node::FrameDecoder decoder(kMaxFrame);
  whole.ok = decoder.feed(stream, whole.frames).ok();

  FuzzedDataProvider cuts(cut_seed.data(), cut_seed.size());
  const Decoded pieces = decode_in_pieces(stream, cuts);
  if (pieces.ok != whole.ok || pieces.frames != whole.frames) std::abort();

  vigil::Bytes reencoded;
  for (const auto& frame : whole.frames) {
    if (frame.size() > kMaxFrame) std::abort();
    const auto encoded = vigil::node::encode_frame(frame, kMaxFrame);
    if (!encoded.ok()) std::abort();
    reencoded.insert(reencoded.end(), encoded->begin(), encoded->end());
  }
  if (reencoded.size() > stream.size() || !std::equal(reencoded.begin(), reencoded.end(), stream.begin())) {
    std::abort();
  }
  if (whole.ok && stream.size() - reencoded.size() != decoder.buffered()) std::abort();
  return 0;
}
