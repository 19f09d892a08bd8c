#include "deal_file.h"

namespace vigil::cli {
namespace {

using nlohmann::json;

constexpr int kDealFileVersion = 1;

Error at(const std::string& path, const Error& e) { return make_error(e.code, path + ": " + e.message, e.party); }
Error bad(const std::string& path, const std::string& what) {
  return make_error(ErrorCode::kBadEncoding, path + ": " + what);
}

Result<const json*> member(const json& obj, const std::string& key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(path, "missing field '" + key + "'");
  return &*it;
}

Result<std::string> string_field(const json& obj, const std::string& key, const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(const json* v, member(obj, key, path));
  if (!v->is_string()) return bad(path + "." + key, "must be a string");
  return v->get<std::string>();
}

Result<std::uint64_t> uint_field(const json& obj, const std::string& key, const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(const json* v, member(obj, key, path));
  if (!v->is_number_unsigned()) return bad(path + "." + key, "must be a non-negative integer");
  return v->get<std::uint64_t>();
}

template <Curve C>
Result<Element<C>> element_from_hex(const std::string& hex, const std::string& path) {
  auto bytes = from_hex(hex);
  if (!bytes) return at(path, bytes.error());
  auto e = Element<C>::decode(*bytes);
  if (!e) return at(path, e.error());
  return e;
}

template <Curve C>
Result<DealFile<C>> parse_for_curve(const json& root) {
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t threshold, uint_field(root, "threshold", "deal"));
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t parties, uint_field(root, "parties", "deal"));
  auto bounds = check_threshold(parties, threshold);
  if (!bounds) return at("deal", bounds.error());

  VIGIL_ASSIGN_OR_RETURN(std::string gpk_hex, string_field(root, "group_public_key", "deal"));
  VIGIL_ASSIGN_OR_RETURN(Element<C> group_key, element_from_hex<C>(gpk_hex, "deal.group_public_key"));

  VIGIL_ASSIGN_OR_RETURN(const json* commitments, member(root, "commitments", "deal"));
  if (!commitments->is_array()) return bad("deal.commitments", "must be an array");
  if (commitments->size() != threshold) {
    return make_error(ErrorCode::kInvalidInput, "deal.commitments: has " + std::to_string(commitments->size()) +
                                                    " entries; threshold " + std::to_string(threshold) +
                                                    " requires exactly " + std::to_string(threshold));
  }
  std::vector<Element<C>> elements;
  for (std::size_t j = 0; j < commitments->size(); ++j) {
    const std::string path = "deal.commitments[" + std::to_string(j) + "]";
    if (!(*commitments)[j].is_string()) return bad(path, "must be a hex string");
    VIGIL_ASSIGN_OR_RETURN(Element<C> e, element_from_hex<C>((*commitments)[j].get<std::string>(), path));
    elements.push_back(e);
  }
  if (!(elements.front() == group_key)) {
    return make_error(ErrorCode::kInvalidInput, "deal.commitments[0] differs from group_public_key");
  }
  auto commitment = FeldmanCommitment<C>::create(std::move(elements), threshold);
  if (!commitment) return at("deal.commitments", commitment.error());

  VIGIL_ASSIGN_OR_RETURN(const json* shares, member(root, "shares", "deal"));
  if (!shares->is_array()) return bad("deal.shares", "must be an array");
  if (shares->size() != parties) {
    return make_error(ErrorCode::kInvalidInput, "deal.shares: has " + std::to_string(shares->size()) +
                                                    " entries, parties says " + std::to_string(parties));
  }
  DealFile<C> file{std::move(commitment).value(), {}};
  for (std::size_t i = 0; i < shares->size(); ++i) {
    const std::string path = "deal.shares[" + std::to_string(i) + "]";
    const json& s = (*shares)[i];
    if (!s.is_object()) return bad(path, "must be an object");
    DealFileShare<C> share;
    VIGIL_ASSIGN_OR_RETURN(std::uint64_t index, uint_field(s, "index", path));
    if (index != i + 1)
      return bad(path + ".index", "expected " + std::to_string(i + 1) + " (shares are in index order)");
    share.index = static_cast<ParticipantIndex>(index);
    VIGIL_ASSIGN_OR_RETURN(std::string pub_hex, string_field(s, "public_share", path));
    VIGIL_ASSIGN_OR_RETURN(share.public_share, element_from_hex<C>(pub_hex, path + ".public_share"));

    const bool plain = s.contains("secret_share"), sealed = s.contains("sealed_share");
    if (plain == sealed) return bad(path, "needs exactly one of 'secret_share' and 'sealed_share'");
    if (plain) {
      VIGIL_ASSIGN_OR_RETURN(std::string hex, string_field(s, "secret_share", path));
      auto bytes = from_hex(hex);
      if (!bytes) return at(path + ".secret_share", bytes.error());
      auto value = Scalar<C>::decode(*bytes);
      secure_wipe(bytes->data(), bytes->size());
      if (!value) return at(path + ".secret_share", value.error());
      share.secret_share = std::move(value).value();
    } else {
      VIGIL_ASSIGN_OR_RETURN(std::string hex, string_field(s, "sealed_share", path));
      auto bytes = from_hex_exact(hex, C::kScalarBytes + kSealOverheadBytes);
      if (!bytes) return at(path + ".sealed_share", bytes.error());
      share.sealed_share = std::move(bytes).value();
      VIGIL_ASSIGN_OR_RETURN(std::string rhex, string_field(s, "recipient", path));
      auto recipient = from_hex_exact(rhex, kX25519Bytes);
      if (!recipient) return at(path + ".recipient", recipient.error());
      X25519PublicKey pk{};
      std::copy(recipient->begin(), recipient->end(), pk.begin());
      share.recipient = pk;
    }
    file.shares.push_back(std::move(share));
  }
  return file;
}

}  // namespace

template <Curve C>
Result<DealFile<C>> make_deal_file(Rng& rng, const Deal<C>& deal, const std::vector<X25519PublicKey>& recipients) {
  if (!recipients.empty() && recipients.size() != deal.parties()) {
    return make_error(ErrorCode::kInvalidInput, "need one recipient key per participant: got " +
                                                    std::to_string(recipients.size()) + " for " +
                                                    std::to_string(deal.parties()) + " participants");
  }
  DealFile<C> file{deal.commitment, {}};
  for (const auto& s : deal.shares) {
    DealFileShare<C> out;
    out.index = s.index;
    out.public_share = s.public_share;
    if (recipients.empty()) {
      out.secret_share = s.secret_share.clone();
    } else {
      const auto& recipient = recipients[s.index - 1];
      VIGIL_ASSIGN_OR_RETURN(Bytes sealed, seal_share<C>(rng, recipient, deal.group_public_key(),
                                                         SecretShare<C>{s.index, s.secret_share.clone()}));
      out.sealed_share = std::move(sealed);
      out.recipient = recipient;
    }
    file.shares.push_back(std::move(out));
  }
  return file;
}

template <Curve C>
json deal_file_to_json(const DealFile<C>& file) {
  json commitments = json::array();
  for (const auto& c : file.commitment.elements()) commitments.push_back(to_hex(c.encode()));
  json shares = json::array();
  for (const auto& s : file.shares) {
    json entry = {{"index", s.index}, {"public_share", to_hex(s.public_share.encode())}};
    if (s.secret_share) {
      auto enc = s.secret_share->encode();
      entry["secret_share"] = to_hex(enc);
      secure_wipe(enc.data(), enc.size());
    } else {
      // A share without its secret is sealed (make_deal_file and parse_deal_file ensure it).
      entry["recipient"] = to_hex(*s.recipient);
      entry["sealed_share"] = to_hex(*s.sealed_share);
    }
    shares.push_back(std::move(entry));
  }
  return json{{"version", kDealFileVersion},
              {"curve", std::string(C::kName)},
              {"threshold", file.threshold()},
              {"parties", file.parties()},
              {"group_public_key", to_hex(file.group_public_key().encode())},
              {"commitments", std::move(commitments)},
              {"shares", std::move(shares)}};
}

Result<AnyDealFile> parse_deal_file(const std::string& text) {
  // Size is bounded by the caller's file cap; the parser is non-recursive
  // and, without exceptions, marks malformed input as discarded.
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return make_error(ErrorCode::kBadEncoding, "deal: not valid JSON");
  if (!root.is_object()) return make_error(ErrorCode::kBadEncoding, "deal: must be a JSON object");
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t version, uint_field(root, "version", "deal"));
  if (version != kDealFileVersion) {
    return make_error(ErrorCode::kBadEncoding, "deal.version: unsupported version " + std::to_string(version));
  }
  VIGIL_ASSIGN_OR_RETURN(std::string curve, string_field(root, "curve", "deal"));
  auto id = parse_curve_name(curve);
  if (!id) return at("deal.curve", id.error());
  return visit_curve(*id, [&](auto c) -> Result<AnyDealFile> {
    VIGIL_ASSIGN_OR_RETURN(auto file, parse_for_curve<decltype(c)>(root));
    return AnyDealFile(std::move(file));
  });
}

template Result<DealFile<Ristretto255>> make_deal_file(Rng&, const Deal<Ristretto255>&,
                                                       const std::vector<X25519PublicKey>&);
template Result<DealFile<Secp256k1>> make_deal_file(Rng&, const Deal<Secp256k1>&, const std::vector<X25519PublicKey>&);
template json deal_file_to_json(const DealFile<Ristretto255>&);
template json deal_file_to_json(const DealFile<Secp256k1>&);

}  // namespace vigil::cli
