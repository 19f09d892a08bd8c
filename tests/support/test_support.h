// Shared test helpers: external vector files and replayable random seeds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vigil/bytes.h"
#include "vigil/group.h"

namespace vigil::test {

// Typed test suites run over every supported curve.
using AllCurves = ::testing::Types<Ristretto255, Secp256k1>;

// Loads ../shared/vectors/<relative>; nullopt (and the test should
// GTEST_SKIP with the path) when the shared folder is missing.
std::optional<nlohmann::json> load_shared_vectors(const std::string& relative);
std::filesystem::path shared_vectors_path(const std::string& relative);
// Loads tests/vectors/<name>, the project's own committed vectors; a missing
// or unparsable file fails the calling test and yields null.
nlohmann::json load_project_vectors(const std::string& name);

// The seed for randomised tests: VIGIL_SEED from the environment when set,
// otherwise fresh. Printed on first use so that a failure can be replayed
// with VIGIL_SEED=<seed>.
std::uint64_t test_seed();

Bytes hex(const std::string& s);  // aborts the test binary on bad hex

}  // namespace vigil::test

#define VIGIL_LOAD_SHARED_OR_SKIP(var, relative)                                                              \
  auto var##_opt = ::vigil::test::load_shared_vectors(relative);                                              \
  if (!var##_opt) GTEST_SKIP() << "shared vectors missing: " << ::vigil::test::shared_vectors_path(relative); \
  const nlohmann::json& var = *var##_opt

namespace vigil::test {

// Calls fn(group, test) for every test case of a Wycheproof file.
template <class Fn>
void for_each_wycheproof(const nlohmann::json& file, Fn&& fn) {
  for (const auto& group : file.at("testGroups")) {
    for (const auto& t : group.at("tests")) fn(group, t);
  }
}

}  // namespace vigil::test
