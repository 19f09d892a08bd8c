#include "support/test_support.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>

namespace vigil::test {

std::filesystem::path shared_vectors_path(const std::string& relative) {
  return std::filesystem::path(VIGIL_SHARED_VECTORS) / relative;
}

std::optional<nlohmann::json> load_shared_vectors(const std::string& relative) {
  std::ifstream in(shared_vectors_path(relative));
  if (!in) return std::nullopt;
  return nlohmann::json::parse(in);
}

nlohmann::json load_project_vectors(const std::string& name) {
  std::ifstream in(std::string(VIGIL_PROJECT_VECTORS) + "/" + name);
  EXPECT_TRUE(in.good()) << "missing committed vectors tests/vectors/" << name;
  if (!in) return nullptr;
  auto parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "tests/vectors/" << name << " is not JSON";
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

std::uint64_t test_seed() {
  static const std::uint64_t seed = [] {
    std::uint64_t s;
    if (const char* env = std::getenv("VIGIL_SEED")) {
      s = std::strtoull(env, nullptr, 0);
    } else {
      s = (static_cast<std::uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
    }
    std::cout << "[ seed     ] VIGIL_SEED=" << s << " replays this run\n";
    return s;
  }();
  return seed;
}

Bytes hex(const std::string& s) {
  auto r = from_hex(s);
  if (!r) {
    std::cerr << "bad hex in test data: " << s << "\n";
    std::abort();
  }
  return std::move(r).value();
}

}  // namespace vigil::test
