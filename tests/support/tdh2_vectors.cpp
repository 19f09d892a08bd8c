#include "support/tdh2_vectors.h"

#include "proto/codec.h"
#include "vigil/dealer.h"
#include "vigil/tdh2.h"

namespace vigil::test {

template <Curve C>
nlohmann::json make_tdh2_vectors(std::uint64_t seed) {
  using nlohmann::json;
  SeededRng rng(seed);
  constexpr std::size_t kParties = 5, kThreshold = 3;
  auto d = deal<C>(rng, kParties, kThreshold).value();
  auto key = Tdh2PublicKey<C>::create(d.group_public_key()).value();

  json commitments = json::array(), shares = json::array();
  for (const auto& c : d.commitment.elements()) commitments.push_back(to_hex(c.encode()));
  for (const auto& s : d.shares) {
    shares.push_back({{"index", s.index},
                      {"secret_share", to_hex(s.secret_share.encode())},
                      {"public_share", to_hex(s.public_share.encode())}});
  }
  struct Case {
    std::string label;
    Bytes plaintext;
  };
  Bytes medium(100);
  for (std::size_t i = 0; i < medium.size(); ++i) medium[i] = static_cast<std::uint8_t>(i);
  std::vector<Case> cases = {{"policy:empty", {}}, {"policy:one", {0x2a}}, {"", medium}};

  json out_cases = json::array();
  for (const auto& c : cases) {
    auto ct = tdh2_encrypt<C>(rng, key, as_bytes(c.label), c.plaintext).value();
    json dshares = json::array();
    for (const auto& s : d.shares) {
      auto ds = tdh2_decryption_share<C>(rng, key, ct, {s.index, s.secret_share.clone()}, s.public_share).value();
      dshares.push_back({{"index", ds.index},
                         {"value", to_hex(ds.value.encode())},
                         {"proof",
                          {{"a1", to_hex(ds.proof.a1.encode())},
                           {"a2", to_hex(ds.proof.a2.encode())},
                           {"z", to_hex(ds.proof.z.encode())}}}});
    }
    out_cases.push_back({{"label", c.label},
                         {"plaintext", to_hex(c.plaintext)},
                         {"ciphertext",
                          {{"u", to_hex(ct.u.encode())},
                           {"u_bar", to_hex(ct.u_bar.encode())},
                           {"w", to_hex(ct.w.encode())},
                           {"w_bar", to_hex(ct.w_bar.encode())},
                           {"f", to_hex(ct.f.encode())},
                           {"payload", to_hex(ct.payload)}}},
                         {"ciphertext_protobuf", to_hex(proto::serialize(proto::to_proto(ct)))},
                         {"ciphertext_digest", to_hex(tdh2_ciphertext_digest(ct))},
                         {"decryption_shares", std::move(dshares)}});
  }
  return json{{"description",
               "vigil TDH2 vectors: TDH2 KEM (Shoup-Gennaro, proof in commitment form w, w_bar, f) + "
               "STREAM XChaCha20-Poly1305, DLEQ decryption-share proofs; any 3 of the 5 shares "
               "decrypt each case"},
              {"curve", std::string(C::kName)},
              {"seed", seed},
              {"parties", kParties},
              {"threshold", kThreshold},
              {"group_public_key", to_hex(d.group_public_key().encode())},
              {"second_generator", to_hex(key.second_generator().encode())},
              {"commitments", std::move(commitments)},
              {"shares", std::move(shares)},
              {"cases", std::move(out_cases)}};
}

template nlohmann::json make_tdh2_vectors<Ristretto255>(std::uint64_t);
template nlohmann::json make_tdh2_vectors<Secp256k1>(std::uint64_t);

}  // namespace vigil::test
