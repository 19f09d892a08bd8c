// A node's audit chain as a verifier sees it: every entry signed and naming
// the hash of the one before, so that a changed, dropped, reordered or
// foreign entry is found and named.
#include <gtest/gtest.h>

#include "proto/audit.h"
#include "support/test_support.h"

namespace vigil::proto {
namespace {

class AuditChain : public ::testing::Test {
 protected:
  AuditChain() : rng_(test::test_seed() + 73), node_(ed25519_generate(rng_)) {
    AuditHash previous{};
    const char* outcomes[] = {"enclave_alive", "not_authorised", "granted", "released"};
    for (std::uint64_t seq = 1; seq <= 4; ++seq) {
      v1::AuditEntry e;
      e.set_seq(seq);
      e.set_previous(std::string(previous.begin(), previous.end()));
      e.set_unix_ms(1'800'000'000'000 + static_cast<std::int64_t>(seq));
      e.set_key_id(std::string(32, 'k'));
      e.set_request_digest(std::string(32, static_cast<char>('a' + seq)));
      e.set_outcome(outcomes[seq - 1]);
      e.set_detail("why");
      e.add_signers(std::string(32, 's'));
      sign_audit_entry(e, node_);
      previous = audit_entry_hash(e);
      chain_.push_back(e);
    }
  }
  // The first error verifying `entries` from the start, or "" if none.
  std::string verify(const std::vector<v1::AuditEntry>& entries, const Ed25519PublicKey& key) const {
    AuditChainVerifier v(key);
    for (const auto& e : entries) {
      if (auto s = v.add(e); !s) return s.error().message;
    }
    return "";
  }
  std::string verify(const std::vector<v1::AuditEntry>& entries) const { return verify(entries, node_.public_key); }

  SeededRng rng_;
  Ed25519KeyPair node_;
  std::vector<v1::AuditEntry> chain_;
};

TEST_F(AuditChain, AnUntouchedChainVerifiesAndEndsAtItsHead) {
  AuditChainVerifier v(node_.public_key);
  for (const auto& e : chain_) ASSERT_TRUE(v.add(e).ok());
  EXPECT_EQ(v.seq(), 4u);
  EXPECT_EQ(v.head(), audit_entry_hash(chain_.back()));
  // A verifier that trusted entry 2 continues from there.
  AuditChainVerifier later(node_.public_key, 2, audit_entry_hash(chain_[1]));
  EXPECT_TRUE(later.add(chain_[2]).ok());
}

TEST_F(AuditChain, AChangedEntryFailsAtThatEntry) {
  auto tampered = chain_;
  tampered[2].set_outcome("not_authorised");  // a release hidden as a refusal
  EXPECT_NE(verify(tampered).find("audit entry 3: the node's signature does not verify"), std::string::npos)
      << verify(tampered);
  // Re-signed by someone else: still not the node's.
  const auto other = ed25519_generate(rng_);
  sign_audit_entry(tampered[2], other);
  EXPECT_NE(verify(tampered).find("audit entry 3"), std::string::npos);
  // Re-signed by the node itself (its key stolen): the next entry no longer chains.
  sign_audit_entry(tampered[2], node_);
  EXPECT_NE(verify(tampered).find("audit entry 4: does not name the hash of entry 3"), std::string::npos)
      << verify(tampered);
}

TEST_F(AuditChain, DroppedReorderedOrForeignEntriesFail) {
  auto dropped = chain_;
  dropped.erase(dropped.begin() + 1);
  EXPECT_NE(verify(dropped).find("audit entry 3: expected entry 2 here"), std::string::npos) << verify(dropped);
  auto reordered = chain_;
  std::swap(reordered[1], reordered[2]);
  EXPECT_NE(verify(reordered).find("expected entry 2 here"), std::string::npos);
  auto front_cut = std::vector<v1::AuditEntry>(chain_.begin() + 1, chain_.end());
  EXPECT_NE(verify(front_cut).find("audit entry 2: expected entry 1 here"), std::string::npos);
  EXPECT_NE(verify(chain_, ed25519_generate(rng_).public_key).find("audit entry 1: the node's signature"),
            std::string::npos)
      << "another node's key";
}

TEST_F(AuditChain, MalformedEntriesAreRefusedNotTrusted) {
  auto bad = chain_;
  bad[0].set_key_id("short");
  EXPECT_NE(verify(bad).find("audit entry 1: key_id and request_digest are 32 bytes"), std::string::npos);
  bad = chain_;
  bad[0].set_signature("");
  EXPECT_NE(verify(bad).find("audit entry 1: the node's signature"), std::string::npos);
  bad = chain_;
  bad[0].set_previous("");
  EXPECT_NE(verify(bad).find("audit entry 1: does not name the hash of entry 0"), std::string::npos);
  bad = chain_;
  bad[0].add_signers("x");
  EXPECT_NE(verify(bad).find("a signer key is not 32 bytes"), std::string::npos);
}

}  // namespace
}  // namespace vigil::proto
