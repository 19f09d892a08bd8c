// Marks a value public for the constant-time check. tests/ctime runs
// vigil's secret-handling code under valgrind memcheck with the secrets
// marked undefined, and memcheck reports every branch on a value derived
// from them. A few such branches are on outcomes that are published anyway
// (whether a tag verified, whether an X25519 result was the all-zero
// point, whether a random scalar came out zero): those values are
// declassified first. Outside valgrind this is a few instructions that do
// nothing.
#pragma once

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define VIGIL_DECLASSIFY(address, length) VALGRIND_MAKE_MEM_DEFINED(address, length)
#else
#define VIGIL_DECLASSIFY(address, length) ((void)(address), (void)(length))
#endif

namespace vigil::internal {

template <class T>
T declassify(T value) {
  VIGIL_DECLASSIFY(&value, sizeof value);
  return value;
}

}  // namespace vigil::internal
