// What the constant-time check's parts share: marking values secret
// (undefined to valgrind memcheck) or published (defined again), an Rng
// whose every output is secret, and the count of wrong results.
#pragma once

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_UNDEFINED(addr, len) ((void)(addr), (void)(len))
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#define RUNNING_ON_VALGRIND 0
#endif

#include <cstdio>
#include <span>

#include "vigil/random.h"

namespace vigil::ctime {

template <class T>
void secret(T& value) {
  VALGRIND_MAKE_MEM_UNDEFINED(&value, sizeof(value));
}
template <class T>
void published(T& value) {
  VALGRIND_MAKE_MEM_DEFINED(&value, sizeof(value));
}
inline void secret_bytes(std::span<std::uint8_t> bytes) { VALGRIND_MAKE_MEM_UNDEFINED(bytes.data(), bytes.size()); }
inline void published_bytes(std::span<const std::uint8_t> bytes) {
  VALGRIND_MAKE_MEM_DEFINED(bytes.data(), bytes.size());
}

// Randomness is secret: nonces, polynomial coefficients, ephemeral keys.
// Everything drawn from it is undefined to memcheck.
class SecretRng final : public Rng {
 public:
  explicit SecretRng(std::uint64_t seed) : inner_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    inner_.fill(out);
    secret_bytes(out);
  }

 private:
  SeededRng inner_;
};

inline int failures = 0;
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ctime_test: %s gave a wrong result\n", what);
    ++failures;
  }
}

// The protocol-level checks (protocols.cpp).
void protocols(SeededRng& rng);

}  // namespace vigil::ctime
