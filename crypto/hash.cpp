#include "vigil/hash.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

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

Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length) {
  if (length == 0 || length > 255 * 32) return make_error(ErrorCode::kInvalidInput, "hkdf: output length out of range");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return make_error(ErrorCode::kInternal, "OpenSSL has no HKDF");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return make_error(ErrorCode::kInternal, "EVP_KDF_CTX_new failed");
  char digest_name[] = "SHA256";
  // OpenSSL takes non-const pointers but does not write through them.
  auto mut = [](ByteSpan s) { return const_cast<std::uint8_t*>(s.data()); };
  static std::uint8_t empty = 0;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
      OSSL_PARAM_construct_octet_string("key", ikm.empty() ? &empty : mut(ikm), ikm.size()),
      OSSL_PARAM_construct_octet_string("salt", salt.empty() ? &empty : mut(salt), salt.size()),
      OSSL_PARAM_construct_octet_string("info", info.empty() ? &empty : mut(info), info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(length);
  int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return make_error(ErrorCode::kInternal, "HKDF derivation failed");
  return out;
}

}  // namespace vigil
