#include "node/release/node_key.h"

#include "proto/codec.h"

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
  return AnyNodeKey(NodeKey<C>{r.epoch(),
                               r.threshold(),
                               {r.index(), std::move(secret)},
                               std::move(public_shares),
                               std::move(commitment),
                               std::move(tdh2)});
}

}  // namespace

template <Curve C>
v1::StoredKey make_key_record(std::uint32_t epoch, const FeldmanCommitment<C>& commitment,
                              std::span<const Element<C>> public_shares, const SecretShare<C>& share) {
  auto str = [](const auto& bytes) { return std::string(bytes.begin(), bytes.end()); };
  v1::StoredKey r;
  r.set_version(1);
  r.set_curve(proto::to_proto_curve(C::kId));
  r.set_epoch(epoch);
  r.set_threshold(static_cast<std::uint32_t>(commitment.threshold()));
  r.set_index(share.index);
  auto secret = share.value.encode();
  r.set_secret_share(str(secret));
  secure_wipe(secret.data(), secret.size());
  for (const auto& c : commitment.elements()) r.add_commitments(str(c.encode()));
  for (const auto& p : public_shares) r.add_public_shares(str(p.encode()));
  return r;
}

template v1::StoredKey make_key_record<Ristretto255>(std::uint32_t, const FeldmanCommitment<Ristretto255>&,
                                                     std::span<const Element<Ristretto255>>,
                                                     const SecretShare<Ristretto255>&);
template v1::StoredKey make_key_record<Secp256k1>(std::uint32_t, const FeldmanCommitment<Secp256k1>&,
                                                  std::span<const Element<Secp256k1>>, const SecretShare<Secp256k1>&);

void wipe_secret_share(v1::StoredKey& record) {
  std::string* share = record.mutable_secret_share();
  secure_wipe(share->data(), share->size());
  record.clear_secret_share();
}

Result<AnyNodeKey> node_key_from_record(const v1::StoredKey& record) {
  VIGIL_ASSIGN_OR_RETURN(CurveId curve, proto::from_proto_curve(record.curve()));
  auto key = visit_curve(curve, [&](auto c) { return decode<decltype(c)>(record); });
  if (!key) return make_error(key.error().code, "stored key: " + key.error().message);
  return key;
}

}  // namespace vigil::node
