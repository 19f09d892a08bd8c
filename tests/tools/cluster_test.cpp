// A real local cluster: vigild processes on loopback started by
// `vigil cluster up`, decryption with nodes killed and restarted, replays
// and malformed requests against the real HTTP server.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include <utility>

#include <boost/asio.hpp>

#include <google/protobuf/util/json_util.h>

#include "cluster_file.h"
#include "http.h"
#include "proto/codec.h"
#include "proto/decryption_request.h"
#include "support/test_support.h"
#include "tools/run_cli.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using test::CliRun;
CliRun vigil_cli(const std::string& args) { return test::run_cli(args); }

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("vigil-cluster-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto r = vigil_cli("cluster up --dir " + dir_.string() + " --n 5 --t 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    vigil_cli("cluster down --dir " + dir_.string());
    fs::remove_all(dir_);
  }
  static ClusterFile cluster() { return load_cluster(dir_).value(); }
  static std::string path(const std::string& name) { return (dir_ / name).string(); }
  static CliRun decrypt(const std::string& out) {
    return vigil_cli("decrypt --cluster " + dir_.string() + " --ciphertext " + path("secret.ct") + " --force --out " +
                     path(out) + " --timeout-ms 2000");
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static inline fs::path dir_;
};

TEST_F(ClusterTest, ClusterJsonDescribesEveryNode) {
  auto j = nlohmann::json::parse(slurp(path("cluster.json")));
  EXPECT_EQ(j["threshold"], 3);
  EXPECT_EQ(j["curve"], "ristretto255");
  ASSERT_EQ(j["nodes"].size(), 5u);
  for (const auto& n : j["nodes"]) {
    EXPECT_TRUE(n.contains("index") && n.contains("api") && n.contains("peer") && n.contains("pid"));
    EXPECT_GT(n["pid"].get<int>(), 0);
  }
  EXPECT_EQ(vigil_cli("cluster status --dir " + dir_.string()).exit_code, 0);
}

TEST_F(ClusterTest, DecryptsWithTwoNodesDownFailsWithThreeAndRecoversAfterRestart) {
  std::ofstream(path("secret.txt")) << "wallet key 0xabcdef";
  ASSERT_EQ(vigil_cli("encrypt --cluster " + dir_.string() + " --label policy:1 --in " + path("secret.txt") +
                      " --force --out " + path("secret.ct"))
                .exit_code,
            0);
  auto r = decrypt("out1.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("out1.txt")), "wallet key 0xabcdef");

  auto c = cluster();
  ::kill(c.processes[0].pid, SIGKILL);
  ::kill(c.processes[2].pid, SIGKILL);
  r = decrypt("out2.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("out2.txt")), "wallet key 0xabcdef");
  EXPECT_NE(r.output.find("node 1: unreachable"), std::string::npos) << r.output;

  ::kill(c.processes[4].pid, SIGKILL);
  r = decrypt("out3.txt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const char* node : {"node 1: unreachable", "node 3: unreachable", "node 5: unreachable"}) {
    EXPECT_NE(r.output.find(node), std::string::npos) << r.output;
  }
  EXPECT_EQ(vigil_cli("cluster status --dir " + dir_.string()).exit_code, 1);

  // A killed node comes back from its data folder with its share intact.
  for (unsigned i : {1u, 3u, 5u}) {
    auto restarted = vigil_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(i));
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  }
  ::kill(cluster().processes[1].pid, SIGKILL);
  ::kill(cluster().processes[3].pid, SIGKILL);
  r = decrypt("out4.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("out4.txt")), "wallet key 0xabcdef");
  for (unsigned i : {2u, 4u}) {
    ASSERT_EQ(vigil_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(i)).exit_code, 0);
  }
}

TEST_F(ClusterTest, ReplayedRequestIsRefusedOverHttp) {
  auto c = cluster();
  SeededRng rng(vigil::test::test_seed() + 120);
  const auto key =
      Tdh2PublicKey<Ristretto255>::create(Element<Ristretto255>::decode(c.description.group_public_key).value())
          .value();
  auto ct = tdh2_encrypt<Ristretto255>(rng, key, as_bytes("p"), as_bytes("m"));
  v1::RegisterCiphertextRequest reg;
  *reg.mutable_ciphertext() = proto::to_proto(ct);
  std::string reg_body;
  (void)google::protobuf::util::MessageToJsonString(reg, &reg_body);
  const std::string api = c.description.nodes[0].api;
  auto registered = http_request("POST", api + "/v1/ciphertexts", reg_body, milliseconds(2000));
  ASSERT_TRUE(registered.ok());
  ASSERT_EQ(registered->status, 200u) << registered->body;

  auto requester = ed25519_from_seed(from_hex(slurp(path("requester.key")).substr(0, 64)).value()).value();
  auto response_key = x25519_generate(rng);
  const auto digest = tdh2_ciphertext_digest(ct);
  v1::DecryptionRequest req;
  req.set_ciphertext_digest(std::string(digest.begin(), digest.end()));
  req.set_response_key(std::string(response_key.public_key.begin(), response_key.public_key.end()));
  req.set_request_id(std::string(16, 'r'));
  req.set_nonce(std::string(16, 'n'));
  req.set_expires_at_unix_ms(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 30000);
  proto::sign_decryption_request(req, requester);
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(req, &body);
  auto first = http_request("POST", api + "/v1/decryption-shares", body, milliseconds(2000));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 200u) << first->body;
  auto replay = http_request("POST", api + "/v1/decryption-shares", body, milliseconds(2000));
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->status, 403u) << replay->body;
  EXPECT_NE(replay->body.find("replayed"), std::string::npos) << replay->body;
}

TEST_F(ClusterTest, RealServerRefusesMalformedInputAndKeepsServing) {
  const std::string api = cluster().description.nodes[1].api;
  {
    // A declared body over limits.max_request_bytes is refused before it is read.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    const auto port = static_cast<unsigned short>(std::stoi(api.substr(api.rfind(':') + 1)));
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const std::string head = "POST /v1/ciphertexts HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(head));
    std::array<char, 256> buf{};
    boost::system::error_code ec;
    const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
    EXPECT_NE(std::string(buf.data(), n).find("413"), std::string::npos) << std::string(buf.data(), n);
  }
  auto junk = http_request("POST", api + "/v1/decryption-shares", "{not json", milliseconds(2000));
  ASSERT_TRUE(junk.ok());
  EXPECT_EQ(junk->status, 400u);
  auto wrong_type =
      http_request("POST", api + "/v1/decryption-shares", "{\"expires_at_unix_ms\": \"soon\"}", milliseconds(2000));
  ASSERT_TRUE(wrong_type.ok());
  EXPECT_EQ(wrong_type->status, 400u);
  auto health = http_request("GET", api + "/healthz", "", milliseconds(2000));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200u);
}

}  // namespace
}  // namespace vigil::cli
