// Constant-time check of vigil's own secret-handling arithmetic, in the style
// of libsecp256k1's ctime_tests: run under valgrind memcheck, with the secret
// inputs marked undefined, any branch or memory index that depends on them
// is reported as a use of an uninitialised value. Outputs are marked defined
// again before they are compared, as a caller would publish them.
//
// Covered here: secp256k1 field arithmetic (incl. the inversion), the
// complete point formulas, the fixed-base table method on both curves, the
// short signed form of a scalar, and the weighted sum of secret points; in
// protocols.cpp, everything vigil does with a secret end to end (scalars,
// multiplications, decryption shares and their proofs, sealing, dealing,
// DKG and resharing dealings, Ed25519 and X25519, master-key sealing).
//
// Without valgrind it runs as a plain self-check (the macros do nothing).
#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ctime/ctime.h"
#include "internal/fixed_base25519.h"
#include "internal/msm.h"
#include "internal/point_ops.h"
#include "internal/secp256k1_ct_point.h"
#include "vigil/group.h"
#include "vigil/random.h"

namespace vigil {
namespace {

using ctime::check;
using ctime::published;
using ctime::secret;

using internal::FeSecp;
using internal::ProjectivePoint;
using internal::SecpCtOps;

void field_arithmetic(SeededRng& rng) {
  std::array<std::uint8_t, 32> a_bytes{}, b_bytes{};
  rng.fill(a_bytes);
  rng.fill(b_bytes);
  FeSecp a = FeSecp::from_canonical(internal::limbs_from_le(a_bytes));
  FeSecp b = FeSecp::from_canonical(internal::limbs_from_le(b_bytes));
  const FeSecp reference = (a * b + a.sq() - b.mul_small(21)) * (a - b).invert();
  secret(a);
  secret(b);
  FeSecp r = (a * b + a.sq() - b.mul_small(21)) * (a - b).invert();
  r = FeSecp::select(a.is_zero(), b, r);
  internal::Limbs canonical = r.canonical();
  published(canonical);
  check(canonical == reference.canonical(), "field arithmetic");
}

void complete_formulas(SeededRng& rng) {
  using Ops = internal::PointOps<Secp256k1>;
  const auto p = Ops::from_element(Element<Secp256k1>::base_mult(Scalar<Secp256k1>::random(rng)));
  const auto q = Ops::from_element(Element<Secp256k1>::base_mult(Scalar<Secp256k1>::random(rng)));
  ProjectivePoint sp{p.x, p.y, p.z};
  internal::AffinePoint sq{q.x, q.y};
  secret(sp);
  secret(sq);
  ProjectivePoint sum = SecpCtOps::add(SecpCtOps::dbl(sp), SecpCtOps::add_affine(sp, sq));
  sum = SecpCtOps::add(sum, SecpCtOps::neg(sum));  // the identity, reached through complete formulas
  internal::AffinePoint affine;
  bool finite = SecpCtOps::to_affine(sum, affine);
  published(finite);
  check(!finite, "complete formulas");
}

template <class Table, Curve C>
void fixed_base(SeededRng& rng, const Table& table, const Element<C>& base) {
  const Scalar<C> k = Scalar<C>::random(rng);
  internal::SignedLimbs short_k = internal::signed_residue(internal::from_mont(k.limbs(), internal::group_order<C>()),
                                                           internal::group_order<C>().m);
  secret(short_k);
  std::array<std::uint8_t, 32> bytes{};
  internal::limbs_to_le(bytes, short_k.abs);
  auto product = table.mult(bytes);
  if constexpr (std::is_same_v<C, Secp256k1>) {
    product = SecpCtOps::select(short_k.negative, SecpCtOps::neg(product), product);
    internal::AffinePoint affine;
    SecpCtOps::to_affine(product, affine);
    published(affine);
    check(internal::PointOps<C>::to_element(affine) == base.mult(k), "secp256k1 fixed-base table");
  } else {
    published(product);
    published(short_k);
    const auto element =
        internal::PointOps<C>::to_element(short_k.negative ? internal::PointOps<C>::neg(product) : product);
    check(element == base.mult(k), "ristretto255 fixed-base table");
  }
}

void weighted_sum(SeededRng& rng) {
  using Ops = internal::PointOps<Secp256k1>;
  std::vector<internal::Limbs> weights;
  std::vector<ProjectivePoint> points;
  Element<Secp256k1> expected;
  for (int i = 0; i < 4; ++i) {
    const Scalar<Secp256k1> w = Scalar<Secp256k1>::random(rng);
    const Element<Secp256k1> e = Element<Secp256k1>::base_mult(Scalar<Secp256k1>::random(rng));
    expected = expected + e.mult(w);
    weights.push_back(internal::from_mont(w.limbs(), internal::kSecp256k1Order));
    const auto p = Ops::from_element(e);
    points.push_back({p.x, p.y, p.z});
  }
  VALGRIND_MAKE_MEM_UNDEFINED(points.data(), points.size() * sizeof(points[0]));
  const ProjectivePoint sum = internal::straus_with<internal::SecpSecretPointOps>(weights, points);
  internal::AffinePoint affine;
  SecpCtOps::to_affine(sum, affine);
  published(affine);
  check(Ops::to_element(affine) == expected, "weighted sum of secret points");
}

}  // namespace
}  // namespace vigil

int main() {
  using namespace vigil;
  SeededRng rng(20261129);
  for (int i = 0; i < 3; ++i) {
    field_arithmetic(rng);
    complete_formulas(rng);
    const auto g = Element<Secp256k1>::base_mult(Scalar<Secp256k1>::random(rng));
    fixed_base(rng, internal::FixedBaseSecp256k1(internal::PointOps<Secp256k1>::from_element(g)), g);
    const auto r = Element<Ristretto255>::base_mult(Scalar<Ristretto255>::random(rng));
    fixed_base(rng, internal::FixedBase25519(internal::PointOps<Ristretto255>::from_element(r)), r);
    weighted_sum(rng);
    ctime::protocols(rng);
  }
  if (ctime::failures != 0) return 1;
  std::puts(RUNNING_ON_VALGRIND ? "ctime_test: no secret-dependent branch or index (under valgrind)"
                                : "ctime_test: results correct (run under valgrind to check constant time)");
  return 0;
}
