#include "node/peers/tls_identity.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace vigil::node {

Result<std::unique_ptr<boost::asio::ssl::context>> make_peer_tls_context(const Ed25519KeyPair& identity) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);

  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, identity.seed.data(), identity.seed.size());
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 20L * 365 * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("vigil node"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    ok = X509_sign(cert, key, nullptr) > 0 && SSL_CTX_use_certificate(native, cert) == 1 &&
         SSL_CTX_use_PrivateKey(native, key) == 1 && SSL_CTX_check_private_key(native) == 1;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) return make_error(ErrorCode::kInternal, "cannot build the TLS identity certificate");
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return ctx;
}

std::optional<Ed25519PublicKey> certificate_key(X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  EVP_PKEY* pk = X509_get0_pubkey(certificate);
  if (pk == nullptr || EVP_PKEY_id(pk) != EVP_PKEY_ED25519) return std::nullopt;
  Ed25519PublicKey out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pk, out.data(), &len) != 1 || len != out.size()) return std::nullopt;
  return out;
}

std::function<bool(bool, boost::asio::ssl::verify_context&)> pinned_key_verifier(
    std::function<bool(const Ed25519PublicKey&)> accept) {
  return [accept = std::move(accept)](bool, boost::asio::ssl::verify_context& ctx) {
    X509_STORE_CTX* store = ctx.native_handle();
    // Self-signed: the only certificate is the peer's own, at depth 0.
    if (X509_STORE_CTX_get_error_depth(store) != 0) return false;
    auto key = certificate_key(X509_STORE_CTX_get_current_cert(store));
    return key.has_value() && accept(*key);
  };
}

}  // namespace vigil::node
