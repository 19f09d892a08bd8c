// X25519, XChaCha20-Poly1305 (Wycheproof) and the sealing construction.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "vigil/aead.h"
#include "vigil/seal.h"
#include "vigil/x25519.h"

namespace vigil {
namespace {

TEST(X25519, Wycheproof) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "wycheproof/x25519_test.json");
  int valid = 0, refused_zero = 0;
  test::for_each_wycheproof(v, [&](const nlohmann::json&, const nlohmann::json& t) {
    auto shared = x25519(test::hex(t["private"]), test::hex(t["public"]));
    const std::string expected = t["shared"];
    const bool zero = expected == std::string(64, '0');
    if (zero) {
      // Low-order public keys give an all-zero secret, which vigil refuses.
      ASSERT_FALSE(shared.ok()) << "tcId " << t["tcId"];
      EXPECT_EQ(shared.error().code, ErrorCode::kVerificationFailed);
      ++refused_zero;
    } else {
      // "valid" and "acceptable" (twist, non-canonical) agree with RFC 7748.
      ASSERT_TRUE(shared.ok()) << "tcId " << t["tcId"];
      EXPECT_EQ(to_hex(shared->span()), expected) << "tcId " << t["tcId"];
      ++valid;
    }
  });
  EXPECT_GT(valid, 400);
  EXPECT_GT(refused_zero, 10);
  EXPECT_EQ(x25519(Bytes(31), Bytes(32)).error().code, ErrorCode::kBadEncoding);
  EXPECT_EQ(x25519(Bytes(32), Bytes(33)).error().code, ErrorCode::kBadEncoding);
}

TEST(XChaCha20Poly1305, Wycheproof) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "wycheproof/xchacha20_poly1305_test.json");
  int checked = 0;
  test::for_each_wycheproof(v, [&](const nlohmann::json&, const nlohmann::json& t) {
    Bytes key = test::hex(t["key"]), iv = test::hex(t["iv"]), aad = test::hex(t["aad"]);
    Bytes msg = test::hex(t["msg"]);
    std::string ct_tag = t["ct"].get<std::string>() + t["tag"].get<std::string>();
    auto dec = aead_decrypt(key, iv, test::hex(ct_tag), aad);
    if (t["result"] == "valid") {
      auto enc = aead_encrypt(key, iv, msg, aad);
      ASSERT_TRUE(enc.ok()) << "tcId " << t["tcId"];
      EXPECT_EQ(to_hex(*enc), ct_tag) << "tcId " << t["tcId"];
      ASSERT_TRUE(dec.ok()) << "tcId " << t["tcId"];
      EXPECT_EQ(to_hex(dec->span()), to_hex(msg));
    } else {
      EXPECT_FALSE(dec.ok()) << "tcId " << t["tcId"] << " " << t["comment"];
    }
    ++checked;
  });
  EXPECT_GT(checked, 300);
}

TEST(Seal, RoundTripAndBinding) {
  SeededRng rng(test::test_seed() + 20);
  auto alice = x25519_generate(rng);
  auto mallory = x25519_generate(rng);
  const Bytes message = {1, 2, 3, 4, 5};
  const auto ad = as_bytes("share 3 of key abc");
  auto box = seal(rng, alice.public_key, message, ad);
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(box->size(), message.size() + kSealOverheadBytes);

  auto opened = open_sealed(alice.secret_key.span(), *box, ad);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(Bytes(opened->span().begin(), opened->span().end()), message);

  EXPECT_EQ(open_sealed(mallory.secret_key.span(), *box, ad).error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(open_sealed(alice.secret_key.span(), *box, as_bytes("share 4 of key abc")).error().code,
            ErrorCode::kVerificationFailed);
  for (std::size_t i = 0; i < box->size(); ++i) {
    Bytes tampered = *box;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(open_sealed(alice.secret_key.span(), tampered, ad).ok()) << "byte " << i;
  }
  for (std::size_t len = 0; len < kSealOverheadBytes; ++len) {
    auto r = open_sealed(alice.secret_key.span(), ByteSpan(*box).first(len), ad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);
  }
  // A low-order recipient key would give everyone the key.
  X25519PublicKey low_order{};
  EXPECT_EQ(seal(rng, low_order, message, ad).error().code, ErrorCode::kBadEncoding);
}

TEST(Seal, EmptyPlaintext) {
  SeededRng rng(test::test_seed() + 21);
  auto kp = x25519_generate(rng);
  auto box = seal(rng, kp.public_key, {}, {});
  ASSERT_TRUE(box.ok());
  auto opened = open_sealed(kp.secret_key.span(), *box, {});
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->empty());
}

}  // namespace
}  // namespace vigil

#include "vigil/ed25519.h"

namespace vigil {
namespace {

TEST(Ed25519, Wycheproof) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "wycheproof/ed25519_test.json");
  int checked = 0;
  test::for_each_wycheproof(v, [&](const nlohmann::json& group, const nlohmann::json& t) {
    Bytes pk = test::hex(group["publicKey"]["pk"]);
    auto r = ed25519_verify(pk, test::hex(t["msg"]), test::hex(t["sig"]));
    EXPECT_EQ(r.ok(), t["result"] == "valid") << "tcId " << t["tcId"] << " " << t["comment"];
    ++checked;
  });
  EXPECT_GT(checked, 100);
}

TEST(Ed25519, SignVerifyAndX25519Conversion) {
  SeededRng rng(test::test_seed() + 22);
  auto kp = ed25519_generate(rng);
  auto sig = ed25519_sign(kp, as_bytes("hello"));
  EXPECT_TRUE(ed25519_verify(kp.public_key, as_bytes("hello"), sig).ok());
  EXPECT_EQ(ed25519_verify(kp.public_key, as_bytes("hellp"), sig).error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(ed25519_verify(Bytes(31), as_bytes("hello"), sig).error().code, ErrorCode::kBadEncoding);
  auto again = ed25519_from_seed(kp.seed.span());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key, kp.public_key);
  // A box sealed to the converted public key opens with the converted secret.
  auto x = ed25519_to_x25519(kp);
  EXPECT_EQ(*ed25519_public_to_x25519(kp.public_key), x.public_key);
  auto box = seal(rng, x.public_key, as_bytes("share"), {});
  EXPECT_TRUE(open_sealed(x.secret_key.span(), *box, {}).ok());
}

}  // namespace
}  // namespace vigil
