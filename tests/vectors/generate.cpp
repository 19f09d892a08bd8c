// vigil_vector_gen: writes tests/vectors/tdh2-<curve>.json from the fixed
// seed. Run it after an intentional change to the scheme, then commit the
// files: tdh2_vectors_test compares the library against them.
//   build/dev/tests/vigil_vector_gen tests/vectors
#include <fstream>
#include <iostream>

#include "support/tdh2_vectors.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: vigil_vector_gen OUTPUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto write = [&](const std::string& name, const nlohmann::json& j) {
    std::ofstream out(dir + "/" + name);
    out << j.dump(2) << "\n";
    if (!out) {
      std::cerr << "cannot write " << dir << "/" << name << "\n";
      return false;
    }
    std::cout << "wrote " << dir << "/" << name << "\n";
    return true;
  };
  using vigil::test::kTdh2VectorSeed;
  bool ok = write("tdh2-ristretto255.json", vigil::test::make_tdh2_vectors<vigil::Ristretto255>(kTdh2VectorSeed)) &&
            write("tdh2-secp256k1.json", vigil::test::make_tdh2_vectors<vigil::Secp256k1>(kTdh2VectorSeed));
  return ok ? 0 : 1;
}
