// TDH2: round trips on both curves over payload sizes around the chunk
// boundary, any t-subset, and every kind of tampering refused with its error.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "support/test_support.h"
#include "vigil/aead.h"
#include "vigil/dealer.h"
#include "vigil/hash_to_curve.h"
#include "vigil/tdh2.h"

namespace vigil {
namespace {

template <Curve C>
struct Cluster {
  Deal<C> deal;
  Tdh2PublicKey<C> key;
  std::vector<Element<C>> public_shares;

  static Cluster make(Rng& rng, std::size_t n, std::size_t t) {
    auto d = vigil::deal<C>(rng, n, t).value();
    auto key = Tdh2PublicKey<C>::create(d.group_public_key()).value();
    auto pubs = d.public_shares();
    return {std::move(d), key, std::move(pubs)};
  }
  SecretShare<C> share(ParticipantIndex i) const { return deal.shares[i - 1].share(); }

  Result<DecryptionShare<C>> decryption_share(Rng& rng, const Tdh2Ciphertext<C>& ct, ParticipantIndex i) const {
    return tdh2_decryption_share<C>(rng, key, ct, share(i), public_shares[i - 1]);
  }
};

// Builds a vector of move-only values (an initializer list would copy).
template <class T, class... Rest>
std::vector<T> moved(T first, Rest... rest) {
  std::vector<T> v;
  v.push_back(std::move(first));
  (v.push_back(std::move(rest)), ...);
  return v;
}

template <Curve C>
class Tdh2Test : public ::testing::Test {};
TYPED_TEST_SUITE(Tdh2Test, test::AllCurves);

template <Curve C>
std::vector<DecryptionShare<C>> shares_for(Rng& rng, const Cluster<C>& cluster, const Tdh2Ciphertext<C>& ct,
                                           const std::vector<ParticipantIndex>& indices) {
  std::vector<DecryptionShare<C>> out;
  for (auto i : indices) out.push_back(cluster.decryption_share(rng, ct, i).value());
  return out;
}

TYPED_TEST(Tdh2Test, RoundTripOverPayloadSizes) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 50);
  auto cluster = Cluster<C>::make(rng, 5, 3);
  const std::size_t k = kStreamChunkBytes;
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{32}, k - 1, k, k + 1, std::size_t{5} * 1024 * 1024}) {
    SCOPED_TRACE("payload " + std::to_string(size) + " bytes");
    Bytes plaintext(size);
    rng.fill(plaintext);
    auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("policy-hash"), plaintext).value();
    EXPECT_EQ(ct.payload.size(), stream_ciphertext_size(size));
    ASSERT_TRUE(tdh2_verify_ciphertext<C>(cluster.key, ct).ok());
    auto shares = shares_for<C>(rng, cluster, ct, {2, 4, 5});
    auto out = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 3, ct, shares);
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    EXPECT_TRUE(out->invalid_shares.empty());
    ASSERT_EQ(out->plaintext.size(), size);
    EXPECT_TRUE(equal_ct(out->plaintext.span(), plaintext));
  }
}

TYPED_TEST(Tdh2Test, AnyTSubsetDecrypts) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 51);
  std::mt19937_64 pick(test::test_seed() + 52);
  for (auto [n, t] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {3, 2}, {5, 3}, {7, 7}, {9, 4}}) {
    auto cluster = Cluster<C>::make(rng, n, t);
    const Bytes message = {'s', 'e', 'c', 'r', 'e', 't'};
    auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("label"), message).value();
    std::vector<ParticipantIndex> all(n);
    std::iota(all.begin(), all.end(), 1);
    auto shares = shares_for<C>(rng, cluster, ct, all);
    for (int trial = 0; trial < 4; ++trial) {
      std::shuffle(shares.begin(), shares.end(), pick);
      std::vector<DecryptionShare<C>> subset;
      for (std::size_t i = 0; i < t; ++i) subset.push_back(shares[i].clone());
      auto out = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, t, ct, subset);
      ASSERT_TRUE(out.ok()) << "n=" << n << " t=" << t << ": " << out.error().to_string();
      EXPECT_TRUE(equal_ct(out->plaintext.span(), message));
    }
  }
}

TYPED_TEST(Tdh2Test, EveryAlteredCiphertextFieldIsRefused) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 53);
  auto cluster = Cluster<C>::make(rng, 4, 2);
  Bytes plaintext(3 * kStreamChunkBytes / 2);
  rng.fill(plaintext);
  const auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("policy A"), plaintext).value();
  const auto other = tdh2_encrypt<C>(rng, cluster.key, as_bytes("policy A"), plaintext).value();
  std::vector<std::pair<std::string, std::function<void(Tdh2Ciphertext<C>&)>>> alterations = {
      {"label", [](auto& c) { c.label = Bytes{'p', 'o', 'l', 'i', 'c', 'y', ' ', 'B'}; }},
      {"empty label", [](auto& c) { c.label.clear(); }},
      {"u", [&](auto& c) { c.u = other.u; }},
      {"u_bar", [&](auto& c) { c.u_bar = other.u_bar; }},
      {"u identity", [](auto& c) { c.u = Element<C>::identity(); }},
      {"u_bar identity", [](auto& c) { c.u_bar = Element<C>::identity(); }},
      {"w", [&](auto& c) { c.w = other.w; }},
      {"w_bar", [&](auto& c) { c.w_bar = other.w_bar; }},
      {"w identity", [](auto& c) { c.w = Element<C>::identity(); }},
      {"w_bar identity", [](auto& c) { c.w_bar = Element<C>::identity(); }},
      {"u and u_bar swapped", [](auto& c) { std::swap(c.u, c.u_bar); }},
      {"f", [](auto& c) { c.f = c.f + Scalar<C>::one(); }},
      {"payload bit", [](auto& c) { c.payload[c.payload.size() / 2] ^= 1; }},
      {"payload truncated", [](auto& c) { c.payload.resize(kStreamChunkBytes + kAeadTagBytes); }},
      {"payload from another ciphertext", [&](auto& c) { c.payload = other.payload; }},
  };
  for (auto& [what, alter] : alterations) {
    auto bad = ct.clone();
    alter(bad);
    auto status = tdh2_verify_ciphertext<C>(cluster.key, bad);
    ASSERT_FALSE(status.ok()) << what;
    EXPECT_EQ(status.error().code, ErrorCode::kVerificationFailed) << what;
    // Holders of shares refuse to decrypt it.
    auto share = cluster.decryption_share(rng, bad, 1);
    ASSERT_FALSE(share.ok()) << what;
    EXPECT_EQ(share.error().code, ErrorCode::kVerificationFailed) << what;
  }
  // The same ciphertext under another key is invalid too.
  auto other_cluster = Cluster<C>::make(rng, 4, 2);
  EXPECT_EQ(tdh2_verify_ciphertext<C>(other_cluster.key, ct).error().code, ErrorCode::kVerificationFailed);
}

TYPED_TEST(Tdh2Test, BadSharesAreNamedAndValidOnesStillDecrypt) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 54);
  auto cluster = Cluster<C>::make(rng, 7, 2);
  const Bytes message = {1, 2, 3};
  auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("L"), message).value();
  auto shares = shares_for<C>(rng, cluster, ct, {1, 2, 3, 4, 5, 6});

  // 2: a bad proof; 4: a share from another key's holder; 5: a wrong value;
  // 6: a share for another ciphertext.
  shares[1].proof.z = shares[1].proof.z + Scalar<C>::one();
  auto foreign = Cluster<C>::make(rng, 7, 2);
  shares[3] = tdh2_decryption_share<C>(rng, cluster.key, ct, foreign.share(4), foreign.public_shares[3]).value();
  shares[4].value = shares[4].value + Element<C>::generator();
  auto ct2 = tdh2_encrypt<C>(rng, cluster.key, as_bytes("L"), message).value();
  shares[5] = cluster.decryption_share(rng, ct2, 6).value();
  for (auto i : {1, 3, 4, 5}) EXPECT_FALSE(tdh2_verify_share<C>(ct, cluster.public_shares[i], shares[i]).ok());
  EXPECT_TRUE(tdh2_verify_share<C>(ct, cluster.public_shares[0], shares[0]).ok());

  auto out = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 2, ct, shares);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_TRUE(equal_ct(out->plaintext.span(), message));
  EXPECT_EQ(out->invalid_shares, (std::vector<ParticipantIndex>{2, 4, 5, 6}));

  // Where three are needed the two valid shares are not enough: the error names the rest.
  auto short_of = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 3, ct, shares);
  ASSERT_FALSE(short_of.ok());
  EXPECT_EQ(short_of.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(short_of.error().message.find("invalid: 2, 4, 5, 6"), std::string::npos) << short_of.error().message;
}

TYPED_TEST(Tdh2Test, CombineRefusesDuplicatesTooFewAndIdentity) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 55);
  auto cluster = Cluster<C>::make(rng, 5, 3);
  auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("L"), as_bytes("m")).value();
  auto shares = shares_for<C>(rng, cluster, ct, {1, 2, 3});

  auto dup = moved(shares[0].clone(), shares[1].clone(), shares[1].clone());
  auto r = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 3, ct, dup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().party, 2u);

  auto two = moved(shares[0].clone(), shares[2].clone());
  r = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 3, ct, two);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);

  auto with_identity = moved(shares[0].clone(), shares[1].clone(), shares[2].clone());
  with_identity[2].value = Element<C>::identity();
  r = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 3, ct, with_identity);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("invalid: 3"), std::string::npos) << r.error().message;

  auto out_of_range = moved(shares[0].clone(), shares[1].clone(), shares[2].clone());
  out_of_range[2].index = 9;
  r = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 3, ct, out_of_range);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("invalid: 9"), std::string::npos) << r.error().message;
  EXPECT_EQ(tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 0, ct, shares).error().code,
            ErrorCode::kInvalidInput);
}

// The form a node uses, on a ciphertext checked once: refuses an index of 0
// and an identity public share, and its share combines with the others.
TYPED_TEST(Tdh2Test, SharesOfACheckedCiphertextCombineAndRefuseBadInput) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 57);
  auto cluster = Cluster<C>::make(rng, 4, 2);
  auto ct = tdh2_encrypt(rng, cluster.key, as_bytes("L"), as_bytes("checked once")).value();
  const auto verified = tdh2_check_ciphertext(cluster.key, ct.clone()).value();
  EXPECT_EQ(
      tdh2_decryption_share(rng, verified, SecretShare<C>{0, Scalar<C>::one()}, cluster.public_shares[0]).error().code,
      ErrorCode::kInvalidInput);
  EXPECT_EQ(tdh2_decryption_share(rng, verified, cluster.share(1), Element<C>::identity()).error().code,
            ErrorCode::kInvalidInput);
  std::vector<DecryptionShare<C>> shares;
  for (ParticipantIndex i : {2u, 4u}) {
    shares.push_back(tdh2_decryption_share(rng, verified, cluster.share(i), cluster.public_shares[i - 1]).value());
  }
  auto out = tdh2_combine(rng, cluster.key, cluster.deal.public_shares(), 2, ct, shares);  // vectors, no <C>
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(std::string(out->plaintext.span().begin(), out->plaintext.span().end()), "checked once");
}

TYPED_TEST(Tdh2Test, PrivateDeliveryBindsRequestDigestAndIndex) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 56);
  auto cluster = Cluster<C>::make(rng, 3, 2);
  auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("L"), as_bytes("the key")).value();
  const auto digest = tdh2_ciphertext_digest(ct);
  auto requester = x25519_generate(rng);
  const Bytes request_id = {'r', '1'};
  std::vector<DecryptionShare<C>> opened;
  for (ParticipantIndex i : {1u, 3u}) {
    auto share = cluster.decryption_share(rng, ct, i).value();
    auto sealed = seal_decryption_share<C>(rng, requester.public_key, request_id, digest, share).value();
    EXPECT_EQ(open_decryption_share<C>(requester.secret_key.span(), sealed, as_bytes("r2"), digest, i).error().code,
              ErrorCode::kVerificationFailed);
    auto other_digest = digest;
    other_digest[0] ^= 1;
    EXPECT_FALSE(open_decryption_share<C>(requester.secret_key.span(), sealed, request_id, other_digest, i).ok());
    EXPECT_FALSE(open_decryption_share<C>(requester.secret_key.span(), sealed, request_id, digest, 2).ok());
    auto ok = open_decryption_share<C>(requester.secret_key.span(), sealed, request_id, digest, i);
    ASSERT_TRUE(ok.ok()) << ok.error().to_string();
    opened.push_back(std::move(ok).value());
  }
  auto out = tdh2_combine<C>(rng, cluster.key, cluster.public_shares, 2, ct, opened);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(equal_ct(out->plaintext.span(), as_bytes("the key")));
}

TYPED_TEST(Tdh2Test, ShareDecoderRefusesGarbage) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 57);
  auto cluster = Cluster<C>::make(rng, 3, 2);
  auto ct = tdh2_encrypt<C>(rng, cluster.key, as_bytes("L"), as_bytes("m")).value();
  auto share = cluster.decryption_share(rng, ct, 1).value();
  Bytes good = encode_decryption_share(share);
  auto back = decode_decryption_share<C>(good);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(encode_decryption_share(*back), good);
  EXPECT_EQ(decode_decryption_share<C>(ByteSpan(good).first(good.size() - 1)).error().code, ErrorCode::kBadEncoding);
  for (int i = 0; i < 2000; ++i) {
    Bytes b = good;
    b[i % b.size()] ^= static_cast<std::uint8_t>(1 + i % 255);
    if (i % 7 == 0) rng.fill(b);
    auto r = decode_decryption_share<C>(b);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);
    }
  }
}

TEST(Stream, DetectsTruncationReorderingAndDuplication) {
  SeededRng rng(test::test_seed() + 58);
  Bytes key(32), ad = {'a', 'd'};
  rng.fill(key);
  Bytes plaintext(3 * kStreamChunkBytes + 100);
  rng.fill(plaintext);
  Bytes ct = stream_encrypt(key, ad, plaintext).value();
  const std::size_t chunk = kStreamChunkBytes + kAeadTagBytes;
  ASSERT_EQ(ct.size(), 3 * chunk + 100 + kAeadTagBytes);
  auto opened = stream_decrypt(key, ad, ct);
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(equal_ct(opened->span(), plaintext));

  auto refused = [&](const Bytes& bad, const char* what) {
    auto r = stream_decrypt(key, ad, bad);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed) << what;
  };
  refused(Bytes(ct.begin(), ct.begin() + static_cast<std::ptrdiff_t>(3 * chunk)), "cut at a chunk boundary");
  refused(Bytes(ct.begin(), ct.end() - 1), "last byte cut");
  // A final chunk of 1 to 15 bytes after full ones: refused before the full
  // chunks are opened into a buffer sized for the shorter stream.
  for (std::size_t tail = 1; tail < kAeadTagBytes; ++tail) {
    refused(Bytes(ct.begin(), ct.begin() + static_cast<std::ptrdiff_t>(3 * chunk + tail)), "final chunk below a tag");
  }
  Bytes swapped = ct;
  std::swap_ranges(swapped.begin(), swapped.begin() + static_cast<std::ptrdiff_t>(chunk),
                   swapped.begin() + static_cast<std::ptrdiff_t>(chunk));
  refused(swapped, "chunks 0 and 1 swapped");
  Bytes duplicated(ct.begin(), ct.begin() + static_cast<std::ptrdiff_t>(chunk));
  duplicated.insert(duplicated.end(), ct.begin(), ct.end());
  refused(duplicated, "chunk 0 duplicated");
  EXPECT_EQ(stream_decrypt(key, as_bytes("other"), ct).error().code, ErrorCode::kVerificationFailed);
  refused(Bytes(10), "shorter than a tag");
  // An exact multiple of the chunk size ends in a full final chunk, not an empty one.
  Bytes exact(2 * kStreamChunkBytes);
  Bytes exact_ct = stream_encrypt(key, ad, exact).value();
  EXPECT_EQ(exact_ct.size(), 2 * chunk);
  Bytes empty_ct = stream_encrypt(key, ad, {}).value();
  EXPECT_EQ(empty_ct.size(), kAeadTagBytes);
  EXPECT_TRUE(stream_decrypt(key, ad, empty_ct).ok());
}

TYPED_TEST(Tdh2Test, DleqProofsVerifyAloneAndInBatch) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 59);
  std::vector<Bytes> contexts;
  std::vector<DleqStatement<C>> statements;
  std::vector<DleqProof<C>> proofs;
  const Element<C> g2 = hash_to_element<C>(as_bytes("g2"), "vigil-test");
  for (int i = 0; i < 6; ++i) {
    auto x = Scalar<C>::random(rng);
    DleqStatement<C> s{Element<C>::generator(), Element<C>::base_mult(x), g2, g2.mult(x)};
    contexts.push_back(Bytes{static_cast<std::uint8_t>(i)});
    proofs.push_back(dleq_prove<C>(rng, contexts.back(), s, x));
    statements.push_back(s);
    EXPECT_TRUE(dleq_verify<C>(contexts.back(), s, proofs.back()).ok());
  }
  EXPECT_TRUE(dleq_batch_verify<C>(rng, contexts, statements, proofs));
  EXPECT_EQ(dleq_verify<C>(Bytes{9}, statements[0], proofs[0]).error().code, ErrorCode::kVerificationFailed);
  statements[3].h2 = statements[3].h2 + g2;
  EXPECT_FALSE(dleq_verify<C>(contexts[3], statements[3], proofs[3]).ok());
  EXPECT_FALSE(dleq_batch_verify<C>(rng, contexts, statements, proofs));
}

}  // namespace
}  // namespace vigil
