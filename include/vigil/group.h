// Prime-order groups: scalars and elements of ristretto255 and secp256k1
// behind one generic interface, so that protocol code is written once as a
// template over the curve.
//
// Encodings follow RFC 9591: ristretto255 scalars are 32 bytes little-endian
// and elements 32-byte RFC 9496 encodings; secp256k1 scalars are 32 bytes
// big-endian and elements 33-byte compressed SEC1 points.
//
// Both types exist only in valid form: decode() refuses non-canonical
// encodings, out-of-range scalars, and the identity element. Operations on
// scalars and scalar multiplications run in constant time; functions that do
// not (for public data only) end in _vartime.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/bytes.h"
#include "vigil/random.h"
#include "vigil/result.h"

namespace vigil {

enum class CurveId : std::uint8_t { kRistretto255 = 1, kSecp256k1 = 2 };

struct Ristretto255 {
  static constexpr bool kIsCurve = true;
  static constexpr CurveId kId = CurveId::kRistretto255;
  static constexpr std::string_view kName = "ristretto255";
  static constexpr std::size_t kScalarBytes = 32;
  static constexpr std::size_t kElementBytes = 32;
  static constexpr bool kScalarBigEndian = false;
  struct ElementRepr {
    std::array<std::uint8_t, 32> encoding{};  // all zero: the identity
  };
};

struct Secp256k1 {
  static constexpr bool kIsCurve = true;
  static constexpr CurveId kId = CurveId::kSecp256k1;
  static constexpr std::string_view kName = "secp256k1";
  static constexpr std::size_t kScalarBytes = 32;
  static constexpr std::size_t kElementBytes = 33;
  static constexpr bool kScalarBigEndian = true;
  struct ElementRepr {
    std::array<std::uint8_t, 33> encoding{};  // all zero: the identity
    std::array<std::uint8_t, 64> parsed{};    // libsecp256k1's secp256k1_pubkey
    bool identity = true;
  };
};

// A curve is a type that says it is one: the two above, and in vigil's
// exhaustive tests a group of order 13 small enough to check every case.
template <class C>
concept Curve = requires {
  requires C::kIsCurve;
  typename C::ElementRepr;
  { C::kName } -> std::convertible_to<std::string_view>;
  requires C::kScalarBytes == 32;
};

// Parses a curve name ("ristretto255", "secp256k1").
Result<CurveId> parse_curve_name(std::string_view name);
// The curve's name, or "unknown" for an id that names no curve.
std::string_view curve_name(CurveId id);

// The one place where a curve chosen at run time becomes a type: calls
// f(Ristretto255{}) or f(Secp256k1{}) and returns what it returns, which must
// be a Result (or Status) of one type for every curve. Each curve is named
// explicitly; an id that names none (a corrupt record, a newer peer) is
// kInvalidInput, never a fallback to a default curve.
template <class F>
auto visit_curve(CurveId id, F&& f) -> decltype(f(Ristretto255{})) {
  switch (id) {
    case CurveId::kRistretto255: return std::forward<F>(f)(Ristretto255{});
    case CurveId::kSecp256k1: return std::forward<F>(f)(Secp256k1{});
  }
  return make_error(ErrorCode::kInvalidInput, "unknown curve id " + std::to_string(static_cast<int>(id)));
}

// An integer modulo the group order q. Holds secrets (key shares, polynomial
// coefficients) as often as public values, so it is treated as a secret:
// wiped on destruction, compared in constant time, never printed, and copied
// only through clone().
template <Curve C>
class Scalar {
 public:
  static constexpr std::size_t kBytes = C::kScalarBytes;
  using Encoding = std::array<std::uint8_t, kBytes>;

  Scalar() = default;  // zero
  ~Scalar();
  Scalar(Scalar&& other) noexcept;
  Scalar& operator=(Scalar&& other) noexcept;
  Scalar(const Scalar&) = delete;
  Scalar& operator=(const Scalar&) = delete;
  Scalar clone() const;

  static Scalar zero() { return Scalar(); }
  static Scalar one();
  static Scalar from_u64(std::uint64_t value);

  // Decodes a canonical encoding (exactly kBytes, value < q). Zero is
  // accepted; callers that need a non-zero scalar check is_zero().
  static Result<Scalar> decode(ByteSpan bytes);

  // Reduces up to 64 bytes, read in the curve's byte order, modulo q: the
  // last step of hashing to a scalar and of uniform sampling.
  static Scalar reduce_wide(ByteSpan bytes);

  // A uniformly random non-zero scalar (64 bytes reduced: bias below 2^-250).
  static Scalar random(Rng& rng);

  Encoding encode() const;
  bool is_zero() const;

  Scalar operator+(const Scalar& b) const;
  Scalar operator-(const Scalar& b) const;
  Scalar operator*(const Scalar& b) const;
  Scalar operator-() const;
  Scalar& operator+=(const Scalar& b);
  Scalar& operator*=(const Scalar& b);
  bool operator==(const Scalar& b) const;  // constant time

  // Multiplicative inverse of a public value; fails on zero.
  Result<Scalar> invert_vartime() const;

  // The Montgomery-form limbs, for vigil's own arithmetic code.
  const std::array<std::uint64_t, 4>& limbs() const { return limbs_; }
  static Scalar from_limbs(const std::array<std::uint64_t, 4>& limbs);

 private:
  std::array<std::uint64_t, 4> limbs_{};
};

// A group element. Public data: freely copyable, compared by encoding.
template <Curve C>
class Element {
 public:
  using CurveType = C;
  static constexpr std::size_t kBytes = C::kElementBytes;
  using Encoding = std::array<std::uint8_t, kBytes>;

  Element() = default;  // the identity
  static Element identity() { return Element(); }
  static Element generator();

  // Decodes a canonical encoding of a non-identity element; fails with
  // kBadEncoding otherwise (wrong length, not on the curve, non-canonical,
  // or the identity).
  static Result<Element> decode(ByteSpan bytes);

  // k * G and k * P in constant time (the identity when k = 0).
  static Element base_mult(const Scalar<C>& k);
  Element mult(const Scalar<C>& k) const;

  Encoding encode() const { return encode_impl(); }
  bool is_identity() const;

  Element operator+(const Element& b) const;
  Element operator-(const Element& b) const;
  Element operator-() const;
  bool operator==(const Element& b) const;

  const typename C::ElementRepr& repr() const { return repr_; }
  static Element from_repr(const typename C::ElementRepr& repr) {
    Element e;
    e.repr_ = repr;
    return e;
  }

 private:
  Encoding encode_impl() const;
  typename C::ElementRepr repr_{};
};

template <Curve C>
Element<C> operator*(const Scalar<C>& k, const Element<C>& p) {
  return p.mult(k);
}

// An element with precomputed multiples, for when the same base is
// multiplied by many secret scalars (a group key, a second generator): a
// constant-time table method, two to four times faster than a variable-base
// multiplication. The table takes ~20-30 KiB and ~0.1 ms to build. Copies
// share the table.
template <Curve C>
class PrecomputedElement {
 public:
  explicit PrecomputedElement(const Element<C>& base);

  // The generator's table, one per process, built on first use.
  static const PrecomputedElement& generator();

  const Element<C>& element() const { return base_; }

  // k * base in constant time.
  Element<C> mult(const Scalar<C>& k) const;

  // One product base * scalar of mult_each(); both are borrowed.
  struct Product {
    const PrecomputedElement& base;
    const Scalar<C>& scalar;
  };
  // Several products at once, in constant time, in the order given. On
  // secp256k1 they share one field inversion, which saves a fifth of each
  // product after the first.
  static std::vector<Element<C>> mult_each(std::initializer_list<Product> products);

  // a * base + b * q, in variable time: for public scalars only.
  Element<C> mult_add_vartime(const Scalar<C>& a, const Scalar<C>& b, const Element<C>& q) const;

 private:
  Element<C> base_;
  std::shared_ptr<const void> table_;
};

// sum(scalars[i] * elements[i]) in variable time: for public scalars only
// (Lagrange coefficients, challenges, verifier randomness). Fails with
// kInvalidInput when the spans differ in length.
template <Curve C>
Result<Element<C>> multi_scalar_mult_vartime(std::span<const Scalar<C>> scalars, std::span<const Element<C>> elements);

}  // namespace vigil
