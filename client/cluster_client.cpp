// ClusterClient: encryption to a cluster's key and decryption through its
// nodes (vigil/client.h). A decryption is one signed request, sent to t
// nodes in parallel and to more only as nodes fail; each answer is opened
// with the request's one-time X25519 key and its proof checked before any
// share is combined.
#include <algorithm>
#include <future>

#include "client/node_api.h"
#include "proto/codec.h"
#include "proto/decryption_request.h"

namespace vigil::client {
namespace {

template <std::size_t N>
std::string str(const std::array<std::uint8_t, N>& b) {
  return std::string(b.begin(), b.end());
}

// A request for this ciphertext's shares, signed by `requester`, valid for
// `validity` from now, sealed answers to `response_key`.
v1::DecryptionRequest signed_request(Rng& rng, const Clock& clock, const Ed25519KeyPair& requester,
                                     const CiphertextDigest& digest, const X25519PublicKey& response_key,
                                     std::uint32_t key_epoch, std::chrono::milliseconds validity) {
  std::array<std::uint8_t, 16> id{}, nonce{};
  rng.fill(id);
  rng.fill(nonce);
  v1::DecryptionRequest request;
  request.set_ciphertext_digest(str(digest));
  request.set_response_key(str(response_key));
  request.set_request_id(str(id));
  request.set_nonce(str(nonce));
  request.set_expires_at_unix_ms(clock.now_unix_ms() + validity.count());
  request.set_key_epoch(key_epoch);
  proto::sign_decryption_request(request, requester);
  return request;
}

template <Curve C>
struct Attempt {
  ParticipantIndex index = 0;
  std::optional<DecryptionShare<C>> share;
  std::string problem;
};

// One node: ask for its sealed share (first registering the ciphertext if
// the node does not know it) and open it. The proof is checked later.
template <Curve C>
Attempt<C> ask_node(HttpTransport& transport, const NodeEndpoint& node, const v1::DecryptionRequest& request,
                    const Tdh2Ciphertext<C>& ciphertext, const X25519KeyPair& response_key,
                    std::chrono::milliseconds timeout) {
  Attempt<C> out{node.index, std::nullopt, {}};
  auto failed = [&out](std::string&& problem) {
    out.problem = std::move(problem);
    return std::move(out);
  };
  const std::string body = to_json(request);
  auto r = transport.request("POST", node.api + "/v1/decryption-shares", body, timeout);
  if (r && r->status == 404) {
    v1::RegisterCiphertextRequest registration;
    *registration.mutable_ciphertext() = proto::to_proto(ciphertext);
    auto reg = transport.request("POST", node.api + "/v1/ciphertexts", to_json(registration), timeout);
    if (!reg) return failed("unreachable: " + reg.error().message);
    if (reg->status != 200) return failed(api_refusal(*reg));
    r = transport.request("POST", node.api + "/v1/decryption-shares", body, timeout);
  }
  if (!r) return failed("unreachable: " + r.error().message);
  if (r->status != 200) return failed(api_refusal(*r));
  v1::DecryptionResponse response;
  if (!from_json(r->body, response)) return failed("malformed response");
  if (response.share().key_epoch() != request.key_epoch()) {
    return failed("answered for key epoch " + std::to_string(response.share().key_epoch()));
  }
  CiphertextDigest digest{};
  std::copy(request.ciphertext_digest().begin(), request.ciphertext_digest().end(), digest.begin());
  auto share = open_decryption_share<C>(response_key.secret_key.span(), as_bytes(response.share().sealed()),
                                        as_bytes(request.request_id()), digest, node.index);
  if (!share) return failed("sealed share does not open: " + share.error().message);
  out.share = std::move(share).value();
  return out;
}

std::string describe(const std::vector<NodeProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += (out.empty() ? "" : "; ") + ("node " + std::to_string(p.index) + ": " + p.problem);
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
Tdh2Ciphertext<C> ClusterClient<C>::encrypt(ByteSpan label, ByteSpan payload) const {
  return tdh2_encrypt<C>(*rng_, key_, label, payload);
}

template <Curve C>
Result<Decryption> ClusterClient<C>::decrypt(const Ed25519KeyPair& requester, const Tdh2Ciphertext<C>& ct,
                                             const DecryptOptions& options) const {
  const std::size_t t = cluster_.threshold;
  const auto& nodes = cluster_.nodes;
  if (nodes.empty()) return make_error(ErrorCode::kInvalidInput, "the cluster description names no node");
  const X25519KeyPair response_key = x25519_generate(*rng_);
  const v1::DecryptionRequest request = signed_request(*rng_, *clock_, requester, tdh2_ciphertext_digest(ct),
                                                       response_key.public_key, cluster_.key_epoch, options.validity);
  Decryption result;
  std::vector<DecryptionShare<C>> shares;  // opened, proofs not yet checked
  const std::size_t first = options.first_node % nodes.size();
  std::size_t next = 0;  // nodes are tried in turn from `first`
  while (next < nodes.size()) {
    // Ask as many untried nodes as shares are missing, in parallel; this
    // thread asks the first itself.
    std::vector<const NodeEndpoint*> batch;
    for (; next < nodes.size() && batch.size() < t - shares.size(); ++next) {
      batch.push_back(&nodes[(first + next) % nodes.size()]);
    }
    std::vector<std::future<Attempt<C>>> others;
    for (std::size_t i = 1; i < batch.size(); ++i) {
      others.push_back(std::async(std::launch::async, [&, node = batch[i]] {
        return ask_node<C>(*transport_, *node, request, ct, response_key, options.per_node_timeout);
      }));
    }
    std::vector<Attempt<C>> round;
    round.push_back(ask_node<C>(*transport_, *batch[0], request, ct, response_key, options.per_node_timeout));
    for (auto& f : others) round.push_back(f.get());
    for (auto& a : round) {
      if (a.share) {
        shares.push_back(std::move(*a.share));
      } else {
        result.problems.push_back({a.index, a.problem});
      }
    }
    if (shares.size() < t) continue;
    // The proofs are checked in one batch; only when that fails, one by one.
    auto combined = tdh2_combine<C>(*rng_, key_, public_shares_, t, ct, shares);
    if (combined) {
      for (auto bad : combined->invalid_shares) result.problems.push_back({bad, kInvalidShare});
      for (const auto& s : shares) {
        if (std::find(combined->invalid_shares.begin(), combined->invalid_shares.end(), s.index) ==
            combined->invalid_shares.end()) {
          result.used.push_back(s.index);
        }
      }
      result.plaintext = std::move(combined->plaintext);
      return result;
    }
    // Some nodes may have sent shares that do not verify: name them and
    // ask others. If every share verifies, the fault is not the nodes'.
    if (combined.error().code == ErrorCode::kVerificationFailed) {
      std::erase_if(shares, [&](const DecryptionShare<C>& s) {
        if (tdh2_verify_share<C>(ct, public_shares_[s.index - 1], s)) return false;
        result.problems.push_back({s.index, kInvalidShare});
        return true;
      });
    }
    if (shares.size() >= t || next >= nodes.size()) {
      const std::string who = result.problems.empty() ? "" : "; " + describe(result.problems);
      return make_error(combined.error().code, combined.error().message + who);
    }
  }
  return make_error(ErrorCode::kVerificationFailed, "only " + std::to_string(shares.size()) + " of the " +
                                                        std::to_string(t) +
                                                        " shares needed: " + describe(result.problems));
}

template class ClusterClient<Ristretto255>;
template class ClusterClient<Secp256k1>;

}  // namespace vigil::client
