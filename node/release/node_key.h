// The key a node serves: its share, the public shares of all participants
// and the TDH2 key, rebuilt and checked from the stored record at start-up.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "vigil/tdh2.h"
#include "vigil/v1/node.pb.h"

namespace vigil::node {

// Ciphertexts this node has checked, by digest: a registered ciphertext is
// verified once, not on every request for it. Bounded; the oldest go first.
template <Curve C>
class VerifiedCiphertextCache {
 public:
  static constexpr std::size_t kCapacity = 4096;

  std::shared_ptr<const VerifiedCiphertext<C>> find(const CiphertextDigest& digest) const {
    std::lock_guard lock(mutex_);
    auto it = map_.find(key(digest));
    return it == map_.end() ? nullptr : it->second;
  }
  void insert(std::shared_ptr<const VerifiedCiphertext<C>> ct) {
    std::lock_guard lock(mutex_);
    auto k = key(ct->digest());
    if (!map_.emplace(k, std::move(ct)).second) return;
    order_.push_back(std::move(k));
    if (order_.size() > kCapacity) {
      map_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  static std::string key(const CiphertextDigest& d) { return std::string(d.begin(), d.end()); }
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const VerifiedCiphertext<C>>> map_;
  std::deque<std::string> order_;
};

template <Curve C>
struct NodeKey {
  std::uint32_t epoch = 0;
  std::size_t threshold = 0;
  SecretShare<C> share;
  std::vector<Element<C>> public_shares;  // X_1..X_n
  FeldmanCommitment<C> commitment;
  Tdh2PublicKey<C> tdh2;
  std::shared_ptr<VerifiedCiphertextCache<C>> verified = std::make_shared<VerifiedCiphertextCache<C>>();

  const Element<C>& public_share() const { return public_shares[share.index - 1]; }
};

using AnyNodeKey = std::variant<NodeKey<Ristretto255>, NodeKey<Secp256k1>>;

// The record of a node's key share (its secret share is sealed by the Store).
template <Curve C>
v1::StoredKey make_key_record(std::uint32_t epoch, const FeldmanCommitment<C>& commitment,
                              std::span<const Element<C>> public_shares, const SecretShare<C>& share);

// Decodes a stored record and checks it: the share and every public share
// against the commitments. Fails naming what is wrong.
Result<AnyNodeKey> node_key_from_record(const v1::StoredKey& record);

// Overwrites the record's secret share in place, then clears it: protobuf
// frees strings without wiping them.
void wipe_secret_share(v1::StoredKey& record);

// Wipes a record's secret share when it goes out of scope, on every path out.
class SecretShareWipe {
 public:
  explicit SecretShareWipe(v1::StoredKey& record) : record_(&record) {}
  explicit SecretShareWipe(std::optional<v1::StoredKey>& record) : record_(record ? &*record : nullptr) {}
  ~SecretShareWipe() {
    if (record_ != nullptr) wipe_secret_share(*record_);
  }
  SecretShareWipe(const SecretShareWipe&) = delete;
  SecretShareWipe& operator=(const SecretShareWipe&) = delete;

 private:
  v1::StoredKey* record_;
};

}  // namespace vigil::node
