#include "tdh2_files.h"

#include <google/protobuf/util/json_util.h>

#include "cli.h"
#include "client/node_api.h"
#include "files.h"

namespace vigil::cli {
namespace {

using nlohmann::json;

Result<Bytes> hex_field(const json& j, const char* key, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return make_error(ErrorCode::kBadEncoding, what + ": missing or non-string field '" + key + "'");
  }
  auto bytes = from_hex(it->get<std::string>());
  if (!bytes) return make_error(ErrorCode::kBadEncoding, what + "." + key + ": " + bytes.error().message);
  return bytes;
}

// JSON -> protobuf message -> core type, through the one validator of
// binary ciphertexts.
Result<proto::AnyCiphertext> ciphertext_from_json(const std::string& text) {
  v1::Tdh2Ciphertext m;
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(text, &m, strict); !s.ok()) {
    return make_error(ErrorCode::kBadEncoding,
                      "not a ciphertext in the API's JSON (docs/api.md): " + std::string(s.message()));
  }
  return proto::parse_ciphertext(proto::serialize(m));
}

}  // namespace

template <Curve C>
json ciphertext_to_json(const Tdh2Ciphertext<C>& ct) {
  return json::parse(client::to_json(proto::to_proto(ct)));
}

Result<proto::AnyCiphertext> read_ciphertext(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 2 * proto::kMaxMessageBytes + 4096));
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    auto ct = ciphertext_from_json(text);
    if (!ct) return make_error(ct.error().code, path + ": " + ct.error().message);
    return ct;
  }
  auto ct = proto::parse_ciphertext(as_bytes(text));
  if (!ct) return make_error(ct.error().code, path + ": " + ct.error().message);
  return ct;
}

template <Curve C>
json share_to_json(const DecryptionShare<C>& share, const CiphertextDigest& digest) {
  Bytes proof;
  for (const Element<C>* e : {&share.proof.a1, &share.proof.a2}) {
    auto enc = e->encode();
    proof.insert(proof.end(), enc.begin(), enc.end());
  }
  auto z = share.proof.z.encode();
  proof.insert(proof.end(), z.begin(), z.end());
  return json{{"version", proto::kWireVersion}, {"curve", std::string(C::kName)},
              {"index", share.index},           {"value", to_hex(share.value.encode())},
              {"proof", to_hex(proof)},         {"ciphertext_digest", to_hex(digest)}};
}

template <Curve C>
Result<DecryptionShare<C>> read_share(const std::string& path, const CiphertextDigest& digest) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1u << 16));
  json j = json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::kBadEncoding, path + ": " + why); };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON share file");
  if (!j.contains("curve") || j["curve"] != std::string(C::kName))
    return bad("share is not for curve " + std::string(C::kName));
  if (!j.contains("index") || !j["index"].is_number_unsigned()) return bad("missing index");
  VIGIL_ASSIGN_OR_RETURN(Bytes claimed, hex_field(j, "ciphertext_digest", path));
  if (!equal_ct(claimed, digest)) return bad("share was made for another ciphertext");
  VIGIL_ASSIGN_OR_RETURN(Bytes value, hex_field(j, "value", path));
  VIGIL_ASSIGN_OR_RETURN(Bytes proof, hex_field(j, "proof", path));
  // The core's fixed binary form: index || value || a1 || a2 || z.
  const auto index = j["index"].get<std::uint64_t>();
  if (index == 0 || index > kMaxParticipants) return bad("index out of range");
  Bytes encoded = {static_cast<std::uint8_t>(index >> 24), static_cast<std::uint8_t>(index >> 16),
                   static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)};
  encoded.insert(encoded.end(), value.begin(), value.end());
  encoded.insert(encoded.end(), proof.begin(), proof.end());
  auto share = decode_decryption_share<C>(encoded);
  if (!share) return bad(share.error().message);
  return share;
}

template <Curve C>
Result<SecretShare<C>> secret_share_from_deal(const DealFile<C>& deal, ParticipantIndex index,
                                              const std::string& key_path) {
  if (index == 0 || index > deal.parties()) {
    return make_error(ErrorCode::kInvalidInput, "--index must be between 1 and " + std::to_string(deal.parties()));
  }
  const auto& entry = deal.shares[index - 1];
  if (entry.secret_share) return SecretShare<C>{index, entry.secret_share->clone()};
  if (key_path.empty()) {
    return make_error(ErrorCode::kInvalidInput,
                      "share " + std::to_string(index) + " is sealed; pass --key with its secret key");
  }
  VIGIL_ASSIGN_OR_RETURN(SecretBytes key, read_secret_key_file(key_path));
  // A share without its secret is sealed (parse_deal_file checks).
  return open_share<C>(key.span(), *entry.sealed_share, deal.commitment, index);
}

#define VIGIL_INSTANTIATE_TDH2_FILES(C)                                                           \
  template json ciphertext_to_json<C>(const Tdh2Ciphertext<C>&);                                  \
  template json share_to_json<C>(const DecryptionShare<C>&, const CiphertextDigest&);             \
  template Result<DecryptionShare<C>> read_share<C>(const std::string&, const CiphertextDigest&); \
  template Result<SecretShare<C>> secret_share_from_deal<C>(const DealFile<C>&, ParticipantIndex, const std::string&);

VIGIL_INSTANTIATE_TDH2_FILES(Ristretto255)
VIGIL_INSTANTIATE_TDH2_FILES(Secp256k1)

}  // namespace vigil::cli
