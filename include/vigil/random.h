// Randomness is an input: protocol code takes an Rng& so that tests can
// replay a run from a seed while production uses the system CSPRNG.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace vigil {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The operating system's CSPRNG (libsodium's randombytes, getrandom(2)).
class SystemRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

// The process-wide system RNG.
Rng& system_rng();

// A deterministic stream (ChaCha20 keyed by the seed) for tests, benchmarks
// and published test vectors. Never use it for real keys.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed);
  explicit SeededRng(const std::array<std::uint8_t, 32>& seed);
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::array<std::uint8_t, 32> key_;
  std::uint64_t counter_ = 0;
};

}  // namespace vigil
