// Variable-time multi-scalar multiplication and polynomial evaluation in the
// exponent, written once over PointOps<C>: public data only, except for
// weighted_sum_of_secret_elements, whose header says why it may take secret
// elements.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "point_ops.h"
#include "vigil/bytes.h"

namespace vigil::internal {

// Width-w non-adjacent form of a 256-bit integer: digits 0 or odd in
// (-2^(w-1), 2^(w-1)), at most one non-zero in any w consecutive. Returns the
// number of digits used (at most 257).
inline std::size_t wnaf_vartime(std::array<std::int8_t, 257>& digits, const Limbs& value, int width) {
  std::array<u64, 5> k{value[0], value[1], value[2], value[3], 0};
  digits.fill(0);
  std::size_t len = 0;
  auto is_zero = [&] { return (k[0] | k[1] | k[2] | k[3] | k[4]) == 0; };
  for (std::size_t i = 0; !is_zero(); ++i) {
    if (k[0] & 1) {
      int d = static_cast<int>(k[0] & ((1u << width) - 1));
      if (d >= (1 << (width - 1))) d -= (1 << width);
      digits[i] = static_cast<std::int8_t>(d);
      // k -= d, propagating the borrow (d > 0) or the carry (d < 0).
      if (d > 0) {
        u64 borrow = static_cast<u64>(d);
        for (auto& limb : k) {
          u64 prev = limb;
          limb -= borrow;
          borrow = limb > prev ? 1 : 0;
          if (!borrow) break;
        }
      } else {
        u64 carry = static_cast<u64>(-d);
        for (auto& limb : k) {
          limb += carry;
          carry = limb < carry ? 1 : 0;
          if (!carry) break;
        }
      }
    }
    for (std::size_t w = 0; w < 4; ++w) k[w] = (k[w] >> 1) | (k[w + 1] << 63);
    k[4] >>= 1;
    len = i + 1;
  }
  return len;
}

// Straus's interleaved method with wNAF digits (Moller, "Algorithms for
// multi-exponentiation", 2001): one shared chain of doublings, an addition
// per non-zero digit. `scalars` are canonical (non-Montgomery) limbs.
// - Each scalar is first written in short signed form by Ops::decompose: +-k
//   with |k| <= q/2 (so -1 costs one addition, not a full scalar), and on a
//   curve with an endomorphism as two halves of 128 bits, k1 + lambda * k2,
//   which halves the chain of doublings.
// - Each point's odd multiples P, 3P, ..., 15P are brought to the cheapest
//   form for additions (affine on secp256k1, with one inversion for all).
// - Ops is PointOps<C>, or another point interface of the same shape (the
//   complete formulas of SecpSecretPointOps, for secret points).
// The odd multiples P, 3P, ..., (2^(w-2) * 2 - 1) P of a point, in the form
// additions want, and lambda times each where the curve has the
// endomorphism: the table straus_with() builds for each point, or keeps for
// a point that is in many sums (the generator) with a wider window.
template <class Ops>
struct OddMultiples {
  int width = 5;
  std::vector<typename Ops::Entry> entries;
  std::vector<typename Ops::Entry> endo_entries;

  // Builds the table of one point; the point must not be the identity.
  OddMultiples(const typename Ops::Point& p, int w) : width(w) {
    std::vector<typename Ops::Point> multiples;
    append_multiples(multiples, p, w);
    convert(multiples, entries, endo_entries);
  }

  static void append_multiples(std::vector<typename Ops::Point>& out, const typename Ops::Point& p, int w) {
    const typename Ops::Point twice = Ops::dbl(p);
    out.push_back(p);
    const std::size_t size = std::size_t{1} << (w - 2);
    for (std::size_t k = 1; k < size; ++k) out.push_back(Ops::add(out.back(), twice));
  }

  // Leaves `multiples` unspecified: where entries are points (ristretto255)
  // the buffers are swapped, not copied.
  static void convert(std::vector<typename Ops::Point>& multiples, std::vector<typename Ops::Entry>& out,
                      std::vector<typename Ops::Entry>& endo_out) {
    if constexpr (std::is_same_v<typename Ops::Entry, typename Ops::Point>) {
      out.swap(multiples);
    } else {
      out.resize(multiples.size());
      Ops::to_entries(multiples, out);
    }
    if constexpr (Ops::kHasEndomorphism) {
      endo_out.resize(out.size());
      for (std::size_t i = 0; i < out.size(); ++i) endo_out[i] = Ops::endo_entry(out[i]);
    }
  }
};

// A term of a sum whose point has a table of its own.
template <class Ops>
struct FixedTerm {
  Limbs scalar;  // canonical
  const OddMultiples<Ops>* table;
};

template <class Entry>
struct StrausTerm {
  std::array<std::int8_t, 257> digits;
  bool negative;
  const Entry* table;  // entry k is (2k + 1) times the term's point
};

// The buffers of straus_with(), reused from call to call on a thread. A sum
// of a hundred points needs ~300 KiB; allocated afresh on every call, the
// allocator hands it back to the system on free and page faults it in on
// the next call, which cost a third of the time of the arithmetic. The
// multiples may be of secret points (decryption shares in a weighted sum or
// under verification), so they are wiped after every call, and the buffers
// are sized before they are filled so that no reallocation frees a copy.
template <class Ops>
struct StrausScratch {
  std::vector<typename Ops::Point> multiples;
  std::vector<typename Ops::Entry> entries;
  std::vector<typename Ops::Entry> endo_entries;
  std::vector<StrausTerm<typename Ops::Entry>> terms;
  std::vector<std::size_t> term_tables;                 // a term's first entry, times 2, plus 1 for the lambda half
  static constexpr std::size_t kKeepEntries = 1 << 12;  // beyond this many (~0.5-1 MiB), give the memory back

  void reserve(std::size_t entry_count, std::size_t term_count) {
    multiples.reserve(entry_count);
    entries.reserve(entry_count);
    endo_entries.reserve(entry_count);
    terms.reserve(term_count);
    term_tables.reserve(term_count);
  }

  void wipe_and_clear() {
    auto wipe = [](auto& v) {
      if (!v.empty()) vigil::secure_wipe(v.data(), v.size() * sizeof(v[0]));
      v.clear();
    };
    wipe(multiples);
    wipe(entries);
    wipe(endo_entries);
    terms.clear();
    term_tables.clear();
    if (multiples.capacity() > kKeepEntries || entries.capacity() > kKeepEntries) *this = StrausScratch{};
  }
};

// - Ops is PointOps<C>, or another point interface of the same shape (the
//   complete formulas of SecpSecretPointOps).
// - `fixed` terms bring their own tables (wider windows, built once).
template <class Ops>
typename Ops::Point straus_with(std::span<const Limbs> scalars, std::span<const typename Ops::Point> points,
                                std::span<const FixedTerm<Ops>> fixed = {}) {
  using Point = typename Ops::Point;
  using Entry = typename Ops::Entry;
  constexpr int kWidth = 5;
  constexpr std::size_t kTableSize = std::size_t{1} << (kWidth - 2);

  thread_local StrausScratch<Ops> scratch;
  // Wiped and emptied however the call ends, an exception included.
  struct Cleanup {
    StrausScratch<Ops>& s;
    ~Cleanup() { s.wipe_and_clear(); }
  } cleanup{scratch};
  scratch.wipe_and_clear();
  scratch.reserve(points.size() * kTableSize, 2 * (points.size() + fixed.size()));
  auto& terms = scratch.terms;
  std::size_t max_len = 0;
  // Splits a scalar into its short signed parts and adds a term for each;
  // on_term(term, lambda_half) says where the term's table is.
  auto add_terms = [&](const Limbs& scalar, int width, auto&& on_term) {
    std::array<SignedLimbs, 2> parts{};
    const std::size_t count = Ops::decompose(scalar, parts);
    for (std::size_t part = 0; part < count; ++part) {
      if (limbs_is_zero(parts[part].abs)) continue;
      StrausTerm<Entry>& term = terms.emplace_back();
      max_len = std::max(max_len, wnaf_vartime(term.digits, parts[part].abs, width));
      term.negative = parts[part].negative;
      on_term(term, part == 1);
    }
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (limbs_is_zero(scalars[i])) continue;
    if constexpr (requires { Ops::is_identity(points[i]); }) {
      if (Ops::is_identity(points[i])) continue;
    }
    const std::size_t table = scratch.multiples.size();
    OddMultiples<Ops>::append_multiples(scratch.multiples, points[i], kWidth);
    // The entries are converted below, so the term notes where its table starts.
    add_terms(scalars[i], kWidth,
              [&](StrausTerm<Entry>&, bool lambda_half) { scratch.term_tables.push_back(2 * table + lambda_half); });
  }
  const std::size_t converted_terms = terms.size();
  OddMultiples<Ops>::convert(scratch.multiples, scratch.entries, scratch.endo_entries);
  for (std::size_t t = 0; t < converted_terms; ++t) {
    const std::size_t at = scratch.term_tables[t];
    terms[t].table = ((at & 1) != 0 ? scratch.endo_entries.data() : scratch.entries.data()) + at / 2;
  }
  for (const FixedTerm<Ops>& f : fixed) {
    if (limbs_is_zero(f.scalar)) continue;
    add_terms(f.scalar, f.table->width, [&](StrausTerm<Entry>& term, bool lambda_half) {
      term.table = lambda_half ? f.table->endo_entries.data() : f.table->entries.data();
    });
  }

  Point acc = Ops::identity();
  for (std::size_t bit = max_len; bit-- > 0;) {
    acc = Ops::dbl(acc);
    for (const StrausTerm<Entry>& term : terms) {
      int d = term.digits[bit];  // NOLINT(bugprone-signed-char-misuse): signed digits by design
      if (d == 0) continue;
      const Entry& m = term.table[static_cast<std::size_t>((d > 0 ? d : -d) / 2)];
      acc = Ops::add_entry(acc, (d < 0) != term.negative ? Ops::neg_entry(m) : m);
    }
  }
  return acc;
}

template <Curve C>
typename PointOps<C>::Point straus_vartime(std::span<const Limbs> scalars,
                                           std::span<const typename PointOps<C>::Point> points) {
  return straus_with<PointOps<C>>(scalars, points);
}

// k * P for a small public integer k >= 1, by double-and-add.
template <Curve C>
typename PointOps<C>::Point mul_small_vartime(const typename PointOps<C>::Point& p, std::uint64_t k) {
  using Ops = PointOps<C>;
  int top = 63 - __builtin_clzll(k);
  auto acc = p;
  for (int bit = top - 1; bit >= 0; --bit) {
    acc = Ops::dbl(acc);
    if ((k >> bit) & 1) acc = Ops::add(acc, p);
  }
  return acc;
}

// sum_j coefficients[j] * x^j by Horner's rule: the value at x of a
// polynomial whose coefficients are group elements (Feldman commitments).
template <Curve C>
typename PointOps<C>::Point evaluate_in_exponent_vartime(std::span<const typename PointOps<C>::Point> coefficients,
                                                         std::uint64_t x) {
  using Ops = PointOps<C>;
  auto acc = coefficients.back();
  for (std::size_t j = coefficients.size() - 1; j-- > 0;) {
    acc = Ops::add(mul_small_vartime<C>(acc, x), coefficients[j]);
  }
  return acc;
}

// The sum of weights[i] * elements[i] for public weights and secret
// elements (decryption shares, which add up to a ciphertext's mask), in time
// that depends on the weights only.
// - ristretto255: straus_vartime on extended Edwards coordinates. Its
//   branches and table indices follow the weights' digits; the addition and
//   doubling formulas are complete and branch-free, the field arithmetic is
//   constant time, and so are RFC 9496 decoding and encoding.
// - secp256k1: the same Straus schedule over the complete projective
//   formulas of SecpSecretPointOps (the Jacobian ones branch on the points),
//   with a constant-time inversion at the end.
// Fails with kInvalidInput if the spans differ in length.
template <Curve C>
Result<Element<C>> weighted_sum_of_secret_elements(std::span<const Scalar<C>> public_weights,
                                                   std::span<const Element<C>> secret_elements);

}  // namespace vigil::internal
