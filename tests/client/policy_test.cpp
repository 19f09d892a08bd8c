// Release policies: the JSON people write, the canonical bytes that travel
// and are hashed into the TDH2 label, and the decoder nodes run on untrusted
// bytes. tests/vectors/policies.json was computed by policies.py from the
// documented encoding, independently of this code.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "vigil/client.h"
#include "vigil/policy.h"
#include "vigil/random.h"

namespace vigil::client {
namespace {

// The text parsers of the client library take text from files and other
// people: larger than its cap, a text is refused before it is parsed.
TEST(TextParsers, RefuseOversizedTextBeforeParsing) {
  auto oversized = [](std::size_t cap) { return std::string(cap + 1, ' '); };
  const auto policy = parse_policy_json(oversized(kMaxPolicyJsonBytes));
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.error().message.find("larger than"), std::string::npos) << policy.error().message;
  const auto description = parse_cluster_description(oversized(kMaxClusterDescriptionBytes));
  ASSERT_FALSE(description.ok());
  EXPECT_NE(description.error().message.find("larger than"), std::string::npos) << description.error().message;
  const auto request = parse_recovery_request_json(oversized(kMaxRecoveryRequestJsonBytes));
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.error().message.find("larger than"), std::string::npos) << request.error().message;
  // At the cap, the text is parsed (and refused for what it says).
  const auto at_cap = parse_policy_json(std::string(kMaxPolicyJsonBytes, ' '));
  ASSERT_FALSE(at_cap.ok());
  EXPECT_EQ(at_cap.error().message.find("larger than"), std::string::npos) << at_cap.error().message;
}

TEST(PolicyVectors, JsonEncodesToTheCanonicalBytesAndDigestOfAnIndependentEncoder) {
  const auto vectors = test::load_project_vectors("policies.json");
  ASSERT_GE(vectors["good"].size(), 5u);
  for (const auto& v : vectors["good"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto policy = parse_policy_json(v["policy"].dump());
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    const Bytes canonical = encode_policy(*policy);
    EXPECT_EQ(to_hex(canonical), v["canonical"].get<std::string>());
    EXPECT_EQ(to_hex(policy_digest(canonical)), v["digest"].get<std::string>());
    auto decoded = decode_policy(canonical);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(encode_policy(*decoded), canonical) << "one encoding per policy";
  }
}

TEST(PolicyVectors, RefusedPoliciesNameTheField) {
  const auto vectors = test::load_project_vectors("policies.json");
  ASSERT_GE(vectors["bad"].size(), 10u);
  for (const auto& v : vectors["bad"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto policy = parse_policy_json(v["policy"].dump());
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(policy.error().message.rfind(v["field"].get<std::string>() + ":", 0), 0u) << policy.error().message;
  }
  for (const char* text : {"", "[]", "{", "{\"enclave_key\": 7, \"any_of\": []}", "null"}) {
    EXPECT_FALSE(parse_policy_json(text).ok()) << text;
  }
}

Policy sample() {
  const auto vectors = test::load_project_vectors("policies.json");
  return parse_policy_json(vectors["good"][1]["policy"].dump()).value();
}

TEST(PolicyDecoding, RefusesEveryTruncationAndTrailingBytes) {
  const Bytes canonical = encode_policy(sample());
  for (std::size_t n = 0; n < canonical.size(); ++n) {
    auto d = decode_policy(ByteSpan(canonical).first(n));
    ASSERT_FALSE(d.ok()) << "accepted the first " << n << " bytes";
    EXPECT_EQ(d.error().code, ErrorCode::kBadEncoding);
  }
  Bytes longer = canonical;
  longer.push_back(0);
  EXPECT_NE(decode_policy(longer).error().message.find("trailing"), std::string::npos);
  EXPECT_FALSE(decode_policy(Bytes(kMaxPolicyBytes + 1, 0)).ok());
}

// Whatever the decoder accepts, it accepts only in its canonical form: a
// changed byte is refused or decodes to a policy whose encoding is exactly
// the changed bytes (a different policy, hence a different label).
TEST(PolicyDecoding, AcceptsOnlyCanonicalBytes) {
  const Bytes canonical = encode_policy(sample());
  SeededRng rng(vigil::test::test_seed() + 61);
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    for (int trial = 0; trial < 8; ++trial) {
      Bytes changed = canonical;
      std::uint8_t delta = 0;
      while (delta == 0) rng.fill(std::span(&delta, 1));
      changed[i] ^= delta;
      auto d = decode_policy(changed);
      if (d.ok()) {
        EXPECT_EQ(encode_policy(*d), changed) << "byte " << i;
      }
    }
  }
}

TEST(PolicyDecoding, RefusesWhatNoValidPolicyEncodesTo) {
  Policy p = sample();
  auto refused = [](const Policy& policy, const std::string& expect) {
    auto d = decode_policy(encode_policy(policy));
    ASSERT_FALSE(d.ok()) << expect;
    EXPECT_NE(d.error().message.find(expect), std::string::npos) << d.error().message;
  };
  Policy unsorted = p;
  std::swap(unsorted.any_of[0].requester->keys[0], unsorted.any_of[0].requester->keys[1]);
  refused(unsorted, "ascending");
  Policy m_zero = p;
  m_zero.any_of[0].requester->m = 0;
  refused(m_zero, "any_of[0].requester.m:");
  Policy no_requester = p;
  no_requester.any_of[0].requester.reset();
  refused(no_requester, "names no requester");
  Policy instant = p;
  instant.any_of[0].silence_ms = 10;
  refused(instant, "any_of[0].enclave_silent.timeout:");
  Policy none;
  refused(none, "groups");
  // The attested condition: a status no policy may accept, nothing pinned.
  Policy attested = p;
  attested.any_of[0].attested.emplace().mr_td.emplace();
  ASSERT_TRUE(decode_policy(encode_policy(attested)).ok());
  Policy revoked = attested;
  revoked.any_of[0].attested->statuses = 1U << 6;
  refused(revoked, "any_of[0].attested.statuses:");
  Policy unpinned = attested;
  unpinned.any_of[0].attested->mr_td.reset();
  refused(unpinned, "any_of[0].attested.tdx:");
  // Bytes no encoder writes: a pinned bit beyond RTMR3, an ISV product id
  // beyond 16 bits; each is not the canonical encoding of any policy.
  Bytes bytes = encode_policy(attested);
  const std::size_t pinned_at = bytes.size() - 4 - 48 - 4;  // u32(pinned) field(MRTD)
  ASSERT_EQ(bytes[pinned_at + 3], 1);
  bytes[pinned_at + 3] = 0x21;
  EXPECT_EQ(decode_policy(bytes).error().code, ErrorCode::kBadEncoding);
  Policy sgx = p;
  auto& a = sgx.any_of[0].attested.emplace();
  a.tee = AttestedTee::kSgx;
  a.signer = SgxSigner{{}, 0xffff, 1};
  bytes = encode_policy(sgx);
  ASSERT_TRUE(decode_policy(bytes).ok());
  bytes[bytes.size() - 8 + 1] = 1;  // isv_prod_id 0x0001ffff
  EXPECT_EQ(decode_policy(bytes).error().code, ErrorCode::kBadEncoding);
}

TEST(Durations, ParseTheUnitsTheCommandLineTakes) {
  EXPECT_EQ(*parse_duration_ms("500ms"), 500u);
  EXPECT_EQ(*parse_duration_ms("4s"), 4000u);
  EXPECT_EQ(*parse_duration_ms("10m"), 600000u);
  EXPECT_EQ(*parse_duration_ms("2h"), 7200000u);
  EXPECT_EQ(*parse_duration_ms("30d"), 2592000000u);
  for (const char* bad : {"", "s", "4", "4 s", "-4s", "4S", "4sec", "1.5s", "99999999999999999999d"}) {
    EXPECT_FALSE(parse_duration_ms(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace vigil::client
