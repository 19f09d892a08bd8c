// ClusterClient (vigil/client.h): protecting a secret with every node,
// heartbeats, and recovery through the nodes. Registrations and heartbeats
// go to every node in parallel; a recovery is one signed request, sent to t
// nodes in parallel and to more only as nodes refuse or fail; each answer is
// opened with the request's X25519 key and its proof checked before any
// share is combined.
#include <algorithm>
#include <future>
#include <map>

#include "client/helper_threads.h"
#include "client/node_api.h"
#include "proto/codec.h"
#include "proto/protected_secrets.h"
#include "vigil/hash.h"

namespace vigil::client {
namespace {

// f(node) for every node at once (this thread takes the first); the
// results in the nodes' order.
template <class F>
auto ask_in_parallel(const std::vector<const NodeEndpoint*>& nodes, F&& f) {
  using T = decltype(f(*nodes.front()));
  std::vector<std::future<T>> others;
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    others.push_back(HelperThreads::shared().submit([&f, node = nodes[i]] { return f(*node); }));
  }
  std::vector<T> out;
  out.push_back(f(*nodes.front()));
  for (auto& o : others) out.push_back(o.get());
  return out;
}

struct Broadcast {
  std::vector<ParticipantIndex> accepted;
  std::vector<NodeProblem> problems;
};

// POSTs `body` to `path` on every node in parallel.
Broadcast post_to_all(HttpTransport& transport, const std::vector<NodeEndpoint>& nodes, const std::string& path,
                      const std::string& body, std::chrono::milliseconds timeout) {
  std::vector<const NodeEndpoint*> all;
  for (const auto& n : nodes) all.push_back(&n);
  auto answers = ask_in_parallel(all, [&](const NodeEndpoint& node) -> std::optional<NodeProblem> {
    auto r = request_unless_busy(transport, "POST", node.api + path, body, timeout);
    if (!r) return NodeProblem{node.index, "unreachable: " + r.error().message, "unreachable"};
    if (r->status != 200) return node_refusal(node.index, *r);
    return std::nullopt;
  });
  Broadcast out;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (answers[i]) {
      out.problems.push_back(std::move(*answers[i]));
    } else {
      out.accepted.push_back(nodes[i].index);
    }
  }
  return out;
}

std::string describe(const std::vector<NodeProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += (out.empty() ? "" : "; ") + ("node " + std::to_string(p.index) + ": " + p.problem);
  return out;
}

template <Curve C>
struct Attempt {
  ParticipantIndex index = 0;
  std::optional<DecryptionShare<C>> share;
  std::optional<Tdh2Ciphertext<C>> ciphertext;  // what the share decrypts
  NodeProblem problem;
};

// One node: ask for its sealed share and open it. The ciphertext it names
// and the share's proof are checked later.
template <Curve C>
Attempt<C> ask_node(HttpTransport& transport, const NodeEndpoint& node, const std::string& body,
                    ByteSpan request_digest, std::uint32_t key_epoch, const X25519KeyPair& response_key,
                    std::chrono::milliseconds timeout) {
  Attempt<C> out{node.index, std::nullopt, std::nullopt, {}};
  auto failed = [&out](std::string problem, std::string code) {
    out.problem = {out.index, std::move(problem), std::move(code)};
    return std::move(out);
  };
  auto r = request_unless_busy(transport, "POST", node.api + "/v1/recoveries", body, timeout);
  if (!r) return failed("unreachable: " + r.error().message, "unreachable");
  if (r->status != 200) {
    out.problem = node_refusal(node.index, *r);
    return out;
  }
  v1::RecoveryResponse response;
  if (!from_json(r->body, response)) return failed("malformed response", "malformed_response");
  if (response.share().key_epoch() != key_epoch) {
    return failed("answered for key epoch " + std::to_string(response.share().key_epoch()), "wrong_epoch");
  }
  // Decoded here; its validity proof is checked once per distinct
  // ciphertext, when its shares are grouped.
  auto ct = proto::from_proto<C>(response.ciphertext());
  if (!ct) return failed("its ciphertext does not decode: " + ct.error().message, "wrong_ciphertext");
  const CiphertextDigest digest = tdh2_ciphertext_digest(*ct);
  auto share = open_decryption_share<C>(response_key.secret_key.span(), as_bytes(response.share().sealed()),
                                        request_digest, digest, node.index);
  if (!share) return failed("sealed share does not open: " + share.error().message, "invalid_share");
  out.share = std::move(share).value();
  out.ciphertext = std::move(ct).value();
  return out;
}

constexpr const char* kInvalidShare = "invalid share (proof does not verify)";

}  // namespace

template <Curve C>
Result<ClusterClient<C>> ClusterClient<C>::create(const ClusterDescription& cluster, HttpTransport& transport, Rng& rng,
                                                  const Clock& clock) {
  if (cluster.curve != C::kId) {
    return make_error(ErrorCode::kInvalidInput,
                      "the cluster is on " + std::string(curve_name(cluster.curve)) + ", not " + std::string(C::kName));
  }
  if (!cluster.has_key()) return make_error(ErrorCode::kInvalidInput, "the cluster holds no key yet");
  VIGIL_ASSIGN_OR_RETURN(Element<C> group_key, Element<C>::decode(cluster.group_public_key));
  VIGIL_ASSIGN_OR_RETURN(auto key, Tdh2PublicKey<C>::create(group_key));
  std::vector<Element<C>> public_shares;
  for (const auto& bytes : cluster.public_shares) {
    auto share = Element<C>::decode(bytes);
    if (!share)
      return make_error(ErrorCode::kBadEncoding,
                        "public share " + std::to_string(public_shares.size() + 1) + ": " + share.error().message);
    public_shares.push_back(*share);
  }
  if (cluster.threshold == 0 || cluster.threshold > public_shares.size()) {
    return make_error(ErrorCode::kInvalidInput, "threshold " + std::to_string(cluster.threshold) + " with " +
                                                    std::to_string(public_shares.size()) + " public shares");
  }
  if (cluster.key_epoch == 0) return make_error(ErrorCode::kInvalidInput, "key epoch 0 names no key");
  std::vector<bool> seen(public_shares.size() + 1);
  for (const auto& n : cluster.nodes) {
    if (n.index == 0 || n.index > public_shares.size()) {
      return make_error(ErrorCode::kInvalidInput, "node " + std::to_string(n.index) + " has no public share");
    }
    if (seen[n.index])
      return make_error(ErrorCode::kInvalidInput, "node " + std::to_string(n.index) + " is listed twice");
    seen[n.index] = true;
  }
  return ClusterClient(cluster, transport, rng, clock, std::move(key), std::move(public_shares));
}

template <Curve C>
Result<Tdh2Ciphertext<C>> ClusterClient<C>::encrypt(ByteSpan label, ByteSpan payload) const {
  return tdh2_encrypt<C>(*rng_, key_, label, payload);
}

template <Curve C>
Result<Protection> ClusterClient<C>::protect(const Ed25519KeyPair& enclave, const Policy& policy, ByteSpan secret,
                                             const CallOptions& options) const {
  if (policy.enclave_key != enclave.public_key) {
    return make_error(ErrorCode::kInvalidInput, "enclave_key: the policy names another enclave key than the signer's");
  }
  VIGIL_RETURN_IF_ERROR(check_policy(policy));
  Protection out;
  out.policy = encode_policy(policy);
  const auto label = policy_digest(out.policy);
  VIGIL_ASSIGN_OR_RETURN(const Tdh2Ciphertext<C> ct, encrypt(label, secret));
  v1::Registration registration;
  registration.set_policy(as_string(out.policy));
  *registration.mutable_ciphertext() = proto::to_proto(ct);
  registration.set_registered_unix_ms(clock_->now_unix_ms());
  proto::sign_registration(registration, enclave);
  out.key_id = proto::protected_key_id(label, tdh2_ciphertext_digest(ct));
  Broadcast sent =
      post_to_all(*transport_, cluster_.nodes, "/v1/registrations", to_json(registration), options.per_node_timeout);
  if (sent.accepted.size() < cluster_.threshold) {
    return make_error(ErrorCode::kTransport, std::to_string(sent.accepted.size()) + " node(s) took the registration, " +
                                                 std::to_string(cluster_.threshold) +
                                                 " are needed: " + describe(sent.problems));
  }
  out.accepted = std::move(sent.accepted);
  out.problems = std::move(sent.problems);
  return out;
}

template <Curve C>
Result<HeartbeatReport> ClusterClient<C>::heartbeat(const Ed25519KeyPair& enclave, const KeyId& key_id,
                                                    std::uint64_t counter, std::optional<ByteSpan> new_secret,
                                                    const CallOptions& options) const {
  v1::Heartbeat heartbeat;
  heartbeat.set_key_id(as_string(key_id));
  heartbeat.set_counter(counter);
  heartbeat.set_unix_ms(clock_->now_unix_ms());
  if (new_secret) {
    VIGIL_ASSIGN_OR_RETURN(Policy policy, fetch_policy(key_id, options));
    if (policy.enclave_key != enclave.public_key) {
      return make_error(ErrorCode::kInvalidInput, "this secret's policy names another enclave key than the signer's");
    }
    VIGIL_ASSIGN_OR_RETURN(Tdh2Ciphertext<C> replacement, encrypt(policy_digest(encode_policy(policy)), *new_secret));
    *heartbeat.mutable_replacement() = proto::to_proto(replacement);
  }
  proto::sign_heartbeat(heartbeat, enclave);
  Broadcast sent =
      post_to_all(*transport_, cluster_.nodes, "/v1/heartbeats", to_json(heartbeat), options.per_node_timeout);
  if (sent.accepted.empty())
    return make_error(ErrorCode::kTransport, "no node took the heartbeat: " + describe(sent.problems));
  return HeartbeatReport{counter, std::move(sent.accepted), std::move(sent.problems)};
}

template <Curve C>
Result<Policy> ClusterClient<C>::fetch_policy(const KeyId& key_id, const CallOptions& options) const {
  std::vector<NodeProblem> problems;
  for (const auto& node : cluster_.nodes) {
    auto r = request_unless_busy(*transport_, "GET", node.api + "/v1/registrations?key_id=" + to_hex(key_id), "",
                                 options.per_node_timeout);
    if (!r) {
      problems.push_back({node.index, "unreachable: " + r.error().message, "unreachable"});
      continue;
    }
    if (r->status != 200) {
      problems.push_back(node_refusal(node.index, *r));
      continue;
    }
    v1::Registration registration;
    auto checked = from_json(r->body, registration)
                       ? proto::check_registration(registration)
                       : Result<proto::CheckedRegistration>(make_error(ErrorCode::kBadEncoding, "malformed"));
    if (!checked || checked->key_id != key_id) {
      problems.push_back({node.index, "its registration does not check under this key id", "malformed_response"});
      continue;
    }
    return std::move(checked->policy);
  }
  return make_error(ErrorCode::kNotFound, "no node has this key id's registration: " + describe(problems));
}

template <Curve C>
RecoveryRequest ClusterClient<C>::prepare_recovery(const KeyId& key_id, const X25519PublicKey& response_key,
                                                   std::chrono::milliseconds validity) const {
  RecoveryRequest r;
  r.key_id = key_id;
  r.response_key = response_key;
  r.nonce.resize(16);
  rng_->fill(r.nonce);
  r.expires_at_unix_ms = clock_->now_unix_ms() + validity.count();
  r.key_epoch = cluster_.key_epoch;
  return r;
}

template <Curve C>
std::array<std::uint8_t, 64> ClusterClient<C>::report_data_for(const RecoveryRequest& request) const {
  const auto group_key = key_.group_key().encode();
  return proto::attested_report_data(request.signing_bytes(), group_key);
}

template <Curve C>
Result<Recovery> ClusterClient<C>::recover(const RecoveryRequest& request, const X25519KeyPair& response_key,
                                           const RecoveryOptions& options) const {
  const std::size_t t = cluster_.threshold;
  const auto& nodes = cluster_.nodes;
  if (nodes.empty()) return make_error(ErrorCode::kInvalidInput, "the cluster description names no node");
  if (request.response_key != response_key.public_key) {
    return make_error(ErrorCode::kInvalidInput, "the request names another response key than the one given");
  }
  if (request.key_epoch != 0 && request.key_epoch != cluster_.key_epoch) {
    return make_error(ErrorCode::kInvalidInput, "the request is for key epoch " + std::to_string(request.key_epoch) +
                                                    ", the cluster description holds epoch " +
                                                    std::to_string(cluster_.key_epoch));
  }
  // The digest the shares are sealed under is computed here, not taken
  // from the nodes.
  const auto request_digest = sha256(request.signing_bytes());
  const std::string body = recovery_request_to_json(request);

  // Shares by the ciphertext they decrypt: nodes may hold different
  // ciphertexts while a rotation spreads; any t shares of one combine.
  struct Group {
    Tdh2Ciphertext<C> ciphertext;
    std::vector<DecryptionShare<C>> shares;
  };
  std::map<CiphertextDigest, Group> groups;
  auto largest = [&] {
    std::size_t most = 0;
    for (const auto& [digest, g] : groups) most = std::max(most, g.shares.size());
    return most;
  };
  Recovery result;
  const std::size_t first = options.first_node % nodes.size();
  std::size_t next = 0;  // nodes are tried in turn from `first`
  while (next < nodes.size()) {
    std::vector<const NodeEndpoint*> batch;
    for (const std::size_t missing = t - largest(); next < nodes.size() && batch.size() < missing; ++next) {
      batch.push_back(&nodes[(first + next) % nodes.size()]);
    }
    if (batch.empty()) break;  // t shares of one ciphertext are in, and their proofs failed as a whole
    auto round = ask_in_parallel(batch, [&](const NodeEndpoint& node) {
      return ask_node<C>(*transport_, node, body, request_digest, cluster_.key_epoch, response_key,
                         options.per_node_timeout);
    });
    for (auto& a : round) {
      if (!a.share) {
        result.problems.push_back(std::move(a.problem));
        continue;
      }
      const CiphertextDigest digest = tdh2_ciphertext_digest(*a.ciphertext);
      auto it = groups.find(digest);
      if (it == groups.end()) {
        if (!tdh2_verify_ciphertext<C>(key_, *a.ciphertext)) {
          result.problems.push_back(
              {a.index, "its ciphertext is not valid under the cluster's key", "wrong_ciphertext"});
          continue;
        }
        it = groups.emplace(digest, Group{std::move(*a.ciphertext), {}}).first;
      }
      it->second.shares.push_back(std::move(*a.share));
    }
    for (auto& [digest, group] : groups) {
      if (group.shares.size() < t) continue;
      // The proofs are checked in one batch; only when that fails, one by one.
      auto combined = tdh2_combine<C>(*rng_, key_, public_shares_, t, group.ciphertext, group.shares);
      if (combined) {
        for (auto bad : combined->invalid_shares) result.problems.push_back({bad, kInvalidShare, "invalid_share"});
        for (const auto& s : group.shares) {
          if (std::find(combined->invalid_shares.begin(), combined->invalid_shares.end(), s.index) ==
              combined->invalid_shares.end()) {
            result.used.push_back(s.index);
          }
        }
        result.plaintext = std::move(combined->plaintext);
        return result;
      }
      if (combined.error().code != ErrorCode::kVerificationFailed) return combined.error();
      std::erase_if(group.shares, [&](const DecryptionShare<C>& s) {
        if (tdh2_verify_share<C>(group.ciphertext, public_shares_[s.index - 1], s)) return false;
        result.problems.push_back({s.index, kInvalidShare, "invalid_share"});
        return true;
      });
    }
  }
  return make_error(ErrorCode::kVerificationFailed, "only " + std::to_string(largest()) + " of the " +
                                                        std::to_string(t) +
                                                        " shares needed: " + describe(result.problems));
}

template class ClusterClient<Ristretto255>;
template class ClusterClient<Secp256k1>;

}  // namespace vigil::client
