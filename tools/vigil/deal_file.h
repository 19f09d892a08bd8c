// The deal file written by `vigil deal` and read by every command that
// needs a key: JSON with hex values in the curve's encodings.
//
//   { "version": 1, "curve": "ristretto255", "threshold": 3, "parties": 5,
//     "group_public_key": "<hex>", "commitments": ["<hex>", ...],
//     "shares": [ { "index": 1, "public_share": "<hex>",
//                   "secret_share": "<hex>" }                       // plain, or
//                 { "index": 2, "public_share": "<hex>",
//                   "recipient": "<x25519 hex>", "sealed_share": "<hex>" } ] }
//
// Parsing is strict: every field is checked, every encoding validated, and
// the first problem is reported with its JSON path.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/dealer.h"

namespace vigil::cli {

template <Curve C>
struct DealFileShare {
  ParticipantIndex index = 0;
  Element<C> public_share;
  std::optional<Scalar<C>> secret_share;  // a plain deal
  std::optional<Bytes> sealed_share;      // or a share sealed to `recipient`
  std::optional<X25519PublicKey> recipient;
};

template <Curve C>
struct DealFile {
  using CurveType = C;
  FeldmanCommitment<C> commitment;
  std::vector<DealFileShare<C>> shares;

  std::size_t threshold() const { return commitment.threshold(); }
  std::size_t parties() const { return shares.size(); }
  const Element<C>& group_public_key() const { return commitment.group_public_key(); }
};

using AnyDealFile = std::variant<DealFile<Ristretto255>, DealFile<Secp256k1>>;

// A deal as a file; with recipients (one per participant, in index order)
// each share is sealed to its recipient instead of written in the clear.
template <Curve C>
Result<DealFile<C>> make_deal_file(Rng& rng, const Deal<C>& deal, const std::vector<X25519PublicKey>& recipients);

template <Curve C>
nlohmann::json deal_file_to_json(const DealFile<C>& file);

// Parses and validates untrusted JSON text.
Result<AnyDealFile> parse_deal_file(const std::string& text);

}  // namespace vigil::cli
