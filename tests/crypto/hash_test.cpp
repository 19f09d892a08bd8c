// expand_message_xmd, hash to curve and HKDF against RFC 9380, RFC 9496 and
// Wycheproof vectors.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "vigil/hash.h"
#include "vigil/hash_to_curve.h"

namespace vigil {
namespace {

void check_xmd_file(const nlohmann::json& v, HashFunction f) {
  std::string dst = v["DST"];
  ASSERT_FALSE(v["tests"].empty());
  for (const auto& t : v["tests"]) {
    std::string msg = t["msg"];
    std::size_t len = std::stoul(t["len_in_bytes"].get<std::string>(), nullptr, 16);
    auto out = expand_message_xmd(f, as_bytes(msg), as_bytes(dst), len);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(to_hex(*out), t["uniform_bytes"].get<std::string>()) << "msg '" << msg << "' len " << len;
  }
}

TEST(ExpandMessageXmd, Sha256Vectors) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "hash-to-curve/expand_message_xmd_SHA256_38.json");
  check_xmd_file(v, HashFunction::kSha256);
}

TEST(ExpandMessageXmd, Sha512Vectors) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "hash-to-curve/expand_message_xmd_SHA512_38.json");
  check_xmd_file(v, HashFunction::kSha512);
}

TEST(ExpandMessageXmd, RefusesBadParameters) {
  EXPECT_EQ(expand_message_xmd(HashFunction::kSha256, {}, {}, 32).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(expand_message_xmd(HashFunction::kSha256, {}, as_bytes("d"), 0).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(expand_message_xmd(HashFunction::kSha256, {}, as_bytes("d"), 255 * 32 + 1).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_TRUE(expand_message_xmd(HashFunction::kSha256, {}, as_bytes("d"), 255 * 32).ok());
  // A tag over 255 bytes is hashed first rather than refused.
  std::string long_dst(300, 'x');
  EXPECT_TRUE(expand_message_xmd(HashFunction::kSha512, {}, as_bytes(long_dst), 64).ok());
  EXPECT_FALSE(DomainTag::make("").ok());
  EXPECT_FALSE(DomainTag::make(long_dst).ok());
}

TEST(HashToCurve, Secp256k1Vectors) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "hash-to-curve/secp256k1_XMD_SHA-256_SSWU_RO_.json");
  std::string dst_text = v["dst"];
  auto dst = DomainTag::make(dst_text);
  ASSERT_TRUE(dst.ok());
  ASSERT_FALSE(v["vectors"].empty());
  for (const auto& t : v["vectors"]) {
    std::string msg = t["msg"];
    auto p = hash_to_element<Secp256k1>(as_bytes(msg), *dst);
    std::string x = t["P"]["x"].get<std::string>().substr(2);
    std::string y = t["P"]["y"].get<std::string>().substr(2);
    int y_parity = std::stoi(y.substr(y.size() - 1), nullptr, 16) & 1;
    std::string expected = (y_parity ? "03" : "02") + x;
    EXPECT_EQ(to_hex(p.encode()), expected) << "msg '" << msg << "'";
  }
}

TEST(HashToCurve, Ristretto255OneWayMapVectors) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "ristretto255.json");
  const auto& vectors = v["one_way_map"]["vectors"];
  ASSERT_EQ(vectors.size(), 7u);
  for (const auto& t : vectors) {
    auto e = ristretto255_from_uniform_bytes(test::hex(t["input"]));
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(to_hex(e->encode()), t["output"].get<std::string>());
  }
  EXPECT_EQ(ristretto255_from_uniform_bytes(Bytes(63)).error().code, ErrorCode::kInvalidInput);
}

template <Curve C>
class HashToGroupTest : public ::testing::Test {};
TYPED_TEST_SUITE(HashToGroupTest, test::AllCurves);

TYPED_TEST(HashToGroupTest, DomainSeparatedAndDeterministic) {
  using C = TypeParam;
  auto a = hash_to_element<C>(as_bytes("message"), "vigil-test-A");
  auto b = hash_to_element<C>(as_bytes("message"), "vigil-test-B");
  auto a2 = hash_to_element<C>(as_bytes("message"), "vigil-test-A");
  EXPECT_FALSE(a.is_identity());
  EXPECT_TRUE(a == a2);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(Element<C>::decode(a.encode()).ok());
  auto s = hash_to_scalar<C>(as_bytes("message"), "vigil-test-A");
  EXPECT_TRUE(s == hash_to_scalar<C>(as_bytes("message"), "vigil-test-A"));
  EXPECT_FALSE(s == hash_to_scalar<C>(as_bytes("message"), "vigil-test-B"));
}

// secp256k1's hash_to_scalar is RFC 9380 hash_to_field with L = 48 (as in
// RFC 9591's FROST(secp256k1, SHA-256)); ristretto255's is 64 bytes of
// XMD-SHA-512 reduced little-endian. Both are checked against the expander.
TEST(HashToScalar, MatchesExpanderAndReduction) {
  auto xmd = expand_message_xmd(HashFunction::kSha256, as_bytes("abc"), as_bytes("DST"), 48);
  EXPECT_TRUE(hash_to_scalar<Secp256k1>(as_bytes("abc"), "DST") == Scalar<Secp256k1>::reduce_wide(*xmd));
  auto xmd512 = expand_message_xmd(HashFunction::kSha512, as_bytes("abc"), as_bytes("DST"), 64);
  EXPECT_TRUE(hash_to_scalar<Ristretto255>(as_bytes("abc"), "DST") == Scalar<Ristretto255>::reduce_wide(*xmd512));
}

TEST(Hkdf, WycheproofSha256) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "wycheproof/hkdf_sha256_test.json");
  int checked = 0;
  test::for_each_wycheproof(v, [&](const nlohmann::json&, const nlohmann::json& t) {
    auto out =
        hkdf_sha256(test::hex(t["ikm"]), test::hex(t["salt"]), test::hex(t["info"]), t["size"].get<std::size_t>());
    if (t["result"] == "invalid") {
      EXPECT_FALSE(out.ok()) << "tcId " << t["tcId"];
    } else {
      ASSERT_TRUE(out.ok()) << "tcId " << t["tcId"];
      EXPECT_EQ(to_hex(out->span()), t["okm"].get<std::string>()) << "tcId " << t["tcId"];
    }
    ++checked;
  });
  EXPECT_GT(checked, 80);
}

}  // namespace
}  // namespace vigil
