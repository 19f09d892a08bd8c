#include "vigil/random.h"

#include <sodium.h>

#include "internal/sodium_init.h"

namespace vigil {

namespace internal {

void ensure_sodium_initialized() {
  static const bool initialized = [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing safe can run
    return true;
  }();
  (void)initialized;
}

}  // namespace internal

void SystemRng::fill(std::span<std::uint8_t> out) {
  internal::ensure_sodium_initialized();
  randombytes_buf(out.data(), out.size());
}

Rng& system_rng() {
  static SystemRng rng;
  return rng;
}

SeededRng::SeededRng(std::uint64_t seed) : key_{} {
  for (std::size_t i = 0; i < 8; ++i) key_[i] = static_cast<std::uint8_t>(seed >> (8 * i));
}

SeededRng::SeededRng(const std::array<std::uint8_t, 32>& seed) : key_(seed) {}

void SeededRng::fill(std::span<std::uint8_t> out) {
  // ChaCha20 keystream under the seed, with a fresh nonce per call.
  std::array<std::uint8_t, crypto_stream_chacha20_NONCEBYTES> nonce{};
  for (std::size_t i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
  ++counter_;
  crypto_stream_chacha20(out.data(), out.size(), nonce.data(), key_.data());
}

}  // namespace vigil
