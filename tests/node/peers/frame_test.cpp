// The frame codec on every split of the stream and on hostile lengths.
#include <gtest/gtest.h>

#include "node/peers/frame.h"
#include "support/test_support.h"

namespace vigil::node {
namespace {

TEST(Frame, RoundTripsAcrossArbitrarySplits) {
  SeededRng rng(vigil::test::test_seed() + 80);
  std::vector<Bytes> payloads = {{}, {1}, Bytes(100, 7), Bytes(4096, 9)};
  Bytes stream;
  for (const auto& p : payloads) {
    auto f = encode_frame(p, 4096);
    ASSERT_TRUE(f.ok());
    stream.insert(stream.end(), f->begin(), f->end());
  }
  for (std::size_t chunk : {1u, 3u, 4u, 5u, 1000u, 100000u}) {
    FrameDecoder d(4096);
    std::vector<Bytes> out;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      ASSERT_TRUE(d.feed(ByteSpan(stream).subspan(i, std::min(chunk, stream.size() - i)), out).ok());
    }
    EXPECT_EQ(out, payloads) << "chunk " << chunk;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(Frame, OversizedLengthsAreRefusedBeforeBuffering) {
  EXPECT_EQ(encode_frame(Bytes(4097), 4096).error().code, ErrorCode::kInvalidInput);
  FrameDecoder d(4096);
  std::vector<Bytes> out;
  const Bytes huge = {0xff, 0xff, 0xff, 0xff};
  auto r = d.feed(huge, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_FALSE(d.feed(Bytes{0, 0, 0, 0}, out).ok()) << "a failed stream stays failed";
  // A truncated frame stays buffered, bounded by the cap.
  FrameDecoder partial(4096);
  ASSERT_TRUE(partial.feed(Bytes{0, 0, 0x10, 0, 1, 2, 3}, out).ok());
  EXPECT_EQ(partial.buffered(), 7u);
  EXPECT_TRUE(out.empty());
}

TEST(Frame, RandomBytesNeverCrash) {
  SeededRng rng(vigil::test::test_seed() + 81);
  for (int i = 0; i < 2000; ++i) {
    FrameDecoder d(1024);
    Bytes b(static_cast<std::size_t>(i % 300));
    rng.fill(b);
    std::vector<Bytes> out;
    (void)d.feed(b, out);
    EXPECT_LE(d.buffered(), 1024u + kFrameHeaderBytes);
  }
}

}  // namespace
}  // namespace vigil::node
