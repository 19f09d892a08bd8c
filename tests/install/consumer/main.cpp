// A program outside the vigil tree that links only vigil::client: split a
// key 2-of-3 with the core, describe a cluster, and do what enclave code
// does (protect a secret under a policy, then recover it with a signed
// request) against nodes that are not running, which must fail naming each.
#include <vigil/client.h>
#include <vigil/dealer.h>

#include <cstdio>
#include <string>

int main() {
  using vigil::Ristretto255;
  auto d = vigil::deal<Ristretto255>(vigil::system_rng(), 3, 2);
  if (!d.ok() || !vigil::verify_deal(*d).ok()) return 1;

  vigil::client::ClusterDescription cluster;
  cluster.threshold = 2;
  cluster.key_epoch = 1;
  const auto key = d->group_public_key().encode();
  cluster.group_public_key.assign(key.begin(), key.end());
  for (const auto& s : d->shares) {
    const auto e = s.public_share.encode();
    cluster.public_shares.emplace_back(e.begin(), e.end());
    cluster.nodes.push_back({s.index, "http://127.0.0.1:1"});  // nothing listens on port 1
  }
  auto transport = vigil::client::make_http_transport();
  vigil::SystemClock clock;
  auto vault = vigil::client::ClusterClient<Ristretto255>::create(cluster, *transport, vigil::system_rng(), clock);
  if (!vault.ok()) return 2;
  auto enclave = vigil::ed25519_generate(vigil::system_rng());
  auto requester = vigil::ed25519_generate(vigil::system_rng());
  auto policy = vigil::client::parse_policy_json(R"({"enclave_key": ")" + vigil::to_hex(enclave.public_key) +
                                                 R"(", "any_of": [{"all_of": [{"enclave_silent": {"timeout": "30d"}},
                                                 {"requester": {"keys": [")" +
                                                 vigil::to_hex(requester.public_key) + R"("], "m": 1}}]}]})");
  if (!policy.ok()) return 3;
  const vigil::client::CallOptions quick{std::chrono::milliseconds(500)};
  auto p = vault->protect(enclave, *policy, vigil::as_bytes("secret"), quick);
  if (p.ok() || p.error().message.find("node 3: unreachable") == std::string::npos) return 4;
  const auto response = vigil::x25519_generate(vigil::system_rng());
  auto request = vault->prepare_recovery(vigil::client::KeyId{}, response.public_key);
  request.sign(requester);
  auto r = vault->recover(request, response, {.per_node_timeout = std::chrono::milliseconds(500)});
  if (r.ok() || r.error().message.find("node 3: unreachable") == std::string::npos) return 5;
  std::puts(
      "find_package(vigil) consumer: 2-of-3 deal, protect and recover against a described cluster, "
      "unreachable nodes named");
  return 0;
}
