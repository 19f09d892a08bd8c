// Share generation, share verification and interpolation.
#include <numeric>
#include <vector>

#include "bench_support.h"
#include "vigil/dealer.h"
#include "vigil/shamir.h"

namespace vigil::bench {
namespace {

// Targets from the core-library issue, for ristretto255 on a 2-core machine;
// secp256k1's are twice ristretto255's.
std::string deal_target(std::size_t n, bool secp) {
  const char* base = n == 100 ? "3.5 ms" : n == 1000 ? "80 ms" : nullptr;
  if (base == nullptr) return "";
  if (!secp) return "<= " + std::string(base);
  return std::string("<= ") + (n == 100 ? "7 ms" : "160 ms") + " (2x ristretto255)";
}

template <Curve C>
void register_shamir_curve() {
  constexpr bool kSecp = std::is_same_v<C, Secp256k1>;
  for (auto [n, t] : std::vector<std::pair<std::size_t, std::size_t>>{{5, 3}, {16, 11}, {100, 67}, {1000, 667}}) {
    add(name<C>("BM_Deal") + "/" + std::to_string(n) + "/" + std::to_string(t), deal_target(n, kSecp),
        [n = n, t = t](benchmark::State& state) {
          SeededRng rng(7);
          for (auto _ : state) {
            auto d = deal<C>(rng, n, t);
            benchmark::DoNotOptimize(d);
          }
        })
        ->Unit(benchmark::kMillisecond);
  }

  for (std::size_t t : {3, 67, 667}) {
    add(name<C>("BM_VerifyShare") + "/" + std::to_string(t), t == 67 ? "<= 1.5 ms" : "", [t](benchmark::State& state) {
      SeededRng rng(8);
      const std::size_t n = t + t / 2;
      auto d = deal<C>(rng, n, t).value();
      const auto& share = d.shares[n - 1];  // the largest index: the most work
      for (auto _ : state) benchmark::DoNotOptimize(d.commitment.verify_share(share.index, share.secret_share));
    })->Unit(benchmark::kMicrosecond);
  }

  for (std::size_t t : {3, 67, 667}) {
    add(name<C>("BM_Lagrange") + "/" + std::to_string(t), "", [t](benchmark::State& state) {
      std::vector<ParticipantIndex> indices(t);
      std::iota(indices.begin(), indices.end(), 1);
      for (auto _ : state) benchmark::DoNotOptimize(lagrange_coefficients<C>(indices));
    })->Unit(benchmark::kMicrosecond);

    add(name<C>("BM_InterpolateExponent") + "/" + std::to_string(t), "", [t](benchmark::State& state) {
      SeededRng rng(9);
      auto d = deal<C>(rng, t, t).value();
      std::vector<ParticipantIndex> indices;
      std::vector<Element<C>> values;
      for (const auto& s : d.shares) {
        indices.push_back(s.index);
        values.push_back(s.public_share);
      }
      for (auto _ : state) benchmark::DoNotOptimize(interpolate_in_exponent<C>(indices, values));
    })->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

void register_shamir_benchmarks() {
  register_shamir_curve<Ristretto255>();
  register_shamir_curve<Secp256k1>();
}

}  // namespace vigil::bench
