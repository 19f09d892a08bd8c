// Deterministic TDH2 test vectors: a 3-of-5 key dealt from a seed, several
// ciphertexts and every participant's decryption share with its proof.
// Written by vigil_vector_gen into tests/vectors/ and checked by
// tdh2_vectors_test against the committed files.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "vigil/group.h"

namespace vigil::test {

inline constexpr std::uint64_t kTdh2VectorSeed = 20261121;

template <Curve C>
nlohmann::json make_tdh2_vectors(std::uint64_t seed);

}  // namespace vigil::test
