#include "vigil/random.h"

#include <sodium.h>

#include <algorithm>

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

StreamRng::StreamRng(std::span<const std::uint8_t, 32> seed) { std::copy(seed.begin(), seed.end(), key_.begin()); }

StreamRng::~StreamRng() { sodium_memzero(key_.data(), key_.size()); }

void StreamRng::fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;  // libsodium takes no null output, which an empty span may have
  std::array<std::uint8_t, crypto_stream_chacha20_NONCEBYTES> nonce{};
  for (std::size_t i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
  ++counter_;
  crypto_stream_chacha20(out.data(), out.size(), nonce.data(), key_.data());
}

namespace {

std::array<std::uint8_t, 32> seed_bytes(std::uint64_t seed) {
  std::array<std::uint8_t, 32> key{};
  for (std::size_t i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  return key;
}

}  // namespace

SeededRng::SeededRng(std::uint64_t seed) : StreamRng(seed_bytes(seed)) {}

}  // namespace vigil
