// TLS for peer links: each node presents a self-signed X.509 certificate for
// its Ed25519 identity key; a handshake succeeds only when the peer's key is
// one the config pins (mutual authentication, TLS 1.3 only). Certificates
// carry no authority: the pinned key is the identity.
#pragma once

#include <utility>

#include <boost/asio/ssl.hpp>
#include <functional>
#include <memory>

#include "node/config.h"
#include "vigil/ed25519.h"

namespace vigil::node {

// A TLS 1.3 context presenting `identity`, requiring a peer certificate.
Result<std::unique_ptr<boost::asio::ssl::context>> make_peer_tls_context(const Ed25519KeyPair& identity);

// The Ed25519 key of a certificate, if it has one.
std::optional<Ed25519PublicKey> certificate_key(X509* certificate);

// A verify callback that accepts exactly the certificates whose key
// `accept(key)` approves, ignoring the self-signed chain.
std::function<bool(bool, boost::asio::ssl::verify_context&)> pinned_key_verifier(
    std::function<bool(const Ed25519PublicKey&)> accept);

}  // namespace vigil::node
