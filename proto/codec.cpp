#include "proto/codec.h"

namespace vigil::proto {
namespace {

ByteSpan view(const std::string& s) { return as_bytes(s); }
std::string bytes_of(ByteSpan b) { return std::string(b.begin(), b.end()); }
template <std::size_t N>
std::string bytes_of(const std::array<std::uint8_t, N>& b) {
  return std::string(b.begin(), b.end());
}

Error field_error(const char* field, const Error& e) {
  return make_error(e.code, std::string(field) + ": " + e.message, e.party);
}

template <Curve C>
Result<Element<C>> element_field(const char* field, const std::string& bytes) {
  auto e = Element<C>::decode(view(bytes));
  if (!e) return field_error(field, e.error());
  return e;
}

template <Curve C>
Result<Scalar<C>> scalar_field(const char* field, const std::string& bytes) {
  auto s = Scalar<C>::decode(view(bytes));
  if (!s) return field_error(field, s.error());
  return s;
}

template <class Message>
Status check_header(const Message& m, CurveId expected, const char* what) {
  if (m.version() != kWireVersion) {
    return make_error(ErrorCode::kBadEncoding,
                      std::string(what) + ": unsupported version " + std::to_string(m.version()));
  }
  VIGIL_ASSIGN_OR_RETURN(CurveId curve, from_proto_curve(m.curve()));
  if (curve != expected) {
    return make_error(ErrorCode::kBadEncoding, std::string(what) + ": curve " + std::string(curve_name(curve)) +
                                                   " where " + std::string(curve_name(expected)) + " was expected");
  }
  return {};
}

template <class Message>
Result<Message> parse_message(ByteSpan bytes, const char* what) {
  if (bytes.size() > kMaxMessageBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      std::string(what) + " is larger than " + std::to_string(kMaxMessageBytes) + " bytes");
  }
  Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::kBadEncoding, std::string(what) + ": not a valid protobuf message");
  }
  return m;
}

}  // namespace

v1::Curve to_proto_curve(CurveId id) {
  switch (id) {
    case CurveId::kRistretto255: return v1::CURVE_RISTRETTO255;
    case CurveId::kSecp256k1: return v1::CURVE_SECP256K1;
  }
  return v1::CURVE_UNSPECIFIED;
}

Result<CurveId> from_proto_curve(v1::Curve curve) {
  switch (curve) {
    case v1::CURVE_RISTRETTO255: return CurveId::kRistretto255;
    case v1::CURVE_SECP256K1: return CurveId::kSecp256k1;
    default:
      return make_error(ErrorCode::kBadEncoding, "unknown or missing curve " + std::to_string(static_cast<int>(curve)));
  }
}

template <Curve C>
v1::Tdh2Ciphertext to_proto(const Tdh2Ciphertext<C>& ct) {
  v1::Tdh2Ciphertext m;
  m.set_version(kWireVersion);
  m.set_curve(to_proto_curve(C::kId));
  m.set_label(bytes_of(ct.label));
  m.set_u(bytes_of(ct.u.encode()));
  m.set_u_bar(bytes_of(ct.u_bar.encode()));
  m.set_w(bytes_of(ct.w.encode()));
  m.set_w_bar(bytes_of(ct.w_bar.encode()));
  m.set_f(bytes_of(ct.f.encode()));
  m.set_payload(bytes_of(ct.payload));
  return m;
}

template <Curve C>
Result<Tdh2Ciphertext<C>> from_proto(const v1::Tdh2Ciphertext& m) {
  VIGIL_RETURN_IF_ERROR(check_header(m, C::kId, "ciphertext"));
  Tdh2Ciphertext<C> ct;
  ct.label.assign(m.label().begin(), m.label().end());
  VIGIL_ASSIGN_OR_RETURN(ct.u, element_field<C>("ciphertext.u", m.u()));
  VIGIL_ASSIGN_OR_RETURN(ct.u_bar, element_field<C>("ciphertext.u_bar", m.u_bar()));
  VIGIL_ASSIGN_OR_RETURN(ct.w, element_field<C>("ciphertext.w", m.w()));
  VIGIL_ASSIGN_OR_RETURN(ct.w_bar, element_field<C>("ciphertext.w_bar", m.w_bar()));
  VIGIL_ASSIGN_OR_RETURN(ct.f, scalar_field<C>("ciphertext.f", m.f()));
  ct.payload.assign(m.payload().begin(), m.payload().end());
  return ct;
}

template <Curve C>
v1::DecryptionShare to_proto(const DecryptionShare<C>& share) {
  v1::DecryptionShare m;
  m.set_version(kWireVersion);
  m.set_curve(to_proto_curve(C::kId));
  m.set_index(share.index);
  m.set_value(bytes_of(share.value.encode()));
  m.mutable_proof()->set_a1(bytes_of(share.proof.a1.encode()));
  m.mutable_proof()->set_a2(bytes_of(share.proof.a2.encode()));
  m.mutable_proof()->set_z(bytes_of(share.proof.z.encode()));
  return m;
}

template <Curve C>
Result<DecryptionShare<C>> from_proto(const v1::DecryptionShare& m) {
  VIGIL_RETURN_IF_ERROR(check_header(m, C::kId, "decryption share"));
  if (m.index() == 0) return make_error(ErrorCode::kBadEncoding, "decryption share: index 0 is not a participant");
  if (!m.has_proof()) return make_error(ErrorCode::kBadEncoding, "decryption share: missing proof");
  DecryptionShare<C> share;
  share.index = m.index();
  VIGIL_ASSIGN_OR_RETURN(share.value, element_field<C>("decryption_share.value", m.value()));
  VIGIL_ASSIGN_OR_RETURN(share.proof.a1, element_field<C>("decryption_share.proof.a1", m.proof().a1()));
  VIGIL_ASSIGN_OR_RETURN(share.proof.a2, element_field<C>("decryption_share.proof.a2", m.proof().a2()));
  VIGIL_ASSIGN_OR_RETURN(share.proof.z, scalar_field<C>("decryption_share.proof.z", m.proof().z()));
  return share;
}

namespace {

// Parses a message and converts it for the curve it names.
template <template <Curve> class Core, class Message>
Result<std::variant<Core<Ristretto255>, Core<Secp256k1>>> parse_by_curve(ByteSpan bytes, const char* what) {
  using Any = std::variant<Core<Ristretto255>, Core<Secp256k1>>;
  VIGIL_ASSIGN_OR_RETURN(auto m, parse_message<Message>(bytes, what));
  VIGIL_ASSIGN_OR_RETURN(CurveId curve, from_proto_curve(m.curve()));
  return visit_curve(curve, [&](auto c) -> Result<Any> {
    VIGIL_ASSIGN_OR_RETURN(auto v, from_proto<decltype(c)>(m));
    return Any(std::move(v));
  });
}

}  // namespace

Result<AnyCiphertext> parse_ciphertext(ByteSpan bytes) {
  return parse_by_curve<Tdh2Ciphertext, v1::Tdh2Ciphertext>(bytes, "ciphertext");
}

Result<AnyDecryptionShare> parse_decryption_share(ByteSpan bytes) {
  return parse_by_curve<DecryptionShare, v1::DecryptionShare>(bytes, "decryption share");
}

template <Curve C>
v1::DkgDealing to_proto(const DkgDealing<C>& d) {
  v1::DkgDealing m;
  m.set_dealer(d.dealer);
  for (const auto& c : d.commitments) m.add_commitments(bytes_of(c.encode()));
  m.set_proof_commitment(bytes_of(d.proof.commitment.encode()));
  m.set_proof_response(bytes_of(d.proof.response.encode()));
  return m;
}

template <Curve C>
Result<DkgDealing<C>> from_proto(const v1::DkgDealing& m) {
  // The participant checks the count against the threshold; this bound only
  // keeps a hostile message from costing more than the largest committee.
  if (m.commitments_size() < 1 || static_cast<std::size_t>(m.commitments_size()) > kMaxParticipants) {
    return make_error(ErrorCode::kBadEncoding,
                      "commitments: between 1 and " + std::to_string(kMaxParticipants) + " entries");
  }
  std::vector<Element<C>> commitments;
  for (const auto& c : m.commitments()) {
    VIGIL_ASSIGN_OR_RETURN(Element<C> e, element_field<C>("commitments", c));
    commitments.push_back(e);
  }
  VIGIL_ASSIGN_OR_RETURN(Element<C> r, element_field<C>("proof_commitment", m.proof_commitment()));
  VIGIL_ASSIGN_OR_RETURN(Scalar<C> z, scalar_field<C>("proof_response", m.proof_response()));
  return DkgDealing<C>{m.dealer(), std::move(commitments), {r, std::move(z)}};
}

v1::DkgShare to_proto(const DkgSealedShare& s) {
  v1::DkgShare m;
  m.set_dealer(s.dealer);
  m.set_recipient(s.recipient);
  m.set_sealed(bytes_of(s.sealed));
  return m;
}

DkgSealedShare from_proto(const v1::DkgShare& m) {
  return {m.dealer(), m.recipient(), Bytes(view(m.sealed()).begin(), view(m.sealed()).end())};
}

template <Curve C>
v1::DkgJustification to_proto(const DkgJustification<C>& j) {
  v1::DkgJustification m;
  m.set_dealer(j.dealer);
  m.set_recipient(j.recipient);
  m.set_share(bytes_of(j.share.encode()));
  return m;
}

template <Curve C>
Result<DkgJustification<C>> from_proto(const v1::DkgJustification& m) {
  VIGIL_ASSIGN_OR_RETURN(Scalar<C> share, scalar_field<C>("share", m.share()));
  return DkgJustification<C>{m.dealer(), m.recipient(), std::move(share)};
}

Bytes serialize(const google::protobuf::MessageLite& message) {
  std::string out = message.SerializeAsString();
  return Bytes(out.begin(), out.end());
}

#define VIGIL_INSTANTIATE_CODEC(C)                                               \
  template v1::Tdh2Ciphertext to_proto<C>(const Tdh2Ciphertext<C>&);             \
  template Result<Tdh2Ciphertext<C>> from_proto<C>(const v1::Tdh2Ciphertext&);   \
  template v1::DecryptionShare to_proto<C>(const DecryptionShare<C>&);           \
  template Result<DecryptionShare<C>> from_proto<C>(const v1::DecryptionShare&); \
  template v1::DkgDealing to_proto<C>(const DkgDealing<C>&);                     \
  template Result<DkgDealing<C>> from_proto<C>(const v1::DkgDealing&);           \
  template v1::DkgJustification to_proto<C>(const DkgJustification<C>&);         \
  template Result<DkgJustification<C>> from_proto<C>(const v1::DkgJustification&);

VIGIL_INSTANTIATE_CODEC(Ristretto255)
VIGIL_INSTANTIATE_CODEC(Secp256k1)

}  // namespace vigil::proto
