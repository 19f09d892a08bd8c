// The vigil binary end to end: outputs users rely on, and clear failures
// with exit code 2 for bad arguments and 1 for failed verification.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "node/api/json_body.h"
#include "support/test_support.h"
#include "tools/run_cli.h"
#include "vigil/shamir.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

using RunResult = cli::test::CliRun;
RunResult run(const std::string& args) { return cli::test::run_cli(args); }

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-cli-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

template <Curve C>
void check_deal_json(const nlohmann::json& d, std::size_t n, std::size_t t) {
  EXPECT_EQ(d["curve"], std::string(C::kName));
  EXPECT_EQ(d["threshold"], t);
  EXPECT_EQ(d["parties"], n);
  ASSERT_EQ(d["commitments"].size(), t);
  EXPECT_EQ(d["commitments"][0], d["group_public_key"]);
  std::vector<Element<C>> commitments;
  for (const auto& c : d["commitments"]) commitments.push_back(*Element<C>::decode(test::hex(c)));
  auto fc = FeldmanCommitment<C>::create(commitments, t);
  ASSERT_TRUE(fc.ok());
  ASSERT_EQ(d["shares"].size(), n);
  std::vector<SecretShare<C>> shares;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = d["shares"][i];
    EXPECT_EQ(s["index"], i + 1);
    auto value = Scalar<C>::decode(test::hex(s["secret_share"]));
    ASSERT_TRUE(value.ok());
    auto pub = Element<C>::decode(test::hex(s["public_share"]));
    ASSERT_TRUE(pub.ok());
    EXPECT_TRUE(fc->verify_share(static_cast<ParticipantIndex>(i + 1), *value).ok());
    EXPECT_TRUE(*pub == Element<C>::base_mult(*value));
    shares.push_back({static_cast<ParticipantIndex>(i + 1), std::move(value).value()});
  }
  shares.resize(t);
  auto secret = interpolate<C>(shares);
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(Element<C>::base_mult(*secret) == fc->group_public_key());
}

TEST_F(CliTest, DealJsonOnBothCurves) {
  auto r = run("deal --curve ristretto255 --n 5 --t 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  check_deal_json<Ristretto255>(nlohmann::json::parse(r.output), 5, 3);
  r = run("deal --curve secp256k1 --n 7 --t 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  check_deal_json<Secp256k1>(nlohmann::json::parse(r.output), 7, 4);
  r = run("deal --n 1 --t 1 --json");  // ristretto255 by default
  ASSERT_EQ(r.exit_code, 0) << r.output;
  check_deal_json<Ristretto255>(nlohmann::json::parse(r.output), 1, 1);
}

TEST_F(CliTest, BadArgumentsFailClearly) {
  struct Case {
    std::string args, message;
  };
  for (const auto& c : std::vector<Case>{
           {"deal --n 3 --t 4", "exceeds the number of participants"},
           {"deal --n 3 --t 0", "at least 1"},
           {"deal --n 10001 --t 2", "maximum of 10000"},
           {"deal --curve p256 --n 3 --t 2", "not in {ristretto255,secp256k1}"},
           {"deal --n 3", "--n and --t are required"},
           {"deal --n -3 --t 2", "not a whole number"},
           {"deal --n 3 --t 2 --recipients /nonexistent", "/nonexistent"},
           {"", "subcommand is required"},
           {"keygen", "--out is required"},
           {"deal verify", "--deal is required"},
       }) {
    auto r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const std::string cmd :
       {"--help", "deal --help", "deal verify --help", "keygen --help", "encrypt --help", "partial-decrypt --help",
        "combine --help", "protect --help", "heartbeat --help", "recover --help", "recover prepare --help",
        "recover sign --help", "recover submit --help", "audit verify --help", "agent --help", "bench recover --help",
        "bench heartbeats --help", "attest verify --help"}) {
    auto r = run(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.output.find("Usage:"), std::string::npos) << cmd;
  }
}

TEST_F(CliTest, SealedDealVerifiesAndOpensPerParticipant) {
  std::string recipients;
  for (int i = 1; i <= 3; ++i) {
    auto r = run("keygen --out " + path("p" + std::to_string(i) + ".key"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(fs::status(path("p" + std::to_string(i) + ".key")).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    std::ifstream pub(path("p" + std::to_string(i) + ".key.pub"));
    std::string line;
    std::getline(pub, line);
    recipients += line + "\n";
  }
  EXPECT_EQ(run("keygen --out " + path("p1.key")).exit_code, 1) << "keygen must not overwrite a key";
  std::ofstream(path("recipients.txt")) << "# participants 1..3\n" << recipients;

  auto r =
      run("deal --curve secp256k1 --n 3 --t 2 --recipients " + path("recipients.txt") + " --out " + path("deal.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto d = nlohmann::json::parse(std::ifstream(path("deal.json")));
  for (const auto& s : d["shares"]) {
    EXPECT_FALSE(s.contains("secret_share"));
    EXPECT_TRUE(s.contains("sealed_share"));
  }
  r = run("deal verify --deal " + path("deal.json") + " --key " + path("p2.key"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("share 2: opened"), std::string::npos) << r.output;
  // The wrong key for an index fails and names it.
  r = run("deal verify --deal " + path("deal.json") + " --key " + path("p1.key") + " --index 3");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("share(s) 3"), std::string::npos) << r.output;
  // The recipient count must match --n.
  r = run("deal --n 4 --t 2 --recipients " + path("recipients.txt"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(CliTest, VerifyNamesCorruptedShares) {
  auto r = run("deal --n 4 --t 3 --out " + path("deal.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(run("deal verify --deal " + path("deal.json")).exit_code, 0);

  auto d = nlohmann::json::parse(std::ifstream(path("deal.json")));
  // Swap the secret shares of participants 2 and 4: both become wrong.
  std::swap(d["shares"][1]["secret_share"], d["shares"][3]["secret_share"]);
  std::ofstream(path("bad.json")) << d.dump();
  r = run("deal verify --deal " + path("bad.json"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("share(s) 2, 4"), std::string::npos) << r.output;

  // A commitment vector one entry short of the threshold.
  d = nlohmann::json::parse(std::ifstream(path("deal.json")));
  d["commitments"].erase(d["commitments"].size() - 1);
  std::ofstream(path("short.json")) << d.dump();
  r = run("deal verify --deal " + path("short.json"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("requires exactly 3"), std::string::npos) << r.output;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(CliTest, EncryptPartialDecryptCombineOnBothCurves) {
  for (std::string curve : {"ristretto255", "secp256k1"}) {
    SCOPED_TRACE(curve);
    ASSERT_EQ(run("deal --curve " + curve + " --n 5 --t 3 --force --out " + path("deal.json")).exit_code, 0);
    std::string secret(200000, 'x');
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<char>(i * 7919 % 251);
    std::ofstream(path("secret.bin"), std::ios::binary) << secret;

    auto r = run("encrypt --deal " + path("deal.json") + " --label policy:42 --in " + path("secret.bin") +
                 " --force --out " + path("ct.bin"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run("encrypt --deal " + path("deal.json") + " --label policy:42 --in " + path("secret.bin") + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // The API's Tdh2Ciphertext in protobuf's JSON mapping: bytes in base64.
    auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j["curve"], curve == "ristretto255" ? "CURVE_RISTRETTO255" : "CURVE_SECP256K1");
    EXPECT_EQ(j["label"], "cG9saWN5OjQy");  // "policy:42"
    EXPECT_TRUE(j.contains("u") && j.contains("u_bar") && j.contains("w") && j.contains("w_bar") && j.contains("f") &&
                j.contains("payload"));
    std::ofstream(path("ct.json")) << r.output;
    // The node's API takes it as it is, as the ciphertext of a request body.
    v1::Registration registration;
    const auto parsed = node::api::parse_body(R"({"ciphertext": )" + r.output + "}", registration);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(registration.ciphertext().label(), "policy:42");

    // Shares from the binary ciphertext; the JSON one decrypts too.
    for (int i : {1, 2, 4, 5}) {
      r = run("partial-decrypt --deal " + path("deal.json") + " --index " + std::to_string(i) + " --ciphertext " +
              path("ct.bin") + " --json --force --out " + path("s" + std::to_string(i) + ".json"));
      ASSERT_EQ(r.exit_code, 0) << r.output;
      auto share = nlohmann::json::parse(r.output);
      EXPECT_EQ(share["index"], i);
      EXPECT_TRUE(share.contains("value") && share.contains("proof"));
    }
    r = run("combine --deal " + path("deal.json") + " --ciphertext " + path("ct.bin") + " --shares " + path("s1.json") +
            " " + path("s2.json") + " " + path("s5.json") + " --force --out " + path("out.bin"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(slurp(path("out.bin")), secret);

    // Share 2 relabelled as 3 fails its proof; 1, 4, 5 still decrypt and 3 is named.
    auto forged = nlohmann::json::parse(slurp(path("s2.json")));
    forged["index"] = 3;
    std::ofstream(path("s3.json")) << forged.dump();
    r = run("combine --deal " + path("deal.json") + " --ciphertext " + path("ct.bin") + " --shares " + path("s1.json") +
            " " + path("s3.json") + " " + path("s4.json") + " " + path("s5.json") + " --force --out " +
            path("out2.bin"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("share 3: INVALID"), std::string::npos) << r.output;
    EXPECT_EQ(slurp(path("out2.bin")), secret);
    r = run("combine --deal " + path("deal.json") + " --ciphertext " + path("ct.bin") + " --shares " + path("s1.json") +
            " " + path("s3.json") + " " + path("s4.json") + " --force --out " + path("out3.bin"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("invalid: 3"), std::string::npos) << r.output;

    // A share made for another ciphertext is refused by file check.
    r = run("partial-decrypt --deal " + path("deal.json") + " --index 3 --ciphertext " + path("ct.json") +
            " --force --out " + path("other.json"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run("combine --deal " + path("deal.json") + " --ciphertext " + path("ct.bin") + " --shares " + path("s1.json") +
            " " + path("other.json") + " " + path("s4.json") + " --force --out " + path("out4.bin"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("another ciphertext"), std::string::npos) << r.output;
  }
}

TEST_F(CliTest, Tdh2CommandsRefuseBadInput) {
  ASSERT_EQ(run("deal --n 3 --t 2 --out " + path("deal.json")).exit_code, 0);
  ASSERT_EQ(run("deal --curve secp256k1 --n 3 --t 2 --out " + path("k1.json")).exit_code, 0);
  std::ofstream(path("msg")) << "hello";
  auto r = run("encrypt --deal " + path("deal.json") + " --label x --in " + path("msg"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("nothing to write"), std::string::npos);
  ASSERT_EQ(
      run("encrypt --deal " + path("deal.json") + " --label x --in " + path("msg") + " --out " + path("ct")).exit_code,
      0);
  r = run("partial-decrypt --deal " + path("deal.json") + " --index 4 --ciphertext " + path("ct") + " --json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--index must be between 1 and 3"), std::string::npos) << r.output;
  r = run("partial-decrypt --deal " + path("k1.json") + " --index 1 --ciphertext " + path("ct") + " --json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("different curves"), std::string::npos) << r.output;
  std::ofstream(path("garbage")) << std::string("\x08\x01\x12\x03", 4) + "abc not a ciphertext";
  r = run("partial-decrypt --deal " + path("deal.json") + " --index 1 --ciphertext " + path("garbage") + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // A ciphertext whose label was changed is refused before any share is computed.
  auto ct = run("encrypt --deal " + path("deal.json") + " --label x --in " + path("msg") + " --json");
  auto j = nlohmann::json::parse(ct.output);
  j["label"] = "eQ==";  // "y"
  std::ofstream(path("relabelled.json")) << j.dump();
  r = run("partial-decrypt --deal " + path("deal.json") + " --index 1 --ciphertext " + path("relabelled.json") +
          " --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("ciphertext is invalid"), std::string::npos) << r.output;
  // Unknown fields (such as the digest older files carried) and hex where
  // the API has base64 are refused, as the API refuses them.
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{{"digest", "00"}, {"u", "zz"}}) {
    auto altered = nlohmann::json::parse(ct.output);
    altered[field] = value;
    std::ofstream(path("altered.json")) << altered.dump();
    r = run("partial-decrypt --deal " + path("deal.json") + " --index 1 --json --ciphertext " + path("altered.json"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("not a ciphertext in the API's JSON"), std::string::npos) << r.output;
  }
}

// The commands of protected secrets refuse bad arguments with exit code 2
// and a message naming what is wrong, before any node is asked.
TEST_F(CliTest, ProtectedSecretCommandsRefuseBadArguments) {
  ASSERT_EQ(run("keygen --type ed25519 --out " + path("k.key")).exit_code, 0);
  std::ofstream(path("secret")) << "s";
  std::ofstream(path("policy.json")) << R"({"enclave_key": ")" + std::string(64, '0') +
                                            R"(", "any_of": [{"all_of": [{"requester": {"keys": [")" +
                                            std::string(64, '1') + R"("], "m": 1}}]}]})";
  std::ofstream(path("not-a-request.json")) << "{\"key_id\": 5}";
  const std::string nodes = " --nodes http://127.0.0.1:1 --timeout-ms 200";
  const std::string base = "protect" + nodes + " --secret-file " + path("secret") + " --enclave-key " + path("k.key");
  struct Case {
    std::string args, message;
  };
  for (const auto& c : std::vector<Case>{
           {base, "name who may recover: --requester PUBFILE"},
           {base + " --requester " + path("k.key.pub"), "--silence DURATION is required"},
           {base + " --requester " + path("k.key.pub") + " --silence soon", "--silence: "},
           {base + " --requester " + path("k.key.pub") + " --silence 1d --m 2", "requester.m"},
           {base + " --requester " + path("k.key.pub") + " --requester " + path("k.key.pub") + " --silence 1d",
            "the same key twice"},
           {base + " --policy " + path("policy.json"), "enclave_key: is not the public key of --enclave-key"},
           {base + " --policy " + path("policy.json") + " --silence 1d", "pass either --policy or"},
           {base + " --requester " + path("k.key.pub") + " --silence 1d --out " + path("secret"),
            "exists and is not a key-id file"},
           {"heartbeat" + nodes + " --key-id " + std::string(5000, 'a') + " --enclave-key " + path("k.key"),
            "--key-id: expected 64 hex digits"},
           {"heartbeat" + nodes + " --key-id abc --enclave-key " + path("k.key"), "--key-id: expected 64 hex digits"},
           {"heartbeat" + nodes + " --key-id " + std::string(64, 'a') + " --enclave-key " + path("k.key") +
                " --every 5minutes",
            "--every: "},
           {"recover" + nodes, "pass --key-id, --requester-key and --out"},
           {"recover" + nodes + " --key-id zz --requester-key " + path("k.key") + " --out " + path("o"),
            "--key-id: expected 64 hex digits"},
           {"recover sign --request " + path("not-a-request.json") + " --requester-key " + path("k.key"),
            "not a recovery request"},
           {"audit verify", "pass --cluster DIR, or --node URL --identity HEX"},
           {"audit verify --node http://127.0.0.1:1 --identity 12", "--identity: expected 64 hex digits"},
           {"agent" + nodes + " --secret-file " + path("secret") + " --enclave-key " + path("k.key") + " --requester " +
                path("k.key.pub") + " --silence 1d --every never",
            "--every: "},
       }) {
    auto r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
  // Unreachable nodes are a failure of the run, not of the arguments, and are named.
  auto r = run("recover" + nodes + " --key-id " + std::string(64, 'a') + " --requester-key " + path("k.key") +
               " --out " + path("o"));
  EXPECT_EQ(r.exit_code, 2) << r.output;  // the cluster cannot even be described
  EXPECT_NE(r.output.find("127.0.0.1:1"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("o")));
}

// The README's first command runs `vigil demo`: every step of the story
// holds on a real local cluster (a 1 s silence here, to keep the suite fast).
TEST_F(CliTest, TheDemoTellsTheWholeStory) {
  auto r = run("demo --silence 1s --dir " + path("demo"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* said : {"node 5: enclave_alive", "node 5: not_authorised", "recovered: the enclave wallet key",
                           "node 1: ", "chain and signatures intact", "node 1: unreachable",
                           "with verified shares from nodes 4, 5, 6, 7", "Done: every step held."}) {
    EXPECT_NE(r.output.find(said), std::string::npos) << said << "\n" << r.output;
  }
  EXPECT_EQ(run("demo --t 9 --n 5").exit_code, 2);
}

// init run again with --force (to pin a cluster description, say) keeps
// the listen addresses set before unless they are given again.
TEST_F(CliTest, InitAgainKeepsTheListenAddressesItWasGiven) {
  auto r = run("init --data-dir " + path("n1") + " --index 1 --peer-listen 127.0.0.3:7301 --api-listen 0.0.0.0:8301");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("init --data-dir " + path("n1") + " --index 1 --force");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("listens: peers 127.0.0.3:7301, API 0.0.0.0:8301"), std::string::npos) << r.output;
  std::ifstream in(path("n1") + "/node.toml");
  const std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(toml.find("peer = \"127.0.0.3:7301\""), std::string::npos) << toml;
  EXPECT_NE(toml.find("api = \"0.0.0.0:8301\""), std::string::npos) << toml;
  r = run("init --data-dir " + path("n1") + " --index 1 --force --api-listen 127.0.0.1:8302");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("listens: peers 127.0.0.3:7301, API 127.0.0.1:8302"), std::string::npos) << r.output;
  // Without --force an existing config is not replaced.
  EXPECT_EQ(run("init --data-dir " + path("n1") + " --index 1").exit_code, 1);
}

TEST_F(CliTest, InitRefusesBadClusterDescriptions) {
  auto r = run("init --data-dir " + path("n1") + " --index 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("identity (pin in peers' configs)");
  ASSERT_NE(at, std::string::npos);
  const std::string identity = r.output.substr(r.output.find_first_not_of(' ', at + 32), 64);
  ASSERT_EQ(run("keygen --type ed25519 --out " + path("other.key")).exit_code, 0);
  std::string other;
  std::ifstream(path("other.key.pub")) >> other;
  struct Case {
    std::string json, message;
  };
  for (const auto& c : std::vector<Case>{
           {"", "expected {\"nodes\""},
           {"[]", "expected {\"nodes\""},
           {R"({"nodes": [{"index": 2, "peer": "h:1", "identity": ")" + identity + R"("}]})",
            "node 2 has this node's identity"},
           {R"({"nodes": [{"index": 2, "peer": "h:1", "identity": ")" + other + R"("}]})",
            "lists no node with index 1"},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + other + R"("}]})", "not this node's key"},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + identity + R"("}, {"index": 2, "peer": "h:2",
                "identity": ")" +
                identity + R"("}]})",
            "node 2 has this node's identity"},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + identity + R"("}, {"index": 1, "peer": "h:2",
                "identity": ")" +
                other + R"("}]})",
            "index 1 is listed twice"},
           {R"({"nodes": [{"index": 1, "peer": "nohost", "identity": ")" + identity + R"("}]})", "node 1: peer: "},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": "zz"}]})", "node 1: identity: expected 64 hex"},
           {R"({"nodes": [{"index": "one"}]})", "index: expected a whole number from 1"},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + identity +
                R"("}], "operators": [{"name": "a\"\n[x]", "key": ")" + other + R"("}]})",
            "operators[].name: letters, digits"},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + identity +
                R"("}], "operators": [{"name": "a", "key": "00"}]})",
            "operators[].key"},
           {R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + identity +
                R"("}], "requesters": [{"name": "a", "key": "00"}]})",
            "requesters: no longer read"},
       }) {
    std::ofstream(path("desc.json")) << c.json;
    r = run("init --data-dir " + path("n1") + " --index 1 --force --cluster " + path("desc.json"));
    EXPECT_EQ(r.exit_code, 2) << c.json << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.json << "\n" << r.output;
  }
  std::ofstream(path("desc.json")) << R"({"nodes": [{"index": 1, "peer": "h:1", "identity": ")" + identity +
                                          R"("}, {"index": 2, "peer": "h:2", "identity": ")" + other + R"("}]})";
  r = run("init --data-dir " + path("n1") + " --index 1 --force --cluster " + path("desc.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("peers pinned: 1"), std::string::npos) << r.output;
}

// The key exchange of docs/deployment.md: each init writes its entry,
// describe-cluster merges them (refusing what would pin the wrong peer), a
// dealer seals to the description's share keys, and each node imports its
// share. A node folder moved elsewhere still opens (data_dir ".").
TEST_F(CliTest, EntriesMakeADescriptionThatPinsAndDeals) {
  std::string entries;
  for (int i = 1; i <= 3; ++i) {
    const std::string n = std::to_string(i);
    auto r = run("init --data-dir " + path("n" + n) + " --index " + n + " --peer-listen 127.0.0.1:73" + n + "0");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    entries += " " + path("n" + n) + "/cluster-entry.json";
  }
  auto r = run("init --data-dir " + path("wild") + " --index 4 --peer-listen 0.0.0.0:7340");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no cluster-entry.json"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("wild") + "/cluster-entry.json"));
  ASSERT_EQ(run("keygen --type ed25519 --out " + path("ops.key")).exit_code, 0);

  const std::string describe = "describe-cluster --operator ops=" + path("ops.key.pub") + " --out " + path("d.json");
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {entries + " " + path("n1") + "/cluster-entry.json", "a second entry for index 1"},
           {entries + " " + path("ops.key.pub"), "expected a node's cluster-entry.json"},
           {entries + " --operator ops=" + path("ops.key"), "operator ops given twice"},
       }) {
    r = run(describe + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
  }
  r = run("describe-cluster --operator ops=" + std::string(63, 'a') + " --out " + path("d.json") + entries);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run("describe-cluster --operator 'o\"ps=" + path("ops.key.pub") + "' --out " + path("d.json") + entries);
  EXPECT_NE(r.output.find("a name is letters, digits"), std::string::npos) << r.output;

  // Crafted entries: what would be written into every node's node.toml, or
  // have a dealer seal a share to another key, is refused.
  auto entry = nlohmann::json::parse(std::ifstream(path("n2") + "/cluster-entry.json"));
  for (const auto& [field, value, message] : std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"peer", "10.0.0.2:7100\"\n[[operators]]\nname = \"x:7100", "must be a name or an address"},
           {"peer", "0.0.0.0:7100", "is not an address other nodes can dial"},
           {"share_key", std::string(64, 'a'), "share_key is not the identity's own"},
           {"index", -1, "index: expected a whole number from 1"},
           {"index", 1.5, "index: expected a whole number from 1"},
           {"identity", std::string(64, 'z'), "identity: expected 64 hex digits"},
       }) {
    auto crafted = entry;
    crafted[field] = value;
    std::ofstream(path("crafted.json")) << crafted.dump();
    r = run(describe + " " + path("n1") + "/cluster-entry.json " + path("crafted.json"));
    EXPECT_EQ(r.exit_code, 2) << field << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << field << "\n" << r.output;
  }
  r = run(describe + entries);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 node(s), 1 operator(s)"), std::string::npos) << r.output;

  fs::rename(path("n3"), path("moved"));  // node.toml names its folder "."
  for (const std::string node : {"n1", "n2", "moved"}) {
    const std::string index = node == "moved" ? "3" : node.substr(1);
    r = run("init --data-dir " + path(node) + " --index " + index + " --cluster " + path("d.json") + " --force");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("peers pinned: 2, operators: 1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("listens: peers 127.0.0.1:73" + index + "0"), std::string::npos) << r.output;
  }
  r = run("deal --n 3 --t 2 --recipients " + path("d.json") + " --out " + path("deal.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string node : {"n1", "n2", "moved"}) {
    r = run("import-share --config " + path(node) + "/node.toml --deal " + path("deal.json"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("of the 2-of-3 ristretto255 key"), std::string::npos) << r.output;
  }
  r = run("deal --n 4 --t 2 --recipients " + path("d.json") + " --out " + path("deal4.json"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // A description whose share key was swapped, or that is not one, is refused.
  auto swapped = nlohmann::json::parse(std::ifstream(path("d.json")));
  swapped["nodes"][1]["share_key"] = std::string(64, 'a');
  std::ofstream(path("swapped.json")) << swapped.dump();
  std::ofstream(path("garbage.json")) << R"({"nodes": 5})";
  for (const auto& [file, message] :
       std::vector<std::pair<std::string, std::string>>{{"swapped.json", "node 2: share_key is not the identity's own"},
                                                        {"garbage.json", "expected a cluster description"}}) {
    r = run("deal --n 3 --t 2 --recipients " + path(file) + " --force --out " + path("bad-deal.json"));
    EXPECT_EQ(r.exit_code, 2) << file << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << file << "\n" << r.output;
  }
}

// vigil doctor on a node that is set up but not running: what is wrong,
// and what to do about it.
TEST_F(CliTest, DoctorNamesWhatIsWrongAndTheFix) {
  auto r = run("init --data-dir " + path("n1") + " --index 1 --peer-listen 127.0.0.1:7391 --api-listen 127.0.0.1:7392");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("doctor --config " + path("n1") + "/node.toml --timeout-ms 300");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const std::string expected :
       {"ok    identity key: ", "FAIL  the API at http://127.0.0.1:7392 does not answer",
        "fix: start the node (vigild --config ", "ok    peer listen address 127.0.0.1:7391 is free",
        "warn  no peers are pinned", "warn  no operators are pinned", "no attestation collateral",
        "1 problem(s), 3 warning(s)"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
  fs::permissions(path("n1") + "/identity.key", fs::perms::others_read, fs::perm_options::add);
  fs::remove(path("n1") + "/master.key");
  fs::create_directories(path("n1") + "/collateral");
  std::ofstream(path("n1") + "/collateral/tdx.json") << "{}";
  r = run("doctor --config " + path("n1") + "/node.toml --timeout-ms 300");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const std::string& expected : std::vector<std::string>{
           "has mode 0604: others on this machine can read", "fix: chmod 600 ",
           "master key " + path("n1") + "/master.key is missing",
           "FAIL  collateral " + path("n1") + "/collateral/tdx.json: ", "fix: deploy/fetch-collateral"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }
  std::ofstream(path("bad.toml")) << "[node]\nindex = \"one\"\n";
  r = run("doctor --config " + path("bad.toml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  " + path("bad.toml")), std::string::npos) << r.output;
}

TEST_F(CliTest, DamagedClusterFilesAreRefused) {
  for (const std::string text : {"", "{", "[]", R"({"curve": "ristretto255"})",
                                 R"({"curve": "ristretto255", "threshold": 3, "group_public_key": "00",
                                     "public_shares": [], "nodes": []})",
                                 R"({"curve": 5, "threshold": 1, "group_public_key": "00", "public_shares": [],
                                     "nodes": [{"index": 1}]})"}) {
    std::ofstream(path("cluster.json")) << text;
    auto r = run("cluster status --dir " + dir_.string());
    EXPECT_EQ(r.exit_code, 2) << text << "\n" << r.output;
    EXPECT_NE(r.output.find("cluster.json"), std::string::npos) << text << "\n" << r.output;
  }
}

// vigil attest verify on the real quotes: their measurements and status
// as JSON; refusals with the reason and exit 1; the quote as hex too.
TEST_F(CliTest, AttestVerifyPrintsWhatAQuoteSays) {
  const std::string dcap = test::shared_vectors_path("dcap").string();
  if (!fs::exists(dcap)) GTEST_SKIP() << "shared vectors missing: " << dcap;
  auto r = run("attest verify --quote " + dcap + "/tdx_quote --collateral " + dcap +
               "/tdx_quote_collateral.json --at 1751328000 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto out = nlohmann::json::parse(r.output);
  EXPECT_EQ(out["tee"], "tdx");
  EXPECT_EQ(out["status"], "UpToDate");
  EXPECT_EQ(out["advisories"], nlohmann::json::array());
  EXPECT_EQ(out["debug"], false);
  EXPECT_EQ(out["mrtd"],
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
  for (const char* k : {"rtmr0", "rtmr1", "rtmr2", "rtmr3"}) EXPECT_EQ(out[k].get<std::string>().size(), 96u) << k;
  EXPECT_EQ(out["report_data"].get<std::string>().size(), 128u);

  // The SGX quote, handed over as hex.
  std::ifstream in(dcap + "/sgx_quote", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(path("sgx_quote.hex")) << to_hex(as_bytes(raw)) << "\n";
  r = run("attest verify --quote " + path("sgx_quote.hex") + " --collateral " + dcap +
          "/sgx_quote_collateral.json --at 1751328000 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  out = nlohmann::json::parse(r.output);
  EXPECT_EQ(out["tee"], "sgx");
  EXPECT_EQ(out["status"], "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(out["advisories"], (nlohmann::json{"INTEL-SA-00289", "INTEL-SA-00615"}));
  EXPECT_EQ(out["mrenclave"], "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
  EXPECT_EQ(out["isv_prod_id"], 0);

  // Today, the vectors' collateral is long out of date.
  r = run("attest verify --quote " + dcap + "/tdx_quote --collateral " + dcap + "/tdx_quote_collateral.json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error: collateral_expired: "), std::string::npos) << r.output;
  // The wrong collateral, and a quote that is not one.
  r = run("attest verify --quote " + dcap + "/tdx_quote --collateral " + dcap +
          "/sgx_quote_collateral.json --at 1751328000 --json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("\"reason\": \"collateral_mismatch: the quote is tdx, the collateral sgx\""),
            std::string::npos)
      << r.output;
  std::ofstream(path("not_a_quote")) << "hello";
  r = run("attest verify --quote " + path("not_a_quote") + " --collateral " + dcap + "/tdx_quote_collateral.json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error: quote: header: shorter than 48 bytes"), std::string::npos) << r.output;
  r = run("attest verify --quote " + path("missing") + " --collateral " + dcap + "/tdx_quote_collateral.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace vigil
