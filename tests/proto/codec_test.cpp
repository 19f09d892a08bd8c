// Protobuf conversions: round trips, each malformed field refused with a
// message naming it, and random bytes never crash the parsers.
#include <gtest/gtest.h>

#include "proto/codec.h"
#include "support/test_support.h"
#include "vigil/dealer.h"

namespace vigil::proto {
namespace {

template <Curve C>
class CodecTest : public ::testing::Test {};
TYPED_TEST_SUITE(CodecTest, test::AllCurves);

template <Curve C>
struct Fixture {
  Tdh2Ciphertext<C> ct;
  DecryptionShare<C> share;
};

template <Curve C>
Fixture<C> make_fixture(Rng& rng) {
  auto d = deal<C>(rng, 3, 2).value();
  auto key = Tdh2PublicKey<C>::create(d.group_public_key()).value();
  auto ct = tdh2_encrypt<C>(rng, key, as_bytes("label"), as_bytes("payload")).value();
  auto share =
      tdh2_decryption_share<C>(rng, key, ct, {1, d.shares[0].secret_share.clone()}, d.shares[0].public_share).value();
  return {std::move(ct), std::move(share)};
}

TYPED_TEST(CodecTest, RoundTrips) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 60);
  auto f = make_fixture<C>(rng);
  auto parsed = parse_ciphertext(serialize(to_proto(f.ct)));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  auto& back = std::get<Tdh2Ciphertext<C>>(*parsed);
  EXPECT_EQ(tdh2_ciphertext_digest(back), tdh2_ciphertext_digest(f.ct));
  auto share = parse_decryption_share(serialize(to_proto(f.share)));
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(encode_decryption_share(std::get<DecryptionShare<C>>(*share)), encode_decryption_share(f.share));
}

TYPED_TEST(CodecTest, EachBadFieldIsNamed) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 61);
  auto f = make_fixture<C>(rng);
  const auto good = to_proto(f.ct);
  std::vector<std::tuple<std::string, std::function<void(v1::Tdh2Ciphertext&)>, std::string>> cases = {
      {"version", [](auto& m) { m.set_version(7); }, "unsupported version"},
      {"curve", [](auto& m) { m.set_curve(v1::CURVE_UNSPECIFIED); }, "unknown or missing curve"},
      {"u length", [](auto& m) { m.set_u(m.u().substr(1)); }, "ciphertext.u"},
      {"u identity", [](auto& m) { m.set_u(std::string(C::kElementBytes, '\0')); }, "ciphertext.u"},
      {"u_bar garbage", [](auto& m) { m.set_u_bar(std::string(C::kElementBytes, '\xff')); }, "ciphertext.u_bar"},
      {"w missing", [](auto& m) { m.clear_w(); }, "ciphertext.w"},
      {"w_bar identity", [](auto& m) { m.set_w_bar(std::string(C::kElementBytes, '\0')); }, "ciphertext.w_bar"},
      {"f unreduced", [](auto& m) { m.set_f(std::string(32, '\xff')); }, "ciphertext.f"},
      {"f missing", [](auto& m) { m.clear_f(); }, "ciphertext.f"},
  };
  for (auto& [what, damage, message] : cases) {
    auto m = good;
    damage(m);
    auto r = parse_ciphertext(serialize(m));
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding) << what;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << what << ": " << r.error().message;
  }
  // A ciphertext claiming the other curve fails to decode its elements.
  auto m = good;
  m.set_curve(C::kId == CurveId::kSecp256k1 ? v1::CURVE_RISTRETTO255 : v1::CURVE_SECP256K1);
  EXPECT_FALSE(parse_ciphertext(serialize(m)).ok());

  auto share = to_proto(f.share);
  share.clear_proof();
  EXPECT_NE(parse_decryption_share(serialize(share)).error().message.find("missing proof"), std::string::npos);
  share = to_proto(f.share);
  share.set_index(0);
  EXPECT_FALSE(parse_decryption_share(serialize(share)).ok());
}

TEST(Codec, RandomBytesNeverCrash) {
  SeededRng rng(test::test_seed() + 62);
  auto f = make_fixture<Ristretto255>(rng);
  const Bytes good_ct = serialize(to_proto(f.ct));
  const Bytes good_share = serialize(to_proto(f.share));
  int parsed = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b = i % 2 ? good_ct : good_share;
    if (i % 3 == 0) {
      b.resize(i % 200);
      rng.fill(b);
    } else {
      b[static_cast<std::size_t>(i) % b.size()] ^= static_cast<std::uint8_t>(1 + i % 255);
    }
    parsed += parse_ciphertext(b).ok();
    parsed += parse_decryption_share(b).ok();
  }
  EXPECT_LT(parsed, 10000);
  EXPECT_FALSE(parse_ciphertext(Bytes(kMaxMessageBytes + 1)).ok());
}

}  // namespace
}  // namespace vigil::proto
