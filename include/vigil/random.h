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

// A deterministic stream: ChaCha20 keyed by a 32-byte seed, a fresh nonce
// per call. It is as unpredictable as its seed, so with a seed drawn from the
// system CSPRNG and kept secret it may drive real keys: vigild draws one per
// ceremony and seals it at rest, so that a node restarted mid-DKG deals the
// same dealing again. The key is wiped on destruction and never copied.
class StreamRng : public Rng {
 public:
  explicit StreamRng(std::span<const std::uint8_t, 32> seed);
  ~StreamRng() override;
  StreamRng(const StreamRng&) = delete;
  StreamRng& operator=(const StreamRng&) = delete;
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::array<std::uint8_t, 32> key_{};
  std::uint64_t counter_ = 0;
};

// A StreamRng keyed by a public number or public bytes, for tests,
// benchmarks and published test vectors. Never use it for real keys.
class SeededRng final : public StreamRng {
 public:
  explicit SeededRng(std::uint64_t seed);
  explicit SeededRng(const std::array<std::uint8_t, 32>& seed) : StreamRng(seed) {}
};

}  // namespace vigil
