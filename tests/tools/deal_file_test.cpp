// The deal-file parser on untrusted input: each kind of damage gets a clear
// error, and random corruption never crashes it.
#include <gtest/gtest.h>

#include <random>

#include "deal_file.h"
#include "support/test_support.h"

namespace vigil::cli {
namespace {

std::string valid_deal_text(Rng& rng, bool sealed) {
  auto d = deal<Ristretto255>(rng, 4, 3).value();
  std::vector<X25519PublicKey> recipients;
  if (sealed) {
    for (int i = 0; i < 4; ++i) recipients.push_back(x25519_generate(rng).public_key);
  }
  return deal_file_to_json(make_deal_file<Ristretto255>(rng, d, recipients).value()).dump();
}

TEST(DealFile, RoundTrip) {
  SeededRng rng(vigil::test::test_seed() + 40);
  for (bool sealed : {false, true}) {
    std::string text = valid_deal_text(rng, sealed);
    auto parsed = parse_deal_file(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    auto& f = std::get<DealFile<Ristretto255>>(*parsed);
    EXPECT_EQ(f.threshold(), 3u);
    EXPECT_EQ(f.parties(), 4u);
    EXPECT_EQ(deal_file_to_json(f).dump(), text);
  }
}

TEST(DealFile, EachDamageHasItsError) {
  SeededRng rng(vigil::test::test_seed() + 41);
  const auto good = nlohmann::json::parse(valid_deal_text(rng, false));
  struct Case {
    std::string what;
    std::function<void(nlohmann::json&)> damage;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"version", [](auto& d) { d["version"] = 2; }, "unsupported version"},
      {"curve", [](auto& d) { d["curve"] = "p256"; }, "unknown curve"},
      {"threshold type", [](auto& d) { d["threshold"] = "3"; }, "deal.threshold: must be a non-negative integer"},
      {"t > n", [](auto& d) { d["threshold"] = 5; }, "exceeds the number of participants"},
      {"missing key", [](auto& d) { d.erase("group_public_key"); }, "missing field 'group_public_key'"},
      {"bad hex", [](auto& d) { d["group_public_key"] = "zz"; }, "invalid hex digit"},
      {"identity key", [](auto& d) { d["group_public_key"] = std::string(64, '0'); }, "identity"},
      {"key != C0", [](auto& d) { d["group_public_key"] = d["shares"][0]["public_share"]; },
       "differs from group_public_key"},
      {"commitments long", [](auto& d) { d["commitments"].push_back(d["commitments"][0]); }, "requires exactly 3"},
      {"shares short", [](auto& d) { d["shares"].erase(0); }, "parties says 4"},
      {"index order", [](auto& d) { d["shares"][1]["index"] = 3; }, "expected 2"},
      {"bad scalar", [](auto& d) { d["shares"][0]["secret_share"] = std::string(64, 'f'); }, "not reduced"},
      {"both kinds", [](auto& d) { d["shares"][0]["sealed_share"] = "00"; }, "exactly one of"},
      {"short scalar", [](auto& d) { d["shares"][2]["secret_share"] = "00"; }, "must be 32 bytes"},
      {"not an object", [](auto& d) { d = nlohmann::json::array(); }, "must be a JSON object"},
  };
  for (const auto& c : cases) {
    auto d = good;
    c.damage(d);
    auto r = parse_deal_file(d.dump());
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << c.what << ": " << r.error().message;
  }
  EXPECT_FALSE(parse_deal_file("").ok());
  EXPECT_FALSE(parse_deal_file("{").ok());
  EXPECT_FALSE(parse_deal_file(std::string(100000, '[')).ok());
}

// Random byte flips, truncations and insertions on valid files: the parser
// returns (a value or an error) every time.
TEST(DealFile, RandomCorruptionNeverCrashes) {
  SeededRng rng(vigil::test::test_seed() + 42);
  std::mt19937_64 pick(vigil::test::test_seed() + 43);
  const std::string plain = valid_deal_text(rng, false), sealed = valid_deal_text(rng, true);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = i % 2 ? plain : sealed;
    switch (pick() % 3) {
      case 0:
        for (int k = 0; k < 1 + static_cast<int>(pick() % 4); ++k)
          text[pick() % text.size()] = static_cast<char>(pick());
        break;
      case 1: text.resize(pick() % text.size()); break;
      default: text.insert(pick() % text.size(), std::string(1 + pick() % 8, static_cast<char>(pick())));
    }
    auto r = parse_deal_file(text);
    if (r.ok()) ++accepted;
  }
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace vigil::cli
