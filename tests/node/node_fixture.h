// An in-process cluster for node tests: a dealt key, and per node a config,
// a real SQLite store in a temporary folder, a DecryptionService and an
// ApiRouter.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "node/api/router.h"
#include "node/release/decryption_service.h"
#include "proto/codec.h"
#include "support/test_support.h"
#include "vigil/dealer.h"

namespace vigil::node::test {

// A message as the API's JSON, and back.
inline std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

template <class M>
M from_json(const std::string& body) {
  M m;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &m).ok()) << body;
  return m;
}

class ManualClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override { return now; }
  std::int64_t now = 1'700'000'000'000;
};

struct TestNode {
  NodeConfig config;
  Ed25519KeyPair identity;  // signs the node's audit chain
  std::unique_ptr<Store> store;
  // Each node its own: a service draws from its Rng on every thread that
  // calls it, and a SeededRng is not thread-safe.
  std::unique_ptr<SeededRng> rng;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<DecryptionService> service;
  std::unique_ptr<ApiRouter> router;
  std::unique_ptr<AttestationVerifier> attestation;  // once the cluster trusts collateral
};

class NodeCluster {
 public:
  NodeCluster(std::size_t n, std::size_t t, const std::filesystem::path& dir)
      : rng_(vigil::test::test_seed() + 100),
        dir_(dir),
        deal_(deal<Ristretto255>(rng_, n, t).value()),
        key_(Tdh2PublicKey<Ristretto255>::create(deal_.group_public_key()).value()) {
    std::filesystem::remove_all(dir_);
    std::vector<Element<Ristretto255>> pubs;
    for (const auto& s : deal_.shares) pubs.push_back(s.public_share);
    for (std::size_t i = 1; i <= n; ++i) {
      auto node = std::make_unique<TestNode>();
      node->config.index = static_cast<ParticipantIndex>(i);
      node->config.data_dir = dir_ / ("node" + std::to_string(i));
      node->identity = ed25519_generate(rng_);
      std::filesystem::create_directories(node->config.data_dir);
      SecretBytes master(32);
      rng_.fill(master.mutable_span());
      node->store = Store::open(node->config.data_dir / "node.db", std::move(master)).value();
      node->metrics = std::make_unique<Metrics>();
      node->rng = std::make_unique<SeededRng>(vigil::test::test_seed() + 100 + i);
      node->service =
          std::make_unique<DecryptionService>(node->config.service(), *node->store, clock, *node->rng, node->identity);
      const auto& share = deal_.shares[i - 1];
      EXPECT_TRUE(node->service
                      ->import_key(make_key_record<Ristretto255>(1, deal_.commitment, pubs,
                                                                 {share.index, share.secret_share.clone()}))
                      .ok());
      node->router = std::make_unique<ApiRouter>(*node->service, *node->metrics);
      nodes.push_back(std::move(node));
    }
  }
  ~NodeCluster() { std::filesystem::remove_all(dir_); }

  Tdh2Ciphertext<Ristretto255> encrypt(const std::string& label, const std::string& message) {
    return tdh2_encrypt<Ristretto255>(rng_, key_, as_bytes(label), as_bytes(message)).value();
  }

  // Every node verifies quotes with `collateral_json` (a file in its
  // collateral folder, as vigild reads it) under `root`.
  void trust_collateral(const std::string& collateral_json, const Bytes& root) {
    const auto folder = dir_ / "collateral";
    std::filesystem::create_directories(folder);
    std::ofstream(folder / "collateral.json") << collateral_json;
    for (auto& node : nodes) {
      node->attestation = std::make_unique<AttestationVerifier>(folder, root);
      const auto loaded = node->attestation->reload();
      EXPECT_TRUE(loaded.size() == 1 && loaded[0].error.empty()) << (loaded.empty() ? "none" : loaded[0].error);
      node->service->set_attestation(node->attestation.get());
    }
  }

  Rng& rng() { return rng_; }
  const Deal<Ristretto255>& dealt() const { return deal_; }
  const Tdh2PublicKey<Ristretto255>& key() const { return key_; }

  ManualClock clock;
  std::vector<std::unique_ptr<TestNode>> nodes;

 private:
  SeededRng rng_;
  std::filesystem::path dir_;
  Deal<Ristretto255> deal_;
  Tdh2PublicKey<Ristretto255> key_;
};

inline std::filesystem::path temp_dir(const std::string& what) {
  return std::filesystem::temp_directory_path() / ("vigil-" + what + "-" + std::to_string(::getpid()) + "-" +
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

}  // namespace vigil::node::test
