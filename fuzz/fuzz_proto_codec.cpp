// Every protobuf conversion in proto/ on arbitrary bytes: TDH2 ciphertexts
// and decryption shares, DKG dealings and justifications on both curves,
// ceremony plans, and the peer envelope whose bodies carry them. A message
// that converts re-serialises to bytes that convert again to the same
// message (the encoding vigil writes is a fixed point).
#include <cstdlib>
#include <variant>

#include "fuzz/quiet_protobuf.h"
#include "proto/ceremony.h"
#include "proto/codec.h"

namespace {

using vigil::ByteSpan;

template <class Message>
bool parse(ByteSpan bytes, Message& message) {
  return bytes.size() <= vigil::proto::kMaxMessageBytes &&
         message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void check_ciphertext(ByteSpan bytes) {
  const auto parsed = vigil::proto::parse_ciphertext(bytes);
  if (!parsed.ok()) return;
  std::visit(
      [](const auto& ct) {
        using C = typename std::decay_t<decltype(ct.u)>::CurveType;
        const auto encoded = vigil::proto::serialize(vigil::proto::to_proto(ct));
        const auto again = vigil::proto::parse_ciphertext(encoded);
        if (!again.ok() || !std::holds_alternative<vigil::Tdh2Ciphertext<C>>(*again)) std::abort();
        const auto& other = std::get<vigil::Tdh2Ciphertext<C>>(*again);
        if (vigil::tdh2_ciphertext_digest(other) != vigil::tdh2_ciphertext_digest(ct)) std::abort();
      },
      *parsed);
}

void check_share(ByteSpan bytes) {
  const auto parsed = vigil::proto::parse_decryption_share(bytes);
  if (!parsed.ok()) return;
  std::visit(
      [](const auto& share) {
        const auto encoded = vigil::proto::serialize(vigil::proto::to_proto(share));
        const auto again = vigil::proto::parse_decryption_share(encoded);
        if (!again.ok() || vigil::proto::serialize(std::visit([](const auto& s) { return vigil::proto::to_proto(s); },
                                                              *again)) != encoded) {
          std::abort();
        }
      },
      *parsed);
}

template <vigil::Curve C>
void check_dkg(ByteSpan bytes) {
  vigil::v1::DkgDealing dealing;
  if (parse(bytes, dealing)) {
    if (auto d = vigil::proto::from_proto<C>(dealing); d.ok()) {
      const auto encoded = vigil::proto::serialize(vigil::proto::to_proto(*d));
      vigil::v1::DkgDealing again;
      if (!parse(encoded, again) || !vigil::proto::from_proto<C>(again).ok()) std::abort();
    }
  }
  vigil::v1::DkgJustification justification;
  if (parse(bytes, justification)) {
    if (auto j = vigil::proto::from_proto<C>(justification); j.ok()) {
      const auto encoded = vigil::proto::serialize(vigil::proto::to_proto(*j));
      vigil::v1::DkgJustification again;
      if (!parse(encoded, again) || !vigil::proto::from_proto<C>(again).ok()) std::abort();
    }
  }
}

void check_plan(ByteSpan bytes) {
  const auto plan = vigil::proto::parse_ceremony_plan(bytes);
  if (!plan.ok()) return;
  if (plan->threshold == 0 || plan->threshold > plan->parties) std::abort();
  for (const auto member : plan->members) {
    if (!plan->is_member(member)) std::abort();
  }
}

// The envelope of every peer frame: its bodies are parsed further by the
// node (node/peers/transport.cpp); here the nested byte fields that hold
// other messages are fed back to the decoders above.
void check_peer_message(ByteSpan bytes) {
  vigil::v1::PeerMessage message;
  if (!parse(bytes, message) || !message.has_ceremony()) return;
  const auto& ceremony = message.ceremony();
  if (ceremony.has_statement()) {
    const std::string& body = ceremony.statement().body();
    const ByteSpan inner(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
    check_dkg<vigil::Ristretto255>(inner);
    check_dkg<vigil::Secp256k1>(inner);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan bytes(data, size);
  check_ciphertext(bytes);
  check_share(bytes);
  check_dkg<vigil::Ristretto255>(bytes);
  check_dkg<vigil::Secp256k1>(bytes);
  check_plan(bytes);
  check_peer_message(bytes);
  return 0;
}
