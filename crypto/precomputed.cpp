// PrecomputedElement: table-based constant-time multiplication (the ref10
// method of fixed_base.h) on both curves, with complete formulas over
// vigil's own field arithmetic: libsodium and libsecp256k1 keep tables for
// their generators only.
#include "internal/fixed_base25519.h"
#include "internal/msm.h"
#include "internal/secp256k1_ct_point.h"
#include "vigil/group.h"

namespace vigil {

using R = Ristretto255;
using K = Secp256k1;

namespace {

template <class Table>
const Table& table_of(const std::shared_ptr<const void>& p) {
  return *static_cast<const Table*>(p.get());
}

// The generator's table is built once per process and shared.
template <class Table, Curve C>
std::shared_ptr<const Table> generator_table() {
  static const auto table = std::make_shared<const Table>(internal::PointOps<C>::from_element(Element<C>::generator()));
  return table;
}

template <class Table, Curve C>
std::shared_ptr<const void> make_table(const Element<C>& base) {
  if (base.is_identity()) return nullptr;  // mult() gives the identity
  if (base == Element<C>::generator()) return generator_table<Table, C>();
  return std::make_shared<const Table>(internal::PointOps<C>::from_element(base));
}

// k * base on secp256k1 in projective coordinates, before the inversion.
internal::ProjectivePoint secp256k1_product(const std::shared_ptr<const void>& table, const Scalar<K>& k) {
  using internal::SecpCtOps;
  if (!table) return SecpCtOps::identity();
  // The table method needs a scalar below 2^255: multiply by |k| <= n/2 and
  // negate the product by mask when k was the larger residue.
  internal::SignedLimbs short_k =
      internal::signed_residue(internal::from_mont(k.limbs(), internal::kSecp256k1Order), internal::kSecp256k1Order.m);
  std::array<std::uint8_t, 32> bytes{};
  internal::limbs_to_le(bytes, short_k.abs);
  const internal::ProjectivePoint product = table_of<internal::FixedBaseSecp256k1>(table).mult(bytes);
  const internal::ProjectivePoint signed_product =
      SecpCtOps::select(short_k.negative, SecpCtOps::neg(product), product);
  secure_wipe(bytes.data(), bytes.size());
  secure_wipe(short_k.abs.data(), sizeof(short_k.abs));
  return signed_product;
}

}  // namespace

template <>
PrecomputedElement<R>::PrecomputedElement(const Element<R>& base)
    : base_(base), table_(make_table<internal::FixedBase25519>(base)) {}

template <>
Element<R> PrecomputedElement<R>::mult(const Scalar<R>& k) const {
  if (!table_) return Element<R>::identity();
  auto bytes = k.encode();
  auto point = table_of<internal::FixedBase25519>(table_).mult(bytes);
  secure_wipe(bytes.data(), bytes.size());
  return internal::PointOps<R>::to_element(point);
}

template <>
std::vector<Element<R>> PrecomputedElement<R>::mult_each(std::initializer_list<Product> products) {
  // Each RFC 9496 encoding needs its own inverse square root: nothing to share.
  std::vector<Element<R>> out;
  out.reserve(products.size());
  for (const Product& p : products) out.push_back(p.base.mult(p.scalar));
  return out;
}

template <>
Element<R> PrecomputedElement<R>::mult_add_vartime(const Scalar<R>& a, const Scalar<R>& b, const Element<R>& q) const {
  using Ops = internal::PointOps<R>;
  const internal::Limbs b_canonical = internal::from_mont(b.limbs(), internal::group_order<R>());
  const auto q_point = Ops::from_element(q);
  const auto bq = internal::straus_vartime<R>(std::span(&b_canonical, 1), std::span(&q_point, 1));
  const auto aP = table_ ? table_of<internal::FixedBase25519>(table_).mult(a.encode()) : Ops::identity();
  return Ops::to_element(Ops::add(aP, bq));
}

template <>
PrecomputedElement<K>::PrecomputedElement(const Element<K>& base)
    : base_(base), table_(make_table<internal::FixedBaseSecp256k1>(base)) {}

template <>
Element<K> PrecomputedElement<K>::mult(const Scalar<K>& k) const {
  internal::AffinePoint affine;
  // Whether k * base is the identity (k = 0) is the only branch on the result.
  if (!internal::SecpCtOps::to_affine(secp256k1_product(table_, k), affine)) return Element<K>::identity();
  return internal::PointOps<K>::to_element(affine);
}

template <>
std::vector<Element<K>> PrecomputedElement<K>::mult_each(std::initializer_list<Product> products) {
  std::vector<internal::ProjectivePoint> points;
  points.reserve(products.size());
  for (const Product& p : products) points.push_back(secp256k1_product(p.base.table_, p.scalar));
  std::vector<internal::AffinePoint> affine(points.size());
  internal::SecpCtOps::to_affine_batch(points, affine);
  std::vector<Element<K>> out;
  out.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    // As in mult(), only whether a product is the identity decides a branch.
    out.push_back(points[i].z.is_zero() ? Element<K>::identity() : internal::PointOps<K>::to_element(affine[i]));
  }
  return out;
}

template <>
Element<K> PrecomputedElement<K>::mult_add_vartime(const Scalar<K>& a, const Scalar<K>& b, const Element<K>& q) const {
  const Scalar<K> scalars[2] = {a.clone(), b.clone()};
  const Element<K> points[2] = {base_, q};
  return multi_scalar_mult_vartime<K>(scalars, points).value();
}

// After the specialisations above, which it instantiates.
template <Curve C>
const PrecomputedElement<C>& PrecomputedElement<C>::generator() {
  static const PrecomputedElement instance(Element<C>::generator());
  return instance;
}

template const PrecomputedElement<R>& PrecomputedElement<R>::generator();
template const PrecomputedElement<K>& PrecomputedElement<K>::generator();

}  // namespace vigil
