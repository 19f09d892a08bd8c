// Files of the TDH2 commands: ciphertexts (binary protobuf from --out, or the
// JSON that --json prints) and decryption shares (JSON from partial-decrypt).
//
// Ciphertext JSON: the node API's Tdh2Ciphertext (docs/api.md), so a file
// from encrypt --json goes into a request body as it is: protobuf's JSON
// mapping, bytes base64, { "version": 1, "curve": "CURVE_RISTRETTO255",
//   "label", "u", "u_bar", "w", "w_bar", "f", "payload" }; unknown fields
//   are refused, as the API refuses them.
// Share JSON (the CLI's alone; hex, as every file for people): { "version": 1, "curve": ..., "index": I, "value": hex,
//   "proof": hex (a1 || a2 || z), "ciphertext_digest": hex }
#pragma once

#include <nlohmann/json.hpp>

#include "deal_file.h"
#include "proto/codec.h"

namespace vigil::cli {

template <Curve C>
nlohmann::json ciphertext_to_json(const Tdh2Ciphertext<C>& ciphertext);

// Reads a ciphertext file in either form (JSON when it starts with '{').
Result<proto::AnyCiphertext> read_ciphertext(const std::string& path);

template <Curve C>
nlohmann::json share_to_json(const DecryptionShare<C>& share, const CiphertextDigest& digest);

// Parses a share file for curve C; `digest`, when given, must match the one
// the share was made for.
template <Curve C>
Result<DecryptionShare<C>> read_share(const std::string& path, const CiphertextDigest& digest);

// The secret share of participant `index` from a deal: in the clear, or
// opened with `key_path` when sealed.
template <Curve C>
Result<SecretShare<C>> secret_share_from_deal(const DealFile<C>& deal, ParticipantIndex index,
                                              const std::string& key_path);

}  // namespace vigil::cli
