// vigild's TOML configuration: a full config parses and round-trips through
// render_node_config; every mistake names its key.
#include <gtest/gtest.h>

#include <thread>

#include "node/config.h"

namespace vigil::node {
namespace {

const std::string kKey(64, 'a');

std::string good_config() {
  return R"([node]
index = 2
data_dir = "node2"

[listen]
peer = "127.0.0.1:7102"
api = "127.0.0.1:0"

[[peers]]
index = 1
address = "127.0.0.1:7101"
identity = ")" +
         kKey + R"("

[[peers]]
index = 3
address = "localhost:7103"
identity = ")" +
         kKey + R"("

[[operators]]
name = "ops"
key = ")" +
         kKey + R"("

[ceremonies]
operator_quorum = 1
threshold_floor_percent = 60

[limits]
max_frame_bytes = 4096
read_timeout_ms = 500
clock_skew_s = 5
)";
}

TEST(NodeConfig, ParsesAndRoundTrips) {
  auto c = parse_node_config(good_config(), "/etc/vigil");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->index, 2u);
  EXPECT_EQ(c->data_dir, std::filesystem::path("/etc/vigil/node2"));
  EXPECT_EQ(c->api_listen.port, 0);
  ASSERT_EQ(c->peers.size(), 2u);
  EXPECT_EQ(c->peers[1].address.host, "localhost");
  EXPECT_EQ(c->limits.max_frame_bytes, 4096u);
  EXPECT_EQ(c->limits.read_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c->limits.max_connections, 256u);  // default
  EXPECT_EQ(c->limits.max_connections_per_source, 32u);
  EXPECT_EQ(c->api().max_request_bytes_in_flight, 64u << 20);
  EXPECT_EQ(c->work().threads, std::max(1u, std::thread::hardware_concurrency())) << "0: one worker per core";
  EXPECT_EQ(c->work().max_queued_client, 64u);
  EXPECT_EQ(c->service().clock_skew, std::chrono::seconds(5));
  ASSERT_NE(c->peer(3), nullptr);
  EXPECT_EQ(c->peer(4), nullptr);
  EXPECT_EQ(c->ceremonies().operator_quorum, 1u);
  EXPECT_EQ(c->ceremonies().threshold_floor_percent, 60u);

  auto again = parse_node_config(render_node_config(*c), "/elsewhere");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(render_node_config(*again), render_node_config(*c));
  EXPECT_TRUE(c->attestation_test_root.empty());

  // A test root (vigild-test only) resolves like every path, and round-trips.
  auto tested = parse_node_config(good_config() + "\n[attestation]\ntest_root_ca = \"root.der\"\n", "/etc/vigil");
  ASSERT_TRUE(tested.ok()) << tested.error().to_string();
  EXPECT_EQ(tested->attestation_test_root, std::filesystem::path("/etc/vigil/root.der"));
  EXPECT_EQ(parse_node_config(render_node_config(*tested), "/x")->attestation_test_root, tested->attestation_test_root);
}

TEST(NodeConfig, ErrorsNameTheKey) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string text = good_config();
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  struct Case {
    std::string text, message;
  };
  for (const auto& c : std::vector<Case>{
           {with("index = 2", "index = 0"), "node.index: must be between 1"},
           {with("index = 2", "index = \"two\""), "node.index: must be an integer"},
           {with("index = 2\n", ""), "node.index: missing"},
           {with("data_dir = \"node2\"", ""), "node.data_dir: missing"},
           {with("127.0.0.1:7102", "127.0.0.1"), "listen.peer: expected host:port"},
           {with("127.0.0.1:0", "127.0.0.1:99999"), "listen.api: port"},
           {with("index = 1\n", "index = 3\n"), "peers[1].index: index 3 appears twice"},
           {with("index = 1\n", "index = 2\n"), "peers[0].index: index 2 appears twice"},
           {with("identity = \"" + kKey, "identity = \"zz" + kKey.substr(2)), "peers[0].identity: expected 64 hex"},
           {with("key = \"" + kKey, "key = \"" + kKey.substr(1)), "operators[0].key: expected 64 hex"},
           {with("[ceremonies]", "[[requesters]]\nname = \"a\"\n\n[ceremonies]"),
            "requesters: no longer read: who may recover a secret is named by its own release policy"},
           {with("max_frame_bytes = 4096", "max_frame_bytes = -1"), "limits.max_frame_bytes: must be a positive"},
           {with("clock_skew_s = 5", "clock_skew_s = 0"), "limits.clock_skew_s: must be a positive"},
           {with("clock_skew_s = 5", "clock_skew_s = 86401"), "limits.clock_skew_s: must be at most 86400"},
           {with("clock_skew_s = 5", "clock_skew_s = 5\nmax_request_bytes_in_flight = 1024"),
            "limits.max_request_bytes_in_flight: must be at least limits.max_request_bytes"},
           {with("clock_skew_s = 5", "clock_skew_s = 5\nworker_threads = -1"),
            "limits.worker_threads: must be an integer from 0 (one per core) to 1024"},
           {with("clock_skew_s = 5", "clock_skew_s = 5\nmax_queued_requests = 0"),
            "limits.max_queued_requests: must be a positive"},
           {with("operator_quorum = 1", "operator_quorum = 2"), "ceremonies.operator_quorum: is more than the 1 keys"},
           {with("operator_quorum = 1", "operator_quorum = 0"), "ceremonies.operator_quorum: must be a positive"},
           {with("threshold_floor_percent = 60", "threshold_floor_percent = 100"),
            "ceremonies.threshold_floor_percent: must be an integer from 0 to 99"},
           {with("[node]", "[node"), "not valid TOML (line 1"},
           {with("[ceremonies]", "[attestation]\nroot = \"x.der\"\n\n[ceremonies]"), "attestation.root: unknown key"},
           {with("[ceremonies]", "[attestation]\ntest_root_ca = 1\n\n[ceremonies]"),
            "attestation.test_root_ca: must be a path"},
       }) {
    auto r = parse_node_config(c.text, ".");
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(load_node_config("/nonexistent/node.toml").ok());
}

}  // namespace
}  // namespace vigil::node
