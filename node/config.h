// vigild's configuration: one TOML file per node.
//
//   [node]
//   index = 1                         # this node's participant index
//   data_dir = "node1"                # relative to the config file's folder
//   log_format = "text"               # or "json"
//   log_level = "info"
//
//   [listen]
//   peer = "127.0.0.1:7101"           # TLS 1.3, mutually authenticated
//   api = "127.0.0.1:8101"            # HTTP/JSON client API, /metrics, /healthz
//
//   [[peers]]                         # every other node
//   index = 2
//   address = "127.0.0.1:7102"
//   identity = "<64 hex: the peer's Ed25519 identity public key>"
//
//   [[operators]]                     # who may start a DKG or a resharing
//   name = "ops"
//   key = "<64 hex: Ed25519 public key>"
//
//   [ceremonies]                      # all optional
//   operator_quorum = 1               # distinct [[operators]] that must approve a plan
//   threshold_floor_percent = 50      # a plan's t must exceed this share of its n
//
//   [limits]                          # all optional
//   max_frame_bytes = 1048576
//   max_request_bytes = 8388608
//   max_connections = 256             # client API connections; when full, the longest idle one makes room
//   max_connections_per_source = 32   # client API connections from one address
//   max_request_bytes_in_flight = 67108864  # request bodies held at once, all connections together
//   worker_threads = 0                # threads for CPU-heavy work; 0: one per core
//   max_queued_requests = 64          # client requests waiting for a worker; more are answered 503
//   peer_queue_depth = 64
//   read_timeout_ms = 10000
//   request_max_age_s = 86400         # how far ahead a recovery request's expiry may be
//   max_ciphertexts = 100000          # protected secrets kept
//   clock_skew_s = 60                 # how far an enclave's timestamps may be from this node's clock
//
// Errors name the key and the problem: "peers[1].identity: expected 64 hex digits".
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/ed25519.h"
#include "vigil/result.h"
#include "vigil/shamir.h"

namespace vigil::node {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// "host:port" with a numeric port; port 0 asks the system for a free one.
Result<Endpoint> parse_endpoint(const std::string& text);

struct PeerConfig {
  ParticipantIndex index = 0;
  Endpoint address;
  Ed25519PublicKey identity{};
};

// A named Ed25519 key: a requester, or an operator who may start ceremonies.
struct NamedKey {
  std::string name;
  Ed25519PublicKey key{};
};

struct Limits {
  std::size_t max_frame_bytes = 1u << 20;
  std::size_t max_request_bytes = 8u << 20;
  std::size_t max_connections = 256;
  std::size_t max_connections_per_source = 32;
  std::size_t max_request_bytes_in_flight = 64u << 20;
  std::size_t worker_threads = 0;  // 0: one per core
  std::size_t max_queued_requests = 64;
  std::size_t peer_queue_depth = 64;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::seconds request_max_age{86400};
  std::size_t max_ciphertexts = 100000;
  std::chrono::seconds clock_skew{60};
};

// What each area of the node reads of the configuration: NodeConfig hands
// each its slice, so an area depends on the settings it uses, not the file.
struct PeerLinkSettings {  // node/peers
  ParticipantIndex self = 0;
  Endpoint listen;
  std::vector<PeerConfig> peers;
  std::size_t max_frame_bytes = 0;
  std::size_t queue_depth = 0;
  std::chrono::milliseconds read_timeout{};
};

struct ApiSettings {  // node/api
  Endpoint listen;
  std::size_t max_request_bytes = 0;
  std::size_t max_connections = 0;
  std::size_t max_connections_per_source = 0;
  std::size_t max_request_bytes_in_flight = 0;
  std::chrono::milliseconds read_timeout{};
};

struct WorkSettings {  // node/work_pool.h
  std::size_t threads = 0;
  std::size_t max_queued_client = 0;
};

struct ServiceSettings {  // node/release
  ParticipantIndex self = 0;
  std::vector<PeerConfig> peers;  // reported in status
  std::chrono::seconds request_max_age{};
  std::size_t max_ciphertexts = 0;
  std::chrono::seconds clock_skew{};
};

struct CeremonySettings {  // node/ceremony
  ParticipantIndex self = 0;
  std::map<ParticipantIndex, Ed25519PublicKey> peer_identities;  // sign and receive ceremony messages
  std::vector<Ed25519PublicKey> operators;                       // may approve a plan
  std::size_t operator_quorum = 1;                               // distinct approvals a plan needs
  unsigned threshold_floor_percent = 50;                         // t * 100 > n * this
};

struct NodeConfig {
  ParticipantIndex index = 0;
  std::filesystem::path data_dir;
  std::string log_format = "text";
  std::string log_level = "info";
  Endpoint peer_listen;
  Endpoint api_listen;
  std::vector<PeerConfig> peers;
  std::vector<NamedKey> operators;
  std::size_t operator_quorum = 1;
  unsigned threshold_floor_percent = 50;
  Limits limits;
  // [attestation] test_root_ca: a DER root trusted beside Intel's, for
  // tests with synthetic quotes. Only vigild-test (built with the tests,
  // never installed) accepts it; vigild refuses to start with it.
  std::filesystem::path attestation_test_root;

  const PeerConfig* peer(ParticipantIndex i) const;

  PeerLinkSettings peer_links() const;
  ApiSettings api() const;
  // limits.worker_threads resolved: 0 becomes the number of cores.
  WorkSettings work() const;
  ServiceSettings service() const;
  CeremonySettings ceremonies() const;
};

// Parses and validates; relative paths resolve against `base_dir`.
Result<NodeConfig> parse_node_config(const std::string& toml_text, const std::filesystem::path& base_dir);
Result<NodeConfig> load_node_config(const std::filesystem::path& path);

// The TOML text of a configuration (what `vigil init` and `vigil cluster up` write).
std::string render_node_config(const NodeConfig& config);

}  // namespace vigil::node
