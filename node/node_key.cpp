#include "node_key.h"

#include "codec.h"

namespace vigil::node {
namespace {

template <Curve C>
Result<AnyNodeKey> decode(const v1::StoredKey& r) {
  std::vector<Element<C>> commitments;
  for (const auto& c : r.commitments()) {
    VIGIL_ASSIGN_OR_RETURN(Element<C> e, Element<C>::decode(as_bytes(c)));
    commitments.push_back(e);
  }
  VIGIL_ASSIGN_OR_RETURN(auto commitment, FeldmanCommitment<C>::create(std::move(commitments), r.threshold()));
  std::vector<Element<C>> public_shares;
  for (int i = 0; i < r.public_shares_size(); ++i) {
    VIGIL_ASSIGN_OR_RETURN(Element<C> e, Element<C>::decode(as_bytes(r.public_shares(i))));
    VIGIL_RETURN_IF_ERROR(commitment.verify_public_share(static_cast<ParticipantIndex>(i + 1), e));
    public_shares.push_back(e);
  }
  if (r.index() == 0 || r.index() > public_shares.size()) {
    return make_error(ErrorCode::kInvalidInput, "stored key: index " + std::to_string(r.index()) + " out of range");
  }
  VIGIL_ASSIGN_OR_RETURN(Scalar<C> secret, Scalar<C>::decode(as_bytes(r.secret_share())));
  VIGIL_RETURN_IF_ERROR(commitment.verify_share(r.index(), secret));
  VIGIL_ASSIGN_OR_RETURN(auto tdh2, Tdh2PublicKey<C>::create(commitment.group_public_key()));
  return AnyNodeKey(NodeKey<C>{r.epoch(), r.threshold(), {r.index(), std::move(secret)}, std::move(public_shares),
                               std::move(commitment), std::move(tdh2)});
}

}  // namespace

Result<AnyNodeKey> node_key_from_record(const v1::StoredKey& record) {
  VIGIL_ASSIGN_OR_RETURN(CurveId curve, proto::from_proto_curve(record.curve()));
  auto key = curve == CurveId::kSecp256k1 ? decode<Secp256k1>(record) : decode<Ristretto255>(record);
  if (!key) return make_error(key.error().code, "stored key: " + key.error().message);
  return key;
}

}  // namespace vigil::node
