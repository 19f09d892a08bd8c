// The committed TDH2 vectors (tests/vectors/tdh2-*.json): the library
// regenerates them byte for byte from their seed, and, read independently,
// every share verifies and every 3-subset of decryption shares decrypts.
#include <gtest/gtest.h>

#include "proto/codec.h"
#include "support/tdh2_vectors.h"
#include "support/test_support.h"
#include "vigil/tdh2.h"

namespace vigil {
namespace {

// The committed vectors; vigil_vector_gen writes them.
nlohmann::json load(const std::string& name) { return test::load_project_vectors(name); }

template <Curve C>
class Tdh2VectorsTest : public ::testing::Test {};
TYPED_TEST_SUITE(Tdh2VectorsTest, test::AllCurves);

TYPED_TEST(Tdh2VectorsTest, RegeneratesByteForByte) {
  using C = TypeParam;
  auto committed = load("tdh2-" + std::string(C::kName) + ".json");
  ASSERT_FALSE(committed.is_null());
  EXPECT_EQ(test::make_tdh2_vectors<C>(committed["seed"].get<std::uint64_t>()).dump(2), committed.dump(2));
}

TYPED_TEST(Tdh2VectorsTest, SharesVerifyAndEveryTSubsetDecrypts) {
  using C = TypeParam;
  auto v = load("tdh2-" + std::string(C::kName) + ".json");
  ASSERT_FALSE(v.is_null());
  const std::size_t t = v["threshold"];
  std::vector<Element<C>> commitments, public_shares;
  for (const auto& c : v["commitments"]) commitments.push_back(*Element<C>::decode(test::hex(c)));
  auto fc = FeldmanCommitment<C>::create(commitments, t).value();
  for (const auto& s : v["shares"]) {
    auto index = s["index"].get<ParticipantIndex>();
    auto secret = Scalar<C>::decode(test::hex(s["secret_share"])).value();
    ASSERT_TRUE(fc.verify_share(index, secret).ok());
    public_shares.push_back(*Element<C>::decode(test::hex(s["public_share"])));
  }
  auto key = Tdh2PublicKey<C>::create(fc.group_public_key()).value();
  EXPECT_EQ(to_hex(key.second_generator().encode()), v["second_generator"].get<std::string>());

  SeededRng rng(test::test_seed() + 70);
  for (const auto& c : v["cases"]) {
    auto parsed = proto::parse_ciphertext(test::hex(c["ciphertext_protobuf"]));
    ASSERT_TRUE(parsed.ok());
    const auto& ct = std::get<Tdh2Ciphertext<C>>(*parsed);
    EXPECT_EQ(to_hex(ct.u.encode()), c["ciphertext"]["u"].get<std::string>());
    EXPECT_EQ(to_hex(tdh2_ciphertext_digest(ct)), c["ciphertext_digest"].get<std::string>());
    ASSERT_TRUE(tdh2_verify_ciphertext<C>(key, ct).ok());
    std::vector<DecryptionShare<C>> shares;
    for (const auto& s : c["decryption_shares"]) {
      DecryptionShare<C> ds{
          s["index"],
          *Element<C>::decode(test::hex(s["value"])),
          {*Element<C>::decode(test::hex(s["proof"]["a1"])), *Element<C>::decode(test::hex(s["proof"]["a2"])),
           Scalar<C>::decode(test::hex(s["proof"]["z"])).value()}};
      ASSERT_TRUE(tdh2_verify_share<C>(ct, public_shares[ds.index - 1], ds).ok());
      shares.push_back(std::move(ds));
    }
    const Bytes plaintext = test::hex(c["plaintext"]);
    for (std::size_t a = 0; a < shares.size(); ++a) {
      for (std::size_t b = a + 1; b < shares.size(); ++b) {
        for (std::size_t d = b + 1; d < shares.size(); ++d) {
          std::vector<DecryptionShare<C>> subset;
          for (auto i : {a, b, d}) subset.push_back(shares[i].clone());
          auto out = tdh2_combine<C>(rng, key, public_shares, t, ct, subset);
          ASSERT_TRUE(out.ok()) << out.error().to_string();
          EXPECT_TRUE(equal_ct(out->plaintext.span(), plaintext));
        }
      }
    }
  }
}

}  // namespace
}  // namespace vigil
