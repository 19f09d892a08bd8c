// Conversions between vigil's core types and their protobuf messages. All
// validation of untrusted bytes happens here: a message converts only if
// every field decodes to a valid value, with an error naming the field.
#pragma once

#include <variant>

#include "vigil/dkg.h"
#include "vigil/tdh2.h"
#include "vigil/v1/node.pb.h"
#include "vigil/v1/tdh2.pb.h"

namespace vigil::proto {

inline constexpr std::uint32_t kWireVersion = 1;

// The largest serialised message vigil parses (5 MiB payloads and headroom).
inline constexpr std::size_t kMaxMessageBytes = 64u << 20;

v1::Curve to_proto_curve(CurveId id);
Result<CurveId> from_proto_curve(v1::Curve curve);

template <Curve C>
v1::Tdh2Ciphertext to_proto(const Tdh2Ciphertext<C>& ciphertext);
template <Curve C>
Result<Tdh2Ciphertext<C>> from_proto(const v1::Tdh2Ciphertext& message);

template <Curve C>
v1::DecryptionShare to_proto(const DecryptionShare<C>& share);
template <Curve C>
Result<DecryptionShare<C>> from_proto(const v1::DecryptionShare& message);

// DKG and resharing messages (vigil/dkg.h) as they travel between nodes.
template <Curve C>
v1::DkgDealing to_proto(const DkgDealing<C>& dealing);
template <Curve C>
Result<DkgDealing<C>> from_proto(const v1::DkgDealing& message);
v1::DkgShare to_proto(const DkgSealedShare& share);
DkgSealedShare from_proto(const v1::DkgShare& message);
template <Curve C>
v1::DkgJustification to_proto(const DkgJustification<C>& justification);
template <Curve C>
Result<DkgJustification<C>> from_proto(const v1::DkgJustification& message);

using AnyCiphertext = std::variant<Tdh2Ciphertext<Ristretto255>, Tdh2Ciphertext<Secp256k1>>;
using AnyDecryptionShare = std::variant<DecryptionShare<Ristretto255>, DecryptionShare<Secp256k1>>;

// Parse serialised bytes (at most kMaxMessageBytes) and convert by curve.
Result<AnyCiphertext> parse_ciphertext(ByteSpan bytes);
Result<AnyDecryptionShare> parse_decryption_share(ByteSpan bytes);

Bytes serialize(const google::protobuf::MessageLite& message);

}  // namespace vigil::proto
