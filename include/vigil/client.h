// vigil::client: what an application links to use a vigil cluster. An
// enclave encrypts a secret to the cluster's group key; later a requester
// asks the nodes for decryption shares sealed to a fresh key of its own,
// verifies every share and combines any t valid ones, so neither the nodes
// nor a relay in between ever see the secret.
//
// The library carries none of the node's dependencies. It takes its
// transport, clock and randomness as inputs: HttpTransport below (the
// default speaks plain HTTP/1.1 to the nodes' client API; an application in
// an enclave may route through its own stack), vigil::Clock for request
// expiries, vigil::Rng for keys and nonces.
//
//   auto cluster = client::parse_cluster_description(json).value();
//   auto transport = client::make_http_transport();
//   SystemClock clock;
//   auto vault = client::ClusterClient<Ristretto255>::create(cluster, *transport, system_rng(), clock).value();
//   auto ciphertext = vault.encrypt(label, secret);
//   auto recovered = vault.decrypt(requester, ciphertext);  // plaintext, nodes used, problems
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/clock.h"
#include "vigil/ed25519.h"
#include "vigil/policy.h"
#include "vigil/tdh2.h"

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

// Builds a description from the nodes' own reports (GET /v1/status of each
// URL): every node must answer and all must agree on the curve, threshold,
// epoch, group key and public shares. Fails naming the node that did not.
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

// A duration as the command line takes it: digits and one of ms, s, m, h, d
// ("500ms", "4s", "10m", "2h", "30d"), in milliseconds. kInvalidInput.
Result<std::uint64_t> parse_duration_ms(std::string_view text);

struct NodeProblem {
  ParticipantIndex index = 0;
  std::string problem;
};

struct Decryption {
  SecretBytes plaintext;
  std::vector<ParticipantIndex> used;  // nodes whose verified shares were combined
  std::vector<NodeProblem> problems;   // nodes that failed or lied, and why
};

struct DecryptOptions {
  std::chrono::milliseconds per_node_timeout{5000};
  std::chrono::milliseconds validity{60000};  // how long the signed request stays valid
  std::size_t first_node = 0;                 // which node to ask first, to spread load (taken modulo n)
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

  // TDH2 under `label` (vigil puts the policy hash there); no node is asked.
  Tdh2Ciphertext<C> encrypt(ByteSpan label, ByteSpan payload) const;

  // Asks t nodes (more only when some fail) for shares sealed to a fresh
  // X25519 key, in a request signed by `requester`; verifies each share,
  // combines t valid ones and decrypts. A node that does not know the
  // ciphertext is sent it first. Fails when fewer than t valid shares come
  // back, naming every node that failed and why.
  Result<Decryption> decrypt(const Ed25519KeyPair& requester, const Tdh2Ciphertext<C>& ciphertext,
                             const DecryptOptions& options = {}) const;

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

}  // namespace vigil::client
