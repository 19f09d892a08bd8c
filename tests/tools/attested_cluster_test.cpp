// Attested recovery over real vigild processes. The nodes run vigild-test,
// which trusts the tests' synthetic DCAP root beside Intel's (a quote in
// the real format, signed under a root of the tests' own; no TDX machine is
// needed), and hold the synthetic collateral and the real TDX collateral of
// ../shared/vectors/dcap in their collateral folders. The release vigild
// refuses that root.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cluster_file.h"
#include "protected_client.h"
#include "support/dstack_stand_in.h"
#include "support/synthetic_dcap.h"
#include "support/test_support.h"
#include "tools/run_cli.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using test::CliRun;

using test::run_cli;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class AttestedClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("vigil-attested-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto r = run_cli("cluster up --dir " + dir_.string() + " --n 5 --t 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    world_ = new vigil::test::SyntheticDcap(dcap::Tee::kTdx, SystemClock().now_unix_ms() / 1000);
    const Bytes root = world_->root_der();
    std::ofstream(dir_ / "test-root.der", std::ios::binary)
        .write(reinterpret_cast<const char*>(root.data()), static_cast<std::streamsize>(root.size()));
    const fs::path real = vigil::test::shared_vectors_path("dcap/tdx_quote_collateral.json");
    const auto c = load_cluster(dir_).value();
    for (std::size_t i = 0; i < c.processes.size(); ++i) {
      const fs::path node = dir_ / c.processes[i].dir;
      fs::create_directories(node / "collateral");
      std::ofstream(node / "collateral" / "synthetic-tdx.json") << world_->collateral_json();
      if (fs::exists(real)) fs::copy_file(real, node / "collateral" / "intel-tdx.json");
      std::ofstream(node / "node.toml", std::ios::app)
          << "\n[attestation]\ntest_root_ca = \"" << (dir_ / "test-root.der").string() << "\"\n";
      r = test::run_command(std::string("VIGILD=") + VIGILD_TEST_PATH + " " + VIGIL_CLI_PATH +
                            " cluster restart --dir " + dir_.string() + " --node " + std::to_string(i + 1));
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
  }
  static void TearDownTestSuite() {
    run_cli("cluster down --dir " + dir_.string());
    fs::remove_all(dir_);
    delete world_;
  }
  static std::string path(const std::string& name) { return (dir_ / name).string(); }

  static inline fs::path dir_;
  static inline vigil::test::SyntheticDcap* world_ = nullptr;
};

// The binary a release installs trusts no root but Intel's: a config that
// names a test root stops it before it touches the data folder.
TEST_F(AttestedClusterTest, TheReleaseVigildRefusesATestRoot) {
  const auto c = load_cluster(dir_).value();
  auto r =
      test::run_command(std::string(VIGILD_PATH) + " --config " + (dir_ / c.processes[0].dir / "node.toml").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("attestation.test_root_ca: refused: vigild trusts only the Intel SGX Root CA"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(run_cli("cluster status --dir " + dir_.string()).exit_code, 0) << "the running node is untouched";
}

// vigil agent in a fresh TD of the same image: its secret file is gone; it
// asks the guest agent (a stand-in speaking dstack's protocol) for a quote
// over its request, recovers the secret from the nodes, writes it, and
// heartbeats again. Quotes that do not bind a request, a real TDX quote
// among them, are refused by every node with the reason.
TEST_F(AttestedClusterTest, AnAgentWithoutItsSecretRecoversItByAttestation) {
  for (const char* k : {"enclave", "fresh-enclave", "admin"}) {
    ASSERT_EQ(run_cli("keygen --type ed25519 --force --out " + path(std::string(k) + ".key")).exit_code, 0);
  }
  const auto admin = read_public_key_file(path("admin.key.pub")).value();
  // No enclave_key: each enclave's own (--enclave-key) is filled in.
  const nlohmann::json policy = {
      {"any_of",
       {{{"all_of", {{{"attested", {{"tee", "tdx"}, {"mrtd", to_hex(world_->td_report().mr_td)}}}}}}},
        {{"all_of",
          {{{"requester", {{"keys", {to_hex(admin)}}, {"m", 1}}}}, {{"enclave_silent", {{"timeout", "30d"}}}}}}}}},
  };
  std::ofstream(path("policy.json")) << policy.dump(2);
  std::ofstream(path("secret.txt")) << "survives the enclave";
  const auto agent = [](const std::string& enclave_key) {
    return "agent --cluster " + dir_.string() + " --secret-file " + path("secret.txt") + " --enclave-key " +
           path(enclave_key) + " --policy " + path("policy.json") + " --every 200ms --timeout-ms 2000";
  };
  auto first = test::run_cli_for(2, agent("enclave.key"));
  ASSERT_NE(first.output.find("agent: protected the secret"), std::string::npos) << first.output;
  const std::string key_id = nlohmann::json::parse(slurp(path("secret.txt.vigil.json")))["key_id"];

  // The enclave is gone; a fresh one of the same image starts with an empty
  // volume and a key of its own, told the key id to recover.
  fs::remove(path("secret.txt"));
  fs::remove(path("secret.txt.vigil.json"));
  {
    // A guest agent that quotes something else: named, and nothing written.
    const vigil::test::DstackStandIn wrong(dir_ / "wrong.sock", [](const std::array<std::uint8_t, 64>&) {
      dcap::TdReport td = world_->td_report();
      td.report_data.fill(0x11);
      return world_->quote(td);
    });
    auto refused = test::run_cli_for(
        3, agent("fresh-enclave.key") + " --key-id " + key_id + " --dstack-socket " + wrong.socket().string());
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find("the dstack guest agent quoted other report data than the request's"),
              std::string::npos)
        << refused.output;
    EXPECT_FALSE(fs::exists(path("secret.txt")));
  }
  const vigil::test::DstackStandIn guest_agent(dir_ / "dstack.sock", [](const std::array<std::uint8_t, 64>& data) {
    dcap::TdReport td = world_->td_report();
    td.report_data = data;
    return world_->quote(td);
  });
  auto second = test::run_cli_for(
      3, agent("fresh-enclave.key") + " --key-id " + key_id + " --dstack-socket " + guest_agent.socket().string());
  EXPECT_NE(second.output.find("is absent: recovering key id " + key_id + " by attestation"), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("bytes from the dstack guest agent"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("recovered 20 bytes with verified shares from nodes"), std::string::npos)
      << second.output;
  // Its own enclave key cannot heartbeat the old registration: it protects the secret anew, then heartbeats.
  EXPECT_NE(second.output.find("protecting the secret anew"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("took it"), std::string::npos) << "heartbeating again: " << second.output;
  EXPECT_EQ(slurp(path("secret.txt")), "survives the enclave");
  const std::string new_key_id = nlohmann::json::parse(slurp(path("secret.txt.vigil.json")))["key_id"];
  EXPECT_NE(new_key_id, key_id);
  EXPECT_EQ(guest_agent.requests(), 1);

  // A request whose quote binds other report data: every node refuses, naming why.
  ASSERT_EQ(run_cli("recover prepare --cluster " + dir_.string() + " --key-id " + key_id + " --request " +
                    path("request.json") + " --response-key " + path("response.key") + " --force")
                .exit_code,
            0);
  dcap::TdReport td = world_->td_report();
  td.report_data.fill(0x42);
  const Bytes other = world_->quote(td);
  std::ofstream(path("other.quote")) << to_hex(other);
  const std::string submit = "recover submit --cluster " + dir_.string() + " --request " + path("request.json") +
                             " --response-key " + path("response.key") + " --force --out " + path("stolen.txt");
  auto r = run_cli(submit + " --quote " + path("other.quote"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (int i = 1; i <= 5; ++i) {
    const std::string expected =
        "node " + std::to_string(i) + ": not_attested: report_data: the quote does not bind this request";
    EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(path("stolen.txt")));

  // A real quote (a TDX machine's, from the shared vectors), whose report
  // data binds something else: every node refuses it, naming why, before
  // spending a signature check on it.
  const fs::path real_quote = vigil::test::shared_vectors_path("dcap/tdx_quote");
  if (!fs::exists(real_quote)) GTEST_SKIP() << "shared vectors missing: " << real_quote;
  r = run_cli(submit + " --quote " + real_quote.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (int i = 1; i <= 5; ++i) {
    const std::string expected =
        "node " + std::to_string(i) + ": not_attested: report_data: the quote does not bind this request";
    EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace vigil::cli
