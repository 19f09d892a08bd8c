#include "vigil/hash.h"

#include <sodium.h>

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "internal/sodium_init.h"

namespace vigil {
namespace {

const EVP_MD* evp(HashFunction f) { return f == HashFunction::kSha256 ? EVP_sha256() : EVP_sha512(); }

// Block sizes (s_in_bytes in RFC 9380).
std::size_t block_size(HashFunction f) { return f == HashFunction::kSha256 ? 64 : 128; }

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::size_t digest_size(HashFunction f) { return f == HashFunction::kSha256 ? 32 : 64; }

Bytes hash(HashFunction function, std::initializer_list<ByteSpan> parts) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  Bytes out(digest_size(function));
  unsigned int len = 0;
  // With a valid context and a built-in digest these calls cannot fail short
  // of memory exhaustion, which aborts the process.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), evp(function), nullptr) != 1) std::abort();
  for (ByteSpan p : parts) {
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) std::abort();
  }
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) std::abort();
  return out;
}

std::array<std::uint8_t, 32> sha256(ByteSpan data) {
  Bytes d = hash(HashFunction::kSha256, {data});
  std::array<std::uint8_t, 32> out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

Result<Bytes> expand_message_xmd(HashFunction function, ByteSpan msg, ByteSpan dst, std::size_t length) {
  const std::size_t b = digest_size(function);
  if (dst.empty()) return make_error(ErrorCode::kInvalidInput, "expand_message_xmd: empty domain tag");
  const std::size_t ell = (length + b - 1) / b;
  if (ell > 255 || length > 65535 || length == 0) {
    return make_error(ErrorCode::kInvalidInput, "expand_message_xmd: output length out of range");
  }
  Bytes long_dst;
  if (dst.size() > 255) {  // section 5.3.3
    static constexpr std::string_view kOversize = "H2C-OVERSIZE-DST-";
    long_dst = hash(function, {as_bytes(kOversize), dst});
    dst = long_dst;
  }
  const std::uint8_t dst_len = static_cast<std::uint8_t>(dst.size());
  const Bytes z_pad(block_size(function), 0);
  const std::uint8_t l_i_b[2] = {static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  const std::uint8_t zero = 0;
  Bytes b0 = hash(function, {z_pad, msg, l_i_b, {&zero, 1}, dst, {&dst_len, 1}});
  std::uint8_t counter = 1;
  Bytes bi = hash(function, {b0, {&counter, 1}, dst, {&dst_len, 1}});
  Bytes out(bi.begin(), bi.end());
  for (std::size_t i = 2; i <= ell; ++i) {
    Bytes x(b);
    for (std::size_t j = 0; j < b; ++j) x[j] = b0[j] ^ bi[j];
    counter = static_cast<std::uint8_t>(i);
    bi = hash(function, {x, {&counter, 1}, dst, {&dst_len, 1}});
    out.insert(out.end(), bi.begin(), bi.end());
  }
  out.resize(length);
  return out;
}

// RFC 5869 on libsodium's HMAC-SHA-256: extract PRK = HMAC(salt, ikm), then
// expand T(i) = HMAC(PRK, T(i-1) || info || i). An empty salt is HMAC's
// all-zero key, as the RFC asks. (OpenSSL's EVP_KDF was used before: a
// provider fetch per call, and error-queue state in every thread it ran on.)
namespace {

// libsodium takes no null pointers, which empty spans may carry.
void hmac_update(crypto_auth_hmacsha256_state& state, ByteSpan bytes) {
  if (!bytes.empty()) crypto_auth_hmacsha256_update(&state, bytes.data(), bytes.size());
}

}  // namespace

Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length) {
  if (length == 0 || length > 255 * 32) return make_error(ErrorCode::kInvalidInput, "hkdf: output length out of range");
  internal::ensure_sodium_initialized();
  crypto_auth_hmacsha256_state state;
  SecretBytes prk(crypto_auth_hmacsha256_BYTES);
  static constexpr std::uint8_t kNoSalt[1] = {0};
  crypto_auth_hmacsha256_init(&state, salt.empty() ? kNoSalt : salt.data(), salt.size());
  hmac_update(state, ikm);
  crypto_auth_hmacsha256_final(&state, prk.data());

  SecretBytes out(length);
  SecretBytes block(crypto_auth_hmacsha256_BYTES);
  std::size_t written = 0;
  for (std::uint8_t counter = 1; written < length; ++counter) {
    crypto_auth_hmacsha256_init(&state, prk.data(), prk.size());
    if (counter > 1) hmac_update(state, block.span());
    hmac_update(state, info);
    hmac_update(state, ByteSpan(&counter, 1));
    crypto_auth_hmacsha256_final(&state, block.data());
    const std::size_t n = std::min(block.size(), length - written);
    std::copy_n(block.data(), n, out.data() + written);
    written += n;
  }
  sodium_memzero(&state, sizeof state);
  return out;
}

}  // namespace vigil
