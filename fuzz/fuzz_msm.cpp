// Differential: vigil's own point arithmetic (the variable-time multi-scalar
// sum, the constant-time fixed-base tables and the weighted sum of secret
// elements) against the reference libraries behind Element's operations
// (libsodium for ristretto255, libsecp256k1 for secp256k1).
#include <cstdlib>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "internal/msm.h"

namespace {

template <vigil::Curve C>
void check(FuzzedDataProvider& in) {
  using vigil::Element;
  using vigil::Scalar;
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 12);
  std::vector<Element<C>> points;
  std::vector<Scalar<C>> scalars;
  Element<C> expected;
  for (std::size_t i = 0; i < n; ++i) {
    points.push_back(vigil::fuzz::take_element<C>(in, points));
    scalars.push_back(vigil::fuzz::take_scalar<C>(in));
    expected = expected + points.back().mult(scalars.back());
  }
  const auto sum = vigil::multi_scalar_mult_vartime<C>(scalars, points);
  if (!sum.ok() || !(*sum == expected)) std::abort();
  const auto weighted = vigil::internal::weighted_sum_of_secret_elements<C>(scalars, points);
  if (!weighted.ok() || !(*weighted == expected)) std::abort();

  if (n == 0) return;
  const vigil::PrecomputedElement<C> table(points[0]);
  if (!(table.mult(scalars[0]) == points[0].mult(scalars[0]))) std::abort();
  const Scalar<C> b = vigil::fuzz::take_scalar<C>(in);
  const Element<C> q = vigil::fuzz::take_element<C>(in, points);
  if (!(table.mult_add_vartime(scalars[0], b, q) == points[0].mult(scalars[0]) + q.mult(b))) std::abort();
  const auto& g = vigil::PrecomputedElement<C>::generator();
  const auto each = vigil::PrecomputedElement<C>::mult_each({{table, b}, {g, scalars[0]}, {table, scalars[0]}});
  if (each.size() != 3 || !(each[0] == points[0].mult(b)) || !(each[1] == Element<C>::base_mult(scalars[0])) ||
      !(each[2] == points[0].mult(scalars[0]))) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  vigil::fuzz::on_either_curve(in, [&](auto curve) { check<decltype(curve)>(in); });
  return 0;
}
