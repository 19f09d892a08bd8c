// vigil::client: what an application links to use a vigil cluster. An
// enclave protects a secret under a release policy (the secret is TDH2
// encrypted to the cluster's group key, labelled with the policy's digest,
// and registered with every node under the enclave's signature) and proves
// it is alive with signed heartbeats. Later a requester recovers it: one
// request, signed by the requesters the policy names, asks the nodes for
// decryption shares sealed to a fresh key of its own; each node decides on
// its own state; the client verifies every share and combines any t valid
// ones, so neither the nodes nor a relay in between ever see the secret.
//
// The library carries none of the node's dependencies. It takes its
// transport, clock and randomness as inputs: HttpTransport below (the
// default speaks plain HTTP/1.1 to the nodes' client API, docs/api.md; an
// application in an enclave may route through its own stack), vigil::Clock
// for timestamps and expiries, vigil::Rng for keys and nonces.
//
//   auto cluster = client::parse_cluster_description(json).value();
//   auto transport = client::make_http_transport();
//   SystemClock clock;
//   auto vault = client::ClusterClient<Ristretto255>::create(cluster, *transport, system_rng(), clock).value();
//   auto protection = vault.protect(enclave_key, policy, secret);         // key id, per-node outcome
//   vault.heartbeat(enclave_key, protection->key_id, counter);            // while alive
//   auto request = vault.prepare_recovery(protection->key_id, response.public_key);
//   request.sign(admin_key);                                              // each requester, anywhere
//   auto recovered = vault.recover(request, response);  // plaintext, nodes used, each node's refusal
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/clock.h"
#include "vigil/ed25519.h"
#include "vigil/policy.h"
#include "vigil/tdh2.h"
#include "vigil/x25519.h"

namespace vigil::client {

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

// How requests reach the nodes. Implementations must be safe to call from
// several threads at once (ClusterClient asks t nodes in parallel).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // `url` is "http://host:port/path"; `body` is JSON (empty for GET).
  // Fails with kTransport or kTimeout; any HTTP status is a response.
  virtual Result<HttpResponse> request(std::string_view method, const std::string& url, const std::string& body,
                                       std::chrono::milliseconds timeout) = 0;
};

// HTTP/1.1 over TCP, keeping idle connections to each node for reuse.
std::unique_ptr<HttpTransport> make_http_transport();

struct NodeEndpoint {
  ParticipantIndex index = 0;
  std::string api;  // base URL of the node's client API, "http://host:port"
};

// What a client needs to know of a cluster, and nothing of how its nodes run.
struct ClusterDescription {
  CurveId curve = CurveId::kRistretto255;
  std::size_t threshold = 0;
  std::uint32_t key_epoch = 0;       // nodes refuse requests for another epoch, so shares never mix
  Bytes group_public_key;            // empty until the cluster holds a key
  std::vector<Bytes> public_shares;  // X_1..X_n, one per node, by index
  std::vector<NodeEndpoint> nodes;

  bool has_key() const { return !group_public_key.empty(); }
};

// Parses a cluster description (the JSON of `vigil cluster up`'s
// cluster.json; other fields are ignored):
//   { "curve": "ristretto255", "threshold": 3, "key_epoch": 1,
//     "group_public_key": hex, "public_shares": [hex, ...],
//     "nodes": [ { "index": 1, "api": "http://10.0.0.1:8100" }, ... ] }
// kBadEncoding naming the field that is wrong.
Result<ClusterDescription> parse_cluster_description(std::string_view json);
inline constexpr std::size_t kMaxClusterDescriptionBytes = 1u << 20;  // larger text is refused unparsed

// Builds a description from the nodes' own reports (GET /v1/status of each
// URL): every node that answers with a key must agree on the curve,
// threshold, epoch, group key and public shares (else kVerificationFailed
// naming it). Nodes that do not answer, or hold no key, are left out as long
// as at least t that do agree (fewer could all be lying); otherwise the
// error names why each was left out.
Result<ClusterDescription> fetch_cluster_description(HttpTransport& transport, std::span<const std::string> node_urls,
                                                     std::chrono::milliseconds timeout);

// A node that failed a request, and how ("unreachable: ...",
// "refused (403): ...", "invalid share (proof does not verify)").
// A release policy as people write it (docs/policies.md):
//   { "enclave_key": "<hex>",
//     "any_of": [ { "all_of": [ { "enclave_silent": { "timeout": "30d" } },
//                               { "requester": { "keys": ["<hex>"], "m": 1 } },
//                               { "not_before": { "time": "2027-01-01T00:00:00Z" } },
//                               { "max_releases": { "count": 1 } } ] } ] }
// Unknown fields are refused (a misspelt one must not weaken a policy); an
// error (kInvalidInput) starts with the field's JSON path, e.g.
// "any_of[0].all_of[1].requester.m: ...".
Result<Policy> parse_policy_json(std::string_view json);
inline constexpr std::size_t kMaxPolicyJsonBytes = 64u << 10;  // larger text is refused unparsed

// A duration as the command line takes it: digits and one of ms, s, m, h, d
// ("500ms", "4s", "10m", "2h", "30d"), in milliseconds. kInvalidInput.
Result<std::uint64_t> parse_duration_ms(std::string_view text);

// A node that failed a request, and how: `code` is the node's stable
// refusal code ("enclave_alive", "not_authorised", ... docs/api.md) or one of
// the client's own ("unreachable", "malformed_response", "invalid_share",
// "wrong_ciphertext"); `problem` says it for people.
struct NodeProblem {
  ParticipantIndex index = 0;
  std::string problem;
  std::string code;
};

// A protected secret's id: SHA-256 over its policy's digest and its first
// ciphertext's digest (proto/README.md). Hex on the command line.
using KeyId = std::array<std::uint8_t, 32>;

struct CallOptions {
  std::chrono::milliseconds per_node_timeout{5000};
};

// What a registration did on each node.
struct Protection {
  KeyId key_id{};
  Bytes policy;                            // the canonical bytes registered
  std::vector<ParticipantIndex> accepted;  // nodes that hold it now
  std::vector<NodeProblem> problems;
};

struct HeartbeatReport {
  std::uint64_t counter = 0;
  std::vector<ParticipantIndex> accepted;
  std::vector<NodeProblem> problems;
};

// A recovery request (POST /v1/recoveries): prepared once, then signed by
// each requester the policy needs, each on their own machine if they like;
// every signer signs the same bytes.
struct RecoveryRequest {
  KeyId key_id{};
  X25519PublicKey response_key{};  // the shares are sealed to it
  Bytes nonce;                     // 16..64 random bytes
  std::int64_t expires_at_unix_ms = 0;
  std::uint32_t key_epoch = 0;  // 0: any
  std::vector<std::pair<Ed25519PublicKey, Ed25519Signature>> signatures;
  // A DCAP quote whose report data is the cluster's report_data_for(this
  // request), for policies with an attested condition (docs/attestation.md).
  Bytes quote;

  // recovery_request_signing_bytes (proto/README.md).
  Bytes signing_bytes() const;
  // Adds `requester`'s signature, replacing an earlier one of the same key.
  void sign(const Ed25519KeyPair& requester);
};

// The request as the API's JSON body (docs/api.md), which is also the file
// `vigil recover prepare` writes and `sign` and `submit` read.
std::string recovery_request_to_json(const RecoveryRequest& request);
// kBadEncoding naming the field (signatures are checked by the nodes).
Result<RecoveryRequest> parse_recovery_request_json(std::string_view json);
inline constexpr std::size_t kMaxRecoveryRequestJsonBytes = 1u << 20;  // larger text is refused unparsed

struct Recovery {
  SecretBytes plaintext;
  std::vector<ParticipantIndex> used;  // nodes whose verified shares were combined
  std::vector<NodeProblem> problems;   // nodes that refused, failed or lied, and why
};

struct RecoveryOptions {
  std::chrono::milliseconds per_node_timeout{5000};
  std::size_t first_node = 0;  // which node to ask first, to spread load (taken modulo n)
};

// A cluster's key on curve C, with the transport, clock and randomness the
// requests use. Holds references: they must outlive the client. `rng` is
// used by the calling thread only, so one client may serve several threads
// when its Rng is thread-safe (system_rng() is; a StreamRng is not).
template <Curve C>
class ClusterClient {
 public:
  // Checks the description: on curve C, with a key, one public share per
  // node, every encoding valid.
  static Result<ClusterClient> create(const ClusterDescription& cluster, HttpTransport& transport, Rng& rng,
                                      const Clock& clock);

  const Tdh2PublicKey<C>& key() const { return key_; }
  const ClusterDescription& cluster() const { return cluster_; }

  // TDH2 under `label` (vigil puts the policy digest there); no node is asked.
  Result<Tdh2Ciphertext<C>> encrypt(ByteSpan label, ByteSpan payload) const;

  // Protects `secret` under `policy` (whose enclave key must be `enclave`'s):
  // encrypts it under the policy's digest and registers it, signed, with
  // every node in parallel. Succeeds when at least t nodes hold it (nodes
  // pass registrations on to each other), naming every node that did not.
  Result<Protection> protect(const Ed25519KeyPair& enclave, const Policy& policy, ByteSpan secret,
                             const CallOptions& options = {}) const;

  // A heartbeat with `counter` (above every earlier one: a clock in
  // milliseconds does) to every node in parallel. With `new_secret`, it
  // also replaces the protected ciphertext under the same policy (the
  // enclave rotated its secret; the policy is fetched and checked first).
  // Succeeds when at least one node took it.
  Result<HeartbeatReport> heartbeat(const Ed25519KeyPair& enclave, const KeyId& key_id, std::uint64_t counter,
                                    std::optional<ByteSpan> new_secret = std::nullopt,
                                    const CallOptions& options = {}) const;

  // The registration's policy as the nodes hold it, checked: the enclave
  // signed it and it has this key id. The first node whose copy checks wins.
  Result<Policy> fetch_policy(const KeyId& key_id, const CallOptions& options = {}) const;

  // A request for this cluster's current key epoch, valid for `validity`,
  // with a fresh nonce and no signature yet.
  RecoveryRequest prepare_recovery(const KeyId& key_id, const X25519PublicKey& response_key,
                                   std::chrono::milliseconds validity = std::chrono::minutes(10)) const;

  // The 64 bytes a quote in `request` must carry as its report data: they
  // bind the request (its key id, response key, nonce, expiry and epoch)
  // and this cluster's group key (proto/README.md, "Attested recovery").
  // Prepare the request first; any change to it needs a new quote.
  std::array<std::uint8_t, 64> report_data_for(const RecoveryRequest& request) const;

  // Sends a signed (or attested) request to t nodes (more only as some refuse or fail),
  // opens each share with `response_key`, verifies it against its node's
  // public share and combines t valid shares of one ciphertext. Fails when
  // fewer than t come back, naming every node and its reason.
  Result<Recovery> recover(const RecoveryRequest& request, const X25519KeyPair& response_key,
                           const RecoveryOptions& options = {}) const;

 private:
  ClusterClient(ClusterDescription cluster, HttpTransport& transport, Rng& rng, const Clock& clock,
                Tdh2PublicKey<C> key, std::vector<Element<C>> public_shares)
      : cluster_(std::move(cluster)),
        transport_(&transport),
        rng_(&rng),
        clock_(&clock),
        key_(std::move(key)),
        public_shares_(std::move(public_shares)) {}

  ClusterDescription cluster_;
  HttpTransport* transport_;
  Rng* rng_;
  const Clock* clock_;
  Tdh2PublicKey<C> key_;
  std::vector<Element<C>> public_shares_;
};

// Inside a dstack CVM: the guest agent's TDX quote over `report_data`
// (POST /GetQuote on its unix socket). kTransport or kTimeout when no agent
// answers or it refuses, kBadEncoding when its answer is not a quote.
inline constexpr const char* kDstackSocket = "/var/run/dstack.sock";
Result<Bytes> dstack_get_quote(const std::string& socket_path, const std::array<std::uint8_t, 64>& report_data,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace vigil::client
