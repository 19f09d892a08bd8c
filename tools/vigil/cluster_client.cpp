#include "cluster_client.h"

#include <future>

#include "codec.h"
#include "node/requests.h"
#include "api_json.h"

namespace vigil::cli {
namespace {

template <Curve C>
struct Attempt {
  unsigned index;
  std::optional<DecryptionShare<C>> share;
  std::string problem;
};

// One node: request the share (registering the ciphertext if the node does
// not know it yet) and open the sealed response.
template <Curve C>
Attempt<C> ask_node(const ClusterNode& node, const v1::DecryptionRequest& request, const Tdh2Ciphertext<C>& ciphertext,
                    const X25519KeyPair& response_key, const CiphertextDigest& digest,
                    std::chrono::milliseconds timeout) {
  Attempt<C> out{node.index, std::nullopt, {}};
  auto failed = [&out](std::string problem) {
    out.problem = std::move(problem);
    return std::move(out);
  };
  const std::string body = to_json(request);
  auto r = http_request("POST", node.api + "/v1/decryption-shares", body, timeout);
  if (r && r->status == 404) {
    // The node has not seen this ciphertext: register it (only now serialised).
    v1::RegisterCiphertextRequest registration;
    *registration.mutable_ciphertext() = proto::to_proto(ciphertext);
    auto reg = http_request("POST", node.api + "/v1/ciphertexts", to_json(registration), timeout);
    if (!reg) return failed("unreachable: " + reg.error().message);
    if (reg->status != 200) return failed(api_refusal(*reg));
    r = http_request("POST", node.api + "/v1/decryption-shares", body, timeout);
  }
  if (!r) return failed("unreachable: " + r.error().message);
  if (r->status != 200) return failed(api_refusal(*r));
  v1::DecryptionResponse response;
  if (!from_json(r->body, response)) {
    return failed("malformed response");
  }
  if (response.share().key_epoch() != request.key_epoch()) {
    return failed("answered for key epoch " + std::to_string(response.share().key_epoch()));
  }
  auto share = open_decryption_share<C>(response_key.secret_key.span(), as_bytes(response.share().sealed()),
                                        as_bytes(request.request_id()), digest, node.index);
  if (!share) return failed("sealed share does not open: " + share.error().message);
  out.share = std::move(share).value();
  return out;
}

}  // namespace

template <Curve C>
Result<ClusterKey<C>> cluster_key(const ClusterFile& cluster) {
  if (cluster.curve != C::kName) return make_error(ErrorCode::kInvalidInput, "cluster is on " + cluster.curve);
  if (cluster.group_public_key.empty()) {
    return make_error(ErrorCode::kInvalidInput, "the cluster holds no key yet: run vigil cluster dkg");
  }
  VIGIL_ASSIGN_OR_RETURN(Bytes gpk, from_hex(cluster.group_public_key));
  VIGIL_ASSIGN_OR_RETURN(Element<C> group_key, Element<C>::decode(gpk));
  VIGIL_ASSIGN_OR_RETURN(auto key, Tdh2PublicKey<C>::create(group_key));
  std::vector<Element<C>> public_shares;
  for (const auto& hex : cluster.public_shares) {
    VIGIL_ASSIGN_OR_RETURN(Bytes b, from_hex(hex));
    VIGIL_ASSIGN_OR_RETURN(Element<C> e, Element<C>::decode(b));
    public_shares.push_back(e);
  }
  if (public_shares.size() != cluster.nodes.size()) {
    return make_error(ErrorCode::kBadEncoding, "cluster.json: one public share per node expected");
  }
  return ClusterKey<C>{std::move(key), std::move(public_shares), cluster.threshold, cluster.key_epoch};
}

template <Curve C>
Result<ClusterDecryption<C>> decrypt_with_cluster(const ClusterFile& cluster, const ClusterKey<C>& key,
                                                  const Ed25519KeyPair& requester, const Tdh2Ciphertext<C>& ct,
                                                  std::chrono::milliseconds timeout, std::size_t rotation) {
  const CiphertextDigest digest = tdh2_ciphertext_digest(ct);
  const X25519KeyPair response_key = x25519_generate(system_rng());
  v1::DecryptionRequest request;
  Bytes id(16), nonce(16);
  system_rng().fill(id);
  system_rng().fill(nonce);
  request.set_ciphertext_digest(std::string(digest.begin(), digest.end()));
  request.set_response_key(std::string(response_key.public_key.begin(), response_key.public_key.end()));
  request.set_request_id(std::string(id.begin(), id.end()));
  request.set_nonce(std::string(nonce.begin(), nonce.end()));
  request.set_expires_at_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch() + std::chrono::seconds(60))
                                     .count());
  request.set_key_epoch(key.epoch);
  node::sign_decryption_request(request, requester);

  ClusterDecryption<C> result;
  std::vector<DecryptionShare<C>> shares;
  std::vector<const ClusterNode*> pending;
  for (std::size_t i = 0; i < cluster.nodes.size(); ++i) pending.push_back(&cluster.nodes[(i + rotation) % cluster.nodes.size()]);
  std::size_t next = 0;
  std::size_t wanted = key.threshold;
  while (true) {
    // Ask as many untried nodes as shares are still missing, in parallel.
    // The calling thread asks the first node itself; the others run alongside.
    std::vector<const ClusterNode*> batch;
    for (; next < pending.size() && batch.size() < wanted; ++next) batch.push_back(pending[next]);
    if (batch.empty()) break;
    std::vector<std::future<Attempt<C>>> others;
    for (std::size_t i = 1; i < batch.size(); ++i) {
      others.push_back(std::async(std::launch::async, [&, node = batch[i]] {
        return ask_node<C>(*node, request, ct, response_key, digest, timeout);
      }));
    }
    std::vector<Attempt<C>> round;
    round.push_back(ask_node<C>(*batch[0], request, ct, response_key, digest, timeout));
    for (auto& f : others) round.push_back(f.get());
    for (auto& a : round) {
      if (a.share) {
        shares.push_back(std::move(*a.share));
      } else {
        result.problems.push_back({a.index, a.problem});
      }
    }
    if (shares.size() >= key.threshold) {
      auto combined = tdh2_combine<C>(system_rng(), key.key, key.public_shares, key.threshold, ct, shares);
      if (combined) {
        for (auto bad : combined->invalid_shares) result.problems.push_back({bad, "invalid share (proof does not verify)"});
        for (const auto& s : shares) result.used.push_back(s.index);
        result.plaintext = std::move(combined->plaintext);
        return result;
      }
      if (combined.error().code != ErrorCode::kVerificationFailed || next >= pending.size()) {
        std::string who;
        for (const auto& p : result.problems) who += "; node " + std::to_string(p.index) + ": " + p.problem;
        return make_error(combined.error().code, combined.error().message + who);
      }
      // Some shares were invalid: drop them and ask for more.
      std::vector<DecryptionShare<C>> valid;
      for (auto& s : shares) {
        if (tdh2_verify_share<C>(ct, key.public_shares[s.index - 1], s)) {
          valid.push_back(std::move(s));
        } else {
          result.problems.push_back({s.index, "invalid share (proof does not verify)"});
        }
      }
      shares = std::move(valid);
    }
    wanted = key.threshold - shares.size();
    if (next >= pending.size()) break;
  }
  std::string who;
  for (const auto& p : result.problems) who += (who.empty() ? "" : "; ") + ("node " + std::to_string(p.index) + ": " + p.problem);
  return make_error(ErrorCode::kVerificationFailed, "only " + std::to_string(shares.size()) + " of the " +
                                                        std::to_string(key.threshold) + " shares needed: " + who);
}

#define VIGIL_INSTANTIATE_CLUSTER_CLIENT(C)                                                                       \
  template Result<ClusterKey<C>> cluster_key<C>(const ClusterFile&);                                             \
  template Result<ClusterDecryption<C>> decrypt_with_cluster<C>(const ClusterFile&, const ClusterKey<C>&,        \
                                                                const Ed25519KeyPair&, const Tdh2Ciphertext<C>&, \
                                                                std::chrono::milliseconds, std::size_t);

VIGIL_INSTANTIATE_CLUSTER_CLIENT(Ristretto255)
VIGIL_INSTANTIATE_CLUSTER_CLIENT(Secp256k1)

}  // namespace vigil::cli
